"""Benchmark: acknowledgements (签收) over HTTP against a running `xietong serve`.

Prints figures, it is not a test. What it measures:

* acks/s at saturation: N concurrent workers POST /api/deliveries/{id}/ack as fast as the
  server answers (closed loop), successful 200s only, over a fixed window after a warm-up;
* latency at a fixed 200 acks/s: an open-loop schedule (a request is due every 5 ms whatever
  the answers do; latency is counted from the moment it was due, so a stalled server cannot
  hide its backlog: no coordinated omission) -> p50/p99/max.

Everything is real: the `xietong` CLI creates the database (`xietong demo`), the server is
`xietong serve` in its own process with the default synchronous=FULL (every commit durable),
each ack is one write transaction (delivery acked, timers cancelled, item.acked + receipt
events, audit row) behind the real session lookup and CSRF check. Afterwards the SQLite file
is read back: every ack that got a 200 must be stored as acked with the receipt number the
response carried.

Setup: a few template items are issued through POST /api/items (as bgs.clerk1, to the five
recipient units); they are then cloned row for row in SQL (items, deliveries, item.issued
events, SMS outbox rows, escalation timers; no audit rows, so the audit hash chain stays
valid) until there are enough pending deliveries for the whole run.

CPU split (2 cores): the server is pinned to CPU 0 (its event loop *and* its aiosqlite
threads), this load generator to CPU 1; --no-pin lets the kernel place them. The machine may
be shared: before each phase the bench waits (bounded, --quiet/--quiet-wait) for other
processes to calm down, and after it prints how much CPU they took meanwhile, and the
server's CPU time per ack (a figure other load hardly disturbs).

    .venv/bin/python bench/ack.py                 # ~45 s; last line: {"acks_per_s": .., "p99_ms_at_200": ..}
    .venv/bin/python bench/ack.py --code-rev HEAD # the committed code, not the working tree
    .venv/bin/python bench/ack.py --probe         # + where the server's time goes (bench/_ack_serve_probe.py)
    .venv/bin/python bench/ack.py --backend postgresql   # the server on a fresh PostgreSQL database

On PostgreSQL (`--backend postgresql [--pg-url URL] [--keep]`) a fresh database `xt_bench_<hex>` is
created through --pg-url (dropped at the end), the server gets XIETONG_STORE_URL, and the SQL steps
(clone, pending list, verify) are asyncpg's (bench/_pg_ack.py); the PostgreSQL backends are not
pinned, and their CPU is reported per phase. The last line also has "backend" and "processes" (1).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _pg_ack as pg_ack
import aiohttp
from _ack_clone import clone_rows, interleaved
from _pg_db import DEFAULT_PG_URL, create_fresh, display, drop

REPO = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "Demo@2026"
RECIPIENTS = ("DHZ", "XSZ", "NQZ", "JYJ", "WJJ")        # the demo's recipient units (BGS sends)
TARGET_ACKS_PER_S = 1000.0
TARGET_P99_MS = 50.0


def log(msg: str) -> None:
    print(msg, flush=True)


# -- the server process ----------------------------------------------------------------------

CODE = {"dir": REPO}      # the source tree the server runs (--code-rev exports another revision)


def xietong_cmd() -> list[str]:
    script = Path(sys.executable).parent / "xietong"
    if CODE["dir"] == REPO and script.exists():
        return [str(script)]
    return [sys.executable, "-m", "webapp.cli"]


def export_revision(rev: str, dest: Path) -> str:
    """`git archive` a revision of this repository into dest; returns its commit id."""
    commit = subprocess.run(["git", "rev-parse", "--verify", rev + "^{commit}"], cwd=CODE["dir"], check=True,
                            capture_output=True, text=True).stdout.strip()
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=CODE["dir"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return commit


def bench_env(db: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_")}
    env.update({
        "XIETONG_STORE_PATH": str(db),
        "XIETONG_STORE_SYNCHRONOUS": "FULL",          # the default, stated: every commit is durable
        "XIETONG_PASSWORDS_ARGON2_MEMORY_KIB": "1024",  # cheap logins; acks never hash a password
        "XIETONG_PASSWORDS_ARGON2_TIME_COST": "1",
        "XIETONG_PASSWORDS_ARGON2_PARALLELISM": "1",
        "XIETONG_WEB_HOST": "127.0.0.1",
        "XIETONG_WEB_PORT": str(port),
        "XIETONG_LOG_LEVEL": "WARNING",
    })
    if CODE["dir"] != REPO:
        env["PYTHONPATH"] = str(CODE["dir"])
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine spent busy (from /proc/stat)."""
    try:
        v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")     # minus idle and iowait
    except (OSError, ValueError, IndexError):
        return float("nan")


class CpuMeter:
    """Where the CPU went over a phase: server, load generator, and everything else on the machine."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self.t, self.s, self.c, self.m = (time.perf_counter(), cpu_seconds(server_pid), own_cpu_seconds(),
                                          machine_busy_seconds())

    def report(self, acks: int) -> str:
        wall = time.perf_counter() - self.t
        s, c, m = cpu_seconds(self.pid) - self.s, own_cpu_seconds() - self.c, machine_busy_seconds() - self.m
        self.other = max(0.0, m - s - c) / wall
        self.server_ms_per_ack = s / acks * 1000 if acks else float("nan")
        warn = ("  <-- OTHER PROCESSES COMPETED FOR THE CPUs; figures are pessimistic"
                if self.other > 0.10 else "")
        return (f"  CPU over the phase ({wall:.1f} s, in cores): server {s / wall:.2f}, load generator "
                f"{c / wall:.2f}, other processes on the machine {self.other:.2f}{warn}\n"
                f"  server CPU per ack: {self.server_ms_per_ack:.2f} ms (all threads; "
                f"load generator {c / acks * 1000 if acks else float('nan'):.2f} ms) -> one core could "
                f"not do more than ~{1000 / self.server_ms_per_ack if acks else 0:.0f} acks/s at this cost")


async def wait_quiet(limit: float, max_wait: float) -> float:
    """Wait (at most max_wait s) until the rest of the machine uses under `limit` cores; returns their use."""
    start = time.monotonic()
    said = -10.0
    while True:
        t, m = time.perf_counter(), machine_busy_seconds()
        await asyncio.sleep(1.0)
        other = (machine_busy_seconds() - m) / (time.perf_counter() - t)
        waited = time.monotonic() - start
        if other < limit or waited >= max_wait:
            return other
        if waited - said >= 10:
            said = waited
            log(f"  waiting for a quieter machine: other processes use {other:.2f} cores "
                f"(waited {waited:.0f} s of at most {max_wait:.0f})")


def own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log_path: Path

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the server exited by itself (code {self.proc.returncode}); its log:\n{self.tail()}")

    def stop(self) -> int:
        if self.proc.poll() is not None:
            log(f"the server had exited by itself (code {self.proc.returncode}) before the end of the run")
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode

    probe_out: Path | None = None
    probe_n: int = 0
    probe_phases: dict[str, Path] = field(default_factory=dict)

    def probe_mark(self, label: str | None = None) -> None:
        """With --probe: close the probe's current measuring period (named `label`, or discarded)."""
        if self.probe_out is None or self.proc.poll() is not None:
            return
        self.probe_n += 1
        self.proc.send_signal(signal.SIGUSR1)
        if label:
            self.probe_phases[label] = Path(f"{self.probe_out}.{self.probe_n}")

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


async def start_server(env: dict[str, str], port: int, log_path: Path, cpu: int | None,
                       probe: bool = False) -> Server:
    serve = ([sys.executable, str(Path(__file__).with_name("_ack_serve_probe.py"))] if probe else xietong_cmd())
    cmd = serve + ["serve", "--host", "127.0.0.1", "--port", str(port)]
    out = open(log_path, "wb")      # noqa: SIM115 - kept open for the child's life
    proc = subprocess.Popen(cmd, cwd=CODE["dir"], env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    if cpu is not None:
        os.sched_setaffinity(proc.pid, {cpu})     # threads it starts later inherit this
    server = Server(proc, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{server.tail()}")
            try:
                async with s.get(server.base + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return server
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not answer /healthz within 60 s:\n{server.tail()}")


# -- logging in, seeding -----------------------------------------------------------------------

@dataclass(frozen=True)
class Clerk:
    login: str
    unit_id: int
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"xt_session={self.cookie}", "X-CSRF-Token": self.csrf}


async def login(s: aiohttp.ClientSession, base: str, who: str, unit_id: int) -> Clerk:
    async with s.post(base + "/api/login", json={"login": who, "password": DEMO_PASSWORD}) as r:
        body = await r.json()
        if r.status != 200:
            raise RuntimeError(f"login {who}: {r.status} {body}")
        morsel = r.cookies.get("xt_session")
        if morsel is None:
            raise RuntimeError(f"login {who}: no xt_session cookie")
        return Clerk(who, unit_id, morsel.value, body["csrf_token"])


def unit_ids(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return {code: uid for code, uid in c.execute("SELECT code, id FROM units")}


async def issue_templates(s: aiohttp.ClientSession, base: str, sender: Clerk, units: dict[str, int],
                          n: int) -> list[int]:
    ids = []
    for i in range(n):
        draft = {"kind": "document", "urgency": "urgent", "title": f"压测模板 {i + 1}",
                 "body": "bench/ack.py template item", "doc_number": f"示范办〔2026〕{i + 1}号",
                 "main_units": [units[c] for c in RECIPIENTS]}
        async with s.post(base + "/api/items", json=draft, headers=sender.headers) as r:
            body = await r.json()
            if r.status != 200:
                raise RuntimeError(f"POST /api/items: {r.status} {body}")
            ids.append(int(body["item"]["id"]))
    return ids


def columns(c: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in c.execute(f"PRAGMA table_info({table})")]


def clone_items(db: Path, template_id: int, copies: int) -> float:
    """Copy one issued item with everything `issue` wrote for it, `copies` times, in one transaction.

    Items, deliveries, item.issued events, SMS outbox rows and step timers are copied column for
    column (whatever the schema holds), with fresh ids and short codes. Returns seconds taken."""
    t0 = time.perf_counter()
    c = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        c.row_factory = sqlite3.Row
        c.execute("PRAGMA synchronous = NORMAL")      # seeding only; the server itself runs FULL
        c.execute("BEGIN IMMEDIATE")
        item = c.execute("SELECT * FROM items WHERE id = ?", (template_id,)).fetchone()
        deliveries = c.execute("SELECT * FROM deliveries WHERE item_id = ? ORDER BY id",
                               (template_id,)).fetchall()
        events = c.execute("SELECT * FROM events WHERE item_id = ? ORDER BY id", (template_id,)).fetchall()
        d_ids = [d["id"] for d in deliveries]
        marks = ",".join("?" * len(d_ids))
        outbox = c.execute(f"SELECT * FROM outbox WHERE delivery_id IN ({marks}) ORDER BY id", d_ids).fetchall()
        timers = c.execute(f"SELECT * FROM timers WHERE delivery_id IN ({marks}) ORDER BY id", d_ids).fetchall()

        def next_id(table: str) -> int:
            return int(c.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])

        cols = {t: [x for x in columns(c, t) if x != "id"]
                for t in ("items", "deliveries", "events", "outbox", "timers")}
        ids = {t: next_id(t) for t in cols}
        rows = clone_rows(copies, cols, ids, item, deliveries, events, outbox, timers)
        for table in ("items", "deliveries", "events", "outbox", "timers"):
            names = ["id", *cols[table]]
            c.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                          rows[table])
        if "sqlite_sequence" in {r[0] for r in c.execute("SELECT name FROM sqlite_master")}:
            c.execute("UPDATE sqlite_sequence SET seq = (SELECT max(id) FROM events) WHERE name = 'events'")
        c.execute("COMMIT")
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        c.close()
    return time.perf_counter() - t0


def pending_deliveries(db: Path, unit_ids_: set[int]) -> list[tuple[int, int]]:
    """(delivery id, unit id) of every pending delivery, interleaved across units."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        rows = c.execute("SELECT id, unit_id FROM deliveries WHERE state = 'pending' ORDER BY id").fetchall()
    return interleaved([(r[0], r[1]) for r in rows], unit_ids_)


# -- load ---------------------------------------------------------------------------------------

@dataclass
class Sample:
    delivery_id: int
    start: float          # loop time the request was due (open loop) or sent (closed loop)
    end: float
    status: int           # HTTP status, or 0 for a client-side failure
    receipt_no: str | None = None
    error: str = ""


@dataclass
class Work:
    todo: collections.deque[tuple[int, int]]
    clerks: dict[int, list[Clerk]]
    turn: collections.Counter[int] = field(default_factory=collections.Counter)
    oks: dict[int, str] = field(default_factory=dict)      # delivery id -> receipt no of every 200
    server: "subprocess.Popen[bytes] | None" = None

    def next(self) -> tuple[int, Clerk] | None:
        if not self.todo or (self.server is not None and self.server.poll() is not None):
            return None     # out of deliveries, or the server is gone: stop sending
        did, uid = self.todo.popleft()
        pool = self.clerks[uid]
        self.turn[uid] += 1
        return did, pool[self.turn[uid] % len(pool)]


async def ack(s: aiohttp.ClientSession, base: str, work: Work, did: int, clerk: Clerk, due: float) -> Sample:
    loop = asyncio.get_running_loop()
    try:
        async with s.post(f"{base}/api/deliveries/{did}/ack", headers=clerk.headers) as r:
            raw = await r.read()
            end = loop.time()
            if r.status == 200:
                receipt = json.loads(raw)["delivery"]["receipt_no"]
                work.oks[did] = receipt
                return Sample(did, due, end, 200, receipt)
            try:
                code = json.loads(raw)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = raw[:80].decode(errors="replace")
            return Sample(did, due, end, r.status, error=str(code))
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return Sample(did, due, loop.time(), 0, error=type(exc).__name__)


async def saturate(s: aiohttp.ClientSession, base: str, work: Work, workers: int, warmup: float,
                   duration: float) -> tuple[list[Sample], float, float]:
    """Closed loop: `workers` requests always in flight. Returns samples and the measured window."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    w_start, w_end = t0 + warmup, t0 + warmup + duration
    samples: list[Sample] = []

    async def worker() -> None:
        while loop.time() < w_end:
            nxt = work.next()
            if nxt is None:
                return
            did, clerk = nxt
            samples.append(await ack(s, base, work, did, clerk, loop.time()))

    await asyncio.gather(*(worker() for _ in range(workers)))
    return samples, w_start, w_end


async def fixed_rate(s: aiohttp.ClientSession, base: str, work: Work, rate: float, warmup: float,
                     duration: float) -> tuple[list[Sample], float, float, float]:
    """Open loop: request i is due at t0 + i/rate whatever happened before; latency counts from then."""
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.05
    w_start, w_end = t0 + warmup, t0 + warmup + duration
    n = int(round((warmup + duration) * rate))
    tasks: list[asyncio.Task[Sample]] = []
    worst_late = 0.0
    for i in range(n):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        worst_late = max(worst_late, loop.time() - due)
        nxt = work.next()
        if nxt is None:
            log("  ran out of deliveries in the fixed-rate phase")
            break
        tasks.append(asyncio.create_task(ack(s, base, work, nxt[0], nxt[1], due)))
    samples = list(await asyncio.gather(*tasks))
    return samples, w_start, w_end, worst_late


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def summarize(samples: list[Sample]) -> dict[str, object]:
    lat = sorted((x.end - x.start) * 1000 for x in samples if x.status == 200)
    errors = collections.Counter(f"{x.status} {x.error}".strip() for x in samples if x.status != 200)
    return {"ok": len(lat), "errors": dict(errors),
            "p50_ms": round(pct(lat, 50), 2), "p90_ms": round(pct(lat, 90), 2),
            "p99_ms": round(pct(lat, 99), 2), "max_ms": round(lat[-1], 2) if lat else float("nan")}


def probe_report(label: str, path: Path) -> str:
    """The instrumented server's figures for one phase, per ack."""
    if not path.exists():
        return f"probe [{label}]: no output"
    data = json.loads(path.read_text())
    acks = data["counters"].get("acks", 0)
    lines = [f"probe [{label}] (instrumented server; {acks} acks; timings include the probe's overhead):"]
    for kind in ("reader", "writer"):
        n = data["counters"].get(f"roundtrips.{kind}", 0)
        lines.append(f"  aiosqlite round trips per ack on the {kind} connection(s): {n / acks if acks else 0:.1f}")
    if "group_commit" in data:
        lines.append(f"  group commit: {json.dumps(data['group_commit'])}")
    lines.append(f"  {'':38} {'n':>7} {'mean ms':>8} {'p50':>8} {'p99':>8} {'max':>8} {'ms/ack':>7}")
    for key, st in data["stats"].items():
        if st.get("n"):
            lines.append(f"  {key:38} {st['n']:>7} {st['mean_ms']:>8.3f} {st['p50_ms']:>8.3f} "
                         f"{st['p99_ms']:>8.3f} {st['max_ms']:>8.3f} "
                         f"{st['total_s'] * 1000 / acks if acks else 0:>7.3f}")
    return "\n".join(lines)


# -- checking what was stored ----------------------------------------------------------------------

def verify(db: Path, oks: dict[int, str]) -> dict[str, object]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        stored: dict[int, tuple[str, str | None]] = {}
        ids = list(oks)
        for i in range(0, len(ids), 900):
            chunk = ids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for did, state, receipt in c.execute(
                    f"SELECT id, state, receipt_no FROM deliveries WHERE id IN ({marks})", chunk):
                stored[did] = (state, receipt)
        receipts = collections.Counter(r[0] for r in c.execute(
            "SELECT delivery_id FROM events WHERE type = 'receipt'"))
        acked_total = c.execute("SELECT count(*) FROM deliveries WHERE state = 'acked'").fetchone()[0]
        audit_acks = c.execute("SELECT count(*) FROM audit_log WHERE action = 'delivery.ack'").fetchone()[0]
        timers_left = c.execute(
            "SELECT count(*) FROM timers t JOIN deliveries d ON d.id = t.delivery_id"
            " WHERE d.state = 'acked' AND t.kind = 'step'").fetchone()[0]
    bad = [did for did, receipt in oks.items()
           if stored.get(did) != ("acked", receipt) or receipts.get(did) != 1]
    # An ack whose response never arrived (client timeout) may still have committed: that is
    # reported, not counted as a failure; a 200 that is not stored is.
    return {"acks_200": len(oks), "stored_acked_with_same_receipt_and_one_receipt_event": len(oks) - len(bad),
            "mismatches": len(bad), "mismatch_examples": bad[:5], "acked_in_db": acked_total,
            "committed_but_no_200_seen_by_client": acked_total - len(oks),
            "delivery_ack_audit_rows": audit_acks, "step_timers_left_on_acked": timers_left,
            "ok": not bad and acked_total >= len(oks) and audit_acks == acked_total and timers_left == 0}


# -- main ---------------------------------------------------------------------------------------------

async def run(args: argparse.Namespace, tmp: Path) -> int:
    if args.code_rev:
        commit = export_revision(args.code_rev, tmp / "code")
        CODE["dir"] = tmp / "code"
        log(f"setup: server code = git revision {args.code_rev} ({commit[:12]}), exported to {CODE['dir']}")
    else:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "hub", "webapp"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()
        log(f"setup: server code = working tree of {REPO} (HEAD {head}"
            + (f", with {len(dirty.splitlines())} uncommitted changes in hub/ webapp/)" if dirty else ")"))
    db = tmp / "x.db"
    port = free_port()
    env = bench_env(db, port)
    pg = args.backend == "postgresql"
    if pg:      # the database is the fresh PostgreSQL one (the demo's passphrase file still goes into tmp)
        env["XIETONG_STORE_URL"] = args.db_url
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    server_cpu, client_cpu = (sorted(os.sched_getaffinity(0))[:2] if pin else (None, None))

    t = time.perf_counter()
    done = subprocess.run(xietong_cmd() + ["demo"], cwd=CODE["dir"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        log(done.stdout + done.stderr)
        raise RuntimeError("xietong demo failed")
    log(f"setup: `xietong demo` into {display(args.db_url) if pg else db} ({time.perf_counter() - t:.1f} s)")

    wrapped = bool(args.probe or args.cprofile)
    if args.probe or args.cprofile:
        env = {**env, "BENCH_PROBE_OUT": str(tmp / "probe.json")}
        if args.cprofile:
            env["BENCH_PROBE_CPROFILE"] = str(Path(args.cprofile).resolve())
    server = await start_server(env, port, tmp / "server.log", server_cpu, wrapped)
    if args.probe or args.cprofile:
        server.probe_out = tmp / "probe.json"
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    log(f"setup: `xietong serve` pid {server.proc.pid} on {server.base}, "
        + ("PostgreSQL" if pg else "synchronous=FULL")
        + (f"; server pinned to CPU {server_cpu}, load generator to CPU {client_cpu}" if pin
           else "; not pinned"))
    try:
        units = await pg_ack.unit_ids(args.db_url) if pg else unit_ids(db)
        conn = aiohttp.TCPConnector(limit=args.connections, limit_per_host=args.connections)
        timeout = aiohttp.ClientTimeout(total=args.timeout)
        async with aiohttp.ClientSession(connector=conn, timeout=timeout,
                                         cookie_jar=aiohttp.DummyCookieJar()) as s:
            sender = await login(s, server.base, "bgs.clerk1", units["BGS"])
            t = time.perf_counter()
            templates = await issue_templates(s, server.base, sender, units, args.templates)
            log(f"setup: issued {len(templates)} items via POST /api/items "
                f"({(time.perf_counter() - t) / len(templates) * 1000:.1f} ms each)")
            copies = max(0, math.ceil(args.deliveries / len(RECIPIENTS)) - len(templates))
            took = (await pg_ack.clone_items(args.db_url, templates[0], copies) if pg
                    else clone_items(db, templates[0], copies))
            log(f"setup: cloned item {templates[0]} {copies} times in SQL ({took:.1f} s)")

            clerks: dict[int, list[Clerk]] = {}
            for code in RECIPIENTS:
                clerks[units[code]] = [await login(s, server.base, f"{code.lower()}.clerk{n}", units[code])
                                       for n in (1, 2)]
            todo = collections.deque(await pg_ack.pending_deliveries(args.db_url, set(clerks)) if pg
                                     else pending_deliveries(db, set(clerks)))
            log(f"setup: {sum(len(v) for v in clerks.values())} clerk sessions "
                f"({', '.join(c.login for v in clerks.values() for c in v)}); "
                f"{len(todo)} pending deliveries")
            work = Work(todo, clerks, server=server.proc)

            acks_per_s, sat, cpu1 = float("nan"), summarize([]), {}
            if not args.skip_saturation:
                log(f"phase 1: saturation, {args.workers} concurrent workers, "
                    f"{args.warmup:.0f} s warm-up + {args.duration:.0f} s measured")
                other = await wait_quiet(args.quiet, args.quiet_wait)
                log(f"  before the phase, other processes used {other:.2f} cores")
                server.check()
                server.probe_mark()
                meter = CpuMeter(server.proc.pid)
                pg_cpu = pg_ack.PgCpu(args.db_url) if pg else None
                if pg_cpu:
                    await pg_cpu.begin()
                samples1, w_start, w_end = await saturate(s, server.base, work, args.workers, args.warmup,
                                                          args.duration)
                in_window = [x for x in samples1 if w_start <= x.end < w_end]
                window = min(w_end, max((x.end for x in samples1), default=w_end)) - w_start
                acks_per_s = sum(1 for x in in_window if x.status == 200) / window if window > 0 else 0.0
                sat = summarize(in_window)
                log(f"  acks/s = {acks_per_s:.0f}   (200s in window: {sat['ok']}, errors: {sat['errors'] or 0}, "
                    f"errors incl. warm-up: {summarize(samples1)['errors'] or 0})")
                log(f"  latency at saturation: p50 {sat['p50_ms']} ms, p99 {sat['p99_ms']} ms, max {sat['max_ms']} ms")
                server.check()
                server.probe_mark("saturation")
                log(meter.report(len(samples1)))
                cpu1 = {"server_ms_per_ack": round(meter.server_ms_per_ack, 3),
                        "other_processes_cores": round(meter.other, 2)}
                if pg_cpu:
                    line, figs = await pg_cpu.report(len(samples1))
                    log(line)
                    cpu1.update(figs)

            await asyncio.sleep(1.0)
            log(f"phase 2: open loop at {args.rate:.0f} acks/s, {args.warmup:.0f} s warm-up + "
                f"{args.duration:.0f} s measured")
            other = await wait_quiet(args.quiet, args.quiet_wait)
            log(f"  before the phase, other processes used {other:.2f} cores")
            server.check()
            server.probe_mark()
            meter = CpuMeter(server.proc.pid)
            pg_cpu = pg_ack.PgCpu(args.db_url) if pg else None
            if pg_cpu:
                await pg_cpu.begin()
            samples2, w2_start, w2_end, late = await fixed_rate(s, server.base, work, args.rate, args.warmup,
                                                                args.duration)
            measured = [x for x in samples2 if w2_start <= x.start < w2_end]
            fr = summarize(measured)
            log(f"  sent {len(measured)} in the measured window, 200s {fr['ok']}, errors {fr['errors'] or 0}")
            log(f"  latency from the scheduled send time: p50 {fr['p50_ms']} ms, p90 {fr['p90_ms']} ms, "
                f"p99 {fr['p99_ms']} ms, max {fr['max_ms']} ms (sender was at worst {late * 1000:.1f} ms late)")
            server.check()
            server.probe_mark("fixed rate")
            log(meter.report(len(samples2)))
            cpu2 = {"server_ms_per_ack": round(meter.server_ms_per_ack, 3),
                    "other_processes_cores": round(meter.other, 2)}
            if pg_cpu:
                line, figs = await pg_cpu.report(len(samples2))
                log(line)
                cpu2.update(figs)
    finally:
        rc = server.stop()
        log(f"server stopped (exit {rc})")
        if rc != 0:
            log(server.tail())
        for label, path in server.probe_phases.items():
            log(probe_report(label, path))
        if args.keep:
            log(f"kept: {tmp}")

    check = await pg_ack.verify(args.db_url, work.oks) if pg else verify(db, work.oks)
    log("verify: " + json.dumps(check, ensure_ascii=False))
    audit = subprocess.run(xietong_cmd() + ["audit", "verify"], cwd=CODE["dir"], env=env, capture_output=True,
                           text=True)
    log(f"verify: `xietong audit verify` exit {audit.returncode}: {(audit.stdout + audit.stderr).strip()[:200]}")

    p99 = fr["p99_ms"]
    met = acks_per_s >= TARGET_ACKS_PER_S and isinstance(p99, float) and p99 <= TARGET_P99_MS
    details = {
               "saturation": {"workers": args.workers, "acks_per_s": round(acks_per_s, 1), **sat, **cpu1},
               "fixed_rate": {"rate": args.rate, **fr, **cpu2},
               "verified": check["ok"] and audit.returncode == 0,
               "cpu_split": f"server CPU {server_cpu}, client CPU {client_cpu}" if pin else "unpinned",
               "targets": {"acks_per_s": TARGET_ACKS_PER_S, "p99_ms_at_200": TARGET_P99_MS, "met": met}}
    log("details: " + json.dumps(details, ensure_ascii=False))
    def num(x: object) -> object:
        return None if isinstance(x, float) and math.isnan(x) else x
    print(json.dumps({"acks_per_s": num(round(acks_per_s, 1)), "p99_ms_at_200": num(p99),
                      "backend": args.backend, "processes": 1}), flush=True)
    return 0 if details["verified"] else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deliveries", type=int, default=40000, help="pending deliveries to create (default 40000)")
    p.add_argument("--templates", type=int, default=3, help="items issued through the API before cloning")
    p.add_argument("--workers", type=int, default=64, help="concurrent requests in the saturation phase")
    p.add_argument("--connections", type=int, default=256, help="client connection pool size")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds of each phase")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each phase")
    p.add_argument("--rate", type=float, default=200.0, help="acks/s of the fixed-rate phase")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    p.add_argument("--quiet", type=float, default=0.3,
                   help="before each phase, wait until other processes use under this many cores ...")
    p.add_argument("--quiet-wait", type=float, default=60.0, help="... but at most this many seconds")
    p.add_argument("--code-rev", default="",
                   help="run the server from this git revision (e.g. HEAD) instead of the working tree")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and client to one CPU each")
    p.add_argument("--probe", action="store_true",
                   help="run the server instrumented (bench/_ack_serve_probe.py) and print where time goes")
    p.add_argument("--cprofile", default="", help="with the probe, write a cProfile of the server here")
    p.add_argument("--skip-saturation", action="store_true", help="run only the fixed-rate phase")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (database, server log); and the PostgreSQL database")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                   help="postgresql: the server's store is a fresh database on --pg-url's server (bench/_pg_ack.py)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL,
                   help="PostgreSQL admin URL, used only to CREATE (and DROP) a fresh xt_bench_<hex> database")
    args = p.parse_args()
    if args.backend == "postgresql" and (args.probe or args.cprofile):
        raise SystemExit("--probe/--cprofile instrument the SQLite store only")
    tmp = Path(tempfile.mkdtemp(prefix="xietong-bench-ack-"))
    name = ""
    try:
        if args.backend == "postgresql":
            name, args.db_url = asyncio.run(create_fresh(args.pg_url))
            log(f"setup: created database {name} ({display(args.db_url)})")
        return asyncio.run(run(args, tmp))
    finally:
        if name and args.keep:
            log(f"kept database {name}: {display(args.db_url)}")
        elif name:
            asyncio.run(drop(args.pg_url, name))
            log(f"dropped database {name}")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
