"""传阅: circulate a received document, the sender's one view, withdraw, remind, read (已阅) — pages
and JSON API. Who may do what is the circulation service's (the route's action is the least grant)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.circulation import Reader
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.circulation import CirculationView
from webapp.context import (
    actor_of,
    hub_of,
    id_from_text,
    json_body,
    json_id,
    json_response,
    path_id,
    refused,
    render,
    safe_next,
)
from webapp.routing import api, page


def _form_readers(form: dict[str, Any], ordered: bool) -> list[int]:
    """The people ticked, in the order given by their position fields when ordered (blank: after the
    numbered ones, in the list's order)."""
    ids = []
    for value in form.get("reader", []):
        n = id_from_text(value)
        if n is None:
            raise XietongError("input.invalid", field="reader")
        ids.append(n)
    if not ordered:
        return ids

    def pos(i_uid: tuple[int, int]) -> tuple[int, int]:
        n = id_from_text(str(form.get(f"pos_{i_uid[1]}", "")).strip())
        return (n if n is not None else 10_000, i_uid[0])
    return [uid for _, uid in sorted(enumerate(ids), key=pos)]


async def _form(request: web.Request) -> dict[str, Any]:
    post = await request.post()
    out: dict[str, Any] = {k: str(v) for k, v in post.items()}
    out["reader"] = [str(v) for v in post.getall("reader", [])]
    return out


async def new_page(request: web.Request, incoming_id: int, error: str | None = None, status: int = 200,
                   form: dict[str, Any] | None = None) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    record, people = await hub.circulation.people(actor, incoming_id)
    form = form or {}
    return render(request, "circulation_new.html", status=status, record=record, people=people, error=error,
                  form=form, chosen={int(v) for v in form.get("reader", []) if id_from_text(v)})


@page("GET", "/incoming/{incoming_id}/circulations/new", action=Action.VIEW_INCOMING)
async def circulation_new(request: web.Request) -> web.Response:
    return await new_page(request, path_id(request, "incoming_id"))


@page("POST", "/incoming/{incoming_id}/circulations", action=Action.VIEW_INCOMING)
async def circulation_create(request: web.Request) -> web.StreamResponse:
    hub, actor, incoming_id = hub_of(request), actor_of(request), path_id(request, "incoming_id")
    form = await _form(request)
    ordered = form.get("ordered") == "1"
    try:
        sent = await hub.circulation.circulate(actor, incoming_id, _form_readers(form, ordered),
                                               str(form.get("note", "")), ordered)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await new_page(request, incoming_id, refused(request, err), err.status, form)
    raise web.HTTPSeeOther(f"/circulations/{sent.circulation_id}?done=sent")


async def view_page(request: web.Request, circulation_id: int, error: str | None = None,
                    status: int = 200) -> web.Response:
    view = await hub_of(request).circulation.view(actor_of(request), circulation_id)
    notice = request.query.get("done", "")
    return render(request, "circulation.html", status=status, view=view, error=error,
                  notice=notice if notice in ("sent", "read", "withdrawn", "reminded") else "")


@page("GET", "/circulations", action=Action.VIEW_HOME)
async def circulations_sent(request: web.Request) -> web.Response:
    """我发起的传阅: the circulations one sent, each with who has and hasn't read it."""
    lines = await hub_of(request).circulation.sent(actor_of(request))
    return render(request, "circulations.html", lines=lines)


@page("GET", "/circulations/{circulation_id}", action=Action.VIEW_HOME)
async def circulation_view(request: web.Request) -> web.Response:
    return await view_page(request, path_id(request, "circulation_id"))


@page("POST", "/circulations/{circulation_id}/withdraw", action=Action.VIEW_INCOMING)
async def circulation_withdraw(request: web.Request) -> web.StreamResponse:
    cid = path_id(request, "circulation_id")
    try:
        await hub_of(request).circulation.withdraw(actor_of(request), cid)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await view_page(request, cid, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/circulations/{cid}?done=withdrawn")


@page("POST", "/circulations/{circulation_id}/remind", action=Action.VIEW_INCOMING)
async def circulation_remind(request: web.Request) -> web.StreamResponse:
    cid = path_id(request, "circulation_id")
    try:
        await hub_of(request).circulation.remind(actor_of(request), cid)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await view_page(request, cid, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/circulations/{cid}?done=reminded#reminder")


@page("POST", "/road-steps/{step_id}/read", action=Action.VIEW_HOME)
async def step_read(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    cid = await hub_of(request).circulation.read(actor_of(request), path_id(request, "step_id"),
                                                 str(form.get("comment", "")))
    back = str(form.get("back", ""))
    raise web.HTTPSeeOther(safe_next(back) if back else f"/circulations/{cid}?done=read")


# -- JSON API -------------------------------------------------------------------------------

_TIME = {"type": "string", "description": "ISO 8601, UTC"}
_OPT_TIME = {"type": ["string", "null"]}
_NAMES = {"type": "array", "items": {"type": "string"}}
READER = {"type": "object",
          "required": ["step_id", "user_id", "name", "unit", "position", "status", "read_at", "comment"],
          "properties": {"step_id": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"},
                         "unit": {"type": "string"}, "position": {"type": "integer"},
                         "status": {"enum": ["not_yet", "unread", "read", "withdrawn"],
                                    "description": "未到 (an ordered circulation's later reader) | 待阅 | 已阅 | 撤回"},
                         "read_at": _OPT_TIME, "comment": {"type": "string"}}}
CIRCULATION = {
    "type": "object",
    "required": ["id", "record_id", "number", "title", "sender_id", "sender", "note", "ordered", "created_at",
                 "withdrawn_at", "counts", "readers", "skipped", "last_reminder", "may_manage", "my_step_id"],
    "properties": {
        "id": {"type": "integer"}, "record_id": {"type": "integer"}, "number": {"type": "string"},
        "title": {"type": "string"}, "sender_id": {"type": "integer"}, "sender": {"type": "string"},
        "note": {"type": "string"}, "ordered": {"type": "boolean"}, "created_at": _TIME, "withdrawn_at": _OPT_TIME,
        "counts": {"type": "object", "required": ["not_yet", "unread", "read", "withdrawn"],
                   "properties": {k: {"type": "integer"} for k in ("not_yet", "unread", "read", "withdrawn")}},
        "readers": {"type": "array", "items": READER},
        "skipped": {**_NAMES, "description": "left out when sent: they had it to read from another circulation"},
        "last_reminder": {"anyOf": [{"type": "null"}, {
            "type": "object", "required": ["at", "by", "reached", "not_reached", "sms"],
            "properties": {"at": _TIME, "by": {"type": "string"}, "reached": _NAMES,
                           "not_reached": {**_NAMES, "description": "no phone number: not reached by SMS"},
                           "sms": {"type": "array", "items": {
                               "type": "object", "required": ["user_id", "state", "error"],
                               "properties": {"user_id": {"type": ["integer", "null"]}, "error": {"type": "string"},
                                              "state": {"type": "string", "description":
                                                        "queued | sending | sent | delivered | undelivered | failed"}}}}}}]},
        "may_manage": {"type": "boolean"}, "my_step_id": {"type": ["integer", "null"]}}}


def reader_json(r: Reader) -> dict[str, Any]:
    return {"step_id": r.step_id, "user_id": r.user_id, "name": r.name, "unit": r.unit_name, "position": r.position,
            "status": r.status, "read_at": r.read_at.isoformat() if r.read_at else None, "comment": r.comment}


def circulation_json(v: CirculationView) -> dict[str, Any]:
    c, last = v.circulation, v.last_reminder
    return {"id": c.id, "record_id": c.record_id, "number": v.record.number, "title": v.record.title,
            "sender_id": c.sender_id, "sender": v.sender_name, "note": c.note, "ordered": c.ordered,
            "created_at": c.created_at.isoformat(),
            "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            "counts": {k: v.count(k) for k in ("not_yet", "unread", "read", "withdrawn")},
            "readers": [reader_json(r) for r in v.readers], "skipped": v.skipped,
            "last_reminder": {"at": last.at.isoformat(), "by": last.actor_name,
                              "reached": list(last.data.get("reached", [])),
                              "not_reached": list(last.data.get("not_reached", [])),
                              "sms": [{"user_id": uid, "state": st, "error": err}
                                      for uid, (st, err) in v.reminder_sms.items()]} if last else None,
            "may_manage": v.may_manage, "my_step_id": v.mine.step_id if v.mine else None}


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_body(request) if request.can_read_body else {}


@api("GET", "/api/incoming/{incoming_id}/circulations", action=Action.VIEW_HOME,
     summary="A received document's circulations (传阅) the caller is concerned with, the caller's own steps to "
             "read, and whom the caller may circulate it to",
     response={"type": "object", "required": ["circulations", "mine", "may_circulate", "people"],
               "properties": {
                   "circulations": {"type": "array", "items": {
                       "type": "object", "required": ["id", "sender", "note", "ordered", "read", "total",
                                                      "created_at", "withdrawn_at"],
                       "properties": {"id": {"type": "integer"}, "sender": {"type": "string"},
                                      "note": {"type": "string"}, "ordered": {"type": "boolean"},
                                      "read": {"type": "integer"}, "total": {"type": "integer"},
                                      "created_at": _TIME, "withdrawn_at": _OPT_TIME}}},
                   "mine": {"type": "array", "items": {
                       "type": "object", "required": ["circulation_id", "step_id", "note"],
                       "properties": {"circulation_id": {"type": "integer"}, "step_id": {"type": "integer"},
                                      "note": {"type": "string"}}}},
                   "may_circulate": {"type": "boolean"},
                   "people": {"type": "array", "items": {
                       "type": "object", "required": ["id", "name", "unit"],
                       "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                      "unit": {"type": "string"}}}}}})
async def circulations_json(request: web.Request) -> web.Response:
    hub, actor, incoming_id = hub_of(request), actor_of(request), path_id(request, "incoming_id")
    panel = await hub.circulation.panel(actor, incoming_id, check=True)
    people = (await hub.circulation.people(actor, incoming_id))[1] if panel.may_circulate else []
    return json_response({
        "circulations": [{"id": c.id, "sender": sender, "note": c.note, "ordered": c.ordered, "read": read,
                          "total": total, "created_at": c.created_at.isoformat(),
                          "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}
                         for c, sender, read, total in panel.circulations],
        "mine": [{"circulation_id": c.id, "step_id": r.step_id, "note": c.note} for c, r in panel.mine],
        "may_circulate": panel.may_circulate,
        "people": [{"id": u.id, "name": u.name, "unit": unit.name} for u, unit in people]})


@api("POST", "/api/incoming/{incoming_id}/circulations", action=Action.VIEW_INCOMING,
     summary="Circulate a received document (传阅) to people of its unit and the units below it, in parallel or in "
             "the order given, with a note saying why; a person who has it to read already is skipped and named",
     body={"type": "object", "required": ["user_ids", "note"],
           "properties": {"user_ids": {"type": "array", "items": {"type": "integer"}},
                          "note": {"type": "string"}, "ordered": {"type": "boolean"}}},
     response={"type": "object", "required": ["circulation_id", "readers", "skipped"],
               "properties": {"circulation_id": {"type": "integer"}, "readers": _NAMES, "skipped": _NAMES}})
async def circulation_create_json(request: web.Request) -> web.Response:
    hub, actor, incoming_id = hub_of(request), actor_of(request), path_id(request, "incoming_id")
    body = await _body(request)
    users, note, ordered = body.get("user_ids", []), body.get("note", ""), body.get("ordered", False)
    if not isinstance(users, list):
        raise XietongError("input.invalid", field="user_ids")
    if not isinstance(note, str):
        raise XietongError("input.invalid", field="note")
    if not isinstance(ordered, bool):
        raise XietongError("input.invalid", field="ordered")
    sent = await hub.circulation.circulate(actor, incoming_id, [json_id(u, "user_ids") for u in users], note, ordered)
    return json_response({"circulation_id": sent.circulation_id, "readers": sent.readers, "skipped": sent.skipped})


_COUNTS = CIRCULATION["properties"]["counts"]     # type: ignore[index]


@api("GET", "/api/circulations", action=Action.VIEW_HOME,
     summary="The circulations the caller sent (我发起的传阅), the latest first, each with how many readers have "
             "read it, have it to read, are not reached yet or were withdrawn",
     response={"type": "object", "required": ["circulations"], "properties": {"circulations": {
         "type": "array", "items": {
             "type": "object", "required": ["id", "record_id", "number", "title", "note", "ordered", "created_at",
                                            "withdrawn_at", "counts", "total"],
             "properties": {"id": {"type": "integer"}, "record_id": {"type": "integer"},
                            "number": {"type": "string"}, "title": {"type": "string"}, "note": {"type": "string"},
                            "ordered": {"type": "boolean"}, "created_at": _TIME, "withdrawn_at": _OPT_TIME,
                            "counts": _COUNTS, "total": {"type": "integer"}}}}}})
async def circulations_sent_json(request: web.Request) -> web.Response:
    lines = await hub_of(request).circulation.sent(actor_of(request))
    return json_response({"circulations": [
        {"id": x.circulation.id, "record_id": x.record.id, "number": x.record.number, "title": x.record.title,
         "note": x.circulation.note, "ordered": x.circulation.ordered,
         "created_at": x.circulation.created_at.isoformat(),
         "withdrawn_at": x.circulation.withdrawn_at.isoformat() if x.circulation.withdrawn_at else None,
         "counts": x.counts, "total": x.total} for x in lines]})


@api("GET", "/api/circulations/{circulation_id}", action=Action.VIEW_HOME,
     summary="The sender's one view of a circulation: every reader with 未到/待阅/已阅/撤回, read time and comment "
             "(the sender, the record's unit and the readers see it)",
     response={"type": "object", "required": ["circulation"], "properties": {"circulation": CIRCULATION}})
async def circulation_view_json(request: web.Request) -> web.Response:
    view = await hub_of(request).circulation.view(actor_of(request), path_id(request, "circulation_id"))
    return json_response({"circulation": circulation_json(view)})


@api("POST", "/api/circulations/{circulation_id}/withdraw", action=Action.VIEW_INCOMING,
     summary="Withdraw a circulation (撤回): the readers who have not read it lose it from their lists; "
             "who read it stays read (its sender, or the record's office)",
     response={"type": "object", "required": ["circulation"], "properties": {"circulation": CIRCULATION}})
async def circulation_withdraw_json(request: web.Request) -> web.Response:
    view = await hub_of(request).circulation.withdraw(actor_of(request), path_id(request, "circulation_id"))
    return json_response({"circulation": circulation_json(view)})


@api("POST", "/api/circulations/{circulation_id}/remind", action=Action.VIEW_INCOMING, throttled=True,
     summary="Remind the readers whose turn it is and who have not read it (SMS and push); those without a phone "
             "number are named in not_reached. A few times a day at most",
     response={"type": "object", "required": ["reached", "not_reached"],
               "properties": {"reached": _NAMES, "not_reached": _NAMES}})
async def circulation_remind_json(request: web.Request) -> web.Response:
    done = await hub_of(request).circulation.remind(actor_of(request), path_id(request, "circulation_id"))
    return json_response({"reached": done.reached, "not_reached": done.not_reached})


@api("POST", "/api/road-steps/{step_id}/read", action=Action.VIEW_HOME,
     summary="Mark one's circulation step read (已阅) with an optional comment; in an ordered circulation the "
             "next reader's turn comes",
     body={"type": "object", "properties": {"comment": {"type": "string"}}},
     response={"type": "object", "required": ["circulation_id"],
               "properties": {"circulation_id": {"type": "integer"}}})
async def step_read_json(request: web.Request) -> web.Response:
    body = await _body(request)
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise XietongError("input.invalid", field="comment")
    cid = await hub_of(request).circulation.read(actor_of(request), path_id(request, "step_id"), comment)
    return json_response({"circulation_id": cid})
