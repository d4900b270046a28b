"""SQL for the duty desk's shifts, handovers and log entries (all kept: see migration 0011)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.duty_log import EntryKind, Handover, LogEntry, Shift
from hub.store.connection import Connection


def _t(v: str | None) -> datetime | None:
    return parse_utc(v) if v else None


def _shift(r: sqlite3.Row) -> Shift:
    return Shift(r["id"], r["officer_id"], parse_utc(r["started_at"]), r["handover_id"], _t(r["ended_at"]))


def _handover(r: sqlite3.Row) -> Handover:
    return Handover(r["id"], r["shift_id"], r["from_id"], r["to_id"], r["note"], parse_utc(r["created_at"]),
                    _t(r["confirmed_at"]), _t(r["cancelled_at"]))


def _entry(r: sqlite3.Row) -> LogEntry:
    return LogEntry(r["id"], parse_utc(r["at"]), r["author_id"], r["shift_id"], EntryKind(r["kind"]), r["text"],
                    r["item_id"], r["delivery_id"], r["unit_id"], r["corrects_id"])


class DutyLogQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- shifts --------------------------------------------------------------------------
    async def shift_in_force(self) -> Shift | None:
        async with self.conn.execute("SELECT * FROM duty_shifts WHERE ended_at IS NULL") as cur:
            row = await cur.fetchone()
        return _shift(row) if row else None

    async def shift(self, shift_id: int) -> Shift | None:
        async with self.conn.execute("SELECT * FROM duty_shifts WHERE id = ?", (shift_id,)) as cur:
            row = await cur.fetchone()
        return _shift(row) if row else None

    async def shifts(self, limit: int = 30) -> list[Shift]:
        """The latest shifts, newest first."""
        async with self.conn.execute("SELECT * FROM duty_shifts ORDER BY id DESC LIMIT ?", (limit,)) as cur:
            return [_shift(r) for r in await cur.fetchall()]

    async def start_shift(self, officer_id: int, at: datetime, handover_id: int | None) -> int:
        cur = await self.conn.execute("INSERT INTO duty_shifts (officer_id, started_at, handover_id)"
                                      " VALUES (?, ?, ?)", (officer_id, utc_iso(at), handover_id))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def end_shift(self, shift_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE duty_shifts SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                                (utc_iso(at), shift_id))

    # -- handovers -----------------------------------------------------------------------
    async def open_handover(self) -> Handover | None:
        async with self.conn.execute("SELECT * FROM duty_handovers"
                                     " WHERE confirmed_at IS NULL AND cancelled_at IS NULL") as cur:
            row = await cur.fetchone()
        return _handover(row) if row else None

    async def handover(self, handover_id: int) -> Handover | None:
        async with self.conn.execute("SELECT * FROM duty_handovers WHERE id = ?", (handover_id,)) as cur:
            row = await cur.fetchone()
        return _handover(row) if row else None

    async def handovers_of(self, shift_id: int) -> list[Handover]:
        """Handovers of a shift, and the one that began it."""
        async with self.conn.execute(
                "SELECT * FROM duty_handovers WHERE shift_id = ? OR id = (SELECT handover_id FROM duty_shifts"
                " WHERE id = ?) ORDER BY id", (shift_id, shift_id)) as cur:
            return [_handover(r) for r in await cur.fetchall()]

    async def add_handover(self, shift_id: int, from_id: int, to_id: int, note: str, at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO duty_handovers (shift_id, from_id, to_id, note, created_at) VALUES (?, ?, ?, ?, ?)",
            (shift_id, from_id, to_id, note, utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def confirm_handover(self, handover_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE duty_handovers SET confirmed_at = ? WHERE id = ?",
                                (utc_iso(at), handover_id))

    async def cancel_handover(self, handover_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE duty_handovers SET cancelled_at = ? WHERE id = ?",
                                (utc_iso(at), handover_id))

    # -- log entries ---------------------------------------------------------------------
    async def add_entry(self, at: datetime, author_id: int, shift_id: int | None, kind: EntryKind, text: str,
                        item_id: int | None, delivery_id: int | None, unit_id: int | None,
                        corrects_id: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO duty_log_entries (at, author_id, shift_id, kind, text, item_id, delivery_id, unit_id,"
            " corrects_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (utc_iso(at), author_id, shift_id, kind.value, text, item_id, delivery_id, unit_id, corrects_id))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def entry(self, entry_id: int) -> LogEntry | None:
        async with self.conn.execute("SELECT * FROM duty_log_entries WHERE id = ?", (entry_id,)) as cur:
            row = await cur.fetchone()
        return _entry(row) if row else None

    async def entries(self, shift_id: int | None, limit: int = 1000) -> list[LogEntry]:
        """A shift's entries (or those written while nobody was on shift), oldest first."""
        where = "shift_id = ?" if shift_id is not None else "shift_id IS NULL"
        args: tuple[object, ...] = (shift_id,) if shift_id is not None else ()
        async with self.conn.execute(f"SELECT * FROM duty_log_entries WHERE {where} ORDER BY id LIMIT ?",
                                     (*args, limit)) as cur:
            return [_entry(r) for r in await cur.fetchall()]
