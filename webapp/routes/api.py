"""The JSON API for the people and tools that are not browsers."""

from __future__ import annotations

from aiohttp import web

from hub.domain.identity import parse_roles
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services import audit
from webapp.context import actor_of, hub_of, int_arg, json_body, json_id, json_response, path_id
from webapp.routing import api
from webapp.schemas import (
    AUDIT_ROW,
    ID,
    NEW_USER_BODY,
    UNIT,
    USER,
    audit_json,
    unit_json,
    user_json,
)

_UNIT_QUERY = ({"name": "unit", "in": "query", "required": False, "schema": ID,
                "description": "unit id; default: your own unit"},)


@api("GET", "/api/me", action=Action.VIEW_HOME, summary="The logged-in user",
     response={"type": "object", "required": ["user", "unit"],
               "properties": {"user": USER, "unit": UNIT}})
async def me(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    user = await hub.identity.user_by_login(actor.login)
    unit = await hub.identity.unit(actor.unit_id)
    return json_response({"user": user_json(user), "unit": unit_json(unit)})


@api("GET", "/api/units", action=Action.VIEW_UNITS, summary="All units (the unit tree, flat)",
     response={"type": "object", "required": ["units"],
               "properties": {"units": {"type": "array", "items": UNIT}}})
async def units(request: web.Request) -> web.Response:
    return json_response({"units": [unit_json(u) for u in await hub_of(request).identity.units()]})


@api("GET", "/api/users", action=Action.VIEW_USERS, summary="People of a unit", params=_UNIT_QUERY,
     response={"type": "object", "required": ["users"],
               "properties": {"users": {"type": "array", "items": USER}}})
async def users(request: web.Request) -> web.Response:
    actor = actor_of(request)
    unit_id = int_arg(request.query["unit"], "unit") if "unit" in request.query else actor.unit_id
    found = await hub_of(request).identity.users(actor, unit_id)
    return json_response({"users": [user_json(u) for u in found]})


@api("POST", "/api/users", action=Action.MANAGE_USERS, summary="Add a person to a unit",
     body=NEW_USER_BODY,
     response={"type": "object", "required": ["user"], "properties": {"user": USER}})
async def add_user(request: web.Request) -> web.Response:
    body = await json_body(request)
    roles_raw = body.get("roles")
    if not isinstance(roles_raw, list):
        raise XietongError("input.invalid", field="roles")
    user = await hub_of(request).identity.add_user(
        actor_of(request), str(body.get("login", "")), str(body.get("name", "")),
        json_id(body.get("unit_id"), "unit_id"), str(body.get("password", "")),
        parse_roles([str(r) for r in roles_raw]), str(body.get("phone", "")),
        str(body.get("allowed_ips", "")))
    return json_response({"user": user_json(user)})


@api("POST", "/api/users/{user_id}/disable", action=Action.MANAGE_USERS,
     summary="Disable a person's account (ends their sessions)",
     response={"type": "object", "required": ["user"], "properties": {"user": USER}})
async def disable_user(request: web.Request) -> web.Response:
    user = await hub_of(request).identity.set_disabled(
        actor_of(request), path_id(request, "user_id"), True)
    return json_response({"user": user_json(user)})


@api("POST", "/api/users/{user_id}/enable", action=Action.MANAGE_USERS,
     summary="Enable a disabled account",
     response={"type": "object", "required": ["user"], "properties": {"user": USER}})
async def enable_user(request: web.Request) -> web.Response:
    user = await hub_of(request).identity.set_disabled(
        actor_of(request), path_id(request, "user_id"), False)
    return json_response({"user": user_json(user)})


@api("GET", "/api/audit", action=Action.VIEW_AUDIT, summary="The audit log, newest first",
     params=({"name": "before", "in": "query", "required": False, "schema": ID},
             {"name": "action", "in": "query", "required": False, "schema": {"type": "string"}}),
     response={"type": "object", "required": ["rows", "next_before"],
               "properties": {"rows": {"type": "array", "items": AUDIT_ROW},
                              "next_before": {"type": ["integer", "null"]}}})
async def audit_rows(request: web.Request) -> web.Response:
    before = request.query.get("before")
    result = await audit.page(hub_of(request).store, int_arg(before, "before") if before else None,
                              100, request.query.get("action", ""))
    return json_response({"rows": [audit_json(r) for r in result.rows],
                              "next_before": result.next_before})


@api("GET", "/api/audit/verify", action=Action.VIEW_AUDIT, summary="Check the audit hash chain",
     response={"type": "object", "required": ["ok", "rows", "broken_at", "reason", "head"],
               "properties": {"ok": {"type": "boolean"}, "rows": {"type": "integer"},
                              "broken_at": {"type": ["integer", "null"]}, "reason": {"type": "string"},
                              "head": {"type": "string"}}})
async def audit_verify(request: web.Request) -> web.Response:
    check = await audit.verify(hub_of(request).store)
    return json_response({"ok": check.ok, "rows": check.rows, "broken_at": check.broken_at,
                              "reason": check.reason, "head": check.head})
