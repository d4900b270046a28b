"""待办 (to-do): one list of what waits for this person, its JSON twin, and the tab bar's badge counts."""

from __future__ import annotations

from aiohttp import web

from hub.domain.permissions import Action
from hub.services.todo import TodoKind, badges, todo_list
from webapp.context import actor_of, hub_of, json_response, render, session_of
from webapp.routing import api, page

COUNT = {"type": "integer", "minimum": 0}
TODO_ENTRY = {
    "type": "object", "required": ["kind", "title", "href", "urgency", "detail", "since", "due_at", "escalated"],
    "properties": {"kind": {"type": "string", "enum": [k.value for k in TodoKind]},
                   "title": {"type": "string"}, "href": {"type": "string"},
                   "urgency": {"type": "string", "enum": ["extra_urgent", "urgent", "ordinary"]},
                   "detail": {"type": "string", "description": "the sender unit, or the document's number or kind"},
                   "since": {"type": "string", "format": "date-time"},
                   "due_at": {"type": ["string", "null"], "format": "date-time",
                              "description": "the deadline (signing for), if there is one"},
                   "escalated": {"type": "boolean", "description": "already at the duty desk"}},
}
BADGES = {
    "type": "object", "required": ["todo", "unread", "duty", "signed_in"],
    "properties": {"todo": {**COUNT, "description": "what waits for you (待办)"},
                   "unread": {**COUNT, "description": "your unit's items nobody has opened yet"},
                   "duty": {**COUNT, "description": "the duty desk: escalated items not signed for"},
                   "signed_in": {"type": "boolean", "description": "false: the session ended (log in again)"}},
}


@page("GET", "/todo", action=Action.VIEW_HOME)
async def todo_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    todo = await todo_list(hub.store, hub.documents, actor_of(request))
    return render(request, "todo.html", todo=todo, kinds=[k.value for k in TodoKind], now=hub.clock.now())


@api("GET", "/api/todo", action=Action.VIEW_HOME, summary="What waits for you (待办), the most urgent first",
     response={"type": "object", "required": ["total", "counts", "entries"],
               "properties": {"total": COUNT,
                              "counts": {"type": "object", "additionalProperties": COUNT,
                                         "description": "per kind, only the kinds with entries"},
                              "entries": {"type": "array", "items": TODO_ENTRY}}})
async def todo_api(request: web.Request) -> web.Response:
    hub = hub_of(request)
    todo = await todo_list(hub.store, hub.documents, actor_of(request))
    return json_response({"total": todo.total, "counts": todo.counts, "entries": [e.as_json() for e in todo.entries]})


@api("GET", "/api/badges", public=True, response=BADGES,
     summary="The tab bar's counts (refreshed on live events); all 0 and signed_in false once the session ended")
async def badges_api(request: web.Request) -> web.Response:
    # public, so that a page whose session just ended (its socket closes a moment later) gets an
    # answer it can act on (go to the login page) instead of a 401 in the console
    hub, session = hub_of(request), session_of(request)
    if session is None:
        return json_response({"todo": 0, "unread": 0, "duty": 0, "signed_in": False})
    return json_response({**await badges(hub.store, hub.documents, session.actor), "signed_in": True})
