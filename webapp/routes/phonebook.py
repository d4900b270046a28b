"""通讯录 (phone book): every unit's duty phone, its clerks and its leaders, one tap to call."""

from __future__ import annotations

from aiohttp import web

from hub.domain.permissions import Action
from hub.services.phonebook import phone_book, search_book
from webapp.context import actor_of, hub_of, json_response, lang_of, render
from webapp.i18n import translate
from webapp.routing import api, page
from webapp.xlsx import xlsx_response

CONTACT = {"type": "object", "required": ["name", "phone", "role"],
           "properties": {"name": {"type": "string"}, "phone": {"type": "string"},
                          "role": {"type": "string", "enum": ["clerk", "leader"]}}}
ENTRY = {"type": "object", "required": ["unit_id", "code", "name", "duty_phone", "people"],
         "properties": {"unit_id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
                        "duty_phone": {"type": "string"}, "people": {"type": "array", "items": CONTACT}}}


@page("GET", "/phonebook", action=Action.VIEW_UNITS)
async def phonebook_page(request: web.Request) -> web.Response:
    q = request.query.get("q", "")
    book = search_book(await phone_book(hub_of(request).store, actor_of(request)), q)
    return render(request, "phonebook.html", book=book, q=q)


@api("GET", "/api/phonebook", action=Action.VIEW_UNITS, params=({"name": "q", "in": "query", "required": False,
                                                                  "schema": {"type": "string"}},),
     summary="The phone book: units, duty phones, clerks, leaders (q: a name, or its pinyin or initials)",
     response={"type": "object", "required": ["units"], "properties": {"units": {"type": "array", "items": ENTRY}}})
async def phonebook_api(request: web.Request) -> web.Response:
    book = search_book(await phone_book(hub_of(request).store, actor_of(request)), request.query.get("q", ""))
    return json_response({"units": [
        {"unit_id": e.unit.id, "code": e.unit.code, "name": e.unit.name, "duty_phone": e.unit.duty_phone,
         "people": [{"name": p.name, "phone": p.phone, "role": p.role.value} for p in e.people]} for e in book]})


@page("GET", "/phonebook.xlsx", action=Action.VIEW_UNITS)
async def phonebook_export(request: web.Request) -> web.Response:
    """The phone book as a spreadsheet (A4, the header row on every page)."""
    lang = lang_of(request)
    book = await phone_book(hub_of(request).store, actor_of(request))
    duty = translate(lang, "phonebook.duty_phone")
    rows: list[list[str]] = []
    for e in book:
        if e.unit.duty_phone:
            rows.append([e.unit.name, duty, "", e.unit.duty_phone])
        rows += [[e.unit.name, translate(lang, f"role.{p.role.value}"), p.name, p.phone] for p in e.people]
    title = translate(lang, "phonebook.title")
    return xlsx_response(f"{title}.xlsx", title, [translate(lang, f"phonebook.col_{c}") for c in
                                                  ("unit", "role", "name", "phone")], rows, title, (28, 14, 12, 18))
