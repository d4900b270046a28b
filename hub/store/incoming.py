"""SQL of the incoming road (收文): the register (收文登记簿), its gapless numbers, scans of
documents registered by hand, and each unit's road settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.domain.incoming import Registration, State, receiving_number
from hub.store.connection import Connection
from hub.store.dialect import contains, not_indexed, page_limit

_COLS = ("id, unit_id, year, seq, delivery_id, source, from_unit, from_number, title, doc_kind, urgency, copies,"
         " pages, received_on, deadline, reply_wanted, state, handling, lead_unit_id, result, reply_item_id,"
         " supervised, registered_by, registered_at, updated_at, closed_at")


@dataclass(frozen=True)
class Incoming:
    id: int
    unit_id: int
    year: int
    seq: int
    delivery_id: int | None
    source: str
    from_unit: str
    from_number: str
    title: str
    doc_kind: str
    urgency: str
    copies: int
    pages: int
    received_on: date
    deadline: datetime
    reply_wanted: bool
    state: str
    handling: str
    lead_unit_id: int | None
    result: str
    reply_item_id: int | None
    supervised: bool
    registered_by: int
    registered_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @property
    def number(self) -> str:
        """收文编号, e.g. 2026-0001."""
        return receiving_number(self.year, self.seq)


def _incoming(r: Any) -> Incoming:
    return Incoming(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
                    date.fromisoformat(r[13]), parse_utc(r[14]), bool(r[15]), r[16], r[17], r[18], r[19], r[20],
                    bool(r[21]), r[22], parse_utc(r[23]), parse_utc(r[24]), parse_utc(r[25]) if r[25] else None)


@dataclass(frozen=True)
class IncomingAttachment:
    id: int
    incoming_id: int
    name: str
    content_type: str
    size: int
    sha256: str


# the register's sort columns (hub.domain.registers.INCOMING_SORTS) in SQL; ties go by number
_REGISTER_ORDER = {
    "seq": "seq", "number": "seq", "received": "received_on", "from": "from_unit", "from_number": "from_number",
    "title": "title", "kind": "doc_kind", "urgency": "CASE urgency WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1"
    " ELSE 2 END", "copies": "copies", "pages": "pages", "deadline": "deadline",
    "handler": "(SELECT name FROM units WHERE units.id = lead_unit_id)",
    "state": "CASE state " + " ".join(f"WHEN '{st.value}' THEN {i}" for i, st in enumerate(State)) + " END",
    "closed": "closed_at"}


class IncomingQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def next_number(self, unit_id: int, year: int, book: str = "incoming") -> int:
        """The next number of a unit's register for a year: taken inside the writer's transaction,
        so two registrations never get the same number and a rolled-back one leaves no gap."""
        await self.conn.execute(
            "INSERT INTO register_numbers (unit_id, book, year, last) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (unit_id, book, year) DO UPDATE SET last = register_numbers.last + 1", (unit_id, book, year))
        async with self.conn.execute("SELECT last FROM register_numbers WHERE unit_id = ? AND book = ? AND year = ?",
                                     (unit_id, book, year)) as cur:
            r = await cur.fetchone()
        assert r is not None
        return int(r[0])

    async def add(self, unit_id: int, year: int, seq: int, reg: Registration, deadline: datetime, state: str,
                  by: int, at: datetime, delivery_id: int | None = None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO incoming (unit_id, year, seq, delivery_id, source, from_unit, from_number, title, doc_kind,"
            " urgency, copies, pages, received_on, deadline, reply_wanted, state, registered_by, registered_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (unit_id, year, seq, delivery_id, reg.source.value, reg.from_unit.strip(), reg.from_number.strip(),
             reg.title.strip(), reg.doc_kind.strip(), reg.urgency, reg.copies, reg.pages, reg.received_on.isoformat(),
             utc_iso(deadline), int(reg.reply_wanted), state, by, utc_iso(at), utc_iso(at)))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def get(self, incoming_id: int) -> Incoming | None:
        async with self.conn.execute(f"SELECT {_COLS} FROM incoming WHERE id = ?", (incoming_id,)) as cur:
            r = await cur.fetchone()
        return _incoming(r) if r else None

    async def many(self, ids: list[int]) -> dict[int, Incoming]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self.conn.execute(f"SELECT {_COLS} FROM incoming WHERE id IN ({marks})", ids) as cur:
            return {r[0]: _incoming(r) for r in await cur.fetchall()}

    async def of_delivery(self, delivery_id: int) -> Incoming | None:
        async with self.conn.execute(f"SELECT {_COLS} FROM incoming WHERE delivery_id = ?", (delivery_id,)) as cur:
            r = await cur.fetchone()
        return _incoming(r) if r else None

    async def set_state(self, incoming_id: int, state: str, at: datetime, **fields: Any) -> None:
        """Move a record; `fields` names columns of the move (handling, lead_unit_id, result, ...)."""
        allowed = {"handling", "lead_unit_id", "result", "reply_item_id", "supervised", "closed_at"}
        assert set(fields) <= allowed, fields
        sets = "".join(f", {k} = ?" for k in fields)
        values = [utc_iso(v) if isinstance(v, datetime) else v for v in fields.values()]
        await self.conn.execute(f"UPDATE incoming SET state = ?, updated_at = ?{sets} WHERE id = ?",
                                (state, utc_iso(at), *values, incoming_id))

    async def in_units(self, unit_ids: list[int], states: list[str] | None = None,
                       limit: int = 500) -> list[Incoming]:
        """Records registered by these units, or given to them to handle as lead or assisting unit
        (now or before a re-assignment: they hold or held a handling step), the newest first."""
        marks = ",".join("?" * len(unit_ids))
        # `+road`: the steps are found by their unit's index, not by walking every step of the road
        where = (f"(unit_id IN ({marks}) OR id IN (SELECT record_id FROM road_steps WHERE unit_id IN ({marks})"
                 f" AND {not_indexed(self.conn, 'road')} = 'incoming' AND kind IN ('handle', 'assist')))")
        args: list[Any] = [*unit_ids, *unit_ids]
        if states:
            where += f" AND state IN ({','.join('?' * len(states))})"
            args += states
        async with self.conn.execute(f"SELECT {_COLS} FROM incoming WHERE {where} ORDER BY id DESC LIMIT ?",
                                     (*args, limit)) as cur:
            return [_incoming(r) for r in await cur.fetchall()]

    async def register_page(self, unit_id: int, year: int, *, urgency: str = "", state: str = "",
                            from_unit: str = "", handler_unit_id: int | None = None, date_from: date | None = None,
                            date_to: date | None = None, words: str = "", order: str = "seq", descending: bool = False,
                            limit: int = 100, offset: int = 0) -> tuple[list[Incoming], int]:
        """A page of the unit's 收文登记簿 for a year, filtered and sorted; with the count of all matches.
        `words` are looked for in the title and the 来文字号; limit=-1: every match (the exports)."""
        where = ["unit_id = ?", "year = ?"]
        args: list[Any] = [unit_id, year]
        if urgency:
            where.append("urgency = ?")
            args.append(urgency)
        if state:
            where.append("state = ?")
            args.append(state)
        if from_unit:
            where.append(contains(self.conn, "from_unit"))
            args.append(from_unit)
        if handler_unit_id is not None:
            where.append("lead_unit_id = ?")
            args.append(handler_unit_id)
        if date_from:
            where.append("received_on >= ?")
            args.append(date_from.isoformat())
        if date_to:
            where.append("received_on <= ?")
            args.append(date_to.isoformat())
        if words:
            where.append(f"({contains(self.conn, 'title')} OR {contains(self.conn, 'from_number')})")
            args += [words, words]
        column = _REGISTER_ORDER.get(order, "seq")
        sql_where = " AND ".join(where)
        async with self.conn.execute(f"SELECT count(*) FROM incoming WHERE {sql_where}", args) as cur:
            row = await cur.fetchone()
        total = int(row[0]) if row else 0
        # NULLs (no lead unit, not closed) first going up and last going down, as SQLite puts them;
        # PostgreSQL would put them the other way round unless told
        direction = "DESC NULLS LAST" if descending else "ASC NULLS FIRST"
        async with self.conn.execute(
                f"SELECT {_COLS} FROM incoming WHERE {sql_where} ORDER BY {column} {direction}, seq {direction}"
                " LIMIT ? OFFSET ?", (*args, page_limit(self.conn, limit), offset)) as cur:
            return [_incoming(r) for r in await cur.fetchall()], total

    # --- scans -------------------------------------------------------------------------------------

    async def add_attachment(self, incoming_id: int, name: str, content_type: str, content: bytes) -> int:
        cur = await self.conn.execute(
            "INSERT INTO incoming_attachments (incoming_id, name, content_type, size, sha256, content)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (incoming_id, name, content_type, len(content), hashlib.sha256(content).hexdigest(), content))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def attachments(self, incoming_id: int) -> list[IncomingAttachment]:
        async with self.conn.execute(
                "SELECT id, incoming_id, name, content_type, size, sha256 FROM incoming_attachments"
                " WHERE incoming_id = ? ORDER BY id", (incoming_id,)) as cur:
            return [IncomingAttachment(*r) for r in await cur.fetchall()]

    async def attachment(self, attachment_id: int) -> tuple[IncomingAttachment, bytes] | None:
        async with self.conn.execute(
                "SELECT id, incoming_id, name, content_type, size, sha256, content FROM incoming_attachments"
                " WHERE id = ?", (attachment_id,)) as cur:
            r = await cur.fetchone()
        return (IncomingAttachment(*r[:6]), bytes(r[6])) if r else None

    # --- settings ----------------------------------------------------------------------------------

    async def auto_register(self, unit_id: int) -> bool:
        async with self.conn.execute("SELECT auto_register FROM unit_settings WHERE unit_id = ?", (unit_id,)) as cur:
            r = await cur.fetchone()
        return bool(r[0]) if r else False

    async def set_auto_register(self, unit_id: int, on: bool) -> None:
        await self.conn.execute(
            "INSERT INTO unit_settings (unit_id, auto_register) VALUES (?, ?)"
            " ON CONFLICT (unit_id) DO UPDATE SET auto_register = excluded.auto_register", (unit_id, int(on)))
