"""A Twilio-compatible SMS gateway for tests and demos (no real SMS is ever sent).

It speaks the part of Twilio's REST API that Xietong uses — create, fetch and
list messages under /2010-04-01/Accounts/{AccountSid}/Messages.json, with
Twilio's JSON shapes and error format — keeps every message, fires signed
status callbacks, and can inject a handset's reply as a signed inbound
webhook. A page at / shows each phone's messages, as a clerk would see them.

    python -m bots.twilio_sim --port 8081 --inbound-url http://127.0.0.1:8080/hooks/twilio/sms

Behaviour per phone number can be set (POST /_sim/behaviour): delivered (the
default), undelivered, failed, optout (Twilio error 21610), or drop_response
(the message is taken but the HTTP answer is lost: what a crash or a
timeout looks like to the sender). Status callbacks can be dropped (POST
/_sim/flush {"drop": true}: the messages move on, nobody is told), as when
the receiver was down: Twilio does not retry them. Every answer carries a
`Date` header from the simulator's own clock (`SimState.now`, settable to
stand for a gateway whose clock differs from the hub's). Like Twilio's, a
message record does not show its StatusCallback; `show_status_callback`
stands for a compatible gateway that does.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

API = "/2010-04-01/Accounts/{account}/Messages"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ERRORS = {
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {uri} was not found"),
    21602: (400, "Message body is required."),
}
OUTCOME_ERRORS = {"undelivered": 30003, "failed": 30008}


def _now() -> datetime:
    return datetime.now(UTC)   # the simulator stands for an outside system with its own clock


@dataclass
class SimState:
    account_sid: str
    auth_token: str
    inbound_url: str = ""
    own_number: str = "+8610690000000"
    auto_callbacks: bool = True
    drop_callbacks: bool = False          # statuses move on, but no callback is posted (receiver down)
    show_status_callback: bool = False    # Twilio's message record does not show it; some gateways do
    now: Callable[[], datetime] = _now    # the gateway's own clock
    messages: list[dict[str, Any]] = field(default_factory=list)
    behaviour: dict[str, str] = field(default_factory=dict)
    pending: list[tuple[str, dict[str, str]]] = field(default_factory=list)   # (url, params) not yet fired
    fired: list[tuple[str, dict[str, str], int]] = field(default_factory=list)

    def find(self, sid: str) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["sid"] == sid), None)


STATE = web.AppKey("state", SimState)
SESSION = web.AppKey("session", aiohttp.ClientSession)


def _error(code: int, **fmt: str) -> web.Response:
    status, text = ERRORS[code]
    return web.json_response({"code": code, "message": text.format(**fmt),
                              "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
                             status=status)


def _segments(body: str) -> int:
    gsm = all(ord(c) < 128 for c in body)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


def _authorised(request: web.Request, st: SimState) -> bool:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Basic "):
        return False
    try:
        login = aiohttp.BasicAuth.decode(auth)
    except ValueError:
        return False
    return (login.login == st.account_sid and login.password == st.auth_token
            and request.match_info.get("account") == st.account_sid)


def _public(m: dict[str, Any], st: SimState | None = None) -> dict[str, Any]:
    record = {k: v for k, v in m.items() if not k.startswith("_")}
    if st is not None and st.show_status_callback and m.get("_callback"):
        record["status_callback"] = m["_callback"]
    return record


async def create_message(request: web.Request) -> web.StreamResponse:
    st = request.app[STATE]
    if not _authorised(request, st):
        return _error(20003)
    form = await request.post()
    to, body = str(form.get("To", "")), str(form.get("Body", ""))
    if not E164.match(to):
        return _error(21211, to=to)
    if not body:
        return _error(21602)
    outcome = st.behaviour.get(to, "delivered")
    if outcome == "optout":
        return _error(21610)
    now = st.now()
    sid = "SM" + secrets.token_hex(16)
    m = {"sid": sid, "account_sid": st.account_sid, "to": to, "from": str(form.get("From") or st.own_number),
         "messaging_service_sid": form.get("MessagingServiceSid") or None, "body": body, "status": "queued",
         "num_segments": str(_segments(body)), "num_media": "0", "direction": "outbound-api",
         "api_version": "2010-04-01", "price": None, "price_unit": "USD", "error_code": None,
         "error_message": None, "date_created": format_datetime(now, usegmt=True),
         "date_updated": format_datetime(now, usegmt=True), "date_sent": None,
         "uri": f"{API.format(account=st.account_sid)}/{sid}.json", "subresource_uris": {},
         "_callback": str(form.get("StatusCallback", "")), "_created": now.isoformat()}
    st.messages.append(m)
    final = outcome if outcome in ("delivered", "undelivered", "failed") else "delivered"
    for status in ("sent", final):
        _queue_callback(st, m, status)
    if st.auto_callbacks:
        asyncio.get_running_loop().create_task(flush(request.app))
    if outcome == "drop_response":
        assert request.transport is not None
        request.transport.close()          # taken, but the answer never arrives
        raise asyncio.CancelledError()
    return web.json_response(_public(m, st), status=201)


def _queue_callback(st: SimState, m: dict[str, Any], status: str) -> None:
    if not m["_callback"]:
        return
    params = {"MessageSid": m["sid"], "SmsSid": m["sid"], "AccountSid": st.account_sid, "From": m["from"],
              "To": m["to"], "MessageStatus": status, "SmsStatus": status, "ApiVersion": "2010-04-01"}
    if status in OUTCOME_ERRORS:
        params["ErrorCode"] = str(OUTCOME_ERRORS[status])
    st.pending.append((m["_callback"], params))


async def flush(app: web.Application, duplicate: bool = False, reverse: bool = False, drop: bool = False) -> int:
    """Fire the pending status callbacks (updating the messages as they go); `drop`: post none of them."""
    st = app[STATE]
    batch, st.pending = st.pending, []
    if reverse:
        batch.reverse()
    if duplicate:
        batch = [c for c in batch for _ in (0, 1)]
    for url, params in batch:
        m = st.find(params["MessageSid"])
        if m is not None:
            m["status"] = params["MessageStatus"]
            m["error_code"] = int(params["ErrorCode"]) if "ErrorCode" in params else None
            m["date_updated"] = format_datetime(st.now(), usegmt=True)
            if params["MessageStatus"] == "sent":
                m["date_sent"] = format_datetime(st.now(), usegmt=True)
        if drop or st.drop_callbacks:
            st.fired.append((url, params, 0))
            continue
        status = await _post_signed(app, url, params)
        st.fired.append((url, params, status))
    return len(batch)


async def _post_signed(app: web.Application, url: str, params: dict[str, str]) -> int:
    signature = RequestValidator(app[STATE].auth_token).compute_signature(url, params)
    try:
        async with app[SESSION].post(url, data=params, headers={"X-Twilio-Signature": signature}) as resp:
            await resp.read()
            return resp.status
    except aiohttp.ClientError:
        return 0


async def list_messages(request: web.Request) -> web.Response:
    st = request.app[STATE]
    if not _authorised(request, st):
        return _error(20003)
    found = [m for m in reversed(st.messages)
             if (not request.query.get("To") or m["to"] == request.query["To"])
             and (not request.query.get("From") or m["from"] == request.query["From"])]
    size = min(int(request.query.get("PageSize", "50")), 1000)
    page = int(request.query.get("Page", "0"))
    chunk = found[page * size:(page + 1) * size]
    base = f"{API.format(account=st.account_sid)}.json"
    more = (page + 1) * size < len(found)
    query = "&".join(f"{k}={v}" for k, v in request.query.items() if k not in ("Page", "PageSize"))
    return web.json_response({
        "messages": [_public(m, st) for m in chunk], "page": page, "page_size": size, "start": page * size,
        "end": page * size + len(chunk) - 1, "uri": f"{base}?PageSize={size}&Page={page}",
        "first_page_uri": f"{base}?PageSize={size}&Page=0",
        "previous_page_uri": f"{base}?PageSize={size}&Page={page - 1}" if page else None,
        "next_page_uri": f"{base}?{query}&PageSize={size}&Page={page + 1}" if more else None})


async def fetch_message(request: web.Request) -> web.Response:
    st = request.app[STATE]
    if not _authorised(request, st):
        return _error(20003)
    m = st.find(request.match_info["sid"])
    return web.json_response(_public(m, st)) if m else _error(20404, uri=request.path)


async def inject_reply(request: web.Request) -> web.Response:
    """A handset replies: post the signed inbound webhook and keep Xietong's answer."""
    data = await request.json() if request.content_type == "application/json" else dict(await request.post())
    result = await reply(request.app, str(data["from"]), str(data["body"]), data.get("sid"))
    if request.content_type != "application/json":
        raise web.HTTPSeeOther("/#" + str(data["from"]).lstrip("+"))
    return web.json_response(result)


async def reply(app: web.Application, phone: str, body: str, sid: str | None = None) -> dict[str, Any]:
    st = app[STATE]
    sid = sid or "SM" + secrets.token_hex(16)
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": st.account_sid, "From": phone,
              "To": st.own_number, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
    now = st.now()
    if st.find(sid) is None:
        st.messages.append({"sid": sid, "to": st.own_number, "from": phone, "body": body, "status": "received",
                            "direction": "inbound", "date_created": format_datetime(now, usegmt=True),
                            "_created": now.isoformat(), "_callback": ""})
    signature = RequestValidator(st.auth_token).compute_signature(st.inbound_url, params)
    async with app[SESSION].post(st.inbound_url, data=params, headers={"X-Twilio-Signature": signature}) as resp:
        status, text = resp.status, await resp.text()
    answers = []
    if status == 200 and text.strip():
        answers = [el.text or "" for el in ET.fromstring(text).iter("Message")]
    for answer in answers:                          # Twilio sends the TwiML reply back to the handset
        st.messages.append({"sid": "SM" + secrets.token_hex(16), "to": phone, "from": st.own_number,
                            "body": answer, "status": "delivered", "direction": "outbound-reply",
                            "date_created": format_datetime(st.now(), usegmt=True), "_created": st.now().isoformat(),
                            "_callback": ""})
    return {"sid": sid, "status": status, "replies": answers}


async def set_behaviour(request: web.Request) -> web.Response:
    data = await request.json()
    request.app[STATE].behaviour[str(data["phone"])] = str(data["outcome"])
    return web.json_response({"ok": True})


async def flush_callbacks(request: web.Request) -> web.Response:
    data = await request.json() if request.can_read_body else {}
    n = await flush(request.app, bool(data.get("duplicate")), bool(data.get("reverse")), bool(data.get("drop")))
    return web.json_response({"fired": n})


async def sim_messages(request: web.Request) -> web.Response:
    st = request.app[STATE]
    phone = request.query.get("phone")
    return web.json_response([_public(m, st) for m in st.messages if not phone or phone in (m["to"], m["from"])])


async def phones_page(request: web.Request) -> web.Response:
    """Each phone's messages, newest last, with a reply box: what clerks see in the demo."""
    st = request.app[STATE]
    phones: dict[str, list[dict[str, Any]]] = {}
    for m in st.messages:
        phone = m["from"] if m.get("direction") == "inbound" else m["to"]
        phones.setdefault(phone, []).append(m)
    cards = []
    for phone, msgs in sorted(phones.items()):
        lines = "".join(
            f'<li class="{"in" if m.get("direction") == "inbound" else "out"}"><small>{html.escape(m["date_created"])}'
            f' · {html.escape(str(m["status"]))}</small><br>{html.escape(m["body"])}</li>' for m in msgs)
        cards.append(f'<section id="{phone.lstrip("+")}"><h2>{html.escape(phone)}</h2><ul>{lines}</ul>'
                     f'<form method="post" action="/_sim/reply"><input type="hidden" name="from" value="{html.escape(phone)}">'
                     f'<input name="body" value="1" aria-label="回复"><button>回复</button></form></section>')
    page = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>短信模拟器</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:0;background:#eee}h1{background:#333;color:#fff;"
            "margin:0;padding:.6rem 1rem;font-size:1.1rem}section{background:#fff;margin:.6rem;padding:.6rem;"
            "border-radius:.5rem}ul{list-style:none;padding:0}li{margin:.4rem 0;padding:.5rem;border-radius:.5rem;"
            "background:#e3f2fd}li.in{background:#dcedc8;margin-left:2rem}small{color:#666}</style></head><body>"
            "<h1>短信模拟器 · SMS gateway simulator (nothing leaves this machine)</h1>"
            + ("".join(cards) or "<p style='padding:1rem'>No messages yet.</p>") + "</body></html>")
    return web.Response(text=page, content_type="text/html")


def make_app(account_sid: str, auth_token: str, inbound_url: str = "", auto_callbacks: bool = True,
             own_number: str = "+8610690000000") -> web.Application:
    app = web.Application()
    app[STATE] = SimState(account_sid, auth_token, inbound_url, own_number, auto_callbacks)

    async def session_ctx(app: web.Application) -> Any:
        app[SESSION] = aiohttp.ClientSession()
        yield
        await app[SESSION].close()

    app.cleanup_ctx.append(session_ctx)

    async def dated(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Date"] = format_datetime(app[STATE].now(), usegmt=True)   # the gateway's clock

    app.on_response_prepare.append(dated)
    app.router.add_post(API + ".json", create_message)
    app.router.add_get(API + ".json", list_messages)
    app.router.add_get(API + "/{sid}.json", fetch_message)
    app.router.add_post("/_sim/reply", inject_reply)
    app.router.add_post("/_sim/behaviour", set_behaviour)
    app.router.add_post("/_sim/flush", flush_callbacks)
    app.router.add_get("/_sim/messages", sim_messages)
    app.router.add_get("/", phones_page)
    return app


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bots.twilio_sim", description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--account-sid", default="ACdemo00000000000000000000000000")
    p.add_argument("--auth-token", default=os.environ.get("XIETONG_SMS_AUTH_TOKEN", "demo-auth-token"),
                   help="checked on API calls, used to sign webhooks (default: $XIETONG_SMS_AUTH_TOKEN)")
    p.add_argument("--inbound-url", default="http://127.0.0.1:8080/hooks/twilio/sms",
                   help="where replies from handsets are posted (Xietong's inbound webhook)")
    args = p.parse_args()
    print(f"SMS gateway simulator on http://{args.host}:{args.port}/ (messages page)", flush=True)
    web.run_app(make_app(args.account_sid, args.auth_token, args.inbound_url), host=args.host, port=args.port,
                print=None)


if __name__ == "__main__":
    main()
