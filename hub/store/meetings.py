"""SQL of meetings (会议管理): the meeting rows, the people invited by name, the units' replies
(参会回执) and who comes (meeting_attendees, whose sign-in columns the sign-in, 签到,
fills), and the notice item's time and room kept in step with the meeting."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.meetings import Conflict, Meeting, MeetingState, ReplyAttendee
from hub.store.connection import Connection
from hub.store.dialect import json_ints


def _t(v: str | None) -> datetime | None:
    return parse_utc(v) if v else None


def _meeting(r: sqlite3.Row) -> Meeting:
    return Meeting(id=r["id"], item_id=r["item_id"], unit_id=r["unit_id"], organiser_id=r["organiser_id"],
                   title=r["title"], agenda=r["agenda"], room=r["room"], starts_at=parse_utc(r["starts_at"]),
                   ends_at=parse_utc(r["ends_at"]), state=MeetingState(r["state"]), version=r["version"],
                   created_at=parse_utc(r["created_at"]), updated_at=parse_utc(r["updated_at"]),
                   state_note=r["state_note"])


@dataclass(frozen=True)
class Reply:
    """A unit's attendance reply (参会回执), to the meeting's `version` it confirmed."""
    meeting_id: int
    unit_id: int
    version: int
    coming: bool
    note: str
    replied_at: datetime
    replied_by: int


@dataclass(frozen=True)
class AttendeeRow:
    """One person coming (from a unit's reply, or added by the organiser), with their sign-in (签到)."""
    id: int
    meeting_id: int
    unit_id: int
    user_id: int | None
    name: str
    phone: str
    substitute_for: int | None
    signed_in_at: datetime | None
    signed_in_via: str | None        # qr | organiser
    signed_in_by: int | None
    walk_in: bool = False            # came without being named by the unit's reply (未报名)


def attendee_row(r: sqlite3.Row) -> AttendeeRow:
    """A meeting_attendees row (SELECT *), for this store and the sign-in's."""
    return AttendeeRow(r["id"], r["meeting_id"], r["unit_id"], r["user_id"], r["name"], r["phone"],
                       r["substitute_for"], _t(r["signed_in_at"]), r["signed_in_via"], r["signed_in_by"],
                       bool(r["walk_in"]))


class MeetingQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, item_id: int, unit_id: int, organiser_id: int, title: str, agenda: str, room: str,
                  starts_at: datetime, ends_at: datetime, now: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO meetings (item_id, unit_id, organiser_id, title, agenda, room, starts_at, ends_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, unit_id, organiser_id, title, agenda, room, utc_iso(starts_at), utc_iso(ends_at),
             utc_iso(now), utc_iso(now)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, meeting_id: int) -> Meeting | None:
        async with self.conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)) as cur:
            row = await cur.fetchone()
        return _meeting(row) if row else None

    async def of_item(self, item_id: int) -> Meeting | None:
        """The meeting whose notice this item is (None: a notice issued without a meeting)."""
        async with self.conn.execute("SELECT * FROM meetings WHERE item_id = ?", (item_id,)) as cur:
            row = await cur.fetchone()
        return _meeting(row) if row else None

    async def for_unit(self, unit_id: int) -> list[Meeting]:
        """The meetings a unit called, and those its notice reached (主送 or 抄送), by start time."""
        async with self.conn.execute(
                "SELECT * FROM meetings WHERE unit_id = ?"
                " UNION SELECT m.* FROM deliveries d JOIN meetings m ON m.item_id = d.item_id WHERE d.unit_id = ?"
                " ORDER BY starts_at, id", (unit_id, unit_id)) as cur:
            return [_meeting(r) for r in await cur.fetchall()]

    async def set_time(self, meeting_id: int, starts_at: datetime, ends_at: datetime, room: str, note: str,
                       now: datetime) -> None:
        """A change: the new time and room, scheduled (again), the next version."""
        await self.conn.execute(
            "UPDATE meetings SET starts_at = ?, ends_at = ?, room = ?, state = 'scheduled', version = version + 1,"
            " state_note = ?, updated_at = ? WHERE id = ?",
            (utc_iso(starts_at), utc_iso(ends_at), room, note, utc_iso(now), meeting_id))

    async def set_state(self, meeting_id: int, state: MeetingState, note: str, now: datetime,
                        bump: bool) -> None:
        await self.conn.execute(
            "UPDATE meetings SET state = ?, state_note = ?, updated_at = ?, version = version + ? WHERE id = ?",
            (state.value, note, utc_iso(now), int(bump), meeting_id))

    async def set_notice_time(self, item_id: int, meeting_at: datetime | None, place: str, body: str) -> None:
        """The notice says the meeting's time and room (no time while it is postponed: no reminder then)."""
        await self.conn.execute("UPDATE items SET meeting_at = ?, meeting_place = ?, body = ? WHERE id = ?",
                                (utc_iso(meeting_at) if meeting_at else None, place, body, item_id))

    async def stop_timers(self, item_id: int) -> None:
        """Every timer of the notice's deliveries (ladder steps and meeting reminders) stops."""
        await self.conn.execute(
            "DELETE FROM timers WHERE delivery_id IN (SELECT id FROM deliveries WHERE item_id = ?)", (item_id,))

    # -- who is asked ------------------------------------------------------------------

    async def add_invitees(self, meeting_id: int, user_ids: list[int]) -> None:
        """Each after the ones named before (a person named again keeps their place)."""
        await self.conn.executemany(
            "INSERT INTO meeting_invitees (meeting_id, user_id, position) VALUES (?, ?,"
            " (SELECT coalesce(max(position), 0) + 1 FROM meeting_invitees WHERE meeting_id = ?))"
            " ON CONFLICT DO NOTHING", [(meeting_id, u, meeting_id) for u in user_ids])

    async def invitees(self, meeting_id: int) -> list[int]:
        async with self.conn.execute("SELECT user_id FROM meeting_invitees WHERE meeting_id = ? ORDER BY position",
                                     (meeting_id,)) as cur:
            return [r[0] for r in await cur.fetchall()]

    # -- replies and who comes -----------------------------------------------------------

    async def put_reply(self, meeting_id: int, unit_id: int, version: int, coming: bool, note: str,
                        at: datetime, by: int) -> None:
        await self.conn.execute(
            "INSERT INTO meeting_replies (meeting_id, unit_id, version, coming, note, replied_at, replied_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meeting_id, unit_id) DO UPDATE SET version = excluded.version,"
            " coming = excluded.coming, note = excluded.note, replied_at = excluded.replied_at,"
            " replied_by = excluded.replied_by",
            (meeting_id, unit_id, version, int(coming), note, utc_iso(at), by))

    async def replies(self, meeting_id: int) -> dict[int, Reply]:
        """unit -> its reply."""
        async with self.conn.execute("SELECT * FROM meeting_replies WHERE meeting_id = ?", (meeting_id,)) as cur:
            return {r["unit_id"]: Reply(r["meeting_id"], r["unit_id"], r["version"], bool(r["coming"]), r["note"],
                                        parse_utc(r["replied_at"]), r["replied_by"]) for r in await cur.fetchall()}

    async def replies_of_unit(self, unit_id: int) -> dict[int, Reply]:
        """meeting -> the unit's reply, for every meeting it replied to (its list of meetings)."""
        async with self.conn.execute("SELECT * FROM meeting_replies WHERE unit_id = ?", (unit_id,)) as cur:
            return {r["meeting_id"]: Reply(r["meeting_id"], r["unit_id"], r["version"], bool(r["coming"]), r["note"],
                                           parse_utc(r["replied_at"]), r["replied_by"]) for r in await cur.fetchall()}

    async def replace_attendees(self, meeting_id: int, unit_id: int, people: list[ReplyAttendee]) -> None:
        """The unit's attendees are now `people` (names and phones filled in); those who signed in
        already stay, whatever the new reply says."""
        await self.conn.execute("DELETE FROM meeting_attendees WHERE meeting_id = ? AND unit_id = ?"
                                " AND signed_in_at IS NULL", (meeting_id, unit_id))
        async with self.conn.execute(
                "SELECT user_id, name, phone FROM meeting_attendees WHERE meeting_id = ? AND unit_id = ?",
                (meeting_id, unit_id)) as cur:
            kept = [(r[0], r[1], r[2]) for r in await cur.fetchall()]
        kept_users = {u for u, _, _ in kept if u is not None}
        kept_names = {(n, p) for u, n, p in kept if u is None}
        rows = [(meeting_id, unit_id, a.user_id, a.name, a.phone, a.substitute_for) for a in people
                if (a.user_id is not None and a.user_id not in kept_users)
                or (a.user_id is None and (a.name, a.phone) not in kept_names)]
        await self.conn.executemany(
            "INSERT INTO meeting_attendees (meeting_id, unit_id, user_id, name, phone, substitute_for)"
            " VALUES (?, ?, ?, ?, ?, ?)", rows)

    async def attendees(self, meeting_id: int) -> list[AttendeeRow]:
        async with self.conn.execute("SELECT * FROM meeting_attendees WHERE meeting_id = ? ORDER BY unit_id, id",
                                     (meeting_id,)) as cur:
            return [attendee_row(r) for r in await cur.fetchall()]

    async def attendee_phones(self, item_id: int, unit_id: int) -> list[str]:
        """The phones of the people a unit's reply sends to the meeting of this notice (its reminder)."""
        async with self.conn.execute(
                "SELECT a.phone FROM meetings m JOIN meeting_attendees a ON a.meeting_id = m.id"
                " WHERE m.item_id = ? AND a.unit_id = ? AND a.phone != '' ORDER BY a.id", (item_id, unit_id)) as cur:
            return [r[0] for r in await cur.fetchall()]

    # -- two meetings of one person at the same time ----------------------------------------

    async def conflicts(self, meeting_id: int, user_ids: list[int], starts_at: datetime,
                        ends_at: datetime) -> list[Conflict]:
        """Every other scheduled meeting overlapping [starts_at, ends_at) that one of these people is
        invited to by name or named to attend: one statement over the people's indexes."""
        if not user_ids:
            return []
        async with self.conn.execute(
                f"WITH people(user_id) AS (SELECT j.value FROM {json_ints(self.conn, '?', 'j')}),"
                " theirs(meeting_id, user_id) AS ("
                "  SELECT i.meeting_id, i.user_id FROM people p JOIN meeting_invitees i ON i.user_id = p.user_id"
                "  UNION SELECT a.meeting_id, a.user_id FROM people p JOIN meeting_attendees a ON a.user_id = p.user_id)"
                " SELECT t.user_id, u.name, m.id, m.title, m.starts_at, m.ends_at FROM theirs t"
                " JOIN meetings m ON m.id = t.meeting_id JOIN users u ON u.id = t.user_id"
                " WHERE m.id != ? AND m.state = 'scheduled' AND m.starts_at < ? AND m.ends_at > ?"
                " ORDER BY u.id, m.starts_at",
                (json.dumps(sorted(set(user_ids))), meeting_id, utc_iso(ends_at), utc_iso(starts_at))) as cur:
            return [Conflict(r[0], r[1], r[2], r[3], parse_utc(r[4]), parse_utc(r[5])) for r in await cur.fetchall()]
