"""SQL of the registers: the 发文登记簿 (a unit's numbered outgoing documents of a year) and the
units a register's rows name, for its filters. The 收文登记簿's rows are `tx.incoming.register_page`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.domain.calendar import CST
from hub.store.connection import Connection
from hub.store.dialect import contains, json_ints, page_limit


@dataclass(frozen=True)
class OutgoingEntry:
    """One line of the 发文登记簿."""
    id: int
    doc_number: str             # 文号, e.g. 东政发〔2026〕3号
    doc_seq: int
    title: str
    doc_kind: str               # 文种
    urgency: str
    signer_name: str            # 签发人
    signed_at: datetime | None  # 签发 (成文日期)
    main_units: tuple[int, ...]
    copy_units: tuple[int, ...]
    state: str
    sealed_at: datetime | None  # 用印
    dispatched_at: datetime | None  # 核发: the item went out


_OUT_COLS = ("d.id, d.doc_number, d.doc_seq, d.title, d.doc_kind, d.urgency, d.signer_name, d.signed_at,"
             " d.main_units, d.copy_units, d.state, d.sealed_at, i.issued_at")
_OUT_FROM = "documents d LEFT JOIN items i ON i.id = d.item_id"
_OUT_ORDER = {
    "number": "d.doc_seq", "title": "d.title", "kind": "d.doc_kind",
    "urgency": "CASE d.urgency WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END",
    "signer": "d.signer_name", "signed": "d.signed_at",
    "state": "CASE d.state WHEN 'registered' THEN 0 WHEN 'sealed' THEN 1 WHEN 'dispatched' THEN 2 ELSE 3 END",
    "sealed": "d.sealed_at", "dispatched": "i.issued_at"}
# a document is in the 发文登记簿 from its numbering (登记) on
REGISTERED_STATES = ("registered", "sealed", "dispatched", "withdrawn")


def _time(text: str | None) -> datetime | None:
    return parse_utc(text) if text else None


def _entry(r: Any) -> OutgoingEntry:
    return OutgoingEntry(r[0], r[1] or "", r[2] or 0, r[3], r[4], r[5], r[6], _time(r[7]),
                         tuple(json.loads(r[8])), tuple(json.loads(r[9])), r[10], _time(r[11]), _time(r[12]))


def day_start(d: date) -> str:
    """The instant a Beijing day begins, in the storage form (dates of the registers are local)."""
    return utc_iso(datetime.combine(d, time(0, 0), CST))


class RegisterQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def outgoing_page(self, unit_id: int, year: int, *, urgency: str = "", state: str = "",
                            to_unit_id: int | None = None, words: str = "", date_from: date | None = None,
                            date_to: date | None = None, order: str = "number", descending: bool = False,
                            limit: int = 100, offset: int = 0) -> tuple[list[OutgoingEntry], int]:
        """A page of the unit's 发文登记簿 for a year (the number's year), filtered and sorted, with
        the count of all matches; limit=-1: every match (the exports)."""
        where = ["d.unit_id = ?", "d.doc_year = ?"]
        args: list[Any] = [unit_id, year]
        if state:
            where.append("d.state = ?")
            args.append(state)
        else:
            where.append(f"d.state IN ({','.join('?' * len(REGISTERED_STATES))})")
            args += REGISTERED_STATES
        if urgency:
            where.append("d.urgency = ?")
            args.append(urgency)
        if to_unit_id is not None:
            where.append(f"(EXISTS (SELECT 1 FROM {json_ints(self.conn, 'd.main_units', 'j')} WHERE j.value = ?)"
                         f" OR EXISTS (SELECT 1 FROM {json_ints(self.conn, 'd.copy_units', 'j')} WHERE j.value = ?))")
            args += [to_unit_id, to_unit_id]
        if words:
            where.append(f"({contains(self.conn, 'd.title')} OR {contains(self.conn, 'd.doc_number')})")
            args += [words, words]
        if date_from:
            where.append("d.signed_at >= ?")
            args.append(day_start(date_from))
        if date_to:
            where.append("d.signed_at < ?")
            args.append(day_start(date_to + timedelta(days=1)))
        sql_where = " AND ".join(where)
        async with self.conn.execute(f"SELECT count(*) FROM {_OUT_FROM} WHERE {sql_where}", args) as cur:
            row = await cur.fetchone()
        total = int(row[0]) if row else 0
        # NULLs (no lead unit, not closed) first going up and last going down, as SQLite puts them;
        # PostgreSQL would put them the other way round unless told
        direction = "DESC NULLS LAST" if descending else "ASC NULLS FIRST"
        column = _OUT_ORDER.get(order, "d.doc_seq")
        async with self.conn.execute(
                f"SELECT {_OUT_COLS} FROM {_OUT_FROM} WHERE {sql_where}"
                f" ORDER BY {column} {direction}, d.doc_seq {direction} LIMIT ? OFFSET ?",
                (*args, page_limit(self.conn, limit), offset)) as cur:
            return [_entry(r) for r in await cur.fetchall()], total

    async def incoming_lead_units(self, unit_id: int, year: int) -> list[int]:
        """The lead units (主办) the unit's 收文登记簿 of a year names: the handler filter's choices."""
        async with self.conn.execute(
                "SELECT DISTINCT lead_unit_id FROM incoming WHERE unit_id = ? AND year = ?"
                " AND lead_unit_id IS NOT NULL", (unit_id, year)) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def outgoing_recipient_units(self, unit_id: int, year: int) -> list[int]:
        """The units the 发文登记簿 of a year sent to (main or copy): the recipient filter's choices."""
        marks = ",".join("?" * len(REGISTERED_STATES))
        async with self.conn.execute(
                f"SELECT DISTINCT j.value FROM documents d, {json_ints(self.conn, 'd.main_units', 'j')}"
                f" WHERE d.unit_id = ? AND d.doc_year = ? AND d.state IN ({marks})"
                f" UNION SELECT DISTINCT j.value FROM documents d, {json_ints(self.conn, 'd.copy_units', 'j')}"
                f" WHERE d.unit_id = ? AND d.doc_year = ? AND d.state IN ({marks})",
                (unit_id, year, *REGISTERED_STATES, unit_id, year, *REGISTERED_STATES)) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def years(self, unit_id: int) -> list[int]:
        """The years of which the unit has a 收文 or 发文 register: the year selector's choices."""
        marks = ",".join("?" * len(REGISTERED_STATES))
        async with self.conn.execute(
                "SELECT DISTINCT year FROM incoming WHERE unit_id = ? UNION SELECT DISTINCT doc_year FROM documents"
                f" WHERE unit_id = ? AND doc_year IS NOT NULL AND state IN ({marks})",
                (unit_id, unit_id, *REGISTERED_STATES)) as cur:
            return sorted(int(r[0]) for r in await cur.fetchall())

    async def unit_names(self, unit_ids: set[int]) -> dict[int, str]:
        """The names of the units a page of a register names (a handful, not the whole tree)."""
        if not unit_ids:
            return {}
        ids = sorted(unit_ids)
        async with self.conn.execute(f"SELECT id, name FROM units WHERE id IN ({','.join('?' * len(ids))})",
                                     ids) as cur:
            return {int(r[0]): str(r[1]) for r in await cur.fetchall()}
