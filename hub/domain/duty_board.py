"""What the duty desk's board (值班室看板) shows, and in which order: pure rules.

The board shows every open 特急 / 加急 item — sent today, or with a recipient delivery still
open — with each recipient unit's state, before anything escalates; and any item of whatever
urgency with an open delivery a ladder step has run on. Items with an escalated delivery come
first (the most overdue first), then the other open ones by the time left in their window,
then today's finished ones, the newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from hub.domain.calendar import CST
from hub.domain.items import Delivery, DeliveryState, Item

BOARD_URGENCIES = ("extra_urgent", "urgent")


def day_start(now: datetime) -> datetime:
    """The start (00:00 Beijing time, in UTC) of the day `now` is in: 'sent today'."""
    local = now.astimezone(CST)
    return datetime.combine(local.date(), time(0), CST).astimezone(UTC)


def time_left(d: Delivery, now: datetime) -> timedelta:
    """Time left in the response window; negative: overdue by that much."""
    return d.due_at - now


def is_escalated(d: Delivery) -> bool:
    """Open and past the window's last ladder step: it reached the duty desk."""
    return d.is_open and d.escalated_at is not None


def unit_order(d: Delivery) -> tuple[int, datetime, int, int]:
    """Within an item: escalated units first, then unread, then read, then the finished ones."""
    if is_escalated(d):
        return (0, d.due_at, 0, d.id)
    if d.is_open:
        return (1, d.due_at, 0 if d.state is DeliveryState.PENDING else 1, d.id)
    return (2, d.due_at, 0, d.id)


def item_order(item: Item, deliveries: Sequence[Delivery]) -> tuple[int, float, int]:
    """Escalated items first (most overdue first), then open ones by time left, then done ones."""
    escalated = [d.due_at for d in deliveries if is_escalated(d)]
    if escalated:
        return (0, min(escalated).timestamp(), item.id)
    still_open = [d.due_at for d in deliveries if d.is_open]
    if still_open:
        return (1, min(still_open).timestamp(), item.id)
    return (2, -item.issued_at.timestamp(), -item.id)


def unit_counts(deliveries: Sequence[Delivery]) -> dict[str, int]:
    """How many units are unread / read / signed for / escalated / otherwise closed."""
    counts = {"pending": 0, "read": 0, "acked": 0, "escalated": 0, "closed": 0}
    for d in deliveries:
        if is_escalated(d):
            counts["escalated"] += 1
        if d.state is DeliveryState.PENDING:
            counts["pending"] += 1
        elif d.state is DeliveryState.READ:
            counts["read"] += 1
        elif d.state is DeliveryState.ACKED:
            counts["acked"] += 1
        else:
            counts["closed"] += 1
    return counts
