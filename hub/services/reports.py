"""Reports upward (信息报送): a unit sends a report to an upper unit and gets its receipt number
(回执编号) in the same transaction; a 请示 opens the receiving office's ANSWER step (批复), due in
`[reports] answer_working_days` working days with its deadline rungs on the one schedule; the office
answers with an ordinary item to the unit (关于《…》的批复) that links back, and adopts (采用) a
report once. Who sees a report: the sending unit and the receiving office (`sees`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST, WorkCalendar
from hub.domain.identity import Actor, Role, UnitKind
from hub.domain.items import Attachment, Item, ItemDraft, ItemKind, Urgency, check_draft
from hub.domain.permissions import Action, can, require
from hub.domain.reports import (
    KIND_ZH,
    ROAD,
    ROAD_TABLE,
    Kind,
    Report,
    State,
    answer_title,
    check_answer,
    clean_title,
    first_state,
    parse_kind,
)
from hub.domain.roads import StepKind, parse_road_ladder
from hub.errors import XietongError
from hub.services import audit
from hub.services.circulars import Period, parse_period
from hub.services.incoming import working_days_after
from hub.services.items import ItemService
from hub.services.report_figures import FigureRow, unit_figures, weights_of
from hub.services.road_deadlines import RoadRecord, register_road
from hub.services.roads import NewStep, apply_move
from hub.services.todo import StepRecord, register_todo_road
from hub.store import Store, Tx
from hub.store.reports import ReportFile


async def upper_units(tx: Tx, unit_id: int) -> list[int]:
    """The ancestors of a unit, nearest first."""
    out: list[int] = []
    unit = await tx.units.get(unit_id)
    while unit is not None and unit.parent_id is not None and unit.parent_id not in out:
        out.append(unit.parent_id)
        unit = await tx.units.get(unit.parent_id)
    return out


async def default_target(tx: Tx, unit_id: int) -> int:
    """The nearest ancestor of kind OFFICE (the demo's townships: BGS)."""
    for up in await upper_units(tx, unit_id):
        unit = await tx.units.get(up)
        if unit is not None and unit.kind is UnitKind.OFFICE:
            return up
    raise XietongError("report.no_upper_unit")


def sees(actor: Actor, report: Report) -> bool:
    """The sending unit's and the receiving office's people who deal with reports."""
    return can(actor, Action.SEND_REPORT, report.unit_id) or can(actor, Action.RECEIVE_REPORTS, report.to_unit_id)


def check_content(title: str, body: str, to_unit_id: int, files: Sequence[Attachment], now: datetime,
                  limit: int) -> None:
    """What an item refuses a report refuses too (a classification mark, a long title or body, a bad
    file name), by the items' own check; each file is held to the limit by itself."""
    def draft(att: tuple[Attachment, ...]) -> ItemDraft:
        return ItemDraft(ItemKind.DOCUMENT, Urgency.ORDINARY, title, body, (to_unit_id,), attachments=att)
    check_draft(draft(()), now, limit)
    for f in files:
        check_draft(draft((f,)), now, limit)


# --- the road's record, for the schedule, chases, supervision and the to-do list --------------------

async def _record(tx: Tx, record_id: int) -> RoadRecord | None:
    r = await tx.reports.get(record_id)
    if r is None:
        return None
    return RoadRecord(ROAD, r.id, r.to_unit_id, r.title, "请示", r.state is State.AWAITING, None, r.state.value,
                      r.receipt_no, r.answer_due_at)


async def _todo_records(tx: Tx, ids: list[int]) -> dict[int, StepRecord]:
    found = await tx.reports.many(ids)
    units = {u.id: u.name for u in await tx.units.all()}
    return {i: StepRecord(r.title, f"/reports/{r.id}", "ordinary",
                          f"{KIND_ZH[r.kind]} · {units.get(r.unit_id, '')} · {r.receipt_no}")
            for i, r in found.items()}


register_road(ROAD, _record)
register_todo_road(ROAD, _todo_records)


@dataclass(frozen=True)
class ReportView:
    """A report as its page shows it."""
    report: Report
    unit: str
    to_unit: str
    sender: str
    files: list[ReportFile]
    may_adopt: bool
    may_answer: bool
    overdue: bool


class ReportService:
    def __init__(self, store: Store, clock: Clock, config: Config, calendar: WorkCalendar, items: ItemService,
                 road_moved: Callable[[int], None]) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.calendar = calendar
        self.items = items
        self._road_moved = road_moved

    async def send(self, actor: Actor, kind: str, title: str, body: str = "", to_unit_id: int | None = None,
                   files: Sequence[Attachment] = ()) -> Report:
        """The report, its receipt number, its files, its history and audit rows and (a 请示) its
        ANSWER step with the deadline rungs: one transaction."""
        k, t = parse_kind(kind), clean_title(title)
        require(actor, Action.SEND_REPORT, actor.unit_id)
        now = self.clock.now()
        c = self.config.reports
        today = now.astimezone(CST).date()
        async with self.store.write() as tx:
            target = to_unit_id if to_unit_id is not None else await default_target(tx, actor.unit_id)
            if target not in await upper_units(tx, actor.unit_id):
                raise XietongError("report.not_upper_unit")
            check_content(t, body, target, files, now, c.attachment_limit_kib * 1024)
            due = working_days_after(self.calendar, today, c.answer_working_days) if k is Kind.REQUEST else None
            report = await tx.reports.add(actor.unit_id, target, k, t, body.strip(), actor.user_id, now, today,
                                          first_state(k), due)
            for f in files:
                await tx.reports.add_file(report.id, f.name, f.content_type, f.content)
            steps = [NewStep(StepKind.ANSWER, target, Role.CLERK, due_at=due)] if due else []
            moved = await apply_move(tx, now, actor, ROAD_TABLE, report.id, target, "", "send", new_steps=steps,
                                     ladder=parse_road_ladder(c.ladder), receipt_no=report.receipt_no,
                                     kind=k.value, to_unit_id=target, files=len(files))
        for unit in sorted(moved.units):
            self._road_moved(unit)
        return report

    async def answer(self, actor: Actor, report_id: int, text: str) -> tuple[Report, Item]:
        """批复: an ordinary (加急) item to the sending unit, titled 关于《…》的批复, which closes the ANSWER
        step; one transaction, then the item goes out as every issued item does."""
        now = self.clock.now()
        async with self.store.write() as tx:
            report = await self._office(tx, actor, report_id)
            check_answer(report.kind, report.state)
            text = text.strip()
            if not text:
                raise XietongError("report.answer_required")
            to = await tx.units.get(report.to_unit_id)
            item = await self.items.issue_in(tx, actor, ItemDraft(
                ItemKind.DOCUMENT, Urgency.URGENT, answer_title(report.title), text, (report.unit_id,),
                doc_kind="批复", issuing_office=to.name if to else ""))
            try:
                moved = await apply_move(tx, now, actor, ROAD_TABLE, report.id, report.to_unit_id,
                                         report.state.value, "answer", note=text[:200], item_id=item.id)
            except XietongError as err:
                if err.code == "road.not_your_step":
                    raise XietongError("report.not_answerer") from None
                raise
            if not await tx.reports.set_answered(report.id, item.id, now):
                raise XietongError("report.already_answered")
            got = await tx.reports.get(report.id)
            assert got is not None
        self.items.issued(item)
        for unit in sorted(moved.units):
            self._road_moved(unit)
        return got, item

    async def adopt(self, actor: Actor, report_id: int, note: str) -> Report:
        """The receiving office adopts (采用) a report, saying where (e.g. 《示范区政务信息》第12期)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            await self._office(tx, actor, report_id)
            if not await tx.reports.adopt(report_id, actor.user_id, " ".join(note.split())[:200], now):
                raise XietongError("report.already_adopted")
            await audit.record(tx, now, actor, "report.adopt", f"report:{report_id}", note=note[:200])
            got = await tx.reports.get(report_id)
            assert got is not None
        self._road_moved(got.unit_id)       # the unit's open pages refresh their badges
        return got

    # -- reading ---------------------------------------------------------------------------------

    async def _visible(self, tx: Tx, actor: Actor, report_id: int) -> Report:
        report = await tx.reports.get(report_id)
        if report is None or not sees(actor, report):
            raise XietongError("report.not_found")
        return report

    async def _office(self, tx: Tx, actor: Actor, report_id: int) -> Report:
        """The report, for its receiving office; the sending unit is told only the office acts on it."""
        report = await self._visible(tx, actor, report_id)
        if not can(actor, Action.RECEIVE_REPORTS, report.to_unit_id):
            raise XietongError("report.not_receiving_office")
        return report

    async def targets(self, actor: Actor) -> list[tuple[int, str]]:
        """The upper units a report may go to, the default (nearest office) first."""
        require(actor, Action.SEND_REPORT, actor.unit_id)
        async with self.store.read() as tx:
            ups = await upper_units(tx, actor.unit_id)
            try:
                first = await default_target(tx, actor.unit_id)
            except XietongError:
                first = None
            names = {u.id: u.name for u in await tx.units.all()}
        order = ([first] if first is not None else []) + [u for u in ups if u != first]
        return [(u, names.get(u, "")) for u in order]

    async def view(self, actor: Actor, report_id: int) -> ReportView:
        async with self.store.read() as tx:
            r = await self._visible(tx, actor, report_id)
            units = {u.id: u.name for u in await tx.units.all()}
            sender = await tx.users.get(r.sender_id)
            files = await tx.reports.files_of(r.id)
        office = can(actor, Action.RECEIVE_REPORTS, r.to_unit_id)
        return ReportView(r, units.get(r.unit_id, ""), units.get(r.to_unit_id, ""), sender.name if sender else "",
                          files, office and r.adopted_at is None, office and r.state is State.AWAITING,
                          self.overdue(r))

    def overdue(self, r: Report) -> bool:
        return r.state is State.AWAITING and r.answer_due_at is not None and r.answer_due_at < self.clock.now()

    async def sent(self, actor: Actor) -> list[Report]:
        """My unit's reports, newest first."""
        require(actor, Action.SEND_REPORT, actor.unit_id)
        async with self.store.read() as tx:
            return await tx.reports.sent_by(actor.unit_id)

    async def received(self, actor: Actor, kind: str = "", state: str = "") -> list[Report]:
        """The office's inbox, newest first; `kind` and `state` filter it ('overdue': 请示 past due)."""
        require(actor, Action.RECEIVE_REPORTS, actor.unit_id)
        k = parse_kind(kind) if kind else None
        if state and state != "overdue" and state not in {s.value for s in State}:
            raise XietongError("report.unknown_state", state=state)
        async with self.store.read() as tx:
            rows = await tx.reports.received_by(actor.unit_id)
        return [r for r in rows if (k is None or r.kind is k) and (
            not state or (self.overdue(r) if state == "overdue" else
                          (r.adopted_at is not None if state == State.ADOPTED.value else r.state.value == state)))]

    async def file(self, actor: Actor, file_id: int) -> tuple[ReportFile, bytes]:
        """A report's file, for the sending unit and the receiving office only."""
        async with self.store.read() as tx:
            found = await tx.reports.file(file_id)
            if found is None:
                raise XietongError("report.file_not_found")
            try:
                await self._visible(tx, actor, found[0].report_id)
            except XietongError:
                raise XietongError("report.file_not_found") from None
        return found

    async def of_answer_item(self, actor: Actor, item_id: int) -> Report | None:
        """The 请示 an item (a 批复) answers; the item page already checked the actor sees the item."""
        async with self.store.read() as tx:
            return await tx.reports.of_answer_item(item_id)

    async def figures(self, actor: Actor, first: str = "", last: str = "") -> tuple[Period, list[FigureRow]]:
        """The office's per-unit figures for Beijing days `first`..`last` (default: this month so far)."""
        require(actor, Action.RECEIVE_REPORTS, actor.unit_id)
        now = self.clock.now()
        today = now.astimezone(CST).date()
        period = parse_period("", first or today.replace(day=1).isoformat(), last or today.isoformat())
        async with self.store.read() as tx:
            rows = await unit_figures(tx, actor.unit_id, period.since, period.until, now, weights_of(self.config))
        return period, rows
