"""SQL of the road engine: open steps (road_steps), the one history (road_history), and the to-do
query over the steps (one indexed read per person: their own steps, and their roles' in their unit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection

_STEP_COLS = ("id, road, record_id, kind, unit_id, role, user_id, circulation_id, position, state, opened_at,"
              " due_at, done_at, done_by, done_for, note, chases, chased_at")


@dataclass(frozen=True)
class RoadStep:
    id: int
    road: str
    record_id: int
    kind: str
    unit_id: int
    role: str | None
    user_id: int | None
    circulation_id: int | None
    position: int
    state: str
    opened_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    done_by: int | None
    done_for: int | None
    note: str
    chases: int
    chased_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def _step(r: Any) -> RoadStep:
    return RoadStep(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], parse_utc(r[10]),
                    parse_utc(r[11]) if r[11] else None, parse_utc(r[12]) if r[12] else None, r[13], r[14],
                    r[15], r[16], parse_utc(r[17]) if r[17] else None)


@dataclass(frozen=True)
class HistoryRow:
    id: int
    road: str
    record_id: int
    at: datetime
    move: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_name: str
    for_id: int | None
    step_id: int | None
    note: str
    data: dict[str, Any]


class RoadQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- steps -----------------------------------------------------------------------------------

    async def open_step(self, road: str, record_id: int, kind: str, unit_id: int, at: datetime, *,
                        role: str | None = None, user_id: int | None = None, due_at: datetime | None = None,
                        circulation_id: int | None = None, position: int = 0, state: str = "open") -> int:
        cur = await self.conn.execute(
            "INSERT INTO road_steps (road, record_id, kind, unit_id, role, user_id, circulation_id, position, state,"
            " opened_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (road, record_id, kind, unit_id, role, user_id, circulation_id, position, state, utc_iso(at),
             utc_iso(due_at) if due_at else None))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def step(self, step_id: int) -> RoadStep | None:
        async with self.conn.execute(f"SELECT {_STEP_COLS} FROM road_steps WHERE id = ?", (step_id,)) as cur:
            r = await cur.fetchone()
        return _step(r) if r else None

    async def steps_of(self, road: str, record_id: int) -> list[RoadStep]:
        async with self.conn.execute(
                f"SELECT {_STEP_COLS} FROM road_steps WHERE road = ? AND record_id = ? ORDER BY id",
                (road, record_id)) as cur:
            return [_step(r) for r in await cur.fetchall()]

    async def open_steps_of(self, road: str, record_id: int) -> list[RoadStep]:
        async with self.conn.execute(
                f"SELECT {_STEP_COLS} FROM road_steps WHERE road = ? AND record_id = ? AND state = 'open'"
                " ORDER BY id", (road, record_id)) as cur:
            return [_step(r) for r in await cur.fetchall()]

    async def finish_step(self, step_id: int, state: str, at: datetime, by: int | None = None,
                          for_id: int | None = None, note: str = "") -> bool:
        """Close an open (or waiting) step; False when it was closed already (a second click)."""
        cur = await self.conn.execute(
            "UPDATE road_steps SET state = ?, done_at = ?, done_by = ?, done_for = ?, note = ?"
            " WHERE id = ? AND state IN ('open', 'waiting')",
            (state, utc_iso(at), by, for_id, note, step_id))
        return cur.rowcount == 1

    async def wake_step(self, step_id: int, at: datetime) -> None:
        """A waiting step's turn came (the next reader of an ordered circulation)."""
        await self.conn.execute("UPDATE road_steps SET state = 'open', opened_at = ? WHERE id = ? AND state = 'waiting'",
                                (utc_iso(at), step_id))

    async def set_due(self, step_id: int, due_at: datetime | None) -> None:
        await self.conn.execute("UPDATE road_steps SET due_at = ? WHERE id = ?",
                                (utc_iso(due_at) if due_at else None, step_id))

    async def count_chase(self, step_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE road_steps SET chases = chases + 1, chased_at = ? WHERE id = ?",
                                (utc_iso(at), step_id))

    async def open_for(self, user_id: int, unit_id: int, roles: list[str], limit: int = 500) -> list[RoadStep]:
        """The to-do query: open steps naming this person, or one of their roles in their unit."""
        marks = ",".join("?" * len(roles)) or "NULL"
        async with self.conn.execute(
                f"SELECT {_STEP_COLS} FROM road_steps WHERE user_id = ? AND state = 'open'"
                f" UNION ALL SELECT {_STEP_COLS} FROM road_steps WHERE unit_id = ? AND state = 'open'"
                f" AND user_id IS NULL AND role IN ({marks}) ORDER BY 12, 1 LIMIT ?",
                (user_id, unit_id, *roles, limit)) as cur:
            return [_step(r) for r in await cur.fetchall()]

    async def done_by(self, user_id: int, limit: int = 100, kinds: tuple[str, ...] = (),
                      other_kinds: bool = False) -> list[RoadStep]:
        """What this person did (已办 / 已阅), the latest first; `kinds` keeps those kinds only (or,
        with `other_kinds`, every kind but those)."""
        where = ""
        if kinds:
            where = f" AND kind {'NOT ' if other_kinds else ''}IN ({','.join('?' * len(kinds))})"
        async with self.conn.execute(
                f"SELECT {_STEP_COLS} FROM road_steps WHERE done_by = ? AND state = 'done'{where}"
                " ORDER BY done_at DESC, id DESC LIMIT ?", (user_id, *kinds, limit)) as cur:
            return [_step(r) for r in await cur.fetchall()]

    # --- history ---------------------------------------------------------------------------------

    async def add_history(self, road: str, record_id: int, at: datetime, move: str, *, from_state: str = "",
                          to_state: str = "", actor_id: int | None = None, actor_name: str = "",
                          for_id: int | None = None, step_id: int | None = None, note: str = "",
                          **data: Any) -> int:
        cur = await self.conn.execute(
            "INSERT INTO road_history (road, record_id, at, move, from_state, to_state, actor_id, actor_name,"
            " for_id, step_id, note, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (road, record_id, utc_iso(at), move, from_state, to_state, actor_id, actor_name, for_id, step_id,
             note, json.dumps(data, ensure_ascii=False, sort_keys=True)))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def history(self, road: str, record_id: int) -> list[HistoryRow]:
        async with self.conn.execute(
                "SELECT id, road, record_id, at, move, from_state, to_state, actor_id, actor_name, for_id, step_id,"
                " note, data FROM road_history WHERE road = ? AND record_id = ? ORDER BY id",
                (road, record_id)) as cur:
            return [HistoryRow(r[0], r[1], r[2], parse_utc(r[3]), r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                               json.loads(r[12])) for r in await cur.fetchall()]
