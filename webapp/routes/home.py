"""The home page: who you are and what your roles let you do."""

from __future__ import annotations

from aiohttp import web

from hub.domain.permissions import Action, can
from webapp.context import actor_of, hub_of, render
from webapp.routing import page

# what a role can open from the home page: (action needed, link, catalog key)
SHORTCUTS = [
    (Action.HANDLE_DELIVERY, "/inbox", "home.link_inbox"),
    (Action.ISSUE_ITEM, "/items/new", "home.link_issue"),
    (Action.ISSUE_ITEM, "/sent", "home.link_sent"),
    (Action.DRAFT_DOCUMENT, "/documents", "home.link_documents"),
    (Action.USE_SEAL, "/keeper", "home.link_keeper"),
    (Action.DUTY_DESK, "/duty", "home.link_duty"),
    (Action.VIEW_STATS, "/stats", "home.link_stats"),
    (Action.VIEW_USERS, "/admin/users", "home.link_users"),
    (Action.MANAGE_UNITS, "/admin/units", "home.link_units"),
    (Action.VIEW_AUDIT, "/admin/audit", "home.link_audit"),
    (Action.VIEW_SMS, "/admin/sms", "home.link_sms"),
    (Action.MANAGE_SEALS, "/seals", "home.link_seals"),
    (Action.VIEW_ITEM, "/verify", "home.link_verify"),
    (Action.ENROL_OTP, "/otp", "home.link_otp"),
]


@page("GET", "/", action=Action.VIEW_HOME)
async def home(request: web.Request) -> web.Response:
    actor = actor_of(request)
    unit = await hub_of(request).identity.unit(actor.unit_id)
    links = [(href, key) for action, href, key in SHORTCUTS if can(actor, action)]
    roles = sorted(r.value for r in actor.roles)
    open_items = 0
    if can(actor, Action.HANDLE_DELIVERY, actor.unit_id):
        open_items = sum(1 for e in await hub_of(request).items.inbox(actor) if e.delivery.is_open)
    todo = await hub_of(request).documents.todo(actor) if can(actor, Action.VIEW_ITEM, actor.unit_id) else []
    return render(request, "home.html", unit=unit, roles=roles, links=links, open_items=open_items, todo=todo)
