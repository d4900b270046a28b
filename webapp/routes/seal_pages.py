"""Electronic seals in the web app: the registry (super admin), the keeper's page, the seal
step of a document (request, approve with a code, stamp), the export and the verify page."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hub.crypto.pades import verify_stamped
from hub.domain.permissions import Action, can
from hub.domain.seals import SealKind
from hub.errors import XietongError
from hub.services.todo import stamp_queue
from webapp.context import actor_of, hub_of, int_arg, lang_of, path_id, refused, render
from webapp.routing import page


async def registry_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    seals = await hub.seals.seals(actor)
    units = {u.id: u for u in await hub.identity.units()}
    return render(request, "seals.html", status=status, seals=seals, units=units, kinds=[k.value for k in SealKind],
                  error=error, unlocked=hub.seals.unlocked)


@page("GET", "/seals", action=Action.MANAGE_SEALS)
async def registry(request: web.Request) -> web.Response:
    return await registry_page(request)


@page("POST", "/seals", action=Action.MANAGE_SEALS)
async def make(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    try:
        seal = await hub.seals.make_seal(actor, int_arg(form.get("unit_id", ""), "unit_id"),
                                         str(form.get("kind", "")), str(form.get("name", "")),
                                         int_arg(form.get("valid_days", "1825"), "valid_days"))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await registry_page(request, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/seals/{seal.id}")


async def seal_page(request: web.Request, seal_id: int, error: str | None = None, status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    seal = await hub.seals.seal(actor, seal_id)
    # the page and its usage register: the seal registry, or the keeper of the seal's own unit only
    if not (can(actor, Action.MANAGE_SEALS) or can(actor, Action.USE_SEAL, seal.unit_id)):
        raise XietongError("seal.not_found")
    return render(request, "seal.html", status=status, seal=seal, error=error,
                  history=await hub.seals.history(seal.id), picture=await hub.seals.picture_svg(seal.id),
                  register=await hub.seals.usage_register(actor, seal.id),
                  may_manage=can(actor, Action.MANAGE_SEALS), may_keep=can(actor, Action.USE_SEAL, seal.unit_id))


@page("GET", "/seals/{seal_id}", action=Action.VIEW_HOME)
async def show(request: web.Request) -> web.Response:
    return await seal_page(request, path_id(request, "seal_id"))


@page("POST", "/seals/{seal_id}", action=Action.VIEW_HOME)
async def change(request: web.Request) -> web.StreamResponse:
    """Life changes (super admin) and the keeper's password, by `op`; each service call checks who."""
    hub, actor = hub_of(request), actor_of(request)
    seal_id = path_id(request, "seal_id")
    form = await request.post()
    op, reason = str(form.get("op", "")), str(form.get("reason", "")).strip()
    target = seal_id
    try:
        if op == "password":
            old = str(form.get("old_password", "")) or None
            await hub.seals.set_seal_password(actor, seal_id, str(form.get("new_password", "")), old)
        elif op in ("suspend", "resume", "revoke", "destroy"):
            await getattr(hub.seals, op)(actor, seal_id, reason)
        elif op in ("replace", "reset"):
            method = hub.seals.replace if op == "replace" else hub.seals.reset_keeper_password
            target = (await method(actor, seal_id, reason)).id
        else:
            raise XietongError("input.invalid", field="op")
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await seal_page(request, seal_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/seals/{target}")


@page("GET", "/keeper", action=Action.USE_SEAL)
async def keeper(request: web.Request) -> web.Response:
    """The seal keeper's page: the unit's seals, and the documents whose use was approved."""
    hub, actor = hub_of(request), actor_of(request)
    seals = await hub.seals.seals(actor, actor.unit_id)
    waiting = await stamp_queue(hub.store, actor)     # with each document's title, number and unit
    return render(request, "keeper.html", seals=seals, waiting=waiting)


@page("POST", "/documents/{doc_id}/seal", action=Action.VIEW_ITEM)
async def seal_step(request: web.Request) -> web.StreamResponse:
    """用印 on a document: request (keeper or office), approve (leader, code), stamp (keeper, password)."""
    hub, actor = hub_of(request), actor_of(request)
    doc_id = path_id(request, "doc_id")
    form = await request.post()
    op = str(form.get("op", ""))
    try:
        if op == "request":
            await hub.seals.request_use(actor, doc_id, int_arg(form.get("seal_id", ""), "seal_id"))
        elif op == "approve":
            await hub.seals.approve_use(actor, int_arg(form.get("request_id", ""), "request_id"),
                                        str(form.get("code", "")).strip())
        elif op == "stamp":
            await hub.seals.stamp(actor, int_arg(form.get("request_id", ""), "request_id"),
                                  str(form.get("seal_password", "")))
        else:
            raise XietongError("input.invalid", field="op")
    except XietongError as err:
        if err.code in ("perm.denied", "document.not_found"):
            raise
        from webapp.routes.documents import document_page
        return await document_page(request, doc_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/documents/{doc_id}#seal")


@page("GET", "/documents/{doc_id}/stamped", action=Action.VIEW_ITEM)
async def export(request: web.Request) -> web.Response:
    """The stamped document as one file, verifiable anywhere with the authority's certificate and CRL."""
    doc_id = path_id(request, "doc_id")
    data = await hub_of(request).seals.export(actor_of(request), doc_id)
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="stamped-document-{doc_id}.zip"'})


@page("GET", "/verify", action=Action.VIEW_HOME)
async def verify_form(request: web.Request) -> web.Response:
    return render(request, "verify.html", report=None, error=None)


@page("POST", "/verify", action=Action.VIEW_HOME)
async def verify(request: web.Request) -> web.Response:
    """A recipient uploads a stamped file (the sealed PDF, or the package .zip); it is checked against
    this network's authority and CRL."""
    hub = hub_of(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return render(request, "verify.html", status=400, report=None,
                      error=XietongError("input.invalid", field="file").message(lang_of(request)))
    report = await asyncio.to_thread(verify_stamped, upload.file.read(), await hub.seals.authority_pem(),
                                     await hub.seals.crl_der())   # a sealed PDF or a stamped package
    return render(request, "verify.html", report=report, error=None)
