"""The duty desk (值班室): the board of everything past a step, and acting on a unit's behalf."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.items import AckVia, Delivery, Item, check_can_acknowledge
from hub.domain.permissions import Action, require
from hub.domain.sms_text import issued_text
from hub.errors import XietongError
from hub.services import audit
from hub.services.items import acknowledge_in
from hub.store import Store, Tx
from hub.store.items import Event, OutboxMessage


@dataclass(frozen=True)
class BoardEntry:
    delivery: Delivery
    item: Item
    unit: Unit
    sender: Unit
    clerks: list[User]
    leaders: list[User]
    assignee: User | None
    overdue: timedelta            # how long past the response window (negative: still within)
    timeline: list[Event]
    sms: list[OutboxMessage]


class DutyDeskService:
    def __init__(self, store: Store, clock: Clock, config: Config,
                 published: Callable[[], None] | None = None) -> None:
        self.store, self.clock, self.config = store, clock, config
        self._published = published or (lambda: None)   # events were committed: tell the feed

    async def board(self, actor: Actor) -> list[BoardEntry]:
        """Every open delivery on which a ladder step has run, the most overdue first."""
        require(actor, Action.DUTY_DESK)
        now = self.clock.now()
        async with self.store.read() as tx:
            deliveries = await tx.deliveries.past_a_step_open()
            return [await self._entry(tx, d, now) for d in deliveries]

    async def entry(self, actor: Actor, delivery_id: int) -> BoardEntry:
        require(actor, Action.DUTY_DESK)
        async with self.store.read() as tx:
            d = await tx.deliveries.get(delivery_id)
            if d is None:
                raise XietongError("item.not_found")
            return await self._entry(tx, d, self.clock.now())

    async def _entry(self, tx: Tx, d: Delivery, now: datetime) -> BoardEntry:
        item = await tx.items.get(d.item_id)
        unit = await tx.units.get(d.unit_id)
        assert item is not None and unit is not None
        sender = await tx.units.get(item.sender_unit_id)
        assert sender is not None
        clerks = await tx.users.with_role(Role.CLERK, d.unit_id)
        return BoardEntry(d, item, unit, sender, clerks, await tx.users.with_role(Role.LEADER, d.unit_id),
                          next((c for c in clerks if c.id == d.assignee_id), None), now - d.due_at,
                          await tx.events.for_delivery(d.id), await tx.outbox.for_delivery(d.id))

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
            event_id = await tx.events.add(now, "item.resent", item.id, item.sender_unit_id, d.id, d.unit_id,
                                           actor.user_id, by=actor.name)
            for clerk in await tx.users.with_role(Role.CLERK, d.unit_id):
                if clerk.phone:
                    await tx.outbox.add_sms(now, event_id, d.id, clerk.id, clerk.phone, issued_text(item))
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
