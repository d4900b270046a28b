"""Urgent items in the web app: issue, inbox, sent, the item page, sign for, return, attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.domain.cabinet import Source
from hub.domain.calendar import CST
from hub.domain.item_filters import ListFilter, parse_filter
from hub.domain.items import DOC_KINDS, Attachment, DeliveryState, ItemDraft, ItemKind, Urgency
from hub.domain.permissions import Action, can
from hub.domain.recipient_groups import apply_pick
from hub.domain.search import Piece, marked, parse_query
from hub.errors import XietongError
from hub.services.items import Attendee
from webapp.context import (
    actor_of,
    file_download,
    hub_of,
    id_from_text,
    int_arg,
    lang_of,
    path_id,
    refused,
    render,
    upload_name,
)
from webapp.i18n import translate
from webapp.routes.cabinet import cabinet_panel
from webapp.routing import page

FORM_FIELDS = ("kind", "urgency", "title", "body", "doc_number", "doc_kind", "issuing_office", "doc_date",
               "meeting_at", "meeting_place")


def parse_local_time(text: str) -> datetime | None:
    """A `datetime-local` field, read as Beijing time."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=CST)
    except ValueError:
        raise XietongError("input.invalid", field="meeting_at") from None


def unit_list(values: list[str], field: str) -> tuple[int, ...]:
    ids = [id_from_text(v) for v in values if v]
    if None in ids:
        raise XietongError("input.invalid", field=field)
    return tuple(dict.fromkeys(n for n in ids if n is not None))


def parse_attendees(text: str) -> list[Attendee]:
    """One person a line: a name, optionally followed by a mobile number."""
    from hub.domain.identity import normalize_phone
    people = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        phone = normalize_phone(parts[-1]) if len(parts) > 1 and parts[-1].lstrip("+").isdigit() else ""
        name = " ".join(parts[:-1] if phone else parts)
        people.append(Attendee(name, phone))
    return people


async def draft_from_form(request: web.Request) -> tuple[ItemDraft, dict[str, str]]:
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in FORM_FIELDS}
    try:
        kind, urgency = ItemKind(values["kind"]), Urgency(values["urgency"])
    except ValueError:
        raise XietongError("item.bad_kind") from None
    files = []
    for f in form.getall("attachments", []):
        if isinstance(f, web.FileField) and f.filename:
            files.append(Attachment(upload_name(f.filename), f.file.read(),
                                    f.content_type or "application/octet-stream"))
    draft = ItemDraft(
        kind=kind, urgency=urgency, title=values["title"], body=values["body"],
        main_units=unit_list([str(v) for v in form.getall("main_units", [])], "main_units"),
        copy_units=unit_list([str(v) for v in form.getall("copy_units", [])], "copy_units"),
        doc_number=values["doc_number"], doc_kind=values["doc_kind"], issuing_office=values["issuing_office"],
        doc_date=values["doc_date"], meeting_at=parse_local_time(values["meeting_at"]),
        meeting_place=values["meeting_place"], attachments=tuple(files))
    return draft, values


async def new_item_page(request: web.Request, values: dict[str, Any] | None = None, error: str | None = None,
                        main: tuple[int, ...] = (), copy: tuple[int, ...] = (), status: int = 200,
                        notice: str | None = None) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    groups = await hub.recipient_groups.choices(actor)      # the units one may send to, and the groups
    defaults = dict.fromkeys(FORM_FIELDS, "") | {"kind": "document", "urgency": "extra_urgent"}
    return render(request, "item_new.html", status=status, units=groups.units, groups=groups,
                  doc_kinds=DOC_KINDS, kinds=[k.value for k in ItemKind], urgencies=[u.value for u in Urgency],
                  form=defaults | (values or {}), main=set(main), copy=set(copy), error=error, notice=notice,
                  limit_mb=hub.config.items.attachment_limit_kib // 1024,
                  can_call_meeting=can(actor, Action.MANAGE_MEETINGS, actor.unit_id))


async def pick_recipients(request: web.Request, pick: str) -> web.Response:
    """The issue form's quick-select buttons without script: 全选 / 全不选 / a group ticks the main
    recipients, 存为单位组 saves them as a group, × deletes one; the form comes back as it was typed
    (files must be chosen again). With script the page does this at once, and through the JSON API."""
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    values = {k: str(form.get(k, "")) for k in FORM_FIELDS}
    lang = lang_of(request)
    main = unit_list([str(v) for v in form.getall("main_units", [])], "main_units")
    copy = unit_list([str(v) for v in form.getall("copy_units", [])], "copy_units")
    notice = None
    try:
        if pick == "save":
            group = await hub.recipient_groups.save(actor, str(form.get("group_name", "")), main)
            notice = translate(lang, "groups.saved_done", name=group.name)
        elif pick.startswith("delete-"):
            group = await hub.recipient_groups.delete(actor, id_from_text(pick[7:]) or 0)
            notice = translate(lang, "groups.deleted_done", name=group.name)
        else:
            groups = await hub.recipient_groups.choices(actor)
            main, choice = apply_pick(main, pick, groups.all, [u.id for u in groups.units])
            if choice is not None:
                name = choice.name or translate(lang, "groups." + choice.key)
                notice = translate(lang, "groups.picked", name=name)
    except XietongError as err:
        return await new_item_page(request, values, err.message(lang), main, copy, status=err.status)
    copy = tuple(u for u in copy if u not in main)
    return await new_item_page(request, values, None, main, copy, notice=notice)


@page("GET", "/items/new", action=Action.ISSUE_ITEM)
async def new_item(request: web.Request) -> web.Response:
    return await new_item_page(request)


@page("POST", "/items", action=Action.ISSUE_ITEM)
async def issue_item(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    values: dict[str, str] = {}
    draft = None
    pick = str((await request.post()).get("pick", ""))
    if pick:                       # a quick-select button of the form, not 立即发送
        return await pick_recipients(request, pick)
    try:
        draft, values = await draft_from_form(request)
        item = await hub.items.issue(actor, draft)
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await new_item_page(request, values, refused(request, err),
                                   draft.main_units if draft else (), draft.copy_units if draft else (),
                                   status=err.status)
    raise web.HTTPSeeOther(f"/items/{item.id}")


def list_filter(request: web.Request) -> ListFilter:
    """?state=&urgency=&q= of the inbox and the sent list (GET forms: a filtered list is a bookmark)."""
    q = request.query
    return parse_filter(q.get("state", ""), q.get("urgency", ""), q.get("q", ""))


@page("GET", "/inbox", action=Action.VIEW_ITEM)
async def inbox(request: web.Request) -> web.Response:
    only = list_filter(request)
    entries = await hub_of(request).items.inbox(actor_of(request), only)
    return render(request, "inbox.html", entries=entries, now=hub_of(request).clock.now(), only=only,
                  urgencies=[u.value for u in Urgency], export=_export_href(request, "/inbox.xlsx"))


@page("GET", "/sent", action=Action.VIEW_ITEM)
async def sent(request: web.Request) -> web.Response:
    only = list_filter(request)
    rows = await hub_of(request).items.sent(actor_of(request), only)
    return render(request, "sent.html", rows=rows, only=only, urgencies=[u.value for u in Urgency],
                  export=_export_href(request, "/sent.xlsx"))


def _export_href(request: web.Request, path: str) -> str:
    """The list's spreadsheet, with the filters the list was shown with."""
    return f"{path}?{request.query_string}" if request.query_string else path


async def item_page(request: web.Request, item_id: int, error: str | None = None, status: int = 200) -> web.Response:
    hub = hub_of(request)
    actor = actor_of(request)
    view = await hub.items.view(actor, item_id)
    can_instruct = view.mine is not None and can(actor, Action.SIGN_DOCUMENT, view.mine.unit_id)
    # the sender's view: how many units the one "提醒未签收单位" button would remind
    unsigned = sum(1 for r in view.recipients if r.delivery.is_open) if (
        view.is_sender and can(actor, Action.ISSUE_ITEM, view.item.sender_unit_id)) else 0
    reminded = request.query.get("reminded", "")
    # 收文: the unit's signed-for delivery links to its record, or offers to register it (登记)
    registered = await hub.incoming.of_delivery(actor, view.mine.id) if view.mine else None
    may_register = (view.mine is not None and view.mine.state is DeliveryState.ACKED and registered is None
                    and can(actor, Action.REGISTER_INCOMING, view.mine.unit_id))
    return render(request, "item.html", status=status, view=view, error=error, now=hub.clock.now(),
                  can_instruct=can_instruct, stamp=await hub.seals.stamp_of_item(actor, item_id),
                  unsigned=unsigned, reminded=int(reminded) if reminded.isdigit() else None,
                  registered=registered, may_register=may_register,
                  meeting=await hub.meetings.of_item(actor, item_id) if view.item.kind is ItemKind.MEETING_NOTICE
                  else None, answers=await hub.reports.of_answer_item(actor, item_id),   # a 批复: its 请示
                  marked_body=_marked(view.item.body, request.query.get("hl", "")),     # opened from a search hit
                  **await cabinet_panel(request, Source.ITEM, item_id))                  # 归档


@page("GET", "/items/{item_id}", action=Action.VIEW_ITEM)
async def show_item(request: web.Request) -> web.Response:
    return await item_page(request, int_arg(request.match_info["item_id"], "item_id"))


@page("POST", "/items/{item_id}/remind", action=Action.ISSUE_ITEM)
async def remind_unsigned(request: web.Request) -> web.StreamResponse:
    """提醒未签收单位 (after the page's confirmation): then the item page says how many were reminded."""
    hub, actor = hub_of(request), actor_of(request)
    item_id = path_id(request, "item_id")
    try:
        reminded = await hub.chase.remind_unsigned(actor, item_id)
    except XietongError as err:
        if err.code in ("perm.denied", "item.not_found"):
            raise
        return await item_page(request, item_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/items/{item_id}?reminded={len(reminded)}#chase")


async def _handle(request: web.Request, op: str) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    delivery_id = path_id(request, "delivery_id")
    form = await request.post()
    item_id = id_from_text(str(form.get("item_id", "")))    # the page to answer on; none: errors as a page
    try:
        if op == "ack":      # a retry after a lost answer is answered like the first time (same receipt)
            done = await hub.items.acknowledge(actor, delivery_id,
                                               attendees=parse_attendees(str(form.get("attendees", ""))))
        else:
            done = await hub.items.return_item(actor, delivery_id, str(form.get("reason", "")))
    except XietongError as err:
        if err.code in ("perm.denied", "item.not_found") or item_id is None:
            raise
        return await item_page(request, item_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/items/{done.item_id}")


@page("POST", "/deliveries/{delivery_id}/ack", action=Action.HANDLE_DELIVERY)
async def acknowledge(request: web.Request) -> web.StreamResponse:
    return await _handle(request, "ack")


@page("POST", "/deliveries/{delivery_id}/return", action=Action.HANDLE_DELIVERY)
async def return_item(request: web.Request) -> web.StreamResponse:
    return await _handle(request, "return")


@page("GET", "/attachments/{attachment_id}", action=Action.VIEW_ITEM)
async def download(request: web.Request) -> web.Response:
    info, content = await hub_of(request).items.attachment(
        actor_of(request), int_arg(request.match_info["attachment_id"], "attachment_id"))
    return file_download(info.name, content)


def _marked(body: str, hl: str) -> list[tuple[Piece, ...]] | None:
    """The body's paragraphs with the search words marked, when the page was opened from a hit."""
    query = parse_query(hl)
    if query.empty:
        return None
    return [marked(p, query) for p in body.split("\n") if p.strip()]
