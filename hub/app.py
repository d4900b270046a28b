"""The composition root: builds the clock, store and services from config."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.calendar_source import china_calendar
from hub.clock import Clock, FakeClock, SystemClock
from hub.config import Config
from hub.crypto.passwords import PasswordHasher
from hub.domain.calendar import WorkCalendar
from hub.notify.feed import EventFeed
from hub.services.duty import DutyDeskService
from hub.services.escalation import Scheduler
from hub.services.identity import IdentityService
from hub.services.items import ItemService
from hub.services.stats import StatsService
from hub.store import Store

log = logging.getLogger(__name__)


def make_clock(config: Config) -> Clock:
    if not config.clock.fake:
        return SystemClock()
    start = datetime.fromisoformat(config.clock.fake_start) if config.clock.fake_start else None
    return FakeClock(start or SystemClock().now())


@dataclass
class Hub:
    config: Config
    clock: Clock
    store: Store
    hasher: PasswordHasher
    calendar: WorkCalendar
    identity: IdentityService
    items: ItemService
    duty: DutyDeskService
    stats: StatsService
    scheduler: Scheduler
    feed: EventFeed

    @classmethod
    async def start(cls, config: Config, clock: Clock | None = None, create: bool = True) -> "Hub":
        """Open the store and build the services; background work starts with `run_background`."""
        clock = clock or make_clock(config)
        store = await Store.open(config.store.path, readers=config.store.readers,
                                 synchronous=config.store.synchronous, create=create)
        p = config.passwords
        hasher = PasswordHasher(p.argon2_time_cost, p.argon2_memory_kib, p.argon2_parallelism)
        c = config.calendar
        calendar = china_calendar(c.extra_holidays.replace(",", " ").split(),
                                  c.extra_workdays.replace(",", " ").split(), config.windows.working_hours)
        r = config.realtime
        feed = EventFeed(store, clock, timedelta(days=r.retention_days), r.queue_frames, r.poll_ms / 1000)
        scheduler = Scheduler(store, clock, on_ran=lambda _n: feed.poke())
        return cls(config=config, clock=clock, store=store, hasher=hasher, calendar=calendar,
                   identity=IdentityService(store, clock, config, hasher),
                   items=ItemService(store, clock, config, calendar, scheduler.wake, feed.poke),
                   duty=DutyDeskService(store, clock, config, feed.poke),
                   stats=StatsService(store, clock), scheduler=scheduler, feed=feed)

    def run_background(self) -> None:
        """Start the escalation scheduler (which first runs every step overdue since the last stop)
        and the realtime feed."""
        self.scheduler.start()
        self.feed.start()

    async def close(self) -> None:
        await self.feed.stop()
        await self.scheduler.stop()
        await self.store.close()
