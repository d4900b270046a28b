"""文件柜 in the web app: one's unit's cabinet and one's own, a folder's documents (printed on A4 and
as .xlsx), an uploaded file, the recycle bin, and the forms that change them. Who may do what is the
service's (hub/services/cabinet.py): a cabinet one may not open does not exist (404)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.cabinet import MAX_NAME, MAX_TITLE, RETENTION, Source
from hub.domain.calendar import CST
from hub.domain.permissions import Action
from hub.errors import XietongError
from webapp.context import (
    actor_of,
    file_download,
    hub_of,
    id_from_text,
    lang_of,
    path_id,
    refused,
    render,
    upload_name,
)
from webapp.i18n import translate
from webapp.routing import page
from webapp.xlsx import Cell, xlsx_response

COLUMNS = ("title", "kind", "filed_at")
WIDTHS = (60, 12, 18)


def _key(request: web.Request, form: dict[str, str] | None = None) -> str:
    key = (form or {}).get("c") or request.query.get("c", "unit")
    return "mine" if key == "mine" else "unit"


async def _form(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items() if isinstance(v, str)}


def _id(form: dict[str, str], name: str) -> int:
    n = id_from_text(form.get(name, ""))
    if n is None:
        raise XietongError("input.invalid", field=name)
    return n


async def cabinet_panel(request: web.Request, source: Source, source_id: int) -> dict[str, Any]:
    """What a document's page needs for its 归档 panel (templates/_cabinet_panel.html)."""
    hub, actor = hub_of(request), actor_of(request)
    return {"cabinet_folders": await hub.cabinet.folders_to_file(actor),
            "cabinet_filed": await hub.cabinet.filed_in(actor, source, source_id),
            "filed_now": bool(request.query.get("filed"))}


@page("GET", "/cabinet", action=Action.VIEW_HOME)
async def cabinet_get(request: web.Request) -> web.Response:
    return await cabinet_page(request)


async def cabinet_page(request: web.Request, error: str | None = None, status: int = 200,
                       key: str | None = None) -> web.Response:
    view = await hub_of(request).cabinet.cabinet(actor_of(request), key or _key(request))
    return render(request, "cabinet.html", status=status, view=view, error=error, max_name=MAX_NAME,
                  done=request.query.get("done", ""))


async def folder_page(request: web.Request, folder_id: int, error: str | None = None,
                      status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    view = await hub.cabinet.folder(actor, folder_id)
    others = [(o, d, f) for o, d, f in await hub.cabinet.folders_to_file(actor) if f.id != folder_id]
    cabinet = await hub.cabinet.cabinet(actor, view.folder.owner.key)
    return render(request, "cabinet_folder.html", status=status, view=view, error=error, others=others,
                  drawers=[d.node for d in cabinet.drawers if d.node.id != view.drawer.id],
                  printing=request.query.get("print") == "1", now=hub.clock.now(), max_name=MAX_NAME,
                  max_title=MAX_TITLE, done=request.query.get("done", ""),
                  limit_mb=hub.config.items.attachment_limit_kib // 1024)


@page("GET", "/cabinet/folders/{folder_id}", action=Action.VIEW_HOME)
async def folder_get(request: web.Request) -> web.Response:
    return await folder_page(request, path_id(request, "folder_id"))


@page("GET", "/cabinet/folders/{folder_id}/list.xlsx", action=Action.VIEW_HOME)
async def folder_xlsx(request: web.Request) -> web.Response:
    hub, lang = hub_of(request), lang_of(request)
    view = await hub.cabinet.folder(actor_of(request), path_id(request, "folder_id"))
    title = f"{view.drawer.name} · {view.folder.name}"
    rows: list[list[Cell]] = [[p.title, translate(lang, f"cabinet.source_{p.source.value}"), p.filed_at]
                              for p in view.places]
    return xlsx_response(f"{view.folder.name}-{hub.clock.now().astimezone(CST):%Y%m%d}.xlsx",
                         translate(lang, "cabinet.title"), [translate(lang, f"cabinet.col_{c}") for c in COLUMNS],
                         rows, title, WIDTHS)


async def _done(request: web.Request, call: Any, back: str, folder_id: int | None = None,
                key: str = "unit") -> web.StreamResponse:
    """Run a change; on success back to `back`, on a refusal the page again with the reason (a
    cabinet one may not open stays a 404, an action one may not take a 403)."""
    try:
        await call
    except XietongError as err:
        if err.status in (403, 404):
            raise
        message = refused(request, err)
        if folder_id is not None:
            return await folder_page(request, folder_id, message, err.status)
        return await cabinet_page(request, message, err.status, key)
    raise web.HTTPSeeOther(back)


@page("POST", "/cabinet/nodes", action=Action.VIEW_HOME)
async def new_node(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    if form.get("c") not in ("unit", "mine"):          # the form names the cabinet it adds to
        raise XietongError("input.invalid", field="c")
    key = _key(request, form)
    parent = id_from_text(form.get("parent_id", "")) if form.get("parent_id") else None
    return await _done(request, hub_of(request).cabinet.new_node(actor_of(request), key, parent, form.get("name", "")),
                       f"/cabinet?c={key}&done=new", key=key)


@page("POST", "/cabinet/nodes/{node_id}/{move}", action=Action.VIEW_HOME)
async def change_node(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    node_id, move, form = path_id(request, "node_id"), request.match_info["move"], await _form(request)
    key = _key(request, form)
    back = form.get("back", "")
    folder = node_id if back == "folder" else None
    if move == "rename":
        call = hub.cabinet.rename(actor, node_id, form.get("name", ""))
    elif move == "move":
        call = hub.cabinet.move_folder(actor, node_id, _id(form, "drawer_id"))
    elif move == "delete":
        call = hub.cabinet.delete_node(actor, node_id)
        folder = None
    else:
        raise XietongError("not_found")
    target = f"/cabinet/folders/{node_id}?done={move}" if folder else f"/cabinet?c={key}&done={move}"
    return await _done(request, call, target, folder, key)


@page("POST", "/cabinet/file", action=Action.VIEW_HOME)
async def file_document(request: web.Request) -> web.StreamResponse:
    """归档: a document into the folder chosen, from its own page (which it returns to)."""
    hub, actor, form = hub_of(request), actor_of(request), await _form(request)
    folder_id = _id(form, "folder_id")
    try:
        source = Source(form.get("source", ""))
    except ValueError:
        raise XietongError("input.invalid", field="source") from None
    if source is Source.FILE:
        raise XietongError("input.invalid", field="source")
    source_id = _id(form, "source_id")
    page_url = "/items" if source is Source.ITEM else "/incoming"
    try:
        await hub.cabinet.file(actor, folder_id, source, source_id)
    except XietongError as err:
        if err.code != "cabinet.already_filed":
            raise
    raise web.HTTPSeeOther(f"{page_url}/{source_id}?filed={folder_id}#filed")


@page("POST", "/cabinet/folders/{folder_id}/upload", action=Action.VIEW_HOME)
async def upload(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    folder_id = path_id(request, "folder_id")
    post = await request.post()
    f = post.get("file")
    if not isinstance(f, web.FileField) or not f.filename:
        return await folder_page(request, folder_id, refused(request, XietongError("cabinet.empty_file")), 400)
    title = str(post.get("title", "") or "")
    return await _done(request, hub.cabinet.upload(actor, folder_id, upload_name(f.filename), f.file.read(),
                                                   f.content_type or "application/octet-stream", title),
                       f"/cabinet/folders/{folder_id}?done=upload", folder_id)


@page("POST", "/cabinet/places/{place_id}/{move}", action=Action.VIEW_HOME)
async def change_place(request: web.Request) -> web.StreamResponse:
    hub, actor, form = hub_of(request), actor_of(request), await _form(request)
    place_id, move = path_id(request, "place_id"), request.match_info["move"]
    folder_id = _id(form, "from")
    if move in ("move", "copy"):
        target = _id(form, "folder_id")
        call = (hub.cabinet.move_place if move == "move" else hub.cabinet.copy_place)(actor, place_id, target)
    elif move == "delete":
        call = hub.cabinet.remove_place(actor, place_id)
    else:
        raise XietongError("not_found")
    return await _done(request, call, f"/cabinet/folders/{folder_id}?done={move}", folder_id)


@page("GET", "/cabinet/files/{file_id}", action=Action.VIEW_HOME)
async def file_get(request: web.Request) -> web.Response:
    return await file_page(request)


async def file_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    f, filed, may_keep = await hub_of(request).cabinet.file_info(actor_of(request), path_id(request, "file_id"))
    return render(request, "cabinet_file.html", status=status, f=f, filed=filed, may_keep=may_keep, error=error,
                  max_title=MAX_TITLE)


@page("GET", "/cabinet/files/{file_id}/download", action=Action.VIEW_HOME)
async def download(request: web.Request) -> web.Response:
    f, content = await hub_of(request).cabinet.download(actor_of(request), path_id(request, "file_id"))
    return file_download(f.name, content)


@page("POST", "/cabinet/files/{file_id}/retitle", action=Action.VIEW_HOME)
async def retitle(request: web.Request) -> web.StreamResponse:
    file_id, form = path_id(request, "file_id"), await _form(request)
    try:
        await hub_of(request).cabinet.retitle(actor_of(request), file_id, form.get("title", ""))
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await file_page(request, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/cabinet/files/{file_id}?done=retitle")


@page("GET", "/cabinet/bin", action=Action.VIEW_HOME)
async def bin_get(request: web.Request) -> web.Response:
    return await bin_page(request)


async def bin_page(request: web.Request, error: str | None = None, status: int = 200,
                   key: str | None = None) -> web.Response:
    hub = hub_of(request)
    view = await hub.cabinet.bin(actor_of(request), key or _key(request))
    return render(request, "cabinet_bin.html", status=status, view=view, error=error, retention=RETENTION,
                  done=request.query.get("done", ""))


@page("POST", "/cabinet/bin/restore", action=Action.VIEW_HOME)
async def restore(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    key = _key(request, form)
    kind = "place" if form.get("kind") == "place" else "node"
    try:
        await hub_of(request).cabinet.restore(actor_of(request), kind, _id(form, "id"))
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await bin_page(request, refused(request, err), err.status, key)
    raise web.HTTPSeeOther(f"/cabinet/bin?c={key}&done=restore")
