"""bench/ack.py on PostgreSQL (`--backend postgresql`): the steps that read or write the SQLite file
directly, done with asyncpg on the fresh database instead (bench/_pg_db.py makes and drops it).

* unit ids and the pending deliveries, read as on SQLite;
* the clone of a template item (items, deliveries, item.issued events, SMS outbox rows, step
  timers, column for column, fresh ids and short codes; no audit rows) in one transaction with
  COPY, then `identities_past_largest` so the server's next ids come after the copied ones;
* the check afterwards: every 200 stored as acked with the receipt number it carried;
* the CPU the database's PostgreSQL backends used over a phase (they are not the server process,
  so ack.py's meter counts them among "other processes").
"""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

import asyncpg
from _ack_clone import CLONED, clone_rows, interleaved


async def unit_ids(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {r["code"]: r["id"] for r in await conn.fetch("SELECT code, id FROM units")}
    finally:
        await conn.close()


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_schema ="
                            " current_schema() AND table_name = $1 ORDER BY ordinal_position", table)
    return [r[0] for r in rows]


async def clone_items(url: str, template_id: int, copies: int) -> float:
    """What ack.py's clone_items does on SQLite, on PostgreSQL. Returns seconds taken."""
    from hub.store.pg_schema import identities_past_largest

    t0 = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            item = await conn.fetchrow("SELECT * FROM items WHERE id = $1", template_id)
            deliveries = await conn.fetch("SELECT * FROM deliveries WHERE item_id = $1 ORDER BY id", template_id)
            events = await conn.fetch("SELECT * FROM events WHERE item_id = $1 ORDER BY id", template_id)
            d_ids = [d["id"] for d in deliveries]
            outbox = await conn.fetch("SELECT * FROM outbox WHERE delivery_id = ANY($1::bigint[]) ORDER BY id", d_ids)
            timers = await conn.fetch("SELECT * FROM timers WHERE delivery_id = ANY($1::bigint[]) ORDER BY id", d_ids)
            cols = {t: [x for x in await _columns(conn, t) if x != "id"] for t in CLONED}
            ids = {t: int(await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {t}")) for t in CLONED}
            rows = clone_rows(copies, cols, ids, item, deliveries, events, outbox, timers)
            for table in CLONED:
                await conn.copy_records_to_table(table, records=rows[table], columns=["id", *cols[table]])
            await identities_past_largest(conn)
        for table in CLONED:
            await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()
    return time.perf_counter() - t0


async def pending_deliveries(url: str, unit_ids_: set[int]) -> list[tuple[int, int]]:
    """(delivery id, unit id) of every pending delivery, interleaved across units (as on SQLite)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id, unit_id FROM deliveries WHERE state = 'pending' ORDER BY id")
    finally:
        await conn.close()
    return interleaved([(r[0], r[1]) for r in rows], unit_ids_)


async def verify(url: str, oks: dict[int, str]) -> dict[str, object]:
    """ack.py's verify, reading PostgreSQL."""
    conn = await asyncpg.connect(url)
    try:
        stored = {r["id"]: (r["state"], r["receipt_no"]) for r in await conn.fetch(
            "SELECT id, state, receipt_no FROM deliveries WHERE id = ANY($1::bigint[])", list(oks))}
        receipts = collections.Counter(r[0] for r in await conn.fetch(
            "SELECT delivery_id FROM events WHERE type = 'receipt'"))
        acked_total = await conn.fetchval("SELECT count(*) FROM deliveries WHERE state = 'acked'")
        audit_acks = await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'delivery.ack'")
        timers_left = await conn.fetchval(
            "SELECT count(*) FROM timers t JOIN deliveries d ON d.id = t.delivery_id"
            " WHERE d.state = 'acked' AND t.kind = 'step'")
    finally:
        await conn.close()
    bad = [did for did, receipt in oks.items()
           if stored.get(did) != ("acked", receipt) or receipts.get(did) != 1]
    return {"acks_200": len(oks), "stored_acked_with_same_receipt_and_one_receipt_event": len(oks) - len(bad),
            "mismatches": len(bad), "mismatch_examples": bad[:5], "acked_in_db": acked_total,
            "committed_but_no_200_seen_by_client": acked_total - len(oks),
            "delivery_ack_audit_rows": audit_acks, "step_timers_left_on_acked": timers_left,
            "ok": not bad and acked_total >= len(oks) and audit_acks == acked_total and timers_left == 0}


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class PgCpu:
    """CPU of the PostgreSQL backends connected to the bench database (the server's pool), over a phase."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pids: list[int] = []
        self.t = 0.0
        self.start: dict[int, float] = {}

    async def _backends(self) -> list[int]:
        conn = await asyncpg.connect(self.url)
        try:
            return [r[0] for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        finally:
            await conn.close()

    async def begin(self) -> None:
        self.pids = await self._backends()
        self.t, self.start = time.perf_counter(), {p: _cpu(p) for p in self.pids}

    async def report(self, acks: int) -> tuple[str, dict[str, float]]:
        wall = time.perf_counter() - self.t
        now = await self._backends()      # a backend that started during the phase counts whole
        used = sum(max(0.0, _cpu(p) - self.start.get(p, 0.0)) for p in set(now) | set(self.start))
        per_ack = used / acks * 1000 if acks else float("nan")
        return (f"  PostgreSQL backends of the bench database ({len(now)} at the end): {used / wall:.2f} cores,"
                f" {per_ack:.2f} ms CPU per ack (counted above among 'other processes')",
                {"postgres_cores": round(used / wall, 2), "postgres_ms_per_ack": round(per_ack, 3)})
