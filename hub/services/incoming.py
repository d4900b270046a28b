"""The incoming road (收文): registering a received document, and what a person may see of it.

Registering gives the document its number in the unit's 收文登记簿 (2026-0001, gapless: the
number is taken in the transaction that registers), its handling deadline (办理期限: by urgency,
in working days, unless given) and the road's first step, 初审, for the unit's clerks. A delivery
the unit signed for is registered from the item's fields, by a clerk or automatically at sign-for
(the unit's setting); a document that came on paper or from above outside the network is
registered by hand with its scans. The moves after that are `hub.services.incoming_moves`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from hub.calendar_source import china_calendar
from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST, WorkCalendar
from hub.domain.identity import Actor, Role
from hub.domain.incoming import INCOMING, ROAD, Registration, Source, State, receiving_number
from hub.domain.items import (
    Attachment,
    Delivery,
    DeliveryState,
    Item,
    ItemKind,
    find_classification_mark,
)
from hub.domain.permissions import Action, can, require
from hub.domain.roads import StepKind
from hub.errors import XietongError
from hub.services import audit
from hub.services.incoming_moves import IncomingMoves, MoveForm, moves_for
from hub.services.items import ItemService
from hub.services.roads import NewStep, apply_move
from hub.store import Store, Tx
from hub.store.incoming import Incoming, IncomingAttachment
from hub.store.items import AttachmentInfo
from hub.store.resend import files_for_unit
from hub.store.roads import HistoryRow, RoadStep

Confirm = Callable[[Actor, str, str, str], Awaitable[None]]
TodoChanged = Callable[[int], None]


# --- deadlines in working days ------------------------------------------------------------------

def end_of_day(calendar: WorkCalendar, day: date) -> datetime:
    """The end of a (working) day, local time: the calendar's closing hour, or 23:59:59."""
    closing = calendar.day_end or time(23, 59, 59)
    return datetime.combine(day, closing, CST).astimezone(UTC)


def working_days_after(calendar: WorkCalendar, start: date, days: int) -> datetime:
    """"N working days" from a day: counting starts on the next working day, and the deadline is
    the end of the Nth (a document received on Friday with 1 day is due at the end of Monday)."""
    day, left = start, days
    for _ in range(3660):
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
            if left <= 0:
                return end_of_day(calendar, day)
    raise ValueError("no working day within ten years")


def default_deadline(config: Config, calendar: WorkCalendar, urgency: str, received_on: date) -> datetime:
    c = config.incoming
    days = {"extra_urgent": c.extra_urgent_days, "urgent": c.urgent_days}.get(urgency, c.ordinary_days)
    return working_days_after(calendar, received_on, days)


@functools.lru_cache(maxsize=4)
def _calendar(holidays: str, workdays: str, hours: str) -> WorkCalendar:
    return china_calendar(holidays.replace(",", " ").split(), workdays.replace(",", " ").split(), hours)


def calendar_of(config: Config) -> WorkCalendar:
    """The calendar the hub builds from config (hub.app), for sign-for paths that have no hub."""
    c = config.calendar
    return _calendar(c.extra_holidays, c.extra_workdays, config.windows.working_hours)


# --- who may see a record ----------------------------------------------------------------------

def sees(actor: Actor, record: Incoming, steps: list[RoadStep]) -> bool:
    """People of the record's unit who may view received documents, and anyone who holds or held a
    step on it: the lead's and assisting units' people (clerks and leaders), a circulation's readers."""
    if can(actor, Action.VIEW_INCOMING, record.unit_id):
        return True
    for s in steps:
        if s.user_id is not None:
            if actor.user_id in (s.user_id, s.done_by):
                return True
        elif s.unit_id == actor.unit_id and can(actor, Action.VIEW_INCOMING, s.unit_id) or s.done_by == actor.user_id:
            return True
    return False


async def visible_record(tx: Tx, actor: Actor, record_id: int) -> tuple[Incoming, list[RoadStep]]:
    """The record and all its steps, or incoming.not_found for anyone the road gives no part."""
    record = await tx.incoming.get(record_id)
    steps = await tx.roads.steps_of(ROAD, record_id) if record else []
    if record is None or not sees(actor, record, steps):
        raise XietongError("incoming.not_found")
    return record, steps


# --- registering ---------------------------------------------------------------------------------

def registration_of(item: Item, delivery: Delivery, sender_name: str, **given: object) -> Registration:
    """The register's fields taken from a signed-for delivery (来文单位: the issuing office, or the
    sender unit's name; 收文日期: the sign-for date, local)."""
    assert delivery.acked_at is not None
    reg = Registration(from_unit=item.issuing_office.strip() or sender_name, title=item.title,
                       urgency=item.urgency.value, received_on=delivery.acked_at.astimezone(CST).date(),
                       from_number=item.doc_number, doc_kind=item.doc_kind, source=Source.NETWORK)
    return replace(reg, **given)   # type: ignore[arg-type]


async def register_in(tx: Tx, now: datetime, config: Config, calendar: WorkCalendar, actor: Actor,
                      unit_id: int, reg: Registration, delivery_id: int | None = None) -> int:
    """Number, record, history and the 初审 step, in the caller's transaction."""
    reg = reg.checked(now)
    deadline = reg.deadline or default_deadline(config, calendar, reg.urgency, reg.received_on)
    year = now.astimezone(CST).year
    seq = await tx.incoming.next_number(unit_id, year)
    record_id = await tx.incoming.add(unit_id, year, seq, reg, deadline, State.REGISTERED.value, actor.user_id,
                                      now, delivery_id)
    # the road's first move: made by whoever registers, or at sign-for by whoever signed
    number = receiving_number(year, seq)
    what: dict[str, object] = {"number": number, "source": reg.source.value}
    if delivery_id is not None:
        what["delivery_id"] = delivery_id
    await apply_move(tx, now, actor, INCOMING, record_id, unit_id, "", "register", note=number,
                     new_steps=[NewStep(StepKind.REVIEW, unit_id, Role.CLERK, due_at=deadline)], data=what)
    return record_id


async def register_delivery_in(tx: Tx, now: datetime, config: Config, calendar: WorkCalendar, actor: Actor,
                               delivery: Delivery, item: Item, **given: object) -> int:
    """登记 a delivery the unit signed for (by a clerk, or at sign-for by the unit's setting)."""
    if delivery.state is not DeliveryState.ACKED or delivery.acked_at is None:
        raise XietongError("incoming.not_signed_for")
    done = await tx.incoming.of_delivery(delivery.id)
    if done is not None:
        raise XietongError("incoming.already_registered", number=done.number)
    sender = await tx.units.get(item.sender_unit_id)
    reg = registration_of(item, delivery, sender.name if sender else "", **given)
    return await register_in(tx, now, config, calendar, actor, delivery.unit_id, reg, delivery.id)


async def auto_register_in(tx: Tx, now: datetime, config: Config, actor: Actor, delivery: Delivery,
                           item: Item) -> int | None:
    """At sign-for (hub.services.items.acknowledge_in): a document is registered at once where the
    unit's setting says so."""
    if item.kind is not ItemKind.DOCUMENT or not await tx.incoming.auto_register(delivery.unit_id):
        return None
    if await tx.incoming.of_delivery(delivery.id) is not None:
        return None
    return await register_delivery_in(tx, now, config, calendar_of(config), actor, delivery, item)


def check_scans(reg: Registration, scans: list[Attachment], limit: int) -> None:
    """Scans as item attachments are checked: no classification mark, names, the size limit."""
    mark = find_classification_mark(reg.title, reg.from_number, reg.from_unit, *(a.name for a in scans))
    if mark:
        raise XietongError("item.classified", mark=mark)
    total = sum(len(a.content) for a in scans)
    if total > limit:
        raise XietongError("item.attachments_too_large", limit_mb=_mb(limit), size_mb=_mb(total))
    for a in scans:
        if not a.name.strip() or "/" in a.name or "\\" in a.name or len(a.name) > 120:
            raise XietongError("item.bad_attachment_name")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


# --- what the record page shows -------------------------------------------------------------------

@dataclass(frozen=True)
class IncomingView:
    record: Incoming
    steps: list[RoadStep]                 # every step, open ones and done ones
    history: list[HistoryRow]
    attachments: list[IncomingAttachment]  # the scans (a network document's files are its item's)
    item: Item | None
    unit_names: dict[int, str]
    user_names: dict[int, str]
    moves: list[MoveForm]                 # the forms of the moves this viewer may make now
    assignable: list[tuple[int, str]]     # units the record may be assigned to (its unit's descendants)
    item_files: list[AttachmentInfo] = field(default_factory=list)   # a network document's, as received

    @property
    def open_steps(self) -> list[RoadStep]:
        return [s for s in self.steps if s.is_open]

    @property
    def opinions(self) -> list[RoadStep]:
        """The assisting units' opinions (协办意见) sent to the lead."""
        return [s for s in self.steps if s.kind == StepKind.ASSIST and s.state == "done"]

    def days_left(self, now: datetime) -> int:
        """Whole days to the deadline (negative: overdue by that many), local dates."""
        return (self.record.deadline.astimezone(CST).date() - now.astimezone(CST).date()).days


async def _item_files(tx: Tx, delivery: Delivery) -> list[AttachmentInfo]:
    """The item's files as this unit received them (a corrected re-send's replace the item's)."""
    return files_for_unit(await tx.items.attachments(delivery.item_id), await tx.rounds.attachments(delivery.item_id),
                          delivery.id)


async def descendants(tx: Tx, unit_id: int) -> list[tuple[int, str]]:
    """The units under a unit (its 内设机构 and theirs), by name order of the tree."""
    units = await tx.units.all()
    children: dict[int | None, list[int]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.id)
    names = {u.id: u.name for u in units}
    found: list[int] = []
    stack = list(reversed(children.get(unit_id, [])))
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(children.get(node, [])))
    return [(n, names[n]) for n in found]


class IncomingService(IncomingMoves):
    def __init__(self, store: Store, clock: Clock, config: Config, calendar: WorkCalendar, items: ItemService,
                 confirm: Confirm, todo_changed: TodoChanged = lambda unit_id: None) -> None:
        self.store, self.clock, self.config, self.calendar, self.items = store, clock, config, calendar, items
        self._confirm, self._todo_changed = confirm, todo_changed

    def _changed(self, units: set[int]) -> None:
        for unit_id in units:
            self._todo_changed(unit_id)

    # -- registering --------------------------------------------------------------------------

    async def register_delivery(self, actor: Actor, delivery_id: int, deadline: datetime | None = None,
                                reply_wanted: bool = False, copies: int = 1, pages: int = 1) -> Incoming:
        now = self.clock.now()
        async with self.store.write() as tx:
            delivery = await tx.deliveries.get(delivery_id)
            item = await tx.items.get(delivery.item_id) if delivery else None
            if delivery is None or item is None or not can(actor, Action.VIEW_ITEM, delivery.unit_id):
                raise XietongError("item.not_found")
            require(actor, Action.REGISTER_INCOMING, delivery.unit_id)
            record_id = await register_delivery_in(tx, now, self.config, self.calendar, actor, delivery, item,
                                                   deadline=deadline, reply_wanted=reply_wanted, copies=copies,
                                                   pages=pages)
            record = await tx.incoming.get(record_id)
        assert record is not None
        self._changed({record.unit_id})
        return record

    async def register_item(self, actor: Actor, item_id: int, **given: object) -> Incoming:
        """登记 the actor's unit's signed-for delivery of an item (the item page's button)."""
        async with self.store.read() as tx:
            delivery = await tx.deliveries.of_item_for_unit(item_id, actor.unit_id)
        if delivery is None:
            raise XietongError("item.not_found")
        return await self.register_delivery(actor, delivery.id, **given)  # type: ignore[arg-type]

    async def register_by_hand(self, actor: Actor, reg: Registration, scans: list[Attachment] = ()  # type: ignore[assignment]
                               ) -> Incoming:
        """A document that came on paper or from above outside the network, with its scans."""
        require(actor, Action.REGISTER_INCOMING, actor.unit_id)
        if reg.source is Source.NETWORK:
            raise XietongError("input.invalid", field="source")
        now = self.clock.now()
        reg = reg.checked(now)
        check_scans(reg, list(scans), self.config.items.attachment_limit_kib * 1024)
        async with self.store.write() as tx:
            record_id = await register_in(tx, now, self.config, self.calendar, actor, actor.unit_id, reg)
            for a in scans:
                await tx.incoming.add_attachment(record_id, a.name.strip(), a.content_type, a.content)
            record = await tx.incoming.get(record_id)
        assert record is not None
        self._changed({record.unit_id})
        return record

    async def of_delivery(self, actor: Actor, delivery_id: int) -> Incoming | None:
        """The record of a delivery of the actor's unit, if it is registered (the item page links it)."""
        async with self.store.read() as tx:
            record = await tx.incoming.of_delivery(delivery_id)
        return record if record is not None and can(actor, Action.VIEW_INCOMING, record.unit_id) else None

    async def auto_register(self, actor: Actor) -> bool:
        require(actor, Action.VIEW_INCOMING, actor.unit_id)
        async with self.store.read() as tx:
            return await tx.incoming.auto_register(actor.unit_id)

    async def set_auto_register(self, actor: Actor, on: bool) -> None:
        """The unit's setting: register a document at sign-for (its clerks; the unit admin)."""
        if not (can(actor, Action.REGISTER_INCOMING, actor.unit_id) or actor.has(Role.UNIT_ADMIN)):
            raise XietongError("perm.denied")
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.incoming.set_auto_register(actor.unit_id, on)
            await audit.record(tx, now, actor, "incoming.auto_register", f"unit:{actor.unit_id}", on=on)

    # -- reading ----------------------------------------------------------------------------

    async def of_unit(self, actor: Actor, states: list[str] | None = None) -> list[Incoming]:
        """The unit's records (and those it handles as lead), the newest first."""
        require(actor, Action.VIEW_INCOMING, actor.unit_id)
        async with self.store.read() as tx:
            return await tx.incoming.in_units([actor.unit_id], states)

    async def view(self, actor: Actor, record_id: int) -> IncomingView:
        async with self.store.read() as tx:
            record, steps = await visible_record(tx, actor, record_id)
            history = await tx.roads.history(ROAD, record_id)
            scans = await tx.incoming.attachments(record_id)
            delivery = await tx.deliveries.get(record.delivery_id) if record.delivery_id else None
            item = await tx.items.get(delivery.item_id) if delivery else None
            units = {u.id: u.name for u in await tx.units.all()}
            people = {h.actor_id for h in history} | {h.for_id for h in history} | {s.user_id for s in steps}
            people |= {s.done_by for s in steps}
            names = {u.id: u.name for u in (await tx.users.many(sorted(p for p in people if p is not None))).values()}
            assignable = await descendants(tx, record.unit_id)
            files = await _item_files(tx, delivery) if delivery else []
        moves = moves_for(actor, record, steps)
        return IncomingView(record, steps, history, scans, item, units, names, moves, assignable, files)

    async def item_file(self, actor: Actor, record_id: int, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
        """A file of the network document as the unit received it, for whoever sees the record (the lead
        and assisting units, a circulation's readers: they are no recipients of the item itself)."""
        async with self.store.read() as tx:
            record, _ = await visible_record(tx, actor, record_id)
            delivery = await tx.deliveries.get(record.delivery_id) if record.delivery_id else None
            files = await _item_files(tx, delivery) if delivery else []
            found = await tx.items.attachment_content(attachment_id) if any(
                f.id == attachment_id for f in files) else None
        if found is None:
            raise XietongError("incoming.not_found")
        return found

    async def attachment(self, actor: Actor, attachment_id: int) -> tuple[IncomingAttachment, bytes]:
        async with self.store.read() as tx:
            found = await tx.incoming.attachment(attachment_id)
            if found is None:
                raise XietongError("incoming.not_found")
            await visible_record(tx, actor, found[0].incoming_id)
        return found
