"""The incoming road (收文), per the 2012 processing regulation (DOMAIN.md "Incoming").

签收 (the delivery) → 登记 (a receiving number in the unit's 收文登记簿) → 初审 (or 退文 to the
sender with the reason) → 拟办 (the office's proposal: for information, 阅知, or for action, 批办)
→ 批示 (a leader, with a one-time code) → 分办 (one lead unit, 主办, and any number of assisting
ones, 协办, each with a deadline) → 承办 (assisting units send their opinions; the lead writes the
result) → 答复 (where the sender asked) → 办结. Circulation (传阅) and supervision (督办) run beside
the road, at any open state. The road is the table below; the engine is `hub.domain.roads`.

Pure: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hub.domain.calendar import CST
from hub.domain.identity import Role
from hub.domain.roads import READING, Move, Opens, Road, StepKind
from hub.errors import XietongError

ROAD = "incoming"


class State(StrEnum):
    REGISTERED = "registered"    # 已登记, waiting for the first review (初审)
    REVIEWED = "reviewed"        # 初审 passed, waiting for the proposal (拟办)
    PROPOSED = "proposed"        # waiting for a leader's instruction (批示)
    INSTRUCTED = "instructed"    # waiting to be assigned (分办), or circulated and closed (阅知)
    HANDLING = "handling"        # with the lead and assisting units (承办)
    HANDLED = "handled"          # the lead wrote the result; waiting to be answered and closed
    RETURNED = "returned"        # 退文: back with its sender
    CLOSED = "closed"            # 办结: ready for filing


class Source(StrEnum):
    NETWORK = "network"          # signed for in Xietong
    PAPER = "paper"              # arrived on paper, scanned
    FORWARDED = "forwarded"      # forwarded from above outside the network


class Handling(StrEnum):
    READ = "read"                # 阅知: for information, circulate
    ACT = "act"                  # 批办: for action, handle


_OPEN = frozenset(s.value for s in State) - {State.RETURNED.value, State.CLOSED.value}
_READABLE = _OPEN | {State.CLOSED.value}     # a closed record's circulation is still read to its end
_CLERK = frozenset({Role.CLERK})
_LEADER = frozenset({Role.LEADER})

INCOMING = Road(
    name=ROAD,
    states=tuple(s.value for s in State),
    closed_states=frozenset({State.RETURNED.value, State.CLOSED.value}),
    moves={m.name: m for m in (
        Move("register", frozenset({""}), State.REGISTERED, opens=(Opens(StepKind.REVIEW),), follows=True),
        Move("review", frozenset({State.REGISTERED}), State.REVIEWED, completes=StepKind.REVIEW,
             opens=(Opens(StepKind.PROPOSE),)),
        Move("return", frozenset({State.REGISTERED, State.REVIEWED}), State.RETURNED, needs_note=True,
             roles=_CLERK, cancels=frozenset(StepKind)),
        # the sender re-sent it after a return and the unit signed for it again: a second round
        Move("resent", frozenset({State.RETURNED}), State.REGISTERED, opens=(Opens(StepKind.REVIEW),),
             follows=True),
        Move("propose", frozenset({State.REVIEWED}), State.PROPOSED, completes=StepKind.PROPOSE,
             needs_note=True, opens=(Opens(StepKind.INSTRUCT, Role.LEADER),)),
        Move("instruct", frozenset({State.PROPOSED}), State.INSTRUCTED, completes=StepKind.INSTRUCT,
             needs_note=True, needs_code=True, opens=(Opens(StepKind.ASSIGN),)),
        Move("assign", frozenset({State.INSTRUCTED}), State.HANDLING, completes=StepKind.ASSIGN,
             opens=(Opens(StepKind.HANDLE, lead=True), Opens(StepKind.ASSIST, for_named_units=True))),
        # a leader re-assigns: the open handling steps end, new ones open
        Move("reassign", frozenset({State.HANDLING}), State.HANDLING, needs_note=True, roles=_LEADER,
             cancels=frozenset({StepKind.HANDLE, StepKind.ASSIST}),
             opens=(Opens(StepKind.HANDLE, lead=True), Opens(StepKind.ASSIST, for_named_units=True))),
        Move("assist", frozenset({State.HANDLING}), None, completes=StepKind.ASSIST, needs_note=True),
        Move("result", frozenset({State.HANDLING}), State.HANDLED, completes=StepKind.HANDLE, needs_note=True,
             cancels=frozenset({StepKind.ASSIST}), opens=(Opens(StepKind.CLOSE),)),
        Move("reply", frozenset({State.HANDLED}), None, roles=_CLERK),
        # 办结 ends every step but reading: a circulation under way goes on to its last reader
        Move("close", frozenset({State.INSTRUCTED, State.HANDLED}), State.CLOSED, roles=_CLERK,
             cancels=frozenset(StepKind) - READING),
        Move("supervise", _OPEN, None, needs_note=True, roles=_CLERK | _LEADER),
        Move("progress", _OPEN, None, completes=StepKind.PROGRESS, needs_note=True),
        # 传阅 (hub/services/circulation.py): beside the road at any open state; the record stays where it is
        Move("circulate", _OPEN, None, needs_note=True, roles=_CLERK | _LEADER),
        Move("read", _READABLE, None, completes=StepKind.READ),
        Move("withdraw_circulation", _READABLE, None, roles=_CLERK | _LEADER),
        Move("remind_circulation", _READABLE, None, roles=_CLERK | _LEADER),
    )},
)

# the number of the register: 2026-0001
def receiving_number(year: int, seq: int) -> str:
    return f"{year}-{seq:04d}"


MAX_TITLE = 200
MAX_TEXT = 4000


@dataclass(frozen=True)
class Registration:
    """What the 收文登记簿 holds for a document registered by hand (or taken from a delivery)."""
    from_unit: str
    title: str
    urgency: str
    received_on: date
    from_number: str = ""
    doc_kind: str = ""
    copies: int = 1
    pages: int = 1
    deadline: datetime | None = None     # None: the default by urgency
    reply_wanted: bool = False
    source: Source = Source.PAPER

    def checked(self, now: datetime) -> Registration:
        """Refuse a wrong or missing field with a clear message; nothing is stored half-done."""
        if not self.from_unit.strip():
            raise XietongError("incoming.from_unit_required")
        if not self.title.strip():
            raise XietongError("incoming.title_required")
        if len(self.title) > MAX_TITLE:
            raise XietongError("incoming.title_too_long", limit=MAX_TITLE)
        if self.urgency not in ("extra_urgent", "urgent", "ordinary"):
            raise XietongError("incoming.bad_urgency")
        if not 1 <= self.copies <= 999 or not 1 <= self.pages <= 9999:
            raise XietongError("incoming.bad_count")
        if self.deadline is not None and self.deadline <= now:
            raise XietongError("incoming.deadline_past")
        # local dates: one signed for after midnight Beijing time (16:00 UTC) was received today
        if self.received_on > now.astimezone(CST).date():
            raise XietongError("incoming.received_in_future")
        return self


def check_text(text: str, code: str = "incoming.note_required") -> str:
    text = text.strip()
    if not text:
        raise XietongError(code)
    if len(text) > MAX_TEXT:
        raise XietongError("incoming.text_too_long", limit=MAX_TEXT)
    return text


@dataclass(frozen=True)
class Assignment:
    """分办: one lead unit and any number of assisting ones, each with its deadline."""
    lead_unit_id: int
    lead_due: datetime
    assisting: tuple[tuple[int, datetime], ...] = ()

    def checked(self, now: datetime, allowed_units: set[int]) -> Assignment:
        units = [self.lead_unit_id] + [u for u, _ in self.assisting]
        if any(u not in allowed_units for u in units):
            raise XietongError("incoming.unknown_unit")
        if len(set(units)) != len(units):
            raise XietongError("incoming.unit_twice")
        if self.lead_due <= now or any(d <= now for _, d in self.assisting):
            raise XietongError("incoming.deadline_past")
        return self
