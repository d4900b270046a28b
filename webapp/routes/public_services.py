"""公共服务: common links inside the network, forms to download and reference information, which the
government office keeps; everyone reads it. Its JSON API beside it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.clock import utc_iso
from hub.domain.permissions import Action
from hub.domain.public_services import MAX_BODY, MAX_TITLE, MAX_URL, Kind, Resource
from hub.errors import XietongError
from webapp.context import (
    actor_of,
    file_download,
    hub_of,
    id_from_text,
    json_body,
    json_files,
    json_response,
    json_text,
    path_id,
    refused,
    render,
    upload_name,
)
from webapp.routing import api, page
from webapp.schemas import ID

RESOURCE = {"type": "object", "required": ["id", "kind", "title", "url", "body", "file_name"],
            "properties": {"id": ID, "kind": {"type": "string", "enum": [k.value for k in Kind]},
                           "title": {"type": "string"}, "url": {"type": "string"}, "body": {"type": "string"},
                           "file_name": {"type": "string"}, "position": {"type": "integer"},
                           "updated_at": {"type": "string"}}}


def resource_json(r: Resource) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind.value, "title": r.title, "url": r.url, "body": r.body,
            "file_name": r.file_name, "position": r.position, "updated_at": utc_iso(r.updated_at)}


async def services_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    resources = await hub.public_services.all(actor)
    return render(request, "public_services.html", status=status, error=error, done=request.query.get("done", ""),
                  groups=[(k.value, [r for r in resources if r.kind is k]) for k in Kind],
                  may_keep=await hub.public_services.may_keep(actor), max_title=MAX_TITLE, max_body=MAX_BODY,
                  max_url=MAX_URL)


@page("GET", "/services", action=Action.VIEW_HOME)
async def services_get(request: web.Request) -> web.Response:
    return await services_page(request)


@page("POST", "/services", action=Action.KEEP_SERVICES)
async def services_add(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    post = await request.post()
    f = post.get("file")
    name, content = "", None
    if isinstance(f, web.FileField) and f.filename:
        name, content = upload_name(f.filename), f.file.read()
    position = id_from_text(str(post.get("position", "") or "100"), lowest=0)
    try:
        if position is None:
            raise XietongError("input.invalid", field="position")
        await hub.public_services.add(actor, str(post.get("kind", "")), str(post.get("title", "")),
                                      str(post.get("url", "")), str(post.get("body", "")), name, content, position)
    except XietongError as err:
        if err.status == 404:
            raise
        return await services_page(request, refused(request, err), err.status)
    raise web.HTTPSeeOther("/services?done=add")


@page("POST", "/services/{service_id}/delete", action=Action.KEEP_SERVICES)
async def services_delete(request: web.Request) -> web.StreamResponse:
    await hub_of(request).public_services.delete(actor_of(request), path_id(request, "service_id"))
    raise web.HTTPSeeOther("/services?done=delete")


@page("GET", "/services/{service_id}/file", action=Action.VIEW_HOME)
async def services_file(request: web.Request) -> web.Response:
    r, content = await hub_of(request).public_services.download(actor_of(request), path_id(request, "service_id"))
    return file_download(r.file_name, content)


@api("GET", "/api/services", action=Action.VIEW_HOME,
     summary="公共服务: the links inside the network, forms to download and reference information the office keeps",
     response={"type": "object", "required": ["services"],
               "properties": {"services": {"type": "array", "items": RESOURCE}}})
async def api_services(request: web.Request) -> web.Response:
    resources = await hub_of(request).public_services.all(actor_of(request))
    return json_response({"services": [resource_json(r) for r in resources]})


@api("POST", "/api/services", action=Action.KEEP_SERVICES,
     summary="Add a link (url), a form (file: name and content_base64) or reference information (body) to the "
             "public services page (the government office's clerks)",
     body={"type": "object", "required": ["kind", "title"], "properties": {
         "kind": {"type": "string", "enum": [k.value for k in Kind]},
         "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE, "pattern": r"\S"},
         "url": {"type": "string", "maxLength": MAX_URL}, "body": {"type": "string", "maxLength": MAX_BODY},
         "file": {"type": "object", "required": ["name", "content_base64"], "properties": {
             "name": {"type": "string", "minLength": 1, "maxLength": 120}, "content_base64": {"type": "string"}}},
         "position": {"type": "integer", "minimum": 0, "maximum": 9999}}},
     response={"type": "object", "required": ["service"], "properties": {"service": RESOURCE}})
async def api_add(request: web.Request) -> web.Response:
    body = await json_body(request)
    files = json_files([body["file"]], "file") if body.get("file") is not None else []
    texts = {k: json_text(body, k) for k in ("kind", "title", "url", "body")}
    position = body.get("position", 100)
    if type(position) is not int:
        raise XietongError("input.invalid", field="position")
    name, content = (files[0][1].name, files[0][1].content) if files else ("", None)
    r = await hub_of(request).public_services.add(actor_of(request), texts["kind"], texts["title"], texts["url"],
                                                  texts["body"], name, content, position)
    return json_response({"service": resource_json(r)})


@api("POST", "/api/services/{service_id}/delete", action=Action.KEEP_SERVICES,
     summary="Take an entry off the public services page",
     response={"type": "object", "required": ["deleted"], "properties": {"deleted": RESOURCE}})
async def api_delete(request: web.Request) -> web.Response:
    r = await hub_of(request).public_services.delete(actor_of(request), path_id(request, "service_id"))
    return json_response({"deleted": resource_json(r)})


@api("GET", "/api/services/{service_id}/file", action=Action.VIEW_HOME, produces="application/octet-stream",
     summary="A form's file, to download")
async def api_file(request: web.Request) -> web.Response:
    return await services_file(request)
