"""The deadlines of a road's steps on the one schedule: a reminder before the deadline, the lead's
leaders at it, the office after it, each exactly once (across a restart and two schedulers), and
none once the step is done. Real SQLite files, the fake clock; records made through the store."""

from __future__ import annotations

import asyncio
import os
import random
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from hub.app import Hub
from hub.domain.identity import Actor, Role
from hub.domain.incoming import INCOMING, Registration
from hub.domain.roads import StepKind, parse_road_ladder
from hub.services.roads import NewStep, apply_move, open_step

REPO = Path(__file__).resolve().parents[2]
RECORDS = 300        # tests/service/road_crash_worker.py makes as many


async def actor(hub: Hub, login: str) -> Actor:
    user = await hub.identity.user_by_login(login)
    return await hub.identity.actor(user.id, "127.0.0.1")


async def unit_id(hub: Hub, code: str) -> int:
    return next(u.id for u in await hub.identity.units() if u.code == code)


async def handling_record(hub: Hub, due_in: timedelta = timedelta(days=3), office: str = "BGS",
                          lead: str = "JYJ", title: str = "关于报送冬季安全生产检查情况的通知",
                          kind: StepKind = StepKind.HANDLE) -> tuple[int, int]:
    """A document the office registered and gave the lead unit to handle, due in `due_in`:
    (record id, the handling step's id)."""
    now = hub.clock.now()
    office_id, lead_id = await unit_id(hub, office), await unit_id(hub, lead)
    clerk = await hub.identity.user_by_login(f"{office.lower()}.clerk1")
    reg = Registration(from_unit="市应急管理局", title=title, urgency="urgent", received_on=date(2026, 11, 24))
    ladder = parse_road_ladder(hub.config.incoming.ladder)
    async with hub.store.write() as tx:
        seq = await tx.incoming.next_number(office_id, 2026)
        record_id = await tx.incoming.add(office_id, 2026, seq, reg, now + due_in, "handling", clerk.id, now)
        await tx.incoming.set_state(record_id, "handling", now, lead_unit_id=lead_id)
        step_id = await open_step(tx, now, "incoming", record_id,
                                  NewStep(kind, lead_id, Role.CLERK, due_at=now + due_in), ladder)
    return record_id, step_id


async def deadline_rows(hub: Hub, record_id: int) -> list[str]:
    async with hub.store.read() as tx:
        return [h.move for h in await tx.roads.history("incoming", record_id) if h.move.startswith("deadline.")]


async def texted(hub: Hub, record_id: int) -> dict[str, list[str]]:
    """rung -> the logins texted for it, read from the outbox by history row."""
    out: dict[str, list[str]] = {}
    async with hub.store.read() as tx:
        for h in await tx.roads.history("incoming", record_id):
            if not h.move.startswith("deadline."):
                continue
            async with tx.conn.execute(
                    "SELECT u.login FROM outbox o JOIN users u ON u.id = o.user_id"
                    " WHERE o.history_id = ? AND o.event_id IS NULL ORDER BY u.login", (h.id,)) as cur:
                out.setdefault(h.data["rung"], []).extend(r[0] for r in await cur.fetchall())
    return out


def watch_todo(hub: Hub) -> list[int]:
    """The units the scheduler told that their to-do lists changed (the feed is still told)."""
    told: list[int] = []
    real = hub.scheduler.roads._todo_changed

    def both(unit: int) -> None:
        told.append(unit)
        real(unit)
    hub.scheduler.roads._todo_changed = both
    return told


async def test_a_township_office_without_leaders_of_its_own_has_its_townships_leader_told(demo_hub):
    """东湖镇 gives its 经发办 (no leader of its own) a document to handle: at the deadline the leader rung
    texts 东湖镇's leader, the lead's leader the issue names; the office rung its clerks."""
    hub = demo_hub
    record_id, _ = await handling_record(hub, office="DHZ", lead="DHZJFB")     # due in three days
    hub.clock.advance(days=3)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == ["deadline.remind", "deadline.leader"]
    assert await texted(hub, record_id) == {"remind": ["dhzjfb.clerk"], "leader": ["dhz.leader"]}
    hub.clock.advance(days=1)
    await hub.scheduler.run_due()
    assert (await texted(hub, record_id))["office"] == ["dhz.clerk1", "dhz.clerk2"]


async def test_before_at_and_after_the_deadline_the_holders_their_leader_and_the_office_are_told_once(demo_hub):
    hub = demo_hub
    told = watch_todo(hub)
    record_id, _ = await handling_record(hub)
    hub.clock.advance(days=2, minutes=-1)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == []              # a minute before the reminder
    hub.clock.advance(minutes=1)
    await hub.scheduler.run_due()
    await hub.scheduler.run_due()                                 # a second pass does nothing more
    assert await deadline_rows(hub, record_id) == ["deadline.remind"]
    assert await texted(hub, record_id) == {"remind": ["jyj.clerk1", "jyj.clerk2"]}
    assert told == [await unit_id(hub, "JYJ")]
    hub.clock.advance(days=1)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == ["deadline.remind", "deadline.leader"]
    assert (await texted(hub, record_id))["leader"] == ["jyj.leader"]
    hub.clock.advance(days=1)
    await hub.scheduler.run_due()
    hub.clock.advance(days=5)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == ["deadline.remind", "deadline.leader", "deadline.office"]
    assert (await texted(hub, record_id))["office"] == ["bgs.clerk1", "bgs.clerk2"]
    assert set(told) == {await unit_id(hub, "JYJ"), await unit_id(hub, "BGS")}
    async with hub.store.read() as tx:
        rows = [h for h in await tx.roads.history("incoming", record_id) if h.move.startswith("deadline.")]
        async with tx.conn.execute("SELECT body FROM outbox WHERE history_id = ?", (rows[2].id,)) as cur:
            body = (await cur.fetchone())[0]
    assert all(h.actor_id is None and h.actor_name == "系统" for h in rows)
    assert body.startswith("【协同】超期提醒：示范区教育局收文《") and "承办" in body


async def test_a_restart_mid_way_runs_each_rung_once(demo_hub, config, clock):
    record_id, _ = await handling_record(demo_hub)
    clock.advance(days=2)
    await demo_hub.scheduler.run_due()
    await demo_hub.close()
    hub = await Hub.start(config, clock)                          # the hub stopped and came back
    try:
        assert await deadline_rows(hub, record_id) == ["deadline.remind"]
        clock.advance(days=3)                                     # both later rungs fell due while it was down
        await hub.scheduler.run_due()
        await hub.scheduler.run_due()
        assert await deadline_rows(hub, record_id) == ["deadline.remind", "deadline.leader", "deadline.office"]
        assert {k: len(v) for k, v in (await texted(hub, record_id)).items()} == {"remind": 2, "leader": 1,
                                                                                  "office": 2}
    finally:
        await hub.close()


async def test_two_schedulers_on_one_database_run_each_rung_once(demo_hub, config, clock):
    record_id, _ = await handling_record(demo_hub)
    other = await Hub.start(config, clock)                        # a second process on the same file
    try:
        clock.advance(days=5)
        await asyncio.gather(demo_hub.scheduler.run_due(), other.scheduler.run_due(),
                             demo_hub.scheduler.run_due())
        assert await deadline_rows(demo_hub, record_id) == ["deadline.remind", "deadline.leader",
                                                            "deadline.office"]
    finally:
        await other.close()


async def test_a_rung_that_ran_is_not_run_again_even_if_its_timer_comes_back(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    hub.clock.advance(days=2)
    await hub.scheduler.run_due()
    async with hub.store.write() as tx:                           # as if a crash had left the timer behind
        await tx.timers.add_for_road_step(hub.clock.now(), "road_remind", step_id, 0)
    await hub.scheduler.run_due()
    async with hub.store.read() as tx:
        assert await tx.timers.road_step_timers(step_id) != []    # the leader's and the office's rungs
        assert all(t.kind != "road_remind" for t in await tx.timers.road_step_timers(step_id))
    assert await deadline_rows(hub, record_id) == ["deadline.remind"]


async def test_a_step_done_before_its_deadline_is_never_chased_by_the_schedule(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    hub.clock.advance(days=1)
    lead_clerk = await actor(hub, "jyj.clerk1")
    async with hub.store.write() as tx:
        rec = await tx.incoming.get(record_id)
        await apply_move(tx, hub.clock.now(), lead_clerk, INCOMING, record_id, rec.unit_id, rec.state, "result",
                         note="已完成检查并报送。")
        assert await tx.timers.road_step_timers(step_id) == []   # done: its rungs came off the schedule
    hub.clock.advance(days=10)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == []


async def test_a_rung_finding_its_step_closed_does_nothing_but_record_that(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    async with hub.store.write() as tx:                           # closed, its timers (wrongly) left
        await tx.roads.finish_step(step_id, "cancelled", hub.clock.now())
    hub.clock.advance(days=10)
    assert await hub.scheduler.run_due() == 3
    assert await deadline_rows(hub, record_id) == []
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT kind, applied FROM road_timers_run WHERE road_step_id = ? ORDER BY kind", (step_id,)) as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("road_leader", 0), ("road_office", 0),
                                                             ("road_remind", 0)]


async def test_a_rung_of_a_step_held_by_one_person_texts_that_person(demo_hub):
    hub = demo_hub
    record_id, _ = await handling_record(hub)
    reader = await hub.identity.user_by_login("bgs.leader")
    now = hub.clock.now()
    async with hub.store.write() as tx:
        await open_step(tx, now, "incoming", record_id,
                        NewStep(StepKind.READ, reader.unit_id, None, user_id=reader.id, due_at=now + timedelta(hours=5)),
                        parse_road_ladder("remind@-1h"))
    hub.clock.advance(hours=4)
    await hub.scheduler.run_due()
    assert await texted(hub, record_id) == {"remind": ["bgs.leader"]}


async def sleeps_until(hub, due) -> bool:
    """Whether the scheduler comes to wait for `due`. It may pass through idle more than once on
    the way (on PostgreSQL it also looks every heartbeat): up to 20 idle moments, 10 s each."""
    for _ in range(20):
        await asyncio.wait_for(hub.scheduler.idle.wait(), timeout=10)
        if hub.scheduler.sleeping_until == due:
            return True
        hub.scheduler.idle.clear()
    return False


async def test_the_running_scheduler_sees_the_rungs_a_move_puts_on_the_schedule(demo_hub):
    hub = demo_hub
    record_id, _ = await handling_record(hub)                     # its first rung: in two days
    hub.run_background()
    assert await sleeps_until(hub, hub.clock.now() + timedelta(days=2))
    hub.scheduler.idle.clear()
    office = await actor(hub, "bgs.clerk1")
    await hub.supervision.supervise(office, "incoming", record_id, 1, "每天报送")   # its leader rung: tomorrow
    assert await sleeps_until(hub, hub.clock.now() + timedelta(days=1))
    hub.scheduler.idle.clear()
    hub.clock.advance(days=1)
    await asyncio.wait_for(hub.scheduler.idle.wait(), timeout=10)
    async with hub.store.read() as tx:
        rows = [(h.move, (await tx.roads.step(h.step_id)).kind) for h in await tx.roads.history("incoming", record_id)
                if h.move.startswith("deadline.")]
    assert rows == [("deadline.leader", "progress")]


def test_sigkilled_runs_run_each_rung_once_and_none_after_the_step_is_done(demo_template, tmp_path):
    """The road's rungs across SIGKILLs (tests/service/road_crash_worker.py), checked with plain sqlite3."""
    db = tmp_path / "roads.db"
    shutil.copy(demo_template, db)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    rng = random.Random(20261203)

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "tests.service.road_crash_worker", str(db), "7"], cwd=REPO,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    def made() -> int:
        conn = sqlite3.connect(db, timeout=30)
        try:
            return int(conn.execute("SELECT count(*) FROM incoming").fetchone()[0])
        finally:
            conn.close()
    # killed once it has made a few more records than a point drawn at random, so that every kill
    # lands in the middle of the work however fast the machine is (a time drawn at random let a fast
    # run finish before the last kill)
    for target in sorted(rng.sample(range(20, RECORDS - 30), 6)):
        proc = spawn()
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 20)     # a child process's start: real time
        assert ready and proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 60
        while made() < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)                                      # watching another process: real time
        proc.kill()                                                # SIGKILL, wherever it is
        proc.wait()
        proc.stdout.close()
    assert not (tmp_path / "DONE").exists(), "the worker finished before the last kill"
    proc = spawn()
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.split() == [b"ready", b"done"]

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        steps = dict(conn.execute("SELECT id, state FROM road_steps WHERE kind = 'handle'"))
        assert len(steps) == RECORDS
        assert conn.execute("SELECT count(*) FROM timers WHERE road_step_id IS NOT NULL").fetchone() == (0,)
        runs = conn.execute("SELECT road_step_id, kind, applied FROM road_timers_run").fetchall()
        rows = conn.execute("SELECT id, step_id, move FROM road_history WHERE move LIKE 'deadline.%'").fetchall()
        # each rung of a step ran at most once, and had its history row exactly when it applied
        assert len({(s, k) for s, k, _ in runs}) == len(runs)
        applied = sorted((s, k.removeprefix("road_")) for s, k, a in runs if a)
        assert sorted((s, m.removeprefix("deadline.")) for _, s, m in rows) == applied
        # a step still open at the end had all three rungs; a finished one none after it was done
        for step_id, state in steps.items():
            rungs = {m for _, s, m in rows if s == step_id}
            if state == "open":
                assert rungs == {"deadline.remind", "deadline.leader", "deadline.office"}, step_id
        done = conn.execute("SELECT s.id, s.done_at, h.at FROM road_steps s JOIN road_history h ON h.step_id = s.id"
                            " WHERE s.state = 'done' AND h.move LIKE 'deadline.%'").fetchall()
        assert all(at <= done_at for _, done_at, at in done)      # (a rung at the same instant ran first)
        assert any(state == "done" for state in steps.values())
        # and each applied rung texted its people once: the lead's two clerks, its leader, the office's two
        per = dict(conn.execute("SELECT h.move, count(*) * 1.0 / count(DISTINCT h.id) FROM road_history h"
                                " JOIN outbox o ON o.history_id = h.id WHERE h.move LIKE 'deadline.%' GROUP BY h.move"))
        assert per == {"deadline.remind": 2.0, "deadline.leader": 1.0, "deadline.office": 2.0}
    finally:
        conn.close()
