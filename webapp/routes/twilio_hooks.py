"""Webhooks from the Twilio-compatible gateway: delivery statuses and clerks' SMS replies.

Each request must carry a valid `X-Twilio-Signature`, computed with the auth
token over the *configured public URL* of the webhook (what the gateway was
told to call), not whatever URL a proxy forwarded to us. Anything else gets
403 and changes nothing.
"""

from __future__ import annotations

from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from hub.app import sms_auth_token, webhook_base
from hub.errors import XietongError
from webapp.context import hub_of
from webapp.routing import page


async def signed_form(request: web.Request) -> dict[str, str]:
    """The webhook's form fields, after checking the gateway's signature."""
    hub = hub_of(request)
    if not hub.config.sms.enabled:
        raise XietongError("not_found")
    form = {k: str(v) for k, v in (await request.post()).items()}
    url = webhook_base(hub.config) + request.path_qs
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(sms_auth_token(hub.config)).validate(url, form, signature):
        raise XietongError("sms.bad_signature")
    return form


@page("POST", "/hooks/twilio/status", public=True, csrf=False)
async def status(request: web.Request) -> web.Response:
    form = await signed_form(request)
    code = form.get("ErrorCode") or None
    await hub_of(request).sms.status_callback(form.get("MessageSid", ""), form.get("MessageStatus", ""),
                                              int(code) if code and code.isdigit() else None)
    return web.Response(status=204)


@page("POST", "/hooks/twilio/sms", public=True, csrf=False)
async def inbound(request: web.Request) -> web.Response:
    form = await signed_form(request)
    answer = await hub_of(request).sms.reply(form.get("MessageSid", ""), form.get("From", ""),
                                             form.get("Body", ""))
    twiml = MessagingResponse()
    if answer:
        twiml.message(answer)
    return web.Response(text=str(twiml), content_type="application/xml", charset="utf-8")
