"""A meeting's sign-in (签到) and its attendance lists: the organiser's screen shows a QR code that
changes every period (`[meetings] signin_code_seconds`); an attendee scans it and signs in on their
phone, already logged in; the organiser may mark anyone present (and undo it); the lists of
notified, replied, signed in and absent print on A4 and export to .xlsx. One transaction per use-case.

The codes' key is derived (HKDF) from the OTP key the install already keeps (`[otp] key` or
`key_file`), so there is no new secret to manage or back up: a new OTP key only ends the codes
on the screens at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.clock import Clock
from hub.config import Config
from hub.crypto.totp import load_or_create_key_file, parse_key
from hub.domain.identity import Actor, Unit
from hub.domain.items import Delivery, DeliveryState, Item
from hub.domain.meeting_signin import (
    SigninCode,
    Standing,
    derive_key,
    make_code,
    require_code,
    standing_of,
)
from hub.domain.meetings import Meeting, MeetingState
from hub.domain.permissions import Action, can, require
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx
from hub.store.meeting_attendance import Presence
from hub.store.meetings import Reply

QR, ORGANISER = "qr", "organiser"     # how someone was signed in


@dataclass(frozen=True)
class Person:
    """One person on the lists, with names filled in."""
    row: Presence
    unit_name: str
    substitute_for: str          # the invited person this one comes instead of ("" if nobody)
    signed_in_by: str            # who marked them present ("" for a QR sign-in or not yet)


@dataclass(frozen=True)
class UnitLine:
    """An invited unit: its notice's delivery, its reply (if any), who it sends."""
    unit: Unit
    delivery: Delivery
    reply: Reply | None
    stale: bool                  # replied to an older version: 待重新确认
    people: list[Person]         # named by the reply (not those who came unannounced)
    came: int                    # of its people, signed in

    @property
    def absence(self) -> str:
        """Why nobody of the unit signed in: no_reply | not_coming | nobody_came ("" if someone did)."""
        if self.came:
            return ""
        if self.reply is None:
            return "no_reply"
        return "not_coming" if not self.reply.coming else "nobody_came"


@dataclass(frozen=True)
class Attendance:
    meeting: Meeting
    organiser_unit: str
    units: list[UnitLine]        # notified: every invited unit and its delivery
    people: list[Person]         # every row: expected, come, unannounced

    @property
    def replied(self) -> list[UnitLine]:
        return [u for u in self.units if u.reply is not None]

    @property
    def signed_in(self) -> list[Person]:
        return sorted((p for p in self.people if p.row.signed_in_at), key=lambda p: (p.row.signed_in_at, p.row.id))

    @property
    def absent(self) -> list[Person]:
        return [p for p in self.people if not p.row.signed_in_at]

    @property
    def absent_units(self) -> list[UnitLine]:
        return [u for u in self.units if u.absence and u.delivery.state is not DeliveryState.WITHDRAWN]


@dataclass(frozen=True)
class SigninScreen:
    """What the organiser's screen shows: the current code and who signed in so far."""
    meeting: Meeting
    code: SigninCode
    period: int
    signed_in: list[Person]
    expected: int                # people named by the replies (and the invited by name who came)


@dataclass(frozen=True)
class Checkin:
    """The attendee's page: the meeting, who they are here, their sign-in if any."""
    meeting: Meeting
    organiser_unit: str
    standing: Standing
    mine: Presence | None
    already: bool = False        # the answer to a second sign-in: 已签到 (time), no second row


class MeetingSigninService:
    def __init__(self, store: Store, clock: Clock, config: Config) -> None:
        self.store, self.clock, self.config = store, clock, config
        self._key: bytes | None = None

    @property
    def period(self) -> int:
        return self.config.meetings.signin_code_seconds

    def key(self) -> bytes:
        """The codes' key, derived from the OTP key (read, or its file created, on first use)."""
        if self._key is None:
            cfg = self.config.otp
            try:
                if cfg.key:
                    secret = parse_key(cfg.key)
                else:
                    path = Path(cfg.key_file)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    secret = load_or_create_key_file(path)
            except ValueError:
                raise XietongError("otp.bad_key", source=cfg.key_file if not cfg.key else "otp.key") from None
            self._key = derive_key(secret)
        return self._key

    # -- the organiser's screen ---------------------------------------------------------

    async def screen(self, actor: Actor, meeting_id: int) -> SigninScreen:
        now = self.clock.now()
        async with self.store.read() as tx:
            meeting, _, _ = await self._organised(tx, actor, meeting_id)
            rows = await tx.meeting_attendance.all(meeting.id)
            people = await self._people(tx, rows)
        return SigninScreen(meeting, make_code(self.key(), meeting.id, now, self.period), self.period,
                            sorted((p for p in people if p.row.signed_in_at),
                                   key=lambda p: (p.row.signed_in_at, p.row.id)),
                            sum(1 for r in rows if not r.walk_in))

    # -- the attendee's phone -------------------------------------------------------------

    async def checkin_view(self, actor: Actor, meeting_id: int) -> Checkin:
        me = actor.person
        async with self.store.read() as tx:
            meeting, _, deliveries = await self._seen(tx, me, meeting_id)
            standing, mine = await self._standing(tx, me, meeting, deliveries)
            organiser = await tx.units.get(meeting.unit_id)
        return Checkin(meeting, organiser.name if organiser else "", standing, mine)

    async def check_in(self, actor: Actor, meeting_id: int, code: str) -> Checkin:
        """签到 by the code on the screen: the meeting must be on, the code current and of this meeting,
        the person expected here (named, invited, or of an invited unit: then marked 未报名)."""
        now = self.clock.now()
        me = actor.person            # a delegate signs in as themselves (they are the one in the room)
        async with self.store.write() as tx:
            meeting, _, deliveries = await self._seen(tx, me, meeting_id)
            self._check_on(meeting)
            require_code(self.key(), meeting.id, code, now, self.period)
            standing, mine = await self._standing(tx, me, meeting, deliveries)
            organiser = await tx.units.get(meeting.unit_id)
            if standing is Standing.STRANGER:
                raise XietongError("meeting.signin_not_expected")
            if mine is not None and mine.signed_in_at is not None:
                return Checkin(meeting, organiser.name if organiser else "", standing, mine, already=True)
            user = await tx.users.get(me.user_id)
            assert user is not None
            if mine is None:
                attendee_id = await tx.meeting_attendance.add(meeting.id, user.unit_id, user.id, user.name, user.phone,
                                                              walk_in=standing is Standing.WALK_IN)
            else:
                attendee_id = mine.id
            await tx.meeting_attendance.sign_in(attendee_id, now, QR, user.id)
            await audit.record(tx, now, actor, "meeting.sign_in", f"meeting:{meeting.id}", attendee=attendee_id,
                               via=QR, standing=standing.value)
            signed = await tx.meeting_attendance.get(meeting.id, attendee_id)
        return Checkin(meeting, organiser.name if organiser else "", standing, signed)

    # -- the organiser marks present ---------------------------------------------------------

    async def mark_present(self, actor: Actor, meeting_id: int, attendee_id: int) -> Presence:
        """The organiser marks an attendee present (via organiser, by them); already signed in: unchanged."""
        now = self.clock.now()
        async with self.store.write() as tx:
            meeting, _, _ = await self._organised(tx, actor, meeting_id)
            self._check_on(meeting)
            row = await self._attendee(tx, meeting.id, attendee_id)
            if row.signed_in_at is None:
                await tx.meeting_attendance.sign_in(row.id, now, ORGANISER, actor.user_id)
                await audit.record(tx, now, actor, "meeting.mark_present", f"meeting:{meeting.id}", attendee=row.id,
                                   name=row.name, via=ORGANISER)
            marked = await tx.meeting_attendance.get(meeting.id, row.id)
        assert marked is not None
        return marked

    async def undo_present(self, actor: Actor, meeting_id: int, attendee_id: int) -> Presence | None:
        """Undo a sign-in (a mistake): the person is expected again; one who came unannounced (未报名)
        leaves the lists (None)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            meeting, _, _ = await self._organised(tx, actor, meeting_id)
            row = await self._attendee(tx, meeting.id, attendee_id)
            if row.signed_in_at is None:
                return row
            if row.walk_in:
                await tx.meeting_attendance.remove(row.id)
            else:
                await tx.meeting_attendance.undo_sign_in(row.id)
            await audit.record(tx, now, actor, "meeting.undo_present", f"meeting:{meeting.id}", attendee=row.id,
                               name=row.name, was_via=row.signed_in_via, was_at=row.signed_in_at.isoformat())
            return await tx.meeting_attendance.get(meeting.id, row.id)

    # -- the lists ---------------------------------------------------------------------------

    async def attendance(self, actor: Actor, meeting_id: int) -> Attendance:
        """Notified (units, delivery state), replied (who comes, substitutes), signed in (who, when,
        how), absent (expected people not signed in; units that sent nobody)."""
        async with self.store.read() as tx:
            meeting, _, deliveries = await self._organised(tx, actor, meeting_id)
            units = {u.id: u for u in await tx.units.all()}
            replies = await tx.meetings.replies(meeting.id)
            people = await self._people(tx, await tx.meeting_attendance.all(meeting.id))
        lines = [UnitLine(units[d.unit_id], d, replies.get(d.unit_id),
                          d.unit_id in replies and replies[d.unit_id].version != meeting.version,
                          [p for p in people if p.row.unit_id == d.unit_id and not p.row.walk_in],
                          sum(1 for p in people if p.row.unit_id == d.unit_id and p.row.signed_in_at))
                 for d in deliveries]
        return Attendance(meeting, units[meeting.unit_id].name, lines, people)

    # -- helpers -----------------------------------------------------------------------------

    async def _people(self, tx: Tx, rows: list[Presence]) -> list[Person]:
        units = {u.id: u.name for u in await tx.units.all()}
        ids = {r.substitute_for for r in rows if r.substitute_for} | {
            r.signed_in_by for r in rows if r.signed_in_by and r.signed_in_via == ORGANISER}
        names = {u.id: u.name for u in (await tx.users.many(sorted(ids))).values()}
        return [Person(r, units.get(r.unit_id, ""), names.get(r.substitute_for or 0, ""),
                       names.get(r.signed_in_by or 0, "") if r.signed_in_via == ORGANISER else "") for r in rows]

    async def _standing(self, tx: Tx, me: Actor, meeting: Meeting,
                        deliveries: list[Delivery]) -> tuple[Standing, Presence | None]:
        mine = await tx.meeting_attendance.of_user(meeting.id, me.user_id)
        if mine is not None:
            return Standing.ATTENDEE, mine
        invited_units = {d.unit_id for d in deliveries if d.state is not DeliveryState.WITHDRAWN}
        return standing_of(me.user_id, me.unit_id, set(), set(await tx.meetings.invitees(meeting.id)),
                           invited_units), None

    @staticmethod
    async def _attendee(tx: Tx, meeting_id: int, attendee_id: int) -> Presence:
        row = await tx.meeting_attendance.get(meeting_id, attendee_id)
        if row is None:
            raise XietongError("meeting.attendee_not_found")
        return row

    @staticmethod
    async def _seen(tx: Tx, actor: Actor, meeting_id: int) -> tuple[Meeting, Item, list[Delivery]]:
        """The meeting, its notice and deliveries; one the actor may not see does not exist for them
        (the meetings' own rule: whoever sees the notice sees the meeting)."""
        meeting = await tx.meetings.get(meeting_id)
        item = await tx.items.get(meeting.item_id) if meeting else None
        deliveries = await tx.deliveries.for_item(item.id) if item else []
        if meeting is None or item is None or not can(actor, Action.VIEW_ITEM,
                                                      [meeting.unit_id, *(d.unit_id for d in deliveries)]):
            raise XietongError("meeting.not_found")
        return meeting, item, deliveries

    async def _organised(self, tx: Tx, actor: Actor, meeting_id: int) -> tuple[Meeting, Item, list[Delivery]]:
        meeting, item, deliveries = await self._seen(tx, actor, meeting_id)
        if actor.unit_id != meeting.unit_id:
            raise XietongError("meeting.not_organiser")
        require(actor, Action.MANAGE_MEETINGS, meeting.unit_id)
        return meeting, item, deliveries

    @staticmethod
    def _check_on(meeting: Meeting) -> None:
        if meeting.state is MeetingState.CANCELLED:
            raise XietongError("meeting.cancelled")
        if meeting.state is MeetingState.POSTPONED:
            raise XietongError("meeting.signin_postponed")
