"""代理登记簿: a unit's delegations as its unit admin keeps them (the super admin: every unit's, or one
unit's with ?unit=), the latest first; printed on A4 (?print=1: no frame, no links, no forms) and as
.xlsx through the shared helper; its JSON beside it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.identity import Role
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.delegations import Entry
from webapp.context import actor_of, hub_of, id_from_text, json_response, lang_of, render
from webapp.i18n import translate
from webapp.routes.delegations import DELEGATION
from webapp.routing import api, page
from webapp.schemas import ID
from webapp.xlsx import xlsx_response

COLUMNS = ("id", "unit", "principal", "delegate", "starts", "ends", "reason", "state", "decider", "decided", "note")
WIDTHS = (6, 22, 10, 10, 16, 16, 24, 8, 12, 16, 24)


def _unit_query(request: web.Request) -> int | None:
    text = request.query.get("unit", "")
    if not text:
        return None
    unit = id_from_text(text)
    if unit is None:
        raise XietongError("input.invalid", field="unit")
    return unit


async def _register(request: web.Request) -> tuple[list[Entry], int | None, dict[int, str]]:
    hub = hub_of(request)
    entries, unit = await hub.delegations.register(actor_of(request), _unit_query(request))
    names = {u.id: u.name for u in await hub.identity.units()}
    return entries, unit, names


def _title(lang: str, unit: int | None, names: dict[int, str]) -> str:
    where = names.get(unit, "") if unit is not None else translate(lang, "delegations.register_all")
    return translate(lang, "delegations.register_title", unit=where)


def cells(lang: str, e: Entry, names: dict[int, str]) -> list[Any]:
    d = e.d
    return [d.id, names.get(d.unit_id, ""), e.principal, e.delegate, d.starts_at, d.ends_at, d.reason,
            translate(lang, f"delegations.state_{e.status.value}"), e.decider, d.decided_at, d.decision_note]


@page("GET", "/registers/delegations", action=Action.VIEW_DELEGATIONS)
async def register_page(request: web.Request) -> web.Response:
    hub, actor, lang = hub_of(request), actor_of(request), lang_of(request)
    entries, unit, names = await _register(request)
    everyone = actor.person.has(Role.SUPER_ADMIN)       # picks a unit, or sees them all
    return render(request, "delegation_register.html", rows=entries, names=names, unit=unit,
                  title=_title(lang, unit, names), now=hub.clock.now(), printing=request.query.get("print") == "1",
                  units=sorted(names.items()) if everyone else [],
                  query=f"unit={unit}&" if everyone and unit is not None else "")


@page("GET", "/registers/delegations.xlsx", action=Action.VIEW_DELEGATIONS)
async def register_export(request: web.Request) -> web.Response:
    hub, lang = hub_of(request), lang_of(request)
    entries, unit, names = await _register(request)
    title = _title(lang, unit, names)
    return xlsx_response(f"{title}-{hub.clock.now().astimezone(CST):%Y%m%d}.xlsx",
                         translate(lang, "delegations.register_link"),
                         [translate(lang, f"delegations.col_{c}") for c in COLUMNS],
                         [cells(lang, e, names) for e in entries], title, WIDTHS)


_OPT_TIME = {"type": ["string", "null"]}
REGISTER_ROW = {**DELEGATION,
                "required": [*DELEGATION["required"], "unit", "decider", "decided_at"],
                "properties": {**DELEGATION["properties"],   # type: ignore[dict-item]
                               "unit": {"type": "string", "description": "the principal's unit"},
                               "decider": {"type": "string", "description": "who approved, refused or cancelled it"},
                               "decided_at": _OPT_TIME}}
REGISTER = {"type": "object", "required": ["unit_id", "delegations"],
            "properties": {"unit_id": {"type": ["integer", "null"], "description": "null: every unit's"},
                           "delegations": {"type": "array", "items": REGISTER_ROW}}}
UNIT_PARAM = ({"name": "unit", "in": "query", "required": False, "schema": ID,
               "description": "one unit's (the super admin; a unit admin's own is the default)"},)


@api("GET", "/api/registers/delegations", action=Action.VIEW_DELEGATIONS, params=UNIT_PARAM, response=REGISTER,
     summary="The delegation register (代理登记簿): a unit's delegations for its unit admin, every unit's (or one "
             "with ?unit=) for the super admin, the latest first")
async def register_json(request: web.Request) -> web.Response:
    entries, unit, names = await _register(request)
    return json_response({"unit_id": unit, "delegations": [
        e.as_json() | {"unit": names.get(e.d.unit_id, ""), "decider": e.decider,
                       "decided_at": e.d.decided_at.isoformat() if e.d.decided_at else None} for e in entries]})
