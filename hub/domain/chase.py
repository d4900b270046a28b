"""催办: the sender reminds every unit that has not signed for an item yet ("提醒未签收单位").

A manual chase is counted per delivery (the statistics show it); a unit chased a moment ago is
not chased again at once, so a double tap never sends the clerks two SMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hub.domain.items import Delivery, Item
from hub.errors import XietongError

CHASE_PAUSE = timedelta(minutes=5)      # a unit is chased at most once in this time


def due_for_chase(d: Delivery, chased_at: datetime | None, now: datetime) -> bool:
    return d.is_open and (chased_at is None or now - chased_at >= CHASE_PAUSE)


def deliveries_to_chase(actor_unit_id: int, item: Item, deliveries: Sequence[tuple[Delivery, datetime | None]],
                        now: datetime) -> list[Delivery]:
    """The open deliveries to remind now, given each with when it was last chased; refuses when
    the actor's unit is not the sender, when every unit has answered, or when all were just chased."""
    if actor_unit_id != item.sender_unit_id:
        raise XietongError("chase.not_sender")
    open_ones = [(d, at) for d, at in deliveries if d.is_open]
    if not open_ones:
        raise XietongError("chase.none_open")
    due = [d for d, at in open_ones if due_for_chase(d, at, now)]
    if not due:
        last = max(at for _, at in open_ones if at is not None)
        wait = CHASE_PAUSE - (now - last)
        raise XietongError("chase.too_soon", minutes=max(1, -(-int(wait.total_seconds()) // 60)))
    return due
