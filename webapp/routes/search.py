"""公文检索 in the web app: one search box, filters, hits with the matched words marked; and its JSON API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.items import Urgency
from hub.domain.permissions import Action
from hub.domain.search import Piece
from hub.errors import XietongError
from hub.services.search import SearchPage
from hub.store.search import Filters
from webapp.context import actor_of, hub_of, int_arg, json_body, json_response, render
from webapp.routing import api, page

PIECES = {"type": "array", "items": {"type": "object", "required": ["text", "hit"],
                                     "properties": {"text": {"type": "string"}, "hit": {"type": "boolean"}}}}
HIT = {"type": "object", "required": ["item_id", "title", "number", "sender", "at", "urgency", "title_marked", "snippet"],
       "properties": {"item_id": {"type": "integer"}, "title": {"type": "string"}, "number": {"type": "string"},
                      "sender": {"type": "string"}, "at": {"type": "string"}, "urgency": {"type": "string"},
                      "title_marked": PIECES, "snippet": PIECES}}
RESULT = {"type": "object", "required": ["q", "total", "page", "pages", "hits"],
          "properties": {"q": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
                         "pages": {"type": "integer"}, "hits": {"type": "array", "items": HIT}}}
PARAMS = tuple({"name": n, "in": "query", "required": False, "schema": s} for n, s in (
    ("q", {"type": "string"}), ("year", {"type": "integer", "minimum": 1}),
    ("urgency", {"type": "string", "enum": [u.value for u in Urgency]}), ("page", {"type": "integer", "minimum": 1})))


def _filters(request: web.Request) -> tuple[str, Filters, int]:
    q = request.query.get("q", "")
    year = request.query.get("year", "")
    urgency = request.query.get("urgency", "")
    if urgency and urgency not in {u.value for u in Urgency}:
        urgency = ""
    filters = Filters(year=int_arg(year, "year") if year else None, urgency=urgency)
    return q, filters, int_arg(request.query.get("page", "1") or "1", "page")


def _pieces(pieces: tuple[Piece, ...]) -> list[dict[str, Any]]:
    return [{"text": p.text, "hit": p.hit} for p in pieces]


@page("GET", "/search", action=Action.VIEW_ITEM)
async def search_page(request: web.Request) -> web.Response:
    q, filters, n = _filters(request)
    result: SearchPage | None = None
    if q.strip():
        result = await hub_of(request).search.search(actor_of(request), q, filters, n)
    return render(request, "search.html", q=q, filters=filters, result=result, urgencies=[u.value for u in Urgency])


@api("GET", "/api/search", action=Action.VIEW_ITEM, params=PARAMS, response=RESULT,
     summary="Full-text search of the documents the caller's unit sent or received (Chinese: any two characters)")
async def search_api(request: web.Request) -> web.Response:
    q, filters, n = _filters(request)
    return _answer(q, await hub_of(request).search.search(actor_of(request), q, filters, n))


def _answer(q: str, result: SearchPage) -> web.Response:
    return json_response({"q": q, "total": result.total, "page": result.page, "pages": result.pages, "hits": [
        {"item_id": h.doc.source_id, "title": h.doc.title, "number": h.doc.number, "sender": h.doc.sender,
         "at": h.doc.at, "urgency": h.doc.urgency, "title_marked": _pieces(h.title), "snippet": _pieces(h.snippet)}
        for h in result.hits]})


@api("POST", "/api/search", action=Action.VIEW_ITEM, response=RESULT,
     summary="The same search with the query in the body (a query longer than an address may carry)",
     body={"type": "object", "required": ["q"], "properties": {
         "q": {"type": "string"}, "year": {"type": "integer", "minimum": 1},
         "urgency": {"type": "string", "enum": [u.value for u in Urgency]}, "page": {"type": "integer", "minimum": 1}}})
async def search_api_post(request: web.Request) -> web.Response:
    body = await json_body(request)
    q, year, urgency = body.get("q", ""), body.get("year"), body.get("urgency", "")
    if not isinstance(q, str) or not isinstance(urgency, str):
        raise XietongError("input.invalid", field="q" if not isinstance(q, str) else "urgency")
    filters = Filters(year=int_arg(year, "year") if year is not None else None,
                      urgency=urgency if urgency in {u.value for u in Urgency} else "")
    n = int_arg(body.get("page", 1), "page")
    return _answer(q, await hub_of(request).search.search(actor_of(request), q, filters, n))
