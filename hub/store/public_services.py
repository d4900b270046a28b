"""SQL of the public services page (hub/domain/public_services.py)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.public_services import Kind, Resource
from hub.store.connection import Connection

_COLS = "id, kind, title, url, body, file_name, position, updated_at"


def _resource(r: sqlite3.Row) -> Resource:
    return Resource(r["id"], Kind(r["kind"]), r["title"], r["url"], r["body"], r["file_name"], r["position"],
                    parse_utc(r["updated_at"]))


class PublicServiceQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def all(self) -> list[Resource]:
        async with self.conn.execute(f"SELECT {_COLS} FROM public_services ORDER BY position, id") as cur:
            return [_resource(r) for r in await cur.fetchall()]

    async def get(self, resource_id: int) -> Resource | None:
        async with self.conn.execute(f"SELECT {_COLS} FROM public_services WHERE id = ?", (resource_id,)) as cur:
            row = await cur.fetchone()
        return _resource(row) if row else None

    async def content(self, resource_id: int) -> bytes:
        async with self.conn.execute("SELECT content FROM public_services WHERE id = ?", (resource_id,)) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    async def add(self, kind: Kind, title: str, url: str, body: str, file_name: str, content: bytes | None,
                  position: int, at: datetime, by: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO public_services (kind, title, url, body, file_name, content, position, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind.value, title, url, body, file_name, content, position, utc_iso(at), by))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def delete(self, resource_id: int) -> None:
        await self.conn.execute("DELETE FROM public_services WHERE id = ?", (resource_id,))
