"""The duty log (值班日志) and the shift's handover (交班 → 接班): one use-case per method.

Every entry and every handover is audited and kept (append-only in the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock
from hub.domain.duty_log import (
    Handover,
    LogEntry,
    Officer,
    Shift,
    check_can_cancel,
    check_can_confirm,
    check_can_hand_over,
    check_can_take_shift,
    check_entry,
)
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.items import Item
from hub.domain.permissions import Action, require
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx


@dataclass(frozen=True)
class EntryView:
    entry: LogEntry
    author: User | None
    unit: Unit | None
    item: Item | None


@dataclass(frozen=True)
class HandoverView:
    handover: Handover
    from_officer: User | None
    to_officer: User | None


@dataclass(frozen=True)
class DutyLog:
    """What the log page shows: the shift (in force, or one asked for), its entries, the open
    handover, the duty officers one may hand over to, and the recent shifts."""
    shift: Shift | None
    officer: User | None
    in_force: Shift | None
    entries: list[EntryView]
    open_handover: HandoverView | None
    handovers: list[HandoverView]
    officers: list[User]
    shifts: list[tuple[Shift, User | None]]
    now: datetime


class DutyLogService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def log(self, actor: Actor, shift_id: int | None = None) -> DutyLog:
        """The shift in force (or the one asked for) with its entries and handovers."""
        require(actor, Action.DUTY_DESK)
        async with self.store.read() as tx:
            in_force = await tx.duty_log.shift_in_force()
            shift = in_force
            if shift_id is not None:
                shift = await tx.duty_log.shift(shift_id)
                if shift is None:
                    raise XietongError("duty.shift_not_found")
            people = {u.id: u for u in await tx.users.in_unit()}
            units = {u.id: u for u in await tx.units.all()}
            raw = await tx.duty_log.entries(shift.id if shift else None)
            items = await tx.items.many(sorted({e.item_id for e in raw if e.item_id}))
            open_handover = await tx.duty_log.open_handover()
            handovers = await tx.duty_log.handovers_of(shift.id) if shift else []
            shifts = await tx.duty_log.shifts()

        def hv(h: Handover) -> HandoverView:
            return HandoverView(h, people.get(h.from_id), people.get(h.to_id))

        return DutyLog(
            shift, people.get(shift.officer_id) if shift else None, in_force,
            [EntryView(e, people.get(e.author_id), units.get(e.unit_id or 0), items.get(e.item_id or 0))
             for e in raw],
            hv(open_handover) if open_handover else None, [hv(h) for h in handovers],
            [u for u in people.values() if Role.DUTY_DESK in u.roles and not u.disabled],
            [(s, people.get(s.officer_id)) for s in shifts], self.clock.now())

    async def take_shift(self, actor: Actor) -> Shift:
        """While nobody is on shift, a duty officer takes it (a shift otherwise begins by 接班)."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.write() as tx:
            check_can_take_shift(actor.user_id, await tx.duty_log.shift_in_force())
            shift_id = await tx.duty_log.start_shift(actor.user_id, now, None)
            await audit.record(tx, now, actor, "duty.shift_take", f"duty_shift:{shift_id}")
            shift = await tx.duty_log.shift(shift_id)
        assert shift is not None
        return shift

    async def add_entry(self, actor: Actor, kind: str, text: str, delivery_id: int | None = None,
                        unit_id: int | None = None, corrects_id: int | None = None) -> LogEntry:
        """Note a call made or another event, at the clock's time, on the shift in force.

        Linked to a delivery, the entry names its item and unit; `corrects_id` names an earlier
        entry this one corrects (entries are never changed)."""
        require(actor, Action.DUTY_DESK)
        entry_kind, cleaned = check_entry(kind, text)
        now = self.clock.now()
        async with self.store.write() as tx:
            item_id = None
            if delivery_id is not None:
                d = await tx.deliveries.get(delivery_id)
                if d is None:
                    raise XietongError("item.not_found")
                item_id, unit_id = d.item_id, d.unit_id
            elif unit_id is not None and await tx.units.get(unit_id) is None:
                raise XietongError("unit.not_found")
            if corrects_id is not None and await tx.duty_log.entry(corrects_id) is None:
                raise XietongError("duty.entry_not_found")
            shift = await tx.duty_log.shift_in_force()
            entry_id = await tx.duty_log.add_entry(now, actor.user_id, shift.id if shift else None, entry_kind,
                                                   cleaned, item_id, delivery_id, unit_id, corrects_id)
            await audit.record(tx, now, actor, "duty.log_entry", f"duty_log:{entry_id}", kind=entry_kind.value,
                               delivery=delivery_id, unit=unit_id, corrects=corrects_id)
            entry = await tx.duty_log.entry(entry_id)
        assert entry is not None
        return entry

    async def hand_over(self, actor: Actor, to_user_id: int, note: str) -> Handover:
        """交班: the officer on shift hands it to another duty officer, who must confirm it."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.write() as tx:
            shift = await tx.duty_log.shift_in_force()
            cleaned = check_can_hand_over(actor.user_id, shift, await tx.duty_log.open_handover(),
                                          await _officer(tx, to_user_id), note)
            assert shift is not None
            handover_id = await tx.duty_log.add_handover(shift.id, actor.user_id, to_user_id, cleaned, now)
            await audit.record(tx, now, actor, "duty.handover", f"duty_handover:{handover_id}", to=to_user_id,
                               shift=shift.id)
            handover = await tx.duty_log.handover(handover_id)
        assert handover is not None
        return handover

    async def confirm_handover(self, actor: Actor, handover_id: int | None = None) -> Shift:
        """接班: the officer the open handover names confirms it, and is on shift from now."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.write() as tx:
            handover = await tx.duty_log.open_handover()
            if handover_id is not None and (handover is None or handover.id != handover_id):
                handover = await tx.duty_log.handover(handover_id)
            h = check_can_confirm(actor.user_id, handover)
            await tx.duty_log.confirm_handover(h.id, now)
            await tx.duty_log.end_shift(h.shift_id, now)
            shift_id = await tx.duty_log.start_shift(actor.user_id, now, h.id)
            await audit.record(tx, now, actor, "duty.handover_confirm", f"duty_handover:{h.id}", shift=shift_id)
            shift = await tx.duty_log.shift(shift_id)
        assert shift is not None
        return shift

    async def cancel_handover(self, actor: Actor) -> Handover:
        """The officer who handed over takes the open handover back (before it is confirmed)."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.write() as tx:
            h = check_can_cancel(actor.user_id, await tx.duty_log.open_handover())
            await tx.duty_log.cancel_handover(h.id, now)
            await audit.record(tx, now, actor, "duty.handover_cancel", f"duty_handover:{h.id}")
            handover = await tx.duty_log.handover(h.id)
        assert handover is not None
        return handover


async def _officer(tx: Tx, user_id: int) -> Officer | None:
    user = await tx.users.get(user_id)
    return Officer(user.id, Role.DUTY_DESK in user.roles, user.disabled) if user else None
