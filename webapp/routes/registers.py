"""The registers of urgent items as spreadsheets: what the unit received (收文) and sent (发文).

Each takes the list page's filters (?state=&urgency=&q=), so what a clerk sees filtered is
what they export; one row per delivery (a sent item has one per recipient unit).
"""

from __future__ import annotations

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.items import Delivery, Item
from hub.domain.permissions import Action
from webapp.context import actor_of, hub_of, lang_of
from webapp.i18n import translate
from webapp.routes.items import list_filter
from webapp.routing import page
from webapp.xlsx import Cell, xlsx_response

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
