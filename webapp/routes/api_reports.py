"""The JSON API of reports upward (信息报送): send (with files, base64), my unit's sent reports, the
office's received ones (filters), one report, adopt (采用), answer a 请示 (批复), the per-unit figures."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.permissions import Action
from hub.domain.reports import Kind, Report, State
from hub.errors import XietongError
from hub.services.reports import ReportView
from webapp.context import (
    actor_of,
    hub_of,
    json_body,
    json_files,
    json_response,
    json_text,
    path_id,
)
from webapp.routes.reports import STATE_FILTERS
from webapp.routing import api

_TIME = {"type": "string", "description": "ISO 8601 with a UTC offset"}
_OPT_TIME = {"type": ["string", "null"]}
_KIND = {"type": "string", "enum": [k.value for k in Kind],
         "description": "work_news 工作动态 | briefing 简报 | request 请示 | report 报告 | account 汇报 | thematic 专题文件"}

REPORT = {"type": "object",
          "required": ["id", "unit_id", "to_unit_id", "kind", "title", "body", "sender_id", "sent_at", "receipt_no",
                       "state", "answer_due_at", "answered_at", "answer_item_id", "adopted_at", "adopted_in", "overdue"],
          "properties": {"id": {"type": "integer"}, "unit_id": {"type": "integer", "description": "the sending unit"},
                         "to_unit_id": {"type": "integer", "description": "the office it went up to"},
                         "kind": _KIND, "title": {"type": "string"}, "body": {"type": "string"},
                         "sender_id": {"type": "integer"}, "sent_at": _TIME,
                         "receipt_no": {"type": "string", "description": "回执编号 BS<yyyymmdd>-<seq>"},
                         "state": {"type": "string", "enum": [s.value for s in State]},
                         "answer_due_at": {**_OPT_TIME, "description": "a 请示: by when the 批复 is due"},
                         "answered_at": _OPT_TIME,
                         "answer_item_id": {"type": ["integer", "null"], "description": "the 批复 (an item)"},
                         "adopted_at": _OPT_TIME, "adopted_in": {"type": "string", "description": "采用于"},
                         "overdue": {"type": "boolean", "description": "a 请示 unanswered past its due time"}}}
FILE = {"type": "object", "required": ["id", "name", "content_type", "size", "sha256", "href"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "content_type": {"type": "string"},
                       "size": {"type": "integer"}, "sha256": {"type": "string"}, "href": {"type": "string"}}}
VIEW = {"type": "object", "required": ["report", "unit", "to_unit", "sender", "files", "may_adopt", "may_answer"],
        "properties": {"report": REPORT, "unit": {"type": "string"}, "to_unit": {"type": "string"},
                       "sender": {"type": "string"}, "files": {"type": "array", "items": FILE},
                       "may_adopt": {"type": "boolean"}, "may_answer": {"type": "boolean"}}}
_ONE = {"type": "object", "required": ["report"], "properties": {"report": REPORT}}
_LIST = {"type": "object", "required": ["reports"], "properties": {"reports": {"type": "array", "items": REPORT}}}
SEND_BODY = {"type": "object", "required": ["kind", "title"],
             "properties": {"kind": _KIND, "title": {"type": "string"}, "body": {"type": "string"},
                            "to_unit_id": {"type": "integer", "description": "an upper unit; default: the nearest "
                                                                             "office above one's unit"},
                            "files": {"type": "array", "items": {
                                "type": "object", "required": ["name", "content_base64"],
                                "properties": {"name": {"type": "string"}, "content_base64": {"type": "string"},
                                               "content_type": {"type": "string"}}}}}}
FIGURE = {"type": "object", "required": ["unit_id", "unit", "sent", "adopted", "on_time", "late", "overdue", "score"],
          "properties": {"unit_id": {"type": "integer"}, "unit": {"type": "string"}, "sent": {"type": "integer"},
                         "adopted": {"type": "integer"}, "on_time": {"type": "integer"}, "late": {"type": "integer"},
                         "overdue": {"type": "integer"}, "score": {"type": "number"}}}


def report_json(r: Report, overdue: bool) -> dict[str, Any]:
    def t(v: Any) -> str | None:
        return v.isoformat() if v else None
    return {"id": r.id, "unit_id": r.unit_id, "to_unit_id": r.to_unit_id, "kind": r.kind.value, "title": r.title,
            "body": r.body, "sender_id": r.sender_id, "sent_at": r.sent_at.isoformat(), "receipt_no": r.receipt_no,
            "state": r.state.value, "answer_due_at": t(r.answer_due_at), "answered_at": t(r.answered_at),
            "answer_item_id": r.answer_item_id, "adopted_at": t(r.adopted_at), "adopted_in": r.adopted_in,
            "overdue": overdue}


def view_json(v: ReportView) -> dict[str, Any]:
    return {"report": report_json(v.report, v.overdue), "unit": v.unit, "to_unit": v.to_unit, "sender": v.sender,
            "files": [{"id": f.id, "name": f.name, "content_type": f.content_type, "size": f.size,
                       "sha256": f.sha256, "href": f"/report-files/{f.id}"} for f in v.files],
            "may_adopt": v.may_adopt, "may_answer": v.may_answer}



@api("POST", "/api/reports", action=Action.SEND_REPORT, body=SEND_BODY, response=_ONE,
     summary="报送: send a report up; its receipt number (回执编号) is given in the same transaction; a 请示 opens "
             "the office's 批复 step with its deadline")
async def send_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    to = body.get("to_unit_id")
    if to is not None and (type(to) is not int or to < 1):
        raise XietongError("input.invalid", field="to_unit_id")
    hub = hub_of(request)
    report = await hub.reports.send(actor_of(request), json_text(body, "kind"), json_text(body, "title"),
                                    json_text(body, "body"), to, [f for _, f in json_files(body.get("files"), "files")])
    return json_response({"report": report_json(report, False)})


@api("GET", "/api/reports", action=Action.SEND_REPORT, response=_LIST,
     summary="My unit's reports sent up, newest first (receipt number, state, adopted, answered)")
async def sent_json(request: web.Request) -> web.Response:
    hub = hub_of(request)
    rows = await hub.reports.sent(actor_of(request))
    return json_response({"reports": [report_json(r, hub.reports.overdue(r)) for r in rows]})


@api("GET", "/api/reports/received", action=Action.RECEIVE_REPORTS, response=_LIST,
     params=({"name": "kind", "in": "query", "required": False, "schema": {"enum": [k.value for k in Kind]}},
             {"name": "state", "in": "query", "required": False, "schema": {"enum": list(STATE_FILTERS)}}),
     summary="The office's received reports, newest first; filter by kind and state (overdue: 请示 past due)")
async def received_json(request: web.Request) -> web.Response:
    hub = hub_of(request)
    rows = await hub.reports.received(actor_of(request), request.query.get("kind", ""),
                                      request.query.get("state", ""))
    return json_response({"reports": [report_json(r, hub.reports.overdue(r)) for r in rows]})


@api("GET", "/api/reports/figures", action=Action.RECEIVE_REPORTS,
     params=({"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
             {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}),
     response={"type": "object", "required": ["from", "to", "units"],
               "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                              "units": {"type": "array", "items": FIGURE}}},
     summary="Per unit for Beijing days from..to (default: this month so far): sent, adopted, 请示 answered on "
             "time / late / open past due, and the score from [reports] weight_*, best first")
async def figures_json(request: web.Request) -> web.Response:
    period, rows = await hub_of(request).reports.figures(actor_of(request), request.query.get("from", ""),
                                                         request.query.get("to", ""))
    return json_response({"from": period.first.isoformat(), "to": period.last.isoformat(),
                          "units": [r.as_json() for r in rows]})


@api("GET", "/api/reports/{report_id}", action=Action.SEND_REPORT, response=VIEW,
     summary="A report, to its sending unit and the receiving office (others: 404), with its files")
async def one_json(request: web.Request) -> web.Response:
    return json_response(view_json(await hub_of(request).reports.view(actor_of(request),
                                                                      path_id(request, "report_id"))))


@api("POST", "/api/reports/{report_id}/adopt", action=Action.RECEIVE_REPORTS, response=_ONE,
     body={"type": "object", "properties": {"note": {"type": "string", "description": "采用于, e.g. 《政务信息》第12期"}}},
     summary="采用: the receiving office adopts a report once, saying where")
async def adopt_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    hub = hub_of(request)
    report = await hub.reports.adopt(actor_of(request), path_id(request, "report_id"), json_text(body, "note"))
    return json_response({"report": report_json(report, hub.reports.overdue(report))})


@api("POST", "/api/reports/{report_id}/answer", action=Action.RECEIVE_REPORTS,
     body={"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
     response={"type": "object", "required": ["report", "item_id"],
               "properties": {"report": REPORT, "item_id": {"type": "integer", "description": "the 批复 item"}}},
     summary="批复: answer a 请示 with an ordinary 加急 item to the sending unit (关于《…》的批复), once")
async def answer_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    report, item = await hub_of(request).reports.answer(actor_of(request), path_id(request, "report_id"),
                                                        json_text(body, "text"))
    return json_response({"report": report_json(report, False), "item_id": item.id})
