"""One-time passwords (动态口令): a leader's or seal keeper's own enrolment pages."""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.otp import Enrolment
from webapp.context import actor_of, hub_of, lang_of, render
from webapp.routing import page


async def status_page(request: web.Request, error: str | None = None,
                      status: int = 200) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    overview = await hub.otp.overview(actor, actor.user_id)
    return render(request, "otp.html", status=status, overview=overview, error=error)


def enrol_page(request: web.Request, enrolment: Enrolment, error: str | None = None,
               status: int = 200) -> web.Response:
    # the SVG is made by segno from our own URI (no user text in it), so it is safe to inline
    return render(request, "otp_enrol.html", status=status, secret=enrolment.secret_base32,
                  qr=Markup(enrolment.qr_svg), error=error)


@page("GET", "/otp", action=Action.ENROL_OTP)
async def otp_status(request: web.Request) -> web.Response:
    return await status_page(request)


@page("POST", "/otp/enrol", action=Action.ENROL_OTP)
async def otp_enrol(request: web.Request) -> web.Response:
    try:
        enrolment = await hub_of(request).otp.start_enrolment(actor_of(request))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await status_page(request, err.message(lang_of(request)), err.status)
    return enrol_page(request, enrolment)


@page("POST", "/otp/enrol/confirm", action=Action.ENROL_OTP)
async def otp_enrol_confirm(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    try:
        codes = await hub.otp.finish_enrolment(actor, str(form.get("code", "")))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        message = err.message(lang_of(request))
        pending = await hub.otp.pending(actor) if err.code == "otp.wrong" else None
        if pending is not None:     # still pending: the same QR code again, with the message
            return enrol_page(request, pending, message, err.status)
        return await status_page(request, message, err.status)
    return render(request, "otp_recovery.html", codes=codes)
