"""待办 (to-do): one list of what waits for this person, in tabs (待办 / 待阅 / 已办 / 已阅), its JSON
twin, and the tab bar's badge counts."""

from __future__ import annotations

from aiohttp import web

from hub.domain.permissions import Action
from hub.services.todo import Tab, TodoKind, badges, parse_tab, todo_tab
from webapp.context import actor_of, hub_of, json_response, render, session_of
from webapp.routing import api, page

COUNT = {"type": "integer", "minimum": 0}
TODO_ENTRY = {
    "type": "object", "required": ["kind", "title", "href", "urgency", "detail", "since", "due_at", "escalated",
                                   "step_id", "done_at", "note"],
    "properties": {"kind": {"type": "string", "enum": [k.value for k in TodoKind]},
                   "title": {"type": "string"}, "href": {"type": "string"},
                   "urgency": {"type": "string", "enum": ["extra_urgent", "urgent", "ordinary"]},
                   "detail": {"type": "string",
                              "description": "the sender unit, the document's number or kind, or a received "
                                             "document's receiving number and sending unit"},
                   "since": {"type": "string", "format": "date-time", "description": "when it started waiting"},
                   "due_at": {"type": ["string", "null"], "format": "date-time",
                              "description": "the deadline, if there is one"},
                   "escalated": {"type": "boolean", "description": "already at the duty desk"},
                   "step_id": {"type": ["integer", "null"], "description": "the road step (road work only)"},
                   "done_at": {"type": ["string", "null"], "format": "date-time",
                               "description": "已办 / 已阅: when it was done"},
                   "note": {"type": "string", "description": "已办 / 已阅: the opinion or comment written"}},
}
TAB_COUNTS = {"type": "object", "required": [t.value for t in Tab],
              "properties": {Tab.TODO.value: {**COUNT, "description": "待办: waiting to be done"},
                             Tab.READ.value: {**COUNT, "description": "待阅: waiting to be read"},
                             Tab.DONE.value: {**COUNT, "description": "已办: done by you"},
                             Tab.READ_DONE.value: {**COUNT, "description": "已阅: read by you"}}}
BADGES = {
    "type": "object", "required": ["todo", "reading", "unread", "duty", "signed_in"],
    "properties": {"todo": {**COUNT, "description": "what waits for you, to do or to read (待办 + 待阅)"},
                   "reading": {**COUNT, "description": "of those, what waits to be read (待阅)"},
                   "unread": {**COUNT, "description": "your unit's items nobody has opened yet"},
                   "duty": {**COUNT, "description": "the duty desk: escalated items not signed for"},
                   "signed_in": {"type": "boolean", "description": "false: the session ended (log in again)"}},
}
TAB_PARAM = {"name": "tab", "in": "query", "required": False,
             "schema": {"type": "string", "enum": [t.value for t in Tab], "default": Tab.TODO.value},
             "description": "待办 (todo), 待阅 (read), 已办 (done) or 已阅 (read_done)"}


@page("GET", "/todo", action=Action.VIEW_HOME)
async def todo_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    shown = await todo_tab(hub.store, hub.documents, actor_of(request), parse_tab(request.query.get("tab")))
    return render(request, "todo.html", shown=shown, tabs=[t.value for t in Tab],
                  kinds=[k.value for k in TodoKind], now=hub.clock.now())


@api("GET", "/api/todo", action=Action.VIEW_HOME, params=(TAB_PARAM,),
     summary="What waits for you (待办, or 待阅), the most urgent first; or what you did (已办 / 已阅), the latest first",
     response={"type": "object", "required": ["tab", "tabs", "total", "counts", "entries"],
               "properties": {"tab": {"type": "string", "enum": [t.value for t in Tab]},
                              "tabs": TAB_COUNTS,
                              "total": {**COUNT, "description": "the entries of this tab"},
                              "counts": {"type": "object", "additionalProperties": COUNT,
                                         "description": "this tab's entries per kind, only the kinds with entries"},
                              "entries": {"type": "array", "items": TODO_ENTRY}}})
async def todo_api(request: web.Request) -> web.Response:
    hub = hub_of(request)
    shown = await todo_tab(hub.store, hub.documents, actor_of(request), parse_tab(request.query.get("tab")))
    return json_response({"tab": shown.tab.value, "tabs": shown.tabs, "total": len(shown.entries),
                          "counts": shown.counts, "entries": [e.as_json() for e in shown.entries]})


@api("GET", "/api/badges", public=True, response=BADGES,
     summary="The tab bar's counts (refreshed on live events); all 0 and signed_in false once the session ended")
async def badges_api(request: web.Request) -> web.Response:
    # public, so that a page whose session just ended (its socket closes a moment later) gets an
    # answer it can act on (go to the login page) instead of a 401 in the console
    hub, session = hub_of(request), session_of(request)
    if session is None:
        return json_response({"todo": 0, "reading": 0, "unread": 0, "duty": 0, "signed_in": False})
    return json_response({**await badges(hub.store, hub.documents, session.actor), "signed_in": True})
