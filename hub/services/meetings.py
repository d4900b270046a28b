"""Meetings (会议管理): call one, change, postpone or cancel it, the units' attendance replies
(参会回执), the organiser's page (who answered, who comes, who is silent, with their phones) and
its chase (催报), the lists. One transaction per use-case.

A meeting's notice is an urgent item of kind meeting_notice (hub/services/items.py), issued in
the calling transaction. A change re-sends it to every unit as a new delivery round
(`hub.services.resend.reissue_in`): signing for the new round is confirming again, and a reply to
an older version shows as 待重新确认 until the unit replies again. Postponing stops the ladders
and reminders until a change gives the new time; cancelling withdraws the notice (every timer
stops). The sign-in (签到) and the attendance lists build on the rows written here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import WorkCalendar
from hub.domain.chase import CHASE_PAUSE
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.items import AckVia, Delivery, DeliveryState, Item, ItemDraft, ItemKind
from hub.domain.meetings import (
    Conflict,
    Meeting,
    MeetingDraft,
    MeetingState,
    Move,
    ReplyAttendee,
    check_draft,
    check_move,
    check_note,
    check_reason,
    check_reply,
    check_room,
    check_time,
    notice_body,
    span_text,
    units_to_chase,
)
from hub.domain.permissions import Action, can, require
from hub.domain.sms_text import (
    meeting_cancelled_text,
    meeting_changed_text,
    meeting_chase_text,
    meeting_postponed_text,
)
from hub.errors import XietongError
from hub.services import audit
from hub.services.chase import remind_in, send_again_in
from hub.services.items import ItemService, acknowledge_in
from hub.services.resend import LIVE_STATES, reissue_in
from hub.store import Store, Tx
from hub.store.meetings import AttendeeRow, Reply

Wake = Callable[[datetime], None]


@dataclass(frozen=True)
class Attendee:
    """One person coming, as the pages show them."""
    row: AttendeeRow
    name: str
    phone: str
    substitute_for: str          # the invited person's name ("" if nobody)


@dataclass(frozen=True)
class UnitReply:
    """An invited unit on the organiser's page: its notice, its reply, who comes, whom to call."""
    unit: Unit
    delivery: Delivery
    reply: Reply | None
    stale: bool                  # replied to an older version of the meeting: 待重新确认
    attendees: list[Attendee]
    contacts: list[User]         # the unit's clerks (names, phones): to call while it is silent

    @property
    def answered(self) -> bool:
        """Replied to the current version."""
        return self.reply is not None and not self.stale

    @property
    def live(self) -> bool:
        return self.delivery.state.value in LIVE_STATES


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    item: Item
    organiser_unit: Unit
    organiser: User | None
    invitees: list[User]
    units: list[UnitReply]               # every invited unit (organiser, duty desk); else the viewer's only
    mine: UnitReply | None               # the viewer's unit, if invited
    is_organiser: bool                   # the viewer may change, postpone, cancel, chase
    can_reply: bool                      # the viewer may reply for their unit now
    unit_people: list[User] = field(default_factory=list)   # the viewer's unit's people (the reply form)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def answered(self) -> list[UnitReply]:
        return [u for u in self.units if u.answered]

    @property
    def silent(self) -> list[UnitReply]:
        return [u for u in self.units if u.live and not u.answered]

    @property
    def coming_count(self) -> int:
        return sum(len(u.attendees) for u in self.units if u.answered and u.reply and u.reply.coming)


@dataclass(frozen=True)
class MeetingRow:
    """A line of /meetings."""
    meeting: Meeting
    organiser_unit: str
    organised: bool                      # the viewer's unit called it
    reply: Reply | None                  # the viewer's unit's reply (an invited unit)
    stale: bool


class MeetingService:
    def __init__(self, store: Store, clock: Clock, config: Config, calendar: WorkCalendar, items: ItemService,
                 wake: Wake | None = None, published: Callable[[], None] | None = None) -> None:
        self.store, self.clock, self.config, self.calendar, self.items = store, clock, config, calendar, items
        self._wake = wake or (lambda _due: None)
        self._published = published or (lambda: None)

    # -- calling, changing, postponing, cancelling ------------------------------------------

    async def call(self, actor: Actor, draft: MeetingDraft) -> Meeting:
        """召集: the notice to the invited units and the meeting's rows, in one transaction."""
        require(actor, Action.MANAGE_MEETINGS, actor.unit_id)
        now = self.clock.now()
        async with self.store.write() as tx:
            invitees = await tx.users.many(list(dict.fromkeys(draft.invitees)))
            check_draft(draft, now, {u.id: u.unit_id for u in invitees.values()})
            if await tx.units.missing([*draft.main_units, *draft.copy_units]):
                raise XietongError("item.bad_recipient")
            assert draft.starts_at is not None and draft.ends_at is not None
            room = check_room(draft.room)
            names = [invitees[u].name for u in dict.fromkeys(draft.invitees)]
            body = notice_body(draft.agenda, draft.starts_at, draft.ends_at, room, names,
                               span_text(draft.starts_at, draft.ends_at))
            item = await self.items.issue_in(tx, actor, ItemDraft(
                kind=ItemKind.MEETING_NOTICE, urgency=draft.urgency, title=draft.title, body=body,
                main_units=draft.main_units, copy_units=draft.copy_units, meeting_at=draft.starts_at,
                meeting_place=room))
            meeting_id = await tx.meetings.add(item.id, actor.unit_id, actor.user_id, draft.title.strip(),
                                               draft.agenda.strip(), room, draft.starts_at, draft.ends_at, now)
            await tx.meetings.add_invitees(meeting_id, list(dict.fromkeys(draft.invitees)))
            await audit.record(tx, now, actor, "meeting.call", f"meeting:{meeting_id}", item=item.id,
                               title=item.title, starts_at=draft.starts_at.isoformat(), room=room,
                               invitees=list(dict.fromkeys(draft.invitees)))
            meeting = await tx.meetings.get(meeting_id)
        assert meeting is not None
        self.items.issued(item)
        return meeting

    async def change(self, actor: Actor, meeting_id: int, starts_at: datetime | None, ends_at: datetime | None,
                     room: str, note: str = "") -> Meeting:
        """A new time and/or room (or a postponed meeting's new time): every unit is told by push and
        SMS and must confirm again (a new round of the notice); reminders follow the new time."""
        now = self.clock.now()
        async with self.store.write() as tx:
            meeting, item = await self._organised(tx, actor, meeting_id)
            check_move(meeting.state, Move.CHANGE)
            starts_at, ends_at = check_time(starts_at, ends_at, now)
            room = check_room(room or meeting.room)
            note = check_note(note)
            if (meeting.state is MeetingState.SCHEDULED and (starts_at, ends_at, room)
                    == (meeting.starts_at, meeting.ends_at, meeting.room)):
                raise XietongError("meeting.nothing_changed")
            await tx.meetings.set_time(meeting.id, starts_at, ends_at, room, note, now)
            names = [u.name for u in (await tx.users.many(await tx.meetings.invitees(meeting.id))).values()]
            await tx.meetings.set_notice_time(item.id, starts_at, room, notice_body(
                meeting.agenda, starts_at, ends_at, room, names, span_text(starts_at, ends_at)))
            changed = await tx.items.get(item.id)
            assert changed is not None
            what = f"会议变更为{span_text(starts_at, ends_at)}，地点：{room}" + (f"（{note}）" if note else "")
            first = await reissue_in(tx, now, self.config, self.calendar, actor, changed,
                                     lambda due: meeting_changed_text(changed, due), what, meeting_id=meeting.id,
                                     version=meeting.version + 1, starts_at=starts_at.isoformat(), room=room)
            await audit.record(tx, now, actor, "meeting.change", f"meeting:{meeting.id}",
                               starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(), room=room, note=note,
                               version=meeting.version + 1)
            updated = await tx.meetings.get(meeting.id)
        assert updated is not None
        self._published()
        if first is not None:
            self._wake(first)
        return updated

    async def postpone(self, actor: Actor, meeting_id: int, reason: str) -> Meeting:
        """延期, time to be announced: told by push and SMS; ladders and reminders stop."""
        now = self.clock.now()
        async with self.store.write() as tx:
            meeting, item = await self._organised(tx, actor, meeting_id)
            check_move(meeting.state, Move.POSTPONE)
            reason = check_reason(reason)
            await tx.meetings.set_state(meeting.id, MeetingState.POSTPONED, reason, now, bump=True)
            await tx.meetings.stop_timers(item.id)
            await tx.meetings.set_notice_time(item.id, None, meeting.room, item.body)
            text = meeting_postponed_text(item)
            for d in await tx.deliveries.for_item(item.id):
                if d.state.value in LIVE_STATES:
                    await send_again_in(tx, now, actor, d, item, "meeting.postponed", text)
            await audit.record(tx, now, actor, "meeting.postpone", f"meeting:{meeting.id}", reason=reason)
            updated = await tx.meetings.get(meeting.id)
        assert updated is not None
        self._published()
        return updated

    async def cancel(self, actor: Actor, meeting_id: int, reason: str) -> Meeting:
        """取消: the notice is withdrawn (its open deliveries end), every unit told by push and SMS,
        every timer of its deliveries stops."""
        now = self.clock.now()
        async with self.store.write() as tx:
            meeting, item = await self._organised(tx, actor, meeting_id)
            check_move(meeting.state, Move.CANCEL)
            reason = check_reason(reason)
            await tx.meetings.set_state(meeting.id, MeetingState.CANCELLED, reason, now, bump=False)
            await self.items.withdraw_in(tx, actor, item, reason, meeting_cancelled_text(item))
            await tx.meetings.stop_timers(item.id)
            await audit.record(tx, now, actor, "meeting.cancel", f"meeting:{meeting.id}", reason=reason)
            updated = await tx.meetings.get(meeting.id)
        assert updated is not None
        self._published()
        return updated

    # -- the units' replies, the organiser's chase ----------------------------------------

    async def reply(self, actor: Actor, meeting_id: int, coming: bool, attendees: Sequence[ReplyAttendee],
                    note: str = "") -> Reply:
        """参会回执 for the actor's unit: signs for the current notice if not yet, then who comes
        (replacing the unit's earlier list; those signed in stay) or that nobody does."""
        now = self.clock.now()
        signed: tuple[Delivery, Item] | None = None
        async with self.store.write() as tx:
            meeting, item, deliveries = await self._seen(tx, actor, meeting_id)
            require(actor, Action.HANDLE_DELIVERY, actor.unit_id)
            d = next((x for x in deliveries if x.unit_id == actor.unit_id), None)
            if d is None:
                raise XietongError("meeting.not_invited")
            self._check_open(meeting, now)
            if d.state.value not in LIVE_STATES:
                raise XietongError("meeting.notice_closed")
            named = await tx.users.many([a.user_id for a in attendees if a.user_id is not None])
            invited = {u.id for u in (await tx.users.many(await tx.meetings.invitees(meeting.id))).values()
                       if u.unit_id == actor.unit_id}
            clean = check_reply(actor.unit_id, coming, attendees, {u.id: u.unit_id for u in named.values()},
                                invited, note)
            if d.is_open:
                d = await acknowledge_in(tx, now, self.config, actor, d, item, AckVia.WEB, "", ())
                signed = (d, item)
            people = [ReplyAttendee(a.user_id, named[a.user_id].name, named[a.user_id].phone, a.substitute_for)
                      if a.user_id is not None else a for a in clean]
            await tx.meetings.put_reply(meeting.id, actor.unit_id, meeting.version, coming, check_note(note), now,
                                        actor.user_id)
            await tx.meetings.replace_attendees(meeting.id, actor.unit_id, people)
            await tx.events.add(now, "meeting.replied", item.id, item.sender_unit_id, d.id, d.unit_id, actor.user_id,
                                by=actor.name, meeting_id=meeting.id, version=meeting.version, coming=coming,
                                attendees=[a.name for a in people])
            await audit.record(tx, now, actor, "meeting.reply", f"meeting:{meeting.id}", version=meeting.version,
                               coming=coming, attendees=[a.name for a in people], note=note.strip())
            replies = await tx.meetings.replies(meeting.id)
        if signed is not None:
            self.items.acknowledged(*signed)
        else:
            self._published()
        return replies[actor.unit_id]

    async def chase(self, actor: Actor, meeting_id: int) -> list[Delivery]:
        """催报: a push and an SMS to the clerks of every invited unit without a reply to the current
        version (reusing the items' chase: counted, not twice within a few minutes)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            meeting, item = await self._organised(tx, actor, meeting_id)
            self._check_open(meeting, now)
            deliveries = await tx.deliveries.for_item(item.id)
            replies = await tx.meetings.replies(meeting.id)
            answered = {u for u, r in replies.items() if r.version == meeting.version}
            last = await tx.chases.last_chased(item.id)
            ids = units_to_chase([(d.id, d.unit_id, d.state.value in LIVE_STATES, last.get(d.id))
                                  for d in deliveries], answered, now, CHASE_PAUSE)
            targets = [d for d in deliveries if d.id in set(ids)]
            reminded = await remind_in(tx, now, actor, item, targets,
                                       meeting_chase_text(item, actor.unit_name or "会议召集单位"),
                                       meeting.id)
        self._published()
        return reminded

    # -- what people see -------------------------------------------------------------------

    async def view(self, actor: Actor, meeting_id: int) -> MeetingView:
        """The meeting as the viewer may see it; an invited unit opening it has read its notice (as on
        the notice's own page)."""
        now = self.clock.now()
        async with self.store.read() as tx:
            meeting, item, deliveries = await self._seen(tx, actor, meeting_id)
        if any(d.unit_id == actor.unit_id and d.state is DeliveryState.PENDING for d in deliveries):
            await self.items.view(actor, item.id)           # records the read, once
        async with self.store.read() as tx:
            meeting, item, deliveries = await self._seen(tx, actor, meeting_id)
            units = {u.id: u for u in await tx.units.all()}
            replies = await tx.meetings.replies(meeting.id)
            rows = await tx.meetings.attendees(meeting.id)
            invitee_ids = await tx.meetings.invitees(meeting.id)
            organises = actor.unit_id == meeting.unit_id and can(actor, Action.MANAGE_MEETINGS, meeting.unit_id)
            sees_all = organises or actor.unit_id == meeting.unit_id or can(actor, Action.DUTY_DESK)
            shown = [d for d in deliveries if sees_all or d.unit_id == actor.unit_id]
            clerks = await tx.users.with_role_by_unit(Role.CLERK, sorted({d.unit_id for d in shown}))
            people_ids = {*invitee_ids, meeting.organiser_id, *(r.substitute_for for r in rows if r.substitute_for)}
            people = await tx.users.many(sorted(people_ids))
            mine = next((d for d in deliveries if d.unit_id == actor.unit_id), None)
            unit_people = await tx.users.in_unit(actor.unit_id) if mine is not None else []
            conflicts: list[Conflict] = []
            if sees_all and meeting.state is MeetingState.SCHEDULED:
                who = {*invitee_ids, *(r.user_id for r in rows if r.user_id is not None)}
                conflicts = await tx.meetings.conflicts(meeting.id, sorted(who), meeting.starts_at, meeting.ends_at)
        by_unit = [UnitReply(units[d.unit_id], d, replies.get(d.unit_id),
                             d.unit_id in replies and replies[d.unit_id].version != meeting.version,
                             [Attendee(r, r.name, r.phone, people[r.substitute_for].name
                                       if r.substitute_for in people else "")
                              for r in rows if r.unit_id == d.unit_id],
                             clerks.get(d.unit_id, [])) for d in shown]
        my_row = next((u for u in by_unit if u.unit.id == actor.unit_id), None)
        can_reply = (my_row is not None and my_row.live and meeting.state is MeetingState.SCHEDULED
                     and not meeting.over(now) and can(actor, Action.HANDLE_DELIVERY, actor.unit_id))
        return MeetingView(meeting, item, units[meeting.unit_id], people.get(meeting.organiser_id),
                           [people[u] for u in invitee_ids if u in people], by_unit, my_row, organises, can_reply,
                           unit_people, conflicts)

    async def invitable(self, actor: Actor) -> list[tuple[Unit, list[User]]]:
        """The call form's choices: every unit but the caller's, with the people one may invite by name."""
        require(actor, Action.MANAGE_MEETINGS, actor.unit_id)
        async with self.store.read() as tx:
            units = [u for u in await tx.units.all() if u.id != actor.unit_id]
            people = await tx.users.in_unit()
        by_unit: dict[int, list[User]] = {}
        for p in people:
            if not p.disabled and not p.is_admin and Role.DUTY_DESK not in p.roles:
                by_unit.setdefault(p.unit_id, []).append(p)
        return [(u, by_unit.get(u.id, [])) for u in units]

    async def of_item(self, actor: Actor, item_id: int) -> Meeting | None:
        """The meeting a notice is of (the item page links it); None for a notice without one."""
        async with self.store.read() as tx:
            meeting = await tx.meetings.of_item(item_id)
        return meeting

    async def meetings(self, actor: Actor) -> list[MeetingRow]:
        """The meetings the actor's unit called or is invited to: those to come first (soonest first),
        then the past and cancelled ones (latest first)."""
        require(actor, Action.VIEW_ITEM, actor.unit_id)
        now = self.clock.now()
        async with self.store.read() as tx:
            found = await tx.meetings.for_unit(actor.unit_id)
            units = {u.id: u.name for u in await tx.units.all()}
            replies = await tx.meetings.replies_of_unit(actor.unit_id)
        rows = []
        for m in found:
            reply = replies.get(m.id)
            rows.append(MeetingRow(m, units.get(m.unit_id, ""), m.unit_id == actor.unit_id, reply,
                                   reply is not None and reply.version != m.version))
        coming = [r for r in rows if r.meeting.live and not r.meeting.over(now)]
        past = [r for r in rows if not (r.meeting.live and not r.meeting.over(now))]
        return coming + sorted(past, key=lambda r: r.meeting.starts_at, reverse=True)

    # -- helpers ---------------------------------------------------------------------------

    async def _seen(self, tx: Tx, actor: Actor, meeting_id: int) -> tuple[Meeting, Item, list[Delivery]]:
        """The meeting, its notice and deliveries; one the actor may not see does not exist for them."""
        meeting = await tx.meetings.get(meeting_id)
        item = await tx.items.get(meeting.item_id) if meeting else None
        deliveries = await tx.deliveries.for_item(item.id) if item else []
        if meeting is None or item is None or not can(actor, Action.VIEW_ITEM,
                                                      [meeting.unit_id, *(d.unit_id for d in deliveries)]):
            raise XietongError("meeting.not_found")
        return meeting, item, deliveries

    async def _organised(self, tx: Tx, actor: Actor, meeting_id: int) -> tuple[Meeting, Item]:
        meeting, item, _ = await self._seen(tx, actor, meeting_id)
        if actor.unit_id != meeting.unit_id:
            raise XietongError("meeting.not_organiser")
        require(actor, Action.MANAGE_MEETINGS, meeting.unit_id)
        return meeting, item

    @staticmethod
    def _check_open(meeting: Meeting, now: datetime) -> None:
        if meeting.state is MeetingState.CANCELLED:
            raise XietongError("meeting.cancelled")
        if meeting.state is MeetingState.POSTPONED:
            raise XietongError("meeting.postponed")
        if meeting.over(now):
            raise XietongError("meeting.over")

