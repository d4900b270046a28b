"""催办 by hand on the office roads: the record unit's office (clerks, leaders: SUPERVISE) chases an
open step (handle, assist, read, progress, instruct...): an SMS and a push to the people who hold it,
at most `incoming.chases_per_day` per step per local (Beijing) day, each chase a history row.

A chase that cannot be delivered is never dropped: the answer names each person with what became
of their SMS (queued, or no phone number), and the record page's chase panel reads the outbox rows
of each chase's history row later (sent, delivered, failed, undelivered), beside those without a phone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST
from hub.domain.identity import Actor
from hub.domain.permissions import Action, can
from hub.domain.sms_text import road_chase_text
from hub.errors import XietongError
from hub.services import audit
from hub.services.road_deadlines import RoadRecord, holders, record_of
from hub.store import Store, Tx
from hub.store.roads import HistoryRow, RoadStep

MAX_NOTE = 200
NO_PHONE = "no_phone"      # a person the chase could not text: shown, never dropped


@dataclass(frozen=True)
class Told:
    """One person a chase was for, and what became of their SMS."""
    user_id: int | None
    name: str
    status: str            # queued | sending | sent | delivered | undelivered | failed | skipped | no_phone
    error: str = ""

    @property
    def trouble(self) -> bool:
        return self.status in (NO_PHONE, "failed", "undelivered", "skipped")


@dataclass(frozen=True)
class Chase:
    """A chase of a step: who chased, when, what for, and each person told."""
    history_id: int
    at: datetime
    by: str
    step_id: int | None
    kind: str
    unit_id: int | None
    note: str
    told: list[Told] = field(default_factory=list)

    @property
    def trouble(self) -> bool:
        return not self.told or any(t.trouble for t in self.told)


@dataclass(frozen=True)
class ChaseResult:
    chase: Chase
    left_today: int


def local_day(at: datetime) -> str:
    return at.astimezone(CST).date().isoformat()


def minutes_to_midnight(now: datetime) -> int:
    """Whole minutes (at least 1) until the next Beijing day begins: when the step may be chased again."""
    local = now.astimezone(CST)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0, 0), CST)
    return max(1, math.ceil((midnight - now).total_seconds() / 60))


def chases_today(history: list[HistoryRow], step_id: int, now: datetime) -> int:
    today = local_day(now)
    return sum(1 for h in history if h.move == "chase" and h.step_id == step_id and local_day(h.at) == today)


async def chases_of(tx: Tx, road: str, record_id: int, history: list[HistoryRow] | None = None) -> list[Chase]:
    """Every chase of a record, the latest first, with each person's SMS state (joined by history row)."""
    history = history if history is not None else await tx.roads.history(road, record_id)
    rows = [h for h in history if h.move == "chase"]
    sms: dict[int, list[Told]] = {}
    for s in await tx.supervision.sms_of([h.id for h in rows]):
        sms.setdefault(s.history_id, []).append(Told(s.user_id, s.name, s.state, s.error))
    out = []
    for h in reversed(rows):
        told = sms.get(h.id, []) + [Told(None, name, NO_PHONE) for name in h.data.get("no_phone", [])]
        out.append(Chase(h.id, h.at, h.actor_name, h.step_id, str(h.data.get("kind", "")),
                         h.data.get("unit_id"), h.note, told))
    return out


class RoadChaseService:
    def __init__(self, store: Store, clock: Clock, config: Config, published: Callable[[], None] | None = None,
                 todo_changed: Callable[[int], None] | None = None) -> None:
        self.store, self.clock, self.config = store, clock, config
        self._published = published or (lambda: None)          # the SMS sender looks at the outbox
        self._todo_changed = todo_changed or (lambda _unit: None)

    @property
    def per_day(self) -> int:
        return self.config.incoming.chases_per_day

    async def chase(self, actor: Actor, step_id: int, note: str = "") -> ChaseResult:
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise XietongError("chase.note_too_long", limit=MAX_NOTE)
        now = self.clock.now()
        async with self.store.write() as tx:
            step, record = await self._step(tx, actor, step_id)
            history = await tx.roads.history(step.road, step.record_id)
            done_today = chases_today(history, step.id, now)
            if done_today >= self.per_day:
                raise XietongError("chase.limit", limit=self.per_day, minutes=minutes_to_midnight(now))
            people = await holders(tx, step)
            with_phone = [p for p in people if p.phone]
            history_id = await tx.roads.add_history(
                step.road, step.record_id, now, "chase", from_state=record.state, to_state=record.state,
                actor_id=actor.user_id, actor_name=actor.name, step_id=step.id, note=note, kind=step.kind,
                unit_id=step.unit_id, told=[p.name for p in with_phone],
                no_phone=[p.name for p in people if not p.phone])
            text = road_chase_text(actor.unit_name or actor.name, record.noun, step.kind, record.title, step.due_at)
            for p in with_phone:
                await tx.outbox.add_road_sms(now, history_id, p.id, p.phone, text)
            await tx.roads.count_chase(step.id, now)
            await audit.record(tx, now, actor, f"{step.road}.chase", f"{step.road}:{step.record_id}",
                               step=step.id, kind=step.kind, told=len(with_phone), no_phone=len(people) - len(with_phone))
            told = [Told(p.id, p.name, "queued") for p in with_phone] + \
                   [Told(p.id, p.name, NO_PHONE) for p in people if not p.phone]
        self._published()
        self._todo_changed(step.unit_id)
        return ChaseResult(Chase(history_id, now, actor.name, step.id, step.kind, step.unit_id, note, told),
                           self.per_day - done_today - 1)

    async def chases(self, actor: Actor, road: str, record_id: int) -> list[Chase]:
        """The record's chases with each SMS's state, for its office (the chase panel)."""
        async with self.store.read() as tx:
            record = await record_of(tx, road, record_id)
            if record is None or not can(actor, Action.SUPERVISE, record.unit_id):
                raise XietongError("chase.step_not_found")
            return await chases_of(tx, road, record_id)

    async def _step(self, tx: Tx, actor: Actor, step_id: int) -> tuple[RoadStep, RoadRecord]:
        step = await tx.roads.step(step_id)
        record = await record_of(tx, step.road, step.record_id) if step else None
        if step is None or record is None or not can(actor, Action.SUPERVISE, record.unit_id):
            raise XietongError("chase.step_not_found")
        if step.state == "waiting" and record.is_open:
            raise XietongError("chase.step_waiting")
        if not step.is_open or not record.is_open:
            raise XietongError("chase.step_closed")
        return step, record
