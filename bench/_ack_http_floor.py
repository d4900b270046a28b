"""What aiohttp alone costs on this machine: the ceiling any ack endpoint could reach.

A bare aiohttp server (pinned to CPU 0) answers POST /api/deliveries/{id}/ack with a small
JSON body, optionally behind one middleware doing a cookie/CSRF-like header check; the same
client as bench/ack.py (64 concurrent, pinned to CPU 1) hammers it for a few seconds.

    .venv/bin/python bench/_ack_http_floor.py
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import aiohttp

SERVER = r'''
import json, sys
from aiohttp import web

@web.middleware
async def check(request, handler):
    if request.cookies.get("xt_session") is None or not request.headers.get("X-CSRF-Token"):
        return web.json_response({"error": "auth"}, status=401)
    return await handler(request)

async def ack(request):
    did = int(request.match_info["id"])
    return web.Response(text=json.dumps({"delivery": {"id": did, "state": "acked",
                        "receipt_no": f"HZ20260101-{did:06d}", "unit_id": 3, "item_id": 1}}),
                        content_type="application/json")

app = web.Application(middlewares=[check])
app.router.add_post("/api/deliveries/{id}/ack", ack)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
'''


async def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    os.sched_setaffinity(proc.pid, {0})
    os.sched_setaffinity(0, {1})
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256),
                                         cookie_jar=aiohttp.DummyCookieJar()) as s:
            for _ in range(100):
                try:
                    async with s.post(base + "/api/deliveries/1/ack",
                                      headers={"Cookie": "xt_session=x", "X-CSRF-Token": "y"}) as r:
                        await r.read()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            loop = asyncio.get_running_loop()
            n = 0
            end = loop.time() + 6

            async def worker() -> None:
                nonlocal n
                i = 0
                while loop.time() < end:
                    i += 1
                    async with s.post(f"{base}/api/deliveries/{i}/ack",
                                      headers={"Cookie": "xt_session=x", "X-CSRF-Token": "y"}) as r:
                        json.loads(await r.read())
                        n += 1

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(64)))
            dt = time.perf_counter() - t0
            print(json.dumps({"bare_aiohttp_req_per_s": round(n / dt), "ms_per_req": round(dt / n * 1000, 3)}))
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    asyncio.run(main())
