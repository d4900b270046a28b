"""The circular (通报): the office's list and generate form (/circulars), the review page of one
(/circulars/{id}: edit title and intro, figures again, publish; ?print=1 the A4 print), its table as
.xlsx, and the JSON API of each. Who may do what is the service's (the route's action is the least
grant: the super admin and the office's clerks)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.circulars import Circular, circular_xlsx, parse_period, period_of
from hub.services.stats import last_month
from webapp.context import actor_of, hub_of, json_body, json_response, path_id, refused, render
from webapp.routing import api, page
from webapp.xlsx import xlsx_download

_TIME = {"type": "string", "format": "date-time"}
_DAY = {"type": "string", "format": "date"}
CIRCULAR = {
    "type": "object",
    "required": ["id", "title", "intro", "state", "first_day", "last_day", "month", "created_at", "monthly",
                 "item_id", "published_at", "units", "named", "text", "rule"],
    "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "intro": {"type": "string"},
        "state": {"enum": ["draft", "published"]},
        "first_day": _DAY, "last_day": _DAY, "month": {"type": "boolean", "description": "a whole calendar month"},
        "created_at": _TIME, "monthly": {"type": "boolean", "description": "drafted by the monthly run"},
        "item_id": {"type": ["integer", "null"], "description": "the published document (an item)"},
        "published_at": {"anyOf": [{"type": "null"}, _TIME]},
        "units": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        "named": {"type": "array", "items": {
            "type": "object", "required": ["unit", "kind", "reasons"],
            "properties": {"unit": {"type": "string"}, "kind": {"enum": ["slow", "idle"]},
                           "reasons": {"type": "array", "items": {"type": "string"}}}}},
        "text": {"type": "string", "description": "the document's body as published (or as it would be)"},
        "rule": {"type": "object", "additionalProperties": True},
    },
}
_ONE = {"type": "object", "required": ["circular"], "properties": {"circular": CIRCULAR}}
_PERIOD_BODY = {"type": "object", "properties": {
    "month": {"type": "string", "description": "a calendar month, e.g. 2026-11 (or give first_day and last_day)"},
    "first_day": {"type": "string"}, "last_day": {"type": "string"}}}


def circular_json(c: Circular) -> dict[str, Any]:
    r = c.row
    return {"id": r.id, "title": r.title, "intro": r.intro, "state": r.state,
            "first_day": c.period.first.isoformat(), "last_day": c.period.last.isoformat(), "month": c.period.month,
            "created_at": r.created_at.isoformat(), "monthly": r.created_by is None, "item_id": r.item_id,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "units": c.frozen["units"], "rule": c.frozen["rule"],
            "named": [{"unit": n.name, "kind": n.kind, "reasons": list(n.reasons)} for n in c.named],
            "text": c.text}


def _period(values: dict[str, Any]) -> Any:
    return parse_period(str(values.get("month") or ""), str(values.get("first_day") or ""),
                        str(values.get("last_day") or ""))


async def _list_page(request: web.Request, error: str | None = None, status: int = 200,
                     form: dict[str, str] | None = None) -> web.Response:
    hub = hub_of(request)
    try:
        circulars = await hub.circulars.list(actor_of(request))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return render(request, "circulars.html", status=err.status, circulars=[], error=refused(request, err),
                      closed=True, form={})
    return render(request, "circulars.html", status=status, circulars=circulars, error=error, closed=False,
                  form=form or {})


@page("GET", "/circulars", action=Action.MANAGE_CIRCULAR)
async def list_page(request: web.Request) -> web.Response:
    return await _list_page(request)


@page("POST", "/circulars", action=Action.MANAGE_CIRCULAR)
async def generate(request: web.Request) -> web.StreamResponse:
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        made = await hub_of(request).circulars.generate(actor_of(request), _period(form))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await _list_page(request, refused(request, err), err.status, form)
    raise web.HTTPSeeOther(f"/circulars/{made.row.id}")


async def _review_page(request: web.Request, circular: Circular | None = None, error: str | None = None,
                       status: int = 200) -> web.Response:
    hub = hub_of(request)
    c = circular or await hub.circulars.get(actor_of(request), path_id(request, "circular_id"))
    return render(request, "circular.html", status=status, c=c, error=error, notice=request.query.get("done"),
                  printing=request.query.get("print") == "1")


@page("GET", "/circulars/{circular_id}", action=Action.MANAGE_CIRCULAR)
async def review(request: web.Request) -> web.Response:
    return await _review_page(request)


@page("POST", "/circulars/{circular_id}", action=Action.MANAGE_CIRCULAR)
async def act(request: web.Request) -> web.StreamResponse:
    """op = save (title, intro) | regenerate | publish."""
    hub, actor = hub_of(request), actor_of(request)
    circular_id = path_id(request, "circular_id")
    form = await request.post()
    op = str(form.get("op", ""))
    try:
        if op == "save":
            await hub.circulars.edit(actor, circular_id, str(form.get("title", "")), str(form.get("intro", "")))
        elif op == "regenerate":
            await hub.circulars.regenerate(actor, circular_id)
        elif op == "publish":
            await hub.circulars.publish(actor, circular_id)
        else:
            raise XietongError("input.invalid", field="op")
    except XietongError as err:
        if err.code in ("perm.denied", "circular.not_found"):
            raise
        return await _review_page(request, None, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/circulars/{circular_id}?done={op}")


@page("GET", "/circulars/{circular_id}/table.xlsx", action=Action.MANAGE_CIRCULAR)
async def table_xlsx(request: web.Request) -> web.Response:
    c = await hub_of(request).circulars.get(actor_of(request), path_id(request, "circular_id"))
    return xlsx_download(f"{c.row.title}.xlsx", circular_xlsx(c.row.title, c.frozen))


# -- JSON API ---------------------------------------------------------------------------------

@api("GET", "/api/circulars", action=Action.MANAGE_CIRCULAR,
     summary="The office's circulars (通报), the latest period first; the previous month's draft is made "
             "first if it is not there yet (once per month)",
     response={"type": "object", "required": ["circulars"],
               "properties": {"circulars": {"type": "array", "items": CIRCULAR}}})
async def list_json(request: web.Request) -> web.Response:
    circulars = await hub_of(request).circulars.list(actor_of(request))
    return json_response({"circulars": [circular_json(c) for c in circulars]})


@api("POST", "/api/circulars", action=Action.MANAGE_CIRCULAR,
     summary="Generate a circular's draft for a period (a month, or Beijing days first_day..last_day both "
             "included; default the previous month): the per-unit figures frozen, the units the rule names",
     body=_PERIOD_BODY, response=_ONE)
async def generate_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    hub = hub_of(request)
    if not any(body.get(k) for k in ("month", "first_day", "last_day")):
        period = period_of(*last_month(hub.clock.now()))
    else:
        period = _period(body)
    made = await hub.circulars.generate(actor_of(request), period)
    return json_response({"circular": circular_json(made)})


@api("GET", "/api/circulars/{circular_id}", action=Action.MANAGE_CIRCULAR,
     summary="One circular: its figures, the units named and why, and the document's text", response=_ONE)
async def one_json(request: web.Request) -> web.Response:
    c = await hub_of(request).circulars.get(actor_of(request), path_id(request, "circular_id"))
    return json_response({"circular": circular_json(c)})


@api("POST", "/api/circulars/{circular_id}", action=Action.MANAGE_CIRCULAR,
     summary="Review a draft: its title and the office's introduction",
     body={"type": "object", "required": ["title"],
           "properties": {"title": {"type": "string"}, "intro": {"type": "string"}}}, response=_ONE)
async def edit_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    title, intro = body.get("title", ""), body.get("intro", "")
    c = await hub_of(request).circulars.edit(actor_of(request), path_id(request, "circular_id"),
                                             title if isinstance(title, str) else "",
                                             intro if isinstance(intro, str) else "")
    return json_response({"circular": circular_json(c)})


@api("POST", "/api/circulars/{circular_id}/regenerate", action=Action.MANAGE_CIRCULAR,
     summary="A draft's figures computed again from the records as they are now", response=_ONE)
async def regenerate_json(request: web.Request) -> web.Response:
    c = await hub_of(request).circulars.regenerate(actor_of(request), path_id(request, "circular_id"))
    return json_response({"circular": circular_json(c)})


@api("POST", "/api/circulars/{circular_id}/publish", action=Action.MANAGE_CIRCULAR,
     summary="Publish: one transaction issues the circular as an ordinary document (文种 通报) to every unit "
             "with clerks but the office, the table attached as .xlsx; once only (by an office clerk)",
     response=_ONE)
async def publish_json(request: web.Request) -> web.Response:
    c, _item = await hub_of(request).circulars.publish(actor_of(request), path_id(request, "circular_id"))
    return json_response({"circular": circular_json(c)})
