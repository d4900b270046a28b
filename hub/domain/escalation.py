"""The escalation ladder: steps, when they come due, and whether they still apply.

A ladder is written in config as `action:condition@when`, comma separated,
e.g. `remind:unread@15m, backup:unacked@50%, duty_desk:unacked@100%`:

- action: `remind` (SMS the unit's clerks again), `backup` (the unit's backup
  clerk and leader), `duty_desk` (raise to the duty desk, 值班室);
- condition: `unread` (nobody of the unit opened it) or `unacked` (not signed for);
- when: minutes (`15m`) or hours (`2h`) after issue, or a share of the
  response window (`50%`, `100%`).

The item keeps the parsed ladder and each step's due time from the moment it
was issued (a snapshot), so editing the config never changes an item already
under way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hub.domain.calendar import WorkCalendar
from hub.domain.items import OPEN_STATES, DeliveryState, ItemKind, Urgency


class StepAction(StrEnum):
    REMIND = "remind"
    BACKUP = "backup"
    DUTY_DESK = "duty_desk"


class Condition(StrEnum):
    UNREAD = "unread"
    UNACKED = "unacked"


@dataclass(frozen=True)
class Step:
    action: StepAction
    condition: Condition
    minutes: float | None = None     # fixed offset after issue
    percent: float | None = None     # share of the response window

    def spec(self) -> str:
        when = f"{self.percent:g}%" if self.percent is not None else f"{self.minutes:g}m"
        return f"{self.action.value}:{self.condition.value}@{when}"


_STEP = re.compile(r"^(?P<action>[a-z_]+):(?P<cond>[a-z]+)@(?P<num>\d+(?:\.\d+)?)(?P<unit>m|h|%)$")


def parse_ladder(text: str) -> tuple[Step, ...]:
    steps = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        m = _STEP.match(part)
        if not m:
            raise ValueError(f"escalation step {part!r} is not action:condition@15m|2h|50%")
        try:
            action, cond = StepAction(m["action"]), Condition(m["cond"])
        except ValueError:
            raise ValueError(f"escalation step {part!r}: action is remind|backup|duty_desk, "
                             "condition is unread|unacked") from None
        num = float(m["num"])
        if m["unit"] == "%":
            if not 0 < num <= 100:
                raise ValueError(f"escalation step {part!r}: a share is 1–100%")
            steps.append(Step(action, cond, percent=num))
        else:
            steps.append(Step(action, cond, minutes=num * (60 if m["unit"] == "h" else 1)))
    if not steps:
        raise ValueError("an escalation ladder needs at least one step")
    return tuple(steps)


@dataclass(frozen=True)
class Window:
    """The response window: when a delivery must be signed for."""
    due_at: datetime
    working_time: bool     # ordinary items count working time; urgent ones wall time


@dataclass(frozen=True)
class WindowRules:
    extra_urgent: timedelta
    urgent: timedelta
    meeting_notice: timedelta
    ordinary: timedelta


def response_window(kind: ItemKind, urgency: Urgency, issued_at: datetime,
                    meeting_at: datetime | None, rules: WindowRules, calendar: WorkCalendar) -> Window:
    """特急 30 min, 加急 2 h, meeting notice 4 h and before the meeting, ordinary 24 working hours."""
    if urgency is Urgency.EXTRA_URGENT:
        return Window(issued_at + rules.extra_urgent, False)
    if urgency is Urgency.URGENT:
        due = issued_at + rules.urgent
    elif kind is ItemKind.MEETING_NOTICE:
        due = issued_at + rules.meeting_notice
    else:
        return Window(calendar.add_working_time(issued_at, rules.ordinary), True)
    if kind is ItemKind.MEETING_NOTICE and meeting_at is not None:
        due = min(due, meeting_at)
    return Window(due, False)


def step_due_times(steps: tuple[Step, ...], issued_at: datetime, window: Window,
                   calendar: WorkCalendar) -> list[datetime]:
    """Each step's due time, in ladder order and never earlier than the step before."""
    if window.working_time:
        length = calendar.working_time_between(issued_at, window.due_at)
    else:
        length = window.due_at - issued_at
    out: list[datetime] = []
    for s in steps:
        offset = length * (s.percent / 100) if s.percent is not None else timedelta(minutes=s.minutes or 0)
        due = calendar.add_working_time(issued_at, offset) if window.working_time else issued_at + offset
        if s.percent is None:
            due = min(due, window.due_at) if s.action is not StepAction.DUTY_DESK else due
        if out and due < out[-1]:
            due = out[-1]
        out.append(due)
    return out


def step_applies(step: Step, state: DeliveryState) -> bool:
    """A step acts only on an open delivery that still meets its condition."""
    if state not in OPEN_STATES:
        return False
    if step.condition is Condition.UNREAD:
        return state is DeliveryState.PENDING
    return True


def ladder_snapshot(steps: tuple[Step, ...], due_times: list[datetime]) -> list[dict[str, Any]]:
    return [{"step": s.spec(), "due_at": d.isoformat()} for s, d in zip(steps, due_times)]


def snapshot_steps(snapshot: list[dict[str, Any]]) -> tuple[Step, ...]:
    return parse_ladder(",".join(s["step"] for s in snapshot))
