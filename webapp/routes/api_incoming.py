"""The JSON API of received documents (收文): the list, a record with its steps and history,
registering (by hand, or a signed-for delivery), the unit's setting, and every move."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.domain.incoming import State
from hub.domain.items import Attachment
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.incoming import IncomingView
from hub.store.incoming import Incoming
from webapp.context import actor_of, hub_of, json_body, json_files, json_response, path_id
from webapp.routes.incoming import MOVES, make_move, parse_due, registration_from, unit_id_of
from webapp.routing import api

_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_OPT_INT, _OPT_STR = {"type": ["integer", "null"]}, {"type": ["string", "null"]}

RECORD = {"type": "object",
          "required": ["id", "number", "unit_id", "source", "from_unit", "from_number", "title", "doc_kind",
                       "urgency", "copies", "pages", "received_on", "deadline", "reply_wanted", "state",
                       "handling", "lead_unit_id", "result", "reply_item_id", "supervised", "delivery_id",
                       "registered_at", "closed_at", "href"],
          "properties": {"id": _INT, "number": _STR, "unit_id": _INT, "source": _STR, "from_unit": _STR,
                         "from_number": _STR, "title": _STR, "doc_kind": _STR, "urgency": _STR, "copies": _INT,
                         "pages": _INT, "received_on": _STR, "deadline": _STR, "reply_wanted": _BOOL,
                         "state": {"enum": [s.value for s in State]}, "handling": _STR, "lead_unit_id": _OPT_INT,
                         "result": _STR, "reply_item_id": _OPT_INT, "supervised": _BOOL, "delivery_id": _OPT_INT,
                         "registered_at": _STR, "closed_at": _OPT_STR, "href": _STR}}
STEP = {"type": "object", "required": ["id", "kind", "unit_id", "role", "user_id", "state", "opened_at", "due_at",
                                       "done_at", "done_by", "note"],
        "properties": {"id": _INT, "kind": _STR, "unit_id": _INT, "role": _OPT_STR, "user_id": _OPT_INT,
                       "state": _STR, "opened_at": _STR, "due_at": _OPT_STR, "done_at": _OPT_STR,
                       "done_by": _OPT_INT, "note": _STR}}
HISTORY = {"type": "object", "required": ["id", "at", "move", "from_state", "to_state", "actor_id", "actor_name",
                                          "for_id", "note"],
           "properties": {"id": _INT, "at": _STR, "move": _STR, "from_state": _STR, "to_state": _STR,
                          "actor_id": _OPT_INT, "actor_name": _STR, "for_id": _OPT_INT, "note": _STR}}
DETAIL = {"type": "object", "required": ["record", "steps", "history", "moves", "attachments", "assignable"],
          "properties": {"record": RECORD, "steps": {"type": "array", "items": STEP},
                         "history": {"type": "array", "items": HISTORY},
                         "moves": {"type": "array", "items": _STR},
                         "attachments": {"type": "array", "items": {
                             "type": "object", "required": ["id", "name", "size", "href"],
                             "properties": {"id": _INT, "name": _STR, "size": _INT, "href": _STR}}},
                         "assignable": {"type": "array", "items": {
                             "type": "object", "required": ["unit_id", "name"],
                             "properties": {"unit_id": _INT, "name": _STR}}}}}
ONE = {"type": "object", "required": ["record"], "properties": {"record": RECORD}}
_UNIT_DUE = {"type": "object", "required": ["unit_id", "due"], "properties": {"unit_id": _INT, "due": _STR}}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def record_json(r: Incoming) -> dict[str, Any]:
    return {"id": r.id, "number": r.number, "unit_id": r.unit_id, "source": r.source, "from_unit": r.from_unit,
            "from_number": r.from_number, "title": r.title, "doc_kind": r.doc_kind, "urgency": r.urgency,
            "copies": r.copies, "pages": r.pages, "received_on": r.received_on.isoformat(),
            "deadline": r.deadline.isoformat(), "reply_wanted": r.reply_wanted, "state": r.state,
            "handling": r.handling, "lead_unit_id": r.lead_unit_id, "result": r.result,
            "reply_item_id": r.reply_item_id, "supervised": r.supervised, "delivery_id": r.delivery_id,
            "registered_at": r.registered_at.isoformat(), "closed_at": _iso(r.closed_at),
            "href": f"/incoming/{r.id}"}


def detail_json(v: IncomingView) -> dict[str, Any]:
    return {"record": record_json(v.record),
            "steps": [{"id": s.id, "kind": s.kind, "unit_id": s.unit_id, "role": s.role, "user_id": s.user_id,
                       "state": s.state, "opened_at": s.opened_at.isoformat(), "due_at": _iso(s.due_at),
                       "done_at": _iso(s.done_at), "done_by": s.done_by, "note": s.note} for s in v.steps],
            "history": [{"id": h.id, "at": h.at.isoformat(), "move": h.move, "from_state": h.from_state,
                         "to_state": h.to_state, "actor_id": h.actor_id, "actor_name": h.actor_name,
                         "for_id": h.for_id, "note": h.note} for h in v.history],
            "moves": [m.name for m in v.moves],
            "attachments": [{"id": a.id, "name": a.name, "size": a.size, "href": f"/incoming/attachments/{a.id}"}
                            for a in v.attachments],
            "assignable": [{"unit_id": u, "name": n} for u, n in v.assignable]}


@api("GET", "/api/incoming", action=Action.VIEW_INCOMING,
     summary="The unit's received documents (收文) and those it handles as lead, newest first; ?state= filters",
     params=({"name": "state", "in": "query", "required": False, "schema": {"enum": [s.value for s in State]}},),
     response={"type": "object", "required": ["records"],
               "properties": {"records": {"type": "array", "items": RECORD}}})
async def api_list(request: web.Request) -> web.Response:
    state = request.query.get("state", "")
    if state and state not in {s.value for s in State}:
        raise XietongError("input.invalid", field="state")
    records = await hub_of(request).incoming.of_unit(actor_of(request), [state] if state else None)
    return json_response({"records": [record_json(r) for r in records]})


def _scans(value: Any) -> list[Attachment]:
    return [file for _, file in json_files(value, "scans")]


@api("POST", "/api/incoming", action=Action.REGISTER_INCOMING,
     summary="Register a document that came on paper or forwarded from above (登记), with base64 scans",
     body={"type": "object", "required": ["from_unit", "title", "urgency", "received_on"],
           "properties": {"source": {"enum": ["paper", "forwarded"]}, "from_unit": _STR, "from_number": _STR,
                          "title": _STR, "doc_kind": _STR, "urgency": {"enum": ["extra_urgent", "urgent", "ordinary"]},
                          "copies": _INT, "pages": _INT, "received_on": _STR, "deadline": _STR,
                          "reply_wanted": _BOOL,
                          "scans": {"type": "array", "items": {
                              "type": "object", "required": ["name", "content_base64"],
                              "properties": {"name": _STR, "content_base64": _STR, "content_type": _STR}}}}},
     response=ONE)
async def api_register(request: web.Request) -> web.Response:
    hub, body = hub_of(request), await json_body(request)
    values = {k: v for k, v in body.items() if k != "scans"}
    for key, value in values.items():          # what the document says, not whatever str() makes of it
        if key in ("copies", "pages"):
            if type(value) is not int:
                raise XietongError("incoming.bad_count")
        elif key == "reply_wanted":
            if not isinstance(value, bool):
                raise XietongError("input.invalid", field=key)
        elif not isinstance(value, str):
            raise XietongError("input.invalid", field=key)
    record = await hub.incoming.register_by_hand(actor_of(request), registration_from(hub, values),
                                                 _scans(body.get("scans")))
    return json_response({"record": record_json(record)}, status=201)


@api("POST", "/api/items/{item_id}/register", action=Action.REGISTER_INCOMING,
     summary="Register the unit's signed-for delivery of an item (登记): fields from the item, its number",
     body={"type": "object", "properties": {"deadline": _STR, "reply_wanted": _BOOL}},
     response=ONE)
async def api_register_item(request: web.Request) -> web.Response:
    hub, body = hub_of(request), await json_body(request)
    deadline = body.get("deadline")
    if deadline is not None and not isinstance(deadline, str):
        raise XietongError("incoming.bad_deadline")
    record = await hub.incoming.register_item(actor_of(request), path_id(request, "item_id"),
                                              deadline=parse_due(hub, deadline or ""),
                                              reply_wanted=body.get("reply_wanted") is True)
    return json_response({"record": record_json(record)}, status=201)


@api("POST", "/api/incoming/settings", action=Action.REGISTER_INCOMING,
     summary="The unit's setting: register documents automatically at sign-for",
     body={"type": "object", "required": ["auto_register"], "properties": {"auto_register": _BOOL}},
     response={"type": "object", "required": ["auto_register"], "properties": {"auto_register": _BOOL}})
async def api_settings(request: web.Request) -> web.Response:
    hub, actor, body = hub_of(request), actor_of(request), await json_body(request)
    on = body.get("auto_register")
    if not isinstance(on, bool):
        raise XietongError("input.invalid", field="auto_register")
    await hub.incoming.set_auto_register(actor, on)
    return json_response({"auto_register": await hub.incoming.auto_register(actor)})


@api("GET", "/api/incoming/{incoming_id}", action=Action.VIEW_HOME,
     summary="A received document: its fields, steps, history, and the moves the caller may make now "
             "(404 to anyone the road gives no part)",
     response=DETAIL)
async def api_show(request: web.Request) -> web.Response:
    view = await hub_of(request).incoming.view(actor_of(request), path_id(request, "incoming_id"))
    return json_response(detail_json(view))


def _units_due(hub: Any, value: Any, field: str) -> list[tuple[int, datetime]]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise XietongError("input.invalid", field=field)
    out = []
    for v in value:
        due = v.get("due")
        when = parse_due(hub, due) if isinstance(due, str) else None
        if when is None:
            raise XietongError("incoming.bad_deadline")
        out.append((unit_id_of(v.get("unit_id"), field), when))
    return out


MOVE_BODY = {"type": "object", "properties": {
    "note": _STR, "handling": {"enum": ["read", "act"]}, "code": _STR, "step_id": _INT,
    "lead": {"anyOf": [_UNIT_DUE, {"type": "array", "items": _UNIT_DUE}]},
    "assisting": {"type": "array", "items": _UNIT_DUE}}}


@api("POST", "/api/incoming/{incoming_id}/moves/{move}", action=Action.VIEW_HOME,
     summary="A received document's move: review (初审, note optional), return (退文: note = the reason), "
             "propose (拟办: handling read|act, note), instruct (批示: a leader's note and one-time code), "
             "assign (分办: lead {unit_id, due}, assisting [{unit_id, due}]), reassign (改办: a leader, with the "
             "note why), assist (协办: the opinion; step_id picks one of several), result (办理结果), reply "
             "(答复: the result back to the sender), close (办结). A move that is not the caller's: 409",
     params=({"name": "move", "in": "path", "required": True, "schema": {"enum": list(MOVES)}},),
     body=MOVE_BODY, response=ONE)
async def api_move(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    record_id, move = path_id(request, "incoming_id"), request.match_info["move"]
    if move not in MOVES:
        raise XietongError("not_found")
    body = await json_body(request)
    for key in ("note", "handling", "code"):
        if key in body and not isinstance(body[key], str):
            raise XietongError("input.invalid", field=key)
    if "step_id" in body and not (type(body["step_id"]) is int and body["step_id"] > 0):
        raise XietongError("input.invalid", field="step_id")
    leads = _units_due(hub, body.get("lead"), "lead") if move in ("assign", "reassign") else []
    assisting = _units_due(hub, body.get("assisting"), "assisting") if move in ("assign", "reassign") else []
    record = await make_move(hub, actor, record_id, move, body, leads, assisting)
    return json_response({"record": record_json(record)})
