"""One-time passwords (动态口令): a leader's or seal keeper's own enrolment pages."""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from hub.domain.permissions import Action
from hub.errors import XietongError
from hub.services.otp import Enrolment
from webapp.context import actor_of, hub_of, refused, render, safe_next
from webapp.routing import page


def next_of(value: object) -> str:
    """Where to go back to after enrolling (a document's 立即绑定): a same-site relative path, or ""."""
    target = safe_next(value if isinstance(value, str) else None)
    return "" if target == "/" else target


async def status_page(request: web.Request, error: str | None = None, status: int = 200,
                      back: str = "") -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    overview = await hub.otp.overview(actor, actor.user_id)
    return render(request, "otp.html", status=status, overview=overview, error=error, back=back)


def enrol_page(request: web.Request, enrolment: Enrolment, error: str | None = None,
               status: int = 200, back: str = "") -> web.Response:
    # the SVG is made by segno from our own URI (no user text in it), so it is safe to inline
    return render(request, "otp_enrol.html", status=status, secret=enrolment.secret_base32,
                  qr=Markup(enrolment.qr_svg), error=error, back=back)


@page("GET", "/otp", action=Action.ENROL_OTP)
async def otp_status(request: web.Request) -> web.Response:
    return await status_page(request, back=next_of(request.query.get("next")))


@page("POST", "/otp/enrol", action=Action.ENROL_OTP)
async def otp_enrol(request: web.Request) -> web.Response:
    back = next_of((await request.post()).get("next"))
    try:
        enrolment = await hub_of(request).otp.start_enrolment(actor_of(request))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        return await status_page(request, refused(request, err), err.status, back)
    return enrol_page(request, enrolment, back=back)


@page("POST", "/otp/enrol/confirm", action=Action.ENROL_OTP)
async def otp_enrol_confirm(request: web.Request) -> web.Response:
    hub, actor = hub_of(request), actor_of(request)
    form = await request.post()
    back = next_of(form.get("next"))
    try:
        codes = await hub.otp.finish_enrolment(actor, str(form.get("code", "")))
    except XietongError as err:
        if err.code == "perm.denied":
            raise
        message = refused(request, err)
        pending = await hub.otp.pending(actor) if err.code == "otp.wrong" else None
        if pending is not None:     # still pending: the same QR code again, with the message
            return enrol_page(request, pending, message, err.status, back)
        return await status_page(request, message, err.status, back)
    return render(request, "otp_recovery.html", codes=codes, back=back)
