"""The JSON API of urgent items: issue, inbox, read, sign for, return, the duty desk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.domain.item_filters import MAX_QUERY, ListState
from hub.domain.items import Attachment, ItemDraft, ItemKind, Urgency
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.items import Attendee
from webapp.context import actor_of, hub_of, is_id, json_body, json_files, json_response, path_id
from webapp.routes.items import list_filter
from webapp.routing import api
from webapp.schemas import (
    ACK_BODY,
    DELIVERY,
    ISSUE_BODY,
    ITEM,
    REASON_BODY,
    delivery_json,
    item_json,
)

_DELIVERY_RESPONSE = {"type": "object", "required": ["delivery"], "properties": {"delivery": DELIVERY}}


def _ids(value: Any, field: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise XietongError("input.invalid", field=field)
    for n, v in enumerate(value):
        if not is_id(v):
            raise XietongError("input.invalid", field=f"{field}[{n}]")
    return tuple(value)


def _attachments(value: Any) -> list[Attachment]:
    return [file for _, file in json_files(value, "attachments")]


def draft_from_json(body: dict[str, Any]) -> ItemDraft:
    try:
        kind, urgency = ItemKind(str(body.get("kind"))), Urgency(str(body.get("urgency")))
    except ValueError:
        raise XietongError("item.bad_kind") from None
    meeting_at = None
    if body.get("meeting_at"):
        try:
            meeting_at = datetime.fromisoformat(str(body["meeting_at"]))
        except ValueError:
            raise XietongError("input.invalid", field="meeting_at") from None
        if meeting_at.tzinfo is None:
            raise XietongError("input.invalid", field="meeting_at (needs a UTC offset)")
    files = _attachments(body.get("attachments"))
    return ItemDraft(kind=kind, urgency=urgency, title=str(body.get("title", "")), body=str(body.get("body", "")),
                     main_units=_ids(body.get("main_units"), "main_units"),
                     copy_units=_ids(body.get("copy_units", []), "copy_units"),
                     doc_number=str(body.get("doc_number", "")), doc_kind=str(body.get("doc_kind", "")),
                     issuing_office=str(body.get("issuing_office", "")), doc_date=str(body.get("doc_date", "")),
                     meeting_at=meeting_at, meeting_place=str(body.get("meeting_place", "")),
                     attachments=tuple(files))


@api("POST", "/api/items", action=Action.ISSUE_ITEM, body=ISSUE_BODY,
     summary="Issue an urgent item to recipient units; answered with the deliveries once the recipients' "
             "realtime frames are out",
     response={"type": "object", "required": ["item", "deliveries"],
               "properties": {"item": ITEM, "deliveries": {"type": "array", "items": DELIVERY}}})
async def issue(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    # not a whole item view; answered once the recipients' frames are out (see issue_with_deliveries)
    item, deliveries = await hub.items.issue_with_deliveries(actor, draft_from_json(await json_body(request)))
    return json_response({"item": item_json(item), "deliveries": [delivery_json(d) for d in deliveries]})


def _filter_params(states: str) -> tuple[dict[str, Any], ...]:
    return ({"name": "state", "in": "query", "required": False, "description": states,
             "schema": {"enum": [s.value for s in ListState]}},
            {"name": "urgency", "in": "query", "required": False,
             "schema": {"enum": [u.value for u in Urgency]}},
            {"name": "q", "in": "query", "required": False, "description": "words of the title, all of them",
             "schema": {"type": "string", "maxLength": MAX_QUERY}})


@api("GET", "/api/inbox", action=Action.VIEW_ITEM, summary="What your unit received, open ones first",
     params=_filter_params("open: not signed for yet (unread or read); acked; returned; withdrawn"),
     response={"type": "object", "required": ["entries"], "properties": {"entries": {"type": "array", "items": {
         "type": "object", "required": ["delivery", "item"],
         "properties": {"delivery": DELIVERY, "item": ITEM}}}}})
async def inbox(request: web.Request) -> web.Response:
    entries = await hub_of(request).items.inbox(actor_of(request), list_filter(request))
    return json_response({"entries": [{"delivery": delivery_json(e.delivery), "item": item_json(e.item)}
                                      for e in entries]})


@api("GET", "/api/sent", action=Action.VIEW_ITEM, summary="What your unit sent, newest first, with its deliveries",
     params=_filter_params("open: some unit has not signed for it; acked: every unit signed for it; "
                           "returned: some unit returned it; withdrawn"),
     response={"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
         "type": "object", "required": ["item", "deliveries"],
         "properties": {"item": ITEM, "deliveries": {"type": "array", "items": DELIVERY}}}}}})
async def sent(request: web.Request) -> web.Response:
    rows = await hub_of(request).items.sent(actor_of(request), list_filter(request))
    return json_response({"items": [{"item": item_json(i), "deliveries": [delivery_json(d) for d in ds]}
                                    for i, ds in rows]})


@api("GET", "/api/items/{item_id}", action=Action.VIEW_ITEM,
     summary="One item with the deliveries you may see; opening it as a recipient records it as read",
     response={"type": "object", "required": ["item", "deliveries"],
               "properties": {"item": ITEM, "deliveries": {"type": "array", "items": DELIVERY},
                              "mine": {"anyOf": [DELIVERY, {"type": "null"}]}}})
async def show(request: web.Request) -> web.Response:
    view = await hub_of(request).items.view(actor_of(request), path_id(request, "item_id"))
    return json_response({"item": item_json(view.item),
                          "deliveries": [delivery_json(r.delivery) for r in view.recipients],
                          "mine": delivery_json(view.mine) if view.mine else None})


@api("POST", "/api/items/{item_id}/remind", action=Action.ISSUE_ITEM,
     summary="The sending unit reminds every unit not signed for yet (催办): a push and an SMS to its "
             "clerks, counted as a manual chase; a unit reminded in the last 5 minutes is not reminded again",
     response={"type": "object", "required": ["reminded", "deliveries"],
               "properties": {"reminded": {"type": "integer"},
                              "deliveries": {"type": "array", "items": DELIVERY}}})
async def remind_unsigned(request: web.Request) -> web.Response:
    done = await hub_of(request).chase.remind_unsigned(actor_of(request), path_id(request, "item_id"))
    return json_response({"reminded": len(done), "deliveries": [delivery_json(d) for d in done]})


@api("POST", "/api/deliveries/{delivery_id}/ack", action=Action.HANDLE_DELIVERY,
     summary="Sign for (签收) on your unit's behalf; the sender gets a receipt",
     body=ACK_BODY,
     response=_DELIVERY_RESPONSE)
async def acknowledge(request: web.Request) -> web.Response:
    body = await json_body(request) if request.can_read_body else {}
    people = body.get("attendees") or []
    if not isinstance(people, list):
        raise XietongError("input.invalid", field="attendees")
    attendees = [Attendee(str(a.get("name", "")), str(a.get("phone", ""))) for a in people if isinstance(a, dict)]
    done = await hub_of(request).items.acknowledge(
        actor_of(request), path_id(request, "delivery_id"), attendees=attendees)
    return json_response({"delivery": delivery_json(done)})


@api("POST", "/api/deliveries/{delivery_id}/return", action=Action.HANDLE_DELIVERY,
     summary="Return (退回) an item to its sender with a reason",
     body=REASON_BODY,
     response=_DELIVERY_RESPONSE)
async def return_item(request: web.Request) -> web.Response:
    body = await json_body(request)
    done = await hub_of(request).items.return_item(
        actor_of(request), path_id(request, "delivery_id"), str(body.get("reason", "")))
    return json_response({"delivery": delivery_json(done)})


@api("POST", "/api/duty/deliveries/{delivery_id}/ack", action=Action.DUTY_DESK,
     summary="The duty desk signs for a unit, with the reason",
     body=REASON_BODY,
     response=_DELIVERY_RESPONSE)
async def duty_ack(request: web.Request) -> web.Response:
    body = await json_body(request)
    done = await hub_of(request).duty.acknowledge_on_behalf(
        actor_of(request), path_id(request, "delivery_id"), str(body.get("reason", "")))
    return json_response({"delivery": delivery_json(done)})
