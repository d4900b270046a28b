"""The one clock. Business time is read here and nowhere else.

`SystemClock` reads the wall clock; `FakeClock` is moved by tests (and by the
test-only control endpoint when a server runs with a fake clock). Both expose
`sleep_until`, so a scheduler waiting for a deadline wakes when a fake clock
is advanced past it, without any test sleeping.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    async def sleep_until(self, when: datetime) -> None:
        """Return at `when` or a little after; may return early if woken."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, for measuring durations."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
        self._waiters: list[asyncio.Future[None]] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._now.timestamp()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = when
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.set(self._now + (delta if delta is not None else timedelta(**kwargs)))
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        while self._now < when:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            await fut


def utc_iso(when: datetime) -> str:
    """The storage form of a time: ISO 8601 UTC with microseconds, sortable as text."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """The inverse of `utc_iso` (fromisoformat: about 100 times cheaper than strptime)."""
    return datetime.fromisoformat(text)
