"""`GET /ws`: the realtime channel (protocol v1, docs/realtime-protocol.md).

Authenticated by the session cookie (browsers) or a bearer token (bots,
tools) before the upgrade, with the Origin checked; a client resumes with
`?since=<last id>` and gets every event it missed, in order, then the live
stream. Client frames `read` and `ack` go through the same services (and the
same permission rule) as the web buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from hub.domain.identity import Actor
from hub.domain.items import AckVia
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.notify.feed import SIGNAL, Subscriber, TooOld
from hub.notify.frames import PROTOCOL_VERSION, control_frame
from webapp import gc_pacing
from webapp.context import (
    SESSION_COOKIE,
    actor_of,
    client_ip,
    hub_of,
    int_arg,
    json_id,
    lang_of,
    session_of,
)
from webapp.gc_pacing import GC_PACER
from webapp.middleware import origin_allowed
from webapp.routing import page

log = logging.getLogger(__name__)

SOCKETS = web.AppKey("sockets", weakref.WeakSet)   # open websockets, closed at shutdown
CLOSE_TOO_SLOW = 4008        # the client fell behind: reconnect with since=<last id>
CLOSE_SESSION_ENDED = 4001   # logged out, disabled or expired: log in again
RECHECK_SECONDS = 60         # how often a long-lived connection re-checks its session


@page("GET", "/ws", action=Action.VIEW_ITEM)
async def websocket(request: web.Request) -> web.StreamResponse:
    if not origin_allowed(request):
        raise XietongError("auth.bad_origin")
    hub, actor = hub_of(request), actor_of(request)
    since_text = request.query.get("since", "")
    since = int_arg(since_text, "since", lowest=0) if since_text else None    # 0: from the first event
    session = session_of(request)
    assert session is not None
    cfg = hub.config.realtime
    ws = web.WebSocketResponse(heartbeat=cfg.heartbeat_seconds, compress=cfg.compress, max_msg_size=64 * 1024)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    request.app[GC_PACER].connection_opened()

    def overflow() -> None:
        asyncio.get_running_loop().create_task(ws.close(code=CLOSE_TOO_SLOW, message=b"too slow; resume by id"))

    def session_ended() -> None:     # logout, disable, role change, password reset: at once, not at the recheck
        asyncio.get_running_loop().create_task(ws.close(code=CLOSE_SESSION_ENDED, message=b"session ended"))

    transport = request.transport
    sink = None if ws.compress or transport is None else SocketSink(ws, transport)
    sub = hub.feed.subscribe(actor, overflow, sink.write_now if sink else None,
                             session_key=session.key, on_session_ended=session_ended)
    if sub is None:
        await ws.close(code=4003, message=b"forbidden")
        return ws
    tasks: list[asyncio.Task[None]] = []
    try:
        head = await _hello(ws, hub, since)
        # the replay (after an outage it may wait its turn) runs beside the reader, so that the
        # client's pings are answered meanwhile: it must not give up and come back for another
        tasks.append(asyncio.create_task(_replay_then_write(ws, hub, sub, since, head)))
        tasks.append(asyncio.create_task(_recheck(ws, request)))
        await _read(ws, request, actor)
    finally:
        hub.feed.unsubscribe(sub)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task
    return ws


async def _hello(ws: web.WebSocketResponse, hub: Any, since: int | None) -> int:
    """The first frame; returns the newest event id now."""
    async with hub.store.read(snapshot=False) as tx:
        head = await tx.events.last_id()
    await ws.send_str(control_frame("hello", last_id=head, resumed_from=since))
    return head


async def _replay_then_write(ws: web.WebSocketResponse, hub: Any, sub: Subscriber, since: int | None,
                             head: int) -> None:
    try:
        last = await _replay(ws, hub, sub, since, head)
    except ConnectionError:
        return          # the client went away
    except Exception:
        log.exception("replay failed; the client will resume by id")
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"replay failed; resume by id")
        return
    await _write(ws, sub, last)


async def _replay(ws: web.WebSocketResponse, hub: Any, sub: Subscriber, since: int | None, head: int) -> int:
    """The replay after hello; returns the last id sent (live frames up to it are skipped)."""
    if since is None:
        return head
    try:
        frames = await hub.feed.replay(sub, since)
    except TooOld:
        await ws.send_str(control_frame("reset", reason="too_old", last_id=head))
        return head
    last = since
    for event_id, frame in frames:
        await ws.send_str(frame)
        last = event_id
    await ws.send_str(control_frame("replayed", last_id=max(last, since), count=len(frames)))
    return last


async def _write(ws: web.WebSocketResponse, sub: Subscriber, last: int) -> None:
    """Queued live frames in id order, skipping what the replay already sent.

    A frame stays at the head of the queue until it is sent, so that the feed writes nothing
    straight to the socket ahead of it.
    """
    sub.go_live(last)
    pending = sub.pending
    while not ws.closed:
        await sub.wait_for_frames()     # no timer per frame: _recheck watches the session
        while pending and not ws.closed:
            event_id, frame = pending[0]
            if event_id == SIGNAL:          # outside the event order: sent, and `last` stays
                await ws.send_str(frame)
            elif event_id > last:
                await ws.send_str(frame)
                last = event_id
            pending.popleft()


class SocketSink:
    """Writes the feed's ready-made frame bytes straight to one connection's socket, when it can take them now.

    Only for uncompressed connections (a server's frames are unmasked, so the same bytes suit every
    client). Declines while the socket is backed up (its write buffer over the high-water mark, where
    aiohttp's writer would wait) or the websocket is closing: the feed then queues the frame.
    """

    __slots__ = ("high_water", "transport", "ws")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        self.ws, self.transport = ws, transport
        self.high_water = transport.get_write_buffer_limits()[1]

    def write_now(self, frame_bytes: bytes) -> bool:
        transport = self.transport
        if self.ws.closed or transport.is_closing() or transport.get_write_buffer_size() > self.high_water:
            return False
        transport.write(frame_bytes)
        return True


async def _recheck(ws: web.WebSocketResponse, request: web.Request) -> None:
    """Every RECHECK_SECONDS, whether busy or idle: a session that ended closes the socket (4001)."""
    while not ws.closed:
        await asyncio.sleep(RECHECK_SECONDS)
        if not ws.closed and not await _still_allowed(request):
            await ws.close(code=CLOSE_SESSION_ENDED, message=b"session ended")
            return


async def _still_allowed(request: web.Request) -> bool:
    session = session_of(request)
    hub = hub_of(request)
    if session is None:
        return False
    if session.by_token:
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        return await hub.identity.token_session(token, client_ip(request)) is not None
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return await hub.identity.session(cookie, client_ip(request), page=False) is not None


async def _read(ws: web.WebSocketResponse, request: web.Request, actor: Actor) -> None:
    """Client frames: {"type": "read", "item": ID} and {"type": "ack", "delivery": ID}.

    Whatever a frame holds, it gets an answer and the connection stays open: a refusal or a bad
    value is an `error` frame, never an HTTP answer written into the open socket.
    """
    hub = hub_of(request)
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        ref: Any = None
        try:
            frame, ref = _parse_frame(msg.data)
            reply = await _answer(hub, actor, frame, ref)
        except XietongError as err:
            reply = control_frame("error", ref=ref, **err.as_json(lang_of(request)))
        except Exception:
            log.exception("client frame failed")
            reply = control_frame("error", ref=ref, **XietongError("internal").as_json(lang_of(request)))
        await ws.send_str(reply)


_SCALAR = (str, int, float, bool, type(None))


def _parse_frame(text: str) -> tuple[dict[str, Any], Any]:
    """The frame as a JSON object, and its `ref` (echoed only if it is a string, number, bool or null)."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):       # RecursionError: arrays nested thousands deep
        raise XietongError("input.invalid", field="frame (JSON object)") from None
    if not isinstance(frame, dict):
        raise XietongError("input.invalid", field="frame (JSON object)")
    ref = frame.get("ref")
    return frame, ref if isinstance(ref, _SCALAR) else None


async def _answer(hub: Any, actor: Actor, frame: dict[str, Any], ref: Any) -> str:
    kind = frame.get("type")
    if kind == "ack":      # a retry after a lost answer gets the same receipt
        done = await hub.items.acknowledge(actor, json_id(frame.get("delivery"), "delivery"), via=AckVia.WEB)
        return control_frame("ack.ok", ref=ref, delivery=done.id, receipt_no=done.receipt_no)
    if kind == "read":
        view = await hub.items.view(actor, json_id(frame.get("item"), "item"))
        return control_frame("read.ok", ref=ref, item=view.item.id, delivery=view.mine.id if view.mine else None)
    if kind == "ping":
        return control_frame("pong", ref=ref)
    raise XietongError("input.invalid", field="type")


__all__ = ["PROTOCOL_VERSION", "websocket"]


async def close_all(app: web.Application) -> None:
    """On shutdown: tell every client the server is going away; they resume by id."""
    for ws in list(app[SOCKETS]):
        with contextlib.suppress(Exception):
            await ws.close(code=1001, message=b"server restarting; resume by id")


def setup(app: web.Application) -> None:
    app[SOCKETS] = weakref.WeakSet()
    gc_pacing.setup(app)
    app.on_shutdown.append(close_all)
