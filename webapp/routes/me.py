"""我的 (me): who you are, your roles and what they let you do, your one-time codes, every page
your roles open, the language and logging out."""

from __future__ import annotations

from aiohttp import web

from hub.domain.permissions import Action, can
from webapp.context import actor_of, hub_of, render
from webapp.routes.home import SHORTCUTS
from webapp.routing import page


@page("GET", "/me", action=Action.VIEW_HOME)
async def me_page(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    unit = await hub.identity.unit(actor.unit_id)
    otp = await hub.otp.status(actor) if can(actor, Action.ENROL_OTP) else None
    return render(request, "me.html", unit=unit, roles=sorted(r.value for r in actor.roles), otp=otp,
                  links=[(href, key) for action, href, key in SHORTCUTS if can(actor, action)])
