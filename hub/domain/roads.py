"""The office roads as data (ARCHITECTURE.md "The office roads").

A road is a table: its states, and its moves — from which states, to which
state, which open step a move completes (the person must hold it), which
steps it opens, what it needs (a note, a one-time code). The domain checks a
move against the table; `hub.services.roads` applies it in one transaction
with its history row, its audit row, its steps, their timers and the to-do
signals. A road's deadlines come from its ladder (`remind@-1d, leader@0,
office@1d`): offsets from a step's due time, each run exactly once by the
one scheduler.

Pure: no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.identity import Role
from hub.errors import XietongError


class StepKind(StrEnum):
    REVIEW = "review"        # 初审: check the received document (the receiving unit's clerks)
    PROPOSE = "propose"      # 拟办: write the handling proposal (the office, i.e. the unit's clerks)
    INSTRUCT = "instruct"    # 批示: a leader's instruction, confirmed with a one-time code
    ASSIGN = "assign"        # 分办: name the lead (主办) and assisting (协办) units
    HANDLE = "handle"        # 承办: the lead unit handles it and writes the result
    ASSIST = "assist"        # 协办: an assisting unit sends its opinion to the lead
    READ = "read"            # 传阅: a person reads a circulation (已阅)
    CLOSE = "close"          # 办结: record the result, answer the sender where asked, close
    PROGRESS = "progress"    # 督办: the lead reports progress by the next report date
    ANSWER = "answer"        # 批复: the receiving office answers a 请示 (信息报送)
    APPROVE = "approve"      # 审批: the unit admin (or the super admin) approves a delegation (代理)


# kinds that are reading (待阅 / 已阅) rather than doing (待办 / 已办)
READING = frozenset({StepKind.READ})


class StepState(StrEnum):
    WAITING = "waiting"      # an ordered circulation's reader whose turn has not come
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"  # withdrawn, re-assigned, or the record closed


@dataclass(frozen=True)
class Opens:
    """A step a move opens: for the record's unit (or the unit named at the move) and a role."""
    kind: StepKind
    role: Role = Role.CLERK
    for_named_units: bool = False    # one step per unit the move names (assisting units)
    lead: bool = False               # for the unit the move names as lead


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[str]
    target: str | None               # None: the record stays in its state
    completes: StepKind | None = None    # the open step the actor must hold; it is done by the move
    opens: tuple[Opens, ...] = ()
    cancels: frozenset[StepKind] = frozenset()   # open steps of these kinds are cancelled
    needs_note: bool = False
    needs_code: bool = False         # confirmed with a one-time code (OTP)
    roles: frozenset[Role] = frozenset()   # without `completes`: who of the record's unit may move
    # made as the consequence of a use-case that already decided who may act (a sign-for, which a
    # duty officer may make on a unit's behalf): no step or role of its own to check
    follows: bool = False


@dataclass(frozen=True)
class Road:
    name: str
    states: tuple[str, ...]
    moves: dict[str, Move]
    closed_states: frozenset[str] = field(default_factory=frozenset)

    def move(self, state: str, name: str) -> Move:
        """The move `name` from `state`, or a clear refusal."""
        move = self.moves.get(name)
        if move is None:
            raise XietongError("road.unknown_move", move=name)
        if state not in move.sources:
            raise XietongError("road.bad_move", move=name, state=state)
        return move

    def moves_from(self, state: str) -> list[Move]:
        return [m for m in self.moves.values() if state in m.sources]


# --- deadline ladders -------------------------------------------------------------------------------

class Rung(StrEnum):
    REMIND = "remind"        # SMS + push to the people who hold the step
    LEADER = "leader"        # their unit's leaders
    OFFICE = "office"        # the record's unit's clerks (the office that registered it)


@dataclass(frozen=True)
class LadderStep:
    rung: Rung
    offset: timedelta        # from the step's due time (negative: before it)

    def spec(self) -> str:
        hours = self.offset.total_seconds() / 3600
        return f"{self.rung.value}@{_fmt_hours(hours)}"


def _fmt_hours(hours: float) -> str:
    if hours == 0:
        return "0"
    if hours % 24 == 0:
        return f"{hours / 24:g}d"
    return f"{hours:g}h"


_RUNG = re.compile(r"^(?P<rung>[a-z]+)@(?P<num>[+-]?\d+(?:\.\d+)?)(?P<unit>[hdm]?)$")


def parse_road_ladder(text: str) -> tuple[LadderStep, ...]:
    """`remind@-1d, leader@0, office@1d`: rungs and their offsets from the due time (m, h or d)."""
    steps: list[LadderStep] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        m = _RUNG.match(part)
        if not m:
            raise ValueError(f"deadline step {part!r} is not remind|leader|office@-1d|0|2h")
        try:
            rung = Rung(m["rung"])
        except ValueError:
            raise ValueError(f"deadline step {part!r}: the rung is remind, leader or office") from None
        num = float(m["num"])
        if m["unit"] in ("", "0") and num != 0:
            raise ValueError(f"deadline step {part!r}: give the offset a unit (m, h or d)")
        scale = {"m": 1 / 60, "h": 1, "d": 24, "": 0}[m["unit"]]
        steps.append(LadderStep(rung, timedelta(hours=num * scale)))
    steps.sort(key=lambda s: s.offset)
    return tuple(steps)


def ladder_times(ladder: tuple[LadderStep, ...], due_at: datetime, opened_at: datetime
                 ) -> list[tuple[int, LadderStep, datetime]]:
    """(index, step, when) of each rung still ahead of the step's opening: a reminder that would
    fall before the step was opened is not sent (the person was just told)."""
    return [(i, s, due_at + s.offset) for i, s in enumerate(ladder) if due_at + s.offset > opened_at]
