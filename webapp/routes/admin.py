"""Administration pages: people of a unit, units, and the audit log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.identity import Actor, UnitKind, parse_roles
from hub.domain.permissions import Action, can, grantable_roles
from hub.errors import XietongError
from hub.services import audit
from webapp.context import actor_of, hub_of, int_arg, refused, render
from webapp.routing import page

# The add-person form's text fields; the template reads every one (StrictUndefined).
USER_FORM_FIELDS = ("login", "name", "phone", "allowed_ips")
# Likewise for the add-unit form.
UNIT_FORM_FIELDS = ("code", "name", "kind", "parent_id", "duty_phone")

def chosen_unit(request: web.Request, actor: Actor) -> int:
    raw = request.query.get("unit")
    return int_arg(raw, "unit") if raw else actor.unit_id

async def users_page(request: web.Request, unit_id: int, error: str | None = None,
                     form: dict[str, Any] | None = None, notice: str | None = None,
                     status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    unit = await hub.identity.unit(unit_id)
    users = await hub.identity.users(actor, unit_id)
    units = await hub.identity.units() if can(actor, Action.VIEW_USERS, ()) else [unit]
    return render(request, "admin_users.html", status=status, unit=unit, users=users, units=units,
                  can_manage=can(actor, Action.MANAGE_USERS, unit_id),
                  roles=sorted(grantable_roles(actor)), error=error, notice=notice,
                  opted_out=await hub.identity.sms_opted_out(actor, unit_id),
                  form=form or dict.fromkeys(USER_FORM_FIELDS, ""))

@page("GET", "/admin/users", action=Action.VIEW_USERS)
async def list_users(request: web.Request) -> web.Response:
    return await users_page(request, chosen_unit(request, actor_of(request)),
                            notice=request.query.get("done"))

@page("POST", "/admin/users", action=Action.MANAGE_USERS)
async def add_user(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    unit_id = int_arg(form.get("unit_id", actor.unit_id), "unit_id")
    values = {k: str(form.get(k, "")) for k in USER_FORM_FIELDS}
    try:
        roles = parse_roles([str(r) for r in form.getall("roles", [])])
        user = await hub.identity.add_user(actor, values["login"], values["name"], unit_id,
                                           str(form.get("password", "")), roles,
                                           values["phone"], values["allowed_ips"])
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await users_page(request, unit_id, error=refused(request, err), form=values,
                                status=err.status)
    raise web.HTTPSeeOther(f"/admin/users?unit={unit_id}&done=added:{user.login}")

@page("GET", "/admin/users/{user_id}", action=Action.MANAGE_USERS)
async def edit_user_form(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    user = await hub.identity.user(actor, int_arg(request.match_info["user_id"], "user_id"))
    if not can(actor, Action.MANAGE_USERS, user.unit_id):
        raise XietongError("perm.denied")
    return render(request, "admin_user_edit.html", user=user, error=None,
                  roles=sorted(grantable_roles(actor) | user.roles),
                  editable_roles={r.value for r in grantable_roles(actor)},
                  unit=await hub.identity.unit(user.unit_id),
                  otp=await hub.otp.overview(actor, user.id))

@page("POST", "/admin/users/{user_id}", action=Action.MANAGE_USERS)
async def edit_user(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    user_id = int_arg(request.match_info["user_id"], "user_id")
    form = await request.post()
    op = str(form.get("op", "update"))
    try:
        if op == "disable":
            user = await hub.identity.set_disabled(actor, user_id, True)
        elif op == "enable":
            user = await hub.identity.set_disabled(actor, user_id, False)
        elif op == "password":
            await hub.identity.reset_password(actor, user_id, str(form.get("password", "")))
            user = await hub.identity.user(actor, user_id)
        elif op == "reset_otp":     # a lost phone: the person enrols again (audited as otp.reset)
            await hub.otp.reset(actor, user_id)
            user = await hub.identity.user(actor, user_id)
        else:
            roles = parse_roles([str(r) for r in form.getall("roles", [])])
            user = await hub.identity.update_user(actor, user_id, str(form.get("name", "")),
                                                  str(form.get("phone", "")), roles,
                                                  str(form.get("allowed_ips", "")))
    except XietongError as err:
        if err.code in ("perm.denied", "not_found"):
            raise
        user = await hub.identity.user(actor, user_id)
        return render(request, "admin_user_edit.html", status=err.status, user=user,
                      error=refused(request, err),
                      roles=sorted(grantable_roles(actor) | user.roles),
                      editable_roles={r.value for r in grantable_roles(actor)},
                      unit=await hub.identity.unit(user.unit_id),
                      otp=await hub.otp.overview(actor, user.id))
    raise web.HTTPSeeOther(f"/admin/users?unit={user.unit_id}&done={op}:{user.login}")

@page("GET", "/admin/units", action=Action.MANAGE_UNITS)
async def list_units(request: web.Request) -> web.Response:
    units = await hub_of(request).identity.units()
    return render(request, "admin_units.html", units=units, kinds=[k.value for k in UnitKind],
                  error=None, form=dict.fromkeys(UNIT_FORM_FIELDS, ""))

@page("POST", "/admin/units", action=Action.MANAGE_UNITS)
async def add_unit(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in UNIT_FORM_FIELDS}
    try:
        kind = UnitKind(values["kind"]) if values["kind"] in UnitKind._value2member_map_ else None
        if kind is None:
            raise XietongError("input.invalid", field="kind")
        parent = int_arg(values["parent_id"], "parent_id") if values["parent_id"] else None
        await hub.identity.add_unit(actor, values["code"], values["name"], kind, parent,
                                    values["duty_phone"])
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        units = await hub.identity.units()
        return render(request, "admin_units.html", status=err.status, units=units,
                      kinds=[k.value for k in UnitKind], error=refused(request, err),
                      form=values)
    raise web.HTTPSeeOther("/admin/units")

@page("GET", "/admin/audit", action=Action.VIEW_AUDIT)
async def audit_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    before = request.query.get("before")
    prefix = request.query.get("action", "")
    result = await audit.page(hub.store, int_arg(before, "before") if before else None, 50, prefix)
    check = await audit.verify(hub.store) if request.query.get("verify") else None
    return render(request, "admin_audit.html", rows=result.rows, next_before=result.next_before,
                  action=prefix, check=check)


@page("GET", "/admin/sms", action=Action.VIEW_SMS)
async def sms_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    messages, counts = await hub.sms.recent(actor_of(request))
    return render(request, "admin_sms.html", messages=messages, counts=counts, enabled=hub.config.sms.enabled)
