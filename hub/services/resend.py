"""退文 after sign-for, and the sender's correction and re-send: a delivery's rounds.

A unit that signed for a document can still send it back at its first review (初审: wrong
recipient, a missing attachment, not in format): `return_delivery_in`, called by the incoming
road's 'return' move in its transaction. The delivery is `returned` with the reason; its sign-for
and receipt stay on the row. The sender sees it live (an `item.returned` event with
`after_review: true`), corrects it and sends it to that unit again (`ResendService.resend`): the
ended round is kept in delivery_rounds, and the delivery is pending again as round 2 (3, ...) with
a response window and escalation ladder that start from the re-send, the unit's clerks texted as on
issue, an `item.reissued` event. Signing for it again gives a receipt of its own
(HZ20261124-000042-2) and moves the incoming record by the 'resent' move, back to 登记 with the
same 收文编号 (`signed_for_again_in`, from `acknowledge_in`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import WorkCalendar
from hub.domain.escalation import ladder_snapshot, response_window, snapshot_steps, step_due_times
from hub.domain.identity import Actor, Role
from hub.domain.items import Attachment, Delivery, DeliveryState, Item, find_classification_mark
from hub.domain.permissions import Action, can, require
from hub.domain.sms_text import PREFIX, _fit, _when, label
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx

NOTE_LIMIT = 500
Wake = Callable[[datetime], None]


@dataclass(frozen=True)
class NewFile:
    """A file added on re-sending; `replaces`: the item's attachment it stands in for (that unit's)."""
    attachment: Attachment
    replaces: int | None = None


async def _delivery_and_item(tx: Tx, actor: Actor, delivery_id: int) -> tuple[Delivery, Item]:
    """One the actor may not even see does not exist for them."""
    delivery = await tx.deliveries.get(delivery_id)
    item = await tx.items.get(delivery.item_id) if delivery else None
    if delivery is None or item is None or not can(actor, Action.VIEW_ITEM, [item.sender_unit_id, delivery.unit_id]):
        raise XietongError("item.not_found")
    return delivery, item


async def return_delivery_in(tx: Tx, now: datetime, actor: Actor, delivery_id: int, reason: str) -> None:
    """退文 at 初审: a signed-for delivery goes back to its sender with the reason, in the caller's
    transaction (the incoming road's 'return' move). The caller tells the feed after the commit
    (`hub.items.published()`): the sender's connections get `item.returned` with `after_review`."""
    reason = reason.strip()
    if not reason:
        raise XietongError("delivery.reason_required")
    delivery, item = await _delivery_and_item(tx, actor, delivery_id)
    require(actor, Action.HANDLE_DELIVERY, delivery.unit_id)
    if delivery.state is not DeliveryState.ACKED:
        raise XietongError("resend.not_signed_for", state=delivery.state.value)
    await tx.rounds.mark_returned_after_ack(delivery.id, now, reason[:500])
    await tx.events.add(now, "item.returned", item.id, item.sender_unit_id, delivery.id, delivery.unit_id,
                        actor.user_id, by=actor.name, reason=reason[:500], after_review=True, round=delivery.round,
                        receipt_no=delivery.receipt_no)
    await audit.record(tx, now, actor, "delivery.return_after_review", f"delivery:{delivery.id}",
                       reason=reason[:500], round=delivery.round, receipt_no=delivery.receipt_no or "")


def reissued_text(item: Item, due_at: datetime) -> str:
    """The SMS to the unit's clerks: the corrected document, and the new time to sign for it."""
    return _fit(lambda t: f"{PREFIX}已更正重发：{label(item)}《{t}》，请于{_when(due_at)}前签收。"
                          f"回复“签收 {item.short_code}”。", item.title)
