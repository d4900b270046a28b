"""The road engine: applies a move of any road (hub.domain.roads) in the caller's transaction.

One function, `apply_move`, does what every move of every road does: checks the move against the
road's table, checks that the actor holds the step the move completes (or has a role the move
allows in the record's unit), closes that step and cancels the ones the move ends (with their
timers), writes the history row and the audit row, opens the steps the move starts and puts their
deadline rungs on the one schedule. The road's own service writes its record's fields beside it,
in the same transaction, and after the commit tells the units' phones (`Moved.units`) that their
to-do lists changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.domain.identity import Actor, Role
from hub.domain.roads import LadderStep, Move, Road, StepKind, StepState, ladder_times
from hub.errors import XietongError
from hub.services import audit
from hub.store import Tx
from hub.store.roads import RoadStep


@dataclass(frozen=True)
class NewStep:
    """A step to open: for a unit's role (or one person), with its deadline."""
    kind: StepKind
    unit_id: int
    role: Role | None = Role.CLERK
    user_id: int | None = None
    due_at: datetime | None = None
    circulation_id: int | None = None
    position: int = 0
    waiting: bool = False          # an ordered circulation's later reader


@dataclass
class Moved:
    history_id: int
    state: str
    done_step: RoadStep | None
    opened: list[int] = field(default_factory=list)
    units: set[int] = field(default_factory=set)     # whose to-do lists changed


def holds(actor: Actor, step: RoadStep) -> bool:
    """Does this person hold this open step: named, or of its unit and role?"""
    if step.user_id is not None:
        return step.user_id == actor.user_id
    return step.unit_id == actor.unit_id and step.role is not None and Role(step.role) in actor.roles


async def apply_move(tx: Tx, now: datetime, actor: Actor, road: Road, record_id: int, record_unit_id: int,
                     state: str, move_name: str, *, note: str = "", new_steps: list[NewStep] | None = None,
                     step_id: int | None = None, confirmed: bool = False, ladder: tuple[LadderStep, ...] = (),
                     for_id: int | None = None, data: dict[str, Any] | None = None, **more: Any) -> Moved:
    """Apply `move_name` to a record in `state`; `new_steps` are the steps the move opens (the road's
    service builds them from the move's `opens` and the form). `step_id` picks which of the actor's
    open steps the move completes where several could (an assisting unit's, a reader's)."""
    data = {**(data or {}), **more}     # what the move records beside its note (history and audit)
    move = road.move(state, move_name)
    if move.needs_note and not note.strip():
        raise XietongError("road.note_required", move=move_name)
    if move.needs_code and not confirmed:
        raise XietongError("road.code_required", move=move_name)
    open_steps = await tx.roads.open_steps_of(road.name, record_id)
    done = _held_step(actor, move, open_steps, step_id, record_unit_id)
    real_id, real_name = actor.user_id, actor.name
    if actor.by is not None:        # a delegate acts for the actor: history says "A for B"
        real_id, real_name, for_id = actor.by.user_id, actor.by.name, actor.user_id
    moved = Moved(0, move.target or state, done, units={record_unit_id})
    if done is not None:
        await tx.roads.finish_step(done.id, StepState.DONE, now, real_id, for_id, note.strip())
        await tx.timers.cancel_road_step(done.id)
        moved.units.add(done.unit_id)
    for s in open_steps:
        if s.kind in move.cancels and (done is None or s.id != done.id):
            await tx.roads.finish_step(s.id, StepState.CANCELLED, now, real_id)
            await tx.timers.cancel_road_step(s.id)
            moved.units.add(s.unit_id)
    moved.history_id = await tx.roads.add_history(
        road.name, record_id, now, move_name, from_state=state, to_state=moved.state, actor_id=real_id,
        actor_name=real_name, for_id=for_id, step_id=done.id if done else None, note=note.strip(), **data)
    for new in new_steps or []:
        moved.opened.append(await open_step(tx, now, road.name, record_id, new, ladder))
        moved.units.add(new.unit_id)
    detail: dict[str, object] = {k: v for k, v in data.items() if isinstance(v, str | int) and k != "ip"}
    await audit.record(tx, now, actor, f"{road.name}.{move_name}", f"{road.name}:{record_id}", None,
                       note=note.strip()[:200], **detail)
    return moved


async def open_step(tx: Tx, now: datetime, road: str, record_id: int, new: NewStep,
                    ladder: tuple[LadderStep, ...] = ()) -> int:
    """Open one step, and put its deadline's rungs on the schedule."""
    step_id = await tx.roads.open_step(
        road, record_id, new.kind, new.unit_id, now, role=new.role.value if new.role else None,
        user_id=new.user_id, due_at=new.due_at, circulation_id=new.circulation_id, position=new.position,
        state=StepState.WAITING if new.waiting else StepState.OPEN)
    if new.due_at is not None and not new.waiting:
        await schedule_deadline(tx, now, step_id, new.due_at, ladder)
    return step_id


async def schedule_deadline(tx: Tx, now: datetime, step_id: int, due_at: datetime,
                            ladder: tuple[LadderStep, ...]) -> None:
    for index, rung, when in ladder_times(ladder, due_at, now):
        await tx.timers.add_for_road_step(when, f"road_{rung.rung.value}", step_id, index)


def _held_step(actor: Actor, move: Move, open_steps: list[RoadStep], step_id: int | None,
               record_unit_id: int) -> RoadStep | None:
    if move.completes is None:
        if move.follows:         # its use-case (registering, a sign-for) checked who may act
            return None
        if actor.unit_id != record_unit_id or not (move.roles & actor.roles):
            raise XietongError("perm.denied")
        return None
    mine = [s for s in open_steps if s.kind == move.completes and holds(actor, s)
            and (step_id is None or s.id == step_id)]
    if not mine:
        raise XietongError("road.not_your_step", move=move.name)
    return mine[0]
