"""Benchmark: memory per idle authenticated websocket on one hub process.

Requirement: 10,000 idle authenticated connections on one hub process; print the
RSS per connection above the idle process (target <= 30 KiB). This script PRINTS
figures; it is not a test.

    .venv/bin/python bench/connections.py                       # 10,000 connections
    .venv/bin/python bench/connections.py --connections 1000    # quick

What it does (everything on 127.0.0.1, every wait bounded, every process it
started is killed at the end, also on error or Ctrl+C):

1. A throw-away database: `xietong demo`, then plain SQL: connections/2 township
   units with 2 clerks each (distinct users, role clerk, the demo password hash)
   and one bearer token per clerk (stored as sha256 hex, as `xietong token create` does).
2. The real server: `.venv/bin/xietong serve --port P` (cheap Argon2 by env;
   everything else default: 20 s heartbeat, no compression, 4 readers).
3. Warm-up: a few connections are opened and closed (lazy imports, first
   allocations), then the process is left to go quiet; its VmRSS (median of
   several readings) is the idle figure.
4. `--workers` client processes open the connections (plain `websockets`,
   compression=None, each waits for its `hello`; `--concurrency` handshakes in
   flight per process). The client-side open time is from the first connect to
   the last `hello`.
5. The connections stay idle for `--hold` seconds (by default past one 60 s
   session re-check and several 20 s heartbeats), the server goes quiet, and
   VmRSS is read again (median of several readings, the spread is printed).
   kib_per_connection = (rss_loaded - rss_idle) / connections.

The last line printed is one JSON object: {"connections", "kib_per_connection"};
the line before it has the details.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

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
    split,
    stable_rss,
    wait_quiet,
)

TARGET_KIB = 30


async def census(server: Server, path: Path) -> None:
    """SIGUSR1 to bench/conn_server.py: it writes its memory census to `path` (bounded wait)."""
    path.unlink(missing_ok=True)
    os.kill(server.pid, signal.SIGUSR1)
    for _ in range(600):
        await asyncio.sleep(0.5)
        if path.exists() and path.stat().st_size:
            await asyncio.sleep(0.5)
            log(f"memory census written to {path}")
            return
    log(f"no memory census in {path}")


async def run(args: argparse.Namespace, tmp: Path) -> dict:
    units = args.units or -(-args.connections // args.clerks_per_unit)
    seeded = seed(tmp / "conn.db", units, args.clerks_per_unit)
    tokens = [c["token"] for c in seeded.clients]
    if len(tokens) < args.connections:
        raise SystemExit(f"only {len(tokens)} tokens for {args.connections} connections")
    tokens = tokens[:args.connections]

    server = Server(seeded.db, args.port or free_port(), tmp / "server.log",
                    launcher="conn_server.py" if args.memprofile else "",
                    extra_env={"BENCH_MEMPROFILE": args.memprofile} if args.memprofile else {})
    if args.memprofile:
        log("MEMORY CENSUS run: tracemalloc is on in the server, its RSS figures are NOT the benchmark's")
    workers = [Worker("conn_client.py", i) for i in range(args.workers)]
    try:
        startup = server.start()
        log(f"server pid {server.pid} on {server.url} answered after {startup:.2f}s; RSS {server.rss_kib()} KiB")
        parts = split(tokens, args.workers)
        for w, part in zip(workers, parts):
            await w.start({"url": server.ws_url, "tokens": part, "concurrency": args.concurrency,
                           "timeout": 30}, tmp)
        for w in workers:
            await w.answer(30)

        # warm-up: open and close a few connections, so lazy imports and first allocations are done
        for _ in range(2):
            n = min(args.warmup, len(parts[0]))
            r = await workers[0].call({"cmd": "open", "start": 0, "stop": n}, 120)
            if r["failed"]:
                raise RuntimeError(f"warm-up connections failed: {r}")
            await workers[0].call({"cmd": "close"}, 120)
        quiet_idle = await wait_quiet(server, timeout=60)
        await asyncio.sleep(args.settle)
        idle = await stable_rss(server, samples=args.samples)
        idle_smaps = server.smaps_rollup()
        if args.memprofile:
            await census(server, Path(args.memprofile))
        log(f"idle after warm-up: VmRSS {idle['median_kib']} KiB (spread {idle['min_kib']}..{idle['max_kib']}), "
            f"{server.sockets()} sockets; quiet {quiet_idle}")

        # the connections
        log(f"opening {len(tokens)} connections from {args.workers} processes "
            f"({args.concurrency} handshakes in flight each)")
        cpu = CpuWindow(server, [w.pid for w in workers])
        answers = await asyncio.wait_for(asyncio.gather(
            *(w.call({"cmd": "open", "start": 0, "stop": len(p)}, args.timeout) for w, p in zip(workers, parts))),
            args.timeout + 10)
        opened = sum(a["opened"] for a in answers)
        failed = sum(a["failed"] for a in answers)
        open_s = max(a["t_end"] for a in answers) - min(a["t_start"] for a in answers)
        cpu_open = cpu.result()
        open_cpu = cpu_open["server_cpu_s"]
        log(f"opened {opened} (failed {failed}, retried {sum(a['retried'] for a in answers)}) in {open_s:.2f}s "
            f"client-side; server CPU {open_cpu:.1f}s; server RSS now {server.rss_kib()} KiB")
        for a in answers:
            if a["errors"]:
                log(f"  worker errors: {a['errors']}")
        if opened == 0:
            raise RuntimeError("no connection opened")

        # idle, then measure
        rss_track = []
        t_hold = time.monotonic()
        while time.monotonic() - t_hold < args.hold:
            await asyncio.sleep(min(5.0, args.hold))
            server.check_alive()
            rss_track.append(server.rss_kib())
        quiet_loaded = await wait_quiet(server, timeout=60)
        loaded = await stable_rss(server, samples=args.samples)
        loaded_smaps = server.smaps_rollup()
        if args.memprofile:
            await census(server, Path(args.memprofile + ".2"))
        status = await asyncio.gather(*(w.call({"cmd": "status"}, 30) for w in workers))
        still_open = sum(s["open"] for s in status)
        server_sockets = server.sockets()
        log(f"after {args.hold:.0f}s idle: VmRSS {loaded['median_kib']} KiB (spread {loaded['min_kib']}.."
            f"{loaded['max_kib']}); during hold {rss_track}; {still_open} still open client-side, "
            f"{server_sockets} sockets in the server; quiet {quiet_loaded}")

        per_conn = (loaded["median_kib"] - idle["median_kib"]) / max(1, still_open)
        t0 = time.monotonic()
        closed = await asyncio.gather(*(w.call({"cmd": "close"}, args.timeout) for w in workers))
        close_s = time.monotonic() - t0
        await wait_quiet(server, timeout=60)
        after_close = await stable_rss(server, samples=3)
        log(f"closed {sum(c['closed'] for c in closed)} in {close_s:.1f}s; VmRSS after close "
            f"{after_close['median_kib']} KiB")

        details = {
            "connections": still_open, "requested": args.connections, "failed": failed,
            "kib_per_connection": round(per_conn, 2), "target_kib": TARGET_KIB,
            "rss_idle_kib": idle["median_kib"], "rss_loaded_kib": loaded["median_kib"],
            "rss_idle_spread": [idle["min_kib"], idle["max_kib"]],
            "rss_loaded_spread": [loaded["min_kib"], loaded["max_kib"]],
            "rss_during_hold_kib": rss_track, "rss_after_close_kib": after_close["median_kib"],
            "anon_idle_kib": idle_smaps.get("Anonymous"), "anon_loaded_kib": loaded_smaps.get("Anonymous"),
            "client_open_s": round(open_s, 2), "open_rate_per_s": round(opened / open_s, 1) if open_s else None,
            "open_lat_p50_ms": max(a["lat_p50_ms"] for a in answers),
            "open_lat_p99_ms": max(a["lat_p99_ms"] for a in answers),
            "server_cpu_open_s": round(open_cpu, 2), "cpu_during_open": cpu_open, "server_sockets": server_sockets,
            "hold_s": args.hold, "workers": args.workers, "concurrency_per_worker": args.concurrency,
            "server_startup_s": round(startup, 2), "memprofile": args.memprofile or None, "units": units, "clerks_per_unit": args.clerks_per_unit,
        }
        return details
    finally:
        for w in workers:
            await w.stop()
        server.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--connections", type=int, default=10_000)
    p.add_argument("--clerks-per-unit", type=int, default=2)
    p.add_argument("--units", type=int, default=0, help="default: connections / clerks-per-unit")
    p.add_argument("--workers", type=int, default=4, help="client processes")
    p.add_argument("--concurrency", type=int, default=50, help="handshakes in flight per client process")
    p.add_argument("--warmup", type=int, default=50, help="connections opened and closed before the idle reading")
    p.add_argument("--hold", type=float, default=70.0, help="seconds the connections stay idle before the reading")
    p.add_argument("--settle", type=float, default=2.0)
    p.add_argument("--samples", type=int, default=7, help="VmRSS readings (1 s apart) per figure")
    p.add_argument("--timeout", type=float, default=300.0, help="bound on opening / closing the connections")
    p.add_argument("--memprofile", default="", metavar="FILE",
                   help="memory census (tracemalloc + gc types) of the server, idle into FILE, loaded into "
                        "FILE.2; its RSS figures are then not the benchmark's")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    args = p.parse_args()
    limit = raise_nofile()
    install_signal_handlers()
    per_worker = -(-args.connections // args.workers)
    if per_worker + 100 > limit:
        raise SystemExit(f"open-files limit {limit} is too low for {per_worker} connections per worker")
    tmp = Path(tempfile.mkdtemp(prefix="xt-bench-conn-"))
    ok = False
    try:
        details = asyncio.run(asyncio.wait_for(run(args, tmp), args.timeout * 3 + args.hold + 600))
        ok = True
    finally:
        kill_children()
        if args.keep or not ok:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(details, ensure_ascii=False))
    print(json.dumps({"connections": details["connections"], "kib_per_connection": details["kib_per_connection"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
