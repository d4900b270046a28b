"""Issuing urgent items and handling their deliveries (read, sign for, return)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST, WorkCalendar
from hub.domain.escalation import (
    WindowRules,
    ladder_snapshot,
    parse_ladder,
    response_window,
    step_due_times,
)
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.item_filters import ListFilter
from hub.domain.items import (
    AckVia,
    Delivery,
    DeliveryState,
    Item,
    ItemDraft,
    ItemKind,
    RecipientRole,
    Urgency,
    check_can_acknowledge,
    check_draft,
    receipt_number,
)
from hub.domain.permissions import Action, can, require
from hub.domain.sms_text import issued_text, withdrawn_text
from hub.errors import XietongError
from hub.services import audit
from hub.services.search import attachments_text, index_item_in
from hub.store import Store, Tx
from hub.store.items import AttachmentInfo, Event
from hub.store.resend import DeliveryRound, RoundAttachment, files_for_unit

Wake = Callable[[datetime], None]
NO_FILTER = ListFilter()


@dataclass(frozen=True)
class Attendee:
    name: str
    phone: str = ""


@dataclass(frozen=True)
class InboxEntry:
    delivery: Delivery
    item: Item
    sender: Unit


@dataclass(frozen=True)
class RecipientView:
    delivery: Delivery
    unit: Unit
    acked_by: User | None
    attendees: list[tuple[str, str]]


@dataclass(frozen=True)
class ItemView:
    item: Item
    sender: Unit
    attachments: list[AttachmentInfo]
    recipients: list[RecipientView]
    mine: Delivery | None                     # the viewer's unit's delivery, if it is a recipient
    events: list[Event] = field(default_factory=list)
    can_handle: bool = False                  # may sign for / return on the unit's behalf
    is_sender: bool = False
    rounds: list[DeliveryRound] = field(default_factory=list)       # earlier rounds of visible deliveries
    round_files: list[RoundAttachment] = field(default_factory=list)  # files added on re-sending them


def window_rules(config: Config) -> WindowRules:
    w = config.windows
    return WindowRules(extra_urgent=timedelta(minutes=w.extra_urgent_minutes),
                       urgent=timedelta(minutes=w.urgent_minutes),
                       meeting_notice=timedelta(minutes=w.meeting_notice_minutes),
                       ordinary=timedelta(hours=w.ordinary_hours))


def ladder_text(config: Config, kind: ItemKind, urgency: Urgency) -> str:
    e = config.escalation
    if urgency is Urgency.EXTRA_URGENT:
        return e.extra_urgent
    if urgency is Urgency.URGENT:
        return e.urgent
    return e.meeting_notice if kind is ItemKind.MEETING_NOTICE else e.ordinary


async def unit_people(tx: Tx, unit_id: int, role: Role) -> list[User]:
    return await tx.users.with_role(role, unit_id)


async def _at_once() -> None:
    return None


class ItemService:
    def __init__(self, store: Store, clock: Clock, config: Config, calendar: WorkCalendar,
                 wake: Wake | None = None, published: Callable[[], None] | None = None,
                 handed_out: Callable[[], Awaitable[None]] | None = None) -> None:
        self.store, self.clock, self.config, self.calendar = store, clock, config, calendar
        self._wake = wake or (lambda _due: None)
        self._published = published or (lambda: None)   # events were committed: tell the feed
        self._handed_out = handed_out or _at_once        # returns once the feed has sent them

    # -- issuing ------------------------------------------------------------------------

    async def issue(self, actor: Actor, draft: ItemDraft) -> Item:
        """One transaction: the item, a delivery per recipient unit, events, SMS outbox, first steps."""
        item, _ = await self.issue_with_deliveries(actor, draft)
        return item

    async def issue_with_deliveries(self, actor: Actor, draft: ItemDraft) -> tuple[Item, list[Delivery]]:
        """`issue`, also answering with the new deliveries, once the recipients' frames are out.

        With thousands of recipients, building (and encoding) this answer while the feed hands out
        their frames would delay them, so it waits for the feed. The deliveries are those written,
        not read back.
        """
        files_text = await asyncio.to_thread(attachments_text, draft.attachments)   # for search: before the writer
        async with self.store.write() as tx:
            item, recipients = await self._issue_in(tx, actor, draft, files_text)
        self.issued(item)
        await self._handed_out()
        return item, [Delivery(id=d, item_id=item.id, unit_id=u, role=role, state=DeliveryState.PENDING,
                               sent_at=item.issued_at, due_at=item.due_at, assignee_id=assignee, read_at=None,
                               read_by=None, acked_at=None, acked_by=None, ack_via=None, ack_note="",
                               receipt_no=None, returned_at=None, return_reason="", level=0, escalated_at=None)
                      for d, u, role, assignee in recipients]

    async def issue_in(self, tx: Tx, actor: Actor, draft: ItemDraft) -> Item:
        """Issue inside the caller's transaction (e.g. a document's dispatch); call `issued` after commit."""
        item, _ = await self._issue_in(tx, actor, draft, attachments_text(draft.attachments))
        return item

    async def _issue_in(self, tx: Tx, actor: Actor, draft: ItemDraft, files_text: str = ""
                        ) -> tuple[Item, list[tuple[int, int, RecipientRole, int | None]]]:
        """The item, and (delivery id, unit, role, assignee) of each delivery written; `files_text`: its
        attachments' text, for search."""
        require(actor, Action.ISSUE_ITEM, actor.unit_id)
        now = self.clock.now()
        check_draft(draft, now, self.config.items.attachment_limit_kib * 1024)
        window = response_window(draft.kind, draft.urgency, now, draft.meeting_at,
                                 window_rules(self.config), self.calendar)
        steps = parse_ladder(ladder_text(self.config, draft.kind, draft.urgency))
        due_times = step_due_times(steps, now, window, self.calendar)
        recipients = [(u, RecipientRole.MAIN) for u in draft.main_units]
        recipients += [(u, RecipientRole.COPY) for u in draft.copy_units]
        if await tx.units.missing([u for u, _ in recipients]):
            raise XietongError("item.bad_recipient")
        code = await self._short_code(tx)
        item_id = await tx.items.add(draft, actor.unit_id, actor.user_id, now, window.due_at,
                                     window.working_time, ladder_snapshot(steps, due_times), code)
        for a in draft.attachments:
            await tx.items.add_attachment(item_id, a)
        item = await tx.items.get(item_id)
        assert item is not None
        text = issued_text(item)
        # a handful of statements for all recipient units, not a round trip per unit and row
        first_clerk = await tx.users.first_with_role_by_unit(Role.CLERK, [u for u, _ in recipients])
        rows = [(u, role, first_clerk.get(u)) for u, role in recipients]     # (unit, role, assignee)
        delivery_ids = await tx.deliveries.add_many(item_id, rows, now, window.due_at)
        data = {role: {"role": role.value} for role in RecipientRole}
        event_ids = await tx.events.add_many(
            now, "item.issued", item_id, actor.unit_id,
            [(d, u, data[role]) for d, (u, role) in zip(delivery_ids, recipients)], actor.user_id)
        if delivery_ids:     # the SMS to each unit's clerks, the first step: in SQL, over the id ranges
            await tx.outbox.add_sms_to_units_people(now, event_ids[0], event_ids[-1], Role.CLERK.value, text)
            await tx.timers.add_for_deliveries(due_times[0], "step", 0, delivery_ids[0], delivery_ids[-1])
        await index_item_in(tx, item, {u for u, _ in recipients}, files_text)   # searchable as it exists
        await audit.record(tx, now, actor, "item.issue", f"item:{item_id}", kind=draft.kind.value,
                           urgency=draft.urgency.value, title=item.title,
                           recipients=[u for u, _ in recipients])
        return item, [(d, u, role, assignee) for d, (u, role, assignee) in zip(delivery_ids, rows)]

    def issued(self, item: Item) -> None:
        """After the issuing transaction committed: the feed, the SMS sender and the scheduler."""
        self._published()
        self._wake(datetime.fromisoformat(item.ladder[0]["due_at"]))

    def published(self) -> None:
        """After a caller's transaction wrote events or SMS through this service."""
        self._published()

    async def withdraw_in(self, tx: Tx, actor: Actor, item: Item, reason: str, text: str = "") -> None:
        """撤销: every open delivery is withdrawn, its escalation stops, and its clerks are told (by
        `text`: a cancelled meeting says so; by default that the item was withdrawn)."""
        now = self.clock.now()
        await tx.items.mark_withdrawn(item.id, now)
        text = text or withdrawn_text(item)
        for d in await tx.deliveries.for_item(item.id):
            if not d.is_open and d.state is not DeliveryState.ACKED:
                continue
            if d.is_open:
                await tx.deliveries.mark_withdrawn(d.id)
                await tx.timers.cancel_steps(d.id)
            event_id = await tx.events.add(now, "item.withdrawn", item.id, item.sender_unit_id, d.id, d.unit_id,
                                           actor.user_id, by=actor.signature, reason=reason)
            for clerk in await unit_people(tx, d.unit_id, Role.CLERK):
                if clerk.phone:
                    await tx.outbox.add_sms(now, event_id, d.id, clerk.id, clerk.phone, text)
        await audit.record(tx, now, actor, "item.withdraw", f"item:{item.id}", reason=reason)

    async def _short_code(self, tx: Tx) -> str:
        taken = await tx.items.open_short_codes()
        for _ in range(50):
            code = f"{secrets.randbelow(9000) + 1000}"
            if code not in taken:
                return code
        return f"{secrets.randbelow(90000) + 10000}"   # 9,000 open items: use five digits

    # -- what a unit sees -------------------------------------------------------------

    async def inbox(self, actor: Actor, only: ListFilter = NO_FILTER) -> list[InboxEntry]:
        """What the unit received (matching `only`), open ones first."""
        require(actor, Action.VIEW_ITEM, actor.unit_id)
        async with self.store.read() as tx:
            deliveries = await tx.lists.inbox(actor.unit_id, only)
            items = await tx.items.many(sorted({d.item_id for d in deliveries}))
            units = {u.id: u for u in await tx.units.all()}
        return [InboxEntry(d, items[d.item_id], units[items[d.item_id].sender_unit_id]) for d in deliveries]

    async def sent(self, actor: Actor, only: ListFilter = NO_FILTER) -> list[tuple[Item, list[Delivery]]]:
        """What the unit sent (matching `only`), newest first, with its deliveries."""
        require(actor, Action.VIEW_ITEM, actor.unit_id)
        async with self.store.read() as tx:
            items = await tx.lists.sent(actor.unit_id, only)
            return [(i, await tx.deliveries.for_item(i.id)) for i in items]

    async def view(self, actor: Actor, item_id: int, record_read: bool = True) -> ItemView:
        """An item as the viewer may see it; opening it as a recipient records *read*."""
        async with self.store.read() as tx:
            item = await tx.items.get(item_id)
            if item is None:
                raise XietongError("item.not_found")
            deliveries = await tx.deliveries.for_item(item_id)
        units_involved = [item.sender_unit_id, *(d.unit_id for d in deliveries)]
        if not can(actor, Action.VIEW_ITEM, units_involved):
            raise XietongError("item.not_found")
        mine = next((d for d in deliveries if d.unit_id == actor.unit_id), None)
        can_handle = mine is not None and can(actor, Action.HANDLE_DELIVERY, mine.unit_id)
        if record_read and mine is not None and mine.state is DeliveryState.PENDING:
            now = self.clock.now()
            async with self.store.write() as tx:
                current = await tx.deliveries.get(mine.id)
                if current is not None and current.state is DeliveryState.PENDING:
                    await tx.deliveries.mark_read(mine.id, actor.user_id, now)
                    await tx.events.add(now, "item.read", item.id, item.sender_unit_id, mine.id, mine.unit_id,
                                        actor.user_id, by=actor.signature)
            self._published()
        async with self.store.read() as tx:
            deliveries = await tx.deliveries.for_item(item_id)
            units = {u.id: u for u in await tx.units.all()}
            attachments = await tx.items.attachments(item_id)
            attendees = await tx.deliveries.attendees(item_id)
            ackers = {d.acked_by: await tx.users.get(d.acked_by) for d in deliveries if d.acked_by}
            events = await tx.events.for_item(item_id)
            rounds = await tx.rounds.of_item(item_id)
            round_files = await tx.rounds.attachments(item_id)
        is_sender = actor.unit_id == item.sender_unit_id
        visible = [d for d in deliveries if is_sender or d.unit_id == actor.unit_id
                   or can(actor, Action.DUTY_DESK)]
        recipients = [RecipientView(d, units[d.unit_id], ackers.get(d.acked_by) if d.acked_by else None,
                                    [(n, p) for did, n, p in attendees if did == d.id]) for d in visible]
        mine = next((d for d in deliveries if d.unit_id == actor.unit_id), None)
        seen = {d.id for d in visible}
        if mine is not None and not is_sender:      # a unit sent a corrected round sees its files
            attachments = files_for_unit(attachments, round_files, mine.id)
        return ItemView(item, units[item.sender_unit_id], attachments, recipients, mine,
                        [e for e in events if e.delivery_id is None or e.delivery_id in seen],
                        can_handle, is_sender, [r for r in rounds if r.delivery_id in seen],
                        [f for f in round_files if f.delivery_id in seen])

    async def attachment(self, actor: Actor, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
        async with self.store.read() as tx:
            found = await tx.items.attachment_content(attachment_id)
            for_delivery = await tx.rounds.attachment_delivery(attachment_id)
        if found is None:
            raise XietongError("not_found")
        view = await self.view(actor, found[0].item_id, record_read=False)   # the same visibility rule
        if for_delivery is not None and for_delivery not in {r.delivery.id for r in view.recipients}:
            raise XietongError("not_found")      # a file re-sent to another unit
        return found

    # -- signing for, returning ---------------------------------------------------------

    async def acknowledge(self, actor: Actor, delivery_id: int, via: AckVia = AckVia.WEB,
                          attendees: Sequence[Attendee] = (), note: str = "") -> Delivery:
        """签收 for the actor's unit: a receipt to the sender, and escalation stops for good."""
        async with self.store.write() as tx:
            delivery, item = await self._delivery(tx, delivery_id, actor)
            done = await acknowledge_in(tx, self.clock.now(), self.config, actor, delivery, item, via,
                                        note, attendees)
        self._published()
        self._after_ack(done, item)
        return done

    async def acknowledge_in_tx(self, tx: Tx, actor: Actor, delivery_id: int, via: AckVia,
                                note: str = "") -> tuple[Delivery, Item]:
        """`acknowledge` inside the caller's transaction (an SMS reply records its MessageSid in the
        same one, so a repeat finds it); call `acknowledged` once it committed."""
        delivery, item = await self._delivery(tx, delivery_id, actor)
        done = await acknowledge_in(tx, self.clock.now(), self.config, actor, delivery, item, via, note, ())
        return done, item

    def acknowledged(self, delivery: Delivery, item: Item) -> None:
        """After a caller's transaction signed for a delivery through `acknowledge_in_tx`."""
        self._published()
        self._after_ack(delivery, item)

    async def return_item(self, actor: Actor, delivery_id: int, reason: str) -> Delivery:
        """退回: the unit sends the item back with a reason; the sender sees it."""
        reason = reason.strip()
        if not reason:
            raise XietongError("delivery.reason_required")
        now = self.clock.now()
        async with self.store.write() as tx:
            delivery, item = await self._delivery(tx, delivery_id, actor)
            await refuse_if_signed_for(tx, delivery)
            check_can_acknowledge(delivery.state)
            await tx.deliveries.mark_returned(delivery.id, now, reason[:500])
            await tx.timers.cancel_steps(delivery.id)
            await tx.events.add(now, "item.returned", item.id, item.sender_unit_id, delivery.id,
                                delivery.unit_id, actor.user_id, by=actor.signature, reason=reason[:500])
            await audit.record(tx, now, actor, "delivery.return", f"delivery:{delivery.id}", reason=reason[:500])
            updated = await tx.deliveries.get(delivery.id)
        assert updated is not None
        self._published()
        return updated

    async def _delivery(self, tx: Tx, delivery_id: int, actor: Actor) -> tuple[Delivery, Item]:
        """The delivery and its item; one the actor may not even see does not exist for them."""
        delivery = await tx.deliveries.get(delivery_id)
        item = await tx.items.get(delivery.item_id) if delivery else None
        if delivery is None or item is None or not can(actor, Action.VIEW_ITEM,
                                                       [item.sender_unit_id, delivery.unit_id]):
            raise XietongError("item.not_found")
        require(actor, Action.HANDLE_DELIVERY, delivery.unit_id)
        return delivery, item

    def _after_ack(self, delivery: Delivery, item: Item) -> None:
        if item.kind is ItemKind.MEETING_NOTICE and item.meeting_at is not None:
            self._wake(item.meeting_at - timedelta(minutes=self.config.windows.meeting_reminder_minutes))


async def acknowledge_in(tx: Tx, now: datetime, config: Config, actor: Actor, delivery: Delivery, item: Item,
                         via: AckVia, note: str, attendees: Sequence[Attendee]) -> Delivery:
    """The one way a delivery is signed for, whoever does it and however (web, SMS, chat, duty desk).

    The same person signing for it again (a retry whose first answer was lost on a bad link) gets
    the delivery as it was signed for, with its receipt, and nothing is written; anyone else is told
    who signed for it and when.
    """
    if delivery.state is DeliveryState.ACKED and delivery.acked_by == actor.user_id:
        return delivery
    await refuse_if_signed_for(tx, delivery)
    check_can_acknowledge(delivery.state)
    receipt_no = receipt_number(item.issued_at, delivery.id, delivery.round)
    updated = await tx.deliveries.mark_acked(delivery.id, actor.user_id, now, via, note, receipt_no)
    assert updated is not None      # its state was checked above, under the write lock
    await tx.timers.cancel_steps(delivery.id)
    names = []
    for a in attendees:
        if a.name.strip():
            await tx.deliveries.add_attendee(delivery.id, a.name.strip()[:40], a.phone)
            names.append(a.name.strip()[:40])
    if item.kind is ItemKind.MEETING_NOTICE and item.meeting_at is not None:
        remind_at = item.meeting_at - timedelta(minutes=config.windows.meeting_reminder_minutes)
        if remind_at > now:
            await tx.timers.add(remind_at, "meeting_reminder", delivery.id, 0)
    await tx.events.add_several(now, item.id, item.sender_unit_id, delivery.id, delivery.unit_id, actor.user_id, [
        ("item.acked", {"by": actor.signature, "via": via.value, "receipt_no": receipt_no, "note": note,
                        "attendees": names}),
        ("receipt", {"receipt_no": receipt_no, "unit": actor.unit_name if via is not AckVia.DUTY_DESK else "",
                     "by": actor.signature, "via": via.value})])
    await audit.record(tx, now, actor, "delivery.ack", f"delivery:{delivery.id}", via=via.value,
                       receipt_no=receipt_no, note=note)
    if delivery.round > 1:          # a corrected re-send: its incoming record takes the second round
        from hub.services.resend import signed_for_again_in
        await signed_for_again_in(tx, now, actor, updated)
    from hub.services.incoming import auto_register_in  # the unit's setting: 登记 at sign-for
    await auto_register_in(tx, now, config, actor, updated, item)
    return updated


async def refuse_if_signed_for(tx: Tx, delivery: Delivery) -> None:
    """A delivery already signed for: 409 saying by whom and when (Beijing time)."""
    if delivery.state is not DeliveryState.ACKED:
        return
    by = await tx.users.get(delivery.acked_by) if delivery.acked_by is not None else None
    when = delivery.acked_at.astimezone(CST).strftime("%Y-%m-%d %H:%M") if delivery.acked_at else "?"
    name = by.name if by else "?"
    raise XietongError("delivery.already_acked", by_en=f" by {name} at {when} (Beijing time)",
                       by_zh=f"由{name}于 {when} ")
