"""Two real `xietong serve` processes on one PostgreSQL database (issue 16).

A notice issued on A reaches the websocket clients of A and of B (B's feed learns of the commit from
the database's notification: its poll is set to a minute, so the poll cannot be what delivered it).
Clerks sign for on both. Then B is SIGKILLed while the escalation steps come due on it; its clients
reconnect to A with `since` and get what they missed. At the end: no acknowledgement lost, no step and
no SMS run twice, none left undone, and `xietong audit verify` holds.

Each process runs on its own fake clock (moved through POST /_test/clock), both started at the same
instant; the SMS go through the real twilio client to the Twilio-compatible simulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import websockets

from hub.app import Hub
from hub.clock import FakeClock
from hub.domain.identity import SystemActor
from hub.services.demo import load_demo
from tests.conftest import PG_URL, START, _require_postgresql, make_config, pg_url
from tests.realtime.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("DHZ", "XSZ", "NQZ", "JYJ", "WJJ")
CLERKS = {"A": ("dhz.clerk1", "xsz.clerk1"), "B": ("nqz.clerk1", "jyj.clerk1", "wjj.clerk1")}
SID, AUTH = "AC" + "c1a5" * 8, "cluster-token"


@dataclass
class Proc:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    def call(self, method: str, path: str, body: Any = None, token: str = "", timeout: float = 30) -> Any:
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"null")


@dataclass
class Cluster:
    url: str                # the database
    a: Proc
    b: Proc
    sim_url: str
    tokens: dict[str, str]
    env: dict[str, str]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


async def _database() -> tuple[str, str]:
    name = "xt_cluster_" + secrets.token_hex(4)
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return name, pg_url(name)


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


async def _seed(tmp: Path, url: str) -> dict[str, str]:
    hub = await Hub.start(make_config(tmp / "seed.db", store={"url": url}, otp={"key_file": str(tmp / "otp.key")}),
                          FakeClock(START))
    try:
        await load_demo(hub.identity)
        logins = ["bgs.clerk1", *CLERKS["A"], *CLERKS["B"]]
        return {login: (await hub.identity.create_token(SystemActor(), login, "cluster-test"))[1] for login in logins}
    finally:
        await hub.close()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    _require_postgresql()
    name, url = asyncio.run(_database())
    procs: list[subprocess.Popen[bytes]] = []
    try:
        tokens = asyncio.run(_seed(tmp_path, url))
        sim_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_")}
        env.update({
            "XIETONG_STORE_URL": url, "XIETONG_OTP_KEY_FILE": str(tmp_path / "otp.key"),
            "XIETONG_PASSWORDS_ARGON2_MEMORY_KIB": "1024", "XIETONG_PASSWORDS_ARGON2_TIME_COST": "1",
            "XIETONG_PASSWORDS_ARGON2_PARALLELISM": "1",
            "XIETONG_CLOCK_FAKE": "true", "XIETONG_CLOCK_FAKE_START": START.isoformat(),
            "XIETONG_REALTIME_POLL_MS": "60000",          # a frame from the other process comes by NOTIFY
            "XIETONG_CLUSTER_HEARTBEAT_SECONDS": "0.5", "XIETONG_CLUSTER_DEAD_AFTER_SECONDS": "5",
            "XIETONG_SMS_ENABLED": "true", "XIETONG_SMS_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
            "XIETONG_SMS_ACCOUNT_SID": SID, "XIETONG_SMS_AUTH_TOKEN": AUTH,
            "XIETONG_SMS_FROM_NUMBER": "+8610690000000", "XIETONG_SMS_RATE_PER_SECOND": "100",
            "XIETONG_SMS_DIGEST_SECONDS": "0", "PYTHONUNBUFFERED": "1",
        })
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "bots.twilio_sim", "--port", str(sim_port), "--account-sid", SID,
             "--auth-token", AUTH], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started = {}
        for label in ("A", "B"):
            port = free_port()
            log = tmp_path / f"serve-{label}.log"
            with open(log, "wb") as out:
                p = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1",
                                      "--port", str(port)], env={**env, "XIETONG_SMS_PUBLIC_BASE_URL":
                                                                 f"http://127.0.0.1:{port}"},
                                     cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            procs.append(p)
            started[label] = Proc(label, f"http://127.0.0.1:{port}", p, log)
        deadline = time.monotonic() + 60
        for proc in started.values():
            while not _healthy(proc.url):
                if proc.popen.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"process {proc.name} did not start:\n{proc.log.read_text(errors='replace')}")
                time.sleep(0.1)           # waiting for a process to start, not for business time
        yield Cluster(url, started["A"], started["B"], f"http://127.0.0.1:{sim_port}", tokens, env)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        asyncio.run(_drop(name))


async def _connect(proc: Proc, token: str, since: int | None = None) -> tuple[Any, dict[str, Any]]:
    ws = await websockets.connect(proc.ws + (f"?since={since}" if since is not None else ""),
                                  additional_headers={"Authorization": f"Bearer {token}"})
    hello = json.loads(await asyncio.wait_for(ws.recv(), 15))
    assert hello["type"] == "hello"
    return ws, hello


async def _frames_until(ws: Any, pred: Any, timeout: float = 15) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):          # network time: a bounded wait, not business time
        while True:
            frame = json.loads(await ws.recv())
            got.append(frame)
            if pred(frame):
                return got


def _gateway_messages(sim_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{sim_url}/_sim/messages", timeout=10) as resp:
        return list(json.loads(resp.read()))


def _settled(db: str, now_iso: str) -> bool:
    async def check() -> bool:
        conn = await asyncpg.connect(db)
        try:
            due = await conn.fetchval("SELECT count(*) FROM timers WHERE due_at <= $1", now_iso)
            open_sms = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE channel = 'sms' AND state IN ('queued', 'sending')")
            return due == 0 and open_sms == 0
        finally:
            await conn.close()
    return asyncio.run(check())


async def _wait_settled(db: str, now_iso: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(_settled, db, now_iso):
        if time.monotonic() > deadline:
            raise AssertionError("steps or SMS still open on A after the take-over time")
        await asyncio.sleep(0.2)           # the other process works meanwhile (real time)


async def _live_processes(proc: Proc, want: int) -> dict[str, Any]:
    """/healthz of `proc` once it counts `want` live processes (heartbeats are real time: bounded wait)."""
    async with asyncio.timeout(15):
        while (health := await asyncio.to_thread(proc.call, "GET", "/healthz"))["processes_live"] != want:
            await asyncio.sleep(0.1)
    return health


def _metrics(proc: Proc) -> str:
    with urllib.request.urlopen(f"{proc.url}/metrics", timeout=10) as resp:
        return str(resp.read().decode())


async def test_two_processes_share_the_work_and_one_dying_loses_and_doubles_nothing(cluster: Cluster) -> None:
    a, b, tokens = cluster.a, cluster.b, cluster.tokens
    await _live_processes(a, 2)
    await _live_processes(b, 2)
    assert (await asyncio.to_thread(_metrics, a)).count("xietong_hub_process_seen_seconds{") == 2
    sockets = {}
    for proc, logins in ((a, CLERKS["A"]), (b, CLERKS["B"])):
        for login in logins:
            sockets[login] = (proc, *(await _connect(proc, tokens[login])))

    # a notice issued on A reaches the clerks on A and on B, live
    units = {u["code"]: u["id"] for u in (await asyncio.to_thread(
        a.call, "GET", "/api/units", token=tokens["bgs.clerk1"]))["units"]}
    issued = await asyncio.to_thread(a.call, "POST", "/api/items", {
        "kind": "document", "urgency": "extra_urgent", "title": "关于立即开展防汛抢险的紧急通知",
        "body": "各单位：请立即部署。", "main_units": [units[c] for c in UNITS]}, tokens["bgs.clerk1"])
    item_id = issued["item"]["id"]
    delivery_of = {d["unit_id"]: d["id"] for d in issued["deliveries"]}
    last_seen: dict[str, int] = {}
    for login, (_, ws, _) in sockets.items():
        frames = await _frames_until(ws, lambda f: f.get("type") == "item.issued" and f["item"]["id"] == item_id)
        last_seen[login] = frames[-1]["id"]

    # signed for on A and on B: each answered with its receipt number
    acks = {}
    for proc, login, code in ((a, "dhz.clerk1", "DHZ"), (b, "nqz.clerk1", "NQZ")):
        reply = await asyncio.to_thread(proc.call, "POST", f"/api/deliveries/{delivery_of[units[code]]}/ack", {},
                                        tokens[login])
        acks[code] = reply["delivery"]["receipt_no"]
    assert all(n.startswith("HZ") for n in acks.values())

    # the steps come due on B, which is killed while it runs them; A then moves past them too
    def move_b() -> None:
        try:
            b.call("POST", "/_test/clock", {"seconds": 31 * 60}, timeout=10)
        except OSError:
            pass                              # killed before it answered
    mover = threading.Thread(target=move_b)
    mover.start()
    await asyncio.sleep(0.05)                  # real time: B is at work on the due steps
    b.popen.send_signal(signal.SIGKILL)
    b.popen.wait(timeout=10)
    mover.join(timeout=15)
    for _, ws, _ in (v for v in sockets.values() if v[0] is b):
        await ws.close()
    # A's clock moves past the steps and past B's death (its heartbeat stops: dead after 5 s)
    now = (await asyncio.to_thread(a.call, "POST", "/_test/clock", {"seconds": 31 * 60 + 10}))["now"]
    await _wait_settled(cluster.url, now)
    await _live_processes(a, 1)                  # B is dead, and A says so

    # B's clerks reconnect to A with `since` and get everything they missed, in order, once
    conn = await asyncpg.connect(cluster.url)
    try:
        for login in CLERKS["B"]:
            ws, hello = await _connect(a, tokens[login], since=last_seen[login])
            unit_id = units[login.split(".")[0].upper()]
            expected = [r["id"] for r in await conn.fetch(
                "SELECT id FROM events WHERE id > $1 AND id <= $2 AND (unit_id = $3 OR sender_unit_id = $3)"
                " ORDER BY id", last_seen[login], hello["last_id"], unit_id)]
            frames = await _frames_until(ws, lambda f: f.get("type") == "replayed")
            got = [f["id"] for f in frames if "id" in f]
            assert got == expected, (login, got, expected)
            await ws.close()

        # no acknowledgement lost
        rows = {r["unit_id"]: r for r in await conn.fetch(
            "SELECT unit_id, state, receipt_no FROM deliveries WHERE item_id = $1", item_id)}
        assert {c: rows[units[c]]["receipt_no"] for c in acks} == acks
        assert all(rows[units[c]]["state"] == "acked" for c in acks)
        # every step of the unsigned deliveries ran once; none of a signed-for one applied; none left
        ran = Counter((r["delivery_id"], json.loads(r["data"])["step"]) for r in await conn.fetch(
            "SELECT delivery_id, data FROM events WHERE type = 'item.escalated' AND item_id = $1", item_id))
        assert Counter((r["delivery_id"], r["step"]) for r in await conn.fetch(
            "SELECT delivery_id, step FROM steps_run WHERE applied = 1")) == ran
        open_deliveries = [delivery_of[units[c]] for c in UNITS if c not in acks]
        assert ran == Counter({(d, s): 1 for d in open_deliveries for s in (0, 1, 2)}), ran
        assert await conn.fetchval("SELECT count(*) FROM timers WHERE due_at <= $1", now) == 0
        # every SMS notice went out in exactly one message (several due at once for a phone share one:
        # a digest), and every message reached the gateway exactly once
        outbox = await conn.fetch(
            "SELECT o.id, m.sid FROM outbox o LEFT JOIN sms_messages m ON m.id = o.message_id WHERE o.channel = 'sms'")
        assert outbox and all(r["sid"] for r in outbox)
        messages = await conn.fetch("SELECT phone, body, sid FROM sms_messages")
    finally:
        await conn.close()
    at_gateway = [m for m in await asyncio.to_thread(_gateway_messages, cluster.sim_url)
                  if m.get("direction") != "inbound"]
    assert Counter((m["to"], m["body"]) for m in at_gateway) == Counter((r["phone"], r["body"]) for r in messages), \
        "an SMS was sent twice or not at all"
    assert sorted(m["sid"] for m in at_gateway) == sorted(r["sid"] for r in messages)

    # the audit chain holds over what both processes wrote
    verify = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "webapp.cli", "audit", "verify"], env=cluster.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
