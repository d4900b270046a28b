"""The duty desk's shift (值班), its handover (交班 → 接班) and its log (值班日志): pure rules.

One shift is in force at a time, held by one duty officer. The officer on shift hands it
over to another duty officer with a note; the handover stays open until that officer
confirms it (接班), and only then are they on shift. While nobody is on shift (a new
installation, say) any duty officer may take it. Log entries are written with the time
from the clock and kept: a typo is corrected by a new entry naming the one it corrects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hub.errors import XietongError

ENTRY_TEXT_MAX = 2000
HANDOVER_NOTE_MAX = 4000


class EntryKind(StrEnum):
    CALL = "call"    # 通话: a call made (or taken) about an item
    NOTE = "note"    # 其他事件: anything else worth keeping on the log


@dataclass(frozen=True)
class Shift:
    id: int
    officer_id: int
    started_at: datetime
    handover_id: int | None          # the handover that began it; None: taken while nobody was on shift
    ended_at: datetime | None

    @property
    def in_force(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class Handover:
    id: int
    shift_id: int
    from_id: int
    to_id: int
    note: str
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.confirmed_at is None and self.cancelled_at is None


@dataclass(frozen=True)
class Officer:
    """What the rules need to know of a person a shift may be handed to."""
    id: int
    is_duty_officer: bool
    disabled: bool


@dataclass(frozen=True)
class LogEntry:
    id: int
    at: datetime
    author_id: int
    shift_id: int | None
    kind: EntryKind
    text: str
    item_id: int | None
    delivery_id: int | None
    unit_id: int | None
    corrects_id: int | None


def check_can_take_shift(officer_id: int, current: Shift | None) -> None:
    """Taking the shift without a handover is only for when nobody is on shift."""
    if current is not None and current.in_force:
        raise XietongError("duty.shift_taken")


def check_can_hand_over(officer_id: int, current: Shift | None, open_handover: Handover | None,
                        to: Officer | None, note: str) -> str:
    """May `officer_id` hand the shift in force to `to`? The note, cleaned, if so."""
    if current is None or not current.in_force or current.officer_id != officer_id:
        raise XietongError("duty.not_on_shift")
    if open_handover is not None and open_handover.is_open:
        raise XietongError("duty.handover_open")
    if to is None or not to.is_duty_officer or to.disabled:
        raise XietongError("duty.handover_bad_officer")
    if to.id == officer_id:
        raise XietongError("duty.handover_to_self")
    cleaned = note.strip()
    if not cleaned:
        raise XietongError("duty.handover_note_required")
    if len(cleaned) > HANDOVER_NOTE_MAX:
        raise XietongError("duty.text_too_long", limit=HANDOVER_NOTE_MAX)
    return cleaned


def check_can_confirm(officer_id: int, handover: Handover | None) -> Handover:
    """Only the officer a handover names confirms it (接班), and only while it is open."""
    if handover is None or not handover.is_open:
        raise XietongError("duty.no_open_handover")
    if handover.from_id == officer_id:
        raise XietongError("duty.handover_own")
    if handover.to_id != officer_id:
        raise XietongError("duty.handover_not_yours")
    return handover


def check_can_cancel(officer_id: int, handover: Handover | None) -> Handover:
    """The officer who handed over may take it back while it is not yet confirmed."""
    if handover is None or not handover.is_open:
        raise XietongError("duty.no_open_handover")
    if handover.from_id != officer_id:
        raise XietongError("duty.handover_not_yours")
    return handover


def check_entry(kind: str, text: str) -> tuple[EntryKind, str]:
    """A log entry's kind and its text, cleaned; a clear error otherwise."""
    try:
        entry_kind = EntryKind(kind or EntryKind.NOTE.value)
    except ValueError:
        raise XietongError("input.invalid", field="kind") from None
    cleaned = text.strip()
    if not cleaned:
        raise XietongError("duty.entry_text_required")
    if len(cleaned) > ENTRY_TEXT_MAX:
        raise XietongError("duty.text_too_long", limit=ENTRY_TEXT_MAX)
    return entry_kind, cleaned


def on_shift(current: Shift | None) -> int | None:
    """The officer on shift, if any."""
    return current.officer_id if current is not None and current.in_force else None
