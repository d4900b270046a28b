"""Meetings (会议管理): a meeting's life, who is asked, the units' attendance replies (参会回执).

A meeting is called (召集) by a unit: its notice (会议通知) is an urgent item of kind
meeting_notice to the invited units, and some people may be invited by name. Its life:
scheduled → (changed: a new time or room, `version` + 1, every unit confirms again) → scheduled;
scheduled → postponed (延期, time to be announced; `version` + 1) → scheduled again by a change
with the new time; any → cancelled (取消). A unit's reply names who comes — people of the unit
(by account) or a named outsider with a phone — each maybe in place of (替) a person invited by
name from that unit; or says nobody comes, with a note. Pure rules: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.calendar import CST
from hub.domain.identity import normalize_phone
from hub.domain.items import Urgency, find_classification_mark
from hub.errors import XietongError

TITLE_LIMIT = 200
ROOM_LIMIT = 100
AGENDA_LIMIT = 20_000
NOTE_LIMIT = 500
NAME_LIMIT = 40
ATTENDEES_LIMIT = 50          # people one unit's reply may name


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"    # 已安排
    POSTPONED = "postponed"    # 延期 (time to be announced)
    CANCELLED = "cancelled"    # 取消


class Move(StrEnum):
    CHANGE = "change"          # a new time and/or room (also gives a postponed meeting its time)
    POSTPONE = "postpone"
    CANCEL = "cancel"


_MOVES: dict[Move, frozenset[MeetingState]] = {
    Move.CHANGE: frozenset({MeetingState.SCHEDULED, MeetingState.POSTPONED}),
    Move.POSTPONE: frozenset({MeetingState.SCHEDULED}),
    Move.CANCEL: frozenset({MeetingState.SCHEDULED, MeetingState.POSTPONED}),
}


@dataclass(frozen=True)
class Meeting:
    id: int
    item_id: int               # its notice
    unit_id: int               # the organiser's unit
    organiser_id: int
    title: str
    agenda: str
    room: str
    starts_at: datetime
    ends_at: datetime
    state: MeetingState
    version: int
    created_at: datetime
    updated_at: datetime
    state_note: str = ""       # why it was last changed, postponed or cancelled

    @property
    def live(self) -> bool:
        """Not cancelled: replies, changes and chases still make sense."""
        return self.state is not MeetingState.CANCELLED

    def over(self, now: datetime) -> bool:
        return self.state is MeetingState.SCHEDULED and self.ends_at <= now


@dataclass(frozen=True)
class MeetingDraft:
    """What the organiser fills in to call a meeting."""
    title: str
    agenda: str
    room: str
    starts_at: datetime | None
    ends_at: datetime | None
    main_units: tuple[int, ...]              # invited units (主送)
    copy_units: tuple[int, ...] = ()         # copied units (抄送)
    invitees: tuple[int, ...] = ()           # people invited by name (user ids)
    urgency: Urgency = Urgency.ORDINARY


@dataclass(frozen=True)
class ReplyAttendee:
    """One person a unit's reply sends: a person of the unit (user_id) or a named outsider with a phone;
    `substitute_for`: the invited person (user id) they come instead of."""
    user_id: int | None = None
    name: str = ""
    phone: str = ""
    substitute_for: int | None = None


@dataclass(frozen=True)
class Conflict:
    """A person of this meeting who has another meeting at the same time (同一时段另有会议)."""
    user_id: int
    name: str
    meeting_id: int
    title: str
    starts_at: datetime
    ends_at: datetime


STATE_ZH = {MeetingState.SCHEDULED: "已安排", MeetingState.POSTPONED: "已延期", MeetingState.CANCELLED: "已取消"}
MOVE_EN = {Move.CHANGE: "changed", Move.POSTPONE: "postponed", Move.CANCEL: "cancelled"}
MOVE_ZH = {Move.CHANGE: "变更", Move.POSTPONE: "延期", Move.CANCEL: "取消"}


def check_move(state: MeetingState, move: Move) -> None:
    if state not in _MOVES[move]:
        raise XietongError("meeting.bad_move", state=state.value, move=move.value, move_en=MOVE_EN[move], state_zh=STATE_ZH[state],
                           move_zh=MOVE_ZH[move])


def check_time(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """A meeting starts in the future and ends after it starts."""
    if starts_at is None or ends_at is None:
        raise XietongError("meeting.time_required")
    if starts_at <= now:
        raise XietongError("meeting.in_past")
    if ends_at <= starts_at:
        raise XietongError("meeting.ends_before_start")
    return starts_at, ends_at


def check_room(room: str) -> str:
    room = room.strip()
    if not room:
        raise XietongError("meeting.room_required")
    if len(room) > ROOM_LIMIT:
        raise XietongError("meeting.room_too_long", limit=ROOM_LIMIT)
    return room


def check_draft(d: MeetingDraft, now: datetime, invitee_units: Mapping[int, int]) -> MeetingDraft:
    """Refuse what may not be called; `invitee_units`: each invited person's unit (missing: no such person)."""
    title = d.title.strip()
    if not 1 <= len(title) <= TITLE_LIMIT:
        raise XietongError("meeting.bad_title", limit=TITLE_LIMIT)
    mark = find_classification_mark(d.title, d.agenda, d.room)
    if mark:
        raise XietongError("item.classified", mark=mark)
    if len(d.agenda) > AGENDA_LIMIT:
        raise XietongError("meeting.agenda_too_long", limit=AGENDA_LIMIT)
    check_room(d.room)
    check_time(d.starts_at, d.ends_at, now)
    if not d.main_units:
        raise XietongError("meeting.no_units")
    invited = set(d.main_units) | set(d.copy_units)
    for user_id in d.invitees:
        if user_id not in invitee_units:
            raise XietongError("meeting.unknown_person")
        if invitee_units[user_id] not in invited:
            raise XietongError("meeting.invitee_not_in_units")
    return d


def check_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise XietongError("meeting.note_too_long", limit=NOTE_LIMIT)
    return note


def check_reason(reason: str) -> str:
    """Postponing and cancelling say why (the units are told)."""
    reason = check_note(reason)
    if not reason:
        raise XietongError("meeting.reason_required")
    return reason


def check_reply(unit_id: int, coming: bool, attendees: Iterable[ReplyAttendee],
                people: Mapping[int, int], invited_of_unit: set[int], note: str) -> list[ReplyAttendee]:
    """A unit's reply, cleaned: `people` maps each named account to its unit (missing: no such person),
    `invited_of_unit` are the people of this unit invited by name."""
    note = check_note(note)
    out: list[ReplyAttendee] = []
    seen: set[int] = set()
    named: set[tuple[str, str]] = set()
    for a in attendees:
        if a.user_id is not None:
            if a.user_id not in people:
                raise XietongError("meeting.unknown_person")
            if people[a.user_id] != unit_id:
                raise XietongError("meeting.attendee_not_of_unit")
            if a.user_id in seen:
                raise XietongError("meeting.attendee_twice")
            seen.add(a.user_id)
            clean = ReplyAttendee(a.user_id, "", "", a.substitute_for)
        else:
            name = a.name.strip()
            if not name:
                continue
            if len(name) > NAME_LIMIT:
                raise XietongError("meeting.name_too_long", limit=NAME_LIMIT)
            if not a.phone.strip():
                raise XietongError("meeting.outsider_needs_phone", name=name)
            phone = normalize_phone(a.phone)
            if (name, phone) in named:
                raise XietongError("meeting.attendee_twice")
            named.add((name, phone))
            clean = ReplyAttendee(None, name, phone, a.substitute_for)
        if clean.substitute_for is not None:
            if clean.substitute_for not in invited_of_unit:
                raise XietongError("meeting.bad_substitute")
            if clean.substitute_for == clean.user_id:
                raise XietongError("meeting.bad_substitute")
        out.append(clean)
    if coming and not out:
        raise XietongError("meeting.nobody_named")
    if not coming and out:
        raise XietongError("meeting.not_coming_names_people")
    if len(out) > ATTENDEES_LIMIT:
        raise XietongError("meeting.too_many_attendees", limit=ATTENDEES_LIMIT)
    subs = [a.substitute_for for a in out if a.substitute_for is not None]
    if len(subs) != len(set(subs)):
        raise XietongError("meeting.substitute_twice")
    return out


def overlaps(a_starts: datetime, a_ends: datetime, b_starts: datetime, b_ends: datetime) -> bool:
    """Two meetings at the same time: their spans share more than an instant."""
    return a_starts < b_ends and b_starts < a_ends


def _bj(t: datetime) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def span_text(starts_at: datetime, ends_at: datetime) -> str:
    """2026-11-25 09:00–11:00 (Beijing time), the end's date too when another day."""
    end = ends_at.astimezone(CST)
    same_day = end.date() == starts_at.astimezone(CST).date()
    return f"{_bj(starts_at)}–{end.strftime('%H:%M') if same_day else _bj(ends_at)}"


def notice_body(agenda: str, starts_at: datetime, ends_at: datetime, room: str, invitee_names: list[str],
                when: str) -> str:
    """The notice's body: the agenda, then time and room and the people invited by name."""
    lines = [agenda.strip()] if agenda.strip() else []
    lines.append(f"会议时间：{when}")
    lines.append(f"会议地点：{room}")
    if invitee_names:
        lines.append("请以下同志参加：" + "、".join(invitee_names))
    lines.append("请各单位报送参会回执。")
    return "\n".join(lines)


def units_to_chase(deliveries: list[tuple[int, int, bool, datetime | None]], answered: set[int],
                   now: datetime, pause: timedelta) -> list[int]:
    """催报: of (delivery id, unit, live?, last chased) the deliveries to remind now: live, of a unit
    without a reply to the current version, not chased within `pause`. Refuses when every unit
    answered, or when all the silent ones were just chased (saying when to try again)."""
    silent = [(d, at) for d, unit, live, at in deliveries if live and unit not in answered]
    if not silent:
        raise XietongError("meeting.none_to_chase")
    due = [d for d, at in silent if at is None or now - at >= pause]
    if not due:
        last = max(at for _, at in silent if at is not None)
        wait = pause - (now - last)
        raise XietongError("chase.too_soon", minutes=max(1, -(-int(wait.total_seconds()) // 60)))
    return due
