"""Crash recovery: a worker is SIGKILLed at random points of a scripted run, restarted, and
the final state loses no sign-for and runs no ladder step twice.

The worker (tests/service/crash_worker.py) issues 特急 items, signs for some
deliveries (journalling each sign-for only after it committed), moves a fake
clock and runs the due steps. This test kills it eleven times, at delays drawn
from a fixed seed (the waits are for a child process to get some work done,
not for business time), then lets it finish and checks the database with
plain sqlite3.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from hub.clock import parse_utc
from hub.domain.audit import check_chain
from hub.store.audit import AuditRow
from tests.service.crash_worker import ROUNDS

REPO = Path(__file__).resolve().parents[2]
SEED = 20261124
KILLS = 11
STARTUP_KILLS = {3, 8}          # these kills land while the worker is still starting (or recovering)
MIN_MID_RUN_KILLS = 8           # kills that must hit a worker busy with the script
READY_TIMEOUT = 10.0
FINAL_TIMEOUT = 25.0


def spawn(db: Path, journal: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with log.open("ab") as err:
        return subprocess.Popen([sys.executable, "-m", "tests.service.crash_worker", str(db), str(journal), str(SEED)],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err)


def wait_ready(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """True once the worker said "ready" (its hub is open and it starts working)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return bool(ready) and proc.stdout.readline().strip() == b"ready"


def items_issued(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        conn.close()


def journalled_acks(journal: Path) -> set[int]:
    text = journal.read_text() if journal.exists() else ""
    lines = text.split("\n")[:-1]            # an unterminated last line was never fsynced whole
    assert all(line.startswith("ack ") for line in lines), lines
    return {int(line.split()[1]) for line in lines}


def test_sigkilled_runs_lose_no_sign_for_and_run_no_step_twice(demo_template: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    db, journal, done, log = tmp_path / "crash.db", tmp_path / "journal", tmp_path / "DONE", tmp_path / "worker.log"
    shutil.copy(demo_template, db)
    rng = random.Random(SEED)

    mid_run_kills, progress = 0, []
    for n in range(KILLS):
        proc = spawn(db, journal, log)
        try:
            if n in STARTUP_KILLS:
                time.sleep(rng.uniform(0.02, 0.25))
                busy = False
            else:
                assert wait_ready(proc, READY_TIMEOUT), f"worker {n} never got ready: {log.read_text()[-2000:]}"
                time.sleep(rng.uniform(0.05, 0.5))
                busy = True
            still_running = proc.poll() is None
        finally:
            proc.kill()                                           # SIGKILL
            proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
        assert proc.returncode in (-signal.SIGKILL, 0), f"worker {n} failed: {log.read_text()[-2000:]}"
        if busy and still_running and not done.exists():
            mid_run_kills += 1
        progress.append(items_issued(db))

    assert mid_run_kills >= MIN_MID_RUN_KILLS, (mid_run_kills, progress)
    assert progress[-1] < ROUNDS, "the worker finished before the last kill: the kills proved little"
    assert len(set(progress)) >= KILLS // 2, f"kills did not land at different points: {progress}"

    proc = spawn(db, journal, log)                               # the last run, left to finish
    try:
        out, _ = proc.communicate(timeout=FINAL_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-4000:]
    assert out.split() == [b"ready", b"done"] and done.exists()
    final_now = done.read_text().strip()

    acks = journalled_acks(journal)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == ROUNDS
        deliveries = {r[0]: r[1:] for r in conn.execute(
            "SELECT id, state, acked_at, receipt_no FROM deliveries")}
        assert len(acks) > 50 and len(acks) < len(deliveries)

        # (1) no sign-for that returned (and so was journalled) is lost
        lost = [d for d in sorted(acks) if d not in deliveries or deliveries[d][0] != "acked"
                or not deliveries[d][1] or not deliveries[d][2]]
        assert lost == [], f"signed-for deliveries lost: {lost}"
        acked = {d for d, (state, _, _) in deliveries.items() if state == "acked"}
        assert acks <= acked
        # ...and each sign-for happened once: one event pair, one audit row, per acked delivery
        for etype in ("item.acked", "receipt"):
            per = Counter(r[0] for r in conn.execute("SELECT delivery_id FROM events WHERE type = ?", (etype,)))
            assert set(per) == acked and set(per.values()) == {1}, etype
        audited = Counter(r[0] for r in conn.execute(
            "SELECT target FROM audit_log WHERE action = 'delivery.ack'"))
        assert audited == Counter(f"delivery:{d}" for d in acked)

        # (2) no (delivery, step) ran twice, and each applied step has exactly one escalation
        escalated = Counter(conn.execute(
            "SELECT delivery_id, json_extract(data, '$.step') FROM events WHERE type = 'item.escalated'"))
        twice = {k: n for k, n in escalated.items() if n > 1}
        assert twice == {}, f"steps run twice: {twice}"
        ran = {(d, s): a for d, s, a in conn.execute(
            "SELECT delivery_id, step, applied FROM steps_run WHERE kind = 'step'")}
        applied = {k for k, a in ran.items() if a}
        assert set(escalated) == applied
        assert len(applied) > 50 and len(ran) > len(applied)   # both kinds of step were exercised
        # every escalation's SMS came with it (and only with it)
        sms_events = {r[0] for r in conn.execute(
            "SELECT DISTINCT o.event_id FROM outbox o JOIN events e ON e.id = o.event_id"
            " WHERE e.type = 'item.escalated'")}
        escalation_events = {r[0] for r in conn.execute("SELECT id FROM events WHERE type = 'item.escalated'")}
        assert sms_events == escalation_events

        # (3) nothing escalated a delivery after it was signed for
        late = conn.execute(
            "SELECT e.delivery_id, e.at, d.acked_at FROM events e JOIN deliveries d ON d.id = e.delivery_id"
            " WHERE e.type = 'item.escalated' AND d.state = 'acked' AND e.at > d.acked_at").fetchall()
        assert late == []
        late_runs = conn.execute(
            "SELECT s.delivery_id, s.step FROM steps_run s JOIN deliveries d ON d.id = s.delivery_id"
            " WHERE s.applied = 1 AND d.state = 'acked' AND s.ran_at > d.acked_at").fetchall()
        assert late_runs == []

        # (4) no timer is left for a signed-for delivery
        assert conn.execute(
            "SELECT count(*) FROM timers t JOIN deliveries d ON d.id = t.delivery_id"
            " WHERE d.state = 'acked'").fetchone()[0] == 0

        # (7) with the clock past every window, every due step ran
        assert conn.execute("SELECT count(*) FROM timers WHERE due_at <= ?", (final_now,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM timers").fetchone()[0] == 0
        for delivery_id, ladder in conn.execute(
                "SELECT d.id, i.ladder FROM deliveries d JOIN items i ON i.id = d.item_id"
                " WHERE d.state IN ('pending', 'read')"):
            steps = json.loads(ladder)
            assert all(datetime.fromisoformat(s["due_at"]) <= parse_utc(final_now) for s in steps)
            assert {s for d, s in ran if d == delivery_id} == set(range(len(steps))), delivery_id

        # (6) the audit chain is whole
        conn.row_factory = sqlite3.Row
        rows = [AuditRow(r["id"], r["at"], r["actor_id"], r["actor_login"], r["ip"], r["action"], r["target"],
                         r["detail"], r["prev_hash"], r["hash"])
                for r in conn.execute("SELECT * FROM audit_log ORDER BY id")]
        chain = check_chain(rows)
        assert chain.ok, chain
        assert chain.rows == len(rows)
    finally:
        conn.close()

    print(f"crash test: {KILLS} kills ({mid_run_kills} mid-run), items after each kill {progress},"
          f" {len(acks)} journalled sign-fors, {time.monotonic() - started:.1f}s")
