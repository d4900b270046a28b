"""The registers: the unit's 收文登记簿 and 发文登记簿 of a year (/registers/incoming, /registers/outgoing:
sortable, filterable, 100 a page, printable on A4 landscape, exported whole as .xlsx and CSV, and as
JSON), and the urgent items' inbox and sent list as spreadsheets (/inbox.xlsx, /sent.xlsx).

The urgent items' exports take the list page's filters (?state=&urgency=&q=), so what a clerk sees
filtered is what they export; one row per delivery (a sent item has one per recipient unit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.items import Delivery, Item
from hub.domain.permissions import Action
from hub.domain.registers import (
    FIRST_YEAR,
    INCOMING_STATES,
    LAST_YEAR,
    MAX_WORDS,
    OUTGOING_STATES,
    PAGE_SIZE,
    SORTS,
    STATES,
    URGENCIES,
    Book,
    RegisterQuery,
    parse_query,
)
from hub.errors import XietongError
from hub.services.registers import Register
from webapp.context import actor_of, hub_of, json_response, lang_of, refused, render
from webapp.csvfile import csv_bytes, csv_download
from webapp.i18n import translate
from webapp.routes.items import list_filter
from webapp.routing import api, page
from webapp.xlsx import Cell, xlsx_bytes, xlsx_download, xlsx_response

COLUMNS = ("issued_at", "urgency", "kind", "title", "doc_number", "unit", "role", "state", "acked_at",
           "receipt_no", "due_at", "chases")
WIDTHS = (16, 8, 10, 40, 20, 20, 8, 12, 16, 18, 16, 8)


def _row(lang: str, item: Item, d: Delivery, unit_name: str) -> list[Cell]:
    return [item.issued_at, translate(lang, f"urgency.{item.urgency.value}"),
            translate(lang, f"kind.{item.kind.value}"), item.title, item.doc_number, unit_name,
            translate(lang, f"recipient.{d.role.value}"), translate(lang, f"state.{d.state.value}"),
            d.acked_at, d.receipt_no or "", d.due_at, d.chases]


def _export(request: web.Request, which: str, rows: list[list[Cell]]) -> web.Response:
    lang = lang_of(request)
    title = translate(lang, f"register.{which}")
    stamp = hub_of(request).clock.now().astimezone(CST).strftime("%Y%m%d-%H%M")
    headers = [translate(lang, f"register.col_{c}" if which == "inbox" or c != "unit" else "register.col_to")
               for c in COLUMNS]
    return xlsx_response(f"{title}-{stamp}.xlsx", title, headers, rows, title=title, widths=WIDTHS)


@page("GET", "/inbox.xlsx", action=Action.VIEW_ITEM)
async def inbox_export(request: web.Request) -> web.Response:
    """收文登记簿: the inbox as filtered, with the sending unit."""
    lang = lang_of(request)
    entries = await hub_of(request).items.inbox(actor_of(request), list_filter(request))
    return _export(request, "inbox", [_row(lang, e.item, e.delivery, e.sender.name) for e in entries])


@page("GET", "/sent.xlsx", action=Action.VIEW_ITEM)
async def sent_export(request: web.Request) -> web.Response:
    """发文登记簿 of urgent items: each sent item once per recipient unit."""
    hub, lang = hub_of(request), lang_of(request)
    rows = await hub.items.sent(actor_of(request), list_filter(request))
    names = {u.id: u.name for u in await hub.identity.units()}
    return _export(request, "sent", [_row(lang, item, d, names.get(d.unit_id, "")) for item, ds in rows for d in ds])


# -- the 收文登记簿 and the 发文登记簿 of a unit and year: page, print, .xlsx, CSV, JSON ---------

def _day(when: datetime | None) -> str:
    return when.astimezone(CST).strftime("%Y-%m-%d") if when else ""


def _minute(when: datetime | None) -> str:
    return when.astimezone(CST).strftime("%Y-%m-%d %H:%M") if when else ""


@dataclass(frozen=True)
class Column:
    key: str            # the i18n key under registers.<book>_col, and the sort name when sortable
    width: int          # in the spreadsheet
    sortable: bool = True
    nowrap: bool = False   # numbers and dates stay on one line


BOOK_COLUMNS = {
    Book.INCOMING: (Column("number", 11, nowrap=True), Column("received", 11, nowrap=True), Column("from", 22), Column("from_number", 18),
                    Column("title", 40), Column("kind", 8), Column("urgency", 8), Column("copies", 6),
                    Column("pages", 6), Column("deadline", 16), Column("handler", 16), Column("state", 10),
                    Column("closed", 12)),
    Book.OUTGOING: (Column("number", 20, nowrap=True), Column("title", 40), Column("kind", 8), Column("urgency", 8),
                    Column("signer", 10), Column("signed", 12, nowrap=True), Column("main", 24, False), Column("copy", 20, False),
                    Column("state", 12), Column("sealed", 16), Column("dispatched", 16)),
}


def _state_label(lang: str, book: Book, state: str) -> str:
    return translate(lang, f"incstate.{state}" if book is Book.INCOMING else f"docstate.{state}")


def book_rows(lang: str, reg: Register, for_sheet: bool) -> list[list[Cell]]:
    """The register's rows, cell by cell in BOOK_COLUMNS' order: times as times for a spreadsheet
    (it formats them), as Beijing-time text for the page."""
    names = reg.unit_names
    when: Callable[[datetime | None], Cell] = (lambda t: t) if for_sheet else _minute

    def units(ids: tuple[int, ...]) -> str:
        return "、".join(names.get(u, "") for u in ids)
    if reg.query.book is Book.INCOMING:
        return [[i.number, i.received_on.isoformat(), i.from_unit, i.from_number, i.title, i.doc_kind,
                 translate(lang, f"urgency.{i.urgency}"), i.copies, i.pages, when(i.deadline),
                 names.get(i.lead_unit_id, "") if i.lead_unit_id else "", _state_label(lang, Book.INCOMING, i.state),
                 _day(i.closed_at)] for i in reg.incoming]
    return [[e.doc_number, e.title, e.doc_kind, translate(lang, f"urgency.{e.urgency}"), e.signer_name,
             _day(e.signed_at), units(e.main_units), units(e.copy_units), _state_label(lang, Book.OUTGOING, e.state),
             when(e.sealed_at), when(e.dispatched_at)] for e in reg.outgoing]


def _headers(lang: str, book: Book) -> list[str]:
    return [translate(lang, f"registers.{book.value}_col.{c.key}") for c in BOOK_COLUMNS[book]]


def _query(request: web.Request, book: Book) -> RegisterQuery:
    return parse_query(book, request.query, hub_of(request).clock.now().astimezone(CST).date())


def book_title(lang: str, reg: Register) -> str:
    book = translate(lang, f"registers.{reg.query.book.value}")
    return translate(lang, "registers.title_of", unit=reg.unit_name, book=book, year=reg.query.year)


def _period(lang: str, q: RegisterQuery) -> str:
    if not q.date_from and not q.date_to:
        return translate(lang, "registers.period_year", year=q.year)
    return translate(lang, f"registers.period_{q.book.value}",
                     date_from=q.date_from.isoformat() if q.date_from else "…",
                     date_to=q.date_to.isoformat() if q.date_to else "…")


FORM_FIELDS = ("year", "urgency", "date_from", "date_to", "state", "handler", "to", "from", "q", "sort", "desc")


def _form(values: Mapping[str, str]) -> dict[str, str]:
    return {k: str(values.get(k, "")) for k in FORM_FIELDS}


async def _book_page(request: web.Request, book: Book) -> web.Response:
    hub, lang = hub_of(request), lang_of(request)
    common: dict[str, Any] = {"book": book.value, "columns": BOOK_COLUMNS[book], "urgencies": URGENCIES,
                              "states": STATES[book], "now": hub.clock.now()}
    try:
        query = _query(request, book)
    except XietongError as err:
        # the form keeps what was typed, so the wrong field can be put right
        return render(request, "register.html", status=err.status, error=refused(request, err), code=err.code,
                      reg=None, form=_form(request.query), years=[hub.registers.today_year()], rows=[],
                      title=translate(lang, f"registers.{book.value}"), period="", printing=False, links={},
                      **common)
    printing = request.query.get("print") == "1"
    reg = await hub.registers.register(actor_of(request), query, whole=printing)
    here, export = f"/registers/{book.value}", urlencode(query.params(page=1))
    links = {"xlsx": f"{here}.xlsx?{export}", "csv": f"{here}.csv?{export}", "back": f"{here}?{export}",
             "print": f"{here}?{urlencode({**query.params(page=1), 'print': '1'})}",
             "sort": {c.key: f"{here}?{urlencode(query.sorted_by(c.key))}" for c in BOOK_COLUMNS[book]},
             "prev": f"{here}?{urlencode(query.params(page=query.page - 1))}" if query.page > 1 else "",
             "next": f"{here}?{urlencode(query.params(page=query.page + 1))}" if query.page < reg.pages else ""}
    return render(request, "register.html", error=None, code="", reg=reg, form=_form(query.params()),
                  years=reg.years, rows=_page_rows(lang, reg),
                  title=book_title(lang, reg), period=_period(lang, query), printing=printing, links=links,
                  **common)


def _page_rows(lang: str, reg: Register) -> list[tuple[str, Cell, list[tuple[bool, Cell]]]]:
    """Each row as the page shows it: the record's link, its number, and the other cells with
    whether they stay on one line (worked out here: a 100-row page renders quickly)."""
    nowrap = [c.nowrap for c in BOOK_COLUMNS[reg.query.book]][1:]
    return [(href, cells[0], list(zip(nowrap, cells[1:])))
            for href, cells in zip(_row_links(reg), book_rows(lang, reg, for_sheet=False))]


def _row_links(reg: Register) -> list[str]:
    if reg.query.book is Book.INCOMING:
        return [f"/incoming/{i.id}" for i in reg.incoming]
    return [f"/documents/{e.id}" for e in reg.outgoing]


async def _book_file(request: web.Request, book: Book, kind: str) -> web.Response:
    hub, lang = hub_of(request), lang_of(request)
    reg = await hub.registers.register(actor_of(request), _query(request, book), whole=True)
    title = book_title(lang, reg)
    name = f"{translate(lang, f'registers.{book.value}')}-{reg.query.year}"
    rows = book_rows(lang, reg, for_sheet=True)
    # a whole year's register is seconds of work: made in a thread, so the server answers others meanwhile
    if kind == "csv":
        return csv_download(f"{name}.csv", await asyncio.to_thread(csv_bytes, _headers(lang, book), rows))
    body = await asyncio.to_thread(xlsx_bytes, translate(lang, f"registers.{book.value}"), _headers(lang, book),
                                   rows, f"{title} · {_period(lang, reg.query)}", [c.width for c in BOOK_COLUMNS[book]])
    return xlsx_download(f"{name}.xlsx", body)


@page("GET", "/registers/incoming", action=Action.VIEW_INCOMING)
async def incoming_book(request: web.Request) -> web.Response:
    """收文登记簿: the unit's received documents of a year, sortable, filterable, 100 a page (?print=1: all)."""
    return await _book_page(request, Book.INCOMING)


@page("GET", "/registers/incoming.xlsx", action=Action.VIEW_INCOMING)
async def incoming_book_xlsx(request: web.Request) -> web.Response:
    return await _book_file(request, Book.INCOMING, "xlsx")


@page("GET", "/registers/incoming.csv", action=Action.VIEW_INCOMING)
async def incoming_book_csv(request: web.Request) -> web.Response:
    return await _book_file(request, Book.INCOMING, "csv")


@page("GET", "/registers/outgoing", action=Action.VIEW_INCOMING)
async def outgoing_book(request: web.Request) -> web.Response:
    """发文登记簿: the unit's numbered outgoing documents of a year (from 登记 on)."""
    return await _book_page(request, Book.OUTGOING)


@page("GET", "/registers/outgoing.xlsx", action=Action.VIEW_INCOMING)
async def outgoing_book_xlsx(request: web.Request) -> web.Response:
    return await _book_file(request, Book.OUTGOING, "xlsx")


@page("GET", "/registers/outgoing.csv", action=Action.VIEW_INCOMING)
async def outgoing_book_csv(request: web.Request) -> web.Response:
    return await _book_file(request, Book.OUTGOING, "csv")


# -- JSON API ---------------------------------------------------------------------------------

def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _unit_refs(reg: Register, ids: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"id": u, "name": reg.unit_names.get(u, "")} for u in ids]


def book_json(reg: Register) -> dict[str, Any]:
    q = reg.query
    rows: list[dict[str, Any]]
    if q.book is Book.INCOMING:
        rows = [{"id": i.id, "number": i.number, "received_on": i.received_on.isoformat(), "from_unit": i.from_unit,
                 "from_number": i.from_number, "title": i.title, "doc_kind": i.doc_kind, "urgency": i.urgency,
                 "copies": i.copies, "pages": i.pages, "deadline": _iso(i.deadline), "lead_unit_id": i.lead_unit_id,
                 "lead_unit": reg.unit_names.get(i.lead_unit_id, "") if i.lead_unit_id else "", "state": i.state,
                 "closed_at": _iso(i.closed_at)} for i in reg.incoming]
    else:
        rows = [{"id": e.id, "doc_number": e.doc_number, "title": e.title, "doc_kind": e.doc_kind,
                 "urgency": e.urgency, "signer": e.signer_name, "signed_at": _iso(e.signed_at),
                 "main_units": _unit_refs(reg, e.main_units), "copy_units": _unit_refs(reg, e.copy_units),
                 "state": e.state, "sealed_at": _iso(e.sealed_at), "dispatched_at": _iso(e.dispatched_at)}
                for e in reg.outgoing]
    return {"book": q.book.value, "unit": reg.unit_name, "year": q.year, "total": reg.total, "page": q.page,
            "pages": reg.pages, "page_size": PAGE_SIZE, "rows": rows}


def _params(book: Book) -> tuple[dict[str, Any], ...]:
    def p(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    date_of = "收文日期 (date received)" if book is Book.INCOMING else "签发日期 (date signed)"
    unit = (p("handler", {"type": "integer", "minimum": 1}, "the lead unit (主办)") if book is Book.INCOMING else
            p("to", {"type": "integer", "minimum": 1}, "a main or copy recipient unit"))
    own = ((p("from", {"type": "string", "maxLength": MAX_WORDS}, "the sending unit (来文单位) contains"),)
           if book is Book.INCOMING else ())
    return (p("year", {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}, "the register's year; "
              "this year if not given"),
            p("urgency", {"enum": list(URGENCIES)}, "the urgency"),
            p("state", {"enum": list(STATES[book])}, "the state"), *own, unit,
            p("q", {"type": "string", "maxLength": MAX_WORDS}, "the title or the document number contains"),
            p("date_from", {"type": "string", "format": "date"}, f"{date_of} from (YYYY-MM-DD, included)"),
            p("date_to", {"type": "string", "format": "date"}, f"{date_of} to (YYYY-MM-DD, included)"),
            p("sort", {"enum": list(SORTS[book])}, "the column to sort by (default: number)"),
            p("desc", {"enum": ["0", "1"]}, "1: descending"),
            p("page", {"type": "integer", "minimum": 1}, f"the page, {PAGE_SIZE} rows each"))


_STR = {"type": "string"}
_OPT_TIME = {"type": ["string", "null"], "description": "ISO 8601, UTC"}
_UNIT_REF = {"type": "object", "required": ["id", "name"],
             "properties": {"id": {"type": "integer"}, "name": _STR}}
_IN_ROW = {"type": "object", "required": ["id", "number", "received_on", "from_unit", "title", "urgency", "deadline",
                                          "lead_unit_id", "state", "closed_at"],
           "properties": {"id": {"type": "integer"}, "number": _STR, "received_on": {"type": "string", "format": "date"},
                          "from_unit": _STR, "from_number": _STR, "title": _STR, "doc_kind": _STR,
                          "urgency": {"enum": list(URGENCIES)}, "copies": {"type": "integer"},
                          "pages": {"type": "integer"}, "deadline": _OPT_TIME,
                          "lead_unit_id": {"type": ["integer", "null"]}, "lead_unit": _STR,
                          "state": {"enum": list(INCOMING_STATES)}, "closed_at": _OPT_TIME}}
_OUT_ROW = {"type": "object", "required": ["id", "doc_number", "title", "urgency", "signed_at", "main_units",
                                           "copy_units", "state", "sealed_at", "dispatched_at"],
            "properties": {"id": {"type": "integer"}, "doc_number": _STR, "title": _STR, "doc_kind": _STR,
                           "urgency": _STR, "signer": _STR, "signed_at": _OPT_TIME,
                           "main_units": {"type": "array", "items": _UNIT_REF},
                           "copy_units": {"type": "array", "items": _UNIT_REF},
                           "state": {"enum": list(OUTGOING_STATES)}, "sealed_at": _OPT_TIME,
                           "dispatched_at": _OPT_TIME}}


def _book_schema(book: Book) -> dict[str, Any]:
    return {"type": "object", "required": ["book", "unit", "year", "total", "page", "pages", "page_size", "rows"],
            "properties": {"book": {"enum": [book.value]}, "unit": _STR, "year": {"type": "integer"},
                           "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
                           "page_size": {"type": "integer"},
                           "rows": {"type": "array", "items": _IN_ROW if book is Book.INCOMING else _OUT_ROW}}}


@api("GET", "/api/registers/incoming", action=Action.VIEW_INCOMING, params=_params(Book.INCOMING),
     summary="收文登记簿: a page of your unit's received documents of a year, filtered and sorted",
     response=_book_schema(Book.INCOMING))
async def incoming_book_json(request: web.Request) -> web.Response:
    reg = await hub_of(request).registers.register(actor_of(request), _query(request, Book.INCOMING))
    return json_response(book_json(reg))


@api("GET", "/api/registers/outgoing", action=Action.VIEW_INCOMING, params=_params(Book.OUTGOING),
     summary="发文登记簿: a page of your unit's numbered outgoing documents of a year, filtered and sorted",
     response=_book_schema(Book.OUTGOING))
async def outgoing_book_json(request: web.Request) -> web.Response:
    reg = await hub_of(request).registers.register(actor_of(request), _query(request, Book.OUTGOING))
    return json_response(book_json(reg))
