"""The home page: what waits for you first (a leader's sign-offs, seal approvals, instructions and
circulations to read; a clerk's items to sign for with their deadlines, and the received documents'
steps), then who you are and the pages your roles open."""

from __future__ import annotations

from aiohttp import web

from hub.domain.identity import Role, UnitKind
from hub.domain.permissions import Action, can
from hub.services.todo import TodoKind, todo_list
from webapp.context import actor_of, hub_of, render
from webapp.routing import page

# what a role can open from the home page: (action needed, link, catalog key)
SHORTCUTS = [
    (Action.HANDLE_DELIVERY, "/inbox", "home.link_inbox"),
    (Action.ISSUE_ITEM, "/items/new", "home.link_issue"),
    (Action.ISSUE_ITEM, "/sent", "home.link_sent"),
    (Action.DRAFT_DOCUMENT, "/documents", "home.link_documents"),
    (Action.VIEW_INCOMING, "/incoming", "incoming.link"),
    (Action.VIEW_CABINET, "/cabinet", "cabinet.link"),
    (Action.VIEW_HOME, "/services", "services.title"),
    (Action.SUPERVISE, "/supervision", "supervision.board_title"),
    (Action.HANDLE_DELIVERY, "/meetings", "meetings.link"),
    (Action.SEND_REPORT, "/reports", "reports.link"),
    (Action.RECEIVE_REPORTS, "/reports/received", "reports.received_link"),
    (Action.USE_SEAL, "/keeper", "home.link_keeper"),
    (Action.DUTY_DESK, "/duty", "home.link_duty"),
    (Action.VIEW_STATS, "/stats", "home.link_stats"),
    (Action.MANAGE_CIRCULAR, "/circulars", "circulars.link"),
    (Action.VIEW_USERS, "/admin/users", "home.link_users"),
    (Action.MANAGE_UNITS, "/admin/units", "home.link_units"),
    (Action.VIEW_AUDIT, "/admin/audit", "home.link_audit"),
    (Action.VIEW_SMS, "/admin/sms", "home.link_sms"),
    (Action.MANAGE_SEALS, "/seals", "home.link_seals"),
    (Action.VIEW_ITEM, "/verify", "home.link_verify"),
    (Action.ENROL_OTP, "/otp", "home.link_otp"),
    (Action.REQUEST_DELEGATION, "/delegations", "delegations.link"),
]

# pages only the office (kind OFFICE) keeps: another unit's clerk, whose action allows them, has none
OFFICE_ONLY = {"/circulars", "/reports/received"}

# the counts a home page leads with, per role (the kinds shown even when there are none)
LEADER_KINDS = (TodoKind.SIGNOFF, TodoKind.SEAL_APPROVE, TodoKind.INSTRUCT, TodoKind.READ)
KEEPER_KINDS = (TodoKind.STAMP,)
CLERK_KINDS: tuple[TodoKind, ...] = ()    # a clerk's home leads with the 待签收 card and the list itself


@page("GET", "/", action=Action.VIEW_HOME)
async def home(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    unit = await hub.identity.unit(actor.unit_id)
    office = actor.has(Role.SUPER_ADMIN) or (unit is not None and unit.kind is UnitKind.OFFICE)
    links = [(href, key) for action, href, key in SHORTCUTS if can(actor, action)
             and (office or href not in OFFICE_ONLY)]
    roles = sorted(r.value for r in actor.roles)
    todo = await todo_list(hub.store, hub.documents, actor)
    lead: list[TodoKind] = []
    for role, kinds in ((Role.LEADER, LEADER_KINDS), (Role.CLERK, CLERK_KINDS), (Role.SEAL_KEEPER, KEEPER_KINDS)):
        if actor.has(role):
            lead += [k for k in kinds if k not in lead]
    open_items = todo.counts.get(TodoKind.SIGN_FOR.value, 0)
    may_act = await hub.delegations.current_for(actor)     # 可代理：李四 → 开始代理
    return render(request, "home.html", unit=unit, roles=roles, links=links, open_items=open_items,
                  todo=todo, lead=[k.value for k in lead], now=hub.clock.now(), may_act=may_act,
                  can_search=can(actor, Action.VIEW_ITEM, actor.unit_id))
