"""Benchmark: one 特急 notice fanned out to thousands of websocket clients, against two references.

Prints figures, it is not a test. One run measures, with the same number of clients N:

* Xietong: `xietong serve` (the real entry point, through bench/fanout_server.py, which only adds
  timestamps) on a temporary database made by `xietong demo` plus N distinct clerks (bulk SQL into
  the real schema): N/2 units with 2 clerks each, every clerk with a phone and a bearer token.
  Every client is GET /ws with its own token. The coordinator issues ONE extra_urgent (特急) item
  to all N/2 units as main recipients in one POST /api/items (bearer token of bgs.clerk1), which
  persists, in one transaction before any frame goes out, the item, N/2 deliveries, N/2
  item.issued events, N SMS outbox rows, N/2 escalation timers and an audit row (SQLite,
  synchronous=FULL). Each client must receive the item.issued frame of its own unit.
  - latency: t0 = time.time() just before the HTTP POST is sent (on a warm keep-alive
    connection); for each client, the time its frame's bytes reached the client process, minus
    t0 -> p50 / p99 / max over the N clients;
  - hand-off: inside the server, from the commit's poke of the feed to the last hand-over of an
    item.issued frame to a socket (written straight by the feed, or sent by a connection's writer
    from its queue) with the socket's write buffer empty (the frame is in the kernel); see bench/fanout_server.py, which also gives the server's CPU time for each part
    (request -> commit, hand-off), a figure that hardly moves when other work loads the machine.
* baseline: a bare `websockets` server (bench/fanout_baseline.py). Trigger over a websocket
  (t0 just before the trigger is sent); the server writes N/2 delivery rows into a SQLite file in
  one transaction (sqlite3, WAL, synchronous=FULL), then calls websockets.broadcast() with a frame
  of the size of Xietong's. A second round broadcasts without persisting (printed, for reference).
* peer: python-socketio's AsyncServer in aiohttp mode (bench/fanout_socketio.py). Trigger by
  HTTP POST (warm connection); the handler persists the same N/2 rows the same way, then emit()s
  to all clients; also a second round without persisting. The clients speak engine.io v4 over a
  raw websocket (the same `websockets` client as for the others; python-socketio's AsyncClient
  makes a client session per connection, too heavy for thousands per process).

Clients are spread over --procs processes (bench/fanout_client.py). Each connection is opened by
the `websockets` client (compression off) and waits for the hello; then, by default, the socket is
handed to a minimal frame reader (--receiver tail) so that the load generators, on one core, keep
up even with the bare baseline (with --receiver websockets they do not: at 5,000 clients they add
~100 ms to the baseline's p99). The machine's one clock is shared, so the times compare. By
default the server under test is pinned to CPU 0, the load generators and this coordinator to
CPU 1 (--no-pin lets the kernel place them). Before each burst the run waits (--quiet-wait) for
other processes to calm down and reports the CPU they used during the burst
(*_other_cores_during_burst): figures taken while the machine was busy are pessimistic. Every
phase has a time limit; every process started is stopped at the end, even on error. Only
127.0.0.1 is used. --code DIR runs Xietong from another copy of the source (A/B comparisons).

    .venv/bin/python bench/fanout.py --clients 500
    .venv/bin/python bench/fanout.py                    # 5,000 clients
    .venv/bin/python bench/fanout.py --clients 10000
    .venv/bin/python bench/fanout.py --clients 10000 --systems xietong --backend postgresql --processes 2
    .venv/bin/python bench/fanout.py --help

With --backend postgresql the same clients are then served by --processes hub processes on one
PostgreSQL database (bench/fanout_cluster.py), and pg_over_sqlite_p99 compares the two p99 figures.

The last line printed is one JSON object: clients, xietong_p50_ms, xietong_p99_ms, handoff_ms,
baseline_p99_ms, socketio_p99_ms, backend, processes, xietong_pg_p99_ms, pg_over_sqlite_p99, and more
(max, ratios, the breakdown).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PY = sys.executable
TITLE = "关于立即做好寒潮大风天气防范应对工作的紧急通知"
BODY = "各乡镇人民政府、区政府各部门：据气象部门预报，今夜起我区将出现寒潮大风天气。请立即部署防范工作，落实24小时值班。"
TARGET_P99_RATIO = 1.5          # Xietong p99 <= 1.5 x the baseline's
TARGET_HANDOFF_MS_10K = 250.0   # server-side hand-off for 10,000 clients
TARGET_PG_RATIO = 1.3           # PostgreSQL, several processes: p99 <= 1.3 x single-process SQLite's


def log(msg: str = "") -> None:
    print(msg, flush=True)


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (1 << 20 if hard == resource.RLIM_INFINITY else hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    v = sorted(values)
    return v[max(0, min(len(v) - 1, math.ceil(q * len(v)) - 1))]


def ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000, 1)


def cpu_seconds(pid: int) -> float:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy_seconds() -> float:
    try:
        v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def wait_quiet(ours: list[int], limit: float, max_wait: float) -> float:
    """Wait (at most max_wait s) until processes that are not ours use under `limit` cores."""
    start = time.monotonic()
    other, said = 0.0, -10.0
    while time.monotonic() - start < max_wait:
        t, m = time.perf_counter(), machine_busy_seconds()
        c = sum(cpu_seconds(p) for p in ours) + own_cpu_seconds()
        await asyncio.sleep(1.0)
        wall = time.perf_counter() - t
        c2 = sum(cpu_seconds(p) for p in ours) + own_cpu_seconds()
        other = max(0.0, (machine_busy_seconds() - m) - (c2 - c)) / wall
        if other < limit:
            return other
        if time.monotonic() - said >= 10:
            said = time.monotonic()
            log(f"  waiting for a quieter machine: other processes use {other:.2f} cores "
                f"(at most {max_wait:.0f} s)")
    return other


# -- processes -----------------------------------------------------------------------------------


@dataclass
class Procs:
    """Every process this run started; all are stopped at the end."""
    popen: list[subprocess.Popen[bytes]] = field(default_factory=list)
    aio: list[asyncio.subprocess.Process] = field(default_factory=list)

    def pin(self, cpus: set[int] | None) -> Any:
        if not cpus:
            return None
        return lambda: os.sched_setaffinity(0, cpus)

    def start_server(self, cmd: list[str], env: dict[str, str], log_path: Path,
                     cpus: set[int] | None) -> subprocess.Popen[bytes]:
        out = open(log_path, "wb")
        p = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=self.pin(cpus))
        out.close()
        self.popen.append(p)
        return p

    async def start_client(self, args: list[str], log_path: Path,
                           cpus: set[int] | None) -> asyncio.subprocess.Process:
        err = open(log_path, "ab")
        p = await asyncio.create_subprocess_exec(
            PY, str(BENCH / "fanout_client.py"), *args, cwd=BENCH, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=err, preexec_fn=self.pin(cpus), limit=2**26)
        err.close()
        self.aio.append(p)
        return p

    @staticmethod
    def stop_popen(p: subprocess.Popen[bytes], grace: float = 20) -> None:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)

    async def stop_clients(self) -> None:
        for p in self.aio:
            if p.returncode is None:
                with contextlib.suppress(Exception):
                    assert p.stdin is not None
                    p.stdin.write(b"close\n")
                    await p.stdin.drain()
        for p in self.aio:
            try:
                await asyncio.wait_for(p.wait(), 10)
            except (TimeoutError, ProcessLookupError):
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(p.wait(), 5)
        self.aio.clear()

    async def stop_all(self) -> None:
        await self.stop_clients()
        for p in self.popen:
            self.stop_popen(p)
        self.popen.clear()


async def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{tail(log_path)}")
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout:.0f} s:\n{tail(log_path)}")


def tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


@dataclass
class Load:
    """The client processes of one phase."""
    procs: list[asyncio.subprocess.Process]
    sizes: list[int]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]


async def read_json_line(p: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
    assert p.stdout is not None
    line = await asyncio.wait_for(p.stdout.readline(), timeout)
    if not line:
        raise RuntimeError(f"client process {p.pid} exited ({await p.wait()})")
    return json.loads(line)


RECEIVER = {"name": "tail"}


async def start_load(run: Procs, mode: str, url: str, n: int, nprocs: int, tmp: Path, cpus: set[int] | None,
                     tokens: Path | None, concurrency: int, timeout: float) -> Load:
    per = math.ceil(n / nprocs)
    procs, sizes = [], []
    for i in range(nprocs):
        start, count = i * per, min(per, n - i * per)
        if count <= 0:
            break
        args = ["--mode", mode, "--url", url, "--start", str(start), "--count", str(count),
                "--concurrency", str(concurrency), "--receiver", RECEIVER["name"]]
        if tokens:
            args += ["--tokens", str(tokens)]
        procs.append(await run.start_client(args, tmp / f"client-{mode}-{i}.log", cpus))
        sizes.append(count)
    t = time.monotonic()
    ready = await asyncio.gather(*(read_json_line(p, timeout) for p in procs))
    got = sum(r["ready"] for r in ready)
    errors = sorted({e for r in ready for e in r["errors"]})
    log(f"  {got} of {n} clients connected and live in {time.monotonic() - t:.1f} s"
        + (f"; failures: {errors[:3]}" if errors else ""))
    if got < n:
        raise RuntimeError(f"only {got} of {n} clients connected: {errors[:3]}")
    return Load(procs, sizes)


async def collect(load: Load, k: int, timeout: float) -> dict[str, Any]:
    for p in load.procs:
        assert p.stdin is not None
        p.stdin.write(f"collect {k} {timeout}\n".encode())
        await p.stdin.drain()
    parts = await asyncio.gather(*(read_json_line(p, timeout + 30) for p in load.procs))
    arrivals = [a for part in parts for a in part["arrivals"]]
    return {"arrivals": arrivals, "wrong": sum(p["wrong"] for p in parts), "extra": sum(p["extra"] for p in parts),
            "lost": sum(p["lost"] for p in parts),
            "lost_errors": sorted({e for p in parts for e in p["lost_errors"]})[:3]}


def latency(arrivals: list[float | None], t0: float) -> dict[str, Any]:
    got = [a - t0 for a in arrivals if a is not None]
    missing = sum(1 for a in arrivals if a is None)
    if not got:
        return {"received": 0, "missing": missing, "p50_ms": None, "p99_ms": None, "max_ms": None, "min_ms": None}
    return {"received": len(got), "missing": missing, "min_ms": ms(min(got)), "p50_ms": ms(pct(got, 0.50)),
            "p99_ms": ms(pct(got, 0.99)), "max_ms": ms(max(got))}


class CpuWindow:
    """CPU used over a burst, in CPU-seconds: server, load generators, everything else."""

    def __init__(self, server: int, clients: list[int]) -> None:
        self.server, self.clients = server, clients
        self.t = time.perf_counter()
        self.s0 = cpu_seconds(server)
        self.c0 = sum(cpu_seconds(p) for p in clients) + own_cpu_seconds()
        self.m0 = machine_busy_seconds()

    def done(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t
        s = cpu_seconds(self.server) - self.s0
        c = sum(cpu_seconds(p) for p in self.clients) + own_cpu_seconds() - self.c0
        m = machine_busy_seconds() - self.m0
        return {"wall_s": round(wall, 2), "server_cpu_s": round(s, 2), "clients_cpu_s": round(c, 2),
                "other_cpu_s": round(max(0.0, m - s - c), 2)}


def describe(name: str, lat: dict[str, Any], extra: str = "") -> None:
    log(f"  {name}: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms "
        f"(min {lat['min_ms']} ms; {lat['received']} frames, {lat['missing']} missing){extra}")


# -- the Xietong phase ----------------------------------------------------------------------------


def cpu_split(marks: dict[str, Any]) -> dict[str, float | None]:
    """Server CPU (ms) from the request to the commit and from the commit to the last frame."""
    r, c, l = marks.get("cpu_at_request"), marks.get("cpu_at_commit"), marks.get("cpu_at_last_send")
    out: dict[str, float | None] = {}
    for k in ("loop_thread", "process"):
        out[f"request_to_commit_{k}"] = ms(c[k] - r[k]) if r and c else None
        out[f"handoff_{k}"] = ms(l[k] - c[k]) if c and l else None
    return out


def xietong_env(db: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XIETONG_", "BENCH_"))}
    env.update({
        "XIETONG_STORE_PATH": str(db),
        "XIETONG_STORE_SYNCHRONOUS": "FULL",            # the default, stated
        "XIETONG_PASSWORDS_ARGON2_MEMORY_KIB": "1024",   # cheap argon2 (as the tests' FAST settings)
        "XIETONG_PASSWORDS_ARGON2_TIME_COST": "1",
        "XIETONG_PASSWORDS_ARGON2_PARALLELISM": "1",
        "XIETONG_WEB_HOST": "127.0.0.1",
        "XIETONG_WEB_PORT": str(port),
        "XIETONG_LOG_LEVEL": "WARNING",
    })
    if CODE["dir"] != REPO:
        env["PYTHONPATH"] = str(CODE["dir"])
    return env


CODE = {"dir": REPO}      # the source tree Xietong runs from (--code: another copy, for A/B comparisons)


def xietong_cmd() -> list[str]:
    return [PY, str(BENCH / "fanout_server.py")]


def make_org(tmp: Path, n: int) -> tuple[Path, str, Path, list[int]]:
    """`xietong demo`, then N clerks in ceil(N/2) new units (bulk SQL), one token each."""
    db = tmp / "xietong.db"
    env = xietong_env(db, 0)
    r = subprocess.run(xietong_cmd() + ["demo"], cwd=REPO, env=env, capture_output=True, timeout=120)
    if r.returncode:
        raise RuntimeError(f"xietong demo failed: {r.stderr.decode(errors='replace')[-2000:]}")
    now = iso_now()
    con = sqlite3.connect(db)
    try:
        pw_hash, issuer_id = con.execute("SELECT password_hash, id FROM users WHERE login = 'bgs.clerk1'").fetchone()
        parent = con.execute("SELECT id FROM units WHERE code = 'BGS'").fetchone()[0]
        unit0 = con.execute("SELECT max(id) FROM units").fetchone()[0] + 1
        user0 = con.execute("SELECT max(id) FROM users").fetchone()[0] + 1
        n_units = (n + 1) // 2
        units = [unit0 + i for i in range(n_units)]
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO units (id, code, name, kind, parent_id, duty_phone, created_at)"
            " VALUES (?, ?, ?, 'township', ?, '', ?)",
            ((u, f"FO{i:05d}", f"扇出测试第{i:05d}单位", parent, now) for i, u in enumerate(units)))
        users = [(user0 + k, units[k // 2], k) for k in range(n)]
        con.executemany(
            "INSERT INTO users (id, login, name, unit_id, password_hash, phone, allowed_ips, created_at,"
            " password_set_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?)",
            ((uid, f"fo{k // 2:05d}.clerk{k % 2 + 1}", f"文书{k:05d}", unit, pw_hash, f"+86139{k:08d}", now, now)
             for uid, unit, k in users))
        con.executemany("INSERT INTO user_roles (user_id, role) VALUES (?, 'clerk')", ((u,) for u, _, _ in users))
        tokens = ["xt_" + secrets.token_urlsafe(32) for _ in range(n + 1)]
        rows = [(hashlib.sha256(tokens[k].encode("ascii")).hexdigest(), uid, now) for k, (uid, _, _) in enumerate(users)]
        rows.append((hashlib.sha256(tokens[n].encode("ascii")).hexdigest(), issuer_id, now))
        con.executemany("INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?, ?, 'fanout-bench', ?)",
                        rows)
        con.execute("COMMIT")
    finally:
        con.close()
    tokens_file = tmp / "tokens.txt"
    tokens_file.write_text("\n".join(f"{tokens[k]} {unit}" for k, (_, unit, _) in enumerate(users)) + "\n",
                           encoding="ascii")
    return db, tokens[n], tokens_file, units


async def phase_xietong(run: Procs, a: argparse.Namespace, tmp: Path, pins: dict[str, set[int] | None]) -> dict[str, Any]:
    n = a.clients
    log(f"\n== Xietong: `xietong serve` + {n} clients over {(n + 1) // 2} units ==")
    t = time.monotonic()
    db, issuer_token, tokens_file, units = make_org(tmp, n)
    log(f"  organisation ready in {time.monotonic() - t:.1f} s ({db})")
    port = free_port()
    out = tmp / "xietong-marks.json"
    env = xietong_env(db, port)
    env["BENCH_FANOUT_OUT"] = str(out)
    env["BENCH_FANOUT_EXPECT"] = str(n)
    if a.cprofile:
        env["BENCH_FANOUT_CPROFILE"] = str(Path(a.cprofile).resolve())
        env["BENCH_FANOUT_CPROFILE_FROM"] = a.cprofile_from
    log_path = tmp / "xietong-server.log"
    server = run.start_server(xietong_cmd() + ["serve", "--port", str(port)], env, log_path, pins["server"])
    await wait_port(port, server, 60, log_path)
    load = await start_load(run, "xietong", f"ws://127.0.0.1:{port}/ws", n, a.procs, tmp, pins["clients"],
                            tokens_file, a.concurrency, a.connect_timeout)
    await asyncio.sleep(a.settle)
    other = await wait_quiet([server.pid, *load.pids], 0.15, a.quiet_wait)
    body = {"kind": "document", "urgency": "extra_urgent", "title": TITLE, "body": BODY, "main_units": units}
    spy = None
    async with aiohttp.ClientSession() as http:
        if a.pyspy:
            spy = subprocess.Popen([str(Path(PY).parent / "py-spy"), "record", "-o", str(Path(a.pyspy).resolve()),
                                    "--pid", str(server.pid), "--rate", "200", "--nonblocking", "--threads", "-f",
                                    {".json": "speedscope", ".svg": "flamegraph"}.get(Path(a.pyspy).suffix, "raw")],
                                   stdout=subprocess.DEVNULL, stderr=open(tmp / "py-spy.log", "wb"),
                                   preexec_fn=run.pin(pins["clients"]))
            run.popen.append(spy)
            await asyncio.sleep(1.5)
        async with http.get(f"http://127.0.0.1:{port}/api/me",         # a warm keep-alive connection
                            headers={"Authorization": f"Bearer {issuer_token}"}) as warm:
            if warm.status != 200:
                raise RuntimeError(f"GET /api/me with the issuer's token: {warm.status}")
            await warm.read()
        cpu = CpuWindow(server.pid, load.pids)
        t0 = time.time()
        resp = await asyncio.wait_for(http.post(f"http://127.0.0.1:{port}/api/items", json=body,
                                                headers={"Authorization": f"Bearer {issuer_token}"}),
                                      a.burst_timeout)
        raw = await resp.read()
        t_resp = time.time()
        if resp.status != 200:
            raise RuntimeError(f"POST /api/items: {resp.status} {raw[:300]!r}")
        got = await collect(load, 1, a.burst_timeout)
        usage = cpu.done()
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.wait(timeout=60)
    issued = json.loads(raw)
    server.send_signal(signal.SIGUSR1)
    for _ in range(100):
        if out.exists():
            break
        await asyncio.sleep(0.1)
    marks = json.loads(out.read_text()) if out.exists() else {}
    await run.stop_clients()
    Procs.stop_popen(server)
    lat = latency(got["arrivals"], t0)
    deliveries = len(issued.get("deliveries", []))
    con = sqlite3.connect(db)
    stored = {k: con.execute(q, (issued["item"]["id"],)).fetchone()[0] for k, q in (
        ("deliveries", "SELECT count(*) FROM deliveries WHERE item_id = ?"),
        ("events", "SELECT count(*) FROM events WHERE item_id = ? AND type = 'item.issued'"),
        ("sms_outbox", "SELECT count(*) FROM outbox o JOIN deliveries d ON d.id = o.delivery_id WHERE d.item_id = ?"),
        ("timers", "SELECT count(*) FROM timers t JOIN deliveries d ON d.id = t.delivery_id WHERE d.item_id = ?"))}
    con.close()
    issue = (marks.get("issues") or [{}])[-1]
    req = (marks.get("issue_requests") or [{}])[-1]
    sends = marks.get("sends", {})
    commit = issue.get("committed_poke")
    last_send = sends.get("last")
    res = {**lat, "wrong": got["wrong"], "lost": got["lost"], "http_response_ms": ms(t_resp - t0),
           "stored": stored, "response_deliveries": deliveries,
           "server": {
               "request_to_commit_ms": ms(commit - req["arrived"]) if commit and req.get("arrived") else None,
               "t0_to_request_ms": ms(req["arrived"] - t0) if req.get("arrived") else None,
               "handoff_ms": ms(last_send - commit) if last_send and commit else None,
               "commit_to_first_send_ms": ms(sends["first"] - commit) if sends.get("first") and commit else None,
               "request_to_last_send_ms": ms(last_send - req["arrived"]) if last_send and req.get("arrived") else None,
               "response_ready_after_commit_ms": ms(req["answered"] - commit) if commit and req.get("answered") else None,
               "frames_sent": sends.get("count"), "frames_left_in_user_buffer": marks.get("buffered"),
               "frame_bytes": (marks.get("frame_bytes") or [None])[0],
               "feed_passes": marks.get("passes"),
               "cpu_ms": cpu_split(marks),
           },
           "last_send_to_last_arrival_ms": ms(max(a for a in got["arrivals"] if a) - last_send)
           if last_send and lat["received"] else None,
           "cpu": usage, "other_cores_before": round(other, 2)}
    if commit:
        def rel(t: float) -> float:     # ms after the commit's poke
            return round((t - commit) * 1000, 1)

        res["timeline_after_commit_ms"] = {      # negative: between the request and the commit
            "response_view": [[rel(v["started"]), rel(v["ended"])] for v in marks.get("views", [])
                              if v["ended"] >= commit][:3],
            "feed_encode": [[rel(e["started"]), rel(e["ended"]), e["events"]] for e in marks.get("encodes", [])
                            if e["ended"] >= commit],
            "gc_passes": [[rel(g["started"]), rel(g["ended"]), g["generation"]] for g in marks.get("gc", [])
                          if g["ended"] >= req.get("arrived", commit) and (not last_send or g["started"] <= last_send)],
            "response_ready": rel(req["answered"]) if req.get("answered") else None,
            "first_frame_in_kernel": rel(sends["first"]) if sends.get("first") else None,
            "last_frame_in_kernel": rel(last_send) if last_send else None,
            "last_client_frame": rel(max(a for a in got["arrivals"] if a)) if lat["received"] else None}
    describe("Xietong", lat)
    s = res["server"]
    log(f"  POST answered after {res['http_response_ms']} ms; server: t0→request in the app "
        f"{s['t0_to_request_ms']} ms, request→commit {s['request_to_commit_ms']} ms, commit→first frame {s['commit_to_first_send_ms']} ms, hand-off (commit→last frame in kernel) "
        f"{s['handoff_ms']} ms; last frame in kernel → last client got it {res['last_send_to_last_arrival_ms']} ms")
    log(f"  persisted in the issue transaction: {stored}; frames sent {s['frames_sent']} "
        f"({s['frame_bytes']} bytes each), left in a user-space buffer {s['frames_left_in_user_buffer']}; "
        f"wrong frames {got['wrong']}, lost connections {got['lost']}")
    cm = s["cpu_ms"]
    log(f"  server CPU (ms; hardly affected by other processes): request→commit {cm['request_to_commit_process']} "
        f"(event loop {cm['request_to_commit_loop_thread']}), hand-off {cm['handoff_process']} "
        f"(event loop {cm['handoff_loop_thread']})")
    if "timeline_after_commit_ms" in res:
        log(f"  timeline, ms after the commit: {json.dumps(res['timeline_after_commit_ms'])}")
    log(f"  CPU over the burst: {usage}")
    if stored["deliveries"] != len(units) or lat["missing"] or got["wrong"]:
        log("  !! INCOMPLETE: not every client got its own unit's frame, or not every delivery is stored")
    return res


# -- the baseline and the peer ------------------------------------------------------------------


def sample_frame() -> str:
    """A frame shaped and sized like Xietong's item.issued frame."""
    at = iso_now().replace("Z", "+00:00")
    return json.dumps({
        "v": 1, "id": 123456, "type": "item.issued", "at": at, "data": {"role": "main"}, "board": False,
        "item": {"id": 4321, "kind": "document", "urgency": "extra_urgent", "title": TITLE, "short_code": "4821",
                 "sender_unit_id": 1, "issued_at": at, "due_at": at, "meeting_at": None},
        "delivery": {"id": 98765, "unit_id": 4567, "state": "pending", "due_at": at, "receipt_no": None,
                     "level": 0, "escalated_at": None}}, ensure_ascii=False, separators=(",", ":"))


async def phase_reference(run: Procs, a: argparse.Namespace, tmp: Path, pins: dict[str, set[int] | None],
                          kind: str) -> dict[str, Any]:
    n = a.clients
    rows = (n + 1) // 2
    port = free_port()
    db = tmp / f"{kind}.db"
    log_path = tmp / f"{kind}-server.log"
    script = "fanout_baseline.py" if kind == "baseline" else "fanout_socketio.py"
    title = ("bare `websockets` server, broadcast()" if kind == "baseline"
             else "python-socketio AsyncServer (aiohttp mode), emit() to all")
    log(f"\n== {kind}: {title}, {n} clients ==")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XIETONG_", "BENCH_"))}
    server = run.start_server([PY, str(BENCH / script), "--port", str(port), "--db", str(db)], env, log_path,
                              pins["server"])
    await wait_port(port, server, 60, log_path)
    url = (f"ws://127.0.0.1:{port}/" if kind == "baseline"
           else f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket")
    load = await start_load(run, kind, url, n, a.procs, tmp, pins["clients"], None, a.concurrency, a.connect_timeout)
    frame = sample_frame()
    res: dict[str, Any] = {"frame_bytes": len(frame.encode()), "persisted_rows": rows}
    async with contextlib.AsyncExitStack() as stack:
        if kind == "baseline":
            from websockets.asyncio.client import connect
            control = await stack.enter_async_context(connect(f"ws://127.0.0.1:{port}/control", compression=None))
        else:
            http = await stack.enter_async_context(aiohttp.ClientSession())
            async with http.get(f"http://127.0.0.1:{port}/ping") as warm:      # a warm keep-alive connection
                await warm.read()
        for k, persist in ((1, rows), (2, 0)):
            await asyncio.sleep(a.settle)
            other = await wait_quiet([server.pid, *load.pids], 0.15, a.quiet_wait)
            cpu = CpuWindow(server.pid, load.pids)
            msg = {"frame": frame, "persist_rows": persist}
            t0 = time.time()
            if kind == "baseline":
                await control.send(json.dumps(msg))
                reply = json.loads(await asyncio.wait_for(control.recv(), a.burst_timeout))
            else:
                async with http.post(f"http://127.0.0.1:{port}/fire", json=msg) as resp:
                    reply = await resp.json()
            t_reply = time.time()
            got = await collect(load, k, a.burst_timeout)
            lat = latency(got["arrivals"], t0)
            done = reply.get("sent") or reply.get("emitted")
            r = {**lat, "lost": got["lost"], "extra": got["extra"], "reply_ms": ms(t_reply - t0),
                 "persist_ms": ms(reply["persisted"] - reply["received"]),
                 "send_call_ms": ms(done - reply["persisted"]),
                 "server_clients": reply.get("clients"), "cpu": cpu.done(), "other_cores_before": round(other, 2)}
            label = "persist + send" if persist else "send only"
            res["persist" if persist else "bare"] = r
            call = "broadcast()" if kind == "baseline" else "emit()"
            describe(f"{kind} ({label})", lat,
                     f"; persist {r['persist_ms']} ms, {call} returned after {r['send_call_ms']} ms")
            if lat["missing"]:
                log("  !! INCOMPLETE: some clients got no frame")
    await run.stop_clients()
    Procs.stop_popen(server)
    return res


# -- main ---------------------------------------------------------------------------------------


async def amain(a: argparse.Namespace) -> dict[str, Any]:
    raise_nofile()
    pin = not a.no_pin and len(os.sched_getaffinity(0)) >= 2
    cpus = sorted(os.sched_getaffinity(0))
    pins: dict[str, set[int] | None] = {"server": {cpus[0]} if pin else None,
                                        "clients": set(cpus[1:]) if pin else None}
    if pin:
        os.sched_setaffinity(0, set(cpus[1:]))
    tmp = Path(tempfile.mkdtemp(prefix="xietong-fanout-"))
    run = Procs()
    log(f"fan-out benchmark: {a.clients} clients in {a.procs} processes; Xietong from {CODE['dir']}; temp dir {tmp}; "
        f"pinning: {'server CPU %s, clients CPU %s' % (pins['server'], pins['clients']) if pin else 'off'}")
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    try:
        for system in a.systems.split(","):
            try:
                if system == "xietong":
                    results[system] = await asyncio.wait_for(phase_xietong(run, a, tmp, pins), a.phase_timeout)
                elif system == "xietong_pg":
                    sys.modules.setdefault("fanout", sys.modules[__name__])   # one copy of this module's state
                    import fanout_cluster
                    results[system] = await asyncio.wait_for(fanout_cluster.phase(run, a, tmp, pins),
                                                             a.phase_timeout)
                elif system in ("baseline", "socketio"):
                    results[system] = await asyncio.wait_for(phase_reference(run, a, tmp, pins, system),
                                                             a.phase_timeout)
                else:
                    raise ValueError(f"unknown system {system}")
            except Exception as e:
                errors[system] = f"{type(e).__name__}: {e}"[:1000]
                log(f"  !! {system} failed: {errors[system]}")
            finally:
                await run.stop_all()
    finally:
        await run.stop_all()
        if a.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return summarize(a, results, errors)


def summarize(a: argparse.Namespace, results: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    x, b, s = results.get("xietong", {}), results.get("baseline", {}), results.get("socketio", {})
    bp, sp = b.get("persist", {}), s.get("persist", {})
    out: dict[str, Any] = {
        "clients": a.clients,
        "xietong_p50_ms": x.get("p50_ms"), "xietong_p99_ms": x.get("p99_ms"), "xietong_max_ms": x.get("max_ms"),
        "handoff_ms": x.get("server", {}).get("handoff_ms"),
        "baseline_p99_ms": bp.get("p99_ms"), "socketio_p99_ms": sp.get("p99_ms"),
        "baseline_p50_ms": bp.get("p50_ms"), "baseline_max_ms": bp.get("max_ms"),
        "socketio_p50_ms": sp.get("p50_ms"), "socketio_max_ms": sp.get("max_ms"),
        "baseline_send_only_p99_ms": b.get("bare", {}).get("p99_ms"),
        "socketio_send_only_p99_ms": s.get("bare", {}).get("p99_ms"),
    }

    def ratio(p: float | None, q: float | None) -> float | None:
        return round(p / q, 2) if p and q else None

    pg = results.get("xietong_pg", {})
    out.update({"backend": a.backend, "processes": a.processes if pg else 1})
    if a.backend == "postgresql":
        out.update({"xietong_pg_p50_ms": pg.get("p50_ms"), "xietong_pg_p99_ms": pg.get("p99_ms"),
                    "xietong_pg_max_ms": pg.get("max_ms"), "xietong_pg_missing": pg.get("missing"),
                    "xietong_pg_wrong_frames": pg.get("wrong"), "xietong_pg_per_process": pg.get("per_process"),
                    "xietong_pg_persisted": pg.get("stored"),
                    "pg_over_sqlite_p99": ratio(pg.get("p99_ms"), x.get("p99_ms"))})
    out["xietong_over_baseline_p99"] = ratio(out["xietong_p99_ms"], out["baseline_p99_ms"])
    out["xietong_over_socketio_p99"] = ratio(out["xietong_p99_ms"], out["socketio_p99_ms"])
    out["xietong_over_baseline_send_only_p99"] = ratio(out["xietong_p99_ms"], out["baseline_send_only_p99_ms"])
    if x:
        sv = x["server"]
        out.update({"xietong_http_response_ms": x["http_response_ms"],
                    "xietong_request_to_commit_ms": sv["request_to_commit_ms"],
                    "xietong_request_to_last_send_ms": sv["request_to_last_send_ms"],
                    "handoff_cpu_ms": sv["cpu_ms"].get("handoff_process"),
                    "xietong_missing": x["missing"], "xietong_wrong_frames": x["wrong"],
                    "xietong_persisted": x["stored"]})
    for name, r in (("xietong", x), ("baseline", bp), ("socketio", sp)):
        c = r.get("cpu") or {}
        out[f"{name}_other_cores_during_burst"] = (round(c["other_cpu_s"] / c["wall_s"], 2)
                                                   if c.get("wall_s") else None)
    out["baseline_persist_ms"] = bp.get("persist_ms")
    out["socketio_persist_ms"] = sp.get("persist_ms")
    out["targets"] = {
        "p99_le_1.5x_baseline": (out["xietong_over_baseline_p99"] is not None
                                 and out["xietong_over_baseline_p99"] <= TARGET_P99_RATIO),
        "ahead_of_socketio": (out["xietong_over_socketio_p99"] is not None
                              and out["xietong_over_socketio_p99"] < 1.0),
        "handoff_le_250ms_at_10k": (None if a.clients < 10_000 or out["handoff_ms"] is None
                                    else out["handoff_ms"] <= TARGET_HANDOFF_MS_10K),
    }
    if a.backend == "postgresql":
        out["targets"]["pg_p99_le_1.3x_sqlite"] = (out["pg_over_sqlite_p99"] is not None
                                                  and out["pg_over_sqlite_p99"] <= TARGET_PG_RATIO)
    out["notes"] = ("latency = client process got the frame's bytes - t0 (t0: just before the HTTP POST / trigger); "
                    "Xietong persists item + deliveries + events + SMS outbox + timers + audit in the issue "
                    "transaction; baseline and socketio persist N/2 delivery rows (sqlite3, synchronous=FULL, one "
                    "transaction) before sending; *_send_only_*: second round without persisting; "
                    "handoff = server: commit's feed poke -> last item.issued frame written to its socket, in kernel; "
                    "*_other_cores_during_burst: CPU used by processes not of this benchmark (other work on the "
                    "machine), in cores")
    if errors:
        out["errors"] = errors
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=5000, help="clients (distinct users), default 5,000, up to 10,000")
    p.add_argument("--procs", type=int, default=4, help="load-generator processes (default 4)")
    p.add_argument("--systems", default="baseline,socketio,xietong",
                   help="which to run, in order (default baseline,socketio,xietong)")
    p.add_argument("--concurrency", type=int, default=24, help="connection attempts at once per load process")
    p.add_argument("--connect-timeout", type=float, default=0, help="s for all clients to connect (0: 60 + 25 ms each)")
    p.add_argument("--burst-timeout", type=float, default=120, help="s for every client to get its frame")
    p.add_argument("--phase-timeout", type=float, default=0, help="s for one system's whole phase (0: automatic)")
    p.add_argument("--settle", type=float, default=2.0, help="s to wait after connecting, before the trigger")
    p.add_argument("--quiet-wait", type=float, default=20, help="s at most to wait for other processes to calm down")
    p.add_argument("--no-pin", action="store_true", help="do not pin the server to CPU 0 and the clients to CPU 1")
    p.add_argument("--pyspy", metavar="FILE", help="py-spy record the Xietong server during the burst (.svg, .json speedscope, else collapsed stacks)")
    p.add_argument("--cprofile", metavar="FILE", help="cProfile Xietong's event loop from the POST until all is sent")
    p.add_argument("--cprofile-from", choices=("request", "commit"), default="request",
                   help="start --cprofile when the POST arrives (default) or when the issue has committed")
    p.add_argument("--receiver", choices=("tail", "websockets"), default="tail",
                   help="clients after the hello: a minimal frame reader (default) or the websockets client")
    p.add_argument("--code", metavar="DIR", help="run Xietong from this source tree (a copy of hub/ and webapp/; "
                   "for A/B comparisons of a change); default: this repository")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, logs)")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                   help="postgresql: also run Xietong on PostgreSQL with --processes processes (bench/fanout_cluster.py) "
                   "after the single-process SQLite run, and print the ratio of their p99")
    p.add_argument("--processes", type=int, default=2, help="hub processes on PostgreSQL (default 2)")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                   help="a PostgreSQL server's maintenance database; the run makes (and drops) its own database")
    a = p.parse_args()
    if not 1 <= a.clients <= 10_000:
        p.error("--clients must be 1..10000")
    RECEIVER["name"] = a.receiver
    if a.code:
        CODE["dir"] = Path(a.code).resolve()
    if a.backend == "postgresql" and "xietong_pg" not in a.systems.split(","):
        a.systems += ",xietong_pg"
    a.connect_timeout = a.connect_timeout or 60 + 0.025 * a.clients
    a.phase_timeout = a.phase_timeout or (a.connect_timeout + 2 * a.burst_timeout + 3 * a.quiet_wait + 240)
    out = asyncio.run(amain(a))
    log()
    log("== summary ==")
    log(f"  Xietong p50 {out['xietong_p50_ms']} ms, p99 {out['xietong_p99_ms']} ms, max {out['xietong_max_ms']} ms; "
        f"hand-off {out['handoff_ms']} ms")
    log(f"  baseline p99 {out['baseline_p99_ms']} ms (send only {out['baseline_send_only_p99_ms']} ms); "
        f"python-socketio p99 {out['socketio_p99_ms']} ms (send only {out['socketio_send_only_p99_ms']} ms)")
    log(f"  ratios: Xietong/baseline p99 {out['xietong_over_baseline_p99']} (target <= {TARGET_P99_RATIO}); "
        f"Xietong/python-socketio p99 {out['xietong_over_socketio_p99']} (target < 1); targets {out['targets']}")
    if a.backend == "postgresql":
        log(f"  PostgreSQL, {out['processes']} processes: p99 {out['xietong_pg_p99_ms']} ms, "
            f"{out['pg_over_sqlite_p99']} x single-process SQLite's (target <= {TARGET_PG_RATIO})")
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 1 if out.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
