"""The duty desk's board and actions, the statistics page, and the metrics endpoint."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.identity import ip_allowed, parse_ip_rules
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.duty import BoardItem, BoardUnit
from hub.services.processes import process_series
from hub.services.stats import day_span
from webapp.context import (
    actor_of,
    client_ip,
    hub_of,
    int_arg,
    json_response,
    refused,
    render,
)
from webapp.routing import api, page
from webapp.schemas import DELIVERY, ITEM, delivery_json, item_json


async def board_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub = hub_of(request)
    actor = actor_of(request)
    board = await hub.duty.board(actor)
    log = await hub.duty_log.log(actor)
    return render(request, "duty.html", status=status, board=board, error=error, log=log,
                  notice=request.query.get("done"), now=hub.clock.now())


@page("GET", "/duty", action=Action.DUTY_DESK)
async def board(request: web.Request) -> web.Response:
    return await board_page(request)


@page("POST", "/duty/deliveries/{delivery_id}", action=Action.DUTY_DESK)
async def act(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    delivery_id = int_arg(request.match_info["delivery_id"], "delivery_id")
    form = await request.post()
    op = str(form.get("op", ""))
    try:
        if op == "ack":
            await hub.duty.acknowledge_on_behalf(actor, delivery_id, str(form.get("reason", "")))
        elif op == "resend":
            await hub.duty.resend(actor, delivery_id)
        elif op == "reassign":
            await hub.duty.reassign(actor, delivery_id, int_arg(str(form.get("clerk_id", "")), "clerk_id"))
        else:
            raise XietongError("input.invalid", field="op")
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await board_page(request, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/duty?done={op}#delivery-{delivery_id}")


def phones(u: BoardUnit) -> list[dict[str, str]]:
    """The numbers to call for a unit, in the order to try them: duty phone, clerks, leaders."""
    found = [{"role": "duty_phone", "name": u.unit.name, "phone": u.unit.duty_phone}] if u.unit.duty_phone else []
    found += [{"role": "clerk", "name": p.name, "phone": p.phone} for p in u.clerks if p.phone]
    found += [{"role": "leader", "name": p.name, "phone": p.phone} for p in u.leaders if p.phone]
    return found


_PERSON_AT = {"anyOf": [{"type": "null"}, {"type": "object", "required": ["name", "at"],
                                            "properties": {"name": {"type": "string"}, "at": {"type": "string"},
                                                           "via": {"type": ["string", "null"]}}}]}
BOARD_UNIT = {
    "type": "object",
    "required": ["delivery", "unit", "escalated", "seconds_left", "read_by", "signed_by", "phones"],
    "properties": {
        "delivery": DELIVERY,
        "unit": {"type": "object", "required": ["id", "code", "name"],
                 "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}},
        "escalated": {"type": "boolean", "description": "open and past the window: it reached the duty desk"},
        "seconds_left": {"type": "number", "description": "time left in the response window; negative: overdue"},
        "read_by": _PERSON_AT, "signed_by": _PERSON_AT,
        "phones": {"type": "array", "items": {"type": "object", "required": ["role", "name", "phone"],
                                              "properties": {"role": {"enum": ["duty_phone", "clerk", "leader"]},
                                                             "name": {"type": "string"},
                                                             "phone": {"type": "string"}}}}},
}
BOARD_ITEM = {
    "type": "object", "required": ["item", "sender", "escalated", "counts", "units"],
    "properties": {"item": ITEM, "sender": {"type": "string"}, "escalated": {"type": "boolean"},
                   "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "units": {"type": "array", "items": BOARD_UNIT}},
}


def board_unit_json(u: BoardUnit) -> dict[str, Any]:
    d = u.delivery
    return {"delivery": delivery_json(d), "unit": {"id": u.unit.id, "code": u.unit.code, "name": u.unit.name},
            "escalated": u.escalated, "seconds_left": u.left.total_seconds(),
            "read_by": {"name": u.reader.name if u.reader else "", "at": d.read_at.isoformat()} if d.read_at else None,
            "signed_by": {"name": u.signer.name if u.signer else "", "at": d.acked_at.isoformat(),
                          "via": d.ack_via.value if d.ack_via else None} if d.acked_at else None,
            "phones": phones(u)}


def board_item_json(b: BoardItem) -> dict[str, Any]:
    return {"item": item_json(b.item), "sender": b.sender.name, "escalated": b.escalated, "counts": b.counts,
            "units": [board_unit_json(u) for u in b.units]}


@api("GET", "/api/duty/board", action=Action.DUTY_DESK,
     summary="The duty desk's board: every open 特急 / 加急 item (sent today or still open) and every item past "
             "a ladder step, with each recipient unit's state, time left and phone numbers; escalated first",
     response={"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
                                                                                 "items": BOARD_ITEM}}})
async def board_json(request: web.Request) -> web.Response:
    items = await hub_of(request).duty.board(actor_of(request))
    return json_response({"items": [board_item_json(b) for b in items]})


def _period(request: web.Request, today: date) -> tuple[date, date]:
    try:
        until = date.fromisoformat(request.query["until"]) if request.query.get("until") else today
        since = (date.fromisoformat(request.query["since"]) if request.query.get("since")
                 else until - timedelta(days=30))
    except ValueError:
        raise XietongError("input.invalid", field="since/until") from None
    return since, until


@page("GET", "/stats", action=Action.VIEW_STATS)
async def stats(request: web.Request) -> web.Response:
    hub = hub_of(request)
    since, until = _period(request, hub.clock.now().astimezone(CST).date())
    figures = await hub.stats.units(actor_of(request), *day_span(since, until))
    units = {u.id: u for u in await hub.identity.units()}
    return render(request, "stats.html", figures=figures, units=units, since=since.isoformat(),
                  until=until.isoformat())


@page("GET", "/metrics", public=True)
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format, for the addresses in metrics.allow_from only."""
    hub = hub_of(request)
    if not ip_allowed(parse_ip_rules(hub.config.metrics.allow_from), client_ip(request)):
        raise XietongError("perm.denied")
    body = (await hub.stats.metrics()).render() + process_series(hub.processes.seen_seconds())
    return web.Response(text=body, content_type="text/plain", charset="utf-8",
                        headers={"Cache-Control": "no-store"})
