"""The to-do list (待办): one list of what waits for this person, with counts per kind, and the
counts the tab bar's badges show.

It reads what the other roads already know: the unit's deliveries not yet signed for (clerks),
the outgoing documents waiting for a step the person may take (`DocumentService.todo`), seal-use
requests waiting for a leader's approval or a keeper's stamp, and received documents waiting
for a leader's instruction (批示) — those of the last 30 days: there is no explicit request for an
instruction yet (the incoming road, 收文, will bring one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.documents import DocState
from hub.domain.identity import Actor, Role
from hub.domain.permissions import Action, can, require
from hub.services.documents import DocumentService
from hub.store import Store, Tx
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
    INSTRUCT = "instruct"            # 批示 on a received document (a leader)


DOC_KINDS = {DocState.REVIEW: TodoKind.REVIEW, DocState.SIGNOFF: TodoKind.SIGNOFF,
             DocState.SIGNED: TodoKind.RECHECK, DocState.SEALED: TodoKind.DISPATCH}
URGENCY_RANK = {"extra_urgent": 0, "urgent": 1}
# a received document waits for a leader's instruction for this long; older ones are the archive's
INSTRUCT_WINDOW = timedelta(days=30)


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

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "title": self.title, "href": self.href, "urgency": self.urgency,
                "detail": self.detail, "since": self.since.isoformat(),
                "due_at": self.due_at.isoformat() if self.due_at else None, "escalated": self.escalated}


@dataclass(frozen=True)
class TodoList:
    entries: list[TodoEntry]
    counts: dict[str, int] = field(default_factory=dict)   # per kind, only kinds with entries

    @property
    def total(self) -> int:
        return len(self.entries)

    def of(self, *kinds: TodoKind) -> list[TodoEntry]:
        return [e for e in self.entries if e.kind in kinds]


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
        if can(actor, Action.SIGN_DOCUMENT, unit):
            entries += [TodoEntry(TodoKind.INSTRUCT, d.title, f"/items/{d.item_id}#instruction", d.urgency,
                                  d.sender_name, d.sent_at)
                        for d in await _q(tx).awaiting_instruction(unit, documents.clock.now() - INSTRUCT_WINDOW)]
    for d in await documents.todo(actor):
        kind = DOC_KINDS.get(d.state)
        if kind is not None:
            entries.append(TodoEntry(kind, d.title, f"/documents/{d.id}", d.urgency, d.doc_number or d.doc_kind,
                                     d.updated_at))
    entries.sort(key=_order)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.kind.value] = counts.get(e.kind.value, 0) + 1
    return TodoList(entries, counts)


async def badges(store: Store, documents: DocumentService, actor: Actor) -> dict[str, int]:
    """The tab bar's counts: what waits (待办), unread messages of one's unit, and for the duty desk
    the escalated items not yet signed for."""
    todo = await todo_list(store, documents, actor)
    out = {"todo": todo.total, "unread": 0, "duty": 0}
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
