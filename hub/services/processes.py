"""This process among the hub processes sharing one PostgreSQL database.

Each process registers when it starts and heartbeats every `[cluster] heartbeat_seconds` (on the
hub's clock: keep the machines in NTP). One not seen for `[cluster] dead_after_seconds` is dead:
the first live process to notice takes its work over, once (a conditional UPDATE inside the
one-at-a-time write transaction decides who): its SMS still waiting for a gateway answer are looked
up at the gateway now and sent again only if the gateway never got them (hub/notify/sms.py). Its
escalation steps need no taking over: a step is claimed only inside the transaction that runs it,
which PostgreSQL rolls back when the process's connection dies, and every process's scheduler wakes
for the steps due (hub/services/escalation.py).

On SQLite there is one process by construction: nothing is registered, and every message is this
process's own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta

from hub.clock import Clock
from hub.config import Config
from hub.notify.worker import Worker
from hub.store import Store

log = logging.getLogger(__name__)


class ProcessRegistry:
    def __init__(self, store: Store, clock: Clock, config: Config,
                 on_taken_over: Callable[[], None] = lambda: None) -> None:
        self.store, self.clock = store, clock
        self.heartbeat_seconds = config.cluster.heartbeat_seconds
        self.dead_after = timedelta(seconds=config.cluster.dead_after_seconds)
        self.shared = store.dialect == "postgresql"
        self.id: int | None = None          # this process's row (None on SQLite)
        self._others: dict[int, float] = {}   # live others: id -> seconds since seen
        self._on_taken_over = on_taken_over
        self._worker = Worker("xietong-processes", self._loop)
        self.taken_over = 0                  # dead processes whose work this one took over
        self._beating = asyncio.Lock()

    async def register(self) -> None:
        if not self.shared or self.id is not None:
            return
        async with self.store.write() as tx:
            self.id = await tx.processes.register(socket.gethostname(), os.getpid(), self.clock.now())
        log.info("hub process %s registered", self.id)

    async def ready(self) -> None:
        """Registered, and the live others known (the SMS sender's first look-ups leave theirs alone).
        Only a serving process registers (`Hub.run_background`), not a command-line tool's hub."""
        if self.shared and self.id is None:
            await self.beat()

    def live_others(self) -> list[int]:
        """The other processes seen alive at the latest heartbeat (their SMS in flight are theirs)."""
        return sorted(self._others)

    @property
    def live(self) -> int:
        """Processes alive, this one included."""
        return 1 + len(self._others)

    def seen_seconds(self) -> dict[int, float]:
        """Seconds since each live process was seen (this one: 0), for /metrics."""
        return {**self._others, **({self.id: 0.0} if self.id is not None else {})}

    def start(self) -> None:
        if self.shared:
            self._worker.start()

    async def stop(self) -> None:
        """Stop heartbeating and say so: the others need not wait `dead_after` to know nothing of
        this process's is in flight (its SMS sender has stopped before)."""
        await self._worker.stop()
        if self.id is not None:
            try:
                async with self.store.write() as tx:
                    await tx.processes.stopped(self.id, self.clock.now())
            except Exception:
                log.exception("could not record that hub process %s stopped", self.id)

    async def _loop(self) -> None:
        while True:
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("heartbeat failed; trying again")
            await asyncio.sleep(self.heartbeat_seconds)     # real time: a heartbeat paces I/O

    async def beat(self) -> int:
        """One heartbeat: say this process is alive, see who else is, take over the dead. Returns how
        many dead processes it took over."""
        if not self.shared:
            return 0
        async with self._beating:      # the loop's first beat and `ready` may come at once
            return await self._beat()

    async def _beat(self) -> int:
        await self.register()
        assert self.id is not None
        now = self.clock.now()
        taken = 0
        async with self.store.write() as tx:
            await tx.processes.heartbeat(self.id, now)
            others: dict[int, float] = {}
            for p in await tx.processes.running():
                if p.id == self.id:
                    continue
                if now - p.seen_at <= self.dead_after:
                    others[p.id] = max(0.0, (now - p.seen_at).total_seconds())
                elif await tx.processes.take_over(p.id, self.id, now):
                    log.warning("hub process %s (%s pid %s) not seen since %s: taking over its SMS in flight",
                                p.id, p.host, p.pid, p.seen_at.isoformat())
                    taken += 1
        self._others = others
        if taken:
            self.taken_over += taken
            self._on_taken_over()
        return taken


def process_series(seen: dict[int, float]) -> str:
    """The live processes for /metrics: seconds since each was seen (empty on SQLite: one process)."""
    if not seen:
        return ""
    lines = ["# HELP xietong_hub_process_seen_seconds Seconds since each live hub process on the database"
             " was seen, at this process's latest heartbeat (this process: 0).",
             "# TYPE xietong_hub_process_seen_seconds gauge"]
    lines += [f'xietong_hub_process_seen_seconds{{process="{pid}"}} {secs:.1f}' for pid, secs in sorted(seen.items())]
    return "\n".join(lines) + "\n"
