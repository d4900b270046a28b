"""SQL of reports upward (信息报送): the report rows and their receipt numbers (回执编号), given in
the transaction that stores the report. The numbers count per day (China time) over every report,
so they stay unique (reports.receipt_no is UNIQUE) and gapless: read-and-increment happens inside
the one write transaction, which SQLite serialises."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.reports import RECEIPT_PREFIX, Kind, Report, State, receipt_no
from hub.store.connection import Connection


def _t(v: str | None) -> datetime | None:
    return parse_utc(v) if v else None


def _report(r: sqlite3.Row) -> Report:
    return Report(id=r["id"], unit_id=r["unit_id"], to_unit_id=r["to_unit_id"], kind=Kind(r["kind"]),
                  title=r["title"], body=r["body"], sender_id=r["sender_id"], sent_at=parse_utc(r["sent_at"]),
                  receipt_no=r["receipt_no"], state=State(r["state"]), answer_due_at=_t(r["answer_due_at"]),
                  answered_at=_t(r["answered_at"]), answer_item_id=r["answer_item_id"],
                  adopted_at=_t(r["adopted_at"]), adopted_in=r["adopted_in"])


class ReportQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def next_receipt_no(self, day: date) -> str:
        prefix = f"{RECEIPT_PREFIX}{day:%Y%m%d}-"
        async with self.conn.execute(
                "SELECT COUNT(*) FROM reports WHERE receipt_no LIKE ? || '%'", (prefix,)) as cur:
            row = await cur.fetchone()
        return receipt_no(day, (int(row[0]) if row else 0) + 1)

    async def add(self, unit_id: int, to_unit_id: int, kind: Kind, title: str, body: str, sender_id: int,
                  now: datetime, day: date, state: State, answer_due_at: datetime | None) -> Report:
        """Store a report with its receipt number, both in the caller's transaction."""
        number = await self.next_receipt_no(day)
        cur = await self.conn.execute(
            "INSERT INTO reports (unit_id, to_unit_id, kind, title, body, sender_id, sent_at, receipt_no,"
            " state, answer_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (unit_id, to_unit_id, kind.value, title, body, sender_id, utc_iso(now), number, state.value,
             utc_iso(answer_due_at) if answer_due_at else None))
        assert cur.lastrowid is not None
        got = await self.get(cur.lastrowid)
        assert got is not None
        return got

    async def get(self, report_id: int) -> Report | None:
        async with self.conn.execute("SELECT * FROM reports WHERE id = ?", (report_id,)) as cur:
            row = await cur.fetchone()
        return _report(row) if row else None

    async def sent_by(self, unit_id: int) -> list[Report]:
        async with self.conn.execute(
                "SELECT * FROM reports WHERE unit_id = ? ORDER BY sent_at DESC, id DESC", (unit_id,)) as cur:
            return [_report(r) for r in await cur.fetchall()]

    async def received_by(self, to_unit_id: int) -> list[Report]:
        async with self.conn.execute(
                "SELECT * FROM reports WHERE to_unit_id = ? ORDER BY sent_at DESC, id DESC",
                (to_unit_id,)) as cur:
            return [_report(r) for r in await cur.fetchall()]

    async def adopt(self, report_id: int, by: int, note: str, now: datetime) -> bool:
        """Mark a report adopted (采用) once; False if it already was."""
        cur = await self.conn.execute(
            "UPDATE reports SET adopted_at = ?, adopted_by = ?, adopted_in = ? WHERE id = ? AND adopted_at IS NULL",
            (utc_iso(now), by, note, report_id))
        return cur.rowcount == 1
