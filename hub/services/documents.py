"""Outgoing documents (发文): each step one transaction with its history row and audit row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock
from hub.config import Config
from hub.domain.calendar import CST
from hub.domain.documents import (
    EDIT_ACTION,
    RULES,
    UPWARD_KINDS,
    Content,
    DocOp,
    DocState,
    action_for,
    after_edit,
    document_number,
    rule_for,
)
from hub.domain.identity import Actor
from hub.domain.items import DOC_KINDS, Attachment, ItemDraft, ItemKind, Urgency, check_draft
from hub.domain.paper import check_layout
from hub.domain.permissions import Action, can, require
from hub.errors import XietongError
from hub.services import audit
from hub.services.items import ItemService
from hub.services.otp import confirm_retry
from hub.store import Store, Tx
from hub.store.documents import DocAttachment, DocFields, Document, HistoryEntry

Confirm = Callable[[Actor, str, str, str], Awaitable[None]]   # the one-time-password check


@dataclass(frozen=True)
class DocumentView:
    doc: Document
    attachments: list[DocAttachment]
    history: list[HistoryEntry]
    ops: list[DocOp]                    # what the viewer may do now
    content_changed: bool               # differs from what the leader signed


def check_fields(f: DocFields, attachments: list[Attachment], now: datetime, limit: int) -> None:
    """The same refusals as any item (classification marks, sizes, recipients), before anything is stored."""
    if f.doc_kind not in DOC_KINDS:
        raise XietongError("item.bad_doc_kind")
    try:
        urgency = Urgency(f.urgency)
    except ValueError:
        raise XietongError("item.bad_kind") from None
    check_draft(ItemDraft(kind=ItemKind.DOCUMENT, urgency=urgency, title=f.title, body=f.body,
                          main_units=f.main_units, copy_units=f.copy_units, doc_kind=f.doc_kind,
                          issuing_office=f.issuing_office, attachments=tuple(attachments)), now, limit)


class DocumentService:
    def __init__(self, store: Store, clock: Clock, config: Config, items: ItemService, confirm: Confirm,
                 todo_changed: Callable[[int], None] = lambda unit_id: None) -> None:
        self.store, self.clock, self.config, self.items, self._confirm = store, clock, config, items, confirm
        self._todo_changed = todo_changed      # a step moved: the unit's phones ask for their badges again

    @property
    def _limit(self) -> int:
        return self.config.items.attachment_limit_kib * 1024

    async def draft(self, actor: Actor, fields: DocFields, attachments: list[Attachment] = ()) -> Document:  # type: ignore[assignment]
        """拟稿: a new draft of the actor's unit."""
        require(actor, Action.DRAFT_DOCUMENT, actor.unit_id)
        now = self.clock.now()
        check_fields(fields, list(attachments), now, self._limit)
        async with self.store.write() as tx:
            doc_id = await tx.documents.add(actor.unit_id, actor.user_id, fields, now)
            for a in attachments:
                await tx.documents.add_attachment(doc_id, a)
            await tx.documents.add_history(doc_id, now, actor.user_id, actor.signature, "draft", "", "draft", "")
            await audit.record(tx, now, actor, "document.draft", f"document:{doc_id}", title=fields.title)
            doc = await tx.documents.get(doc_id)
        assert doc is not None
        return doc

    async def view(self, actor: Actor, doc_id: int) -> DocumentView:
        async with self.store.read() as tx:
            doc = await self._visible(tx, actor, doc_id)
            attachments = await tx.documents.attachments(doc_id)
            history = await tx.documents.history(doc_id)
        digest = _content(doc, attachments).digest()
        return DocumentView(doc, attachments, history, self._ops(actor, doc),
                            doc.signed_digest is not None and digest != doc.signed_digest)

    async def of_unit(self, actor: Actor) -> list[Document]:
        """The outgoing documents of the actor's unit, newest first."""
        require(actor, Action.VIEW_ITEM, actor.unit_id)
        async with self.store.read() as tx:
            return await tx.documents.for_unit(actor.unit_id)

    async def awaiting(self, actor: Actor, state: DocState) -> list[Document]:
        """What waits for this actor's step in their unit, the most urgent first."""
        async with self.store.read() as tx:
            return [d for d in await tx.documents.in_state(actor.unit_id, state) if self._ops(actor, d)]

    async def instruct(self, actor: Actor, item_id: int, text: str, code: str) -> int:
        event_id = await instruct(self.store, self.clock, self._confirm, actor, item_id, text, code)
        self.items.published()
        return event_id

    async def todo(self, actor: Actor) -> list[Document]:
        """待办: the unit's documents waiting for a step this actor may take, the most urgent first."""
        waiting = (DocState.REVIEW, DocState.SIGNOFF, DocState.SIGNED, DocState.REGISTERED, DocState.SEALED)
        order = {"extra_urgent": 0, "urgent": 1}
        async with self.store.read() as tx:
            docs = [d for st in waiting for d in await tx.documents.in_state(actor.unit_id, st)]
        mine = [d for d in docs if set(self._ops(actor, d)) - {DocOp.EDIT, DocOp.RETURN}]
        return sorted(mine, key=lambda d: (order.get(d.urgency, 2), d.id))

    async def attachment(self, actor: Actor, attachment_id: int) -> tuple[DocAttachment, bytes]:
        async with self.store.read() as tx:
            found = await tx.documents.attachment_content(attachment_id)
            if found is None:
                raise XietongError("document.not_found")
            await self._visible(tx, actor, found[0].document_id)
        return found

    def _ops(self, actor: Actor, doc: Document) -> list[DocOp]:
        return [op for op, rule in RULES.items()
                if doc.state in rule.from_states and can(actor, action_for(op, doc.state), doc.unit_id)]

    async def _visible(self, tx: Tx, actor: Actor, doc_id: int) -> Document:
        doc = await tx.documents.get(doc_id)
        if doc is None or not can(actor, Action.VIEW_ITEM, doc.unit_id):
            raise XietongError("document.not_found")
        return doc

    # -- the steps -------------------------------------------------------------------------

    async def edit(self, actor: Actor, doc_id: int, fields: DocFields, comment: str = "") -> Document:
        """Change the content; after sign-off (复核) a real change sends it back to the leader."""
        now = self.clock.now()
        check_fields(fields, [], now, self._limit)
        async with self.store.write() as tx:
            doc = await self._visible(tx, actor, doc_id)
            rule_for(DocOp.EDIT, doc.state)
            require(actor, EDIT_ACTION[doc.state], doc.unit_id)
            await tx.documents.update_content(doc_id, fields, now)
            changed = await tx.documents.get(doc_id)
            assert changed is not None
            digest = _content(changed, await tx.documents.attachments(doc_id)).digest()
            state = after_edit(doc.state, doc.signed_digest, digest)
            if state is not doc.state:
                await tx.documents.set_state(doc_id, state, now)
                comment = comment or "复核中修改了已签发内容，退回领导重新签发"
            await tx.documents.add_history(doc_id, now, actor.user_id, actor.signature, "edit", doc.state.value,
                                           state.value, comment)
            await audit.record(tx, now, actor, "document.edit", f"document:{doc_id}", back_to_leader=state is not doc.state)
            result = await tx.documents.get(doc_id)
        assert result is not None
        self._todo_changed(result.unit_id)
        return result

    async def act(self, actor: Actor, doc_id: int, op: DocOp, comment: str = "", code: str = "") -> Document:
        """Every step but editing: submit, return, approve, sign, register, seal, dispatch, withdraw."""
        comment = comment.strip()[:1000]
        async with self.store.read() as tx:
            doc = await self._visible(tx, actor, doc_id)
        if op is DocOp.SIGN and doc.state is DocState.SIGNED and doc.signed_by == actor.user_id:
            # the leader's retry of a sign-off that committed (the answer was lost): what was signed
            require(actor, RULES[op].action, doc.unit_id)
            await confirm_retry(self._confirm, actor, code, f"document.{op.value}", f"document:{doc_id}")
            return doc
        rule = rule_for(op, doc.state)
        require(actor, rule.action, doc.unit_id)
        if op is DocOp.SEAL:       # sealing is stamping with the electronic seal (hub.seals.stamp)
            raise XietongError("document.seal_by_stamping")
        if rule.needs_comment and not comment:
            raise XietongError("document.comment_required")
        if op in (DocOp.SUBMIT, DocOp.APPROVE, DocOp.SIGN):
            check_layout(doc.title, doc.body)       # what would not lay out as a 公文, before sign-off
        if rule.needs_code:
            await self._confirm(actor, code, f"document.{op.value}", f"document:{doc_id}")
        now = self.clock.now()
        issued = None
        async with self.store.write() as tx:
            doc = await self._visible(tx, actor, doc_id)        # again, inside the writer
            rule_for(op, doc.state)
            to_state = rule.to_state
            assert to_state is not None
            attachments = await tx.documents.attachments(doc_id)
            digest = _content(doc, attachments).digest()
            if op is DocOp.SIGN:
                await tx.documents.sign(doc_id, digest, actor.user_id, actor.signature, now)
            elif op is DocOp.REGISTER:
                if digest != doc.signed_digest:                  # 复核: not what the leader signed
                    to_state = DocState.SIGNOFF
                    comment = comment or "复核发现内容与签发时不一致，退回领导重新签发"
                    await tx.documents.set_state(doc_id, to_state, now)
                else:
                    code_ = await tx.documents.unit_doc_code(doc.unit_id)
                    if not code_:
                        raise XietongError("document.no_doc_code")
                    year = now.astimezone(CST).year
                    seq = await tx.documents.next_number(code_, year)
                    number = document_number(code_, year, seq)
                    await tx.documents.register(doc_id, code_, year, seq, number, now)
                    comment = comment or number
            elif op is DocOp.DISPATCH:
                issued = await self.items.issue_in(tx, actor, await self._item_draft(tx, doc, now))
                await tx.documents.dispatched(doc_id, issued.id, now)
            elif op is DocOp.WITHDRAW:
                item = await tx.items.get(doc.item_id) if doc.item_id else None
                if item is not None:
                    await self.items.withdraw_in(tx, actor, item, comment)
                await tx.documents.set_state(doc_id, to_state, now)
            else:
                await tx.documents.set_state(doc_id, to_state, now)
            await tx.documents.add_history(doc_id, now, actor.user_id, actor.signature, op.value, doc.state.value,
                                           to_state.value, comment)
            await audit.record(tx, now, actor, f"document.{op.value}", f"document:{doc_id}", comment=comment,
                               digest=digest if op is DocOp.SIGN else None)
            result = await tx.documents.get(doc_id)
        if issued is not None:
            self.items.issued(issued)
        elif op is DocOp.WITHDRAW:
            self.items.published()
        assert result is not None
        self._todo_changed(result.unit_id)
        return result

    async def _item_draft(self, tx: Tx, doc: Document, now: datetime) -> ItemDraft:
        """The dispatched document as an urgent item: header fields, 签发人 on upward documents."""
        return ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency(doc.urgency), title=doc.title, body=doc.body,
                         main_units=doc.main_units, copy_units=doc.copy_units, doc_number=doc.doc_number or "",
                         doc_kind=doc.doc_kind, issuing_office=doc.issuing_office,
                         doc_date=(doc.signed_at or now).astimezone(CST).date().isoformat(),
                         attachments=tuple(await tx.documents.attachment_files(doc.id)),
                         signer=doc.signer_name if doc.doc_kind in UPWARD_KINDS else "")


def _content(doc: Document, attachments: list[DocAttachment]) -> Content:
    return Content(doc.title, doc.body, doc.doc_kind, doc.urgency, doc.issuing_office, doc.main_units,
                   doc.copy_units, tuple((a.name, a.sha256) for a in attachments))


content_of = _content      # the canonical content a leader signs and a seal stamps (hub.services.seals)


async def instruct(store: Store, clock: Clock, confirm: Confirm, actor: Actor, item_id: int, text: str,
                   code: str) -> int:
    """批示: a leader of a recipient unit writes an instruction on a received item, confirmed by a
    one-time password; it is an event of the unit's delivery, so the unit sees it live."""
    text = text.strip()[:2000]
    if not text:
        raise XietongError("document.comment_required")
    async with store.read() as tx:
        item = await tx.items.get(item_id)
        delivery = await tx.deliveries.of_item_for_unit(item_id, actor.unit_id) if item else None
    if item is None or delivery is None or not can(actor, Action.VIEW_ITEM, [item.sender_unit_id, delivery.unit_id]):
        raise XietongError("item.not_found")
    require(actor, Action.SIGN_DOCUMENT, delivery.unit_id)
    try:
        await confirm(actor, code, "item.instruction", f"item:{item_id}")
    except XietongError as err:
        # the code was used: if by this very instruction (a retry whose answer was lost), answer with it
        async with store.read() as tx:
            same = [e.id for e in await tx.events.for_item(item_id)
                    if e.type == "item.instruction" and e.delivery_id == delivery.id
                    and e.actor_id == actor.user_id and e.data.get("text") == text]
        if err.code != "otp.reused" or not same:
            raise
        return same[-1]
    now = clock.now()
    async with store.write() as tx:
        event_id = await tx.events.add(now, "item.instruction", item.id, item.sender_unit_id, delivery.id,
                                       delivery.unit_id, actor.user_id, by=actor.signature, text=text)
        await audit.record(tx, now, actor, "item.instruction", f"item:{item_id}", text=text)
    return event_id
