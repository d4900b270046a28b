"""The sender corrects a returned delivery and sends it again to that unit (page form and API)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.items import Attachment
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.resend import NewFile
from webapp.context import (
    actor_of,
    hub_of,
    id_from_text,
    is_id,
    json_body,
    json_files,
    json_response,
    path_id,
    refused,
    upload_name,
)
from webapp.routes.items import item_page
from webapp.routing import api, page
from webapp.schemas import DELIVERY, delivery_json

RESEND_BODY = {
    "type": "object",
    "required": ["note"],
    "properties": {
        "note": {"type": "string", "description": "what the sender corrected (修改说明)"},
        "attachments": {"type": "array", "description": "files added for this unit; `replaces`: the id of the "
                        "item's attachment each stands in for (that unit no longer sees it)",
                        "items": {"type": "object", "required": ["name", "content_base64"],
                                  "properties": {"name": {"type": "string"}, "content_base64": {"type": "string"},
                                                 "content_type": {"type": "string"},
                                                 "replaces": {"type": ["integer", "null"]}}}},
    },
}
_RESPONSE = {"type": "object", "required": ["delivery"], "properties": {"delivery": DELIVERY}}


@page("POST", "/items/{item_id}/deliveries/{delivery_id}/resend", action=Action.ISSUE_ITEM)
async def resend_page(request: web.Request) -> web.StreamResponse:
    """The form on the sender's item page, beside a unit that returned it: a note, files."""
    hub, actor = hub_of(request), actor_of(request)
    item_id, delivery_id = path_id(request, "item_id"), path_id(request, "delivery_id")
    form = await request.post()
    try:
        replaces = str(form.get("replaces", "")).strip()
        replaced = id_from_text(replaces) if replaces else None
        if replaces and replaced is None:
            raise XietongError("resend.bad_replaced")
        files = [NewFile(Attachment(upload_name(f.filename), f.file.read(),
                                    f.content_type or "application/octet-stream"),
                         replaced if n == 0 else None)          # the first file stands in for the one picked
                 for n, f in enumerate(f for f in form.getall("attachments", [])
                                       if isinstance(f, web.FileField) and f.filename)]
        if replaced is not None and not files:
            raise XietongError("resend.bad_replaced")
        await hub.resend.resend(actor, delivery_id, str(form.get("note", "")), files, item_id=item_id)
    except XietongError as err:
        if err.code in ("perm.denied", "item.not_found"):
            raise
        return await item_page(request, item_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/items/{item_id}?resent={delivery_id}#recipients")


def _files(value: Any) -> list[NewFile]:
    """Each {"name", "content_base64", "content_type"?, "replaces"?}; a bad one is a 400 naming it."""
    files = []
    for n, (raw, file) in enumerate(json_files(value, "attachments")):
        replaces = raw.get("replaces")
        if replaces is not None and not is_id(replaces):
            raise XietongError("input.invalid", field=f"attachments[{n}].replaces")
        files.append(NewFile(file, replaces))
    return files


@api("POST", "/api/items/{item_id}/deliveries/{delivery_id}/resend", action=Action.ISSUE_ITEM,
     summary="The sender corrects a returned delivery and sends it again to that unit (the next round)",
     body=RESEND_BODY, response=_RESPONSE)
async def resend_api(request: web.Request) -> web.Response:
    body = await json_body(request)
    note = body.get("note")           # not a string: refused as missing, after the visibility checks
    done = await hub_of(request).resend.resend(actor_of(request), path_id(request, "delivery_id"),
                                               note if isinstance(note, str) else "",
                                               _files(body.get("attachments")),
                                               item_id=path_id(request, "item_id"))
    return json_response({"delivery": delivery_json(done)})
