"""The to-do list (待办): one list of what waits for this person, with counts per kind, and the
counts the tab bar's badges show.

It reads what the roads already know: the unit's deliveries not yet signed for (clerks), and the
documents it signed for that wait to be registered (登记, where the unit does not register at
sign-for); the outgoing documents waiting for a step the person may take (`DocumentService.todo`);
seal-use requests waiting for a leader's approval or a keeper's stamp; and the open steps of the
office roads (road_steps: 初审, 拟办, 批示, 分办, 承办, 协办, 传阅, 办结, 督办 progress) that name the
person or one of their roles in their unit, read in one indexed query with the records' titles in
one batch. Reading (传阅, 待阅) is kept apart from doing (待办); what the person did is history
(已办 / 已阅).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.documents import DocState
from hub.domain.identity import Actor, Role
from hub.domain.incoming import ROAD as INCOMING_ROAD
from hub.domain.permissions import Action, can, require
from hub.domain.roads import READING, StepKind
from hub.errors import XietongError
from hub.services.documents import DocumentService
from hub.store import Store, Tx
from hub.store.roads import RoadStep
from hub.store.todo import TodoQueries, WaitingSealUse


class TodoKind(StrEnum):
    SIGN_FOR = "sign_for"            # 签收 a delivery of one's unit (clerks)
    REVISE = "revise"                # a draft sent back to its drafter (退回修改)
    REVIEW = "review"                # 审核 (the office)
    SIGNOFF = "signoff"              # 签发 (a leader, with a one-time code)
    RECHECK = "recheck"              # 复核 and 登记: the number (the office)
    SEAL_REQUEST = "seal_request"    # 申请用印 for a registered document
    SEAL_APPROVE = "seal_approve"    # 用印审批 (a leader)
    STAMP = "stamp"                  # 盖章 (the seal keeper)
    DISPATCH = "dispatch"            # 核发 (the office)
    REGISTER = "register"            # 登记 a signed-for document into the 收文登记簿 (clerks)
    FIRST_REVIEW = "first_review"    # 初审 a registered document (clerks)
    PROPOSE = "propose"              # 拟办 (the office)
    INSTRUCT = "instruct"            # 批示 on a received document, when the road asks for one (a leader)
    ASSIGN = "assign"                # 分办: name the lead and assisting units
    HANDLE = "handle"                # 承办 as the lead unit (主办): write the result
    ASSIST = "assist"                # 协办: send the opinion to the lead
    CLOSE = "close"                  # 办结 (and 答复 where the sender asked)
    PROGRESS = "progress"            # 督办: report progress by the next report date
    READ = "read"                    # 待阅: read a circulation (传阅)
    ANSWER = "answer"                # 批复 a 请示 sent up to the office (信息报送)
    APPROVE = "approve"              # 审批 a delegation (代理) of one's unit (the unit admin)


class Tab(StrEnum):
    TODO = "todo"                    # 待办: what waits to be done
    READ = "read"                    # 待阅: what waits to be read
    DONE = "done"                    # 已办: what the person did (history)
    READ_DONE = "read_done"          # 已阅: what the person read (history)


DOC_KINDS = {DocState.REVIEW: TodoKind.REVIEW, DocState.SIGNOFF: TodoKind.SIGNOFF,
             DocState.SIGNED: TodoKind.RECHECK, DocState.SEALED: TodoKind.DISPATCH}
# a road step's kind -> its to-do kind (the incoming road's 初审 is not the outgoing draft's 审核)
STEP_KINDS = {StepKind.REVIEW.value: TodoKind.FIRST_REVIEW, **{
    k.value: TodoKind(k.value) for k in StepKind if k is not StepKind.REVIEW}}
READING_KINDS = frozenset(STEP_KINDS[k.value] for k in READING)
READING_STEPS = tuple(sorted(k.value for k in READING))
URGENCY_RANK = {"extra_urgent": 0, "urgent": 1}
# a signed-for document waits to be registered for this long; older ones were registered on paper
REGISTER_WINDOW = timedelta(days=30)
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class TodoEntry:
    kind: TodoKind
    title: str
    href: str
    urgency: str                      # extra_urgent | urgent | ordinary
    detail: str                       # the sender unit, or the document's number
    since: datetime                   # when it started waiting
    due_at: datetime | None = None    # the deadline, where there is one
    escalated: bool = False           # already at the duty desk
    step_id: int | None = None        # the road step, for road work
    done_at: datetime | None = None   # history (已办 / 已阅): when it was done
    note: str = ""                    # history: the opinion or comment written

    @property
    def reading(self) -> bool:
        return self.kind in READING_KINDS

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "title": self.title, "href": self.href, "urgency": self.urgency,
                "detail": self.detail, "since": self.since.isoformat(),
                "due_at": self.due_at.isoformat() if self.due_at else None, "escalated": self.escalated,
                "step_id": self.step_id, "done_at": self.done_at.isoformat() if self.done_at else None,
                "note": self.note}


def _count(entries: list[TodoEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.kind.value] = counts.get(e.kind.value, 0) + 1
    return counts


@dataclass(frozen=True)
class TodoList:
    entries: list[TodoEntry]                                 # 待办: to be done, the most urgent first
    reading: list[TodoEntry] = field(default_factory=list)   # 待阅: to be read, the most urgent first
    counts: dict[str, int] = field(default_factory=dict)     # per kind (both lists), only kinds with entries

    @property
    def total(self) -> int:
        """待办: what waits to be done."""
        return len(self.entries)

    @property
    def total_reading(self) -> int:
        """待阅: what waits to be read."""
        return len(self.reading)

    def of(self, *kinds: TodoKind) -> list[TodoEntry]:
        return [e for e in self.entries + self.reading if e.kind in kinds]


@dataclass(frozen=True)
class TodoTab:
    """One tab of /todo: its entries, and the count on each tab."""
    tab: Tab
    entries: list[TodoEntry]
    tabs: dict[str, int]             # todo, read, done, read_done -> how many

    @property
    def counts(self) -> dict[str, int]:
        return _count(self.entries)


def _q(tx: Tx) -> TodoQueries:
    return TodoQueries(tx.conn)


def _order(e: TodoEntry) -> tuple[int, str, int, str]:
    """A deadline first (the nearest first), then urgency, then the longest waiting."""
    return (0 if e.due_at else 1, e.due_at.isoformat() if e.due_at else "",
            URGENCY_RANK.get(e.urgency, 2), e.since.isoformat())


async def todo_list(store: Store, documents: DocumentService, actor: Actor) -> TodoList:
    """Everything that waits for `actor`, the most urgent first."""
    require(actor, Action.VIEW_HOME)
    unit = actor.unit_id
    entries: list[TodoEntry] = []
    async with store.read() as tx:
        if actor.has(Role.CLERK) and can(actor, Action.HANDLE_DELIVERY, unit):
            entries += [TodoEntry(TodoKind.SIGN_FOR, d.title, f"/items/{d.item_id}", d.urgency, d.sender_name,
                                  d.sent_at, d.due_at, d.escalated) for d in await _q(tx).open_deliveries(unit)]
        if can(actor, Action.DRAFT_DOCUMENT, unit):
            entries += [TodoEntry(TodoKind.REVISE, d.title, f"/documents/{d.id}", d.urgency, d.doc_kind,
                                  d.updated_at) for d in await tx.documents.in_state(unit, DocState.RETURNED)
                        if d.drafter_id == actor.user_id]
        if can(actor, Action.HANDLE_OUTGOING, unit) or can(actor, Action.USE_SEAL, unit):
            entries += [TodoEntry(TodoKind.SEAL_REQUEST, title, f"/documents/{doc_id}#seal", urgency, number, at)
                        for doc_id, title, number, urgency, at in await _q(tx).registered_without_seal_request(unit)]
        if can(actor, Action.APPROVE_SEAL_USE, unit):
            entries += [TodoEntry(TodoKind.SEAL_APPROVE, r.title, f"/documents/{r.document_id}#seal", r.urgency,
                                  r.doc_number or r.unit_name, r.requested_at)
                        for r in await _q(tx).seal_uses(unit, "pending")]
        if can(actor, Action.USE_SEAL, unit):
            entries += [TodoEntry(TodoKind.STAMP, r.title, f"/documents/{r.document_id}#seal", r.urgency,
                                  r.doc_number or r.unit_name, r.requested_at)
                        for r in await _q(tx).seal_uses(unit, "approved")]
        if can(actor, Action.REGISTER_INCOMING, unit) and not await tx.incoming.auto_register(unit):
            since = documents.clock.now() - REGISTER_WINDOW
            entries += [TodoEntry(TodoKind.REGISTER, d.title, f"/items/{d.item_id}#register-item", d.urgency,
                                  d.sender_name, d.sent_at)
                        for d in await _q(tx).signed_unregistered(unit, since)]
        steps = await tx.roads.open_for(actor.user_id, unit, sorted(r.value for r in actor.roles))
        entries += await _step_entries(tx, steps)
    for d in await documents.todo(actor):
        kind = DOC_KINDS.get(d.state)
        if kind is not None:
            entries.append(TodoEntry(kind, d.title, f"/documents/{d.id}", d.urgency, d.doc_number or d.doc_kind,
                                     d.updated_at))
    entries.sort(key=_order)
    doing = [e for e in entries if not e.reading]
    reading = [e for e in entries if e.reading]
    return TodoList(doing, reading, _count(entries))


@dataclass(frozen=True)
class StepRecord:
    """What a to-do entry shows of a road step's record, and where it links."""
    title: str
    link: str
    urgency: str
    label: str          # the line under the title: 收文编号 · 来文单位, a report's kind, ...


StepRecords = Callable[[Tx, list[int]], Awaitable[dict[int, StepRecord]]]


async def _incoming_records(tx: Tx, ids: list[int]) -> dict[int, StepRecord]:
    return {i: StepRecord(r.title, f"/incoming/{r.id}", r.urgency, f"{r.number} · {r.from_unit}")
            for i, r in (await tx.incoming.many(ids)).items()}


# road name -> how its records show in the to-do list (a later road registers its own)
STEP_RECORDS: dict[str, StepRecords] = {INCOMING_ROAD: _incoming_records}


def register_todo_road(road: str, records: StepRecords) -> None:
    """A road's service names how its steps' records show in 待办 (reports, delegations, ...)."""
    STEP_RECORDS[road] = records


async def _step_entries(tx: Tx, steps: list[RoadStep]) -> list[TodoEntry]:
    """Road steps as entries, each road's records read in one batch; each links to its record
    (a reader's too: the read form is on the record's page)."""
    records: dict[str, dict[int, StepRecord]] = {}
    for road in sorted({s.road for s in steps}):
        reader = STEP_RECORDS.get(road)
        if reader is not None:
            records[road] = await reader(tx, sorted({s.record_id for s in steps if s.road == road}))
    out: list[TodoEntry] = []
    for s in steps:
        kind = STEP_KINDS.get(s.kind)
        record = records.get(s.road, {}).get(s.record_id)
        if kind is None or record is None:
            continue
        out.append(TodoEntry(kind, record.title, record.link, record.urgency, record.label, s.opened_at,
                             s.due_at, step_id=s.id, done_at=s.done_at, note=s.note))
    return out


def parse_tab(value: str | None) -> Tab:
    """The tab of /todo and /api/todo (?tab=todo|read|done|read_done); missing: 待办."""
    if not value:
        return Tab.TODO
    try:
        return Tab(value)
    except ValueError:
        raise XietongError("input.invalid", field="tab") from None


async def todo_tab(store: Store, documents: DocumentService, actor: Actor, tab: Tab) -> TodoTab:
    """One tab of the to-do page: 待办 or 待阅 (what waits), 已办 or 已阅 (what the person did, the
    latest first), with the count of each tab."""
    todo = await todo_list(store, documents, actor)
    async with store.read() as tx:
        done, read_done = await _q(tx).done_counts(actor.user_id, READING_STEPS)
        entries = todo.entries if tab is Tab.TODO else todo.reading if tab is Tab.READ else \
            await _step_entries(tx, await tx.roads.done_by(actor.user_id, HISTORY_LIMIT, READING_STEPS,
                                                            other_kinds=tab is Tab.DONE))
    return TodoTab(tab, entries, {Tab.TODO.value: todo.total, Tab.READ.value: todo.total_reading,
                                  Tab.DONE.value: done, Tab.READ_DONE.value: read_done})


async def badges(store: Store, documents: DocumentService, actor: Actor) -> dict[str, int]:
    """The tab bar's counts: everything that waits for the person (待办 and 待阅 together: the 待办
    tab's badge; `reading` says how many of them are 待阅), unread messages of one's unit, and for
    the duty desk the escalated items not yet signed for."""
    todo = await todo_list(store, documents, actor)
    out = {"todo": todo.total + todo.total_reading, "reading": todo.total_reading, "unread": 0, "duty": 0}
    async with store.read() as tx:
        if can(actor, Action.VIEW_ITEM, actor.unit_id):
            out["unread"] = await _q(tx).unread_count(actor.unit_id)
        if can(actor, Action.DUTY_DESK):
            out["duty"] = len(await tx.deliveries.escalated_open())
    return out


async def stamp_queue(store: Store, keeper: Actor) -> list[WaitingSealUse]:
    """The seal keeper's queue: approved uses in the keeper's unit, with each document's title, number
    and unit, the most urgent first."""
    require(keeper, Action.USE_SEAL, keeper.unit_id)
    async with store.read() as tx:
        return await _q(tx).seal_uses(keeper.unit_id, "approved")
