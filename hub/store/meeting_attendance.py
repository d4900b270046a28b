"""SQL of a meeting's sign-in (签到) and attendance lists, over the meetings' tables
(meeting_attendees' sign-in columns, and `walk_in`: signed in without being named, 未报名)."""

from __future__ import annotations

from datetime import datetime

from hub.clock import utc_iso
from hub.store.connection import Connection
from hub.store.meetings import AttendeeRow, attendee_row

# one person expected or come, with their sign-in (签到): the meetings store's row
Presence = AttendeeRow


class MeetingAttendanceQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def all(self, meeting_id: int) -> list[Presence]:
        async with self.conn.execute("SELECT * FROM meeting_attendees WHERE meeting_id = ? ORDER BY unit_id, id",
                                     (meeting_id,)) as cur:
            return [attendee_row(r) for r in await cur.fetchall()]

    async def get(self, meeting_id: int, attendee_id: int) -> Presence | None:
        async with self.conn.execute("SELECT * FROM meeting_attendees WHERE meeting_id = ? AND id = ?",
                                     (meeting_id, attendee_id)) as cur:
            row = await cur.fetchone()
        return attendee_row(row) if row else None

    async def of_user(self, meeting_id: int, user_id: int) -> Presence | None:
        async with self.conn.execute("SELECT * FROM meeting_attendees WHERE meeting_id = ? AND user_id = ?",
                                     (meeting_id, user_id)) as cur:
            row = await cur.fetchone()
        return attendee_row(row) if row else None

    async def add(self, meeting_id: int, unit_id: int, user_id: int, name: str, phone: str, walk_in: bool) -> int:
        """A person who signs in without a row yet (invited by name, or 未报名)."""
        cur = await self.conn.execute(
            "INSERT INTO meeting_attendees (meeting_id, unit_id, user_id, name, phone, walk_in)"
            " VALUES (?, ?, ?, ?, ?, ?)", (meeting_id, unit_id, user_id, name, phone, int(walk_in)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def sign_in(self, attendee_id: int, at: datetime, via: str, by: int) -> None:
        await self.conn.execute(
            "UPDATE meeting_attendees SET signed_in_at = ?, signed_in_via = ?, signed_in_by = ? WHERE id = ?",
            (utc_iso(at), via, by, attendee_id))

    async def undo_sign_in(self, attendee_id: int) -> None:
        await self.conn.execute(
            "UPDATE meeting_attendees SET signed_in_at = NULL, signed_in_via = NULL, signed_in_by = NULL"
            " WHERE id = ?", (attendee_id,))

    async def remove(self, attendee_id: int) -> None:
        """A walk-in's row whose sign-in is undone: they were never expected."""
        await self.conn.execute("DELETE FROM meeting_attendees WHERE id = ?", (attendee_id,))
