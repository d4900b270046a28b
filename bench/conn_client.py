"""Worker process of bench/connections.py: holds many idle authenticated websockets.

Plain `websockets` client (compression=None, its default keep-alive pings, as bots/client.py uses
it). Reads JSON-line commands on stdin, answers one JSON line each on stdout:

  setup (first line)  {"url", "tokens": [...], "concurrency", "timeout"}
  {"cmd": "open", "start": i, "stop": j}   connect tokens[i:j], each waits for its `hello`
  {"cmd": "status"}                        how many are still open
  {"cmd": "close"}                         close them all (close handshake)
  EOF                                      close and exit
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import websockets
from conn_common import emit, raise_nofile, read_command
from websockets.protocol import State


async def open_one(url: str, token: str, timeout: float, errors: collections.Counter[str],
                   attempts: int = 3) -> tuple[websockets.ClientConnection | None, float, int]:
    t0 = time.monotonic()
    for attempt in range(attempts):
        try:
            ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                                          compression=None, open_timeout=timeout)
            try:
                hello = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            except BaseException:
                await ws.close()
                raise
            if hello.get("type") != "hello":
                errors[f"first frame {hello.get('type')}"] += 1
                await ws.close()
                return None, time.monotonic() - t0, attempt
            return ws, time.monotonic() - t0, attempt
        except Exception as e:     # noqa: BLE001 - counted and retried
            errors[type(e).__name__ + ": " + str(e)[:80]] += 1
            await asyncio.sleep(0.2 * (attempt + 1))
    return None, time.monotonic() - t0, attempts


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


async def main() -> None:
    raise_nofile()
    loop = asyncio.get_running_loop()
    setup = await read_command(loop)
    assert setup is not None
    url, tokens = setup["url"], setup["tokens"]
    concurrency, timeout = int(setup.get("concurrency", 100)), float(setup.get("timeout", 30))
    conns: list[websockets.ClientConnection] = []
    emit({"ready": True, "pid": os.getpid()})
    while True:
        cmd = await read_command(loop)
        if cmd is None or cmd.get("cmd") == "quit":
            break
        if cmd["cmd"] == "open":
            sem = asyncio.Semaphore(concurrency)
            errors: collections.Counter[str] = collections.Counter()
            lat: list[float] = []
            retried = 0

            async def one(token: str) -> None:
                nonlocal retried
                async with sem:
                    ws, took, attempts = await open_one(url, token, timeout, errors)
                retried += 1 if attempts else 0
                if ws is not None:
                    conns.append(ws)
                    lat.append(took)

            t_start = time.time()
            await asyncio.gather(*(one(t) for t in tokens[cmd["start"]:cmd["stop"]]))
            t_end = time.time()
            emit({"opened": len(lat), "failed": cmd["stop"] - cmd["start"] - len(lat), "retried": retried,
                  "errors": dict(errors.most_common(5)), "t_start": t_start, "t_end": t_end,
                  "lat_p50_ms": round(pct(lat, 0.5) * 1000, 1), "lat_p99_ms": round(pct(lat, 0.99) * 1000, 1),
                  "lat_max_ms": round(max(lat, default=0) * 1000, 1)})
        elif cmd["cmd"] == "status":
            emit({"open": sum(1 for ws in conns if ws.state is State.OPEN), "held": len(conns)})
        elif cmd["cmd"] == "close":
            t0 = time.monotonic()
            sem = asyncio.Semaphore(concurrency * 4)

            async def close(ws: websockets.ClientConnection) -> None:
                async with sem:
                    try:
                        await asyncio.wait_for(ws.close(), timeout)
                    except Exception:      # noqa: BLE001
                        pass

            await asyncio.gather(*(close(ws) for ws in conns))
            n = len(conns)
            conns.clear()
            emit({"closed": n, "took_s": round(time.monotonic() - t0, 2)})
    for ws in conns:
        ws.transport.abort()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        sys.stdout.flush()
        os._exit(0)    # do not wait for the stdin reader thread
