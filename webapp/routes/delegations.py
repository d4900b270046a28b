"""代理 in the web app: my delegations (as principal, as delegate with 开始代理, to approve for an
admin), asking for one, one delegation's page, approve / refuse / cancel, acting for the principal
and back; the JSON API beside each. Who may do what is the service's (a route's action is the least
grant: acting, deciding and cancelling are any logged-in person's, the service checks the delegation:
who does not see it gets 404, who sees it and is not its approver 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.delegation import may_cancel
from hub.domain.permissions import Action, can
from hub.errors import XietongError
from hub.services.delegations import Entry
from hub.store.roads import HistoryRow
from webapp.context import (
    actor_of,
    hub_of,
    id_from_text,
    json_body,
    json_response,
    path_id,
    refused,
    render,
    session_of,
)
from webapp.routing import api, page


def local_time(text: str, field: str) -> datetime:
    """A `datetime-local` field, read as Beijing time; an ISO time with its offset as given."""
    text = text.strip()
    if not text:
        raise XietongError("delegation.time_required")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise XietongError("input.invalid", field=field) from None
    return t if t.tzinfo else t.replace(tzinfo=CST)


def form_value(t: datetime) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


def session_key(request: web.Request) -> str:
    s = session_of(request)
    if s is None:
        raise web.HTTPUnauthorized()
    return s.key


async def _form(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items()}


# -- pages -----------------------------------------------------------------------------------

async def list_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    mine = await hub.delegations.mine(actor)
    return render(request, "delegations.html", status=status, mine=mine, error=error,
                  may_ask=can(actor, Action.REQUEST_DELEGATION, actor.unit_id),
                  may_register=can(actor, Action.VIEW_DELEGATIONS),
                  done=request.query.get("done", ""))


@page("GET", "/delegations", action=Action.VIEW_HOME)
async def delegations_page(request: web.Request) -> web.Response:
    return await list_page(request)


async def new_page(request: web.Request, form: dict[str, str] | None = None, error: str | None = None,
                   status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    people = await hub.delegations.people(actor)
    now = hub.clock.now()
    defaults = {"delegate_id": "", "starts_at": form_value(now), "ends_at": "", "reason": ""}
    return render(request, "delegation_new.html", status=status, people=people, form=defaults | (form or {}),
                  error=error, max_days=hub.config.delegation.max_days)


@page("GET", "/delegations/new", action=Action.REQUEST_DELEGATION)
async def new_delegation(request: web.Request) -> web.Response:
    return await new_page(request)


@page("POST", "/delegations", action=Action.REQUEST_DELEGATION)
async def ask_delegation(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    values = await _form(request)
    kept = {k: values.get(k, "") for k in ("delegate_id", "starts_at", "ends_at", "reason")}
    try:
        delegate = id_from_text(kept["delegate_id"])
        if delegate is None:
            raise XietongError("delegation.unknown_person")
        d = await hub.delegations.request(actor, delegate, local_time(kept["starts_at"], "starts_at"),
                                          local_time(kept["ends_at"], "ends_at"), kept["reason"])
    except XietongError as err:
        if err.status == 403:
            raise
        return await new_page(request, kept, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/delegations/{d.id}?done=request")


@page("GET", "/delegations/{delegation_id}", action=Action.VIEW_HOME)
async def delegation_page(request: web.Request) -> web.Response:
    return await one_page(request)


async def one_page(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    entry, history = await hub.delegations.get(actor, path_id(request, "delegation_id"))
    me, d, now = actor.person, entry.d, hub.clock.now()
    return render(request, "delegation.html", status=status, e=entry, history=history, error=error,
                  done=request.query.get("done", ""), now=now,
                  may_decide=await hub.delegations.may_decide(actor, d), may_cancel=may_cancel(actor, d, now),
                  may_act=actor.by is None and me.user_id == d.delegate_id and d.current(now))


async def _decided(request: web.Request, move: str) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    did = path_id(request, "delegation_id")
    note = (await _form(request)).get("note", "")
    try:
        if move == "cancel":
            await hub.delegations.cancel(actor, did, note)
        else:
            await hub.delegations.decide(actor, did, move == "approve", note)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await one_page(request, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/delegations/{did}?done={move}")


@page("POST", "/delegations/{delegation_id}/approve", action=Action.VIEW_HOME)
async def approve_delegation(request: web.Request) -> web.StreamResponse:
    return await _decided(request, "approve")


@page("POST", "/delegations/{delegation_id}/refuse", action=Action.VIEW_HOME)
async def refuse_delegation(request: web.Request) -> web.StreamResponse:
    return await _decided(request, "refuse")


@page("POST", "/delegations/{delegation_id}/cancel", action=Action.VIEW_HOME)
async def cancel_delegation(request: web.Request) -> web.StreamResponse:
    return await _decided(request, "cancel")


@page("POST", "/delegations/{delegation_id}/act", action=Action.VIEW_HOME)
async def act_for(request: web.Request) -> web.StreamResponse:
    """Switch into 代理 B; without an approved, current delegation of one's own: 403 (audited)."""
    hub, actor = hub_of(request), actor_of(request)
    await hub.delegations.act(actor, session_key(request), path_id(request, "delegation_id"))
    raise web.HTTPSeeOther("/")


@page("POST", "/delegations/stop", action=Action.VIEW_HOME)
async def stop_acting(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    await hub.delegations.stop(actor, session_key(request))
    raise web.HTTPSeeOther("/delegations")


# -- JSON API --------------------------------------------------------------------------------

_TIME = {"type": "string", "description": "ISO 8601 with a UTC offset (without one: Beijing time)"}
STATES = ["requested", "approved", "refused", "cancelled", "ended"]
DELEGATION = {"type": "object",
              "required": ["id", "unit_id", "principal_id", "principal", "delegate_id", "delegate", "starts_at",
                           "ends_at", "reason", "state", "decision_note", "todo"],
              "properties": {"id": {"type": "integer"}, "unit_id": {"type": "integer"},
                             "principal_id": {"type": "integer", "description": "who is away (被代理人)"},
                             "principal": {"type": "string"},
                             "delegate_id": {"type": "integer", "description": "who acts for them (代理人)"},
                             "delegate": {"type": "string"}, "starts_at": _TIME, "ends_at": _TIME,
                             "reason": {"type": "string"},
                             "state": {"type": "string", "enum": STATES,
                                       "description": "ended: approved and past its end (已到期)"},
                             "decision_note": {"type": "string"},
                             "todo": {"type": "integer", "description": "the principal's open steps (current ones)"}}}
_LIST = {"type": "array", "items": DELEGATION}
MINE = {"type": "object", "required": ["as_principal", "as_delegate", "to_approve", "current"],
        "properties": {"as_principal": _LIST, "as_delegate": _LIST, "to_approve": _LIST,
                       "current": {**_LIST, "description": "whom I may act for now"}}}
HISTORY = {"type": "object", "required": ["at", "move", "from_state", "to_state", "actor_id", "actor_name",
                                          "for_id", "note"],
           "properties": {"at": _TIME, "move": {"type": "string"}, "from_state": {"type": "string"},
                          "to_state": {"type": "string"}, "actor_id": {"type": ["integer", "null"]},
                          "actor_name": {"type": "string"}, "for_id": {"type": ["integer", "null"]},
                          "note": {"type": "string"}}}
ONE = {"type": "object", "required": ["delegation", "history"],
       "properties": {"delegation": DELEGATION, "history": {"type": "array", "items": HISTORY}}}
_ONE_RESPONSE = {"type": "object", "required": ["delegation"], "properties": {"delegation": DELEGATION}}
ASK_BODY = {"type": "object", "required": ["delegate_id", "starts_at", "ends_at"],
            "properties": {"delegate_id": {"type": "integer", "description": "a person of one's own unit"},
                           "starts_at": _TIME, "ends_at": _TIME, "reason": {"type": "string"}}}
NOTE_BODY = {"type": "object", "properties": {"note": {"type": "string"}}}
ACTING = {"type": "object", "required": ["acting_for"],
          "properties": {"acting_for": {**DELEGATION, "type": ["object", "null"],
                                        "description": "the delegation this session now acts under (null: oneself)"}}}


def _entry_json(e: Entry) -> dict[str, object]:
    return e.as_json()


def _history_json(h: HistoryRow) -> dict[str, object]:
    return {"at": h.at.isoformat(), "move": h.move, "from_state": h.from_state, "to_state": h.to_state,
            "actor_id": h.actor_id, "actor_name": h.actor_name, "for_id": h.for_id, "note": h.note}


async def _one(request: web.Request, did: int) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    entry, _ = await hub.delegations.get(actor, did)
    return json_response({"delegation": entry.as_json()})


@api("GET", "/api/delegations", action=Action.VIEW_HOME, response=MINE,
     summary="My delegations: as principal, as delegate, to approve (unit/super admins), and whom I may act for now")
async def api_mine(request: web.Request) -> web.Response:
    mine = await hub_of(request).delegations.mine(actor_of(request))
    return json_response({"as_principal": [_entry_json(e) for e in mine.as_principal],
                          "as_delegate": [_entry_json(e) for e in mine.as_delegate],
                          "to_approve": [_entry_json(e) for e in mine.to_approve],
                          "current": [_entry_json(e) for e in mine.current]})


def _body_time(body: dict[str, Any], field: str) -> datetime:
    value = body.get(field)
    if not isinstance(value, str):
        raise XietongError("delegation.time_required")
    return local_time(value, field)


@api("POST", "/api/delegations", action=Action.REQUEST_DELEGATION, body=ASK_BODY, response=_ONE_RESPONSE,
     summary="Ask for a delegate of one's unit for a period (approved by the unit admin; a unit admin's by the "
             "super admin)")
async def api_ask(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    body = await json_body(request)
    delegate = body.get("delegate_id")
    if not isinstance(delegate, int) or isinstance(delegate, bool):
        raise XietongError("delegation.unknown_person")
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise XietongError("input.invalid", field="reason")
    d = await hub.delegations.request(actor, delegate, _body_time(body, "starts_at"), _body_time(body, "ends_at"),
                                      reason)
    return await _one(request, d.id)


@api("GET", "/api/delegations/{delegation_id}", action=Action.VIEW_HOME, response=ONE,
     summary="One delegation with its history (who asked, approved, cancelled: \"A for B\" when acting)")
async def api_one(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    entry, history = await hub.delegations.get(actor, path_id(request, "delegation_id"))
    return json_response({"delegation": entry.as_json(),
                          "history": [_history_json(h) for h in history if isinstance(h, HistoryRow)]})


async def _note(request: web.Request) -> str:
    body = await json_body(request) if request.can_read_body else {}
    note = body.get("note", "")
    if not isinstance(note, str):
        raise XietongError("input.invalid", field="note")
    return note


@api("POST", "/api/delegations/{delegation_id}/approve", action=Action.VIEW_HOME, body=NOTE_BODY,
     response=_ONE_RESPONSE, summary="Approve a delegation asked for (its approver only)")
async def api_approve(request: web.Request) -> web.Response:
    did = path_id(request, "delegation_id")
    await hub_of(request).delegations.decide(actor_of(request), did, True, await _note(request))
    return await _one(request, did)


@api("POST", "/api/delegations/{delegation_id}/refuse", action=Action.VIEW_HOME, body=NOTE_BODY,
     response=_ONE_RESPONSE, summary="Refuse a delegation asked for (its approver only; a note is required)")
async def api_refuse(request: web.Request) -> web.Response:
    did = path_id(request, "delegation_id")
    await hub_of(request).delegations.decide(actor_of(request), did, False, await _note(request))
    return await _one(request, did)


@api("POST", "/api/delegations/{delegation_id}/cancel", action=Action.VIEW_HOME, body=NOTE_BODY,
     response=_ONE_RESPONSE, summary="Cancel a delegation asked for or approved (the principal or an approver)")
async def api_cancel(request: web.Request) -> web.Response:
    did = path_id(request, "delegation_id")
    await hub_of(request).delegations.cancel(actor_of(request), did, await _note(request))
    return await _one(request, did)


@api("POST", "/api/delegations/{delegation_id}/act", action=Action.VIEW_HOME, response=ACTING,
     summary="Switch this session into acting for the principal (代理); without an approved, current delegation "
             "of one's own: 403 delegation.refused_attempt")
async def api_act(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    s = session_of(request)
    if s is not None and s.by_token:
        raise XietongError("delegation.refused_attempt")     # acting is a browser session's switch
    d = await hub.delegations.act(actor, session_key(request), path_id(request, "delegation_id"))
    entry, _ = await hub.delegations.get(actor, d.id)
    return json_response({"acting_for": entry.as_json()})


@api("POST", "/api/delegations/stop", action=Action.VIEW_HOME, response=ACTING,
     summary="Back to oneself (ends acting for another in this session)")
async def api_stop(request: web.Request) -> web.Response:
    await hub_of(request).delegations.stop(actor_of(request), session_key(request))
    return json_response({"acting_for": None})

