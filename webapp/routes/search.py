"""公文检索 in the web app: one search box, filters, hits with the matched words marked; and its JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from hub.domain.items import ItemKind, Urgency
from hub.domain.permissions import Action
from hub.domain.search import Piece
from hub.services.search import SearchPage
from hub.store.search import STATES, Filters
from webapp.context import actor_of, hub_of, int_arg, json_body, json_response, json_text, render
from webapp.routing import api, page

PIECES = {"type": "array", "items": {"type": "object", "required": ["text", "hit"],
                                     "properties": {"text": {"type": "string"}, "hit": {"type": "boolean"}}}}
HIT = {"type": "object", "required": ["item_id", "source", "url", "title", "number", "sender", "at", "urgency",
                                     "title_marked", "snippet"],
       "properties": {"item_id": {"type": "integer", "description": "the item's id, or the file's (source file)"},
                      "source": {"type": "string", "enum": ["item", "file"]}, "url": {"type": "string"},
                      "title": {"type": "string"}, "number": {"type": "string"},
                      "sender": {"type": "string"}, "at": {"type": "string"}, "urgency": {"type": "string"},
                      "title_marked": PIECES, "snippet": PIECES}}
RESULT = {"type": "object", "required": ["q", "total", "page", "pages", "hits"],
          "properties": {"q": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
                         "pages": {"type": "integer"}, "hits": {"type": "array", "items": HIT}}}
KINDS = [*(k.value for k in ItemKind), "file"]        # an item's kind, or a file uploaded into a cabinet
PARAMS = tuple({"name": n, "in": "query", "required": False, "schema": s} for n, s in (
    ("q", {"type": "string"}), ("year", {"type": "integer", "minimum": 1}),
    ("urgency", {"type": "string", "enum": [u.value for u in Urgency]}), ("kind", {"type": "string", "enum": KINDS}),
    ("sender", {"type": "integer", "minimum": 1, "description": "the sending unit's id"}),
    ("folder", {"type": "integer", "minimum": 1, "description": "only what is filed in this cabinet folder"}),
    ("state", {"type": "string", "enum": list(STATES), "description": "your unit's delivery: open, acked, returned"}),
    ("page", {"type": "integer", "minimum": 1})))


def filters_of(values: Mapping[str, Any]) -> Filters:
    """The filters a query string or JSON body names (an unknown urgency or kind: no filter)."""
    def number(name: str) -> int | None:
        value = values.get(name)
        return int_arg(value, name) if value not in (None, "") else None
    urgency, kind, state = (json_text(dict(values), k) for k in ("urgency", "kind", "state"))
    return Filters(year=number("year"), sender_unit_id=number("sender"), folder_id=number("folder"),
                   urgency=urgency if urgency in {u.value for u in Urgency} else "",
                   kind=kind if kind in KINDS else "", state=state if state in STATES else "")


def _filters(request: web.Request) -> tuple[str, Filters, int]:
    return (request.query.get("q", ""), filters_of(request.query),
            int_arg(request.query.get("page", "1") or "1", "page"))


def _pieces(pieces: tuple[Piece, ...]) -> list[dict[str, Any]]:
    return [{"text": p.text, "hit": p.hit} for p in pieces]


@page("GET", "/search", action=Action.VIEW_ITEM)
async def search_page(request: web.Request) -> web.Response:
    q, filters, n = _filters(request)
    result: SearchPage | None = None
    if q.strip():
        result = await hub_of(request).search.search(actor_of(request), q, filters, n)
    units = await hub_of(request).identity.units()
    return render(request, "search.html", q=q, filters=filters, result=result, urgencies=[u.value for u in Urgency],
                  kinds=KINDS, units=units, states=list(STATES), more=_more(filters))


def _more(filters: Filters) -> str:
    """The filters as the query string the page links carry on."""
    pairs = (("year", filters.year), ("urgency", filters.urgency), ("kind", filters.kind),
             ("sender", filters.sender_unit_id), ("folder", filters.folder_id), ("state", filters.state))
    return "".join(f"&{k}={v}" for k, v in pairs if v)


@api("GET", "/api/search", action=Action.VIEW_ITEM, params=PARAMS, response=RESULT,
     summary="Full-text search of the documents the caller's unit sent or received (Chinese: any two characters)")
async def search_api(request: web.Request) -> web.Response:
    q, filters, n = _filters(request)
    return _answer(q, await hub_of(request).search.search(actor_of(request), q, filters, n))


def _answer(q: str, result: SearchPage) -> web.Response:
    return json_response({"q": q, "total": result.total, "page": result.page, "pages": result.pages, "hits": [
        {"item_id": h.doc.source_id, "source": h.doc.source, "url": h.url, "title": h.doc.title, "number": h.doc.number, "sender": h.doc.sender,
         "at": h.doc.at, "urgency": h.doc.urgency, "title_marked": _pieces(h.title), "snippet": _pieces(h.snippet)}
        for h in result.hits]})


@api("POST", "/api/search", action=Action.VIEW_ITEM, response=RESULT,
     summary="The same search with the query in the body (a query longer than an address may carry)",
     body={"type": "object", "required": ["q"], "properties": {
         "q": {"type": "string"}, "year": {"type": "integer", "minimum": 1},
         "urgency": {"type": "string", "enum": [u.value for u in Urgency]}, "kind": {"type": "string", "enum": KINDS},
         "sender": {"type": "integer", "minimum": 1}, "folder": {"type": "integer", "minimum": 1},
         "state": {"type": "string", "enum": list(STATES)},
         "page": {"type": "integer", "minimum": 1}}})
async def search_api_post(request: web.Request) -> web.Response:
    body = await json_body(request)
    q = json_text(body, "q")
    filters = filters_of(body)
    n = int_arg(body.get("page", 1), "page")
    return _answer(q, await hub_of(request).search.search(actor_of(request), q, filters, n))
