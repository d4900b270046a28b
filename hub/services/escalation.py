"""The escalation scheduler: runs each due ladder step exactly once, from the durable schedule.

The schedule is the `timers` table (one row per step still to run, indexed by
due time). The scheduler sleeps until the earliest due time, or until woken
because an earlier one was added; it never scans the pending rows. A step
runs in one transaction with its effects: it records itself in `steps_run`
(whose primary key refuses a second run), writes its events and SMS, and
replaces its timer with the next step's. A step that finds its delivery
signed for, returned or withdrawn does nothing but record that.

Several processes on one PostgreSQL database each run a scheduler on the same schedule. A step is
claimed only by the write transaction that runs it: write transactions run one at a time across the
processes (hub/store/pg.py), and each first checks that its timers are still scheduled exactly as
read, so a step another process ran meanwhile is skipped; a process that dies mid-batch has its
transaction rolled back by PostgreSQL, and the others run those steps when they look next (they
are told of new timers at once, hub/notify/signals.py, and look every `poll_seconds` anyway).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.domain.escalation import Step, StepAction, snapshot_steps, step_applies
from hub.domain.identity import Role, User
from hub.domain.items import Delivery, DeliveryState, Item
from hub.domain.sms_text import backup_text, duty_desk_text, meeting_reminder_text, remind_text
from hub.notify.worker import Worker, wait_for_work
from hub.services.road_deadlines import RoadDeadlines
from hub.store import Store, Tx
from hub.store.timers import Timer

log = logging.getLogger(__name__)

BATCH = 200      # timers run per transaction (each under its own savepoint)
RETRY_AFTER = timedelta(minutes=1)   # a step that failed is tried again this much later


class Scheduler:
    def __init__(self, store: Store, clock: Clock, on_ran: Callable[[int], None] | None = None,
                 roads: RoadDeadlines | None = None, poll_seconds: float | None = None) -> None:
        self.store, self.clock = store, clock
        self.poll_seconds = poll_seconds   # also look at the earliest timer this often (other processes')
        self.roads = roads or RoadDeadlines()     # the office roads' step deadlines (road_step_id timers)
        self._wake = asyncio.Event()
        self._sleeping_until: datetime | None = None
        self._worker = Worker("xietong-scheduler", self._loop)
        self._on_ran = on_ran or (lambda _n: None)
        self.ran = 0          # steps whose effects were applied, since start
        self.idle = asyncio.Event()   # set while it waits with nothing due (tests and health checks)

    @property
    def sleeping_until(self) -> datetime | None:
        """The due time it waits for, while idle (None: nothing scheduled, or busy)."""
        return self._sleeping_until

    def wake(self, due: datetime | None = None) -> None:
        """Tell the scheduler a step is due at `due` (sooner than it sleeps, or it ignores it)."""
        if due is None or self._sleeping_until is None or due < self._sleeping_until:
            self._wake.set()

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def _loop(self) -> None:
        while True:
            try:
                if await self.run_due():
                    continue
                async with self.store.read() as tx:
                    earliest = await tx.timers.earliest()
                self._wake.clear()
                self._sleeping_until = earliest
                self.idle.set()
                try:
                    await wait_for_work(self._wake, self.clock, earliest, self.poll_seconds)
                finally:
                    self._sleeping_until = None
                    self.idle.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler pass failed; retrying")
                await asyncio.sleep(1)

    async def run_due(self) -> int:
        """Run every step due by now, in batches; returns how many timers were handled."""
        handled = 0
        while True:
            now = self.clock.now()
            async with self.store.read() as tx:
                timers = await tx.timers.due(now, BATCH)
            if not timers:
                return handled
            async with self.store.write() as tx:
                people = _People(tx)
                ahead = await _ReadAhead.load(tx, timers)
                for timer in timers:
                    await tx.conn.execute("SAVEPOINT step")
                    try:
                        if await self._run(tx, people, ahead, timer, now):
                            self.ran += 1
                        await tx.conn.execute("RELEASE step")
                    except Exception:
                        log.exception("step %s failed; retrying in %s", timer, RETRY_AFTER)
                        await tx.conn.execute("ROLLBACK TO step")
                        await tx.conn.execute("RELEASE step")
                        await tx.timers.postpone(timer.id, now + RETRY_AFTER)
            self.roads.after_commit()
            handled += len(timers)
            self._on_ran(len(timers))   # and loop: a step may have scheduled a next one already due

    async def _run(self, tx: Tx, people: _People, ahead: _ReadAhead, timer: Timer, now: datetime) -> bool:
        scheduled, delivery, item = await ahead.target(tx, timer)
        if not scheduled:            # already run (or cancelled) by someone else
            return False
        await tx.timers.delete(timer.id)
        if timer.road_step_id is not None:      # a road step's deadline rung
            return await self.roads.run(tx, timer, now)
        if delivery is None or item is None:
            return False
        if timer.kind == "meeting_reminder":
            return await self._meeting_reminder(tx, people, timer, now, delivery, item)
        steps = ahead.steps(item)
        step = steps[timer.step]
        if delivery.ladder is not None:       # a corrected re-send: its texts give its own time limit
            item = replace(item, due_at=delivery.due_at)
        applies = step_applies(step, delivery.state) and item.withdrawn_at is None
        await tx.timers.record_run(delivery.id, "step", timer.step, now, applies)
        if delivery.is_open and item.withdrawn_at is None and timer.step + 1 < len(steps):
            ladder = delivery.ladder or item.ladder     # a re-sent round runs its own (services/resend.py)
            next_due = datetime.fromisoformat(ladder[timer.step + 1]["due_at"])
            await tx.timers.add(next_due, "step", delivery.id, timer.step + 1)
        if not applies:
            return False
        await tx.deliveries.set_level(delivery.id, timer.step + 1)
        unit = await people.unit_name(delivery.unit_id)
        event_id = await tx.events.add(now, "item.escalated", item.id, item.sender_unit_id, delivery.id,
                                       delivery.unit_id, None, step=timer.step, action=step.action.value,
                                       condition=step.condition.value, level=timer.step + 1,
                                       due_at=timer.due_at.isoformat(), unit=unit)
        if step.action is StepAction.REMIND:
            await _sms(tx, now, event_id, delivery, await people.of(delivery.unit_id, Role.CLERK), remind_text(item))
        elif step.action is StepAction.BACKUP:
            backups = [c for c in await people.of(delivery.unit_id, Role.CLERK) if c.id != delivery.assignee_id]
            leaders = await people.of(delivery.unit_id, Role.LEADER)
            await _sms(tx, now, event_id, delivery, backups + leaders, backup_text(item, unit))
        elif step.action is StepAction.DUTY_DESK:
            await tx.deliveries.mark_escalated(delivery.id, now)
            await _sms(tx, now, event_id, delivery, await people.duty_desk(), duty_desk_text(item, unit))
        return True

    async def _meeting_reminder(self, tx: Tx, people: _People, timer: Timer, now: datetime,
                                delivery: Delivery, item: Item) -> bool:
        applies = delivery.state is DeliveryState.ACKED and item.withdrawn_at is None
        await tx.timers.record_run(delivery.id, "meeting_reminder", timer.step, now, applies)
        if not applies:
            return False
        attendees = [(n, p) for did, n, p in await tx.deliveries.attendees(item.id) if did == delivery.id]
        event_id = await tx.events.add(now, "meeting.reminder", item.id, item.sender_unit_id, delivery.id,
                                       delivery.unit_id, None, attendees=[n for n, _ in attendees])
        text = meeting_reminder_text(item)
        clerks = await people.of(delivery.unit_id, Role.CLERK)
        await _sms(tx, now, event_id, delivery, clerks, text)
        told = {c.phone for c in clerks if c.phone}
        # the people named at sign-for, then those the unit's attendance reply (参会回执) sends
        for phone in [p for _, p in attendees] + await tx.meetings.attendee_phones(item.id, delivery.unit_id):
            if phone and phone not in told:
                told.add(phone)
                await tx.outbox.add_sms(now, event_id, delivery.id, None, phone, text)
        return True


async def _sms(tx: Tx, now: datetime, event_id: int, delivery: Delivery, users: list[User], text: str) -> None:
    for u in users:
        if u.phone:
            await tx.outbox.add_sms(now, event_id, delivery.id, u.id, u.phone, text)


class _ReadAhead:
    """A batch's timers still scheduled, their deliveries and items, read once at the start of the batch.

    Read inside the batch's write transaction, so what it holds is what each step would read for itself:
    no other writer runs meanwhile, and the steps themselves change only timers of their own, a
    delivery's `level` and `escalated_at` (which no step reads) and nothing of an item.
    """

    def __init__(self, scheduled: set[int], deliveries: dict[int, Delivery], items: dict[int, Item]) -> None:
        self.scheduled, self.deliveries, self.items = scheduled, deliveries, items
        self._steps: dict[int, tuple[Step, ...]] = {}

    @classmethod
    async def load(cls, tx: Tx, timers: list[Timer]) -> _ReadAhead:
        scheduled = await tx.timers.scheduled(timers)
        deliveries = await tx.deliveries.many(sorted({t.delivery_id for t in timers
                                                      if t.id in scheduled and t.delivery_id is not None}))
        items = await tx.items.many(sorted({d.item_id for d in deliveries.values()}))
        return cls(scheduled, deliveries, items)

    async def target(self, tx: Tx, timer: Timer) -> tuple[bool, Delivery | None, Item | None]:
        """(still scheduled?, its delivery, the delivery's item)."""
        if timer.id not in self.scheduled:
            return False, None, None
        if timer.delivery_id is None:           # a road step's timer: no delivery
            return True, None, None
        delivery = self.deliveries.get(timer.delivery_id)
        return True, delivery, self.items.get(delivery.item_id) if delivery else None

    def steps(self, item: Item) -> tuple[Step, ...]:
        """The item's ladder snapshot, parsed once per batch."""
        steps = self._steps.get(item.id)
        if steps is None:
            steps = self._steps[item.id] = snapshot_steps(item.ladder)
        return steps


class _People:
    """Look-ups of who to tell, cached for one batch."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self._roles: dict[tuple[int | None, Role], list[User]] = {}
        self._units: dict[int, str] = {}

    async def of(self, unit_id: int | None, role: Role) -> list[User]:
        key = (unit_id, role)
        if key not in self._roles:
            self._roles[key] = await self.tx.users.with_role(role, unit_id)
        return self._roles[key]

    async def duty_desk(self) -> list[User]:
        return await self.of(None, Role.DUTY_DESK)

    async def unit_name(self, unit_id: int) -> str:
        if unit_id not in self._units:
            unit = await self.tx.units.get(unit_id)
            self._units[unit_id] = unit.name if unit else ""
        return self._units[unit_id]
