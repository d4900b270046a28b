"""bench/escalation.py on PostgreSQL: N hub processes claiming one schedule (seeding: _pg_esc_seed.py).

Each process is a fresh OS process (`escalation.py --backend postgresql --pg-worker URL`), running
the real `Hub.start()` + `run_background()` on the same database, as the SQLite `--worker` does
(default config, SMS sending off). The instrumentation is the SQLite worker's `on_ran` callback
(called right after each batch commits), plus a wrapper around the scheduler's per-step `_run`
that notes which (delivery, step) the batch applied: a step's effect is taken to happen at its
batch's commit, in the process that applied it. The parent watches `steps_run` and tells the
workers to stop (a line on stdin) once every armed step ran, or at the deadline.

Afterwards, from the database: "doubled" = (delivery, step) pairs with more than one `steps_run`
row or more than one `item.escalated` event (or applied by more than one process), "undone" =
armed steps with no `steps_run` row.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from escalation import ROOT, log, pct


def worker(args: argparse.Namespace, t_top: float) -> int:
    """One measured hub process: start, run the schedule until told to stop, dump timings."""
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    t_imports_start = time.time()
    from hub.app import Hub
    from hub.clock import SystemClock
    from hub.config import Config
    t_imported = time.time()
    out: dict = {"t_top": t_top, "t_imported": t_imported, "t_imports_start": t_imports_start,
                 "index": args.worker_index, "pid": os.getpid()}

    async def run() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        config = Config().with_overrides(store={"url": args.pg_worker}, sms={"enabled": False})
        t0 = time.time()
        hub = await Hub.start(config, SystemClock(), create=False)
        out["t_hub_started"] = time.time()
        out["hub_start_s"] = out["t_hub_started"] - t0
        commits: list[tuple[float, int, int]] = []      # (wall time, timers handled, steps applied)
        applied: list[tuple[int, int, float, float]] = []   # (delivery, step, batch now, commit time)
        batch: list[tuple[int, int, float]] = []
        scheduler = hub.scheduler
        hub_on_ran, real_run = scheduler._on_ran, scheduler._run

        async def run_step(tx, people, ahead, timer, now):  # type: ignore[no-untyped-def]
            done = await real_run(tx, people, ahead, timer, now)
            if done and timer.delivery_id is not None:
                batch.append((timer.delivery_id, timer.step, now.timestamp()))
            return done

        def on_ran(n: int) -> None:      # called by the scheduler right after each batch commits
            t = time.time()
            commits.append((t, n, len(batch)))
            applied.extend((d, s, at, t) for d, s, at in batch)
            batch.clear()
            hub_on_ran(n)

        scheduler._run, scheduler._on_ran = run_step, on_ran   # bench instrumentation
        hub.run_background()
        out["t_ready"] = time.time()
        print("READY " + json.dumps({"t_ready": out["t_ready"]}), flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

        async def wait_stop() -> None:
            await reader.readline()        # "stop", or EOF: the parent is gone
            stop.set()

        stopper = asyncio.create_task(wait_stop())
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(scheduler.idle.wait(), 30)
            out["t_first_idle"] = time.time()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), args.timeout)
            out["timed_out"] = not stop.is_set()
        finally:
            stopper.cancel()
            await hub.close()
        out["t_stopped"] = time.time()
        out["commits"] = commits
        out["applied"] = applied
        out["unstamped"] = len(batch)          # applied in a batch whose commit was never reported
        out["ran"] = scheduler.ran

    asyncio.run(run())
    Path(args.result).write_text(json.dumps(out), encoding="utf-8")
    return 0


async def _count_run(conn: asyncpg.Connection, first: int) -> int:
    return int(await conn.fetchval(
        "SELECT count(*) FROM steps_run WHERE delivery_id >= $1 AND kind = 'step' AND step = 0", first))


async def measure(url: str, meta: dict, due_at: dict[int, float], args: argparse.Namespace,
                  tmp: Path) -> list[dict]:
    """Spawn the processes together, watch the schedule drain, stop them, collect their timings."""
    last_due = max(due_at.values()) if due_at else time.time()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = str(Path(__file__).with_name("escalation.py"))
    procs, spawned, results = [], [], []
    for i in range(args.processes):
        results.append(tmp / f"worker-{i}.json")
        cmd = [sys.executable, script, "--backend", "postgresql", "--pg-worker", url, "--worker-index", str(i),
               "--result", str(results[i]), "--timeout", str(args.timeout + args.grace + args.lead + args.spread)]
        spawned.append(time.time())
        procs.append(await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                          stdout=asyncio.subprocess.PIPE, cwd=str(tmp), env=env))

    ready = [asyncio.Event() for _ in procs]

    async def pump(i: int, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode().rstrip("\n")
            if line.startswith("READY "):
                ready[i].set()
                t = json.loads(line[6:])["t_ready"]
                log(f"process {i} (pid {proc.pid}) ready {t - spawned[i]:.3f}s after spawn; first step due in "
                    f"{min(due_at.values()) - time.time():.1f}s" if due_at else f"process {i} ready")
            else:
                print(f"[process {i}] {line}", flush=True)

    pumps = [asyncio.create_task(pump(i, p)) for i, p in enumerate(procs)]
    conn = await asyncpg.connect(url)
    try:
        deadline = min(last_due + args.grace, time.time() + args.timeout + args.lead + args.spread)
        last_print, n = 0.0, 0
        while time.time() < deadline:
            if any(p.returncode is not None for p in procs):
                break
            n = await _count_run(conn, meta["due_first_delivery"])
            if n >= len(due_at) and all(e.is_set() for e in ready):
                break
            if time.time() - last_print >= 5:
                last_print = time.time()
                log(f"{n}/{len(due_at)} armed steps run")
            await asyncio.sleep(0.25)
        log(f"{n}/{len(due_at)} armed steps run; stopping the processes")
    finally:
        await conn.close()
        for p in procs:
            if p.returncode is None and p.stdin is not None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):   # it exited meanwhile
                    p.stdin.write(b"stop\n")
                    await p.stdin.drain()
                    p.stdin.close()
    try:
        codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), 120)
    except TimeoutError:
        for p in procs:
            if p.returncode is None:
                p.kill()
        raise SystemExit("a hub process did not stop within 120 s of being told to") from None
    await asyncio.gather(*pumps)
    if any(codes):
        raise SystemExit(f"a hub process failed: exit codes {codes}")
    out = []
    for i, path in enumerate(results):
        w = json.loads(path.read_text(encoding="utf-8"))
        w["t_spawn"] = spawned[i]
        out.append(w)
    return out


async def from_database(url: str, first: int, t_ready: float) -> dict:
    """What the schedule's tables say: run, doubled, undone, SMS."""
    from hub.clock import parse_utc
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT delivery_id, step, ran_at FROM steps_run WHERE delivery_id >= $1"
                                " AND kind = 'step'", first)
        runs = Counter((r["delivery_id"], r["step"]) for r in rows)
        events = Counter((r["delivery_id"], r["step"]) for r in await conn.fetch(
            "SELECT delivery_id, (data::jsonb ->> 'step')::bigint AS step FROM events"
            " WHERE type = 'item.escalated' AND delivery_id >= $1", first))
        sms = int(await conn.fetchval("SELECT count(*) FROM outbox WHERE delivery_id >= $1", first))
        since = datetime.fromtimestamp(t_ready - 1, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        other = int(await conn.fetchval("SELECT count(*) FROM steps_run WHERE ran_at >= $1 AND delivery_id < $2",
                                        since, first))
    finally:
        await conn.close()
    return {"step0_ran_at": {r["delivery_id"]: parse_utc(r["ran_at"]).timestamp() for r in rows if r["step"] == 0},
            "runs": runs, "events": events, "sms": sms, "other_steps_run": other}


def summarise(meta: dict, due_at: dict[int, float], ws: list[dict], db: dict, processes: int) -> tuple[dict, dict]:
    applied: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for w in ws:
        for d, s, at, t in w["applied"]:
            applied.setdefault((d, s), []).append((w["index"], at, t))
    lag_commit, lag_ran = [], []
    split = Counter()
    for did, d in due_at.items():
        got = applied.get((did, 0))
        if got:
            idx, _at, t = min(got, key=lambda g: g[2])
            lag_commit.append((t - d) * 1000)
            split[idx] += 1
        ran = db["step0_ran_at"].get(did)
        if ran is not None:
            lag_ran.append((ran - d) * 1000)
    lag_commit.sort()
    lag_ran.sort()
    armed = set(due_at)
    doubled_runs = sum(1 for (d, _s), n in db["runs"].items() if n > 1 and d in armed)
    doubled_events = sum(1 for (d, _s), n in db["events"].items() if n > 1 and d in armed)
    doubled_procs = sum(1 for (d, _s), g in applied.items() if len(g) > 1 and d in armed)
    undone = sum(1 for d in armed if (d, 0) not in db["runs"])
    startups = [w["t_ready"] - w["t_spawn"] for w in ws]
    batches = [c for w in ws for c in w["commits"]]
    sizes = sorted(c[1] for c in batches)
    per_process = [{"index": w["index"], "pid": w["pid"], "startup_s": round(w["t_ready"] - w["t_spawn"], 3),
                    "hub_start_s": round(w["hub_start_s"], 3), "imports_s": round(w["t_imported"] - w["t_imports_start"], 3),
                    "first_pass_done_s": round(w["t_first_idle"] - w["t_spawn"], 3),
                    "batches": len(w["commits"]), "batches_applying_nothing": sum(1 for c in w["commits"] if c[2] == 0),
                    "armed_steps_applied": split.get(w["index"], 0), "scheduler_ran": w["ran"],
                    "unstamped": w["unstamped"], "timed_out": w["timed_out"]} for w in ws]
    details = {
        "lag_measured_at": "commit (the applying process's on_ran after its batch's COMMIT)",
        "lag_commit_p50_ms": round(pct(lag_commit, .5), 1), "lag_commit_p99_ms": round(pct(lag_commit, .99), 1),
        "lag_commit_max_ms": round(lag_commit[-1], 1) if lag_commit else None,
        "lag_ran_at_p50_ms": round(pct(lag_ran, .5), 1), "lag_ran_at_p99_ms": round(pct(lag_ran, .99), 1),
        "lag_ran_at_max_ms": round(lag_ran[-1], 1) if lag_ran else None,
        "steps_run": len(db["step0_ran_at"]), "steps_missing": len(due_at) - len(lag_commit),
        "doubled": doubled_runs + doubled_events + doubled_procs,
        "doubled_detail": {"steps_run_rows": doubled_runs, "item_escalated_events": doubled_events,
                           "applied_by_two_processes": doubled_procs},
        "undone": undone, "split": {str(i): split.get(i, 0) for i in range(processes)},
        "escalated_events": sum(n for (d, _s), n in db["events"].items() if d in armed), "sms": db["sms"],
        "other_steps_run": db["other_steps_run"],
        "batches": len(batches), "batch_size_p50": pct(sizes, .5), "batch_size_max": sizes[-1] if sizes else 0,
        "startup_max_s": round(max(startups), 3), "processes": per_process,
        "first_due_after_spawn_s": round(min(due_at.values()) - min(w["t_spawn"] for w in ws), 2)
        if due_at else None,
        "db_mb": round(meta.get("db_bytes", 0) / 1e6), "seed_s": meta.get("seed_s"),
        "units": meta["units"], "due_fanout": meta["fanout"], "history": meta["history"],
    }
    figures = {"pending": meta["pending"], "due": meta["due"],
               "lag_p50_ms": round(pct(lag_commit, .5), 1), "lag_p99_ms": round(pct(lag_commit, .99), 1),
               "startup_s": round(max(startups), 3), "backend": "postgresql", "processes": processes}
    return details, figures


async def main_pg(args: argparse.Namespace, tmp: Path) -> int:
    from _pg_db import create_fresh, display, drop
    from _pg_esc_seed import arm, seed

    name, url = await create_fresh(args.pg_url)
    log(f"created database {name} ({display(url)}); {args.processes} hub processes")
    try:
        meta = await seed(url, args.pending, args.due, args.units, args.due_fanout, not args.no_history)
        due_at, arm_s = await arm(url, meta, args.lead, args.spread)
        log(f"armed {len(due_at):,} steps due over {args.spread:.0f}s in {arm_s:.2f}s; starting "
            f"{args.processes} hub processes")
        ws = await measure(url, meta, due_at, args, tmp)
        db = await from_database(url, meta["due_first_delivery"], min(w["t_ready"] for w in ws))
        details, figures = summarise(meta, due_at, ws, db, args.processes)
        if args.dump:
            args.dump.write_text(json.dumps({"workers": ws, "due_at": due_at, "details": details}), encoding="utf-8")
        ok_lag, ok_start = figures["lag_p99_ms"] <= 1000, figures["startup_s"] <= 3
        log(f"p99 lag {figures['lag_p99_ms']} ms ({'OK' if ok_lag else 'MISSED'} target 1000 ms); start-up "
            f"{figures['startup_s']} s ({'OK' if ok_start else 'MISSED'} target 3 s); doubled {details['doubled']}"
            f" ({'OK' if details['doubled'] == 0 else 'MISSED'} target 0); undone {details['undone']};"
            f" split {details['split']}")
        print(json.dumps(details), flush=True)
        print(json.dumps(figures), flush=True)
        return 0
    finally:
        if args.keep:
            log(f"kept database {name}: {display(url)}")
        else:
            await drop(args.pg_url, name)
            log(f"dropped database {name}")
