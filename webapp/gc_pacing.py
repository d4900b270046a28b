"""Full garbage collections after a storm of new connections, not in the middle of a fan-out.

Each open websocket holds objects that CPython's cyclic garbage collector tracks. CPython runs a
full collection once the objects that survived since the last one exceed a quarter of all
long-lived ones; after thousands of phones (re)connect, that happens at the next burst of
allocation - typically the urgent item issued to all of them - and the loop stops for as long as
the scan takes (a 246 ms pause at 5,000 connections, seen in bench/fanout.py's timeline, between
the issue request and its commit). So when at least AFTER_CONNECTIONS connections were opened
since the last full collection and none in the last CHECK_SECONDS (the storm is over), the hub
collects at once, at a moment of its choosing, and the next urgent item finds little to collect.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

log = logging.getLogger(__name__)

AFTER_CONNECTIONS = 500
CHECK_SECONDS = 0.5


class GcPacer:
    def __init__(self, after_connections: int = AFTER_CONNECTIONS) -> None:
        self.after_connections = after_connections
        self.opened = 0              # connections opened since the last full collection
        self._seen = 0               # ... as counted at the last check
        self.collections = 0

    def connection_opened(self) -> None:
        self.opened += 1

    def check(self) -> bool:
        """Collect now if a storm of new connections is over; True if it did."""
        storm_over = self.opened == self._seen
        self._seen = self.opened
        if self.opened < self.after_connections or not storm_over:
            return False
        started = time.perf_counter()
        gc.collect()
        self.opened = self._seen = 0
        self.collections += 1
        log.info("full garbage collection after a storm of new connections: %.0f ms",
                 (time.perf_counter() - started) * 1000)
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)       # housekeeping, not a business deadline
            self.check()


GC_PACER = web.AppKey("gc_pacer", GcPacer)


async def _running(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.get_running_loop().create_task(app[GC_PACER].run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup(app: web.Application) -> None:
    app[GC_PACER] = GcPacer()
    app.cleanup_ctx.append(_running)
