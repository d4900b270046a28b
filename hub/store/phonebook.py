"""SQL of the phone book's entries (hub/domain/phonebook.py) and of a unit's duty phone."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.clock import utc_iso
from hub.domain.phonebook import Entry
from hub.store.connection import Connection


def _entry(r: sqlite3.Row) -> Entry:
    return Entry(r["id"], r["unit_id"], r["name"], r["job"], r["office_phone"], r["mobile"], r["position"])


class PhonebookQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def all(self) -> list[Entry]:
        async with self.conn.execute("SELECT * FROM phonebook_entries ORDER BY unit_id, position, id") as cur:
            return [_entry(r) for r in await cur.fetchall()]

    async def of_unit(self, unit_id: int) -> list[Entry]:
        async with self.conn.execute("SELECT * FROM phonebook_entries WHERE unit_id = ? ORDER BY position, id",
                                     (unit_id,)) as cur:
            return [_entry(r) for r in await cur.fetchall()]

    async def get(self, entry_id: int) -> Entry | None:
        async with self.conn.execute("SELECT * FROM phonebook_entries WHERE id = ?", (entry_id,)) as cur:
            row = await cur.fetchone()
        return _entry(row) if row else None

    async def add(self, unit_id: int, name: str, job: str, office: str, mobile: str, position: int, at: datetime,
                  by: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO phonebook_entries (unit_id, name, job, office_phone, mobile, position, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (unit_id, name, job, office, mobile, position, utc_iso(at), by))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def update(self, entry_id: int, name: str, job: str, office: str, mobile: str, position: int,
                     at: datetime, by: int | None) -> None:
        await self.conn.execute(
            "UPDATE phonebook_entries SET name = ?, job = ?, office_phone = ?, mobile = ?, position = ?,"
            " updated_at = ?, updated_by = ? WHERE id = ?", (name, job, office, mobile, position, utc_iso(at), by,
                                                             entry_id))

    async def delete(self, entry_id: int) -> None:
        await self.conn.execute("DELETE FROM phonebook_entries WHERE id = ?", (entry_id,))

    async def set_duty_phone(self, unit_id: int, phone: str) -> None:
        await self.conn.execute("UPDATE units SET duty_phone = ? WHERE id = ?", (phone, unit_id))
