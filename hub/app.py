"""The composition root: builds the clock, store and services from config."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock, FakeClock, SystemClock
from hub.config import Config
from hub.crypto.passwords import PasswordHasher
from hub.services.identity import IdentityService
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
    identity: IdentityService

    @classmethod
    async def start(cls, config: Config, clock: Clock | None = None, create: bool = True) -> "Hub":
        clock = clock or make_clock(config)
        store = await Store.open(config.store.path, readers=config.store.readers,
                                 synchronous=config.store.synchronous, create=create)
        p = config.passwords
        hasher = PasswordHasher(p.argon2_time_cost, p.argon2_memory_kib, p.argon2_parallelism)
        return cls(config=config, clock=clock, store=store, hasher=hasher,
                   identity=IdentityService(store, clock, config, hasher))

    async def close(self) -> None:
        await self.store.close()
