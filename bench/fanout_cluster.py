"""The fan-out on PostgreSQL with several hub processes, for bench/fanout.py (`--backend postgresql`).

    .venv/bin/python bench/fanout.py --backend postgresql --processes 2 --clients 10000 --systems xietong

The organisation is the same as the SQLite phase's (`xietong demo`, then N clerks in N/2 units, one
token each, bulk rows into the real schema), made in a fresh database on the PostgreSQL server
(--pg-url; dropped at the end unless --keep). P `xietong serve` processes (bench/fanout_server.py, the
timestamps) share it; the clients are spread over them round-robin (client k on process k mod P),
and the one POST /api/items goes to process 0. Every client must get its own unit's item.issued
frame: those on process 0 through its own feed, the others through theirs, woken by the database's
notification of the commit (LISTEN/NOTIFY) and reading the rows from the table.

Latency is as in the SQLite phase (t0 just before the POST; each client's frame's arrival minus t0),
over all clients and per process. The phase's result has the same keys as the SQLite phase's
`latency()` plus `per_process` and `stored` (counted in PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import fanout as f


def database_url(base: str, name: str) -> str:
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}"


async def create_database(base: str) -> str:
    name = "xt_fanout_" + secrets.token_hex(4)
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return name


async def drop_database(base: str, name: str) -> None:
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


def cluster_env(url: str, port: int, tmp: Path) -> dict[str, str]:
    env = f.xietong_env(tmp / "unused.db", port)
    del env["XIETONG_STORE_SYNCHRONOUS"]
    env["XIETONG_STORE_URL"] = url
    env["XIETONG_OTP_KEY_FILE"] = str(tmp / "otp.key")     # one key for every process
    return env


async def make_org(tmp: Path, url: str, n: int) -> tuple[str, Path, list[int], list[str]]:
    """`xietong demo` into the database, then the clerks, units and tokens (explicit ids; sequences set)."""
    r = subprocess.run(f.xietong_cmd() + ["demo"], cwd=f.REPO, env=cluster_env(url, 0, tmp), check=False,
                       capture_output=True, timeout=180)
    if r.returncode:
        raise RuntimeError(f"xietong demo failed: {r.stderr.decode(errors='replace')[-2000:]}")
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    conn = await asyncpg.connect(url)
    try:
        pw_hash, issuer_id = await conn.fetchrow("SELECT password_hash, id FROM users WHERE login = 'bgs.clerk1'")
        parent = await conn.fetchval("SELECT id FROM units WHERE code = 'BGS'")
        unit0 = await conn.fetchval("SELECT max(id) FROM units") + 1
        user0 = await conn.fetchval("SELECT max(id) FROM users") + 1
        units = [unit0 + i for i in range((n + 1) // 2)]
        users = [(user0 + k, units[k // 2], k) for k in range(n)]
        tokens = ["xt_" + secrets.token_urlsafe(32) for _ in range(n + 1)]
        async with conn.transaction():
            await conn.copy_records_to_table(
                "units", columns=["id", "code", "name", "kind", "parent_id", "duty_phone", "created_at"],
                records=[(u, f"FO{i:05d}", f"扇出测试第{i:05d}单位", "township", parent, "", stamp)
                         for i, u in enumerate(units)])
            await conn.copy_records_to_table(
                "users", columns=["id", "login", "name", "unit_id", "password_hash", "phone", "allowed_ips",
                                  "created_at", "password_set_at"],
                records=[(uid, f"fo{k // 2:05d}.clerk{k % 2 + 1}", f"文书{k:05d}", unit, pw_hash, f"+86139{k:08d}",
                          "", stamp, stamp) for uid, unit, k in users])
            await conn.copy_records_to_table("user_roles", columns=["user_id", "role"],
                                             records=[(uid, "clerk") for uid, _, _ in users])
            holders = [uid for uid, _, _ in users] + [issuer_id]
            await conn.copy_records_to_table(
                "api_tokens", columns=["token_hash", "user_id", "name", "created_at"],
                records=[(hashlib.sha256(t.encode("ascii")).hexdigest(), uid, "fanout-bench", stamp)
                         for t, uid in zip(tokens, holders)])
            for table in ("units", "users"):
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))")
    finally:
        await conn.close()
    tokens_file = tmp / "tokens.txt"
    tokens_file.write_text("\n".join(f"{tokens[k]} {unit}" for k, (_, unit, _) in enumerate(users)) + "\n",
                           encoding="ascii")
    return tokens[n], tokens_file, units, tokens[:n]


async def phase(run: f.Procs, a: argparse.Namespace, tmp: Path, pins: dict[str, set[int] | None]) -> dict[str, Any]:
    n, procs = a.clients, a.processes
    f.log(f"\n== Xietong on PostgreSQL: {procs} x `xietong serve` + {n} clients over {(n + 1) // 2} units ==")
    name = await create_database(a.pg_url)
    url = database_url(a.pg_url, name)
    try:
        return await _phase(run, a, tmp, pins, url, n, procs)
    finally:
        await run.stop_all()
        if a.keep:
            f.log(f"  kept database {name}")
        else:
            await drop_database(a.pg_url, name)


async def _phase(run: f.Procs, a: argparse.Namespace, tmp: Path, pins: dict[str, set[int] | None],
                 url: str, n: int, procs: int) -> dict[str, Any]:
    t = time.monotonic()
    issuer_token, tokens_file, units, _ = await make_org(tmp, url, n)
    f.log(f"  organisation ready in {time.monotonic() - t:.1f} s ({url})")
    ports = [f.free_port() for _ in range(procs)]
    servers = []
    for i, port in enumerate(ports):
        log_path = tmp / f"xietong-pg-server-{i}.log"
        env = cluster_env(url, port, tmp)
        env["BENCH_FANOUT_OUT"] = str(tmp / f"xietong-pg-marks-{i}.json")
        server = run.start_server(f.xietong_cmd() + ["serve", "--port", str(port)], env, log_path, pins["server"])
        await f.wait_port(port, server, 60, log_path)
        servers.append(server)
    # client k talks to process k mod P: one token file per process, in the same order as the clients
    lines = tokens_file.read_text(encoding="ascii").splitlines()
    loads = []
    for i, port in enumerate(ports):
        part = tmp / f"tokens-{i}.txt"
        mine = lines[i::procs]
        part.write_text("\n".join(mine) + "\n", encoding="ascii")
        loads.append(await f.start_load(run, "xietong", f"ws://127.0.0.1:{port}/ws", len(mine),
                                        max(1, a.procs // procs), tmp, pins["clients"], part, a.concurrency,
                                        a.connect_timeout))
    await asyncio.sleep(a.settle)
    await f.wait_quiet([s.pid for s in servers] + [p for load in loads for p in load.pids], 0.15, a.quiet_wait)
    body = {"kind": "document", "urgency": "extra_urgent", "title": f.TITLE, "body": f.BODY, "main_units": units}
    async with aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bearer {issuer_token}"}
        async with http.get(f"http://127.0.0.1:{ports[0]}/api/me", headers=auth) as warm:
            if warm.status != 200:
                raise RuntimeError(f"GET /api/me with the issuer's token: {warm.status}")
            await warm.read()
        t0 = time.time()
        resp = await asyncio.wait_for(http.post(f"http://127.0.0.1:{ports[0]}/api/items", json=body, headers=auth),
                                      a.burst_timeout)
        raw = await resp.read()
        t_resp = time.time()
        if resp.status != 200:
            raise RuntimeError(f"POST /api/items: {resp.status} {raw[:300]!r}")
        got = await asyncio.gather(*(f.collect(load, 1, a.burst_timeout) for load in loads))
    await run.stop_clients()
    arrivals = [x for g in got for x in g["arrivals"]]
    lat = f.latency(arrivals, t0)
    per_process = [{k: f.latency(g["arrivals"], t0)[k] for k in ("received", "missing", "p50_ms", "p99_ms")}
                   for g in got]
    conn = await asyncpg.connect(url)
    try:
        item_id = (await conn.fetchval("SELECT max(id) FROM items"))
        stored = {"deliveries": await conn.fetchval("SELECT count(*) FROM deliveries WHERE item_id = $1", item_id),
                  "events": await conn.fetchval(
                      "SELECT count(*) FROM events WHERE item_id = $1 AND type = 'item.issued'", item_id)}
    finally:
        await conn.close()
    res = {**lat, "per_process": per_process, "wrong": sum(g["wrong"] for g in got),
           "lost": sum(g["lost"] for g in got), "http_response_ms": f.ms(t_resp - t0), "stored": stored,
           "processes": procs}
    f.describe(f"Xietong on PostgreSQL, {procs} processes", lat)
    f.log(f"  per process (0 took the POST): {per_process}; stored {stored}; wrong frames {res['wrong']}, "
          f"lost connections {res['lost']}")
    if stored["deliveries"] != len(units) or lat["missing"] or res["wrong"]:
        f.log("  !! INCOMPLETE: not every client got its own unit's frame, or not every delivery is stored")
    return res
