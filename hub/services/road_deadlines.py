"""The deadlines of the office roads' steps, run by the one escalation scheduler.

A step with a due time has its ladder's rungs on the schedule (`hub.services.roads.schedule_deadline`:
timers of kind `road_remind`, `road_leader`, `road_office` with the step's id). The scheduler hands
each such timer to `RoadDeadlines.run`, in its own transaction: the run is recorded in
`road_timers_run` (whose primary key refuses a second run, across crashes and two schedulers), a
step no longer open does nothing more, else the record's history gets a row ("deadline.<rung>",
by the system) and the SMS go out through the one outbox, keyed by that history row:

- remind: the people who hold the step (its person, or its unit's people with its role);
- leader: the leaders of the step's unit — for an office with no leaders of its own (a township's
  党政办), those of the unit above it, up to the record's unit;
- office: the clerks of the record's unit (the office that registered it).

After the commit the units concerned are told their to-do lists changed (`after_commit`).

Which record a step belongs to, its unit and its title, is read through a small registry, one
reader per road (`RECORDS`): the scheduler, the manual chase and supervision share it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from hub.domain.identity import Role, User
from hub.domain.roads import Rung
from hub.domain.sms_text import road_leader_text, road_office_text, road_remind_text
from hub.store import Tx
from hub.store.roads import RoadStep
from hub.store.timers import Timer

log = logging.getLogger(__name__)

SYSTEM_NAME = "系统"


@dataclass(frozen=True)
class RoadRecord:
    """What the deadlines, chases and supervision need to know of a road's record."""
    road: str
    id: int
    unit_id: int                 # the record's unit: its office (clerks) is told last
    title: str
    noun: str                    # 收文: how an SMS names the kind of record
    is_open: bool
    lead_unit_id: int | None = None
    state: str = ""
    number: str = ""
    deadline: datetime | None = None     # the record's own deadline (收文: 办理期限)


RecordReader = Callable[[Tx, int], Awaitable[RoadRecord | None]]


async def _incoming(tx: Tx, record_id: int) -> RoadRecord | None:
    rec = await tx.incoming.get(record_id)
    if rec is None:
        return None
    return RoadRecord("incoming", rec.id, rec.unit_id, rec.title, "收文", rec.state not in ("closed", "returned"),
                      rec.lead_unit_id, rec.state, rec.number, rec.deadline)


RECORDS: dict[str, RecordReader] = {"incoming": _incoming}


def register_road(name: str, reader: RecordReader) -> None:
    """A later road (meetings, cases, loans) names how to read its records."""
    RECORDS[name] = reader


async def record_of(tx: Tx, road: str, record_id: int) -> RoadRecord | None:
    reader = RECORDS.get(road)
    return await reader(tx, record_id) if reader else None


async def holders(tx: Tx, step: RoadStep) -> list[User]:
    """The people who hold a step: its person, or the active people of its unit with its role."""
    if step.user_id is not None:
        user = await tx.users.get(step.user_id)
        return [user] if user is not None and not user.disabled else []
    if step.role is None:
        return []
    return await tx.users.with_role(Role(step.role), step.unit_id)


class RoadDeadlines:
    def __init__(self, todo_changed: Callable[[int], None] | None = None) -> None:
        self._todo_changed = todo_changed or (lambda _unit: None)
        self._units: set[int] = set()     # whose to-do lists changed in the batch being committed
        self.ran = 0

    async def run(self, tx: Tx, timer: Timer, now: datetime) -> bool:
        """Run one road timer (already taken off the schedule by the caller); True if it had effects."""
        assert timer.road_step_id is not None
        step = await tx.roads.step(timer.road_step_id)
        rung = _rung(timer.kind)
        record = await record_of(tx, step.road, step.record_id) if step else None
        applies = step is not None and step.is_open and rung is not None and record is not None and record.is_open
        if not await tx.timers.record_road_run(timer.road_step_id, timer.kind, timer.step, now, applies):
            # it ran already (a timer put back): never twice
            log.warning("road timer %s of step %s ran already; dropped", timer.kind, timer.road_step_id)
            return False
        if not applies:
            return False
        assert step is not None and rung is not None and record is not None
        due = step.due_at or timer.due_at
        unit = await tx.units.get(step.unit_id)
        unit_name = unit.name if unit else ""
        if rung is Rung.REMIND:
            people = await holders(tx, step)
            text = road_remind_text(record.noun, step.kind, record.title, due)
            told = {step.unit_id}
        elif rung is Rung.LEADER:
            people = await leaders_over(tx, step.unit_id, record.unit_id)
            text = road_leader_text(unit_name, record.noun, step.kind, record.title, due)
            told = {step.unit_id}
        else:
            people = await tx.users.with_role(Role.CLERK, record.unit_id)
            text = road_office_text(unit_name, record.noun, step.kind, record.title, due)
            told = {step.unit_id, record.unit_id}
        with_phone = [p for p in people if p.phone]
        history_id = await tx.roads.add_history(
            step.road, step.record_id, now, f"deadline.{rung.value}", from_state=record.state,
            to_state=record.state, actor_id=None, actor_name=SYSTEM_NAME, step_id=step.id,
            rung=rung.value, kind=step.kind, unit_id=step.unit_id, due_at=due.isoformat(),
            told=[p.name for p in with_phone], no_phone=[p.name for p in people if not p.phone])
        for p in with_phone:
            await tx.outbox.add_road_sms(now, history_id, p.id, p.phone, text)
        self._units |= told
        return True

    def after_commit(self) -> None:
        """The batch committed: the units concerned refresh their to-do badges."""
        units, self._units = self._units, set()
        for unit_id in sorted(units):
            self._todo_changed(unit_id)


async def leaders_over(tx: Tx, unit_id: int, top_unit_id: int) -> list[User]:
    """The leaders of a unit, or of the nearest unit above it that has some, going no higher than
    `top_unit_id` (the record's unit, which the step's unit lies under)."""
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        leaders = await tx.users.with_role(Role.LEADER, current)
        if leaders or current == top_unit_id:
            return leaders
        unit = await tx.units.get(current)
        current = unit.parent_id if unit else None
    return []


def _rung(kind: str) -> Rung | None:
    if not kind.startswith("road_"):
        return None
    try:
        return Rung(kind.removeprefix("road_"))
    except ValueError:
        return None
