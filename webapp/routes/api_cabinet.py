"""文件柜 as JSON: the cabinets and their folders, a folder's documents, filing, uploads (base64),
moving, copying, the recycle bin. The same service and rules as the pages (webapp/routes/cabinet.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.clock import utc_iso
from hub.domain.cabinet import MAX_NAME, MAX_TITLE, CabinetFile, Node, Place, Source
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.cabinet import CabinetView
from webapp.context import (
    actor_of,
    file_download,
    hub_of,
    json_body,
    json_files,
    json_id,
    json_response,
    json_text,
    path_id,
)
from webapp.routing import api
from webapp.schemas import ID

_NULL_ID = {"type": ["integer", "null"], "minimum": 1}
NODE = {"type": "object", "required": ["id", "name", "kind", "cabinet"],
        "properties": {"id": ID, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["drawer", "folder"]},
                       "cabinet": {"type": "string", "enum": ["unit", "mine"]}, "drawer_id": _NULL_ID,
                       "documents": {"type": "integer"}}}
PLACE = {"type": "object", "required": ["id", "folder_id", "source", "source_id", "title", "filed_at", "url"],
         "properties": {"id": ID, "folder_id": ID, "source": {"type": "string", "enum": [s.value for s in Source]},
                        "source_id": ID, "title": {"type": "string"}, "filed_at": {"type": "string"},
                        "url": {"type": "string"}, "deleted_at": {"type": ["string", "null"]}}}
FILE = {"type": "object", "required": ["id", "name", "title", "size", "text_extracted", "cabinet"],
        "properties": {"id": ID, "name": {"type": "string"}, "title": {"type": "string"}, "size": {"type": "integer"},
                       "content_type": {"type": "string"}, "text_extracted": {"type": "boolean"},
                       "cabinet": {"type": "string", "enum": ["unit", "mine"]}}}
CABINET = {"type": "object", "required": ["cabinet", "may_keep", "drawers"],
           "properties": {"cabinet": {"type": "string"}, "may_keep": {"type": "boolean"},
                          "drawers": {"type": "array", "items": {**NODE, "properties": {
                              **NODE["properties"], "folders": {"type": "array", "items": NODE}}}}}}
KEY = ({"name": "c", "in": "query", "required": False, "schema": {"type": "string", "enum": ["unit", "mine"]},
        "description": "unit: your unit's cabinet (the default); mine: your own"},)
_TO_FOLDER = {"type": "object", "required": ["folder_id"], "properties": {"folder_id": ID}}


def node_json(n: Node, documents: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": n.id, "name": n.name, "kind": "drawer" if n.is_drawer else "folder",
                           "cabinet": n.owner.key, "drawer_id": n.parent_id}
    if documents is not None:
        out["documents"] = documents
    return out


def place_json(p: Place) -> dict[str, Any]:
    return {"id": p.id, "folder_id": p.folder_id, "source": p.source.value, "source_id": p.source_id,
            "title": p.title, "filed_at": utc_iso(p.filed_at), "url": p.url,
            "deleted_at": utc_iso(p.deleted_at) if p.deleted_at else None}


def file_json(f: CabinetFile) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "title": f.title, "size": f.size, "content_type": f.content_type,
            "text_extracted": f.text is not None, "cabinet": f.owner.key}


def cabinet_json(view: CabinetView) -> dict[str, Any]:
    return {"cabinet": view.owner.key, "may_keep": view.may_keep, "drawers": [
        {**node_json(d.node), "folders": [node_json(f, n) for f, n in d.folders]} for d in view.drawers]}


def _key(request: web.Request) -> str:
    return "mine" if request.query.get("c") == "mine" else "unit"



@api("GET", "/api/cabinet", action=Action.VIEW_HOME, params=KEY, response=CABINET,
     summary="A file cabinet (文件柜): your unit's or your own, its drawers and folders with their counts")
async def get_cabinet(request: web.Request) -> web.Response:
    return json_response(cabinet_json(await hub_of(request).cabinet.cabinet(actor_of(request), _key(request))))


@api("POST", "/api/cabinet/nodes", action=Action.VIEW_HOME,
     summary="A new drawer (no drawer_id) in your unit's or your own cabinet, or a new folder in a drawer",
     body={"type": "object", "required": ["cabinet", "name"], "properties": {
         "cabinet": {"type": "string", "enum": ["unit", "mine"]},
         "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": r"\S"}, "drawer_id": ID}},
     response={"type": "object", "required": ["node"], "properties": {"node": NODE}})
async def new_node(request: web.Request) -> web.Response:
    body = await json_body(request)
    drawer = json_id(body["drawer_id"], "drawer_id") if body.get("drawer_id") is not None else None
    key = body.get("cabinet")
    if key not in ("unit", "mine"):
        raise XietongError("input.invalid", field="cabinet")
    node = await hub_of(request).cabinet.new_node(actor_of(request), key, drawer, json_text(body, "name"))
    return json_response({"node": node_json(node)})


@api("POST", "/api/cabinet/nodes/{node_id}/rename", action=Action.VIEW_HOME, summary="Rename a drawer or folder",
     body={"type": "object", "required": ["name"], "properties": {
         "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": r"\S"}}},
     response={"type": "object", "required": ["node"], "properties": {"node": NODE}})
async def rename_node(request: web.Request) -> web.Response:
    body = await json_body(request)
    node = await hub_of(request).cabinet.rename(actor_of(request), path_id(request, "node_id"), json_text(body, "name"))
    return json_response({"node": node_json(node)})


@api("POST", "/api/cabinet/nodes/{node_id}/move", action=Action.VIEW_HOME,
     summary="Move a folder into another drawer of the same cabinet",
     body={"type": "object", "required": ["drawer_id"], "properties": {"drawer_id": ID}},
     response={"type": "object", "required": ["node"], "properties": {"node": NODE}})
async def move_node(request: web.Request) -> web.Response:
    body = await json_body(request)
    node = await hub_of(request).cabinet.move_folder(actor_of(request), path_id(request, "node_id"),
                                                     json_id(body.get("drawer_id"), "drawer_id"))
    return json_response({"node": node_json(node)})


@api("POST", "/api/cabinet/nodes/{node_id}/delete", action=Action.VIEW_HOME,
     summary="A drawer or folder into the recycle bin, with what it holds (restorable for 30 days)",
     response={"type": "object", "required": ["deleted"], "properties": {"deleted": NODE}})
async def delete_node(request: web.Request) -> web.Response:
    node = await hub_of(request).cabinet.delete_node(actor_of(request), path_id(request, "node_id"))
    return json_response({"deleted": node_json(node)})


@api("GET", "/api/cabinet/folders/{folder_id}", action=Action.VIEW_HOME,
     summary="A folder and its documents, latest filed first",
     response={"type": "object", "required": ["folder", "drawer", "documents"],
               "properties": {"folder": NODE, "drawer": NODE, "documents": {"type": "array", "items": PLACE}}})
async def get_folder(request: web.Request) -> web.Response:
    view = await hub_of(request).cabinet.folder(actor_of(request), path_id(request, "folder_id"))
    return json_response({"folder": node_json(view.folder), "drawer": node_json(view.drawer),
                          "documents": [place_json(p) for p in view.places]})


@api("POST", "/api/cabinet/folders/{folder_id}/documents", action=Action.VIEW_HOME,
     summary="File a document you may see in a folder (归档): an item, a registered incoming document, or a file "
             "of the same cabinet; the same document in two folders is one document with two places",
     body={"type": "object", "required": ["source", "source_id"], "properties": {
         "source": {"type": "string", "enum": [s.value for s in Source]}, "source_id": ID}},
     response={"type": "object", "required": ["document"], "properties": {"document": PLACE}})
async def file_document(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        source = Source(body.get("source"))
    except ValueError:
        raise XietongError("input.invalid", field="source") from None
    place = await hub_of(request).cabinet.file(actor_of(request), path_id(request, "folder_id"), source,
                                               json_id(body.get("source_id"), "source_id"))
    return json_response({"document": place_json(place)})


@api("POST", "/api/cabinet/folders/{folder_id}/files", action=Action.VIEW_HOME,
     summary="Upload a file into a folder (its text extracted for search where it can be: PDF, DOCX, TXT)",
     body={"type": "object", "required": ["name", "content_base64"], "properties": {
         "name": {"type": "string", "minLength": 1, "maxLength": 120}, "content_base64": {"type": "string"},
         "content_type": {"type": "string"}, "title": {"type": "string", "maxLength": MAX_TITLE}}},
     response={"type": "object", "required": ["file", "document"], "properties": {"file": FILE, "document": PLACE}})
async def upload(request: web.Request) -> web.Response:
    body = await json_body(request)
    ((_, a),) = json_files([body], "file")
    f, place = await hub_of(request).cabinet.upload(actor_of(request), path_id(request, "folder_id"), a.name,
                                                    a.content, a.content_type, json_text(body, "title"))
    return json_response({"file": file_json(f), "document": place_json(place)})


async def _to_folder(request: web.Request, move: str) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    place_id = path_id(request, "place_id")
    if move == "delete":
        return json_response({"document": place_json(await hub.cabinet.remove_place(actor, place_id))})
    folder = json_id((await json_body(request)).get("folder_id"), "folder_id")
    call = hub.cabinet.move_place if move == "move" else hub.cabinet.copy_place
    return json_response({"document": place_json(await call(actor, place_id, folder))})


_PLACE_ANSWER = {"type": "object", "required": ["document"], "properties": {"document": PLACE}}


@api("POST", "/api/cabinet/documents/{place_id}/move", action=Action.VIEW_HOME, body=_TO_FOLDER,
     response=_PLACE_ANSWER, summary="Move a filed document to another folder")
async def move_place(request: web.Request) -> web.Response:
    return await _to_folder(request, "move")


@api("POST", "/api/cabinet/documents/{place_id}/copy", action=Action.VIEW_HOME, body=_TO_FOLDER,
     response=_PLACE_ANSWER, summary="File a filed document in another folder as well (one document, two places)")
async def copy_place(request: web.Request) -> web.Response:
    return await _to_folder(request, "copy")


@api("POST", "/api/cabinet/documents/{place_id}/delete", action=Action.VIEW_HOME, response=_PLACE_ANSWER,
     summary="Take a document out of its folder, into the recycle bin (the document itself stays)")
async def delete_place(request: web.Request) -> web.Response:
    return await _to_folder(request, "delete")


@api("GET", "/api/cabinet/files/{file_id}", action=Action.VIEW_HOME,
     summary="An uploaded file: its name, title, size, whether its text was extracted, where it is filed",
     response={"type": "object", "required": ["file", "filed_in"],
               "properties": {"file": FILE, "filed_in": {"type": "array", "items": NODE}}})
async def get_file(request: web.Request) -> web.Response:
    f, filed, _ = await hub_of(request).cabinet.file_info(actor_of(request), path_id(request, "file_id"))
    return json_response({"file": file_json(f), "filed_in": [node_json(x.folder) for x in filed]})


@api("GET", "/api/cabinet/files/{file_id}/content", action=Action.VIEW_HOME, produces="application/octet-stream",
     summary="An uploaded file's content, as uploaded")
async def file_content(request: web.Request) -> web.Response:
    f, content = await hub_of(request).cabinet.download(actor_of(request), path_id(request, "file_id"))
    return file_download(f.name, content)


@api("POST", "/api/cabinet/files/{file_id}/retitle", action=Action.VIEW_HOME, summary="Change a file's title",
     body={"type": "object", "required": ["title"], "properties": {
         "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE, "pattern": r"\S"}}},
     response={"type": "object", "required": ["file"], "properties": {"file": FILE}})
async def retitle(request: web.Request) -> web.Response:
    body = await json_body(request)
    f = await hub_of(request).cabinet.retitle(actor_of(request), path_id(request, "file_id"), json_text(body, "title"))
    return json_response({"file": file_json(f)})


@api("GET", "/api/cabinet/bin", action=Action.VIEW_HOME, params=KEY,
     summary="A cabinet's recycle bin: what was deleted in the last 30 days",
     response={"type": "object", "required": ["nodes", "documents"], "properties": {
         "nodes": {"type": "array", "items": NODE}, "documents": {"type": "array", "items": PLACE}}})
async def get_bin(request: web.Request) -> web.Response:
    view = await hub_of(request).cabinet.bin(actor_of(request), _key(request))
    return json_response({"nodes": [node_json(n) for n in view.nodes],
                          "documents": [place_json(p) for p, _ in view.places]})


@api("POST", "/api/cabinet/bin/restore", action=Action.VIEW_HOME,
     summary="Restore a drawer or folder (kind node) or a document's place (kind document) from the recycle bin",
     body={"type": "object", "required": ["kind", "id"], "properties": {
         "kind": {"type": "string", "enum": ["node", "document"]}, "id": ID}},
     response={"type": "object", "required": ["restored"], "properties": {"restored": {"type": "object"}}})
async def restore(request: web.Request) -> web.Response:
    body = await json_body(request)
    kind = body.get("kind")
    if kind not in ("node", "document"):
        raise XietongError("input.invalid", field="kind")
    done = await hub_of(request).cabinet.restore(actor_of(request), "node" if kind == "node" else "place",
                                                 json_id(body.get("id"), "id"))
    return json_response({"restored": node_json(done) if isinstance(done, Node) else place_json(done)})
