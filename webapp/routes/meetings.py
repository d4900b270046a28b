"""会议管理 in the web app: the list (printable, .xlsx), calling a meeting, the meeting's page (the
organiser's live view of the replies, or an invited unit's reply form) and its forms (change,
postpone, cancel, reply, chase). The JSON API is in api_meetings.py. Who may do what is the
service's (a route's action is the least grant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.domain.calendar import CST
from hub.domain.items import Urgency
from hub.domain.meetings import MeetingDraft, ReplyAttendee
from hub.domain.permissions import Action, can
from hub.errors import XietongError
from hub.services.meetings import MeetingRow, MeetingView
from hub.store.meetings import AttendeeRow
from webapp.context import actor_of, hub_of, id_from_text, lang_of, path_id, refused, render
from webapp.i18n import translate
from webapp.routing import page
from webapp.xlsx import xlsx_response

OUTSIDER_ROWS = 3          # the reply form's lines for people without an account
DONE = ("call", "change", "postpone", "cancel", "reply", "chase")


def local_time(text: str, field: str) -> datetime | None:
    """A `datetime-local` field, read as Beijing time (blank: None)."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=CST)
    except ValueError:
        raise XietongError("input.invalid", field=field) from None


def ids(values: list[str], field: str) -> tuple[int, ...]:
    found = [id_from_text(v) for v in values if v]
    if None in found:
        raise XietongError("input.invalid", field=field)
    return tuple(dict.fromkeys(n for n in found if n is not None))


def form_value(t: datetime | None) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%dT%H:%M") if t else ""


async def _form(request: web.Request) -> tuple[dict[str, str], Any]:
    form = await request.post()
    return {k: str(v) for k, v in form.items()}, form


# -- the list -------------------------------------------------------------------------------

@page("GET", "/meetings", action=Action.VIEW_ITEM)
async def meetings_page(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    rows = await hub.meetings.meetings(actor)
    return render(request, "meetings.html", rows=rows, now=hub.clock.now(), printing=request.query.get("print") == "1",
                  may_call=can(actor, Action.MANAGE_MEETINGS, actor.unit_id), unit_name=actor.unit_name)


LIST_COLUMNS = ("title", "starts", "ends", "room", "organiser", "state", "mine")
LIST_WIDTHS = (34, 16, 16, 20, 22, 10, 22)


def reply_text(lang: str, r: MeetingRow) -> str:
    if r.organised:
        return translate(lang, "meetings.organised")
    if r.reply is None:
        return translate(lang, "meetings.no_reply")
    if r.stale:
        return translate(lang, "meetings.stale")
    return translate(lang, "meetings.coming" if r.reply.coming else "meetings.not_coming")


def list_cells(lang: str, r: MeetingRow) -> list[Any]:
    m = r.meeting
    return [m.title, m.starts_at, m.ends_at, m.room, r.organiser_unit, translate(lang, f"meetings.state.{m.state.value}"),
            reply_text(lang, r)]


@page("GET", "/meetings.xlsx", action=Action.VIEW_ITEM)
async def meetings_export(request: web.Request) -> web.Response:
    hub, actor, lang = hub_of(request), actor_of(request), lang_of(request)
    rows = await hub.meetings.meetings(actor)
    title = translate(lang, "meetings.list_title_of", unit=actor.unit_name)
    return xlsx_response(f"{translate(lang, 'meetings.list_title')}-{hub.clock.now().astimezone(CST):%Y%m%d}.xlsx",
                         translate(lang, "meetings.list_title"),
                         [translate(lang, f"meetings.col.{c}") for c in LIST_COLUMNS],
                         [list_cells(lang, r) for r in rows], title, LIST_WIDTHS)


# -- calling ---------------------------------------------------------------------------------

async def new_page(request: web.Request, form: dict[str, Any] | None = None, error: str | None = None,
                   status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    choices = await hub.meetings.invitable(actor)
    defaults: dict[str, Any] = {"title": "", "agenda": "", "room": "", "starts_at": "", "ends_at": "",
                                "urgency": "ordinary", "main_units": set(), "copy_units": set(), "invitees": set()}
    return render(request, "meeting_new.html", status=status, choices=choices, form=defaults | (form or {}),
                  urgencies=[u.value for u in Urgency], error=error)


@page("GET", "/meetings/new", action=Action.MANAGE_MEETINGS)
async def new_meeting(request: web.Request) -> web.Response:
    return await new_page(request)


@page("POST", "/meetings", action=Action.MANAGE_MEETINGS)
async def call_meeting(request: web.Request) -> web.StreamResponse:
    hub, actor = hub_of(request), actor_of(request)
    values, form = await _form(request)
    kept: dict[str, Any] = {k: values.get(k, "") for k in ("title", "agenda", "room", "starts_at", "ends_at",
                                                            "urgency")}
    try:
        main = ids([str(v) for v in form.getall("main_units", [])], "main_units")
        copy = ids([str(v) for v in form.getall("copy_units", [])], "copy_units")
        invitees = ids([str(v) for v in form.getall("invitees", [])], "invitees")
        kept |= {"main_units": set(main), "copy_units": set(copy), "invitees": set(invitees)}
        try:
            urgency = Urgency(values.get("urgency") or "ordinary")
        except ValueError:
            raise XietongError("input.invalid", field="urgency") from None
        meeting = await hub.meetings.call(actor, MeetingDraft(
            title=values.get("title", ""), agenda=values.get("agenda", ""), room=values.get("room", ""),
            starts_at=local_time(values.get("starts_at", ""), "starts_at"),
            ends_at=local_time(values.get("ends_at", ""), "ends_at"), main_units=main,
            copy_units=tuple(u for u in copy if u not in main), invitees=invitees, urgency=urgency))
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await new_page(request, kept, refused(request, err), err.status)
    raise web.HTTPSeeOther(f"/meetings/{meeting.id}?done=call")


# -- the meeting's page and its forms ------------------------------------------------------------

async def meeting_page(request: web.Request, meeting_id: int, error: str | None = None, status: int = 200,
                       form: dict[str, str] | None = None) -> web.Response:
    hub = hub_of(request)
    view: MeetingView = await hub.meetings.view(actor_of(request), meeting_id)
    done = request.query.get("done", "")
    m = view.meeting
    ticked, outsiders = current_reply(view)
    return render(request, "meeting.html", status=status, view=view, error=error, now=hub.clock.now(),
                  done=done if done in DONE else "", form=form or {},
                  outsider_rows=range(1, max(OUTSIDER_ROWS, len(outsiders)) + 1), ticked=ticked, outsiders=outsiders,
                  starts_value=form_value(m.starts_at), ends_value=form_value(m.ends_at),
                  invited_here=[u for u in view.invitees if view.mine and u.unit_id == view.mine.unit.id])


def current_reply(view: MeetingView) -> tuple[dict[int, int | None], list[AttendeeRow]]:
    """The reply form starts from the unit's current list (confirming again after a change is one tap):
    the people of the unit ticked (user id -> whom they replace) and the people without an account."""
    u = view.mine
    if u is None or u.reply is None or not u.reply.coming:
        return {}, []
    rows = [a.row for a in u.attendees if not a.row.walk_in]
    return ({r.user_id: r.substitute_for for r in rows if r.user_id is not None},
            [r for r in rows if r.user_id is None])


@page("GET", "/meetings/{meeting_id}", action=Action.VIEW_ITEM)
async def show_meeting(request: web.Request) -> web.Response:
    return await meeting_page(request, path_id(request, "meeting_id"))


async def _act(request: web.Request, done: str, act: Any) -> web.StreamResponse:
    """Run a form's use-case; its refusal shows on the meeting's page (403/404 as the error page)."""
    meeting_id = path_id(request, "meeting_id")
    values, form = await _form(request)
    try:
        await act(hub_of(request), actor_of(request), meeting_id, values, form)
    except XietongError as err:
        if err.status in (403, 404):
            raise
        return await meeting_page(request, meeting_id, refused(request, err), err.status, values)
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}?done={done}")


@page("POST", "/meetings/{meeting_id}/change", action=Action.MANAGE_MEETINGS)
async def change_meeting(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, meeting_id: int, values: dict[str, str], form: Any) -> None:
        await hub.meetings.change(actor, meeting_id, local_time(values.get("starts_at", ""), "starts_at"),
                                  local_time(values.get("ends_at", ""), "ends_at"), values.get("room", ""),
                                  values.get("note", ""))
    return await _act(request, "change", act)


@page("POST", "/meetings/{meeting_id}/postpone", action=Action.MANAGE_MEETINGS)
async def postpone_meeting(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, meeting_id: int, values: dict[str, str], form: Any) -> None:
        await hub.meetings.postpone(actor, meeting_id, values.get("reason", ""))
    return await _act(request, "postpone", act)


@page("POST", "/meetings/{meeting_id}/cancel", action=Action.MANAGE_MEETINGS)
async def cancel_meeting(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, meeting_id: int, values: dict[str, str], form: Any) -> None:
        await hub.meetings.cancel(actor, meeting_id, values.get("reason", ""))
    return await _act(request, "cancel", act)


@page("POST", "/meetings/{meeting_id}/chase", action=Action.MANAGE_MEETINGS)
async def chase_meeting(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, meeting_id: int, values: dict[str, str], form: Any) -> None:
        await hub.meetings.chase(actor, meeting_id)
    return await _act(request, "chase", act)


def reply_people(values: dict[str, str], form: Any) -> list[ReplyAttendee]:
    """The reply form: ticked people of the unit (`attend`, each with `sub_<id>`), and the people
    without an account (`o_name_N`, `o_phone_N`, `o_sub_N`; OUTSIDER_ROWS rows, more if the list was longer)."""
    def sub(name: str) -> int | None:
        text = values.get(name, "")
        if not text:
            return None
        n = id_from_text(text)
        if n is None:
            raise XietongError("input.invalid", field=name)
        return n
    people = [ReplyAttendee(u, substitute_for=sub(f"sub_{u}"))
              for u in ids([str(v) for v in form.getall("attend", [])], "attend")]
    n = 0
    while f"o_name_{n + 1}" in values or n < OUTSIDER_ROWS:     # a longer list comes back with more rows
        n += 1
        name = values.get(f"o_name_{n}", "").strip()
        if name:
            people.append(ReplyAttendee(None, name, values.get(f"o_phone_{n}", ""), sub(f"o_sub_{n}")))
    return people


@page("POST", "/meetings/{meeting_id}/reply", action=Action.HANDLE_DELIVERY)
async def reply_meeting(request: web.Request) -> web.StreamResponse:
    async def act(hub: Any, actor: Any, meeting_id: int, values: dict[str, str], form: Any) -> None:
        coming = values.get("coming", "")
        if coming not in ("1", "0"):
            await hub.meetings.view(actor, meeting_id)        # one it may not see is not found, first
            raise XietongError("input.invalid", field="coming")
        await hub.meetings.reply(actor, meeting_id, coming == "1",
                                 reply_people(values, form) if coming == "1" else [], values.get("note", ""))
    return await _act(request, "reply", act)
