"""信息报送 in the web app: my unit's sent reports (printable, .xlsx) and the 报送 form with its
receipt; a report's page (files, the 批复 link, adoption; the office's 采用 and 批复 forms); the
office's inbox (filters, overdue 请示 flagged) and the per-unit figures of a period (print, .xlsx).
The JSON API is in api_reports.py. Who may do what is the service's (a route's action is the least
grant); another unit's report is 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.items import Attachment
from hub.domain.permissions import Action
from hub.domain.reports import Kind, Report
from hub.errors import XietongError
from hub.services.report_figures import FigureRow
from webapp.context import actor_of, hub_of, lang_of, path_id, refused, render, upload_name
from webapp.i18n import translate
from webapp.routing import page
from webapp.xlsx import xlsx_response

DONE = ("sent", "adopt", "answer")
STATE_FILTERS = ("awaiting", "answered", "received", "adopted", "overdue")


def state_text(lang: str, r: Report, overdue: bool) -> str:
    if overdue:
        return translate(lang, "reports.state.overdue")
    text = translate(lang, f"reports.state.{r.state.value}")
    if r.adopted_at is not None:
        text += " · " + translate(lang, "reports.adopted_in", where=r.adopted_in or "—")
    return text


def kind_text(lang: str, kind: Kind) -> str:
    return translate(lang, f"reports.kind.{kind.value}")


# -- my unit's reports --------------------------------------------------------------------------

@page("GET", "/reports", action=Action.SEND_REPORT)
async def reports_page(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    rows = await hub.reports.sent(actor)
    return render(request, "reports.html", rows=rows, now=hub.clock.now(), overdue=hub.reports.overdue,
                  printing=request.query.get("print") == "1", unit_name=actor.unit_name)


LIST_COLUMNS = ("receipt", "kind", "title", "sent_at", "to", "state")
LIST_WIDTHS = (18, 10, 36, 16, 24, 30)


async def _unit_names(request: web.Request) -> dict[int, str]:
    return {u.id: u.name for u in await hub_of(request).identity.units()}


def list_cells(lang: str, r: Report, units: dict[int, str], overdue: bool, other: int) -> list[Any]:
    return [r.receipt_no, kind_text(lang, r.kind), r.title, r.sent_at, units.get(other, ""),
            state_text(lang, r, overdue)]


@page("GET", "/reports.xlsx", action=Action.SEND_REPORT)
async def reports_export(request: web.Request) -> web.Response:
    hub, actor, lang = hub_of(request), actor_of(request), lang_of(request)
    rows, units = await hub.reports.sent(actor), await _unit_names(request)
    title = translate(lang, "reports.list_title_of", unit=actor.unit_name)
    return xlsx_response(f"{translate(lang, 'reports.list_title')}-{hub.clock.now().astimezone(CST):%Y%m%d}.xlsx",
                         translate(lang, "reports.list_title"),
                         [translate(lang, f"reports.col.{c}") for c in LIST_COLUMNS],
                         [list_cells(lang, r, units, hub.reports.overdue(r), r.to_unit_id) for r in rows],
                         title, LIST_WIDTHS)


# -- sending ------------------------------------------------------------------------------------

async def new_page(request: web.Request, form: dict[str, str] | None = None, error: str | None = None,
                   status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    targets = await hub.reports.targets(actor)
    return render(request, "report_new.html", status=status, targets=targets, kinds=list(Kind), error=error,
                  form={"kind": "work_news", "title": "", "body": "", "to": ""} | (form or {}),
                  limit_mb=round(hub.config.reports.attachment_limit_kib / 1024, 1))


@page("GET", "/reports/new", action=Action.SEND_REPORT)
async def new_report(request: web.Request) -> web.Response:
    return await new_page(request)


@page("POST", "/reports", action=Action.SEND_REPORT)
async def send_report(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in ("kind", "title", "body", "to")}
    files = [Attachment(upload_name(f.filename), f.file.read(), f.content_type or "application/octet-stream")
             for f in form.getall("files", []) if isinstance(f, web.FileField) and f.filename]
    try:
        to = values["to"].strip()
        if to and not to.isdigit():
            raise XietongError("input.invalid", field="to")
        report = await hub.reports.send(actor, values["kind"], values["title"], values["body"],
                                        int(to) if to else None, files)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await new_page(request, values, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/reports/{report.id}?done=sent")


# -- a report's page and the office's forms ---------------------------------------------------------

async def report_page(request: web.Request, report_id: int, error: str | None = None, status: int = 200,
                      form: dict[str, str] | None = None) -> web.Response:
    hub = hub_of(request)
    view = await hub.reports.view(actor_of(request), report_id)
    done = request.query.get("done", "")
    return render(request, "report.html", status=status, view=view, error=error, done=done if done in DONE else "",
                  form=form or {})


@page("GET", "/reports/{report_id}", action=Action.SEND_REPORT)
async def show_report(request: web.Request) -> web.Response:
    return await report_page(request, path_id(request, "report_id"))


async def _act(request: web.Request, done: str, act: Any) -> web.StreamResponse:
    report_id = path_id(request, "report_id")
    values = {k: str(v) for k, v in (await request.post()).items()}
    try:
        await act(hub_of(request), actor_of(request), report_id, values)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await report_page(request, report_id, refused(request, err), err.status, values)
    raise web.HTTPSeeOther(f"/reports/{report_id}?done={done}")


@page("POST", "/reports/{report_id}/adopt", action=Action.RECEIVE_REPORTS)
async def adopt_report(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, report_id: int, values: dict[str, str]) -> None:
        await hub.reports.adopt(actor, report_id, values.get("note", ""))
    return await _act(request, "adopt", act)


@page("POST", "/reports/{report_id}/answer", action=Action.RECEIVE_REPORTS)
async def answer_report(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, report_id: int, values: dict[str, str]) -> None:
        await hub.reports.answer(actor, report_id, values.get("text", ""))
    return await _act(request, "answer", act)


@page("GET", "/report-files/{report_file_id}", action=Action.SEND_REPORT)
async def report_file(request: web.Request) -> web.Response:
    info, content = await hub_of(request).reports.file(actor_of(request), path_id(request, "report_file_id"))
    return web.Response(body=content, content_type=info.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(info.name)}",
        "X-Content-Type-Options": "nosniff"})


# -- the office: received reports and the figures ----------------------------------------------------

def _filters(request: web.Request) -> tuple[str, str]:
    kind, state = request.query.get("kind", ""), request.query.get("state", "")
    return kind if kind in {k.value for k in Kind} else "", state if state in STATE_FILTERS else ""


@page("GET", "/reports/received", action=Action.RECEIVE_REPORTS)
async def received_page(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    kind, state = _filters(request)
    rows = await hub.reports.received(actor, kind, state)
    return render(request, "reports_received.html", rows=rows, now=hub.clock.now(), overdue=hub.reports.overdue,
                  units=await _unit_names(request), kinds=list(Kind), states=STATE_FILTERS, kind=kind, state=state,
                  printing=request.query.get("print") == "1", unit_name=actor.unit_name,
                  query=request.query_string)


@page("GET", "/reports/received.xlsx", action=Action.RECEIVE_REPORTS)
async def received_export(request: web.Request) -> web.Response:
    hub, actor, lang = hub_of(request), actor_of(request), lang_of(request)
    kind, state = _filters(request)
    rows, units = await hub.reports.received(actor, kind, state), await _unit_names(request)
    columns = [translate(lang, f"reports.col.{c}") for c in LIST_COLUMNS]
    columns[4] = translate(lang, "reports.col.from")
    return xlsx_response(f"{translate(lang, 'reports.received_title')}-{hub.clock.now().astimezone(CST):%Y%m%d}.xlsx",
                         translate(lang, "reports.received_title"), columns,
                         [list_cells(lang, r, units, hub.reports.overdue(r), r.unit_id) for r in rows],
                         translate(lang, "reports.received_title_of", unit=actor.unit_name), LIST_WIDTHS)


FIGURE_COLUMNS = ("unit", "sent", "adopted", "on_time", "late", "overdue", "score")


def figure_cells(r: FigureRow) -> list[Any]:
    f = r.figures
    return [r.unit, f.sent, f.adopted, f.on_time, f.late, f.overdue, r.score]


@page("GET", "/reports/figures", action=Action.RECEIVE_REPORTS)
async def figures_page(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    first, last = request.query.get("from", ""), request.query.get("to", "")
    try:
        period, rows = await hub.reports.figures(actor, first, last)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return render(request, "report_figures.html", status=err.status, error=refused(request, err), rows=[],
                      period=None, first=first, last=last, weights=hub.config.reports, printing=False,
                      unit_name=actor.unit_name, columns=FIGURE_COLUMNS, query="")
    return render(request, "report_figures.html", rows=rows, period=period, first=period.first.isoformat(),
                  last=period.last.isoformat(), weights=hub.config.reports, error=None,
                  printing=request.query.get("print") == "1", unit_name=actor.unit_name, columns=FIGURE_COLUMNS,
                  query=f"from={period.first.isoformat()}&to={period.last.isoformat()}")


@page("GET", "/reports/figures.xlsx", action=Action.RECEIVE_REPORTS)
async def figures_export(request: web.Request) -> web.Response:
    hub, actor, lang = hub_of(request), actor_of(request), lang_of(request)
    period, rows = await hub.reports.figures(actor, request.query.get("from", ""), request.query.get("to", ""))
    title = translate(lang, "reports.figures_title_of", unit=actor.unit_name, first=period.first.isoformat(),
                      last=period.last.isoformat())
    return xlsx_response(f"{translate(lang, 'reports.figures_title')}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx",
                         translate(lang, "reports.figures_title"),
                         [translate(lang, f"reports.fig.{c}") for c in FIGURE_COLUMNS],
                         [figure_cells(r) for r in rows], title, (24, 10, 10, 12, 10, 12, 10))
