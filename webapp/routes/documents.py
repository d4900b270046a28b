"""Outgoing documents (发文) in the web app: draft, review, sign-off with a code, number, seal, dispatch."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.documents import UPWARD_KINDS, DocOp
from hub.domain.items import DOC_KINDS, Attachment, Urgency
from hub.domain.permissions import Action, can
from hub.errors import XietongError
from hub.store.documents import DocFields
from webapp.context import actor_of, file_download, hub_of, int_arg, refused, render, upload_name
from webapp.routes.items import unit_list
from webapp.routing import page
from webapp.steppers import document_steps

FIELDS = ("title", "body", "doc_kind", "urgency", "issuing_office")


async def fields_from(request: web.Request) -> tuple[DocFields, list[Attachment], dict[str, Any]]:
    form = await request.post()
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() if k != "body" else str(form.get(k, ""))
                              for k in FIELDS}
    main = unit_list([str(v) for v in form.getall("main_units", [])], "main_units")
    copy = unit_list([str(v) for v in form.getall("copy_units", [])], "copy_units")
    values.update(main=set(main), copy=set(copy))
    files = [Attachment(upload_name(f.filename), f.file.read(), f.content_type or "application/octet-stream")
             for f in form.getall("attachments", []) if isinstance(f, web.FileField) and f.filename]
    return DocFields(values["title"], values["body"], values["doc_kind"], values["urgency"],
                     values["issuing_office"], main, copy), files, values


async def form_page(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    units = [u for u in await hub.identity.units() if u.id != actor.unit_id]
    return render(request, template, status=status, units=units, doc_kinds=DOC_KINDS,
                  urgencies=[u.value for u in Urgency], upward=UPWARD_KINDS,
                  limit_mb=hub.config.items.attachment_limit_kib // 1024, **ctx)


def blank(actor_unit_name: str) -> dict[str, Any]:
    return {"title": "", "body": "", "doc_kind": "通知", "urgency": "ordinary", "issuing_office": actor_unit_name,
            "main": set(), "copy": set()}


@page("GET", "/documents", action=Action.VIEW_ITEM)
async def documents(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    return render(request, "documents.html", docs=await hub.documents.of_unit(actor),
                  todo=await hub.documents.todo(actor), can_draft=can(actor, Action.DRAFT_DOCUMENT),
                  can_read_books=can(actor, Action.VIEW_INCOMING, actor.unit_id))


@page("GET", "/documents/new", action=Action.DRAFT_DOCUMENT)
async def new_document(request: web.Request) -> web.Response:
    return await form_page(request, "document_new.html", form=blank(actor_of(request).unit_name), error=None)


@page("POST", "/documents", action=Action.DRAFT_DOCUMENT)
async def create_document(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    fields, files, values = await fields_from(request)
    try:
        doc = await hub.documents.draft(actor, fields, files)
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await form_page(request, "document_new.html", status=err.status, form=values,
                               error=refused(request, err))
    raise web.HTTPSeeOther(f"/documents/{doc.id}")


async def document_page(request: web.Request, doc_id: int, error: str | None = None,
                        status: int = 200, form: dict[str, Any] | None = None) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    view = await hub.documents.view(actor, doc_id)
    d = view.doc
    units = {u.id: u for u in await hub.identity.units()}
    current = form or {"title": d.title, "body": d.body, "doc_kind": d.doc_kind, "urgency": d.urgency,
                       "issuing_office": d.issuing_office, "main": set(d.main_units), "copy": set(d.copy_units)}
    seal = await seal_section(request, d)
    needs_code = DocOp.SIGN in view.ops or seal["may_approve"]
    return await form_page(request, "document.html", status=status, view=view, unit_names=units, form=current,
                           error=error, ops=[op.value for op in view.ops],
                           otp_enrolled=await _otp_status(request) if DocOp.SIGN in view.ops else None,
                           otp_wait_seconds=await hub.otp.wait_seconds(actor) if needs_code else 0,
                           steps=document_steps(d.state, view.history), seal=seal)


async def seal_section(request: web.Request, d: Any) -> dict[str, Any]:
    """用印: the requests, who may do what next, and the seal picture once stamped."""
    hub, actor = hub_of(request), actor_of(request)
    requests = await hub.seals.use_requests(actor, d.id)
    stampings = await hub.seals.stampings(actor, d.id)
    open_request = next((r for r in requests if r.state.value in ("pending", "approved")), None)
    seals = [s for s in await hub.seals.seals(actor, d.unit_id) if s.state.value == "active"] \
        if d.state.value == "registered" else []
    return {
        "requests": requests, "stampings": stampings, "open": open_request, "seals": seals,
        "picture": await hub.seals.picture_svg(stampings[-1].seal_id) if stampings else "",
        "may_request": d.state.value == "registered" and open_request is None and seals and (
            can(actor, Action.USE_SEAL, d.unit_id) or can(actor, Action.HANDLE_OUTGOING, d.unit_id)),
        "may_approve": open_request is not None and open_request.state.value == "pending"
        and can(actor, Action.APPROVE_SEAL_USE, d.unit_id),
        "may_stamp": open_request is not None and open_request.state.value == "approved"
        and can(actor, Action.USE_SEAL, d.unit_id),
    }


async def _otp_status(request: web.Request) -> str:
    hub = hub_of(request)
    otp = getattr(hub, "otp", None)
    return await otp.status(actor_of(request)) if otp is not None else "none"


@page("GET", "/documents/{doc_id}", action=Action.VIEW_ITEM)
async def show_document(request: web.Request) -> web.Response:
    return await document_page(request, int_arg(request.match_info["doc_id"], "doc_id"))


@page("POST", "/documents/{doc_id}", action=Action.VIEW_ITEM)
async def act_on_document(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    doc_id = int_arg(request.match_info["doc_id"], "doc_id")
    form = await request.post()
    op_text = str(form.get("op", ""))
    values = None
    try:
        try:
            op = DocOp(op_text)
        except ValueError:
            raise XietongError("input.invalid", field="op") from None
        if op is DocOp.EDIT:
            fields, _, values = await fields_from(request)
            await hub.documents.edit(actor, doc_id, fields, str(form.get("comment", "")))
        else:
            await hub.documents.act(actor, doc_id, op, str(form.get("comment", "")),
                                    str(form.get("code", "")).strip())
    except XietongError as err:
        if err.code in ("perm.denied", "document.not_found"):
            raise
        return await document_page(request, doc_id, refused(request, err), err.status, values)
    raise web.HTTPSeeOther(f"/documents/{doc_id}")


@page("GET", "/documents/attachments/{doc_attachment_id}", action=Action.VIEW_ITEM)
async def download(request: web.Request) -> web.Response:
    info, content = await hub_of(request).documents.attachment(
        actor_of(request), int_arg(request.match_info["doc_attachment_id"], "doc_attachment_id"))
    return file_download(info.name, content)


@page("POST", "/items/{item_id}/instruction", action=Action.SIGN_DOCUMENT)
async def instruction(request: web.Request) -> web.StreamResponse:
    """批示 on a received item, confirmed by a one-time password."""
    hub, actor = hub_of(request), actor_of(request)
    item_id = int_arg(request.match_info["item_id"], "item_id")
    form = await request.post()
    try:
        await hub.documents.instruct(actor, item_id, str(form.get("text", "")), str(form.get("code", "")).strip())
    except XietongError as err:
        if err.code in ("perm.denied", "item.not_found"):
            raise
        from webapp.routes.items import item_page
        return await item_page(request, item_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/items/{item_id}")
