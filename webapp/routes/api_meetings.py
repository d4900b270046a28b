"""The JSON API of meetings (会议管理): list and call, a meeting's view (the organiser's: every unit's
reply, the silent units' clerks and phones, clashes), change, postpone, cancel, reply, chase."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.domain.items import Urgency
from hub.domain.meetings import Meeting, MeetingDraft, ReplyAttendee
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.meetings import MeetingRow, MeetingView, UnitReply
from hub.store.meetings import Reply
from webapp.context import actor_of, hub_of, is_id, json_body, json_response, json_text, path_id
from webapp.routing import api

_TIME = {"type": "string", "description": "ISO 8601 with a UTC offset"}
_OPT_TIME = {"type": ["string", "null"]}
_ID_LIST = {"type": "array", "items": {"type": "integer"}}

MEETING = {"type": "object",
           "required": ["id", "item_id", "unit_id", "organiser_id", "title", "agenda", "room", "starts_at", "ends_at",
                        "state", "version", "state_note"],
           "properties": {"id": {"type": "integer"}, "item_id": {"type": "integer", "description": "the notice"},
                          "unit_id": {"type": "integer", "description": "the organiser's unit"},
                          "organiser_id": {"type": "integer"}, "title": {"type": "string"},
                          "agenda": {"type": "string"}, "room": {"type": "string"}, "starts_at": _TIME,
                          "ends_at": _TIME, "state": {"type": "string", "enum": ["scheduled", "postponed", "cancelled"]},
                          "version": {"type": "integer", "description": "bumped by each change or postponement"},
                          "state_note": {"type": "string"}}}
REPLY = {"type": ["object", "null"], "required": ["unit_id", "version", "coming", "note", "replied_at", "replied_by"],
         "properties": {"unit_id": {"type": "integer"}, "version": {"type": "integer"}, "coming": {"type": "boolean"},
                        "note": {"type": "string"}, "replied_at": _TIME, "replied_by": {"type": "integer"}}}
ATTENDEE = {"type": "object", "required": ["id", "user_id", "name", "phone", "substitute_for", "substitute_for_name",
                                           "signed_in_at"],
            "properties": {"id": {"type": "integer"}, "user_id": {"type": ["integer", "null"]},
                           "name": {"type": "string"}, "phone": {"type": "string"},
                           "substitute_for": {"type": ["integer", "null"]}, "substitute_for_name": {"type": "string"},
                           "signed_in_at": _OPT_TIME}}
CONTACT = {"type": "object", "required": ["user_id", "name", "phone"],
           "properties": {"user_id": {"type": "integer"}, "name": {"type": "string"}, "phone": {"type": "string"}}}
UNIT_REPLY = {"type": "object", "required": ["unit_id", "unit", "delivery_id", "delivery_state", "round", "reply",
                                             "answered", "stale", "attendees", "contacts"],
              "properties": {"unit_id": {"type": "integer"}, "unit": {"type": "string"},
                             "delivery_id": {"type": "integer"}, "delivery_state": {"type": "string"},
                             "round": {"type": "integer"}, "reply": REPLY, "answered": {"type": "boolean"},
                             "stale": {"type": "boolean", "description": "replied to an older version: 待重新确认"},
                             "attendees": {"type": "array", "items": ATTENDEE},
                             "contacts": {"type": "array", "items": CONTACT,
                                          "description": "the unit's clerks, while it has not answered"}}}
CONFLICT = {"type": "object", "required": ["user_id", "name", "meeting_id", "title", "starts_at", "ends_at"],
            "properties": {"user_id": {"type": "integer"}, "name": {"type": "string"},
                           "meeting_id": {"type": "integer"}, "title": {"type": "string"}, "starts_at": _TIME,
                           "ends_at": _TIME}}
VIEW = {"type": "object", "required": ["meeting", "organiser_unit", "invitees", "units", "is_organiser", "can_reply",
                                       "conflicts", "answered", "silent", "coming"],
        "properties": {"meeting": MEETING, "organiser_unit": {"type": "string"},
                       "invitees": {"type": "array", "items": CONTACT}, "units": {"type": "array", "items": UNIT_REPLY},
                       "is_organiser": {"type": "boolean"}, "can_reply": {"type": "boolean"},
                       "conflicts": {"type": "array", "items": CONFLICT}, "answered": {"type": "integer"},
                       "silent": {"type": "integer"}, "coming": {"type": "integer"}}}
ROW = {"type": "object", "required": ["meeting", "organiser_unit", "organised", "reply", "stale"],
       "properties": {"meeting": MEETING, "organiser_unit": {"type": "string"}, "organised": {"type": "boolean"},
                      "reply": REPLY, "stale": {"type": "boolean"}}}
_MEETING_RESPONSE = {"type": "object", "required": ["meeting"], "properties": {"meeting": MEETING}}
_REASON_BODY = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}
CALL_BODY = {"type": "object", "required": ["title", "room", "starts_at", "ends_at", "main_units"],
             "properties": {"title": {"type": "string"}, "agenda": {"type": "string"}, "room": {"type": "string"},
                            "starts_at": _TIME, "ends_at": _TIME, "main_units": _ID_LIST, "copy_units": _ID_LIST,
                            "invitees": {**_ID_LIST, "description": "people invited by name (of the invited units)"},
                            "urgency": {"type": "string", "enum": [u.value for u in Urgency]}}}
CHANGE_BODY = {"type": "object", "required": ["starts_at", "ends_at"],
               "properties": {"starts_at": _TIME, "ends_at": _TIME, "room": {"type": "string"},
                              "note": {"type": "string"}}}
REPLY_BODY = {"type": "object", "required": ["coming"],
              "properties": {"coming": {"type": "boolean"}, "note": {"type": "string"},
                             "attendees": {"type": "array", "items": {
                                 "type": "object", "description": "a person of the unit (user_id) or one without an "
                                                                  "account (name and phone)",
                                 "properties": {"user_id": {"type": "integer"}, "name": {"type": "string"},
                                                "phone": {"type": "string"},
                                                "substitute_for": {"type": ["integer", "null"]}}}}}}


def _t(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def meeting_json(m: Meeting) -> dict[str, Any]:
    return {"id": m.id, "item_id": m.item_id, "unit_id": m.unit_id, "organiser_id": m.organiser_id, "title": m.title,
            "agenda": m.agenda, "room": m.room, "starts_at": m.starts_at.isoformat(), "ends_at": m.ends_at.isoformat(),
            "state": m.state.value, "version": m.version, "state_note": m.state_note}


def reply_json(r: Reply | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"unit_id": r.unit_id, "version": r.version, "coming": r.coming, "note": r.note,
            "replied_at": r.replied_at.isoformat(), "replied_by": r.replied_by}


def unit_json(u: UnitReply) -> dict[str, Any]:
    return {"unit_id": u.unit.id, "unit": u.unit.name, "delivery_id": u.delivery.id,
            "delivery_state": u.delivery.state.value, "round": u.delivery.round, "reply": reply_json(u.reply),
            "answered": u.answered, "stale": u.stale,
            "attendees": [{"id": a.row.id, "user_id": a.row.user_id, "name": a.name, "phone": a.phone,
                           "substitute_for": a.row.substitute_for, "substitute_for_name": a.substitute_for,
                           "signed_in_at": _t(a.row.signed_in_at)} for a in u.attendees],
            "contacts": [] if u.answered else [{"user_id": c.id, "name": c.name, "phone": c.phone}
                                              for c in u.contacts]}


def view_json(v: MeetingView) -> dict[str, Any]:
    return {"meeting": meeting_json(v.meeting), "organiser_unit": v.organiser_unit.name,
            "invitees": [{"user_id": p.id, "name": p.name, "phone": p.phone} for p in v.invitees],
            "units": [unit_json(u) for u in v.units], "is_organiser": v.is_organiser, "can_reply": v.can_reply,
            "conflicts": [{"user_id": c.user_id, "name": c.name, "meeting_id": c.meeting_id, "title": c.title,
                           "starts_at": c.starts_at.isoformat(), "ends_at": c.ends_at.isoformat()}
                          for c in v.conflicts],
            "answered": len(v.answered), "silent": len(v.silent), "coming": v.coming_count}


def row_json(r: MeetingRow) -> dict[str, Any]:
    return {"meeting": meeting_json(r.meeting), "organiser_unit": r.organiser_unit, "organised": r.organised,
            "reply": reply_json(r.reply), "stale": r.stale}


def _time(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise XietongError("input.invalid", field=f"{name} (ISO 8601 with a UTC offset)")
    return t



def _ids(body: dict[str, Any], name: str) -> tuple[int, ...]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(is_id(v) for v in value):
        raise XietongError("input.invalid", field=name)
    return tuple(dict.fromkeys(value))


def _opt_id(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if not is_id(value):
        raise XietongError("input.invalid", field=field)
    assert isinstance(value, int)
    return value


def _attendees(value: Any) -> list[ReplyAttendee]:
    if not isinstance(value, list):
        raise XietongError("input.invalid", field="attendees")
    out = []
    for n, a in enumerate(value):
        if not isinstance(a, dict):
            raise XietongError("input.invalid", field=f"attendees[{n}]")
        sub = _opt_id(a.get("substitute_for"), f"attendees[{n}].substitute_for")
        if a.get("user_id") is not None:
            out.append(ReplyAttendee(_opt_id(a["user_id"], f"attendees[{n}].user_id"), substitute_for=sub))
        else:
            out.append(ReplyAttendee(None, json_text(a, "name"), json_text(a, "phone"), sub))
    return out


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_body(request) if request.can_read_body else {}


@api("GET", "/api/meetings", action=Action.VIEW_ITEM,
     summary="The meetings one's unit called or is invited to: those to come first, then the past and cancelled",
     response={"type": "object", "required": ["meetings"],
               "properties": {"meetings": {"type": "array", "items": ROW}}})
async def list_json(request: web.Request) -> web.Response:
    rows = await hub_of(request).meetings.meetings(actor_of(request))
    return json_response({"meetings": [row_json(r) for r in rows]})


@api("POST", "/api/meetings", action=Action.MANAGE_MEETINGS, body=CALL_BODY, response=_MEETING_RESPONSE,
     summary="召集: call a meeting; its notice (a meeting_notice item) goes to the invited units in the same "
             "transaction")
async def call_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        urgency = Urgency(body.get("urgency", "ordinary"))
    except ValueError:
        raise XietongError("input.invalid", field="urgency") from None
    main = _ids(body, "main_units")
    meeting = await hub_of(request).meetings.call(actor_of(request), MeetingDraft(
        title=json_text(body, "title"), agenda=json_text(body, "agenda"), room=json_text(body, "room"),
        starts_at=_time(body, "starts_at"), ends_at=_time(body, "ends_at"), main_units=main,
        copy_units=tuple(u for u in _ids(body, "copy_units") if u not in main), invitees=_ids(body, "invitees"),
        urgency=urgency))
    return json_response({"meeting": meeting_json(meeting)})


@api("GET", "/api/meetings/{meeting_id}", action=Action.VIEW_ITEM, response=VIEW,
     summary="A meeting: to its organiser every invited unit's notice, reply (stale: to confirm again), who comes "
             "(with substitutes), the silent units' clerks with phones, and people with a clashing meeting")
async def view_json_route(request: web.Request) -> web.Response:
    view = await hub_of(request).meetings.view(actor_of(request), path_id(request, "meeting_id"))
    return json_response(view_json(view))


@api("POST", "/api/meetings/{meeting_id}/change", action=Action.MANAGE_MEETINGS, body=CHANGE_BODY,
     response=_MEETING_RESPONSE,
     summary="A new time and/or room (or a postponed meeting's time): every unit is texted and must confirm again")
async def change_json(request: web.Request) -> web.Response:
    body = await _body(request)
    meeting = await hub_of(request).meetings.change(actor_of(request), path_id(request, "meeting_id"),
                                                    _time(body, "starts_at"), _time(body, "ends_at"),
                                                    json_text(body, "room"), json_text(body, "note"))
    return json_response({"meeting": meeting_json(meeting)})


@api("POST", "/api/meetings/{meeting_id}/postpone", action=Action.MANAGE_MEETINGS, body=_REASON_BODY,
     response=_MEETING_RESPONSE,
     summary="延期 (time to be announced): every unit is told; the notice's ladder and reminders stop")
async def postpone_json(request: web.Request) -> web.Response:
    body = await _body(request)
    meeting = await hub_of(request).meetings.postpone(actor_of(request), path_id(request, "meeting_id"),
                                                      json_text(body, "reason"))
    return json_response({"meeting": meeting_json(meeting)})


@api("POST", "/api/meetings/{meeting_id}/cancel", action=Action.MANAGE_MEETINGS, body=_REASON_BODY,
     response=_MEETING_RESPONSE,
     summary="取消: the notice is withdrawn, every unit told by push and SMS, every timer of it stops")
async def cancel_json(request: web.Request) -> web.Response:
    body = await _body(request)
    meeting = await hub_of(request).meetings.cancel(actor_of(request), path_id(request, "meeting_id"),
                                                    json_text(body, "reason"))
    return json_response({"meeting": meeting_json(meeting)})


@api("POST", "/api/meetings/{meeting_id}/reply", action=Action.HANDLE_DELIVERY, body=REPLY_BODY,
     response={"type": "object", "required": ["reply"], "properties": {"reply": REPLY}},
     summary="参会回执 for one's unit: signs for the current notice if not yet, then who comes (people of the unit, "
             "or without an account with a phone; each maybe instead of an invited person) or that nobody does")
async def reply_json_route(request: web.Request) -> web.Response:
    hub, actor, meeting_id = hub_of(request), actor_of(request), path_id(request, "meeting_id")
    body = await _body(request)
    coming = body.get("coming")
    if not isinstance(coming, bool):
        await hub.meetings.view(actor, meeting_id)          # one it may not see is not found, first
        raise XietongError("input.invalid", field="coming")
    reply = await hub.meetings.reply(actor, meeting_id, coming, _attendees(body.get("attendees", [])),
                                     json_text(body, "note"))
    return json_response({"reply": reply_json(reply)})


@api("POST", "/api/meetings/{meeting_id}/chase", action=Action.MANAGE_MEETINGS,
     response={"type": "object", "required": ["chased"],
               "properties": {"chased": {"type": "array", "items": {"type": "integer"},
                                         "description": "the units reminded"}}},
     summary="催报: a push and an SMS to the clerks of every invited unit without a reply to the current version")
async def chase_json(request: web.Request) -> web.Response:
    reminded = await hub_of(request).meetings.chase(actor_of(request), path_id(request, "meeting_id"))
    return json_response({"chased": [d.unit_id for d in reminded]})
