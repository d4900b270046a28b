"""`xietong serve` with timestamps for bench/fanout.py (the product code is not changed).

    BENCH_FANOUT_OUT=/tmp/t.json python bench/fanout_server.py serve --port P

Runs the real `webapp.cli.main(["serve", ...])` after wrapping a few methods so that they also
note the time (time.time(), the clock the load generators use); behaviour is unchanged:

* a first middleware: when POST /api/items reached the app and when its response was ready;
* ItemService.view (the POST's response re-reads the item) and EventFeed._encode (the feed's
  reads of items and deliveries, and the JSON encoding), start and end;
* EventFeed.poke: the issue transaction has committed and the feed is told (the last poke
  before ItemService.issue_with_deliveries returns); EventFeed.distribute: each pass that sent something;
* every hand-over of an item.issued event frame to a connection, by either path: the feed writing
  the frame's bytes straight to the socket (webapp.routes.realtime.SocketSink.write_now, when it
  accepted them) or a connection's writer sending a queued frame (WebSocketResponse.send_str):
  when each call returned, and whether the frame was then entirely in the kernel (the transport's
  write buffer empty: both write straight to the socket; anything left over would be sent later
  by the loop, and is counted as "buffered").

The hand-off time is: the last of those returns minus the commit's poke, i.e. from "the
deliveries are durable and the feed may distribute" to "the last client's frame is in its
socket's kernel buffer" (unless some were buffered, which the report shows).

The CPU time of the event-loop thread and of the whole process (with the SQLite threads) is noted
at the request, at the commit and at the last send ($BENCH_FANOUT_EXPECT-th frame): unlike wall time, it hardly depends on what
else runs on the machine.

The garbage collector's passes (start, end, generation) are noted too, to show the pauses
during the burst.

SIGUSR1 writes everything to $BENCH_FANOUT_OUT (JSON). With $BENCH_FANOUT_CPROFILE=path the
event-loop thread is profiled from the POST's arrival (or, with BENCH_FANOUT_CPROFILE_FROM=commit,
from the issue's commit) until SIGUSR1, written to that path.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import time
from typing import Any

OUT = os.environ.get("BENCH_FANOUT_OUT", "")
PROFILE = os.environ.get("BENCH_FANOUT_CPROFILE", "")
PROFILE_FROM = os.environ.get("BENCH_FANOUT_CPROFILE_FROM", "request")   # or "commit"
EXPECT = int(os.environ.get("BENCH_FANOUT_EXPECT", "0"))   # item.issued frames the run will send

marks: dict[str, Any] = {"issue_requests": [], "pokes": [], "passes": [], "sends": [], "buffered": 0,
                         "frame_bytes": []}


def instrument() -> None:
    from aiohttp import web

    import webapp.app as appmod
    from hub.notify.feed import EventFeed
    from hub.services.items import ItemService
    from webapp.routes.realtime import SocketSink

    prof: dict[str, Any] = {}

    def start_profile() -> None:
        import cProfile
        prof["p"] = cProfile.Profile()
        prof["p"].enable()

    @web.middleware
    async def issue_timer(request: web.Request, handler: Any) -> Any:
        if request.method != "POST" or request.path != "/api/items":
            return await handler(request)
        t0 = time.time()
        if PROFILE and PROFILE_FROM == "request" and "p" not in prof:
            start_profile()
        marks["cpu_at_request"] = {"loop_thread": time.thread_time(), "process": time.process_time()}
        try:
            return await handler(request)
        finally:
            marks["issue_requests"].append({"arrived": t0, "answered": time.time()})

    orig_make_app = appmod.make_app

    def make_app(hub: Any) -> Any:
        app = orig_make_app(hub)
        app.middlewares.insert(0, issue_timer)
        return app

    appmod.make_app = make_app

    # the method that holds the transaction: issue_with_deliveries (ItemService.issue calls it), or, in
    # older copies of the code (--code), issue itself
    issue_name = "issue_with_deliveries" if hasattr(ItemService, "issue_with_deliveries") else "issue"
    orig_issue = getattr(ItemService, issue_name)

    async def issue(self: Any, *a: Any, **k: Any) -> Any:
        t0 = time.time()
        prof["in_issue"] = True
        try:
            result = await orig_issue(self, *a, **k)
        finally:
            prof["in_issue"] = False
        pokes = [t for t in marks["pokes"] if t >= t0]
        item = result[0] if isinstance(result, tuple) else result
        marks.setdefault("issues", []).append({"started": t0, "committed_poke": pokes[-1] if pokes else None,
                                               "returned": time.time(), "item_id": item.id})
        return result

    setattr(ItemService, issue_name, issue)

    orig_view = ItemService.view

    async def view(self: Any, *a: Any, **k: Any) -> Any:
        t0 = time.time()
        try:
            return await orig_view(self, *a, **k)
        finally:
            marks.setdefault("views", []).append({"started": t0, "ended": time.time()})

    ItemService.view = view  # type: ignore[method-assign]

    orig_encode = EventFeed._encode

    async def encode(self: Any, tx: Any, events: Any) -> Any:
        t0 = time.time()
        try:
            return await orig_encode(self, tx, events)
        finally:
            if events:
                marks.setdefault("encodes", []).append({"started": t0, "ended": time.time(), "events": len(events)})

    EventFeed._encode = encode  # type: ignore[method-assign]

    orig_poke = EventFeed.poke

    def poke(self: Any) -> None:
        marks["pokes"].append(time.time())
        if prof.get("in_issue"):
            marks["cpu_at_commit"] = {"loop_thread": time.thread_time(), "process": time.process_time()}
        if PROFILE and PROFILE_FROM == "commit" and "p" not in prof and prof.get("in_issue"):
            start_profile()
        orig_poke(self)

    EventFeed.poke = poke  # type: ignore[method-assign]

    orig_distribute = EventFeed.distribute

    async def distribute(self: Any) -> int:
        t0 = time.time()
        n = await orig_distribute(self)
        if n:
            marks["passes"].append({"started": t0, "ended": time.time(), "events": n})
        return n

    EventFeed.distribute = distribute  # type: ignore[method-assign]

    def sent(transport: Any, size: int) -> None:
        """An item.issued frame was handed to a connection."""
        marks["sends"].append(time.time())
        if not EXPECT or len(marks["sends"]) == EXPECT:     # CPU clocks cost ~1 us: read them once
            marks["cpu_at_last_send"] = {"loop_thread": time.thread_time(), "process": time.process_time()}
        if transport is not None and transport.get_write_buffer_size():
            marks["buffered"] += 1
        if not marks["frame_bytes"]:
            marks["frame_bytes"].append(size)

    orig_send_str = web.WebSocketResponse.send_str

    async def send_str(self: Any, data: str, compress: int | None = None) -> None:
        await orig_send_str(self, data, compress)
        if '"type":"item.issued"' in data[:80]:
            writer = getattr(self, "_writer", None)
            sent(getattr(writer, "transport", None), len(data.encode()))

    web.WebSocketResponse.send_str = send_str  # type: ignore[method-assign]

    orig_write_now = SocketSink.write_now

    def write_now(self: Any, frame_bytes: bytes) -> bool:
        accepted = orig_write_now(self, frame_bytes)
        if accepted and b'"type":"item.issued"' in frame_bytes[:90]:
            header = 2 if frame_bytes[1] < 126 else 4 if frame_bytes[1] == 126 else 10
            sent(self.transport, len(frame_bytes) - header)
        return accepted

    SocketSink.write_now = write_now  # type: ignore[method-assign]

    gc_started: list[float] = []

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[:] = [time.time()]
        elif gc_started:
            marks["gc"].append({"started": gc_started[0], "ended": time.time(), "generation": info["generation"]})
            del marks["gc"][:-200]      # only the recent ones matter (the burst)

    marks["gc"] = []
    gc.callbacks.append(gc_timer)

    def dump(*_: Any) -> None:
        if "p" in prof:
            prof["p"].disable()
            prof["p"].dump_stats(PROFILE)
            del prof["p"]
        sends = marks["sends"]
        out = {k: v for k, v in marks.items() if k not in ("sends", "pokes")}
        out["sends"] = {"count": len(sends), "first": min(sends) if sends else None,
                        "last": max(sends) if sends else None}
        tmp = OUT + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(out, f)
        os.replace(tmp, OUT)

    signal.signal(signal.SIGUSR1, dump)


if __name__ == "__main__":
    if OUT:
        instrument()
    from webapp.cli import main
    sys.exit(main(sys.argv[1:]))
