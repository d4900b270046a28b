"""催办: the sender reminds every unit that has not signed for an item yet, and sending a notice
again to a unit's clerks (the duty desk's re-send and the sender's chase share it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.clock import Clock
from hub.domain.chase import deliveries_to_chase
from hub.domain.identity import Actor, Role
from hub.domain.items import Delivery, Item
from hub.domain.permissions import Action, can, require
from hub.domain.sms_text import chase_text
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx


async def send_again_in(tx: Tx, now: datetime, actor: Actor, d: Delivery, item: Item, event_type: str,
                        text: str) -> int:
    """An event for the unit (its phones get it live) and the SMS `text` to each of its clerks; the
    caller calls `published()` after commit. The event's id."""
    event_id = await tx.events.add(now, event_type, item.id, item.sender_unit_id, d.id, d.unit_id,
                                   actor.user_id, by=actor.signature)
    for clerk in await tx.users.with_role(Role.CLERK, d.unit_id):
        if clerk.phone:
            await tx.outbox.add_sms(now, event_id, d.id, clerk.id, clerk.phone, text)
    return event_id


class ChaseService:
    def __init__(self, store: Store, clock: Clock, published: Callable[[], None] | None = None) -> None:
        self.store, self.clock = store, clock
        self._published = published or (lambda: None)   # events and SMS were committed

    async def remind_unsigned(self, actor: Actor, item_id: int) -> list[Delivery]:
        """提醒未签收单位: a push and an SMS to the clerks of every unit of the item that has not
        signed for it (nor returned it), each counted as one manual chase; the deliveries reminded."""
        now = self.clock.now()
        async with self.store.write() as tx:
            item = await tx.items.get(item_id)
            deliveries = await tx.deliveries.for_item(item_id) if item else []
            if item is None or not can(actor, Action.VIEW_ITEM,
                                       [item.sender_unit_id, *(d.unit_id for d in deliveries)]):
                raise XietongError("item.not_found")
            last = await tx.chases.last_chased(item_id)
            targets = deliveries_to_chase(actor.unit_id, item, [(d, last.get(d.id)) for d in deliveries], now)
            require(actor, Action.ISSUE_ITEM, item.sender_unit_id)
            reminded = await remind_in(tx, now, actor, item, targets, chase_text(item, actor.unit_name or "发文单位"))
        self._published()
        return reminded


async def remind_in(tx: Tx, now: datetime, actor: Actor, item: Item, targets: list[Delivery], text: str,
                    meeting_id: int | None = None) -> list[Delivery]:
    """催办 these deliveries in the caller's transaction: a push and the SMS `text` to each unit's
    clerks, each counted as one manual chase, one audit row; the deliveries as reminded. The caller
    chose them (`deliveries_to_chase`, or a meeting's units without a current reply)."""
    for d in targets:
        await send_again_in(tx, now, actor, d, item, "item.chased", text)
        await tx.chases.count(d.id, now)
    units = [d.unit_id for d in targets]
    if meeting_id is None:
        await audit.record(tx, now, actor, "item.chase", f"item:{item.id}", units=units)
    else:           # 催报 of a meeting's replies
        await audit.record(tx, now, actor, "item.chase", f"item:{item.id}", units=units, meeting=meeting_id)
    reminded = await tx.deliveries.many([d.id for d in targets])
    return [reminded[d.id] for d in targets if d.id in reminded]
