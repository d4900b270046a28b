"""Shared parts of bench/connections.py and bench/resume.py.

* a throw-away database: `xietong demo`, then plain-SQL bulk units, clerks and bearer tokens
  (tokens are stored as their sha256 hex, exactly like `IdentityService.create_token`);
* the real server (`.venv/bin/xietong serve --port P`) in its own process group, with
  cheap Argon2, killed at the end whatever happens;
* client worker processes speaking JSON lines on stdin/stdout;
* /proc readings of the server: RSS, CPU time, open descriptors.

Only 127.0.0.1 is used. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import os
import resource
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")
XIETONG = str(BIN / "xietong")
BENCH_DIR = Path(__file__).resolve().parent
CREATED_AT = "2026-11-24T01:00:00.000000Z"    # storage form (hub.clock.utc_iso)
PAGE = os.sysconf("SC_PAGE_SIZE")
CLK_TCK = os.sysconf("SC_CLK_TCK")

_children: list[subprocess.Popen[Any] | asyncio.subprocess.Process] = []


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def raise_nofile() -> int:
    """Soft open-files limit up to the hard limit (also used by the worker processes)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_")}
    env.update({
        "XIETONG_STORE_PATH": str(db),
        "XIETONG_PASSWORDS_ARGON2_MEMORY_KIB": "1024",
        "XIETONG_PASSWORDS_ARGON2_TIME_COST": "1",
        "XIETONG_PASSWORDS_ARGON2_PARALLELISM": "1",
        "XIETONG_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _preexec() -> None:
    raise_nofile()


# -- processes -------------------------------------------------------------------------------------


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def kill_children() -> None:
    """Every process this benchmark started (each leads its own process group): TERM, then KILL."""
    alive = [p for p in _children if p.returncode is None and _poll(p)]
    for p in alive:
        _kill_group(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_poll(p) for p in alive):
        time.sleep(0.05)
    for p in alive:
        _kill_group(p.pid, signal.SIGKILL)
    for p in alive:
        _poll(p)


def _poll(p: subprocess.Popen[Any] | asyncio.subprocess.Process) -> bool:
    """True while the process runs (reaps it otherwise)."""
    try:
        pid, _ = os.waitpid(p.pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return pid == 0


atexit.register(kill_children)


def track(proc: subprocess.Popen[Any]) -> None:
    """Kill this process (a new session leader) at the end too."""
    _children.append(proc)


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP end the benchmark like Ctrl+C: the finally blocks kill the children."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


def run_checked(cmd: list[str], env: dict[str, str], timeout: float) -> str:
    p = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=_preexec)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


# -- the database ------------------------------------------------------------------------------------


@dataclass
class Seeded:
    db: Path
    clients: list[dict[str, Any]]          # {"token", "user_id", "unit_id"}
    units: list[int]                       # the bench units
    issuer_token: str                      # a bearer token of bgs.clerk1 (the government office)
    issuer_unit: int = 0


def _token_row(cur: sqlite3.Cursor, user_id: int, name: str) -> str:
    token = "xt_" + secrets.token_urlsafe(32)
    cur.execute("INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?)",
                (hashlib.sha256(token.encode("ascii")).hexdigest(), user_id, name, CREATED_AT))
    return token


def seed(db: Path, units: int, clerks_per_unit: int) -> Seeded:
    """`xietong demo`, then `units` township units with `clerks_per_unit` clerks each, one token per clerk."""
    t0 = time.monotonic()
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    run_checked([XIETONG, "demo"], server_env(db), timeout=180)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        bgs = cur.execute("SELECT id FROM units WHERE code = 'BGS'").fetchone()[0]
        pw_hash = cur.execute("SELECT password_hash FROM users WHERE login = 'bgs.clerk1'").fetchone()[0]
        issuer_id = cur.execute("SELECT id FROM users WHERE login = 'bgs.clerk1'").fetchone()[0]
        issuer_token = _token_row(cur, issuer_id, "bench-issuer")
        clients: list[dict[str, Any]] = []
        unit_ids: list[int] = []
        for u in range(1, units + 1):
            cur.execute("INSERT INTO units (code, name, kind, parent_id, duty_phone, created_at)"
                        " VALUES (?, ?, 'township', ?, '', ?)", (f"BN{u:06d}", f"基准单位{u:06d}", bgs, CREATED_AT))
            unit_id = int(cur.lastrowid or 0)
            unit_ids.append(unit_id)
            for c in range(1, clerks_per_unit + 1):
                cur.execute("INSERT INTO users (login, name, unit_id, password_hash, phone, allowed_ips,"
                            " created_at, password_set_at) VALUES (?, ?, ?, ?, '', '', ?, ?)",
                            (f"bn{u:06d}.c{c}", f"收发员{u:06d}{c}", unit_id, pw_hash, CREATED_AT, CREATED_AT))
                user_id = int(cur.lastrowid or 0)
                cur.execute("INSERT INTO user_roles (user_id, role) VALUES (?, 'clerk')", (user_id,))
                clients.append({"token": _token_row(cur, user_id, "bench"), "user_id": user_id,
                                "unit_id": unit_id})
        cur.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    log(f"seeded {db.name}: demo + {units} units x {clerks_per_unit} clerks = {len(clients)} tokens "
        f"({time.monotonic() - t0:.1f}s)")
    return Seeded(db, clients, unit_ids, issuer_token, bgs)


# -- the server ----------------------------------------------------------------------------------------


@dataclass
class Server:
    db: Path
    port: int
    logfile: Path
    proc: subprocess.Popen[bytes] | None = None
    launcher: str = ""         # instead of `xietong serve`: bench/<launcher> serve (what-if patches, memory census)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60) -> float:
        """Start `xietong serve`; returns seconds until /healthz answered."""
        t0 = time.monotonic()
        out = open(self.logfile, "ab")
        cmd = [PYTHON, str(BENCH_DIR / self.launcher)] if self.launcher else [XIETONG]
        env = {**server_env(self.db), **self.extra_env}
        self.proc = subprocess.Popen(cmd + ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_preexec)
        out.close()
        _children.append(self.proc)
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.logfile}:\n"
                                   + self.logfile.read_text(errors="replace")[-3000:])
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            time.sleep(0.1)
        raise TimeoutError("server did not answer /healthz")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        _kill_group(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise RuntimeError(f"server died (exit status {code}); see {self.logfile}")

    # /proc readings
    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def smaps_rollup(self) -> dict[str, int]:
        out = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/smaps_rollup").read_text().splitlines()[1:]:
                k, _, v = line.partition(":")
                if v.strip().endswith("kB"):
                    out[k.strip()] = int(v.split()[0])
        return out

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK      # utime + stime (all threads)

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def sockets(self) -> int:
        n = 0
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{self.pid}/fd/{fd}").startswith("socket:"):
                    n += 1
        return n


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process (all its threads), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu_s() -> float:
    """Busy CPU seconds of the whole machine (all cores) since boot: to see other load."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class CpuWindow:
    """CPU used during a window by the server, by our client workers, and by everything else."""

    def __init__(self, server: Server, worker_pids: list[int]) -> None:
        self.server, self.pids = server, worker_pids
        self.t0 = time.monotonic()
        self.m0, self.s0 = machine_cpu_s(), server.cpu_s()
        self.w0 = sum(proc_cpu_s(p) for p in worker_pids)

    def result(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        m, s = machine_cpu_s() - self.m0, self.server.cpu_s() - self.s0
        w = sum(proc_cpu_s(p) for p in self.pids) - self.w0
        return {"wall_s": round(wall, 1), "server_cpu_s": round(s, 1), "clients_cpu_s": round(w, 1),
                "other_processes_cpu_s": round(max(0.0, m - s - w), 1), "cores": os.cpu_count() or 0}


async def wait_quiet(server: Server, *, window: float = 2.0, cpu_frac: float = 0.05,
                     timeout: float = 60.0) -> dict[str, float]:
    """Until the server used less than `cpu_frac` of a core over `window` seconds (bounded)."""
    t0 = time.monotonic()
    last = server.cpu_s()
    frac = 1.0
    while time.monotonic() - t0 < timeout:
        await asyncio.sleep(window)
        server.check_alive()
        now = server.cpu_s()
        frac = (now - last) / window
        last = now
        if frac < cpu_frac:
            return {"quiet_after_s": round(time.monotonic() - t0, 1), "cpu_frac": round(frac, 3)}
    return {"quiet_after_s": round(time.monotonic() - t0, 1), "cpu_frac": round(frac, 3), "timed_out": 1}


async def stable_rss(server: Server, *, samples: int = 7, interval: float = 1.0) -> dict[str, Any]:
    """Several VmRSS readings; the median is the figure, the spread says how stable it was."""
    values = []
    for i in range(samples):
        if i:
            await asyncio.sleep(interval)
        values.append(server.rss_kib())
    return {"median_kib": int(statistics.median(values)), "min_kib": min(values), "max_kib": max(values),
            "samples": values}


# -- worker processes ------------------------------------------------------------------------------------


@dataclass
class Worker:
    """A client process (bench/<script>) that takes JSON-line commands and answers one line each."""
    script: str
    index: int
    proc: asyncio.subprocess.Process | None = None
    stderr_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    async def start(self, setup: dict[str, Any], logdir: Path) -> None:
        self.stderr_path = logdir / f"{Path(self.script).stem}-{self.index}.log"
        err = open(self.stderr_path, "wb")
        self.proc = await asyncio.create_subprocess_exec(
            PYTHON, str(BENCH_DIR / self.script), cwd=ROOT, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=err, start_new_session=True, preexec_fn=_preexec,
            limit=64 * 1024 * 1024)
        err.close()
        _children.append(self.proc)
        await self.send(setup)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def send(self, msg: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
        await self.proc.stdin.drain()

    async def answer(self, timeout: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            tail = self.stderr_path.read_text(errors="replace")[-3000:] if self.stderr_path else ""
            raise RuntimeError(f"worker {self.index} ended without an answer:\n{tail}")
        return dict(json.loads(line))

    async def call(self, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
        await self.send(msg)
        return await self.answer(timeout)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            _kill_group(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), 5)


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


def emit(obj: dict[str, Any]) -> None:
    """For worker scripts: one answer line on stdout."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def read_command(loop: asyncio.AbstractEventLoop) -> dict[str, Any] | None:
    """For worker scripts: the next command line from stdin (None at EOF), without blocking the loop."""
    line = await loop.run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else None
