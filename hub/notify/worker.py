"""The one way a background task of the hub runs, waits and stops.

The scheduler, the realtime feed and the SMS sender each run as a `Worker`:
a named task that is started once, cancelled on stop, and that waits between
passes with `wait_for_work` — until it is poked (new work was committed), the
injected clock reaches a due time, or (for I/O polling only) some real seconds
pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from hub.clock import Clock


class Worker:
    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name, self._run = name, run
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


async def wait_for_work(poked: asyncio.Event, clock: Clock, until: datetime | None = None,
                        poll_seconds: float | None = None) -> None:
    """Return when `poked` is set, when the clock reaches `until`, or after `poll_seconds` of real time."""
    waits: list[asyncio.Future[object]] = [asyncio.ensure_future(poked.wait())]
    if until is not None:
        waits.append(asyncio.ensure_future(clock.sleep_until(until)))
    try:
        await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
