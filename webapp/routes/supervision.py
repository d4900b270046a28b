"""催办 and 督办 on the incoming road: chase a step, supervise a record, the lead's progress report, the
supervision board (printable, .xlsx) — pages and JSON API. The record page (incoming.html) shows the
box `_supervision_panel.html`, with `supervision_panel` from `panel_context` in its context.
Who may do what is the services' (the route's action is the least grant)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.road_chase import Chase, ChaseResult
from hub.services.supervision import Board, BoardRow
from hub.store.supervision import Supervision
from webapp.context import (
    actor_of,
    hub_of,
    id_from_text,
    json_body,
    json_id,
    json_response,
    json_text,
    lang_of,
    path_id,
    refused,
    render,
    safe_next,
)
from webapp.i18n import translate
from webapp.routing import api, page
from webapp.xlsx import xlsx_response

ROAD = "incoming"


async def panel_context(request: web.Request, incoming_id: int) -> dict[str, Any]:
    """What the record page gives `_supervision_panel.html`: {"supervision_panel": Panel}."""
    return {"supervision_panel": await hub_of(request).supervision.panel(actor_of(request), ROAD, incoming_id)}


def _back(form: dict[str, str], incoming_id: int | None = None) -> str:
    back = form.get("back", "")
    if back:
        return safe_next(back)
    return f"/incoming/{incoming_id}#supervision" if incoming_id else "/supervision"


async def _form(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items()}


def _days(value: object) -> int | None:
    """The report interval from a form or JSON: blank or null is the default; else a whole number (anything
    else is -1, which the service refuses clearly once it knows the record exists)."""
    if value is None or value == "":
        return None
    n = value if type(value) is int else id_from_text(value.strip(), 0) if isinstance(value, str) else None
    return -1 if n is None else n


# -- pages ----------------------------------------------------------------------------------

@page("POST", "/road-steps/{step_id}/chase", action=Action.SUPERVISE)
async def chase_step(request: web.Request) -> web.Response:
    """The answer names each person chased and what became of their SMS (no phone: said so)."""
    hub, actor, step_id = hub_of(request), actor_of(request), path_id(request, "step_id")
    form = await _form(request)
    back = _back(form)
    try:
        result = await hub.road_chase.chase(actor, step_id, form.get("note", ""))
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return render(request, "supervision_chase.html", status=err.status, error=refused(request, err),
                      code=err.code, result=None, back=back)
    return render(request, "supervision_chase.html", result=result, back=back, error=None)


def _form_page(request: web.Request, incoming_id: int, mode: str, err: XietongError,
               form: dict[str, str]) -> web.Response:
    return render(request, "supervision_form.html", status=err.status, error=refused(request, err), code=err.code,
                  mode=mode, incoming_id=incoming_id, form=form, back=_back(form, incoming_id),
                  default_days=hub_of(request).config.incoming.supervision_days)


@page("POST", "/incoming/{incoming_id}/supervise", action=Action.SUPERVISE)
async def supervise(request: web.Request) -> web.StreamResponse:
    hub, actor, incoming_id = hub_of(request), actor_of(request), path_id(request, "incoming_id")
    form = await _form(request)
    try:
        await hub.supervision.supervise(actor, ROAD, incoming_id, _days(form.get("every_days")),
                                        form.get("note", ""))
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return _form_page(request, incoming_id, "supervise", err, form)
    raise web.HTTPSeeOther(f"/incoming/{incoming_id}?done=supervise#supervision")


@page("POST", "/incoming/{incoming_id}/progress", action=Action.VIEW_INCOMING)
async def progress(request: web.Request) -> web.StreamResponse:
    hub, actor, incoming_id = hub_of(request), actor_of(request), path_id(request, "incoming_id")
    form = await _form(request)
    step = form.get("step_id", "")
    try:
        step_id = id_from_text(step) if step else None
        if step and step_id is None:
            raise XietongError("input.invalid", field="step_id")
        await hub.supervision.report(actor, ROAD, incoming_id, form.get("text", ""), step_id)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return _form_page(request, incoming_id, "progress", err, form)
    raise web.HTTPSeeOther(f"/incoming/{incoming_id}?done=progress#supervision")


@page("GET", "/supervision", action=Action.SUPERVISE)
async def board_page(request: web.Request) -> web.Response:
    board = await hub_of(request).supervision.board(actor_of(request), ROAD)
    return render(request, "supervision.html", board=board, printing=request.query.get("print") == "1")


BOARD_COLUMNS = ("number", "title", "state", "lead", "deadline", "handling_overdue", "every", "last_report_at",
                 "last_report", "next_report", "report_overdue")




def board_cells(row: BoardRow, lang: str) -> list[Any]:
    s, r = row.supervision, row.record
    return [r.number, r.title, translate(lang, f"registers.in_state.{r.state}"), row.lead_unit, row.handling_due,
            row.handling_overdue_days, s.every_days, s.last_report_at, s.last_report, s.next_report,
            row.report_overdue_days]


@page("GET", "/supervision.xlsx", action=Action.SUPERVISE)
async def board_export(request: web.Request) -> web.Response:
    lang = lang_of(request)
    board = await hub_of(request).supervision.board(actor_of(request), ROAD)
    title = translate(lang, "supervision.board_title_of", unit=board.unit_name)
    return xlsx_response(f"{translate(lang, 'supervision.board_title')}-{board.now:%Y%m%d}.xlsx",
                         translate(lang, "supervision.board_title"),
                         [translate(lang, f"supervision.col.{c}") for c in BOARD_COLUMNS],
                         [board_cells(r, lang) for r in board.rows], title,
                         (11, 34, 9, 16, 16, 8, 7, 16, 40, 16, 8))


# -- JSON API -------------------------------------------------------------------------------

_TIME = {"type": "string", "description": "ISO 8601, UTC"}
_OPT_TIME = {"type": ["string", "null"]}
TOLD = {"type": "object", "required": ["user_id", "name", "status", "error"],
        "properties": {"user_id": {"type": ["integer", "null"]}, "name": {"type": "string"},
                       "status": {"type": "string", "description": "queued, sending, sent, delivered, undelivered, "
                                                                  "failed, skipped, or no_phone (not texted)"},
                       "error": {"type": "string"}}}
CHASE = {"type": "object", "required": ["history_id", "at", "by", "step_id", "kind", "note", "told", "trouble"],
         "properties": {"history_id": {"type": "integer"}, "at": _TIME, "by": {"type": "string"},
                        "step_id": {"type": ["integer", "null"]}, "kind": {"type": "string"},
                        "unit_id": {"type": ["integer", "null"]}, "note": {"type": "string"},
                        "told": {"type": "array", "items": TOLD},
                        "trouble": {"type": "boolean", "description": "someone was not (or could not be) reached"}}}
SUPERVISION = {"type": "object", "required": ["record_id", "every_days", "started_at", "next_report",
                                              "last_report_at", "last_report"],
               "properties": {"record_id": {"type": "integer"}, "every_days": {"type": "integer"},
                              "started_at": _TIME, "next_report": _TIME, "last_report_at": _OPT_TIME,
                              "last_report": {"type": "string"}}}
BOARD_ROW = {"type": "object", "required": ["id", "number", "title", "state", "lead_unit", "handling_due",
                                            "handling_overdue_days", "report_overdue_days", "supervision"],
             "properties": {"id": {"type": "integer"}, "number": {"type": "string"}, "title": {"type": "string"},
                            "state": {"type": "string"}, "lead_unit": {"type": "string"},
                            "handling_due": _OPT_TIME, "handling_overdue_days": {"type": "integer"},
                            "report_overdue_days": {"type": "integer"}, "supervision": SUPERVISION}}


def told_json(c: Chase) -> list[dict[str, Any]]:
    return [{"user_id": t.user_id, "name": t.name, "status": t.status, "error": t.error} for t in c.told]


def chase_json(c: Chase) -> dict[str, Any]:
    return {"history_id": c.history_id, "at": c.at.isoformat(), "by": c.by, "step_id": c.step_id, "kind": c.kind,
            "unit_id": c.unit_id, "note": c.note, "told": told_json(c), "trouble": c.trouble}


def supervision_json(s: Supervision) -> dict[str, Any]:
    return {"record_id": s.record_id, "every_days": s.every_days, "started_at": s.started_at.isoformat(),
            "next_report": s.next_report.isoformat(),
            "last_report_at": s.last_report_at.isoformat() if s.last_report_at else None,
            "last_report": s.last_report}


def board_json(board: Board) -> dict[str, Any]:
    return {"unit_id": board.unit_id, "unit": board.unit_name, "now": board.now.isoformat(), "rows": [
        {"id": r.record.id, "number": r.record.number, "title": r.record.title, "state": r.record.state,
         "lead_unit": r.lead_unit, "handling_due": r.handling_due.isoformat() if r.handling_due else None,
         "handling_overdue_days": r.handling_overdue_days, "report_overdue_days": r.report_overdue_days,
         "supervision": supervision_json(r.supervision)} for r in board.rows]}


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_body(request) if request.can_read_body else {}


@api("POST", "/api/road-steps/{step_id}/chase", action=Action.SUPERVISE, throttled=True,
     summary="催办: SMS and a push to the people who hold an open step (the record unit's office; at most "
             "incoming.chases_per_day a Beijing day); each person's outcome, no phone number included",
     body={"type": "object", "properties": {"note": {"type": "string", "maxLength": 200}}},
     response={"type": "object", "required": ["chase", "left_today"],
               "properties": {"chase": CHASE, "left_today": {"type": "integer"}}})
async def chase_step_json(request: web.Request) -> web.Response:
    body = await _body(request)
    result: ChaseResult = await hub_of(request).road_chase.chase(actor_of(request), path_id(request, "step_id"),
                                                                 json_text(body, "note"))
    return json_response({"chase": chase_json(result.chase), "left_today": result.left_today})


@api("GET", "/api/incoming/{incoming_id}/chases", action=Action.SUPERVISE,
     summary="The chases of a received document, the latest first, with the state of each SMS (failed and "
             "undelivered included) and the people who had no phone number",
     response={"type": "object", "required": ["chases"],
               "properties": {"chases": {"type": "array", "items": CHASE}}})
async def chases_json(request: web.Request) -> web.Response:
    chases = await hub_of(request).road_chase.chases(actor_of(request), ROAD, path_id(request, "incoming_id"))
    return json_response({"chases": [chase_json(c) for c in chases]})


@api("POST", "/api/incoming/{incoming_id}/supervise", action=Action.SUPERVISE,
     summary="督办: put an open received document under supervision; the lead reports progress every "
             "every_days days (default incoming.supervision_days)",
     body={"type": "object", "required": ["note"],
           "properties": {"every_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 90},
                          "note": {"type": "string"}}},
     response={"type": "object", "required": ["supervision"], "properties": {"supervision": SUPERVISION}})
async def supervise_json(request: web.Request) -> web.Response:
    body = await _body(request)
    days = body.get("every_days")
    sup = await hub_of(request).supervision.supervise(actor_of(request), ROAD, path_id(request, "incoming_id"),
                                                      None if days is None else days if type(days) is int else -1,
                                                      json_text(body, "note"))
    return json_response({"supervision": supervision_json(sup)})


@api("POST", "/api/incoming/{incoming_id}/progress", action=Action.VIEW_INCOMING,
     summary="The lead's progress report on a supervised document: the next one is due an interval later",
     body={"type": "object", "required": ["text"],
           "properties": {"text": {"type": "string"}, "step_id": {"type": ["integer", "null"]}}},
     response={"type": "object", "required": ["supervision"], "properties": {"supervision": SUPERVISION}})
async def progress_json(request: web.Request) -> web.Response:
    body = await _body(request)
    step_id = json_id(body["step_id"], "step_id") if body.get("step_id") is not None else None
    sup = await hub_of(request).supervision.report(actor_of(request), ROAD, path_id(request, "incoming_id"),
                                                   json_text(body, "text"), step_id)
    return json_response({"supervision": supervision_json(sup)})


@api("GET", "/api/supervision", action=Action.SUPERVISE,
     summary="督办台账: every supervised received document of one's unit, with its state, lead unit, last "
             "report, next report due and the days overdue",
     response={"type": "object", "required": ["unit_id", "unit", "now", "rows"],
               "properties": {"unit_id": {"type": "integer"}, "unit": {"type": "string"}, "now": _TIME,
                              "rows": {"type": "array", "items": BOARD_ROW}}})
async def board_json_route(request: web.Request) -> web.Response:
    return json_response(board_json(await hub_of(request).supervision.board(actor_of(request), ROAD)))
