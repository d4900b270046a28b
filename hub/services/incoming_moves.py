"""The moves of a registered document (收文): 初审, 退文, 拟办, 批示, 分办, 改办, 协办, 办理结果, 答复, 办结.

Each move is one transaction: the road engine (`hub.services.roads.apply_move`) checks it against
the table, closes the step the person holds, writes the history and audit rows and opens the next
steps; the record's own fields (its state, the proposal's kind, the lead unit, the result, the
reply) are written beside it. Who may make a move is what the road says: the holder of the open
step, or the record's unit's clerks or leaders where the move names them. Bad input is refused
before anything is written (and before a one-time code is spent).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import Clock
from hub.config import Config
from hub.domain.identity import Actor, Role
from hub.domain.incoming import INCOMING, MAX_TEXT, Assignment, Handling, State, check_text
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.domain.roads import StepKind, parse_road_ladder
from hub.errors import XietongError
from hub.services.items import ItemService
from hub.services.roads import NewStep, apply_move, holds
from hub.services.supervision import end_supervision
from hub.store import Store, Tx
from hub.store.incoming import Incoming
from hub.store.roads import RoadStep

log = logging.getLogger(__name__)

# the moves a person makes on the record page (registering, the second round after a return,
# supervision and its progress reports are made elsewhere)
PAGE_MOVES = ("review", "return", "propose", "instruct", "assign", "reassign", "assist", "result", "reply",
              "close")


@dataclass(frozen=True)
class MoveForm:
    """A move the viewer may make now, and which of their open steps it completes."""
    name: str
    needs_note: bool
    needs_code: bool
    step_ids: tuple[int, ...] = ()


def _extra_ok(record: Incoming, name: str) -> bool:
    if name == "close" and record.state == State.INSTRUCTED:
        return record.handling == Handling.READ          # 阅知: circulated, then closed
    if name == "close" and record.state == State.HANDLED:
        return not _reply_pending(record)
    if name == "reply":
        return _reply_pending(record)
    return True


def _reply_pending(record: Incoming) -> bool:
    return record.reply_wanted and record.delivery_id is not None and record.reply_item_id is None


def moves_for(actor: Actor, record: Incoming, steps: list[RoadStep]) -> list[MoveForm]:
    """The page's forms: the moves of the record's state this viewer may make."""
    forms = []
    for move in INCOMING.moves_from(record.state):
        if move.name not in PAGE_MOVES or not _extra_ok(record, move.name):
            continue
        if move.completes is not None:
            mine = tuple(s.id for s in steps if s.is_open and s.kind == move.completes and holds(actor, s))
            if not mine:
                continue
            forms.append(MoveForm(move.name, move.needs_note, move.needs_code, mine))
        elif actor.unit_id == record.unit_id and move.roles & actor.roles:
            forms.append(MoveForm(move.name, move.needs_note, move.needs_code))
    return forms


def check_may(actor: Actor, record: Incoming, steps: list[RoadStep], name: str) -> None:
    """The refusal the engine would give, before the move's own input is looked at."""
    move = INCOMING.move(record.state, name)
    if move.completes is not None:
        if not any(s.is_open and s.kind == move.completes and holds(actor, s) for s in steps):
            raise XietongError("road.not_your_step", move=name)
    elif actor.unit_id != record.unit_id or not (move.roles & actor.roles):
        raise XietongError("road.not_your_step", move=name)     # the record's unit's clerks (leaders)
    if name == "close" and not _extra_ok(record, name):
        raise XietongError("incoming.reply_first" if record.state == State.HANDLED else "incoming.close_needs_result")
    if name == "reply" and not _reply_pending(record):
        raise XietongError("incoming.already_replied" if record.reply_item_id else "incoming.no_reply_wanted")


def optional_text(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise XietongError("incoming.text_too_long", limit=MAX_TEXT)
    return text


def assignment_of(leads: list[tuple[int, datetime]], assisting: list[tuple[int, datetime]]) -> Assignment:
    if not leads:
        raise XietongError("incoming.lead_required")
    if len(leads) > 1:
        raise XietongError("incoming.second_lead")
    return Assignment(leads[0][0], leads[0][1], tuple(assisting))


Build = Callable[[Tx, datetime, Incoming], Awaitable[tuple[list[NewStep], dict[str, Any]]]]


class IncomingMoves:
    """The moves, as methods of IncomingService (hub.services.incoming), which sets these."""
    store: Store
    clock: Clock
    config: Config
    items: ItemService
    _confirm: Callable[[Actor, str, str, str], Awaitable[None]]

    def _changed(self, units: set[int]) -> None:
        raise NotImplementedError

    async def _apply(self, actor: Actor, record_id: int, name: str, note: str = "",
                     build: Build | None = None, step_id: int | None = None, confirmed: bool = False,
                     ladder: bool = False, after: Callable[[], None] | None = None, **data: Any) -> Incoming:
        from hub.services.incoming import visible_record
        now = self.clock.now()
        async with self.store.write() as tx:
            record, steps = await visible_record(tx, actor, record_id)
            check_may(actor, record, steps, name)
            new_steps, fields = await build(tx, now, record) if build else ([], {})
            moved = await apply_move(tx, now, actor, INCOMING, record.id, record.unit_id, record.state, name,
                                     note=note, new_steps=new_steps, step_id=step_id, confirmed=confirmed,
                                     ladder=parse_road_ladder(self.config.incoming.ladder) if ladder else (),
                                     **data)
            await tx.incoming.set_state(record.id, moved.state, now, **fields)
            result = await tx.incoming.get(record.id)
        assert result is not None
        if after is not None:
            after()
        self._changed(moved.units)
        return result

    async def review(self, actor: Actor, record_id: int, note: str = "") -> Incoming:
        """初审 passed: the office's proposal (拟办) is next."""
        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            return [NewStep(StepKind.PROPOSE, r.unit_id, Role.CLERK, due_at=r.deadline)], {}
        return await self._apply(actor, record_id, "review", optional_text(note), build)

    async def return_(self, actor: Actor, record_id: int, reason: str) -> Incoming:
        """退文: back to the sender with the reason (a network document's delivery goes back live)."""
        reason = check_text(reason, "incoming.reason_required")

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            if r.delivery_id is not None:
                resend = _resend()
                if resend is not None:
                    await resend.return_delivery_in(tx, now, actor, r.delivery_id, reason)
                else:
                    log.warning("incoming %s returned without hub.services.resend: the delivery stays", r.id)
            return [], {}
        return await self._apply(actor, record_id, "return", reason, build, after=self.items.published)

    async def propose(self, actor: Actor, record_id: int, handling: str, note: str) -> Incoming:
        """拟办: for information (阅知) or for action (批办), with the office's proposal."""
        if handling not in (Handling.READ.value, Handling.ACT.value):
            raise XietongError("incoming.bad_handling")
        note = check_text(note)

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            return [NewStep(StepKind.INSTRUCT, r.unit_id, Role.LEADER, due_at=r.deadline)], {"handling": handling}
        return await self._apply(actor, record_id, "propose", note, build, handling=handling)

    async def instruct(self, actor: Actor, record_id: int, note: str, code: str) -> Incoming:
        """批示: a leader's instruction, confirmed with a one-time code. The same instruction retried
        (its answer was lost) with its code, now used, answers with the record as it was instructed."""
        from hub.services.incoming import visible_record
        note = check_text(note)
        target = f"incoming:{record_id}"
        async with self.store.read() as tx:
            record, steps = await visible_record(tx, actor, record_id)
            history = await tx.roads.history(INCOMING.name, record_id)
        same = [h for h in history if h.move == "instruct" and h.actor_id == actor.user_id and h.note == note]
        if same and record.state != State.PROPOSED:
            try:
                await self._confirm(actor, code, "incoming.instruct", target)
            except XietongError as err:
                if err.code != "otp.reused":
                    raise
            return record
        check_may(actor, record, steps, "instruct")         # refused before the code is spent
        await self._confirm(actor, code, "incoming.instruct", target)

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            # 阅知: circulated and closed by the office; 批办: assigned (分办) by the office
            kind = StepKind.CLOSE if r.handling == Handling.READ else StepKind.ASSIGN
            return [NewStep(kind, r.unit_id, Role.CLERK, due_at=r.deadline)], {}
        return await self._apply(actor, record_id, "instruct", note, build, confirmed=True)

    async def _assigning(self, actor: Actor, record_id: int, name: str,
                         leads: list[tuple[int, datetime]], assisting: list[tuple[int, datetime]],
                         note: str) -> Incoming:
        from hub.services.incoming import descendants
        wanted = assignment_of(leads, assisting)

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            allowed = {u for u, _ in await descendants(tx, r.unit_id)}
            a = wanted.checked(now, allowed)
            new = [NewStep(StepKind.HANDLE, a.lead_unit_id, Role.CLERK, due_at=a.lead_due)]
            new += [NewStep(StepKind.ASSIST, u, Role.CLERK, due_at=due) for u, due in a.assisting]
            return new, {"lead_unit_id": a.lead_unit_id}
        return await self._apply(actor, record_id, name, note, build, ladder=True, lead=wanted.lead_unit_id,
                                 assisting=[u for u, _ in wanted.assisting])

    async def assign(self, actor: Actor, record_id: int, leads: list[tuple[int, datetime]],
                     assisting: list[tuple[int, datetime]] = (), note: str = "") -> Incoming:  # type: ignore[assignment]
        """分办: one lead unit (主办) and any number of assisting ones (协办), each with its deadline."""
        return await self._assigning(actor, record_id, "assign", leads, list(assisting), optional_text(note))

    async def reassign(self, actor: Actor, record_id: int, leads: list[tuple[int, datetime]],
                       assisting: list[tuple[int, datetime]] = (), note: str = "") -> Incoming:  # type: ignore[assignment]
        """改办: a leader names the units again; the open handling steps end, new ones open."""
        return await self._assigning(actor, record_id, "reassign", leads, list(assisting), check_text(note))

    async def assist(self, actor: Actor, record_id: int, note: str,
                     step_id: int | None = None) -> Incoming:
        """协办: an assisting unit sends its opinion to the lead (the lead's page shows it)."""
        return await self._apply(actor, record_id, "assist", check_text(note), step_id=step_id)

    async def result(self, actor: Actor, record_id: int, note: str) -> Incoming:
        """办理结果: the lead writes the result; the office answers the sender where asked, and closes."""
        note = check_text(note)

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            return [NewStep(StepKind.CLOSE, r.unit_id, Role.CLERK, due_at=r.deadline)], {"result": note}
        return await self._apply(actor, record_id, "result", note, build)

    async def reply(self, actor: Actor, record_id: int, note: str = "") -> Incoming:
        """答复: the result goes back to the sender as an item of the unit, linked to the record; the
        sender's sign-for is its receipt, as for every item."""
        note = optional_text(note)
        issued: list[Any] = []

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            assert r.delivery_id is not None
            delivery = await tx.deliveries.get(r.delivery_id)
            original = await tx.items.get(delivery.item_id) if delivery else None
            if original is None:
                raise XietongError("incoming.no_reply_wanted")
            title = f"关于《{r.title}》办理情况的答复"
            if len(title) > 200:
                title = title[:199] + "…"
            body = r.result + (f"\n\n{note}" if note else "")
            draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY, title=title, body=body,
                              main_units=(original.sender_unit_id,))
            item = await self.items.issue_in(tx, actor, draft)
            issued.append(item)
            return [], {"reply_item_id": item.id}
        return await self._apply(actor, record_id, "reply", note, build,
                                 after=lambda: self.items.issued(issued[0]))

    async def close(self, actor: Actor, record_id: int, note: str = "") -> Incoming:
        """办结: the record is closed and ready for filing."""
        note = optional_text(note)

        async def build(tx: Tx, now: datetime, r: Incoming) -> tuple[list[NewStep], dict[str, Any]]:
            # the 办结 step waiting for the office is done by this clerk (已办), not merely cancelled
            for s in await tx.roads.open_steps_of(INCOMING.name, r.id):
                if s.kind == StepKind.CLOSE and holds(actor, s):
                    await tx.roads.finish_step(s.id, "done", now, actor.user_id, None, note)
                    await tx.timers.cancel_road_step(s.id)
            await end_supervision(tx, now, INCOMING.name, r.id)     # 督办 ends with the record
            return [], {"closed_at": now}
        return await self._apply(actor, record_id, "close", note, build)


def _resend() -> Any:
    """hub.services.resend (the return of a signed-for delivery to its sender), once it exists."""
    try:
        return importlib.import_module("hub.services.resend")
    except ImportError:
        return None
