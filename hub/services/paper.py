"""An outgoing document as it is on paper: its parts from its fields, and its PDF (GB/T 9704).

Whoever may see the document may have its PDF. Until the document is registered it carries no
发文字号 and is marked as a draft in its file name; its 成文日期 is the day the leader signed it
(today until then), its 印发日期 the day it is laid out. Once stamped, the PDF is the one signed
with the seal (hub.services.sealed_pdf), byte for byte.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from hub.clock import Clock
from hub.domain.calendar import CST
from hub.domain.documents import UPWARD_KINDS, DocState
from hub.domain.identity import Actor
from hub.domain.items import Urgency
from hub.domain.paper import Paper, body_blocks, chinese_date
from hub.errors import XietongError
from hub.render.paper import LazyRenderer
from hub.services.documents import DocumentService
from hub.store import Store, Tx
from hub.store.documents import DocAttachment, Document

URGENCY_MARK = {Urgency.EXTRA_URGENT.value: "特急", Urgency.URGENT.value: "加急"}


def paper_of(doc: Document, attachments: list[DocAttachment], unit_names: dict[int, str], today: datetime) -> Paper:
    """The printed parts of a document (pure)."""
    office = doc.issuing_office.strip()
    dated = chinese_date((doc.signed_at or today).astimezone(CST).date())
    return Paper(
        issuer_mark=f"{office}文件", title=doc.title, blocks=body_blocks(doc.body), signature=office, dated=dated,
        doc_number=doc.doc_number or "", urgency=URGENCY_MARK.get(doc.urgency, ""),
        signer=doc.signer_name if doc.doc_kind in UPWARD_KINDS else "", upward=doc.doc_kind in UPWARD_KINDS,
        main_to="，".join(unit_names.get(u, "") for u in doc.main_units),
        attachments=tuple(a.name.rsplit(".", 1)[0] for a in attachments),
        copy_to="，".join(unit_names.get(u, "") for u in doc.copy_units),
        printed_by=office, printed_on=chinese_date(today.astimezone(CST).date()))


class PaperService:
    def __init__(self, store: Store, clock: Clock, documents: DocumentService, renderer: LazyRenderer) -> None:
        self.store, self.clock, self.documents, self.renderer = store, clock, documents, renderer

    async def pdf(self, actor: Actor, doc_id: int) -> tuple[str, bytes]:
        """(file name, PDF) of a document the actor may see: once stamped, the PDF that carries its
        seal, as it was signed; before, laid out now."""
        view = await self.documents.view(actor, doc_id)
        doc = view.doc
        async with self.store.read() as tx:
            sealed = await tx.seals.sealed_pdf(doc_id)
            names = {u.id: u.name for u in await tx.units.all()}
        if sealed is not None:
            return f"{doc.doc_number or doc.title}.pdf", sealed
        self.renderer.check()
        paper = paper_of(doc, view.attachments, names, self.clock.now())
        pdf = (await asyncio.to_thread(self.renderer.render, paper)).pdf
        numbered = doc.state not in (DocState.DRAFT, DocState.RETURNED, DocState.REVIEW, DocState.SIGNOFF,
                                     DocState.SIGNED)
        name = f"{doc.doc_number or doc.title}.pdf" if numbered else f"草稿-{doc.title}.pdf"
        return name, pdf

    async def paper_in(self, tx: Tx, doc_id: int, now: datetime) -> Paper:
        """The parts of a document as they are inside the caller's transaction (stamping)."""
        doc = await tx.documents.get(doc_id)
        if doc is None:
            raise XietongError("document.not_found")
        names = {u.id: u.name for u in await tx.units.all()}
        return paper_of(doc, await tx.documents.attachments(doc_id), names, now)
