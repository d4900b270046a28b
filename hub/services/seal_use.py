"""Using a seal (用印): request, a leader's approval with a one-time code, stamping with the seal
password, the usage register (使用登记), and the stamped document exported as one verifiable file.

Part of `SealService` (hub.seals); kept apart from the seals' life to keep each file one concept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from cryptography import x509

from hub.clock import Clock
from hub.config import Config
from hub.crypto import seals as crypto
from hub.crypto.seal_algorithms import PrivateKey, by_name
from hub.crypto.seal_package import PackedAttachment, build_package
from hub.domain.documents import DocState
from hub.domain.identity import Actor, SystemActor
from hub.domain.permissions import Action, can, require
from hub.domain.seal_picture import seal_svg
from hub.domain.seals import KIND_LABELS, UseState, check_usable, check_use_state, throttled_minutes
from hub.errors import XietongError
from hub.services import audit
from hub.services.documents import content_of
from hub.services.otp import confirm_retry
from hub.services.sealed_pdf import SealedPdfMaker
from hub.store import Store, Tx
from hub.store.documents import Document
from hub.store.seals import Seal, Stamping, UseRequest

Who = Actor | SystemActor
Confirm = Callable[[Actor, str, str, str], Awaitable[None]]   # the one-time-password check


def picture_of(seal: Seal) -> str:
    """The round red seal: the unit's name on the arc; below the star the seal's name, or its kind
    when the name is just the unit's."""
    label = seal.name if seal.name != seal.unit_name else KIND_LABELS[seal.kind]
    return seal_svg(seal.unit_name, label)


def _not_sealable(doc: Document) -> XietongError:
    return XietongError("document.bad_state", op="seal", state=doc.state.value)


class SealUse:
    store: Store
    clock: Clock
    config: Config
    _confirm: Confirm
    _todo_changed: Callable[[int], None]    # a use asked for, approved or stamped: the unit's badges
    sealed: SealedPdfMaker | None           # the stamped document's signed PDF (hub.services.sealed_pdf)

    async def request_use(self, actor: Actor, document_id: int, seal_id: int) -> UseRequest:
        """用印申请 by the unit's seal keeper or office clerk: a registered document of the unit and
        one of the unit's active seals."""
        now = self.clock.now()
        async with self.store.write() as tx:
            doc = await _document(tx, actor, document_id)
            if not (can(actor, Action.USE_SEAL, doc.unit_id) or can(actor, Action.HANDLE_OUTGOING, doc.unit_id)):
                raise XietongError("perm.denied")
            if doc.state is not DocState.REGISTERED:
                raise _not_sealable(doc)
            seal = await tx.seals.get(seal_id)
            if seal is None:
                raise XietongError("seal.not_found")
            if seal.unit_id != doc.unit_id:
                raise XietongError("seal.wrong_unit")
            check_usable(seal.state, seal.not_before, seal.not_after, now, seal.revoked_at)
            if any(r.seal_id == seal_id and r.state is not UseState.USED
                   for r in await tx.seals.requests_for_document(document_id)):
                raise XietongError("seal.request_exists")
            request_id = await tx.seals.add_request(document_id, seal_id, doc.unit_id, actor.user_id, actor.signature,
                                                    now)
            await audit.record(tx, now, actor, "seal.request_use", f"seal_request:{request_id}",
                               document=document_id, seal=seal_id)
            request = await tx.seals.request(request_id)
        assert request is not None
        self._todo_changed(actor.unit_id)
        return request

    async def approve_use(self, leader: Actor, request_id: int, code: str) -> UseRequest:
        """用印审批: a leader of the unit approves, confirmed with a one-time code."""
        async with self.store.read() as tx:
            request = await _request(tx, leader, request_id)
        require(leader, Action.APPROVE_SEAL_USE, request.unit_id)
        if request.state is UseState.APPROVED and request.approved_by == leader.user_id:
            # the leader's retry of an approval that committed (the answer was lost): the approval
            await confirm_retry(self._confirm, leader, code, "seal.approve", f"seal_request:{request_id}")
            return request
        check_use_state(request.state, UseState.PENDING)
        await self._confirm(leader, code, "seal.approve", f"seal_request:{request_id}")
        now = self.clock.now()
        async with self.store.write() as tx:
            if not await tx.seals.approve(request_id, leader.user_id, leader.name, now):
                current = await _request(tx, leader, request_id)
                check_use_state(current.state, UseState.PENDING)
            await audit.record(tx, now, leader, "seal.approve_use", f"seal_request:{request_id}",
                               document=request.document_id, seal=request.seal_id)
            approved = await tx.seals.request(request_id)
        assert approved is not None
        self._todo_changed(leader.unit_id)
        return approved

    async def stamp(self, keeper: Actor, request_id: int, seal_password: str) -> Stamping:
        """用印: sign the document's canonical content digest with the seal (detached CMS), write the
        usage register and move the document from registered to sealed, all in one transaction."""
        async with self.store.read() as tx:       # refuse early, before the slow password check
            _, seal, _ = await _stampable(tx, keeper, request_id, self.clock.now())
        key = await self._open_with_password(keeper, seal, seal_password, "stamp")
        now = self.clock.now()
        cert = x509.load_pem_x509_certificate(seal.cert_pem)
        pdf, laid_from = None, ""
        if self.sealed is not None:               # the PDF that carries the seal, made before the writer
            async with self.store.read() as tx:
                request, seal, doc = await _stampable(tx, keeper, request_id, now)
                laid_from = content_of(doc, await tx.documents.attachments(doc.id)).digest()
                pdf = await self.sealed.make(tx, doc.id, cert, key, picture_of(seal), now,
                                             f"{seal.name}（批准：{request.approver_name}）")
        async with self.store.write() as tx:      # and again inside the writer: nothing changed meanwhile
            request, seal, doc = await _stampable(tx, keeper, request_id, now)
            digest = content_of(doc, await tx.documents.attachments(doc.id)).digest()
            if pdf is not None and digest != laid_from:
                raise XietongError("seal.changed_while_stamping")
            signature = crypto.sign_stamp(digest, cert, key, now, by_name(seal.algorithm))
            await tx.seals.mark_used(request_id)
            stamping_id = await tx.seals.add_stamping(request, keeper.user_id, keeper.name, now, digest, signature,
                                                      pdf)
            await tx.documents.seal(doc.id, keeper.user_id, now)
            await tx.documents.add_history(doc.id, now, keeper.user_id, keeper.name, "seal", doc.state.value,
                                           DocState.SEALED.value, f"{seal.name}（批准：{request.approver_name}）")
            await tx.seals.clear_failures(seal.id)
            await audit.record(tx, now, keeper, "seal.stamp", f"document:{doc.id}", seal=seal.id,
                               request=request_id, approver=request.approver_name, digest=digest)
            stamping = await tx.seals.stamping(stamping_id)
        assert stamping is not None
        self._todo_changed(keeper.unit_id)
        return stamping

    async def use_requests(self, who: Actor, document_id: int) -> list[UseRequest]:
        async with self.store.read() as tx:
            await _document(tx, who, document_id)
            return await tx.seals.requests_for_document(document_id)

    async def pending_requests(self, leader: Actor) -> list[UseRequest]:
        """What waits for this leader's approval in their unit."""
        require(leader, Action.APPROVE_SEAL_USE, leader.unit_id)
        async with self.store.read() as tx:
            return await tx.seals.requests_for_unit(leader.unit_id, UseState.PENDING)

    async def stamp_of_item(self, who: Actor, item_id: int) -> tuple[int, str, bool] | None:
        """(document id, seal picture, whether its sealed PDF was kept) when an item is a stamped
        document the viewer's unit got or sent."""
        async with self.store.read() as tx:
            doc = await tx.documents.by_item(item_id)
            if doc is None:
                return None
            stampings = await tx.seals.stampings_for_document(doc.id)
            seal = await tx.seals.get(stampings[-1].seal_id) if stampings else None
            allowed = doc.unit_id == who.unit_id or await tx.deliveries.of_item_for_unit(item_id, who.unit_id)
        if seal is None or not allowed:
            return None
        return doc.id, picture_of(seal), stampings[-1].has_pdf

    async def approved_requests(self, keeper: Actor) -> list[UseRequest]:
        """Uses a leader approved in the keeper's unit, waiting to be stamped."""
        require(keeper, Action.USE_SEAL, keeper.unit_id)
        async with self.store.read() as tx:
            return await tx.seals.requests_for_unit(keeper.unit_id, UseState.APPROVED)

    async def usage_register(self, who: Actor, seal_id: int) -> list[Stamping]:
        """使用登记: every stamping with this seal (the registry, or the seal's own unit)."""
        async with self.store.read() as tx:
            seal = await tx.seals.get(seal_id)
            if seal is None or not (can(who, Action.MANAGE_SEALS) or
                                    (who.unit_id == seal.unit_id and can(who, Action.VIEW_ITEM, seal.unit_id))):
                raise XietongError("seal.not_found")
            return await tx.seals.stampings_for_seal(seal_id)

    async def stampings(self, who: Actor | SystemActor, document_id: int) -> list[Stamping]:
        """The usage register's lines for one document."""
        async with self.store.read() as tx:
            await _document(tx, who, document_id)
            return await tx.seals.stampings_for_document(document_id)

    async def sealed_pdf(self, who: Actor | SystemActor, document_id: int) -> tuple[str, bytes]:
        """(file name, the PDF that carries the seal) for the issuing unit and every unit it went to."""
        async with self.store.read() as tx:
            doc = await _exportable(tx, who, document_id)
            pdf = await tx.seals.sealed_pdf(document_id)
        if pdf is None:
            raise XietongError("seal.not_stamped")
        return f"{doc.doc_number or doc.title}.pdf", pdf

    async def export(self, who: Actor | SystemActor, document_id: int) -> bytes:
        """The stamped document as one file (see hub.crypto.seal_package), verifiable offline."""
        async with self.store.read() as tx:
            doc = await _exportable(tx, who, document_id)
            stampings = await tx.seals.stampings_for_document(document_id)
            if not stampings:
                raise XietongError("seal.not_stamped")
            stamping = stampings[-1]
            seal = await tx.seals.get(stamping.seal_id)
            authority = await tx.seals.authority()
            files = await tx.documents.attachment_files(document_id)
            names = {u.id: u.name for u in await tx.units.all()}
        assert seal is not None and authority is not None
        document = {"id": doc.id, "doc_number": doc.doc_number, "unit": names.get(doc.unit_id, ""),
                    "title": doc.title, "body": doc.body, "doc_kind": doc.doc_kind, "urgency": doc.urgency,
                    "issuing_office": doc.issuing_office, "main_units": list(doc.main_units),
                    "copy_units": list(doc.copy_units),
                    "main_unit_names": [names.get(u, "") for u in doc.main_units],
                    "copy_unit_names": [names.get(u, "") for u in doc.copy_units]}
        register = {"stamping": stamping.id, "keeper": stamping.keeper_name, "approver": stamping.approver_name,
                    "seal": seal.name, "seal_kind": KIND_LABELS[seal.kind], "seal_serial": seal.serial}
        return build_package(document, [PackedAttachment(f.name, f.content_type, f.content) for f in files],
                             stamping.digest, stamping.signature, seal.cert_pem, picture_of(seal), stamping.at,
                             authority.name, register)

    # -- the seal password ----------------------------------------------------------------

    async def _open_with_password(self, who: Who, seal: Seal, password: str, purpose: str) -> PrivateKey:
        """The seal's key, opened with its keeper's password; wrong passwords are counted per seal,
        throttled and audited (the refusal's rows are committed before it is raised)."""
        cfg = self.config.seals
        window = timedelta(minutes=cfg.window_minutes)
        now = self.clock.now()
        async with self.store.read() as tx:
            failures = await tx.seals.failures_since(seal.id, now - window)
            stored = await tx.seals.key(seal.id)
        minutes = throttled_minutes(failures, now, window, cfg.max_password_failures)
        if minutes is not None:
            async with self.store.write() as tx:
                await audit.record(tx, now, who, "seal.password_refused", f"seal:{seal.id}", purpose=purpose,
                                   reason="throttled")
            raise XietongError("seal.password_throttled", minutes=minutes)
        if stored.key_enc is None or stored.key_wrap != "keeper" or stored.key_kdf is None:
            raise XietongError("seal.not_active")
        try:
            secret = await asyncio.to_thread(crypto.Kdf.from_json(stored.key_kdf).stretch, password)
            key = crypto.decrypt_key(stored.key_enc, secret)
            if not crypto.key_matches(key, x509.load_pem_x509_certificate(seal.cert_pem)):
                raise crypto.WrongSecret()
        except crypto.WrongSecret:
            async with self.store.write() as tx:
                await tx.seals.record_failure(seal.id, who.user_id, now)
                await tx.seals.prune_failures(now - window)
                await audit.record(tx, now, who, "seal.password_failed", f"seal:{seal.id}", purpose=purpose)
            raise XietongError("seal.wrong_password") from None
        return key


async def _document(tx: Tx, who: Actor | SystemActor, document_id: int) -> Document:
    doc = await tx.documents.get(document_id)
    if doc is None or (isinstance(who, Actor) and not can(who, Action.VIEW_ITEM, doc.unit_id)):
        raise XietongError("document.not_found")     # the seal registry sees usage, not documents
    return doc


async def _exportable(tx: Tx, who: Actor | SystemActor, document_id: int) -> Document:
    """The issuing unit's people, and every unit the document was dispatched to, may take the file."""
    doc = await tx.documents.get(document_id)
    received = (doc is not None and isinstance(who, Actor) and doc.item_id is not None
                and can(who, Action.VIEW_ITEM, who.unit_id)
                and await tx.deliveries.of_item_for_unit(doc.item_id, who.unit_id) is not None)
    if received:
        assert doc is not None
        return doc
    return await _document(tx, who, document_id)


async def _stampable(tx: Tx, keeper: Actor, request_id: int, now: datetime) -> tuple[UseRequest, Seal, Document]:
    """An approved request, a seal usable now, and its document registered: else a clear refusal."""
    request = await _request(tx, keeper, request_id)
    require(keeper, Action.USE_SEAL, request.unit_id)
    check_use_state(request.state, UseState.APPROVED)
    seal = await tx.seals.get(request.seal_id)
    doc = await tx.documents.get(request.document_id)
    assert seal is not None and doc is not None
    check_usable(seal.state, seal.not_before, seal.not_after, now, seal.revoked_at)
    if doc.state is not DocState.REGISTERED:
        raise _not_sealable(doc)
    return request, seal, doc


async def _request(tx: Tx, who: Actor, request_id: int) -> UseRequest:
    request = await tx.seals.request(request_id)
    if request is None or not can(who, Action.VIEW_ITEM, request.unit_id):
        raise XietongError("seal.request_not_found")
    return request
