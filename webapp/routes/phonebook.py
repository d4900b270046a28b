"""通讯录 (phone book): every unit's duty phone, the entries its administrator keeps (job, office
phone, mobile), its clerks and its leaders; one tap to call, one to copy. A unit admin keeps their
unit's entries and duty phone on /phonebook/units/{unit_id} (every change in the audit log)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.permissions import Action
from hub.domain.phonebook import MAX_JOB, MAX_NAME, Entry, tel
from hub.errors import XietongError
from hub.services.phonebook import UnitContacts, phone_book, search_book
from webapp.context import (
    actor_of,
    hub_of,
    id_from_text,
    json_body,
    json_response,
    json_text,
    lang_of,
    path_id,
    refused,
    render,
)
from webapp.i18n import translate
from webapp.routing import api, page
from webapp.schemas import ID
from webapp.xlsx import xlsx_response

CONTACT = {"type": "object", "required": ["name", "phone", "role"],
           "properties": {"name": {"type": "string"}, "phone": {"type": "string"},
                          "role": {"type": "string", "enum": ["clerk", "leader"]}}}
ENTRY = {"type": "object", "required": ["id", "name", "job", "office_phone", "mobile"],
         "properties": {"id": ID, "name": {"type": "string"}, "job": {"type": "string"},
                        "office_phone": {"type": "string"}, "mobile": {"type": "string"},
                        "position": {"type": "integer"}}}
UNIT = {"type": "object", "required": ["unit_id", "code", "name", "duty_phone", "people", "entries"],
        "properties": {"unit_id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
                       "duty_phone": {"type": "string"}, "people": {"type": "array", "items": CONTACT},
                       "entries": {"type": "array", "items": ENTRY}}}
ENTRY_BODY = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": r"\S"},
    "job": {"type": "string", "maxLength": MAX_JOB}, "office_phone": {"type": "string", "maxLength": 40},
    "mobile": {"type": "string", "maxLength": 40}, "position": {"type": "integer", "minimum": 0, "maximum": 9999}}}


def entry_json(e: Entry) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "job": e.job, "office_phone": e.office_phone, "mobile": e.mobile,
            "position": e.position}


def unit_json(e: UnitContacts) -> dict[str, Any]:
    return {"unit_id": e.unit.id, "code": e.unit.code, "name": e.unit.name, "duty_phone": e.unit.duty_phone,
            "people": [{"name": p.name, "phone": p.phone, "role": p.role.value} for p in e.people],
            "entries": [entry_json(x) for x in e.entries]}


@page("GET", "/phonebook", action=Action.VIEW_UNITS)
async def phonebook_page(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    q = request.query.get("q", "")
    book = search_book(await phone_book(hub.store, actor), q)
    return render(request, "phonebook.html", book=book, q=q, tel=tel,
                  may_keep=hub.phonebook.may_keep(actor, actor.unit_id))


@api("GET", "/api/phonebook", action=Action.VIEW_UNITS, params=({"name": "q", "in": "query", "required": False,
                                                                  "schema": {"type": "string"}},),
     summary="The phone book: units, duty phones, the entries their admins keep (job, office phone, mobile), "
             "clerks, leaders (q: a name or job, or a name's pinyin or initials)",
     response={"type": "object", "required": ["units"], "properties": {"units": {"type": "array", "items": UNIT}}})
async def phonebook_api(request: web.Request) -> web.Response:
    book = search_book(await phone_book(hub_of(request).store, actor_of(request)), request.query.get("q", ""))
    return json_response({"units": [unit_json(e) for e in book]})


@page("GET", "/phonebook.xlsx", action=Action.VIEW_UNITS)
async def phonebook_export(request: web.Request) -> web.Response:
    """The phone book as a spreadsheet (A4, the header row on every page)."""
    lang = lang_of(request)
    book = await phone_book(hub_of(request).store, actor_of(request))
    duty = translate(lang, "phonebook.duty_phone")
    rows: list[list[str]] = []
    for e in book:
        if e.unit.duty_phone:
            rows.append([e.unit.name, duty, "", e.unit.duty_phone, ""])
        rows += [[e.unit.name, x.job, x.name, x.office_phone, x.mobile] for x in e.entries]
        rows += [[e.unit.name, translate(lang, f"role.{p.role.value}"), p.name, "", p.phone] for p in e.people]
    title = translate(lang, "phonebook.title")
    return xlsx_response(f"{title}.xlsx", title, [translate(lang, f"phonebook.col_{c}") for c in
                                                  ("unit", "role", "name", "phone", "mobile")], rows, title,
                         (28, 16, 12, 20, 18))


# --- the unit admin keeps their unit's entries ----------------------------------------------------

async def _unit_entries(request: web.Request, unit_id: int) -> UnitContacts:
    hub, actor = hub_of(request), actor_of(request)
    if not hub.phonebook.may_keep(actor, unit_id):
        raise XietongError("perm.denied")
    book = await phone_book(hub.store, actor)
    found = next((e for e in book if e.unit.id == unit_id), None)
    if found is None:
        raise XietongError("unit.not_found")
    return found


async def keep_page(request: web.Request, unit_id: int, error: str | None = None, status: int = 200) -> web.Response:
    return render(request, "phonebook_keep.html", status=status, e=await _unit_entries(request, unit_id),
                  error=error, done=request.query.get("done", ""), max_name=MAX_NAME, max_job=MAX_JOB)


@page("GET", "/phonebook/units/{unit_id}", action=Action.KEEP_PHONEBOOK)
async def keep_get(request: web.Request) -> web.Response:
    return await keep_page(request, path_id(request, "unit_id"))


def _position(text: str) -> int:
    n = id_from_text(text or "100", lowest=0)
    if n is None:
        raise XietongError("input.invalid", field="position")
    return n


@page("POST", "/phonebook/units/{unit_id}/{move}", action=Action.KEEP_PHONEBOOK)
async def keep_post(request: web.Request) -> web.StreamResponse:
    """add / update (entry_id) / delete (entry_id) an entry, or set the duty phone."""
    hub, actor = hub_of(request), actor_of(request)
    unit_id, move = path_id(request, "unit_id"), request.match_info["move"]
    form = {k: str(v) for k, v in (await request.post()).items()}
    args = (form.get("name", ""), form.get("job", ""), form.get("office_phone", ""), form.get("mobile", ""))
    try:
        if move == "add":
            await hub.phonebook.add(actor, unit_id, *args, _position(form.get("position", "")))
        elif move in ("update", "delete"):
            entry = id_from_text(form.get("entry_id", ""))
            if entry is None:
                raise XietongError("phonebook.not_found")
            if move == "update":
                await hub.phonebook.update(actor, entry, *args, _position(form.get("position", "")), unit_id=unit_id)
            else:
                await hub.phonebook.delete(actor, entry, unit_id=unit_id)
        elif move == "duty":
            await hub.phonebook.set_duty_phone(actor, unit_id, form.get("duty_phone", ""))
        else:
            raise XietongError("not_found")
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await keep_page(request, unit_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/phonebook/units/{unit_id}?done={move}")


def _fields(body: dict[str, Any]) -> tuple[str, str, str, str, int]:
    position = body.get("position", 100)
    if type(position) is not int:
        raise XietongError("input.invalid", field="position")
    return (json_text(body, "name"), json_text(body, "job"), json_text(body, "office_phone"),
            json_text(body, "mobile"), position)


_ENTRY_ANSWER = {"type": "object", "required": ["entry"], "properties": {"entry": ENTRY}}


@api("POST", "/api/phonebook/units/{unit_id}/entries", action=Action.KEEP_PHONEBOOK, body=ENTRY_BODY,
     response=_ENTRY_ANSWER, summary="Add an entry to your unit's phone book (unit admin; audited)")
async def api_add(request: web.Request) -> web.Response:
    entry = await hub_of(request).phonebook.add(actor_of(request), path_id(request, "unit_id"),
                                                *_fields(await json_body(request)))
    return json_response({"entry": entry_json(entry)})


@api("POST", "/api/phonebook/entries/{entry_id}", action=Action.KEEP_PHONEBOOK, body=ENTRY_BODY,
     response=_ENTRY_ANSWER, summary="Change an entry of your unit's phone book (unit admin; audited with what it was)")
async def api_update(request: web.Request) -> web.Response:
    entry = await hub_of(request).phonebook.update(actor_of(request), path_id(request, "entry_id"),
                                                   *_fields(await json_body(request)))
    return json_response({"entry": entry_json(entry)})


@api("POST", "/api/phonebook/entries/{entry_id}/delete", action=Action.KEEP_PHONEBOOK, response=_ENTRY_ANSWER,
     summary="Delete an entry of your unit's phone book (unit admin; audited)")
async def api_delete(request: web.Request) -> web.Response:
    entry = await hub_of(request).phonebook.delete(actor_of(request), path_id(request, "entry_id"))
    return json_response({"entry": entry_json(entry)})


@api("POST", "/api/phonebook/units/{unit_id}/duty-phone", action=Action.KEEP_PHONEBOOK,
     body={"type": "object", "required": ["duty_phone"], "properties": {"duty_phone": {"type": "string",
                                                                                       "maxLength": 40}}},
     response={"type": "object", "required": ["duty_phone"], "properties": {"duty_phone": {"type": "string"}}},
     summary="Set your unit's duty phone (值班电话; empty: none)")
async def api_duty(request: web.Request) -> web.Response:
    body = await json_body(request)
    phone = body.get("duty_phone")
    if not isinstance(phone, str):
        raise XietongError("input.invalid", field="duty_phone")
    done = await hub_of(request).phonebook.set_duty_phone(actor_of(request), path_id(request, "unit_id"), phone)
    return json_response({"duty_phone": done})
