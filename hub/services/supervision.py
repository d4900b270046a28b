"""督办: the office puts an open record under supervision, and the lead reports progress at set intervals.

Supervising (the `supervise` move, SUPERVISE in the record's unit) writes the supervisions row with a
report interval (default `incoming.supervision_days`) and a note, marks the record supervised, and
opens a PROGRESS step for the lead unit's clerks (the record unit's while no lead is named) due at
the next report, with the road's deadline ladder. The lead reports (the `progress` move): the step is
done, the next report is one interval later, the next PROGRESS step opens. Closing the record ends
the supervision (`end_supervision`, called by the road's close in the same transaction; its steps are
cancelled by the close move itself).

The supervision board is the office's own unit's: every supervised record with its state, lead
unit, last report, next report due and the days overdue (the handling deadline, and the report).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST
from hub.domain.identity import Actor, Role
from hub.domain.incoming import INCOMING
from hub.domain.permissions import Action, can, require
from hub.domain.roads import LadderStep, Road, StepKind, parse_road_ladder
from hub.domain.sms_text import supervision_text
from hub.errors import XietongError
from hub.services.road_chase import Chase, RoadChaseService, chases_of, chases_today
from hub.services.road_deadlines import RoadRecord, holders, record_of
from hub.services.roads import NewStep, apply_move, holds
from hub.store import Store, Tx
from hub.store.roads import RoadStep
from hub.store.supervision import Supervision

MAX_DAYS = 90
MAX_TEXT = 2000
ROADS: dict[str, Road] = {"incoming": INCOMING}
CHASABLE = frozenset(StepKind) - {StepKind.CLOSE}


def days_overdue(due: datetime | None, now: datetime) -> int:
    """0 while not due; else the Beijing calendar days since the due day (at least 1 once past it)."""
    if due is None or now <= due:
        return 0
    return max(1, (now.astimezone(CST).date() - due.astimezone(CST).date()).days)


def next_report_after(previous: datetime, every: timedelta, now: datetime) -> datetime:
    """The report after `previous`: one interval on, and never already past."""
    nxt = previous + every
    while nxt <= now:
        nxt += every
    return nxt


@dataclass(frozen=True)
class BoardRow:
    record: RoadRecord
    supervision: Supervision
    lead_unit: str
    handling_due: datetime | None
    handling_overdue_days: int
    report_overdue_days: int


@dataclass(frozen=True)
class Board:
    unit_id: int
    unit_name: str
    now: datetime
    rows: list[BoardRow]


@dataclass(frozen=True)
class ChasableStep:
    step: RoadStep
    unit_name: str
    who: str                 # the person, or the unit's role
    chased_today: int
    left_today: int


@dataclass(frozen=True)
class Panel:
    """The record page's chase and supervision box, as the viewer may use it."""
    record: RoadRecord
    supervision: Supervision | None
    can_supervise: bool          # the record unit's office: supervise, chase, see the chases
    default_days: int
    steps: list[ChasableStep] = field(default_factory=list)
    chases: list[Chase] = field(default_factory=list)
    progress_step: RoadStep | None = None     # the viewer holds the report due: show its form
    overdue_days: int = 0
    now: datetime | None = None               # when it was read (a step past its due time shows so)


async def end_supervision(tx: Tx, now: datetime, road: str, record_id: int) -> bool:
    """The record closed (or was returned): its supervision ends. Call in the closing transaction."""
    return await tx.supervision.end(road, record_id, now)


class SupervisionService:
    def __init__(self, store: Store, clock: Clock, config: Config, chase: RoadChaseService,
                 published: Callable[[], None] | None = None,
                 todo_changed: Callable[[int], None] | None = None) -> None:
        self.store, self.clock, self.config, self.chase = store, clock, config, chase
        self._published = published or (lambda: None)
        self._todo_changed = todo_changed or (lambda _unit: None)

    @property
    def ladder(self) -> tuple[LadderStep, ...]:
        return parse_road_ladder(self.config.incoming.ladder)

    async def supervise(self, actor: Actor, road: str, record_id: int, every_days: int | None,
                        note: str) -> Supervision:
        every = self.config.incoming.supervision_days if every_days is None else every_days
        note = note.strip()
        now = self.clock.now()
        async with self.store.write() as tx:
            record = await self._record(tx, actor, road, record_id)
            require(actor, Action.SUPERVISE, record.unit_id)
            if not 1 <= every <= MAX_DAYS:
                raise XietongError("supervision.bad_interval", limit=MAX_DAYS)
            if not note:
                raise XietongError("supervision.note_required")
            if len(note) > MAX_TEXT:
                raise XietongError("incoming.text_too_long", limit=MAX_TEXT)
            if not record.is_open:
                raise XietongError("supervision.record_closed")
            current = await tx.supervision.get(road, record_id)
            if current is not None and current.active:
                if any(s.kind == StepKind.PROGRESS for s in await tx.roads.open_steps_of(road, record_id)):
                    raise XietongError("supervision.already")
                await tx.supervision.end(road, record_id, now)   # left over: its steps ended with a close or return
            first = now + timedelta(days=every)
            unit_id = record.lead_unit_id or record.unit_id
            moved = await apply_move(tx, now, actor, ROADS[road], record_id, record.unit_id, record.state,
                                     "supervise", note=note, ladder=self.ladder, every_days=every,
                                     next_report=first.isoformat(), lead_unit_id=unit_id,
                                     new_steps=[NewStep(StepKind.PROGRESS, unit_id, Role.CLERK, due_at=first)])
            await tx.supervision.start(road, record_id, actor.user_id, every, now, first)
            if road == "incoming":
                await tx.incoming.set_state(record_id, record.state, now, supervised=1)
            text = supervision_text(record.noun, record.title, every, first)
            for p in await tx.users.with_role(Role.CLERK, unit_id):
                if p.phone:
                    await tx.outbox.add_road_sms(now, moved.history_id, p.id, p.phone, text)
            sup = await tx.supervision.get(road, record_id)
        assert sup is not None
        self._after(moved.units)
        return sup

    async def report(self, actor: Actor, road: str, record_id: int, text: str,
                     step_id: int | None = None) -> Supervision:
        """The lead's progress report (the `progress` move): the next one is due an interval later."""
        text = text.strip()
        now = self.clock.now()
        async with self.store.write() as tx:
            record = await self._record(tx, actor, road, record_id)
            if not text:
                raise XietongError("supervision.report_required")
            if len(text) > MAX_TEXT:
                raise XietongError("incoming.text_too_long", limit=MAX_TEXT)
            sup = await tx.supervision.get(road, record_id)
            if sup is None or not sup.active:
                raise XietongError("supervision.not_supervised")
            nxt = next_report_after(sup.next_report, timedelta(days=sup.every_days), now)
            unit_id = record.lead_unit_id or record.unit_id
            moved = await apply_move(tx, now, actor, ROADS[road], record_id, record.unit_id, record.state,
                                     "progress", note=text, step_id=step_id, ladder=self.ladder,
                                     next_report=nxt.isoformat(),
                                     new_steps=[NewStep(StepKind.PROGRESS, unit_id, Role.CLERK, due_at=nxt)])
            await tx.supervision.reported(sup.id, now, text, nxt)
            sup = await tx.supervision.get(road, record_id)
        assert sup is not None
        self._after(moved.units)
        return sup

    async def board(self, actor: Actor, road: str = "incoming") -> Board:
        """督办台账: the supervised records of the actor's own unit."""
        require(actor, Action.SUPERVISE, actor.unit_id)
        now = self.clock.now()
        rows: list[BoardRow] = []
        async with self.store.read() as tx:
            unit = await tx.units.get(actor.unit_id)
            names: dict[int, str] = {}
            for sup in await tx.supervision.active(road):
                record = await record_of(tx, road, sup.record_id)
                if record is None or record.unit_id != actor.unit_id or not record.is_open:
                    continue
                lead = record.lead_unit_id
                if lead is not None and lead not in names:
                    u = await tx.units.get(lead)
                    names[lead] = u.name if u else ""
                steps = await tx.roads.open_steps_of(road, record.id)
                if not any(s.kind == StepKind.PROGRESS for s in steps):    # ended with a close or return
                    continue
                handle = [s for s in steps if s.kind == StepKind.HANDLE]
                due = handle[0].due_at if handle and handle[0].due_at else record.deadline
                rows.append(BoardRow(record, sup, names.get(lead, "") if lead else "", due,
                                     days_overdue(due, now), days_overdue(sup.next_report, now)))
        rows.sort(key=lambda r: (-r.report_overdue_days, -r.handling_overdue_days, r.supervision.next_report))
        return Board(actor.unit_id, unit.name if unit else "", now, rows)

    async def panel(self, actor: Actor, road: str, record_id: int) -> Panel:
        """The box on the record page: chase buttons and chases (the office), supervision, the report form."""
        now = self.clock.now()
        async with self.store.read() as tx:
            record = await record_of(tx, road, record_id)
            if record is None:
                raise XietongError("incoming.not_found")
            sup = await tx.supervision.get(road, record_id)
            office = can(actor, Action.SUPERVISE, record.unit_id)
            open_steps = await tx.roads.open_steps_of(road, record_id) if record.is_open else []
            if sup is None or not sup.active or not any(s.kind == StepKind.PROGRESS for s in open_steps):
                sup = None                    # not supervised, or ended with the record's close or return
            progress = next((s for s in open_steps if s.kind == StepKind.PROGRESS and holds(actor, s)), None)
            panel = Panel(record, sup, office, self.config.incoming.supervision_days, progress_step=progress,
                          overdue_days=days_overdue(sup.next_report, now) if sup else 0, now=now)
            if not office:
                return panel
            history = await tx.roads.history(road, record_id)
            for s in open_steps:
                if s.kind not in CHASABLE:
                    continue
                unit = await tx.units.get(s.unit_id)
                if s.user_id is not None:
                    who = ", ".join(p.name for p in await holders(tx, s))
                else:
                    who = s.role or ""
                done = chases_today(history, s.id, now)
                panel.steps.append(ChasableStep(s, unit.name if unit else "", who, done,
                                                max(0, self.chase.per_day - done)))
            panel.chases.extend(await chases_of(tx, road, record_id, history))
            return panel

    async def _record(self, tx: Tx, actor: Actor, road: str, record_id: int) -> RoadRecord:
        record = await record_of(tx, road, record_id) if road in ROADS else None
        if record is None:
            raise XietongError("incoming.not_found")
        return record

    def _after(self, units: set[int]) -> None:
        self._published()
        for unit_id in sorted(units):
            self._todo_changed(unit_id)
