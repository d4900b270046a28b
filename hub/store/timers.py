"""SQL for the one schedule: timers of deliveries' ladder steps and meeting reminders, and of road
steps' deadlines (reminder, the lead's leader, the office) and supervision reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection


@dataclass(frozen=True)
class Timer:
    id: int
    due_at: datetime
    kind: str
    delivery_id: int | None        # a delivery's ladder step or meeting reminder
    step: int
    road_step_id: int | None = None   # or a road step's deadline timer


class TimerQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, due_at: datetime, kind: str, delivery_id: int, step: int) -> None:
        await self.conn.execute(
            "INSERT INTO timers (due_at, kind, delivery_id, step) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (utc_iso(due_at), kind, delivery_id, step))

    async def add_for_deliveries(self, due_at: datetime, kind: str, step: int, first_delivery_id: int,
                                 last_delivery_id: int) -> None:
        """The same timer for every delivery in an id range (an item's first step), in one statement."""
        await self.conn.execute(
            "INSERT INTO timers (due_at, kind, delivery_id, step)"
            " SELECT ?, ?, id, ? FROM deliveries WHERE id BETWEEN ? AND ? ORDER BY id ON CONFLICT DO NOTHING",
            (utc_iso(due_at), kind, step, first_delivery_id, last_delivery_id))

    async def earliest(self) -> datetime | None:
        async with self.conn.execute("SELECT min(due_at) FROM timers") as cur:
            row = await cur.fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    async def due(self, now: datetime, limit: int) -> list[Timer]:
        async with self.conn.execute(
                "SELECT id, due_at, kind, delivery_id, step, road_step_id FROM timers WHERE due_at <= ?"
                " ORDER BY due_at, id LIMIT ?", (utc_iso(now), limit)) as cur:
            return [Timer(r[0], parse_utc(r[1]), r[2], r[3], r[4], r[5]) for r in await cur.fetchall()]

    async def scheduled(self, timers: list[Timer]) -> set[int]:
        """Which of these timers, read earlier, are still scheduled as read: not run, cancelled or
        postponed since. A row is compared whole, not by id: a timer's id is a rowid, which SQLite
        gives again to a new row once the largest one was deleted, so an id alone may name
        another delivery's step by now."""
        if not timers:
            return set()
        marks = ",".join("?" * len(timers))
        async with self.conn.execute(
                f"SELECT id, due_at, kind, delivery_id, step, road_step_id FROM timers WHERE id IN ({marks})",
                [t.id for t in timers]) as cur:
            now = {r[0]: Timer(r[0], parse_utc(r[1]), r[2], r[3], r[4], r[5]) for r in await cur.fetchall()}
        return {t.id for t in timers if now.get(t.id) == t}

    async def get(self, timer_id: int) -> Timer | None:
        async with self.conn.execute("SELECT id, due_at, kind, delivery_id, step, road_step_id FROM timers WHERE id = ?",
                                     (timer_id,)) as cur:
            r = await cur.fetchone()
        return Timer(r[0], parse_utc(r[1]), r[2], r[3], r[4], r[5]) if r else None

    async def delete(self, timer_id: int) -> None:
        await self.conn.execute("DELETE FROM timers WHERE id = ?", (timer_id,))

    async def postpone(self, timer_id: int, due_at: datetime) -> None:
        await self.conn.execute("UPDATE timers SET due_at = ? WHERE id = ?", (utc_iso(due_at), timer_id))

    async def cancel_steps(self, delivery_id: int) -> None:
        await self.conn.execute("DELETE FROM timers WHERE delivery_id = ? AND kind = 'step'", (delivery_id,))

    async def cancel_all(self, delivery_id: int) -> None:
        """The delivery's ladder steps and its meeting reminder (a changed meeting: new ones follow)."""
        await self.conn.execute("DELETE FROM timers WHERE delivery_id = ?", (delivery_id,))

    async def record_run(self, delivery_id: int, kind: str, step: int, at: datetime, applied: bool) -> None:
        """Fails (primary key) if this step already ran in the delivery's round (a re-sent delivery's
        ladder runs again: hub/services/resend.py): the transaction then rolls back whole."""
        await self.conn.execute(
            "INSERT INTO steps_run (delivery_id, kind, step, round, ran_at, applied)"
            " SELECT id, ?, ?, round, ?, ? FROM deliveries WHERE id = ?",
            (kind, step, utc_iso(at), int(applied), delivery_id))

    # road steps' timers (hub/services/roads.py)

    async def add_for_road_step(self, due_at: datetime, kind: str, road_step_id: int, step: int = 0) -> None:
        await self.conn.execute(
            "INSERT INTO timers (due_at, kind, road_step_id, step) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (utc_iso(due_at), kind, road_step_id, step))

    async def cancel_road_step(self, road_step_id: int) -> None:
        """Closing a step cancels its timers, in the same transaction."""
        await self.conn.execute("DELETE FROM timers WHERE road_step_id = ?", (road_step_id,))

    async def road_step_timers(self, road_step_id: int) -> list[Timer]:
        async with self.conn.execute(
                "SELECT id, due_at, kind, delivery_id, step, road_step_id FROM timers WHERE road_step_id = ?"
                " ORDER BY due_at, id", (road_step_id,)) as cur:
            return [Timer(r[0], parse_utc(r[1]), r[2], r[3], r[4], r[5]) for r in await cur.fetchall()]

    async def record_road_run(self, road_step_id: int, kind: str, step: int, at: datetime, applied: bool) -> bool:
        """Record that this road timer ran; False (nothing written) if it already had - the primary
        key keeps a second run out without an error, which would end a PostgreSQL transaction."""
        cur = await self.conn.execute(
            "INSERT INTO road_timers_run (road_step_id, kind, step, ran_at, applied) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING", (road_step_id, kind, step, utc_iso(at), int(applied)))
        return cur.rowcount == 1
