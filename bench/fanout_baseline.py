"""The baseline for bench/fanout.py: a bare `websockets` server that calls `broadcast()`.

    python bench/fanout_baseline.py --port P --db FILE

Clients connect to ws://127.0.0.1:P/ and get a hello frame once registered. The coordinator
connects to /control and sends {"frame": TEXT, "persist_rows": K}; the server then

1. if K > 0: writes K delivery rows (the real `deliveries` columns) into the SQLite file FILE in
   one transaction (stdlib sqlite3, journal_mode=WAL, synchronous=FULL: the commit is fsynced,
   like Xietong's), blocking its event loop as a naive server would;
2. calls websockets.broadcast(clients, TEXT): the frame is written to every socket before it
   returns;
3. answers on /control with the times (unix seconds) of each step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import time
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, unit_id INTEGER NOT NULL, role TEXT NOT NULL,
    state TEXT NOT NULL, sent_at TEXT NOT NULL, due_at TEXT NOT NULL, assignee_id INTEGER,
    read_at TEXT, read_by INTEGER, acked_at TEXT, acked_by INTEGER, ack_via TEXT,
    ack_note TEXT NOT NULL DEFAULT '', receipt_no TEXT, returned_at TEXT,
    return_reason TEXT NOT NULL DEFAULT '', level INTEGER NOT NULL DEFAULT 0, escalated_at TEXT,
    UNIQUE (item_id, unit_id));
CREATE INDEX IF NOT EXISTS deliveries_unit ON deliveries(unit_id, id);
CREATE INDEX IF NOT EXISTS deliveries_item ON deliveries(item_id);
"""


class Persist:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.executescript(SCHEMA)
        self.item = 0

    def write(self, rows: int) -> None:
        self.item += 1
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            "INSERT INTO deliveries (item_id, unit_id, role, state, sent_at, due_at, assignee_id)"
            " VALUES (?, ?, 'main', 'pending', ?, ?, ?)",
            ((self.item, 1000 + i, now, now, 10_000 + 2 * i) for i in range(rows)))
        self.db.execute("COMMIT")


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--db", required=True)
    a = p.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    store = Persist(a.db)
    clients: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            async for msg in ws:
                cmd = json.loads(msg)
                t_recv = time.time()
                if cmd.get("persist_rows"):
                    store.write(int(cmd["persist_rows"]))
                t_persisted = time.time()
                broadcast(clients, cmd["frame"])
                t_sent = time.time()
                await ws.send(json.dumps({"received": t_recv, "persisted": t_persisted, "sent": t_sent,
                                          "clients": len(clients)}))
            return
        clients.add(ws)
        try:
            await ws.send('{"v":1,"type":"hello"}')
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", a.port, compression=None, backlog=1024, max_size=2**20):
        print(f"baseline serving on {a.port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
