"""SQL of supervision (督办) and of manual chases (催办) on the office roads: the supervisions of
records, and what became of each SMS a road move sent (the outbox rows of a history row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection

_COLS = "id, road, record_id, by_id, every_days, started_at, next_report, last_report_at, last_report, ended_at"


@dataclass(frozen=True)
class Supervision:
    id: int
    road: str
    record_id: int
    by_id: int
    every_days: int
    started_at: datetime
    next_report: datetime
    last_report_at: datetime | None
    last_report: str
    ended_at: datetime | None

    @property
    def active(self) -> bool:
        return self.ended_at is None


def _sup(r: Any) -> Supervision:
    return Supervision(r[0], r[1], r[2], r[3], r[4], parse_utc(r[5]), parse_utc(r[6]),
                       parse_utc(r[7]) if r[7] else None, r[8], parse_utc(r[9]) if r[9] else None)


@dataclass(frozen=True)
class RoadSms:
    """One SMS a road move sent: to whom, and where it is (queued, sent, delivered, failed...)."""
    history_id: int
    user_id: int | None
    name: str
    phone: str
    state: str
    error: str


class SupervisionQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, road: str, record_id: int) -> Supervision | None:
        async with self.conn.execute(f"SELECT {_COLS} FROM supervisions WHERE road = ? AND record_id = ?",
                                     (road, record_id)) as cur:
            r = await cur.fetchone()
        return _sup(r) if r else None

    async def start(self, road: str, record_id: int, by_id: int, every_days: int, at: datetime,
                    next_report: datetime) -> int:
        """Put a record under supervision; a record supervised before (and ended) starts again."""
        cur = await self.conn.execute(
            "INSERT INTO supervisions (road, record_id, by_id, every_days, started_at, next_report)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (road, record_id) DO UPDATE SET by_id = excluded.by_id,"
            " every_days = excluded.every_days, started_at = excluded.started_at,"
            " next_report = excluded.next_report, last_report_at = NULL, last_report = '', ended_at = NULL"
            " WHERE supervisions.ended_at IS NOT NULL RETURNING id",
            (road, record_id, by_id, every_days, utc_iso(at), utc_iso(next_report)))
        r = await cur.fetchone()
        assert r is not None, "supervised already: the caller checks"
        return int(r[0])

    async def reported(self, supervision_id: int, at: datetime, text: str, next_report: datetime) -> None:
        await self.conn.execute(
            "UPDATE supervisions SET last_report_at = ?, last_report = ?, next_report = ? WHERE id = ?",
            (utc_iso(at), text, utc_iso(next_report), supervision_id))

    async def end(self, road: str, record_id: int, at: datetime) -> bool:
        cur = await self.conn.execute(
            "UPDATE supervisions SET ended_at = ? WHERE road = ? AND record_id = ? AND ended_at IS NULL",
            (utc_iso(at), road, record_id))
        return cur.rowcount == 1

    async def active(self, road: str, limit: int = 2000) -> list[Supervision]:
        async with self.conn.execute(
                f"SELECT {_COLS} FROM supervisions WHERE road = ? AND ended_at IS NULL ORDER BY next_report, id"
                " LIMIT ?", (road, limit)) as cur:
            return [_sup(r) for r in await cur.fetchall()]

    async def sms_of(self, history_ids: list[int]) -> list[RoadSms]:
        """The SMS that these history rows sent (a chase, a deadline rung), with their states."""
        if not history_ids:
            return []
        marks = ",".join("?" * len(history_ids))
        async with self.conn.execute(
                "SELECT o.history_id, o.user_id, coalesce(u.name, ''), o.phone, o.state, o.error FROM outbox o"
                f" LEFT JOIN users u ON u.id = o.user_id WHERE o.history_id IN ({marks}) ORDER BY o.history_id, o.id",
                history_ids) as cur:
            return [RoadSms(*r) for r in await cur.fetchall()]
