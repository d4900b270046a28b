"""The process the road-deadline crash test kills: received documents handed to a lead with a deadline,
the fake clock moved on, the due deadline rungs run; some leads finish before their deadline.

    python -m tests.service.road_crash_worker DB SEED

It can be SIGKILLed anywhere and started again: what it needs is in the database (the number of
records made so far; the clock goes on from the latest time the database recorded). At the end it
moves the clock past every rung, runs them and writes DONE next to DB.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

from hub.app import Hub
from hub.clock import FakeClock, parse_utc
from hub.domain.incoming import INCOMING
from tests.service.crash_worker import START, make_config
from tests.service.test_road_deadlines import actor, handling_record

RECORDS = 300


def restored_now(db_path: Path) -> object:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT max(t) FROM (SELECT max(opened_at) AS t FROM road_steps UNION ALL SELECT max(ran_at)"
            " FROM road_timers_run UNION ALL SELECT max(at) FROM road_history)").fetchone()
    finally:
        conn.close()
    return max(START, parse_utc(row[0])) if row and row[0] else START


async def run(db_path: Path, seed: int) -> None:
    clock = FakeClock(restored_now(db_path))    # type: ignore[arg-type]
    hub = await Hub.start(make_config(db_path), clock)
    print("ready", flush=True)
    try:
        lead = await actor(hub, "jyj.clerk1")
        while True:
            async with hub.store.read() as tx, tx.conn.execute("SELECT count(*) FROM incoming") as cur:
                made = (await cur.fetchone())[0]
            if made >= RECORDS:
                break
            rng = random.Random(seed * 1000 + made)
            await handling_record(hub, due_in=timedelta(hours=rng.randint(30, 70)), title=f"压力测试收文{made + 1}")
            if rng.random() < 0.25:                  # the oldest open one is finished (before or after its deadline)
                async with hub.store.read() as tx, tx.conn.execute(
                        "SELECT record_id FROM road_steps WHERE kind = 'handle' AND state = 'open'"
                        " ORDER BY id LIMIT 1") as cur:
                    row = await cur.fetchone()
                if row:
                    await _result(hub, lead, row[0])
            clock.advance(hours=rng.randint(1, 8))
            await hub.scheduler.run_due()
        clock.advance(days=6)
        await hub.scheduler.run_due()
        await hub.scheduler.run_due()
        (db_path.parent / "DONE").write_text(clock.now().isoformat())
        print("done", flush=True)
    finally:
        await hub.close()


async def _result(hub: Hub, lead: object, record_id: int) -> None:
    from hub.services.roads import apply_move
    async with hub.store.write() as tx:
        rec = await tx.incoming.get(record_id)
        assert rec is not None
        await apply_move(tx, hub.clock.now(), lead, INCOMING, record_id, rec.unit_id, rec.state,  # type: ignore[arg-type]
                         "result", note="已办结。")
        await tx.incoming.set_state(record_id, "handled", hub.clock.now())


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]), int(sys.argv[2])))
