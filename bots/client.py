"""A small client for Xietong's realtime channel, on the `websockets` library.

Used by the tests, the benchmarks and the chat-ops bots::

    client = FeedClient("ws://127.0.0.1:8080/ws", token="xt_...")
    async for frame in client.events():      # connects, reconnects and resumes by id by itself
        if frame["type"] == "item.issued":
            await client.acknowledge(frame["delivery"]["id"])

It logs in with a bearer token, keeps the last event id it saw, resumes with
`?since=` after any drop, never yields the same event twice, and reconnects
with exponential backoff and full jitter so that thousands of phones coming
back after an outage do not all knock at the same moment.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import websockets

log = logging.getLogger(__name__)

Frame = dict[str, Any]


class FeedClient:
    def __init__(self, url: str, token: str, since: int | None = None, *,
                 backoff_base: float = 0.5, backoff_max: float = 30.0, rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 on_reset: Callable[[Frame], Awaitable[None]] | None = None) -> None:
        self.url, self.token = url, token
        self.last_id = since
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._on_reset = on_reset
        self._ws: websockets.ClientConnection | None = None
        self._pending: dict[str, asyncio.Future[Frame]] = {}
        self._refs = itertools.count(1)
        self.connections = 0          # how many times it connected (1 + reconnects)
        self.closed = False
        self.error: Exception | None = None
        self._frames: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before reconnect attempt `attempt` (0-based): full jitter.

        The exponent stops growing once the ceiling is reached, so a client that
        stays offline for days (thousands of attempts) never overflows a float."""
        return self._rng.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** min(attempt, 64)))

    def _connect_url(self) -> str:
        return self.url + (f"?since={self.last_id}" if self.last_id is not None else "")

    def start(self) -> None:
        """Connect in the background; frames queue up for `events()`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="xietong-feed-client")

    async def events(self) -> AsyncIterator[Frame]:
        """Event frames, in id order, without duplicates, across reconnects, until `close()`."""
        self.start()
        while True:
            frame = await self._frames.get()
            if frame is None:
                return
            yield frame

    async def _run(self) -> None:
        attempt = 0
        try:
            while not self.closed:
                try:
                    async with websockets.connect(
                            self._connect_url(), additional_headers={"Authorization": f"Bearer {self.token}"},
                            compression=None) as ws:
                        self._ws = ws
                        self.connections += 1
                        attempt = 0
                        async for raw in ws:
                            await self._dispatch(json.loads(raw))
                except websockets.InvalidStatus as e:
                    if e.response.status_code in (401, 403):
                        self.error = PermissionError(f"refused by the server: {e.response.status_code}")
                        return
                    log.warning("connect refused (%s); retrying", e.response.status_code)
                except (TimeoutError, OSError, websockets.ConnectionClosed) as e:
                    log.info("connection lost (%s); resuming from %s", e, self.last_id)
                finally:
                    self._ws = None
                    for fut in self._pending.values():
                        if not fut.done():
                            fut.set_exception(ConnectionError("connection lost"))
                    self._pending.clear()
                if self.closed:
                    return
                await self._sleep(self.backoff(attempt))
                attempt += 1
        finally:
            self._frames.put_nowait(None)

    async def _dispatch(self, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "hello":
            if self.last_id is None:
                self.last_id = frame["last_id"]
        elif kind == "reset":
            self.last_id = frame["last_id"]
            if self._on_reset:
                await self._on_reset(frame)
        elif "id" in frame:
            if self.last_id is None or frame["id"] > self.last_id:
                self.last_id = frame["id"]
                self._frames.put_nowait(frame)
        elif frame.get("ref") is not None and str(frame["ref"]) in self._pending:
            self._pending.pop(str(frame["ref"])).set_result(frame)

    async def connected(self, timeout: float = 10) -> None:
        """Wait (bounded) until a connection is open."""
        self.start()
        async with asyncio.timeout(timeout):
            while self._ws is None:
                if self._task is not None and self._task.done():
                    raise self.error or ConnectionError("client stopped")
                await asyncio.sleep(0.01)   # network wait, not business time

    async def request(self, frame: Frame, timeout: float = 10) -> Frame:
        """Send a client frame on the open connection and wait for its answer."""
        if self._ws is None:
            raise ConnectionError("not connected")
        ref = str(next(self._refs))
        fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[ref] = fut
        await self._ws.send(json.dumps({**frame, "ref": ref}))
        return await asyncio.wait_for(fut, timeout)

    async def acknowledge(self, delivery_id: int) -> Frame:
        """Sign for (签收) a delivery; returns `ack.ok` (with the receipt number) or `error`."""
        return await self.request({"type": "ack", "delivery": delivery_id})

    async def close(self) -> None:
        self.closed = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception:      # it had already ended badly; closing is what was asked for
                log.warning("the feed client's loop had failed before it was closed", exc_info=True)
