"""Worker process of bench/resume.py: many clients on the project's client library (bots/client.py).

Each client is a `FeedClient`, the real library (resume by id, skips what it already has,
reconnects with backoff + jitter). To see what the *server* sent, before the library
filters duplicates, `RecordingFeedClient` overrides its one private hook `_dispatch` to note
every raw frame, then hands the frame on unchanged.

JSON-line commands on stdin, one JSON answer line each on stdout:

  setup (first line)  {"url", "clients": [{"token", "unit_id"}], "concurrency", "timeout"}
  {"cmd": "connect"}  connect every client (no since), wait for each `hello`; answers the last_ids
  {"cmd": "drop"}     close every client (close handshake)
  {"cmd": "resume", "at": T, "expected": [[ids] per client], "timeout", "grace"}
                      at wall time T every client reconnects at once with ?since=<its hello last_id>,
                      until each holds its expected events (or timeout); then `grace` more seconds
                      listening for late duplicates; then closes; answers per-client figures
  EOF                 exit
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from conn_common import emit, raise_nofile, read_command

from bots.client import FeedClient, Frame


class RecordingFeedClient(FeedClient):
    """FeedClient that also keeps every raw frame id the server sent (duplicates included)."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.raw_ids: list[int] = []
        self.hellos = 0
        self.replayed: list[tuple[float, int]] = []
        self.resets = 0
        self.attempts = 0
        self.hello_seen = asyncio.Event()

    def _connect_url(self) -> str:
        self.attempts += 1                    # called once per connection attempt, failed ones too
        return super()._connect_url()

    async def _dispatch(self, frame: Frame) -> None:
        kind = frame.get("type")
        if "id" in frame:
            self.raw_ids.append(int(frame["id"]))
        elif kind == "hello":
            self.hellos += 1
        elif kind == "replayed":
            self.replayed.append((time.time(), int(frame.get("count", -1))))
        elif kind == "reset":
            self.resets += 1
        await super()._dispatch(frame)
        if kind == "hello":
            self.hello_seen.set()


class DropReasons(logging.Handler):
    """Counts why the library lost a connection (its INFO line 'connection lost (...)')."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("connection lost") and record.args:
            self.counts[str(record.args[0])[:70]] += 1
        elif record.levelno >= logging.WARNING:
            self.counts[record.getMessage()[:70]] += 1


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


async def main() -> None:
    raise_nofile()
    logging.basicConfig(level=logging.WARNING)
    drops = DropReasons()
    client_log = logging.getLogger("bots.client")
    client_log.setLevel(logging.INFO)
    client_log.addHandler(drops)
    client_log.propagate = False
    loop = asyncio.get_running_loop()
    setup = await read_command(loop)
    assert setup is not None
    url, specs = setup["url"], setup["clients"]
    concurrency, timeout = int(setup.get("concurrency", 100)), float(setup.get("timeout", 30))
    clients: list[RecordingFeedClient] = []
    last_ids: list[int | None] = [None] * len(specs)
    emit({"ready": True, "pid": os.getpid()})
    while True:
        cmd = await read_command(loop)
        if cmd is None or cmd.get("cmd") == "quit":
            break

        if cmd["cmd"] == "connect":
            sem = asyncio.Semaphore(concurrency)
            errors: collections.Counter[str] = collections.Counter()
            clients = [RecordingFeedClient(url, s["token"]) for s in specs]

            async def connect(i: int, c: RecordingFeedClient) -> None:
                async with sem:
                    c.start()
                    try:
                        await asyncio.wait_for(c.hello_seen.wait(), timeout)
                        last_ids[i] = c.last_id
                    except TimeoutError:
                        errors[repr(c.error) if c.error else "no hello"] += 1

            t0 = time.time()
            await asyncio.gather(*(connect(i, c) for i, c in enumerate(clients)))
            emit({"connected": sum(1 for x in last_ids if x is not None), "errors": dict(errors),
                  "last_ids": last_ids, "t_start": t0, "t_end": time.time()})

        elif cmd["cmd"] == "drop":
            t0 = time.monotonic()
            await asyncio.gather(*(asyncio.wait_for(c.close(), timeout) for c in clients), return_exceptions=True)
            emit({"closed": len(clients), "took_s": round(time.monotonic() - t0, 2)})

        elif cmd["cmd"] == "resume":
            expected = [set(e) for e in cmd["expected"]]
            res_timeout, grace = float(cmd["timeout"]), float(cmd["grace"])
            clients = [RecordingFeedClient(url, s["token"], since=last_ids[i]) for i, s in enumerate(specs)]
            drops.counts.clear()
            got: list[list[int]] = [[] for _ in specs]
            done_at: list[float | None] = [None] * len(specs)
            all_done = asyncio.Event()
            remaining = len(specs)

            async def consume(i: int, c: RecordingFeedClient) -> None:
                nonlocal remaining
                missing = set(expected[i])
                if not missing:
                    done_at[i] = time.time()
                    remaining -= 1
                async for frame in c.events():        # the library's view: in order, no duplicate
                    got[i].append(int(frame["id"]))
                    if missing:
                        missing.discard(int(frame["id"]))
                        if not missing:
                            done_at[i] = time.time()
                            remaining -= 1
                            if remaining == 0:
                                all_done.set()

            delay = cmd["at"] - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            t_go = time.time()
            consumers = [asyncio.create_task(consume(i, c)) for i, c in enumerate(clients)]  # all at once
            if remaining == 0:
                all_done.set()
            try:
                await asyncio.wait_for(all_done.wait(), res_timeout)
            except TimeoutError:
                pass
            t_all = time.time()
            await asyncio.sleep(grace)                 # late frames (duplicates) would arrive now
            await asyncio.gather(*(asyncio.wait_for(c.close(), timeout) for c in clients), return_exceptions=True)
            for t in consumers:
                t.cancel()
            await asyncio.gather(*consumers, return_exceptions=True)

            per = []
            for i, c in enumerate(clients):
                raw, exp = c.raw_ids, expected[i]
                have = set(got[i])
                per.append({
                    "lost": len(exp - have),
                    "doubled": len(raw) - len(set(raw)),                  # raw frames, before the library
                    "lib_doubled": len(got[i]) - len(have),               # what the library yielded twice
                    "unexpected": len(set(raw) - exp),
                    "out_of_order": sum(1 for a, b in zip(raw, raw[1:]) if b <= a),
                    "done_s": None if done_at[i] is None else done_at[i] - cmd["at"],
                    "connections": c.connections, "attempts": c.attempts, "hellos": c.hellos, "resets": c.resets,
                    "replayed_count": c.replayed[0][1] if c.replayed else None,
                    "replayed_s": c.replayed[0][0] - cmd["at"] if c.replayed else None,
                    "error": repr(c.error) if c.error else None,
                })
            done = [p["done_s"] for p in per if p["done_s"] is not None]
            emit({
                "clients": len(per), "recovered": len(done),
                "lost": sum(p["lost"] for p in per), "doubled": sum(p["doubled"] for p in per),
                "lib_doubled": sum(p["lib_doubled"] for p in per),
                "unexpected": sum(p["unexpected"] for p in per),
                "out_of_order": sum(p["out_of_order"] for p in per),
                "done_max_s": max(done) if done else None, "done_p50_s": pct(done, 0.5),
                "done_p99_s": pct(done, 0.99), "done_all": done,
                "replayed_counts": dict(collections.Counter(p["replayed_count"] for p in per)),
                "extra_connections": sum(max(0, p["connections"] - 1) for p in per),
                "never_connected": sum(1 for p in per if p["connections"] == 0),
                "failed_attempts": sum(p["attempts"] - p["connections"] for p in per),
                "attempts_max": max((p["attempts"] for p in per), default=0),
                "resets": sum(p["resets"] for p in per),
                "errors": dict(collections.Counter(p["error"] for p in per if p["error"])),
                "drop_reasons": dict(drops.counts.most_common(8)),
                "start_lag_s": t_go - cmd["at"], "all_done_wall": t_all,
            })
    for c in clients:
        if c._ws is not None:
            c._ws.transport.abort()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        sys.stdout.flush()
        os._exit(0)
