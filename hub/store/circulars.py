"""SQL of the circular (通报): the circulars kept by the office, and the usage figures behind them
(logins, active users, reports sent up and adopted)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection


@dataclass(frozen=True)
class CircularRow:
    id: int
    unit_id: int                 # the office
    period_from: datetime        # [from, until)
    period_until: datetime
    title: str
    intro: str
    figures: str                 # JSON, frozen when generated
    state: str                   # draft | published
    created_at: datetime
    created_by: int | None       # None: the monthly run
    published_at: datetime | None
    published_by: int | None
    item_id: int | None


def _row(r: sqlite3.Row) -> CircularRow:
    return CircularRow(r["id"], r["unit_id"], parse_utc(r["period_from"]), parse_utc(r["period_until"]),
                       r["title"], r["intro"], r["figures"], r["state"], parse_utc(r["created_at"]),
                       r["created_by"], parse_utc(r["published_at"]) if r["published_at"] else None,
                       r["published_by"], r["item_id"])


class CircularQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, unit_id: int, since: datetime, until: datetime, title: str, intro: str, figures: str,
                  at: datetime, by: int | None) -> int | None:
        """A new draft; None when the monthly run's draft of this period exists already."""
        cur = await self.conn.execute(
            "INSERT INTO circulars (unit_id, period_from, period_until, title, intro, figures, state,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?) ON CONFLICT DO NOTHING",
            (unit_id, utc_iso(since), utc_iso(until), title, intro, figures, utc_iso(at), by))
        return cur.lastrowid if cur.rowcount else None

    async def get(self, circular_id: int) -> CircularRow | None:
        async with self.conn.execute("SELECT * FROM circulars WHERE id = ?", (circular_id,)) as cur:
            row = await cur.fetchone()
        return _row(row) if row else None

    async def monthly(self, unit_id: int, since: datetime, until: datetime) -> CircularRow | None:
        async with self.conn.execute(
                "SELECT * FROM circulars WHERE unit_id = ? AND period_from = ? AND period_until = ?"
                " AND created_by IS NULL", (unit_id, utc_iso(since), utc_iso(until))) as cur:
            row = await cur.fetchone()
        return _row(row) if row else None

    async def of_unit(self, unit_id: int, limit: int = 200) -> list[CircularRow]:
        """The office's circulars, the latest period first."""
        async with self.conn.execute(
                "SELECT * FROM circulars WHERE unit_id = ? ORDER BY period_from DESC, id DESC LIMIT ?",
                (unit_id, limit)) as cur:
            return [_row(r) for r in await cur.fetchall()]

    async def edit(self, circular_id: int, title: str, intro: str) -> bool:
        cur = await self.conn.execute(
            "UPDATE circulars SET title = ?, intro = ? WHERE id = ? AND state = 'draft'", (title, intro, circular_id))
        return cur.rowcount == 1

    async def refigure(self, circular_id: int, figures: str) -> bool:
        cur = await self.conn.execute(
            "UPDATE circulars SET figures = ? WHERE id = ? AND state = 'draft'", (figures, circular_id))
        return cur.rowcount == 1

    async def mark_published(self, circular_id: int, at: datetime, by: int, item_id: int) -> bool:
        """Only a draft is published (a second publish changes nothing)."""
        cur = await self.conn.execute(
            "UPDATE circulars SET state = 'published', published_at = ?, published_by = ?, item_id = ?"
            " WHERE id = ? AND state = 'draft'", (utc_iso(at), by, item_id, circular_id))
        return cur.rowcount == 1


class UsageQueries:
    """Per-unit usage of a period [since, until): each unit by its people's current unit."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def record_login(self, user_id: int, at: datetime) -> None:
        await self.conn.execute("INSERT INTO user_logins (user_id, at) VALUES (?, ?)", (user_id, utc_iso(at)))

    async def people(self) -> dict[int, int]:
        """unit id -> people with an enabled account."""
        async with self.conn.execute(
                "SELECT unit_id, count(*) FROM users WHERE disabled_at IS NULL GROUP BY unit_id") as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def clerk_units(self) -> set[int]:
        """Units with at least one enabled clerk (公文收发员)."""
        async with self.conn.execute(
                "SELECT DISTINCT u.unit_id FROM users u JOIN user_roles r ON r.user_id = u.id"
                " WHERE r.role = 'clerk' AND u.disabled_at IS NULL") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def logins(self, since: datetime, until: datetime) -> dict[int, int]:
        """unit id -> successful logins in the period."""
        async with self.conn.execute(
                "SELECT u.unit_id, count(*) FROM user_logins l JOIN users u ON u.id = l.user_id"
                " WHERE l.at >= ? AND l.at < ? GROUP BY u.unit_id", (utc_iso(since), utc_iso(until))) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def active_users(self, since: datetime, until: datetime) -> dict[int, int]:
        """unit id -> distinct people who logged in or did anything audited in the period."""
        span = (utc_iso(since), utc_iso(until))
        async with self.conn.execute(
                "SELECT u.unit_id, count(DISTINCT a.user_id) FROM ("
                " SELECT user_id FROM user_logins WHERE at >= ? AND at < ?"
                " UNION SELECT actor_id FROM audit_log WHERE at >= ? AND at < ? AND actor_id IS NOT NULL"
                ") a JOIN users u ON u.id = a.user_id GROUP BY u.unit_id", span + span) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def reports(self, since: datetime, until: datetime) -> dict[int, tuple[int, int]]:
        """unit id -> (reports sent up in the period, of those: adopted, 采用)."""
        async with self.conn.execute(
                "SELECT unit_id, count(*), sum(CASE WHEN adopted_at IS NOT NULL THEN 1 ELSE 0 END) FROM reports"
                " WHERE sent_at >= ? AND sent_at < ? GROUP BY unit_id", (utc_iso(since), utc_iso(until))) as cur:
            return {r[0]: (int(r[1]), int(r[2] or 0)) for r in await cur.fetchall()}
