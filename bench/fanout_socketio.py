"""The peer for bench/fanout.py: python-socketio's AsyncServer in aiohttp mode, emitting to all.

    python bench/fanout_socketio.py --port P --db FILE

Clients speak engine.io v4 over a websocket (ws://127.0.0.1:P/socket.io/?EIO=4&transport=websocket)
and join the default namespace. The coordinator POSTs /fire {"frame": TEXT, "persist_rows": K}:
the handler writes K delivery rows in one SQLite transaction exactly like the baseline (same
code, synchronous=FULL), then `await sio.emit("notice", <frame as JSON object>)` to every
client, and answers with the times (unix seconds) of each step. emit() encodes the packet once
and hands it to each client's engine.io socket (one task per client); each socket's own writer
task writes it out, so emit's return is not the moment the last frame reached the kernel.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import socketio
from aiohttp import web
from fanout_baseline import Persist


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--db", required=True)
    a = p.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    store = Persist(a.db)
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=20, ping_timeout=10,
                               cors_allowed_origins="*", logger=False, engineio_logger=False)
    app = web.Application()
    sio.attach(app)
    count = {"n": 0}

    @sio.event
    async def connect(sid: str, environ: dict[str, object]) -> None:
        count["n"] += 1

    @sio.event
    async def disconnect(sid: str, *args: object) -> None:
        count["n"] -= 1

    async def fire(request: web.Request) -> web.Response:
        cmd = await request.json()
        t_recv = time.time()
        if cmd.get("persist_rows"):
            store.write(int(cmd["persist_rows"]))
        t_persisted = time.time()
        await sio.emit("notice", json.loads(cmd["frame"]))
        t_emitted = time.time()
        return web.json_response({"received": t_recv, "persisted": t_persisted, "emitted": t_emitted,
                                  "clients": count["n"]})

    async def ping(request: web.Request) -> web.Response:
        return web.Response(text="pong")

    app.router.add_post("/fire", fire)
    app.router.add_get("/ping", ping)
    print(f"socket.io serving on {a.port}", flush=True)
    web.run_app(app, host="127.0.0.1", port=a.port, access_log=None, backlog=1024, print=None)


if __name__ == "__main__":
    main()
