"""SQL of reports upward (信息报送): the report rows and their receipt numbers (回执编号), given in
the transaction that stores the report. The numbers count per day (China time) over every report,
so they stay unique (reports.receipt_no is UNIQUE) and gapless: read-and-increment happens inside
the one write transaction, which SQLite serialises."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.reports import RECEIPT_PREFIX, Kind, Report, State, receipt_no
from hub.store.connection import Connection


@dataclass(frozen=True)
class ReportFile:
    id: int
    report_id: int
    name: str
    content_type: str
    size: int
    sha256: str


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

    async def many(self, ids: list[int]) -> dict[int, Report]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self.conn.execute(f"SELECT * FROM reports WHERE id IN ({marks})", ids) as cur:
            return {r["id"]: _report(r) for r in await cur.fetchall()}

    async def set_answered(self, report_id: int, item_id: int, now: datetime) -> bool:
        """The 批复 was issued; False if the 请示 was answered already (a second answer at once)."""
        cur = await self.conn.execute(
            "UPDATE reports SET state = ?, answered_at = ?, answer_item_id = ? WHERE id = ? AND state = ?",
            (State.ANSWERED.value, utc_iso(now), item_id, report_id, State.AWAITING.value))
        return cur.rowcount == 1

    async def of_answer_item(self, item_id: int) -> Report | None:
        """The 请示 an item answers (批复), if any."""
        async with self.conn.execute("SELECT * FROM reports WHERE answer_item_id = ?", (item_id,)) as cur:
            row = await cur.fetchone()
        return _report(row) if row else None

    async def add_file(self, report_id: int, name: str, content_type: str, content: bytes) -> int:
        cur = await self.conn.execute(
            "INSERT INTO report_files (report_id, name, content_type, size, sha256, content) VALUES (?, ?, ?, ?, ?, ?)",
            (report_id, name, content_type, len(content), hashlib.sha256(content).hexdigest(), content))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def files_of(self, report_id: int) -> list[ReportFile]:
        async with self.conn.execute(
                "SELECT id, report_id, name, content_type, size, sha256 FROM report_files WHERE report_id = ?"
                " ORDER BY id", (report_id,)) as cur:
            return [ReportFile(*r) for r in await cur.fetchall()]

    async def file(self, file_id: int) -> tuple[ReportFile, bytes] | None:
        async with self.conn.execute(
                "SELECT id, report_id, name, content_type, size, sha256, content FROM report_files WHERE id = ?",
                (file_id,)) as cur:
            r = await cur.fetchone()
        return (ReportFile(*tuple(r)[:6]), bytes(r[6])) if r else None

    async def answer_figures(self, since: datetime, until: datetime, at: datetime) -> dict[int, tuple[int, int, int]]:
        """unit id -> (请示 sent in the period answered by their due time, answered after it, still
        unanswered at `at` (the period's end, or now) though due before it)."""
        when = utc_iso(at)
        async with self.conn.execute(
                "SELECT unit_id,"
                " sum(CASE WHEN answered_at IS NOT NULL AND answered_at <= ? AND answered_at <= answer_due_at"
                " THEN 1 ELSE 0 END),"
                " sum(CASE WHEN answered_at IS NOT NULL AND answered_at <= ? AND answered_at > answer_due_at"
                " THEN 1 ELSE 0 END),"
                " sum(CASE WHEN (answered_at IS NULL OR answered_at > ?) AND answer_due_at < ? THEN 1 ELSE 0 END)"
                " FROM reports WHERE kind = ? AND sent_at >= ? AND sent_at < ? GROUP BY unit_id",
                (when, when, when, when, Kind.REQUEST.value, utc_iso(since), utc_iso(until))) as cur:
            return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in await cur.fetchall()}
