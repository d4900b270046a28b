"""SQL of circulations (传阅): the circulation rows, their readers' steps (road_steps of kind read),
and the reminders sent for them (road_history rows of the move remind_circulation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection
from hub.store.dialect import json_int_field
from hub.store.roads import _STEP_COLS, RoadStep, _step


@dataclass(frozen=True)
class Circulation:
    id: int
    road: str
    record_id: int
    sender_id: int
    unit_id: int              # the sender's unit
    ordered: bool
    note: str
    created_at: datetime
    withdrawn_at: datetime | None


_COLS = "id, road, record_id, sender_id, unit_id, ordered, note, created_at, withdrawn_at"


def _circulation(r: Any) -> Circulation:
    return Circulation(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], parse_utc(r[7]),
                       parse_utc(r[8]) if r[8] else None)


class CirculationQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, road: str, record_id: int, sender_id: int, unit_id: int, ordered: bool, note: str,
                  at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO circulations (road, record_id, sender_id, unit_id, ordered, note, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (road, record_id, sender_id, unit_id, int(ordered), note, utc_iso(at)))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def get(self, circulation_id: int) -> Circulation | None:
        async with self.conn.execute(f"SELECT {_COLS} FROM circulations WHERE id = ?", (circulation_id,)) as cur:
            r = await cur.fetchone()
        return _circulation(r) if r else None

    async def of_record(self, road: str, record_id: int) -> list[Circulation]:
        async with self.conn.execute(f"SELECT {_COLS} FROM circulations WHERE road = ? AND record_id = ?"
                                     " ORDER BY id", (road, record_id)) as cur:
            return [_circulation(r) for r in await cur.fetchall()]

    async def sent_by(self, sender_id: int, limit: int = 100) -> list[Circulation]:
        async with self.conn.execute(f"SELECT {_COLS} FROM circulations WHERE sender_id = ? ORDER BY id DESC LIMIT ?",
                                     (sender_id, limit)) as cur:
            return [_circulation(r) for r in await cur.fetchall()]

    async def counts(self, circulation_ids: list[int]) -> dict[int, dict[str, int]]:
        """circulation id -> {step state: how many readers}."""
        if not circulation_ids:
            return {}
        marks = ",".join("?" * len(circulation_ids))
        out: dict[int, dict[str, int]] = {c: {} for c in circulation_ids}
        async with self.conn.execute(
                f"SELECT circulation_id, state, count(*) FROM road_steps WHERE circulation_id IN ({marks})"
                " GROUP BY circulation_id, state", circulation_ids) as cur:
            for cid, state, n in await cur.fetchall():
                out[cid][state] = n
        return out

    async def withdraw(self, circulation_id: int, at: datetime) -> bool:
        """False when it was withdrawn already (a second click)."""
        cur = await self.conn.execute("UPDATE circulations SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                                      (utc_iso(at), circulation_id))
        return cur.rowcount == 1

    async def steps(self, circulation_ids: list[int]) -> list[RoadStep]:
        """The readers' steps of these circulations, in each one's order."""
        if not circulation_ids:
            return []
        marks = ",".join("?" * len(circulation_ids))
        async with self.conn.execute(
                f"SELECT {_STEP_COLS} FROM road_steps WHERE circulation_id IN ({marks})"
                " ORDER BY circulation_id, position, id", circulation_ids) as cur:
            return [_step(r) for r in await cur.fetchall()]

    async def pending_readers(self, road: str, record_id: int, user_ids: list[int]) -> set[int]:
        """Which of these people have a read step on this record still to read (open, or waiting for
        their turn in an ordered circulation)."""
        if not user_ids:
            return set()
        marks = ",".join("?" * len(user_ids))
        async with self.conn.execute(
                f"SELECT DISTINCT user_id FROM road_steps WHERE road = ? AND record_id = ? AND kind = 'read'"
                f" AND state IN ('open', 'waiting') AND user_id IN ({marks})",
                (road, record_id, *user_ids)) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def reminders_since(self, road: str, record_id: int, circulation_id: int, since: datetime) -> int:
        """How many reminders of this circulation were sent since `since`."""
        async with self.conn.execute(
                "SELECT count(*) FROM road_history WHERE road = ? AND record_id = ? AND move = 'remind_circulation'"
                f" AND at >= ? AND {json_int_field(self.conn, 'data', 'circulation_id')} = ?",
                (road, record_id, utc_iso(since), circulation_id)) as cur:
            r = await cur.fetchone()
        return int(r[0]) if r else 0

    async def sms_of(self, history_id: int) -> dict[int, tuple[str, str]]:
        """user id -> (state, error) of each SMS a reminder (its history row) queued."""
        async with self.conn.execute("SELECT user_id, state, error FROM outbox WHERE history_id = ? ORDER BY id",
                                     (history_id,)) as cur:
            return {r[0]: (r[1], r[2] or "") for r in await cur.fetchall()}
