"""SQL for each sender's saved recipient groups."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.recipient_groups import RecipientGroup
from hub.store.connection import Connection


def _group(r: sqlite3.Row) -> RecipientGroup:
    return RecipientGroup(r["id"], r["owner_id"], r["name"], tuple(json.loads(r["unit_ids"])),
                          parse_utc(r["created_at"]))


class RecipientGroupQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def of_owner(self, owner_id: int) -> list[RecipientGroup]:
        async with self.conn.execute("SELECT * FROM recipient_groups WHERE owner_id = ? ORDER BY name, id",
                                     (owner_id,)) as cur:
            return [_group(r) for r in await cur.fetchall()]

    async def get(self, group_id: int) -> RecipientGroup | None:
        async with self.conn.execute("SELECT * FROM recipient_groups WHERE id = ?", (group_id,)) as cur:
            row = await cur.fetchone()
        return _group(row) if row else None

    async def add(self, owner_id: int, name: str, unit_ids: tuple[int, ...], at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO recipient_groups (owner_id, name, unit_ids, created_at) VALUES (?, ?, ?, ?)",
            (owner_id, name, json.dumps(list(unit_ids)), utc_iso(at)))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def delete(self, group_id: int) -> None:
        await self.conn.execute("DELETE FROM recipient_groups WHERE id = ?", (group_id,))
