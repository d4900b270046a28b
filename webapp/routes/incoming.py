"""Received documents (收文): the unit's list, registering (a signed-for delivery, or by hand with
scans), the record page with its timeline and the forms of the moves the viewer may make."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiohttp import web

from hub.domain.cabinet import Source as CabinetSource
from hub.domain.calendar import CST
from hub.domain.incoming import Registration, Source, State
from hub.domain.items import DOC_KINDS, Attachment
from hub.domain.permissions import Action, can
from hub.errors import XietongError
from hub.services.incoming import end_of_day
from webapp.context import (
    actor_of,
    file_download,
    hub_of,
    id_from_text,
    lang_of,
    path_id,
    refused,
    render,
    upload_name,
)
from webapp.i18n import translate
from webapp.routes.cabinet import cabinet_panel
from webapp.routing import page

URGENCIES = ("extra_urgent", "urgent", "ordinary")
MOVES = ("review", "return", "propose", "instruct", "assign", "reassign", "assist", "result", "reply", "close")
HIDDEN = ("perm.denied", "incoming.not_found", "not_found", "item.not_found")


# --- reading the forms (also the JSON API's) -------------------------------------------------------

def parse_day(text: str, code: str = "incoming.bad_date") -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise XietongError(code) from None


def parse_due(hub: Any, text: str) -> datetime | None:
    """A deadline: a date (the end of that day, Beijing time) or a time with its zone."""
    text = str(text).strip()
    if not text:
        return None
    if len(text) == 10:
        day = parse_day(text, "incoming.bad_deadline")
        assert day is not None
        return end_of_day(hub.calendar, day)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise XietongError("incoming.bad_deadline") from None
    return when if when.tzinfo else when.replace(tzinfo=CST)


def parse_count(value: Any) -> int:
    text = str(value).strip() or "1"
    n = id_from_text(text)
    if n is None:
        raise XietongError("incoming.bad_count")
    return n


def registration_from(hub: Any, values: dict[str, Any]) -> Registration:
    try:
        source = Source(str(values.get("source") or "paper"))
    except ValueError:
        raise XietongError("input.invalid", field="source") from None
    received = parse_day(str(values.get("received_on", "")))
    if received is None:
        raise XietongError("incoming.bad_date")
    return Registration(from_unit=str(values.get("from_unit", "")), title=str(values.get("title", "")),
                        urgency=str(values.get("urgency", "")), received_on=received,
                        from_number=str(values.get("from_number", "")), doc_kind=str(values.get("doc_kind", "")),
                        copies=parse_count(values.get("copies", "1")), pages=parse_count(values.get("pages", "1")),
                        deadline=parse_due(hub, str(values.get("deadline", ""))),
                        reply_wanted=values.get("reply_wanted") in (True, "on", "1", "true"), source=source)


def unit_id_of(value: Any, field: str) -> int:
    n = value if type(value) is int else id_from_text(str(value)) if isinstance(value, str) else None
    if n is None:
        raise XietongError("incoming.unknown_unit")
    return n


def assignment_from_form(hub: Any, form: Any) -> tuple[list[tuple[int, datetime]], list[tuple[int, datetime]]]:
    """The form: lead_unit_id (one) and lead_due; each ticked assist_unit_id with assist_due_<id>
    (blank: the lead's deadline)."""
    leads_ids = [str(v) for v in form.getall("lead_unit_id", []) if str(v).strip()]
    lead_due = parse_due(hub, str(form.get("lead_due", "")))
    if leads_ids and lead_due is None:
        raise XietongError("incoming.bad_deadline")
    leads = [(unit_id_of(v, "lead_unit_id"), lead_due) for v in leads_ids]
    assisting = []
    for v in form.getall("assist_unit_id", []):
        unit = unit_id_of(str(v), "assist_unit_id")
        due = parse_due(hub, str(form.get(f"assist_due_{unit}", ""))) or lead_due
        if due is None:
            raise XietongError("incoming.bad_deadline")
        assisting.append((unit, due))
    return leads, assisting   # type: ignore[return-value]


async def make_move(hub: Any, actor: Any, record_id: int, move: str, values: dict[str, Any],
                    leads: list[tuple[int, datetime]] | None = None,
                    assisting: list[tuple[int, datetime]] | None = None) -> Any:
    """One move, from a form's or a JSON body's values."""
    s = hub.incoming
    note = str(values.get("note", ""))
    if move == "review":
        return await s.review(actor, record_id, note)
    if move == "return":
        return await s.return_(actor, record_id, note)
    if move == "propose":
        return await s.propose(actor, record_id, str(values.get("handling", "")), note)
    if move == "instruct":
        return await s.instruct(actor, record_id, note, str(values.get("code", "")).strip())
    if move in ("assign", "reassign"):
        method = s.assign if move == "assign" else s.reassign
        return await method(actor, record_id, leads or [], assisting or [], note)
    if move == "assist":
        step = values.get("step_id")
        step_id = id_from_text(str(step)) if step not in (None, "") else None
        return await s.assist(actor, record_id, note, step_id)
    if move == "result":
        return await s.result(actor, record_id, note)
    if move == "reply":
        return await s.reply(actor, record_id, note)
    if move == "close":
        return await s.close(actor, record_id, note)
    raise XietongError("not_found")


# --- pages -----------------------------------------------------------------------------------------

@page("GET", "/incoming", action=Action.VIEW_INCOMING)
async def incoming_list(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    state = request.query.get("state", "")
    states = [state] if state in {s.value for s in State} else None
    records = await hub.incoming.of_unit(actor, states)
    may_register = can(actor, Action.REGISTER_INCOMING, actor.unit_id)
    return render(request, "incoming_list.html", status=status, records=records, state=state if states else "",
                  states=[s.value for s in State], may_register=may_register, error=error,
                  auto=await hub.incoming.auto_register(actor), now=hub.clock.now(),
                  notice=request.query.get("done", ""))


@page("POST", "/incoming/settings", action=Action.REGISTER_INCOMING)
async def incoming_settings(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    await hub.incoming.set_auto_register(actor, form.get("auto_register") in ("on", "1"))
    raise web.HTTPSeeOther("/incoming?done=settings")


async def new_page(request: web.Request, form: dict[str, Any] | None = None, error: str | None = None,
                   status: int = 200) -> web.Response:
    hub = hub_of(request)
    today = hub.clock.now().astimezone(CST).date().isoformat()
    values = {"source": "paper", "urgency": "ordinary", "received_on": today, "copies": "1", "pages": "1",
              "from_unit": "", "from_number": "", "title": "", "doc_kind": "", "deadline": ""} | (form or {})
    return render(request, "incoming_new.html", status=status, form=values, error=error, urgencies=URGENCIES,
                  doc_kinds=DOC_KINDS, limit_mb=hub.config.items.attachment_limit_kib // 1024)


@page("GET", "/incoming/new", action=Action.REGISTER_INCOMING)
async def incoming_new(request: web.Request) -> web.Response:
    return await new_page(request)


@page("POST", "/incoming", action=Action.REGISTER_INCOMING)
async def incoming_create(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    scans = [Attachment(upload_name(f.filename), f.file.read(), f.content_type or "application/octet-stream")
             for f in form.getall("scans", []) if isinstance(f, web.FileField) and f.filename]
    try:
        record = await hub.incoming.register_by_hand(actor, registration_from(hub, values), scans)
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await new_page(request, values, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/incoming/{record.id}")


@page("POST", "/items/{item_id}/register", action=Action.REGISTER_INCOMING)
async def register_item(request: web.Request) -> web.StreamResponse:
    """登记 the unit's signed-for delivery of an item (from the item page)."""
    hub, actor = hub_of(request), actor_of(request)
    item_id = path_id(request, "item_id")
    form = await request.post()
    try:
        record = await hub.incoming.register_item(
            actor, item_id, deadline=parse_due(hub, str(form.get("deadline", ""))),
            reply_wanted=form.get("reply_wanted") in ("on", "1"))
    except XietongError as err:
        if err.code in HIDDEN:
            raise
        from webapp.routes.items import item_page
        return await item_page(request, item_id, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/incoming/{record.id}")


@page("GET", "/incoming/{incoming_id}/files/{attachment_id}", action=Action.VIEW_HOME)
async def incoming_item_file(request: web.Request) -> web.Response:
    """A network document's file, for whoever sees the record (the lead and assisting units too)."""
    info, content = await hub_of(request).incoming.item_file(
        actor_of(request), path_id(request, "incoming_id"), path_id(request, "attachment_id"))
    return file_download(info.name, content)


@page("GET", "/incoming/attachments/{incoming_attachment_id}", action=Action.VIEW_HOME)
async def incoming_download(request: web.Request) -> web.Response:
    info, content = await hub_of(request).incoming.attachment(
        actor_of(request), path_id(request, "incoming_attachment_id"))
    return file_download(info.name, content)


async def record_page(request: web.Request, record_id: int, error: str | None = None, status: int = 200,
                      form: dict[str, Any] | None = None) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    view = await hub.incoming.view(actor, record_id)
    names = [m.name for m in view.moves]
    otp_status = await hub.otp.status(actor) if "instruct" in names else None
    wait = await hub.otp.wait_seconds(actor) if "instruct" in names else 0
    now = hub.clock.now()
    notice = request.query.get("done", "")
    lang = lang_of(request)

    def label(prefix: str, key: str) -> str:
        """A move or step of another concept (circulation, chasing) may have no label here: its name."""
        try:
            return translate(lang, f"{prefix}.{key}")
        except KeyError:
            return key
    return render(request, "incoming.html", status=status, label=label, view=view, r=view.record, moves=names,
                  forms={m.name: m for m in view.moves}, error=error, form=form or {}, now=now,
                  days_left=view.days_left(now), otp_enrolled=otp_status, otp_wait_seconds=wait,
                  default_due=view.record.deadline.astimezone(CST).date().isoformat(),
                  notice=notice if notice in MOVES else "",
                  circulation=await hub.circulation.panel(actor, record_id),                     # 传阅
                  supervision_panel=await hub.supervision.panel(actor, "incoming", record_id),   # 催办 / 督办
                  **await cabinet_panel(request, CabinetSource.INCOMING, record_id))                   # 归档


@page("GET", "/incoming/{incoming_id}", action=Action.VIEW_HOME)
async def incoming_show(request: web.Request) -> web.Response:
    return await record_page(request, path_id(request, "incoming_id"))


async def incoming_move(request: web.Request) -> web.StreamResponse:
    """POST /incoming/{id}/<move>: one path per move (a path parameter would catch the other
    concepts' /incoming/{id}/... pages: circulations, supervise, progress)."""
    hub, actor = hub_of(request), actor_of(request)
    record_id, move = path_id(request, "incoming_id"), request.path.rsplit("/", 1)[1]
    if move not in MOVES:
        raise XietongError("not_found")
    form = await request.post()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "code"}
    try:
        leads, assisting = assignment_from_form(hub, form) if move in ("assign", "reassign") else ([], [])
        await make_move(hub, actor, record_id, move, {k: str(v) for k, v in form.items() if isinstance(v, str)},
                        leads, assisting)
    except XietongError as err:
        if err.code in HIDDEN:
            raise
        return await record_page(request, record_id, refused(request, err), err.status, values | {"move": move})
    raise web.HTTPSeeOther(f"/incoming/{record_id}?done={move}")


for _move in MOVES:
    page("POST", f"/incoming/{{incoming_id}}/{_move}", action=Action.VIEW_HOME)(incoming_move)
