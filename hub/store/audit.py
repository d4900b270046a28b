"""SQL for the append-only, hash-chained audit log (triggers refuse UPDATE/DELETE)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from hub.clock import utc_iso
from hub.store.connection import Connection


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    actor_id: int | None
    actor_login: str
    ip: str
    action: str
    target: str
    detail: str
    prev_hash: str
    hash: str


def _row(r: sqlite3.Row) -> AuditRow:
    return AuditRow(r["id"], r["at"], r["actor_id"], r["actor_login"], r["ip"], r["action"],
                    r["target"], r["detail"], r["prev_hash"], r["hash"])


class ChainHead:
    """The chain's last (id, hash) as the writer's open transaction left it, so that the use-cases
    sharing that transaction (group commit) read it once: nobody else appends while it is open (one
    writer; on PostgreSQL the write lock). The store forgets it when a use-case is rolled back."""

    def __init__(self) -> None:
        self.known = False
        self.value: tuple[int, str] | None = None

    def forget(self) -> None:
        self.known, self.value = False, None


class AuditQueries:
    def __init__(self, conn: Connection, head: ChainHead | None = None) -> None:
        self.conn = conn
        self.head = head        # only in a write transaction

    async def last(self) -> tuple[int, str] | None:
        if self.head is not None and self.head.known:
            return self.head.value
        async with self.conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1") as cur:
            row = await cur.fetchone()
        found = (int(row[0]), str(row[1])) if row else None
        if self.head is not None:
            self.head.known, self.head.value = True, found
        return found

    async def insert(self, row: AuditRow) -> None:
        if self.head is not None:
            self.head.forget()      # if the INSERT fails, the head is unknown until read again
        await self.conn.execute(
            "INSERT INTO audit_log (id, at, actor_id, actor_login, ip, action, target, detail,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.at, row.actor_id, row.actor_login, row.ip, row.action, row.target,
             row.detail, row.prev_hash, row.hash))
        if self.head is not None:
            self.head.known, self.head.value = True, (row.id, row.hash)

    async def walk(self, batch: int = 1000) -> AsyncIterator[AuditRow]:
        after = 0
        while True:
            async with self.conn.execute("SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
                                         (after, batch)) as cur:
                rows = list(await cur.fetchall())
            if not rows:
                return
            for r in rows:
                yield _row(r)
            after = rows[-1]["id"]

    async def page(self, before_id: int | None, limit: int, action_prefix: str = "",
                   since: datetime | None = None) -> list[AuditRow]:
        sql = "SELECT * FROM audit_log WHERE 1 = 1"
        args: list[object] = []
        if before_id:
            sql += " AND id < ?"
            args.append(before_id)
        if action_prefix:
            sql += " AND action LIKE ?"
            args.append(action_prefix.replace("%", "") + "%")
        if since:
            sql += " AND at >= ?"
            args.append(utc_iso(since))
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        async with self.conn.execute(sql, args) as cur:
            return [_row(r) for r in await cur.fetchall()]
