"""The duty desk's board and actions, the statistics page, and the metrics endpoint."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.identity import ip_allowed, parse_ip_rules
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.stats import read_metrics
from webapp.context import actor_of, client_ip, hub_of, int_arg, lang_of, render
from webapp.routing import page


async def board_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub = hub_of(request)
    entries = await hub.duty.board(actor_of(request))
    return render(request, "duty.html", status=status, entries=entries, error=error,
                  notice=request.query.get("done"))


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
        return await board_page(request, err.message(lang_of(request)), err.status)
    raise web.HTTPSeeOther(f"/duty?done={op}")


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
    start = datetime.combine(since, time(0), CST)
    end = datetime.combine(until + timedelta(days=1), time(0), CST)
    figures = await hub.stats.units(actor_of(request), start, end)
    units = {u.id: u for u in await hub.identity.units()}
    return render(request, "stats.html", figures=figures, units=units, since=since.isoformat(),
                  until=until.isoformat())


@page("GET", "/metrics", public=True)
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format, for the addresses in metrics.allow_from only."""
    hub = hub_of(request)
    if not ip_allowed(parse_ip_rules(hub.config.metrics.allow_from), client_ip(request)):
        raise XietongError("perm.denied")
    body = (await read_metrics(hub.store)).render()
    return web.Response(text=body, content_type="text/plain", charset="utf-8",
                        headers={"Cache-Control": "no-store"})
