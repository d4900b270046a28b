"""Benchmark: a mass reconnect with `since` after an outage.

Requirement: 5,000 clients drop, 20 events are issued, all reconnect at once with
`since`; print the time until every client holds every missed event (target
<= 30 s, no event lost or doubled). This script PRINTS figures; it is not a test.

    .venv/bin/python bench/resume.py                     # 5,000 clients, 20 events each
    .venv/bin/python bench/resume.py --clients 1000      # quick

What it does (everything on 127.0.0.1, every wait bounded, every process it
started is killed at the end, also on error or Ctrl+C):

1. A throw-away database: `xietong demo`, then plain SQL: clients/clerks-per-unit
   township units, each with `--clerks-per-unit` clerks (distinct users) and one
   bearer token per clerk; one token for bgs.clerk1 of the government office (the sender).
2. The real server: `.venv/bin/xietong serve --port P` (cheap Argon2 by env, else defaults).
3. `--workers` client processes run the clients on the project's client library,
   `bots.client.FeedClient` (see bench/resume_client.py). Each connects, waits for its
   `hello` and keeps that `last_id`; then every client closes.
4. With every client gone, the sender issues `--events` urgent items over the JSON
   API (POST /api/items, bearer token), each to every bench unit: each item gives one
   `item.issued` event per recipient unit, so every client's unit has exactly
   `--events` new events (checked in the database, which also gives each client the
   exact ids it must receive). The server is left to go quiet (its feed has
   distributed those events to nobody).
5. At one wall-clock instant T every client reconnects at once with
   `?since=<its hello last_id>` (a fresh FeedClient each, `since` given). A client
   "holds" an event when the library yields it; all_recovered_s is from T to the moment
   the last client holds the last of its missed events. Then the clients keep listening
   `--grace` seconds for late duplicates.
6. lost = expected ids the library never yielded; doubled = event ids the SERVER sent a
   client more than once, counted on raw frames before the library's own duplicate
   filter (a hook on FeedClient._dispatch); the library's yielded duplicates, events
   the client should not have got, and out-of-order frames are counted too.

The last line printed is one JSON object:
{"clients", "events", "all_recovered_s", "lost", "doubled"}; the line before it has the details.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conn_common import (
    CpuWindow,
    Server,
    Worker,
    free_port,
    install_signal_handlers,
    kill_children,
    log,
    raise_nofile,
    seed,
    track,
    wait_quiet,
)

TARGET_S = 30.0


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


async def issue(server: Server, token: str, units: list[int], n: int) -> list[float]:
    """`n` urgent documents from the government office, each to every bench unit; seconds per item."""
    took = []
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=300)) as http:
        for i in range(n):
            t0 = time.monotonic()
            async with http.post(server.url + "/api/items", json={
                    "kind": "document", "urgency": "urgent", "title": f"基准紧急通知 {i + 1}",
                    "body": "resume benchmark", "main_units": units}) as resp:
                body = await resp.text()
                if resp.status != 200:
                    raise RuntimeError(f"issue failed: {resp.status} {body[:500]}")
            took.append(time.monotonic() - t0)
    return took


def _merge(counts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return dict(sorted(out.items(), key=lambda kv: -kv[1])[:8])


def _error_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if b" ERROR " in line)


def expected_ids(db: Path, clients: list[dict], since: list[int]) -> list[list[int]]:
    """Per client, the ids of the events after its since that its unit may see (the permission rule)."""
    low = min(since)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, sender_unit_id, unit_id FROM events WHERE id > ? ORDER BY id",
                            (low,)).fetchall()
    finally:
        conn.close()
    by_unit: dict[int, list[int]] = {}
    for event_id, sender, unit in rows:
        by_unit.setdefault(sender, []).append(event_id)
        if unit is not None and unit != sender:
            by_unit.setdefault(unit, []).append(event_id)
    return [[e for e in by_unit.get(c["unit_id"], []) if e > s] for c, s in zip(clients, since)]


async def run(args: argparse.Namespace, tmp: Path) -> dict:
    units_n = -(-args.clients // args.clerks_per_unit)
    seeded = seed(tmp / "resume.db", units_n, args.clerks_per_unit)
    clients = seeded.clients[:args.clients]
    units = sorted({c["unit_id"] for c in clients})
    if args.experiment_unit_index:
        # WHAT-IF only (not the product's schema): the indexes a migration 0004 could add
        conn = sqlite3.connect(seeded.db)
        conn.execute("CREATE INDEX IF NOT EXISTS bench_events_unit ON events(unit_id, id)")
        conn.execute("CREATE INDEX IF NOT EXISTS bench_events_sender ON events(sender_unit_id, id)")
        conn.commit()
        conn.close()
        log("EXPERIMENT: added indexes events(unit_id, id) and events(sender_unit_id, id) to the bench database")
    server = Server(seeded.db, args.port or free_port(), tmp / "server.log",
                    launcher="resume_server.py" if args.patch else "", extra_env={"BENCH_PATCHES": args.patch})
    if args.patch:
        log(f"EXPERIMENT: server with WHAT-IF patches {args.patch} (bench/resume_server.py)")
    parts_idx = [list(range(i, len(clients), args.workers)) for i in range(args.workers)]
    workers = [Worker("resume_client.py", i) for i in range(args.workers)]
    try:
        startup = server.start()
        log(f"server pid {server.pid} on {server.url} answered after {startup:.2f}s")
        for w, idx in zip(workers, parts_idx):
            await w.start({"url": server.ws_url, "clients": [clients[i] for i in idx],
                           "concurrency": args.concurrency, "timeout": 30}, tmp)
        for w in workers:
            await w.answer(30)

        # 1. everybody connects and notes the hello last_id
        answers = await asyncio.gather(*(w.call({"cmd": "connect"}, args.timeout) for w in workers))
        since: list[int] = [0] * len(clients)
        connected = 0
        for idx, a in zip(parts_idx, answers):
            connected += a["connected"]
            if a["errors"]:
                log(f"  connect errors: {a['errors']}")
            for i, last in zip(idx, a["last_ids"]):
                since[i] = last if last is not None else -1
        if connected != len(clients):
            raise RuntimeError(f"only {connected} of {len(clients)} clients connected")
        log(f"{connected} clients connected in "
            f"{max(a['t_end'] for a in answers) - min(a['t_start'] for a in answers):.1f}s; "
            f"hello last_id {min(since)}..{max(since)}")

        # 2. they all drop
        dropped = await asyncio.gather(*(w.call({"cmd": "drop"}, args.timeout) for w in workers))
        log(f"dropped {sum(d['closed'] for d in dropped)}")
        await wait_quiet(server, timeout=60)

        # 3. events are issued while they are away
        t0 = time.monotonic()
        took = await issue(server, seeded.issuer_token, units, args.events)
        log(f"issued {args.events} items x {len(units)} units in {time.monotonic() - t0:.1f}s "
            f"(per item p50 {pct(took, 0.5):.2f}s, max {max(took):.2f}s)")
        quiet = await wait_quiet(server, timeout=180)
        log(f"server quiet again: {quiet}")
        expected = expected_ids(seeded.db, clients, since)
        counts = sorted({len(e) for e in expected})
        if counts != [args.events]:
            log(f"WARNING: expected events per client are {counts}, not [{args.events}]")
        total_expected = sum(len(e) for e in expected)

        # 4. all reconnect at once with since
        at = time.time() + args.lead
        spy = None
        if args.pyspy:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.pid),
                                    "--duration", str(int(args.pyspy_seconds)), "--rate", "100", "--threads",
                                    "--nonblocking", "--format", "raw", "-o", args.pyspy],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            track(spy)
        cpu = CpuWindow(server, [w.pid for w in workers])
        log_lines0 = _error_lines(server.logfile)
        for w, idx in zip(workers, parts_idx):
            await w.send({"cmd": "resume", "at": at, "expected": [expected[i] for i in idx],
                          "timeout": args.resume_timeout, "grace": args.grace})
        results = await asyncio.wait_for(asyncio.gather(*(w.answer(args.resume_timeout + args.grace + 120)
                                                          for w in workers)),
                                         args.resume_timeout + args.grace + 180)
        cpu_use = cpu.result()
        resume_cpu = cpu_use["server_cpu_s"]
        server.check_alive()
        errors_logged = _error_lines(server.logfile) - log_lines0
        if spy is not None:
            spy.send_signal(signal.SIGINT)      # like Ctrl+C: py-spy writes what it has
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.wait(15)

        recovered = sum(r["recovered"] for r in results)
        done = [d for r in results for d in r["done_all"]]
        all_recovered_s = round(max(done), 3) if done and recovered == len(clients) else None
        details = {
            "clients": len(clients), "events": args.events,
            "all_recovered_s": all_recovered_s, "target_s": TARGET_S,
            "lost": sum(r["lost"] for r in results), "doubled": sum(r["doubled"] for r in results),
            "recovered": recovered, "expected_total": total_expected,
            "recovered_p50_s": round(pct(done, 0.5) or 0, 3), "recovered_p99_s": round(pct(done, 0.99) or 0, 3),
            "lib_doubled": sum(r["lib_doubled"] for r in results),
            "unexpected": sum(r["unexpected"] for r in results),
            "out_of_order": sum(r["out_of_order"] for r in results),
            "extra_connections": sum(r["extra_connections"] for r in results),
            "failed_connect_attempts": sum(r["failed_attempts"] for r in results),
            "max_attempts_one_client": max(r["attempts_max"] for r in results),
            "never_connected": sum(r["never_connected"] for r in results),
            "resets": sum(r["resets"] for r in results),
            "errors": {k: v for r in results for k, v in r["errors"].items()},
            "client_drop_reasons": _merge([r["drop_reasons"] for r in results]),
            "worker_start_lag_s": round(max(r["start_lag_s"] for r in results), 3),
            "server_cpu_resume_s": round(resume_cpu, 1), "cpu_during_resume": cpu_use,
            "server_errors_logged": errors_logged,
            "experiment_unit_index": bool(args.experiment_unit_index), "experiment_patches": args.patch or None,
            "units": len(units), "clerks_per_unit": args.clerks_per_unit,
            "events_in_store_after_since": None, "issue_s": round(sum(took), 1), "workers": args.workers,
        }
        conn = sqlite3.connect(f"file:{seeded.db}?mode=ro", uri=True)
        details["events_in_store_after_since"] = conn.execute(
            "SELECT count(*) FROM events WHERE id > ?", (min(since),)).fetchone()[0]
        conn.close()
        log(f"resume: {recovered}/{len(clients)} recovered; last at {all_recovered_s}s, "
            f"p50 {details['recovered_p50_s']}s, p99 {details['recovered_p99_s']}s; "
            f"server CPU {resume_cpu:.1f}s; lost {details['lost']}, doubled {details['doubled']}")
        return details
    finally:
        for w in workers:
            await w.stop()
        server.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=5_000)
    p.add_argument("--events", type=int, default=20, help="missed events per client (items issued)")
    p.add_argument("--clerks-per-unit", type=int, default=1,
                   help="clients per unit; units = clients / this (each item goes to every unit)")
    p.add_argument("--workers", type=int, default=4, help="client processes")
    p.add_argument("--concurrency", type=int, default=50, help="initial connects in flight per process")
    p.add_argument("--lead", type=float, default=2.0, help="seconds between announcing T and T")
    p.add_argument("--grace", type=float, default=3.0, help="listen this long after the last recovery")
    p.add_argument("--resume-timeout", type=float, default=180.0)
    p.add_argument("--timeout", type=float, default=300.0, help="bound on the connect / drop phases")
    p.add_argument("--experiment-unit-index", action="store_true",
                   help="WHAT-IF: add indexes events(unit_id, id), events(sender_unit_id, id) to the bench DB")
    p.add_argument("--patch", default="", metavar="LIST",
                   help="WHAT-IF: run the server through bench/resume_server.py with these patches, e.g. "
                        "replay_slots=2,fast_parse_utc,backlog=4096,quiet_gone")
    p.add_argument("--pyspy", default="", metavar="FILE",
                   help="record the server with py-spy (raw format) during the reconnect into FILE")
    p.add_argument("--pyspy-seconds", type=float, default=60)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    args = p.parse_args()
    limit = raise_nofile()
    install_signal_handlers()
    if -(-args.clients // args.workers) + 100 > limit:
        raise SystemExit(f"open-files limit {limit} is too low")
    tmp = Path(tempfile.mkdtemp(prefix="xt-bench-resume-"))
    ok = False
    try:
        details = asyncio.run(asyncio.wait_for(run(args, tmp), 2 * args.timeout + args.resume_timeout + 900))
        ok = True
    finally:
        kill_children()
        if args.keep or not ok:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(details, ensure_ascii=False))
    print(json.dumps({k: details[k] for k in ("clients", "events", "all_recovered_s", "lost", "doubled")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
