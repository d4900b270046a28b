"""The duty desk (值班室): the board of the day's urgent items per unit, and acting on a unit's behalf."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.duty_board import (
    BOARD_URGENCIES,
    day_start,
    is_escalated,
    item_order,
    time_left,
    unit_counts,
    unit_order,
)
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.items import AckVia, Delivery, Item, check_can_acknowledge
from hub.domain.permissions import Action, require
from hub.domain.sms_text import issued_text
from hub.errors import XietongError
from hub.services import audit
from hub.services.chase import send_again_in
from hub.services.items import acknowledge_in
from hub.store import Store, Tx
from hub.store.items import Event, OutboxMessage


@dataclass(frozen=True)
class BoardUnit:
    """One recipient unit's row on the board: its state, who read and signed, whom to call."""
    delivery: Delivery
    unit: Unit
    clerks: list[User]
    leaders: list[User]
    assignee: User | None
    reader: User | None               # who opened it first
    signer: User | None               # who signed for it (签收)
    left: timedelta                   # time left in the response window (negative: overdue by)
    timeline: list[Event]
    sms: list[OutboxMessage]

    @property
    def overdue(self) -> timedelta:
        return -self.left

    @property
    def escalated(self) -> bool:
        return is_escalated(self.delivery)


@dataclass(frozen=True)
class BoardItem:
    """One item on the board with a row per recipient unit, escalated units first."""
    item: Item
    sender: Unit
    units: list[BoardUnit]
    counts: dict[str, int]

    @property
    def escalated(self) -> bool:
        return self.counts["escalated"] > 0

    @property
    def is_open(self) -> bool:
        return any(u.delivery.is_open for u in self.units)


class DutyDeskService:
    def __init__(self, store: Store, clock: Clock, config: Config,
                 published: Callable[[], None] | None = None) -> None:
        self.store, self.clock, self.config = store, clock, config
        self._published = published or (lambda: None)   # events were committed: tell the feed

    async def board(self, actor: Actor) -> list[BoardItem]:
        """Every open 特急 / 加急 item (sent today or still open) and every item past a ladder step,
        per recipient unit; escalated items first (most overdue first), then by time left."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.read() as tx:
            items = await tx.board.items(day_start(now), BOARD_URGENCIES)
            deliveries = await tx.board.deliveries([i.id for i in items])
            unit_ids = sorted({d.unit_id for d in deliveries} | {i.sender_unit_id for i in items})
            units = {u.id: u for u in await tx.units.all() if u.id in set(unit_ids)}
            people = await tx.board.people(unit_ids, (Role.CLERK, Role.LEADER))
            actors = await tx.board.users(sorted({u for d in deliveries for u in (d.read_by, d.acked_by) if u}))
            delivery_ids = [d.id for d in deliveries]
            events, sms = await tx.board.events(delivery_ids), await tx.board.sms(delivery_ids)
        by_item: dict[int, list[Delivery]] = {}
        for d in deliveries:
            by_item.setdefault(d.item_id, []).append(d)
        timeline: dict[int, list[Event]] = {}
        for e in events:
            timeline.setdefault(e.delivery_id or 0, []).append(e)
        messages: dict[int, list[OutboxMessage]] = {}
        for m in sms:
            messages.setdefault(m.delivery_id or 0, []).append(m)

        def row(d: Delivery) -> BoardUnit:
            clerks = [p for p in people if p.unit_id == d.unit_id and Role.CLERK in p.roles]
            leaders = [p for p in people if p.unit_id == d.unit_id and Role.LEADER in p.roles]
            return BoardUnit(d, units[d.unit_id], clerks, leaders,
                             next((c for c in clerks if c.id == d.assignee_id), None),
                             actors.get(d.read_by or 0), actors.get(d.acked_by or 0), time_left(d, now),
                             timeline.get(d.id, []), messages.get(d.id, []))

        board = [BoardItem(i, units[i.sender_unit_id],
                           [row(d) for d in sorted(by_item.get(i.id, []), key=unit_order)],
                           unit_counts(by_item.get(i.id, [])))
                 for i in items if by_item.get(i.id)]
        board.sort(key=lambda b: item_order(b.item, [u.delivery for u in b.units]))
        return board

    async def entry_about(self, actor: Actor, delivery_id: int) -> tuple[Delivery, Item, Unit] | None:
        """The delivery, item and unit a duty-log entry is about (the board's "记录通话"), if it exists."""
        require(actor, Action.DUTY_DESK)
        async with self.store.read() as tx:
            d = await tx.deliveries.get(delivery_id)
            item = await tx.items.get(d.item_id) if d else None
            unit = await tx.units.get(d.unit_id) if d else None
        return (d, item, unit) if d and item and unit else None

    async def acknowledge_on_behalf(self, actor: Actor, delivery_id: int, reason: str) -> Delivery:
        """The duty desk signs for a unit it reached by phone; the reason is kept with the receipt."""
        require(actor, Action.DUTY_DESK)
        reason = reason.strip()
        if not reason:
            raise XietongError("delivery.reason_required")
        async with self.store.write() as tx:
            d, item = await self._get(tx, delivery_id)
            done = await acknowledge_in(tx, self.clock.now(), self.config, actor, d, item, AckVia.DUTY_DESK,
                                        reason[:500], ())
        self._published()
        return done

    async def resend(self, actor: Actor, delivery_id: int) -> None:
        """Send the notice again to the unit's clerks."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.write() as tx:
            d, item = await self._get(tx, delivery_id)
            check_can_acknowledge(d.state)
            await send_again_in(tx, now, actor, d, item, "item.resent", issued_text(item))
            await audit.record(tx, now, actor, "delivery.resend", f"delivery:{d.id}")
        self._published()

    async def reassign(self, actor: Actor, delivery_id: int, clerk_id: int) -> Delivery:
        """Make another clerk of the unit the one to call first, and tell them."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.write() as tx:
            d, item = await self._get(tx, delivery_id)
            check_can_acknowledge(d.state)
            clerk = next((c for c in await tx.users.with_role(Role.CLERK, d.unit_id) if c.id == clerk_id), None)
            if clerk is None:
                raise XietongError("delivery.bad_assignee")
            await tx.deliveries.set_assignee(d.id, clerk.id)
            event_id = await tx.events.add(now, "item.reassigned", item.id, item.sender_unit_id, d.id,
                                           d.unit_id, actor.user_id, by=actor.name, to=clerk.name)
            if clerk.phone:
                await tx.outbox.add_sms(now, event_id, d.id, clerk.id, clerk.phone, issued_text(item))
            await audit.record(tx, now, actor, "delivery.reassign", f"delivery:{d.id}", to=clerk.id)
            updated = await tx.deliveries.get(d.id)
        assert updated is not None
        self._published()
        return updated

    async def _get(self, tx: Tx, delivery_id: int) -> tuple[Delivery, Item]:
        d = await tx.deliveries.get(delivery_id)
        item = await tx.items.get(d.item_id) if d else None
        if d is None or item is None:
            raise XietongError("item.not_found")
        return d, item
