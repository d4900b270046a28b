"""The process the crash test kills: a scripted run of issues, sign-fors and due steps.

    python -m tests.service.crash_worker DB JOURNAL SEED

It opens DB (a copy of the demo organisation) with a fake clock and plays
rounds until the database holds ROUNDS items: each round issues one 特急 item
to one to three townships/departments, lets some clerks open what they were
sent, signs for some open deliveries, moves the clock on a few minutes and
runs every due ladder step. Then it moves the clock past every window, runs
the last steps and writes `DONE` (next to the journal) with the final time.

It can be SIGKILLed anywhere and started again: everything it needs to go on
is in the database. The round number is the number of items issued; the clock
starts again at the latest time the database recorded (so it never runs
backwards past a committed change); the choices of a round come from
Random(SEED, round). After each `acknowledge` returns (committed), it appends
"ack <delivery id>" to JOURNAL and fsyncs it, so the journal is a lower bound
of the sign-fors that committed.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.app import Hub
from hub.clock import FakeClock, parse_utc, utc_iso
from hub.config import Config
from hub.domain.identity import Actor
from hub.domain.items import ItemDraft, ItemKind, Urgency

ROUNDS = 400                      # items issued in a whole run
RECIPIENTS = ["DHZ", "XSZ", "NQZ", "JYJ", "WJJ"]
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
FINAL_ADVANCE = timedelta(hours=3)   # well past every 特急 window (30 minutes)


def make_config(db_path: Path) -> Config:
    """As tests/conftest.make_config (kept here so the worker does not import pytest)."""
    return Config().with_overrides(
        store={"path": str(db_path), "readers": 2},
        passwords={"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1})


def restored_now(db_path: Path) -> datetime:
    """The latest business time the database recorded: the fake clock goes on from there."""
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT max(t) FROM (SELECT max(at) AS t FROM events UNION ALL SELECT max(ran_at) FROM steps_run"
            " UNION ALL SELECT max(at) FROM audit_log)").fetchone()
    finally:
        conn.close()
    return max(START, parse_utc(row[0])) if row and row[0] else START


class Journal:
    """Append-only "ack <id>" lines, each fsynced before the worker moves on."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        data = os.pread(self.fd, os.fstat(self.fd).st_size, 0)
        if data and not data.endswith(b"\n"):          # killed in the middle of a line
            os.ftruncate(self.fd, data.rfind(b"\n") + 1)
            os.fsync(self.fd)

    def ack(self, delivery_id: int) -> None:
        os.write(self.fd, f"ack {delivery_id}\n".encode())
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


async def run(db_path: Path, journal_path: Path, seed: int) -> None:
    clock = FakeClock(restored_now(db_path))
    hub = await Hub.start(make_config(db_path), clock, create=False)
    journal = Journal(journal_path)
    try:
        by_code = {u.code: u.id for u in await hub.identity.units()}
        code_of = {v: k for k, v in by_code.items()}
        actors: dict[str, Actor] = {}

        async def as_(login: str) -> Actor:
            if login not in actors:
                user = await hub.identity.user_by_login(login)
                actors[login] = await hub.identity.actor(user.id, "127.0.0.1")
            return actors[login]

        sender = await as_("bgs.clerk1")
        print("ready", flush=True)
        # what was overdue when the last run died runs first
        await hub.scheduler.run_due()

        while True:
            async with hub.store.read() as tx:
                issued = await tx.items.count()
            if issued >= ROUNDS:
                break
            rng = random.Random(f"{seed}:{issued}")
            codes = rng.sample(RECIPIENTS, rng.randint(1, 3))
            item = await hub.items.issue(sender, ItemDraft(
                kind=ItemKind.DOCUMENT, urgency=Urgency.EXTRA_URGENT, title=f"关于第{issued + 1}号紧急事项的通知",
                body="各单位：请立即部署。", main_units=tuple(by_code[c] for c in codes)))
            async with hub.store.read() as tx:
                fresh = await tx.deliveries.for_item(item.id)
            for d in fresh:                                  # some clerks open it at once
                if rng.random() < 0.4:
                    await hub.items.view(await as_(f"{code_of[d.unit_id].lower()}.clerk{rng.randint(1, 2)}"),
                                         item.id)
            clock.advance(minutes=rng.randint(0, 3))
            async with hub.store.read() as tx:
                rows = await (await tx.conn.execute(
                    "SELECT id, unit_id FROM deliveries WHERE state IN ('pending', 'read') ORDER BY id")).fetchall()
            for delivery_id, unit_id in rows:
                if rng.random() < 0.3:
                    clerk = await as_(f"{code_of[unit_id].lower()}.clerk{rng.randint(1, 2)}")
                    await hub.items.acknowledge(clerk, delivery_id)
                    journal.ack(delivery_id)                 # only once the sign-for has committed
            clock.advance(minutes=rng.randint(1, 9))
            await hub.scheduler.run_due()

        clock.advance(FINAL_ADVANCE)
        await hub.scheduler.run_due()
        done = journal_path.with_name("DONE")
        tmp = done.with_name("DONE.part")
        tmp.write_text(utc_iso(clock.now()))
        os.replace(tmp, done)
        print("done", flush=True)
    finally:
        journal.close()
        await hub.close()


def main(argv: list[str]) -> None:
    db, journal, seed = argv
    asyncio.run(run(Path(db), Path(journal), int(seed)))


if __name__ == "__main__":
    main(sys.argv[1:])
