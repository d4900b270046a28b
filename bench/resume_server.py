"""`xietong serve` with optional WHAT-IF patches, for bench/resume.py --patch (product code unchanged).

    BENCH_PATCHES=replay_slots=2,fast_parse_utc python bench/resume_server.py serve --port P

Runs the real `webapp.cli.main(["serve", ...])`. Without BENCH_PATCHES it is exactly `xietong serve`.
Each patch models a proposal so that its effect can be measured before anyone changes the product:

* replay_slots=N   at most N replays (EventFeed.replay) run at once, the rest wait in line (FIFO);
                   handshakes and hellos are not held back, so the reader connections stay
                   free for authentication (hub.notify.feed.REPLAY_SLOTS, now in the product, is
                   set to N; replay_slots=100000 gives the behaviour before that change);
* fast_parse_utc   hub.clock.parse_utc with datetime.fromisoformat instead of strptime (same result
                   for the storage form YYYY-MM-DDTHH:MM:SS.ffffffZ);
* backlog=N        the listening socket's accept backlog (aiohttp's default is 128);
* quiet_gone       a client that hung up before the upgrade is not logged as an unhandled error.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def patches() -> dict[str, str]:
    out = {}
    for part in os.environ.get("BENCH_PATCHES", "").split(","):
        if part.strip():
            k, _, v = part.strip().partition("=")
            out[k] = v
    return out


def apply(p: dict[str, str]) -> None:
    if "replay_slots" in p:
        from hub.notify import feed
        if hasattr(feed, "REPLAY_SLOTS"):        # the product limits replays itself: change its limit
            feed.REPLAY_SLOTS = int(p["replay_slots"])
        else:
            from hub.notify.feed import EventFeed
            slots = asyncio.Semaphore(int(p["replay_slots"]))     # bound to the serving loop at first use
            original = EventFeed.replay

            async def replay(self: Any, sub: Any, since: int, upto: int | None = None) -> Any:
                async with slots:
                    return await original(self, sub, since, upto)
            EventFeed.replay = replay  # type: ignore[method-assign]

    if "fast_parse_utc" in p:
        import hub.clock
        import hub.store.identity
        import hub.store.items

        def parse_utc(text: str) -> datetime:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        for mod in (hub.clock, hub.store.items, hub.store.identity):
            if hasattr(mod, "parse_utc"):
                mod.parse_utc = parse_utc  # type: ignore[attr-defined]

    if "backlog" in p:
        from aiohttp import web
        original_init = web.TCPSite.__init__
        backlog = int(p["backlog"])

        def init(self: Any, *a: Any, **kw: Any) -> None:
            kw["backlog"] = backlog
            original_init(self, *a, **kw)
        web.TCPSite.__init__ = init  # type: ignore[method-assign]

    if "quiet_gone" in p:
        import logging

        class DropGone(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                exc = record.exc_info[1] if record.exc_info else None
                return not isinstance(exc, ConnectionResetError)
        logging.getLogger("webapp.middleware").addFilter(DropGone())


if __name__ == "__main__":
    apply(patches())
    from webapp.cli import main
    sys.exit(main(sys.argv[1:]))
