"""传阅: circulate a received document to people, in parallel or one after another, with a note
saying why; each reader marks it read (已阅) with an optional comment; the sender sees in one view
who has and who hasn't read it, and may withdraw the circulation or remind the unread.

Every move is a move of the incoming road (hub.domain.incoming: circulate, read,
withdraw_circulation, remind_circulation) applied by the engine (hub.services.roads.apply_move) in
one transaction with its history row on the record. A reader's step is a READ step naming the
person (user_id) in their own unit (unit_id): reading (待阅), not doing (待办); an ordered
circulation's later readers wait (`waiting`) until the one before them has read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.circulation import (
    STATUS,
    Reader,
    checked,
    checked_comment,
    descendants,
    local_midnight,
    remind_text,
)
from hub.domain.identity import Actor, Role, Unit, User
from hub.domain.incoming import INCOMING, ROAD, State
from hub.domain.permissions import Action, can
from hub.domain.roads import StepKind, StepState
from hub.errors import XietongError
from hub.services.incoming import visible_record
from hub.services.roads import NewStep, apply_move
from hub.store import Store, Tx
from hub.store.circulations import Circulation
from hub.store.incoming import Incoming
from hub.store.roads import HistoryRow, RoadStep

_MANAGERS = frozenset({Role.CLERK, Role.LEADER})


@dataclass(frozen=True)
class CirculationView:
    circulation: Circulation
    record: Incoming
    sender_name: str
    readers: list[Reader]
    history: list[HistoryRow]          # this circulation's moves on the record, oldest first
    may_manage: bool                   # withdraw and remind: the sender, or the office
    mine: Reader | None                # the viewer's own step in it, if any
    reminder_sms: dict[int, tuple[str, str]] = field(default_factory=dict)   # user id -> the last reminder's
    #                                  SMS (queued | sending | sent | delivered | undelivered | failed, error)

    def sms_trouble(self, user_id: int) -> bool:
        return self.reminder_sms.get(user_id, ("", ""))[0] in ("undelivered", "failed", "skipped")

    def count(self, status: str) -> int:
        return sum(1 for r in self.readers if r.status == status)

    @property
    def last_reminder(self) -> HistoryRow | None:
        return next((h for h in reversed(self.history) if h.move == "remind_circulation"), None)

    @property
    def skipped(self) -> list[str]:
        """People left out when it was sent: they had it to read from another circulation."""
        first = next((h for h in self.history if h.move == "circulate"), None)
        return list(first.data.get("skipped", [])) if first else []


@dataclass(frozen=True)
class Sent:
    circulation_id: int
    readers: list[str]
    skipped: list[str]                 # already had it to read from another circulation: not sent again


@dataclass(frozen=True)
class Reminded:
    history_id: int
    reached: list[str]                 # an SMS is queued for each
    not_reached: list[str]             # no phone number: reminded on their to-do list only


@dataclass(frozen=True)
class SentLine:
    """One line of the sender's list: a circulation, its record, how many readers are at each status."""
    circulation: Circulation
    record: Incoming
    counts: dict[str, int]             # not_yet | unread | read | withdrawn -> how many

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Panel:
    """What the record page shows of circulation: its circulations, the viewer's own open steps
    (the read form), and whether the viewer may circulate it."""
    record: Incoming
    circulations: list[tuple[Circulation, str, int, int]] = field(default_factory=list)  # (c, sender, read, all)
    mine: list[tuple[Circulation, Reader]] = field(default_factory=list)
    may_circulate: bool = False


class CirculationService:
    def __init__(self, store: Store, clock: Clock, config: Config,
                 todo_changed: Callable[[int], None] = lambda unit_id: None,
                 published: Callable[[], None] = lambda: None) -> None:
        self.store, self.clock, self.config = store, clock, config
        self._todo_changed = todo_changed    # the units' phones ask for their badges again
        self._published = published          # outbox rows were committed: the SMS sender looks

    def _tell(self, units: set[int]) -> None:
        for unit_id in sorted(units):
            self._todo_changed(unit_id)

    # --- reading -----------------------------------------------------------------------------------

    async def people(self, actor: Actor, incoming_id: int) -> tuple[Incoming, list[tuple[User, Unit]]]:
        """The record, and whom the actor may circulate it to: the active people of its unit and the
        units below it, the actor excepted, by unit."""
        async with self.store.read() as tx:
            record = await self._visible(tx, actor, incoming_id)
            self._check_may_circulate(actor, record)
            return record, await self._choices(tx, actor, record)

    async def view(self, actor: Actor, circulation_id: int) -> CirculationView:
        """The sender's one view: every reader with their state, read time and comment. The sender,
        the record's unit (clerks, leaders) and the circulation's readers see it; nobody else."""
        async with self.store.read() as tx:
            circ, record, steps = await self._seen(tx, actor, circulation_id)
            readers = await self._readers(tx, steps, ended=record.state == State.RETURNED)
            sender = await tx.users.get(circ.sender_id)
            history = [h for h in await tx.roads.history(ROAD, record.id)
                       if h.data.get("circulation_id") == circ.id]
            last = next((h for h in reversed(history) if h.move == "remind_circulation"), None)
            sms = await tx.circulations.sms_of(last.id) if last else {}
        mine = next((r for r in readers if r.user_id == actor.user_id), None)
        return CirculationView(circ, record, sender.name if sender else "", readers, history,
                               self._may_manage(actor, record, circ), mine, sms)

    async def sent(self, actor: Actor, limit: int = 100) -> list[SentLine]:
        """The circulations this person sent, the latest first, each with its readers' progress:
        who has and who hasn't read what, without opening each one."""
        async with self.store.read() as tx:
            circs = await tx.circulations.sent_by(actor.user_id, limit)
            records = await tx.incoming.many(sorted({c.record_id for c in circs if c.road == ROAD}))
            counts = await tx.circulations.counts([c.id for c in circs])
        lines = []
        for c in circs:
            record = records.get(c.record_id)
            if record is None:
                continue
            ended = record.state == State.RETURNED
            by_status = {s: 0 for s in ("not_yet", "unread", "read", "withdrawn")}
            for state, n in counts.get(c.id, {}).items():
                step_state = StepState.CANCELLED if ended and state == StepState.WAITING else StepState(state)
                by_status[STATUS[step_state]] += n
            lines.append(SentLine(c, record, by_status))
        return lines

    async def panel(self, actor: Actor, incoming_id: int, check: bool = False) -> Panel:
        """For the record page (which checked that the viewer may see the record; `check`: see here
        that the road gives the viewer a part, as the record page does)."""
        async with self.store.read() as tx:
            record = (await visible_record(tx, actor, incoming_id))[0] if check else await tx.incoming.get(incoming_id)
            if record is None:
                raise XietongError("incoming.not_found")
            circs = await tx.circulations.of_record(ROAD, record.id)
            steps = await tx.circulations.steps([c.id for c in circs])
            readers = {r.step_id: r for r in await self._readers(tx, steps)}
            senders = {c.sender_id: await tx.users.get(c.sender_id) for c in circs}
        panel = Panel(record, may_circulate=self._may_circulate(actor, record))
        by_id = {c.id: c for c in circs}
        office = can(actor, Action.VIEW_INCOMING, record.unit_id)
        for c in circs:
            mine = [s for s in steps if s.circulation_id == c.id]
            if office or c.sender_id == actor.user_id or any(s.user_id == actor.user_id for s in mine):
                sender = senders.get(c.sender_id)
                panel.circulations.append((c, sender.name if sender else "",
                                           sum(1 for s in mine if s.state == StepState.DONE), len(mine)))
        for s in steps:
            if s.user_id == actor.user_id and s.state == StepState.OPEN and s.circulation_id in by_id:
                panel.mine.append((by_id[s.circulation_id], readers[s.id]))
        return panel

    # --- moves -------------------------------------------------------------------------------------

    async def circulate(self, actor: Actor, incoming_id: int, user_ids: list[int], note: str,
                        ordered: bool = False) -> Sent:
        """Send the record to these people (in this order when `ordered`) with a note saying why. A
        person named twice gets it once; one who has it to read from another circulation is skipped
        (and named in the answer); nobody left, nothing is sent."""
        now = self.clock.now()
        async with self.store.write() as tx:
            record = await self._visible(tx, actor, incoming_id)
            self._check_may_circulate(actor, record)
            INCOMING.move(record.state, "circulate")
            note, wanted = checked(note, user_ids, actor.user_id)
            allowed = descendants(await tx.units.all(), record.unit_id)
            found = await tx.users.many(list(wanted))
            people: list[User] = []
            for uid in wanted:
                user = found.get(uid)
                if user is None or user.disabled or user.unit_id not in allowed:
                    raise XietongError("circulation.unknown_reader")
                people.append(user)
            pending = await tx.circulations.pending_readers(ROAD, record.id, wanted)
            skipped = [u.name for u in people if u.id in pending]
            readers = [u for u in people if u.id not in pending]
            if not readers:
                raise XietongError("circulation.all_pending", names="、".join(skipped))
            cid = await tx.circulations.add(ROAD, record.id, actor.user_id, actor.unit_id, ordered, note, now)
            steps = [NewStep(StepKind.READ, u.unit_id, role=None, user_id=u.id, circulation_id=cid, position=i,
                             waiting=ordered and i > 0) for i, u in enumerate(readers)]
            moved = await apply_move(tx, now, actor, INCOMING, record.id, record.unit_id, record.state, "circulate",
                                     note=note, new_steps=steps, circulation_id=cid, ordered=ordered,
                                     readers=[u.name for u in readers], skipped=skipped)
        self._tell(moved.units)
        return Sent(cid, [u.name for u in readers], skipped)

    async def read(self, actor: Actor, step_id: int, comment: str = "") -> int:
        """已阅: the reader marks their step read, with an optional comment; in an ordered
        circulation the next reader's turn comes. A second click changes nothing. The circulation's id."""
        now = self.clock.now()
        comment = checked_comment(comment)
        async with self.store.write() as tx:
            step = await tx.roads.step(step_id)
            if step is None or step.kind != StepKind.READ or step.user_id != actor.user_id \
                    or step.road != ROAD or step.circulation_id is None:
                raise XietongError("circulation.step_not_found")
            if step.state == StepState.DONE:
                return step.circulation_id
            if step.state == StepState.CANCELLED:
                raise XietongError("circulation.withdrawn")
            if step.state == StepState.WAITING:
                raise XietongError("circulation.not_yet")
            record = await tx.incoming.get(step.record_id)
            assert record is not None
            moved = await apply_move(tx, now, actor, INCOMING, record.id, record.unit_id, record.state, "read",
                                     note=comment, step_id=step.id, circulation_id=step.circulation_id)
            circ = await tx.circulations.get(step.circulation_id)
            if circ is not None and circ.ordered:
                waiting = [s for s in await tx.circulations.steps([circ.id]) if s.state == StepState.WAITING]
                if waiting:
                    await tx.roads.wake_step(waiting[0].id, now)
                    moved.units.add(waiting[0].unit_id)
        self._tell(moved.units)
        return step.circulation_id

    async def withdraw(self, actor: Actor, circulation_id: int) -> CirculationView:
        """撤回: the unread readers' steps (open or waiting) are cancelled; who read it stays read."""
        now = self.clock.now()
        async with self.store.write() as tx:
            circ, record, steps = await self._managed(tx, actor, circulation_id)
            pending = [s for s in steps if s.state in (StepState.OPEN, StepState.WAITING)]
            if not pending:
                raise XietongError("circulation.all_read")
            names = {r.step_id: r.name for r in await self._readers(tx, steps)}
            moved = await apply_move(tx, now, actor, INCOMING, record.id, record.unit_id, record.state,
                                     "withdraw_circulation", circulation_id=circ.id,
                                     cancelled=[names[s.id] for s in pending],
                                     read=[names[s.id] for s in steps if s.state == StepState.DONE])
            for s in pending:
                await tx.roads.finish_step(s.id, StepState.CANCELLED, now, actor.user_id)
                await tx.timers.cancel_road_step(s.id)
                moved.units.add(s.unit_id)
            await tx.circulations.withdraw(circ.id, now)
        self._tell(moved.units)
        return await self.view(actor, circulation_id)

    async def remind(self, actor: Actor, circulation_id: int) -> Reminded:
        """提醒: an SMS and a push to each reader whose turn it is and who has not read it; a reader
        without a phone number is named back (reminded on their to-do list only), never dropped."""
        now = self.clock.now()
        async with self.store.write() as tx:
            circ, record, steps = await self._managed(tx, actor, circulation_id)
            unread = [s for s in steps if s.state == StepState.OPEN]
            if not unread:
                raise XietongError("circulation.all_read")
            limit = self.config.incoming.chases_per_day
            midnight = local_midnight(now)
            if await tx.circulations.reminders_since(ROAD, record.id, circ.id, midnight) >= limit:
                minutes = max(1, int((midnight + timedelta(days=1) - now).total_seconds() // 60))
                raise XietongError("circulation.remind_limit", limit=limit, minutes=minutes)
            people = [u for u in [await tx.users.get(s.user_id or 0) for s in unread] if u is not None]
            reached = [u for u in people if u.phone and not u.disabled]
            not_reached = [u for u in people if u not in reached]
            moved = await apply_move(tx, now, actor, INCOMING, record.id, record.unit_id, record.state,
                                     "remind_circulation", circulation_id=circ.id,
                                     reached=[u.name for u in reached], not_reached=[u.name for u in not_reached])
            text = remind_text(actor.name, record.number, record.title)
            for u in reached:
                await tx.outbox.add_road_sms(now, moved.history_id, u.id, u.phone, text)
            moved.units |= {s.unit_id for s in unread}
        self._published()
        self._tell(moved.units)
        return Reminded(moved.history_id, [u.name for u in reached], [u.name for u in not_reached])

    # --- who may ------------------------------------------------------------------------------------

    @staticmethod
    def _may_circulate(actor: Actor, record: Incoming) -> bool:
        return actor.unit_id == record.unit_id and bool(actor.roles & _MANAGERS)

    def _check_may_circulate(self, actor: Actor, record: Incoming) -> None:
        if not self._may_circulate(actor, record):
            raise XietongError("perm.denied")

    @staticmethod
    def _may_manage(actor: Actor, record: Incoming, circ: Circulation) -> bool:
        """The sender, or the record's office (its unit's clerks)."""
        return circ.sender_id == actor.user_id or (actor.unit_id == record.unit_id and actor.has(Role.CLERK))

    def _may_view(self, actor: Actor, record: Incoming, circ: Circulation, steps: list[RoadStep]) -> bool:
        return (self._may_manage(actor, record, circ) or can(actor, Action.VIEW_INCOMING, record.unit_id)
                or any(s.user_id == actor.user_id for s in steps))

    async def _visible(self, tx: Tx, actor: Actor, incoming_id: int) -> Incoming:
        """The record, for people of its unit who see its register; for anyone else it does not exist."""
        record = await tx.incoming.get(incoming_id)
        if record is None or not can(actor, Action.VIEW_INCOMING, record.unit_id):
            raise XietongError("incoming.not_found")
        return record

    async def _seen(self, tx: Tx, actor: Actor, circulation_id: int
                    ) -> tuple[Circulation, Incoming, list[RoadStep]]:
        """The circulation, its record and its readers' steps, for someone who may see it; else 404."""
        circ = await tx.circulations.get(circulation_id)
        record = await tx.incoming.get(circ.record_id) if circ and circ.road == ROAD else None
        if circ is None or record is None:
            raise XietongError("circulation.not_found")
        steps = await tx.circulations.steps([circ.id])
        if not self._may_view(actor, record, circ, steps):
            raise XietongError("circulation.not_found")
        return circ, record, steps

    async def _managed(self, tx: Tx, actor: Actor, circulation_id: int
                       ) -> tuple[Circulation, Incoming, list[RoadStep]]:
        circ, record, steps = await self._seen(tx, actor, circulation_id)
        if not self._may_manage(actor, record, circ):
            raise XietongError("circulation.not_sender")
        if circ.withdrawn_at is not None:
            raise XietongError("circulation.withdrawn")
        INCOMING.move(record.state, "remind_circulation")
        return circ, record, steps

    async def _readers(self, tx: Tx, steps: list[RoadStep], ended: bool = False) -> list[Reader]:
        """The readers of these steps; once the record is returned (which cancels the open steps), a
        later reader still waiting for their turn will not get it either: withdrawn. (办结 does not end
        a circulation: it goes on to its last reader.)"""
        units = {u.id: u for u in await tx.units.all()}
        users = await tx.users.many(sorted({s.user_id for s in steps if s.user_id is not None}))
        out = []
        for s in steps:
            user, unit = users.get(s.user_id or 0), units.get(s.unit_id)
            state = StepState.CANCELLED.value if ended and s.state == StepState.WAITING else s.state
            out.append(Reader(s.id, s.user_id or 0, user.name if user else "", unit.name if unit else "",
                              s.position, state, s.done_at if s.state == StepState.DONE else None, s.note))
        return out

    async def _choices(self, tx: Tx, actor: Actor, record: Incoming) -> list[tuple[User, Unit]]:
        units = await tx.units.all()
        by_id = {u.id: u for u in units}
        allowed = descendants(units, record.unit_id)
        people = []
        for unit_id in sorted(allowed, key=lambda i: (i != record.unit_id, i)):
            for user in await tx.users.in_unit(unit_id):
                if not user.disabled and user.id != actor.user_id:
                    people.append((user, by_id[unit_id]))
        return people
