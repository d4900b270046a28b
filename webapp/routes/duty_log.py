"""The duty log (值班日志) and the shift handover (交班 → 接班): pages, .xlsx export, JSON API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.duty_log import EntryKind, Handover, Shift
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.duty_log import DutyLog, EntryView, HandoverView
from webapp.context import (
    actor_of,
    hub_of,
    int_arg,
    json_body,
    json_response,
    lang_of,
    refused,
    render,
)
from webapp.i18n import translate
from webapp.routing import api, page
from webapp.xlsx import xlsx_response


def _opt_id(value: object, field: str) -> int | None:
    """An optional id from a form/query field ("" or missing: none) or a JSON body (null: none)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (not isinstance(value, int | str)):
        raise XietongError("input.invalid", field=field)
    return int_arg(value, field)


async def log_page(request: web.Request, error: str | None = None, status: int = 200,
                   form: dict[str, str] | None = None) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    shift_id = _opt_id(request.query.get("shift"), "shift")
    log = await hub.duty_log.log(actor, shift_id)
    prefill = dict(form or {})
    delivery_id = _opt_id(prefill.get("delivery_id") or request.query.get("delivery"), "delivery")
    about = await hub.duty.entry_about(actor, delivery_id) if delivery_id else None
    if about is None:
        delivery_id = None
    return render(request, "duty_log.html", status=status, log=log, error=error, about=about,
                  delivery_id=delivery_id, notice=request.query.get("done"), form=prefill,
                  corrects=_opt_id(prefill.get("corrects_id") or request.query.get("corrects"), "corrects"),
                  kind=prefill.get("kind") or ("call" if delivery_id else "note"))


@page("GET", "/duty/log", action=Action.DUTY_DESK)
async def log_view(request: web.Request) -> web.Response:
    return await log_page(request)


@page("POST", "/duty/log", action=Action.DUTY_DESK)
async def log_add(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        await hub.duty_log.add_entry(actor, form.get("kind", ""), form.get("text", ""),
                                     _opt_id(form.get("delivery_id"), "delivery_id"),
                                     corrects_id=_opt_id(form.get("corrects_id"), "corrects_id"))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await log_page(request, refused(request, err), err.status, form)
    raise web.HTTPSeeOther("/duty/log?done=entry")


@page("POST", "/duty/shift", action=Action.DUTY_DESK)
async def shift_act(request: web.Request) -> web.StreamResponse:
    """Take the shift (nobody on it), hand it over (交班), confirm a handover (接班), or take one back."""
    hub, actor = hub_of(request), actor_of(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    op = form.get("op", "")
    try:
        if op == "take":
            await hub.duty_log.take_shift(actor)
        elif op == "handover":
            await hub.duty_log.hand_over(actor, int_arg(form.get("to_user_id", ""), "to_user_id"),
                                         form.get("note", ""))
        elif op == "confirm":
            await hub.duty_log.confirm_handover(actor, _opt_id(form.get("handover_id"), "handover_id"))
        elif op == "cancel":
            await hub.duty_log.cancel_handover(actor)
        else:
            raise XietongError("input.invalid", field="op")
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await log_page(request, refused(request, err), err.status, form)
    raise web.HTTPSeeOther(f"/duty/log?done={op}")


EXPORT_COLUMNS = ("dutylog.col_no", "dutylog.col_at", "dutylog.col_kind", "dutylog.col_unit", "dutylog.col_item",
                  "dutylog.col_text", "dutylog.col_author", "dutylog.col_corrects")


def export_rows(log: DutyLog, lang: str) -> list[list[Any]]:
    return [[e.entry.id, e.entry.at, translate(lang, f"dutylog.kind_{e.entry.kind.value}"),
             e.unit.name if e.unit else "", e.item.title if e.item else "", e.entry.text,
             e.author.name if e.author else "", f"#{e.entry.corrects_id}" if e.entry.corrects_id else ""]
            for e in log.entries]


@page("GET", "/duty/log.xlsx", action=Action.DUTY_DESK)
async def log_export(request: web.Request) -> web.Response:
    hub, lang = hub_of(request), lang_of(request)
    log = await hub.duty_log.log(actor_of(request), _opt_id(request.query.get("shift"), "shift"))
    title = translate(lang, "dutylog.title")
    if log.shift and log.officer:
        title += " · " + translate(lang, "dutylog.shift_of", officer=log.officer.name,
                                   since=log.shift.started_at.strftime("%Y-%m-%d"))
    stamp = log.shift.started_at.strftime("%Y%m%d") if log.shift else "none"
    return xlsx_response(f"{translate(lang, 'dutylog.title')}-{stamp}.xlsx", translate(lang, "dutylog.title"),
                         [translate(lang, k) for k in EXPORT_COLUMNS], export_rows(log, lang), title,
                         (6, 17, 8, 18, 30, 50, 10, 8))


# -- JSON API -------------------------------------------------------------------------------

_TIME = {"type": "string", "description": "ISO 8601, UTC"}
_OPT_TIME = {"type": ["string", "null"]}
_OPT_ID = {"type": ["integer", "null"]}
SHIFT = {"type": "object", "required": ["id", "officer_id", "officer", "started_at", "ended_at", "handover_id"],
         "properties": {"id": {"type": "integer"}, "officer_id": {"type": "integer"}, "officer": {"type": "string"},
                        "started_at": _TIME, "ended_at": _OPT_TIME, "handover_id": _OPT_ID}}
HANDOVER = {"type": "object", "required": ["id", "shift_id", "from_id", "to_id", "note", "created_at",
                                           "confirmed_at", "cancelled_at"],
            "properties": {"id": {"type": "integer"}, "shift_id": {"type": "integer"},
                           "from_id": {"type": "integer"}, "to_id": {"type": "integer"},
                           "from": {"type": "string"}, "to": {"type": "string"}, "note": {"type": "string"},
                           "created_at": _TIME, "confirmed_at": _OPT_TIME, "cancelled_at": _OPT_TIME}}
ENTRY = {"type": "object", "required": ["id", "at", "author_id", "shift_id", "kind", "text", "item_id",
                                        "delivery_id", "unit_id", "corrects_id"],
         "properties": {"id": {"type": "integer"}, "at": _TIME, "author_id": {"type": "integer"},
                        "author": {"type": "string"}, "shift_id": _OPT_ID, "kind": {"enum": [k.value for k in EntryKind]},
                        "text": {"type": "string"}, "item_id": _OPT_ID, "item": {"type": "string"},
                        "delivery_id": _OPT_ID, "unit_id": _OPT_ID, "unit": {"type": "string"},
                        "corrects_id": _OPT_ID}}


def shift_json(s: Shift, officer: str = "") -> dict[str, Any]:
    return {"id": s.id, "officer_id": s.officer_id, "officer": officer, "started_at": s.started_at.isoformat(),
            "ended_at": s.ended_at.isoformat() if s.ended_at else None, "handover_id": s.handover_id}


def handover_json(h: Handover, view: HandoverView | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": h.id, "shift_id": h.shift_id, "from_id": h.from_id, "to_id": h.to_id, "note": h.note,
        "created_at": h.created_at.isoformat(), "confirmed_at": h.confirmed_at.isoformat() if h.confirmed_at else None,
        "cancelled_at": h.cancelled_at.isoformat() if h.cancelled_at else None}
    if view:
        out["from"] = view.from_officer.name if view.from_officer else ""
        out["to"] = view.to_officer.name if view.to_officer else ""
    return out


def entry_json(v: EntryView) -> dict[str, Any]:
    e = v.entry
    return {"id": e.id, "at": e.at.isoformat(), "author_id": e.author_id, "author": v.author.name if v.author else "",
            "shift_id": e.shift_id, "kind": e.kind.value, "text": e.text, "item_id": e.item_id,
            "item": v.item.title if v.item else "", "delivery_id": e.delivery_id, "unit_id": e.unit_id,
            "unit": v.unit.name if v.unit else "", "corrects_id": e.corrects_id}


@api("GET", "/api/duty/log", action=Action.DUTY_DESK,
     summary="The duty log: the shift in force (or ?shift=ID), its entries and handovers, the open handover",
     params=({"name": "shift", "in": "query", "required": False, "schema": {"type": "integer"}},),
     response={"type": "object", "required": ["shift", "in_force", "entries", "open_handover", "handovers",
                                               "officers"],
               "properties": {"shift": {"anyOf": [SHIFT, {"type": "null"}]},
                              "in_force": {"anyOf": [SHIFT, {"type": "null"}]},
                              "entries": {"type": "array", "items": ENTRY},
                              "open_handover": {"anyOf": [HANDOVER, {"type": "null"}]},
                              "handovers": {"type": "array", "items": HANDOVER},
                              "officers": {"type": "array", "items": {
                                  "type": "object", "required": ["id", "name"],
                                  "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}}})
async def log_json(request: web.Request) -> web.Response:
    log = await hub_of(request).duty_log.log(actor_of(request), _opt_id(request.query.get("shift"), "shift"))
    names = {u.id: u.name for u in log.officers}
    return json_response({
        "shift": shift_json(log.shift, log.officer.name if log.officer else "") if log.shift else None,
        "in_force": shift_json(log.in_force, names.get(log.in_force.officer_id, "")) if log.in_force else None,
        "entries": [entry_json(e) for e in log.entries],
        "open_handover": handover_json(log.open_handover.handover, log.open_handover) if log.open_handover else None,
        "handovers": [handover_json(h.handover, h) for h in log.handovers],
        "officers": [{"id": u.id, "name": u.name} for u in log.officers]})


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_body(request) if request.can_read_body else {}


@api("POST", "/api/duty/log/entries", action=Action.DUTY_DESK,
     summary="Note a call made or another event on the duty log, at the server's time (kept; correct a typo "
             "with a new entry naming corrects_id)",
     body={"type": "object", "required": ["text"],
           "properties": {"kind": {"enum": [k.value for k in EntryKind]}, "text": {"type": "string"},
                          "delivery_id": _OPT_ID, "unit_id": _OPT_ID, "corrects_id": _OPT_ID}},
     response={"type": "object", "required": ["entry"], "properties": {"entry": ENTRY}})
async def entry_add(request: web.Request) -> web.Response:
    hub, actor, body = hub_of(request), actor_of(request), await _body(request)
    if not isinstance(body.get("text", ""), str) or not isinstance(body.get("kind", ""), str):
        raise XietongError("input.invalid", field="text/kind")
    entry = await hub.duty_log.add_entry(actor, str(body.get("kind") or "note"), str(body.get("text", "")),
                                         _opt_id(body.get("delivery_id"), "delivery_id"),
                                         _opt_id(body.get("unit_id"), "unit_id"),
                                         _opt_id(body.get("corrects_id"), "corrects_id"))
    log = await hub.duty_log.log(actor, entry.shift_id) if entry.shift_id else await hub.duty_log.log(actor)
    view = next(v for v in log.entries if v.entry.id == entry.id)
    return json_response({"entry": entry_json(view)})


@api("POST", "/api/duty/shift/take", action=Action.DUTY_DESK,
     summary="Take the shift while nobody is on it (otherwise a shift begins by confirming a handover)",
     response={"type": "object", "required": ["shift"], "properties": {"shift": SHIFT}})
async def shift_take(request: web.Request) -> web.Response:
    actor = actor_of(request)
    shift = await hub_of(request).duty_log.take_shift(actor)
    return json_response({"shift": shift_json(shift, actor.name)})


@api("POST", "/api/duty/handovers", action=Action.DUTY_DESK,
     summary="Hand the shift over (交班) to another duty officer with a note; they confirm it to take over",
     body={"type": "object", "required": ["to_user_id", "note"],
           "properties": {"to_user_id": {"type": "integer"}, "note": {"type": "string"}}},
     response={"type": "object", "required": ["handover"], "properties": {"handover": HANDOVER}})
async def handover_add(request: web.Request) -> web.Response:
    body = await _body(request)
    if not isinstance(body.get("to_user_id"), int) or isinstance(body.get("to_user_id"), bool):
        raise XietongError("input.invalid", field="to_user_id")
    if not isinstance(body.get("note", ""), str):
        raise XietongError("input.invalid", field="note")
    h = await hub_of(request).duty_log.hand_over(actor_of(request), int(body["to_user_id"]), str(body.get("note", "")))
    return json_response({"handover": handover_json(h)})


@api("POST", "/api/duty/handovers/confirm", action=Action.DUTY_DESK,
     summary="Confirm the handover addressed to you (接班): you are on shift from now",
     body={"type": "object", "properties": {"handover_id": _OPT_ID}},
     response={"type": "object", "required": ["shift"], "properties": {"shift": SHIFT}})
async def handover_confirm(request: web.Request) -> web.Response:
    actor, body = actor_of(request), await _body(request)
    shift = await hub_of(request).duty_log.confirm_handover(actor, _opt_id(body.get("handover_id"), "handover_id"))
    return json_response({"shift": shift_json(shift, actor.name)})


@api("POST", "/api/duty/handovers/cancel", action=Action.DUTY_DESK,
     summary="Take back the handover you made while it is not yet confirmed",
     response={"type": "object", "required": ["handover"], "properties": {"handover": HANDOVER}})
async def handover_cancel(request: web.Request) -> web.Response:
    h = await hub_of(request).duty_log.cancel_handover(actor_of(request))
    return json_response({"handover": handover_json(h)})
