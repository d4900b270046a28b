"""A meeting's sign-in (签到) on the web: the organiser's screen with the QR code (refreshing itself),
the attendee's check-in page reached by scanning it, marking present (and undo), the attendance
lists (printable on A4, .xlsx) and the JSON API beside each. Who may do what is the service's
(`hub.meeting_signin`); a route's action is the least grant."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from hub.crypto.totp import qr_svg
from hub.domain.calendar import CST
from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.meeting_signin import Attendance, Checkin, Person, SigninScreen
from webapp.context import (
    actor_of,
    hub_of,
    json_body,
    json_response,
    lang_of,
    path_id,
    refused,
    render,
)
from webapp.i18n import translate
from webapp.routes.api_meetings import meeting_json
from webapp.routing import api, page
from webapp.xlsx import xlsx_response


def checkin_url(request: web.Request, meeting_id: int, code: str) -> str:
    """The absolute link the QR code carries: the configured public address, else this request's host
    (the one the organiser's screen was opened on, so the phones in the room reach it too)."""
    base = hub_of(request).config.web.public_url.rstrip("/") or f"{request.scheme}://{request.host}"
    return f"{base}/meetings/{meeting_id}/checkin?{urlencode({'code': code})}"


def _t(value: Any) -> str | None:
    return value.isoformat() if value else None


def person_json(p: Person) -> dict[str, Any]:
    r = p.row
    return {"id": r.id, "unit_id": r.unit_id, "unit": p.unit_name, "user_id": r.user_id, "name": r.name,
            "phone": r.phone, "substitute_for_name": p.substitute_for, "walk_in": r.walk_in,
            "signed_in_at": _t(r.signed_in_at), "signed_in_via": r.signed_in_via, "signed_in_by": p.signed_in_by}


def screen_json(request: web.Request, s: SigninScreen) -> dict[str, Any]:
    url = checkin_url(request, s.meeting.id, s.code.code)
    return {"meeting_id": s.meeting.id, "code": s.code.code, "url": url, "qr_svg": qr_svg(url),
            "refresh_at": s.code.refresh_at.isoformat(), "expires_at": s.code.expires_at.isoformat(),
            "period": s.period, "expected": s.expected, "signed_in": [person_json(p) for p in s.signed_in]}


# -- the organiser's screen -------------------------------------------------------------------

@page("GET", "/meetings/{meeting_id}/signin", action=Action.MANAGE_MEETINGS)
async def signin_screen(request: web.Request) -> web.Response:
    hub = hub_of(request)
    screen = await hub.meeting_signin.screen(actor_of(request), path_id(request, "meeting_id"))
    url = checkin_url(request, screen.meeting.id, screen.code.code)
    refresh = max(1, int((screen.code.refresh_at - hub.clock.now()).total_seconds()) + 1)
    return render(request, "meeting_signin.html", screen=screen, url=url, qr=Markup(qr_svg(url)), refresh=refresh)


# -- the attendee's phone ------------------------------------------------------------------------

async def checkin_page(request: web.Request, meeting_id: int, code: str, view: Checkin | None = None,
                       error: str | None = None, err_code: str = "", status: int = 200,
                       done: bool = False) -> web.Response:
    if view is None:
        view = await hub_of(request).meeting_signin.checkin_view(actor_of(request), meeting_id)
    return render(request, "meeting_checkin.html", status=status, view=view, code=code, error=error,
                  err_code=err_code, done=done)


@page("GET", "/meetings/{meeting_id}/checkin", action=Action.VIEW_HOME)
async def checkin_form(request: web.Request) -> web.Response:
    return await checkin_page(request, path_id(request, "meeting_id"), request.query.get("code", ""))


@page("POST", "/meetings/{meeting_id}/checkin", action=Action.VIEW_HOME)
async def checkin_post(request: web.Request) -> web.Response:
    meeting_id = path_id(request, "meeting_id")
    code = str((await request.post()).get("code", ""))
    try:
        view = await hub_of(request).meeting_signin.check_in(actor_of(request), meeting_id, code)
    except XietongError as err:
        if err.code == "meeting.not_found":
            raise
        return await checkin_page(request, meeting_id, code, error=refused(request, err), err_code=err.code,
                                  status=err.status)
    return await checkin_page(request, meeting_id, code, view=view, done=True)


# -- the organiser marks present -------------------------------------------------------------------

@page("POST", "/meetings/{meeting_id}/attendees/{attendee_id}/present", action=Action.MANAGE_MEETINGS)
async def mark_present(request: web.Request) -> web.StreamResponse:
    meeting_id = path_id(request, "meeting_id")
    await hub_of(request).meeting_signin.mark_present(actor_of(request), meeting_id, path_id(request, "attendee_id"))
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}/attendance?done=present")


@page("POST", "/meetings/{meeting_id}/attendees/{attendee_id}/absent", action=Action.MANAGE_MEETINGS)
async def undo_present(request: web.Request) -> web.StreamResponse:
    meeting_id = path_id(request, "meeting_id")
    await hub_of(request).meeting_signin.undo_present(actor_of(request), meeting_id, path_id(request, "attendee_id"))
    raise web.HTTPSeeOther(f"/meetings/{meeting_id}/attendance?done=absent")


# -- the lists ------------------------------------------------------------------------------------

@page("GET", "/meetings/{meeting_id}/attendance", action=Action.MANAGE_MEETINGS)
async def attendance_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    att = await hub.meeting_signin.attendance(actor_of(request), path_id(request, "meeting_id"))
    done = request.query.get("done", "")
    return render(request, "meeting_attendance.html", att=att, now=hub.clock.now(),
                  printing=request.query.get("print") == "1", done=done if done in ("present", "absent") else "")


XLSX_COLUMNS = ("status", "unit", "name", "phone", "detail", "at")
XLSX_WIDTHS = (10, 24, 14, 16, 30, 16)


def how(lang: str, p: Person) -> str:
    if p.row.signed_in_via == "organiser":
        return translate(lang, "meeting_signin.via_organiser", name=p.signed_in_by)
    return translate(lang, "meeting_signin.via_qr") + (
        " · " + translate(lang, "meeting_signin.walk_in") if p.row.walk_in else "")


def attendance_rows(lang: str, att: Attendance) -> list[list[Any]]:
    """One sheet, a 状态 column: notified, replied, signed in, absent (units that sent nobody too)."""
    def t(key: str, **params: Any) -> str:
        return translate(lang, "meeting_signin." + key, **params)
    rows: list[list[Any]] = []
    for u in att.units:
        rows.append([t("list_notified"), u.unit.name, "", "", translate(lang, f"state.{u.delivery.state.value}"),
                     u.delivery.acked_at or u.delivery.sent_at])
    for u in att.replied:
        assert u.reply is not None
        answer = t("coming") if u.reply.coming else t("not_coming")
        if u.stale:
            answer += " · " + t("stale")
        rows.append([t("list_replied"), u.unit.name, "", "", answer, u.reply.replied_at])
        for p in u.people:
            rows.append([t("list_replied"), u.unit.name, p.row.name, p.row.phone,
                         t("instead_of", name=p.substitute_for) if p.substitute_for else "", None])
    for p in att.signed_in:
        rows.append([t("list_signed_in"), p.unit_name, p.row.name, p.row.phone, how(lang, p), p.row.signed_in_at])
    for p in att.absent:
        rows.append([t("list_absent"), p.unit_name, p.row.name, p.row.phone, "", None])
    for u in att.absent_units:
        rows.append([t("list_absent"), u.unit.name, "", "", t(f"absence_{u.absence}"), None])
    return rows


@page("GET", "/meetings/{meeting_id}/attendance.xlsx", action=Action.MANAGE_MEETINGS)
async def attendance_export(request: web.Request) -> web.Response:
    hub, lang = hub_of(request), lang_of(request)
    att = await hub.meeting_signin.attendance(actor_of(request), path_id(request, "meeting_id"))
    title = translate(lang, "meeting_signin.attendance_of", title=att.meeting.title)
    return xlsx_response(f"{title}-{hub.clock.now().astimezone(CST):%Y%m%d}.xlsx",
                         translate(lang, "meeting_signin.attendance"),
                         [translate(lang, f"meeting_signin.col.{c}") for c in XLSX_COLUMNS],
                         attendance_rows(lang, att), title, XLSX_WIDTHS)


# -- the JSON API ------------------------------------------------------------------------------------

_OPT_TIME = {"type": ["string", "null"]}
PERSON = {"type": "object",
          "required": ["id", "unit_id", "unit", "user_id", "name", "phone", "substitute_for_name", "walk_in",
                       "signed_in_at", "signed_in_via", "signed_in_by"],
          "properties": {"id": {"type": "integer", "description": "the attendee id"},
                         "unit_id": {"type": "integer"}, "unit": {"type": "string"},
                         "user_id": {"type": ["integer", "null"]}, "name": {"type": "string"},
                         "phone": {"type": "string"}, "substitute_for_name": {"type": "string"},
                         "walk_in": {"type": "boolean", "description": "signed in without being named: 未报名"},
                         "signed_in_at": _OPT_TIME,
                         "signed_in_via": {"type": ["string", "null"], "enum": ["qr", "organiser", None]},
                         "signed_in_by": {"type": "string", "description": "who marked them present"}}}
_PEOPLE = {"type": "array", "items": PERSON}
SCREEN = {"type": "object",
          "required": ["meeting_id", "code", "url", "qr_svg", "refresh_at", "expires_at", "period", "expected",
                       "signed_in"],
          "properties": {"meeting_id": {"type": "integer"}, "code": {"type": "string"},
                         "url": {"type": "string", "description": "the absolute check-in link the QR code carries"},
                         "qr_svg": {"type": "string", "description": "the QR code as inline SVG"},
                         "refresh_at": {"type": "string", "description": "the next code's slot begins"},
                         "expires_at": {"type": "string", "description": "after this the code is refused"},
                         "period": {"type": "integer"}, "expected": {"type": "integer"}, "signed_in": _PEOPLE}}
CHECKIN_BODY = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}
CHECKIN = {"type": "object", "required": ["meeting_id", "standing", "already", "attendee"],
           "properties": {"meeting_id": {"type": "integer"},
                          "standing": {"type": "string", "enum": ["attendee", "invitee", "walk_in", "stranger"]},
                          "already": {"type": "boolean", "description": "signed in before: 已签到, no second row"},
                          "attendee": {"type": ["object", "null"]}}}
PRESENCE = {"type": "object", "required": ["attendee"], "properties": {"attendee": {"type": ["object", "null"]}}}
UNIT_LINE = {"type": "object",
             "required": ["unit_id", "unit", "delivery_state", "replied", "coming", "stale", "people", "came",
                          "absence"],
             "properties": {"unit_id": {"type": "integer"}, "unit": {"type": "string"},
                            "delivery_state": {"type": "string"}, "replied": {"type": "boolean"},
                            "coming": {"type": ["boolean", "null"]}, "stale": {"type": "boolean"},
                            "people": _PEOPLE, "came": {"type": "integer"},
                            "absence": {"type": "string", "enum": ["", "no_reply", "not_coming", "nobody_came"]}}}
ATTENDANCE = {"type": "object",
              "required": ["meeting", "organiser_unit", "notified", "replied", "signed_in", "absent", "absent_units"],
              "properties": {"meeting": {"type": "object"}, "organiser_unit": {"type": "string"},
                             "notified": {"type": "array", "items": UNIT_LINE},
                             "replied": {"type": "array", "items": UNIT_LINE},
                             "signed_in": _PEOPLE, "absent": _PEOPLE,
                             "absent_units": {"type": "array", "items": UNIT_LINE}}}


def presence_json(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.id, "unit_id": row.unit_id, "user_id": row.user_id, "name": row.name, "phone": row.phone,
            "walk_in": row.walk_in, "signed_in_at": _t(row.signed_in_at), "signed_in_via": row.signed_in_via}


def line_json(u: Any) -> dict[str, Any]:
    return {"unit_id": u.unit.id, "unit": u.unit.name, "delivery_state": u.delivery.state.value,
            "replied": u.reply is not None, "coming": u.reply.coming if u.reply else None, "stale": u.stale,
            "people": [person_json(p) for p in u.people], "came": u.came, "absence": u.absence}


@api("GET", "/api/meetings/{meeting_id}/signin-code", action=Action.MANAGE_MEETINGS, response=SCREEN,
     summary="The organiser's screen: the current sign-in code, its link and QR code, when the next one comes, "
             "who signed in so far")
async def signin_code_json(request: web.Request) -> web.Response:
    screen = await hub_of(request).meeting_signin.screen(actor_of(request), path_id(request, "meeting_id"))
    return json_response(screen_json(request, screen))


@api("POST", "/api/meetings/{meeting_id}/checkin", action=Action.VIEW_HOME, body=CHECKIN_BODY, response=CHECKIN,
     summary="签到 with the code on the screen: refused when expired, of another meeting, malformed, or the "
             "person is not expected; a second sign-in answers already (no second row)")
async def checkin_json(request: web.Request) -> web.Response:
    body = await json_body(request)
    code = body.get("code")
    if not isinstance(code, str):
        raise XietongError("input.invalid", field="code")
    view = await hub_of(request).meeting_signin.check_in(actor_of(request), path_id(request, "meeting_id"), code)
    return json_response({"meeting_id": view.meeting.id, "standing": view.standing.value, "already": view.already,
                          "attendee": presence_json(view.mine)})


@api("POST", "/api/meetings/{meeting_id}/attendees/{attendee_id}/present", action=Action.MANAGE_MEETINGS,
     response=PRESENCE,
     summary="The organiser marks an attendee present (via organiser, by them); already signed in: unchanged")
async def present_json(request: web.Request) -> web.Response:
    row = await hub_of(request).meeting_signin.mark_present(actor_of(request), path_id(request, "meeting_id"),
                                                            path_id(request, "attendee_id"))
    return json_response({"attendee": presence_json(row)})


@api("GET", "/api/meetings/{meeting_id}/attendance", action=Action.MANAGE_MEETINGS, response=ATTENDANCE,
     summary="The four lists: notified units (delivery state), replied (who comes, substitutes), signed in (who, "
             "when, how), absent (expected people not signed in; units that sent nobody)")
async def attendance_json(request: web.Request) -> web.Response:
    att = await hub_of(request).meeting_signin.attendance(actor_of(request), path_id(request, "meeting_id"))
    return json_response({"meeting": meeting_json(att.meeting), "organiser_unit": att.organiser_unit,
                          "notified": [line_json(u) for u in att.units],
                          "replied": [line_json(u) for u in att.replied],
                          "signed_in": [person_json(p) for p in att.signed_in],
                          "absent": [person_json(p) for p in att.absent],
                          "absent_units": [line_json(u) for u in att.absent_units]})
