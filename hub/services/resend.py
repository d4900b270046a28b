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
from typing import Any

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
from hub.services.items import window_rules  # items imports this module only inside acknowledge_in
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
                        actor.user_id, by=actor.signature, reason=reason[:500], after_review=True, round=delivery.round,
                        receipt_no=delivery.receipt_no)
    await audit.record(tx, now, actor, "delivery.return_after_review", f"delivery:{delivery.id}",
                       reason=reason[:500], round=delivery.round, receipt_no=delivery.receipt_no or "")


async def signed_for_again_in(tx: Tx, now: datetime, actor: Actor, delivery: Delivery) -> set[int]:
    """A re-sent round was signed for (from `acknowledge_in`): its incoming record, returned at
    初审, takes the 'resent' move back to 登记 with the same 收文编号 and a new 初审 step. Like the
    register move, it may be made by whoever signed (a duty officer on the unit's behalf), so the
    move is one that follows the sign-for (the road's engine checks no step of its own). The units
    whose to-do lists changed."""
    from hub.domain.incoming import INCOMING, State
    from hub.domain.roads import StepKind
    from hub.services.roads import NewStep, apply_move

    if delivery.round <= 1:
        return set()
    record = await tx.incoming.of_delivery(delivery.id)
    if record is None or record.state != State.RETURNED.value:
        return set()
    moved = await apply_move(tx, now, actor, INCOMING, record.id, record.unit_id, record.state, "resent",
                             note=record.number, new_steps=[NewStep(StepKind.REVIEW, record.unit_id, Role.CLERK,
                                                                    due_at=max(record.deadline, now))],
                             number=record.number, round=delivery.round, receipt_no=delivery.receipt_no or "",
                             delivery_id=delivery.id)
    await tx.incoming.set_state(record.id, moved.state, now)
    return {record.unit_id}


def reissued_text(item: Item, due_at: datetime) -> str:
    """The SMS to the unit's clerks: the corrected document, and the new time to sign for it."""
    return _fit(lambda t: f"{PREFIX}已更正重发：{label(item)}《{t}》，请于{_when(due_at)}前签收。"
                          f"回复“签收 {item.short_code}”。", item.title)


class ResendService:
    def __init__(self, store: Store, clock: Clock, config: Config, calendar: WorkCalendar,
                 wake: Wake | None = None, published: Callable[[], None] | None = None) -> None:
        self.store, self.clock, self.config, self.calendar = store, clock, config, calendar
        self._wake = wake or (lambda _due: None)
        self._published = published or (lambda: None)

    async def resend(self, actor: Actor, delivery_id: int, note: str, files: list[NewFile] = (),  # type: ignore[assignment]
                     item_id: int | None = None) -> Delivery:
        """The sender corrected a returned document: it goes to that unit again as the next round
        (`item_id`: the item the delivery must be of, as the URL names it)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            delivery, first_due = await resend_in(tx, now, self.config, self.calendar, actor, delivery_id, note,
                                                  list(files), item_id)
        self._published()
        self._wake(first_due)
        return delivery


async def resend_in(tx: Tx, now: datetime, config: Config, calendar: WorkCalendar, actor: Actor, delivery_id: int,
                    note: str, files: list[NewFile], item_id: int | None = None) -> tuple[Delivery, datetime]:
    """`resend` in the caller's transaction: the delivery as re-sent, and its first step's due time."""
    delivery, item = await _delivery_and_item(tx, actor, delivery_id)
    if item_id is not None and delivery.item_id != item_id:
        raise XietongError("item.not_found")
    if actor.unit_id != item.sender_unit_id:
        raise XietongError("resend.not_sender")
    require(actor, Action.ISSUE_ITEM, item.sender_unit_id)
    note = note.strip()
    if item.withdrawn_at is not None:
        raise XietongError("resend.withdrawn")
    if delivery.state is not DeliveryState.RETURNED:
        raise XietongError("resend.not_returned", state=delivery.state.value)
    if not note:
        raise XietongError("resend.note_required")
    if len(note) > NOTE_LIMIT:
        raise XietongError("resend.note_too_long", limit=NOTE_LIMIT)
    if item.meeting_at is not None and item.meeting_at <= now:
        raise XietongError("resend.meeting_over")
    await _check_files(tx, config, item, delivery, note, files)
    window = response_window(item.kind, item.urgency, now, item.meeting_at, window_rules(config), calendar)
    steps = snapshot_steps(item.ladder)
    due_times = step_due_times(steps, now, window, calendar)
    if not await tx.rounds.start_next_round(delivery.id, now, window.due_at, ladder_snapshot(steps, due_times),
                                            actor.user_id, note):
        raise XietongError("resend.not_returned", state=delivery.state.value)
    round_ = delivery.round + 1
    for f in files:
        await tx.rounds.add_attachment(item.id, delivery.id, round_, f.attachment, f.replaces)
    await tx.timers.cancel_steps(delivery.id)
    await tx.timers.add(due_times[0], "step", delivery.id, 0)     # the ladder again, from the start
    names = [f.attachment.name for f in files]
    event_id = await tx.events.add(now, "item.reissued", item.id, item.sender_unit_id, delivery.id, delivery.unit_id,
                                   actor.user_id, by=actor.signature, note=note, round=round_, files=names,
                                   due_at=window.due_at.isoformat())
    text = reissued_text(item, window.due_at)
    for clerk in await tx.users.with_role(Role.CLERK, delivery.unit_id):
        if clerk.phone:
            await tx.outbox.add_sms(now, event_id, delivery.id, clerk.id, clerk.phone, text)
    await audit.record(tx, now, actor, "delivery.resend_corrected", f"delivery:{delivery.id}", round=round_, note=note,
                       files=names)
    updated = await tx.deliveries.get(delivery.id)
    assert updated is not None
    return updated, due_times[0]


LIVE_STATES = (DeliveryState.PENDING.value, DeliveryState.READ.value, DeliveryState.ACKED.value)


async def reissue_in(tx: Tx, now: datetime, config: Config, calendar: WorkCalendar, actor: Actor, item: Item,
                     text: Callable[[datetime], str], note: str, **data: Any) -> datetime | None:
    """A changed item (a meeting's new time or room): every live delivery — pending, read or signed
    for; not returned or withdrawn — starts its next round, in the caller's transaction: pending
    again with a window and ladder from now (`item` as changed: a meeting notice's window ends at
    its new time), its old timers (ladder, meeting reminder) gone, an `item.reissued` event with
    `note` and `data`, the SMS `text(new due time)` to the unit's clerks. Signing for the new round is confirming
    again (its meeting reminder is set then, at the new time). The first step's due time of the new
    ladders (None: no live delivery); the caller calls `published()` and wakes the scheduler."""
    window = response_window(item.kind, item.urgency, now, item.meeting_at, window_rules(config), calendar)
    steps = snapshot_steps(item.ladder)
    due_times = step_due_times(steps, now, window, calendar)
    ladder = ladder_snapshot(steps, due_times)
    sms = text(window.due_at)
    first: datetime | None = None
    for d in await tx.deliveries.for_item(item.id):
        if not await tx.rounds.start_next_round(d.id, now, window.due_at, ladder, actor.user_id, note, LIVE_STATES):
            continue
        await tx.timers.cancel_all(d.id)
        await tx.timers.add(due_times[0], "step", d.id, 0)
        first = due_times[0]
        event_id = await tx.events.add(now, "item.reissued", item.id, item.sender_unit_id, d.id, d.unit_id,
                                       actor.user_id, by=actor.signature, note=note, round=d.round + 1, files=[],
                                       due_at=window.due_at.isoformat(), **data)
        for clerk in await tx.users.with_role(Role.CLERK, d.unit_id):
            if clerk.phone:
                await tx.outbox.add_sms(now, event_id, d.id, clerk.id, clerk.phone, sms)
    await audit.record(tx, now, actor, "item.reissue", f"item:{item.id}", note=note, **data)
    return first


async def _check_files(tx: Tx, config: Config, item: Item, delivery: Delivery, note: str,
                       files: list[NewFile]) -> None:
    """As on issue: no classification mark, proper names, and what the unit receives within the limit."""
    mark = find_classification_mark(note, *(f.attachment.name for f in files))
    if mark:
        raise XietongError("item.classified", mark=mark)
    for f in files:
        a = f.attachment
        if not a.name.strip() or "/" in a.name or "\\" in a.name or len(a.name) > 120:
            raise XietongError("item.bad_attachment_name")
    own = await tx.items.attachments(item.id)
    earlier = [r for r in await tx.rounds.attachments(item.id) if r.delivery_id == delivery.id]
    replaceable = {a.id for a in own} | {r.info.id for r in earlier}
    if any(f.replaces is not None and f.replaces not in replaceable for f in files):
        raise XietongError("resend.bad_replaced")
    gone = {r.replaces_id for r in earlier} | {f.replaces for f in files}
    kept = [a.size for a in own if a.id not in gone] + [r.info.size for r in earlier if r.info.id not in gone]
    total = sum(kept) + sum(len(f.attachment.content) for f in files)
    limit = config.items.attachment_limit_kib * 1024
    if total > limit:
        raise XietongError("item.attachments_too_large", limit_mb=_mb(limit), size_mb=_mb(total))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".")
