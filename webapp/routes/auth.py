"""Logging in and out, and the language switch."""

from __future__ import annotations

from aiohttp import web

from hub.errors import XietongError
from webapp.context import (
    LANG_COOKIE,
    SESSION_COOKIE,
    SESSION_EXPIRED,
    client_ip,
    hub_of,
    is_secure,
    json_body,
    json_response,
    refused,
    render,
    safe_next,
    session_of,
)
from webapp.i18n import LANGUAGES
from webapp.middleware import bearer_token
from webapp.routing import api, page
from webapp.schemas import LOGIN_BODY, USER, user_json


def set_session_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="Lax",
                        secure=is_secure(request), path="/")


@page("GET", "/login", public=True)
async def login_form(request: web.Request) -> web.Response:
    if session_of(request) is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    expired = request.get(SESSION_EXPIRED, False)
    return render(request, "login.html", next=safe_next(request.query.get("next")),
                  error=None, login="", expired=expired)


@page("POST", "/login", public=True)
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    login = str(form.get("login", ""))
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    try:
        done = await hub_of(request).identity.login(
            login, password, client_ip(request), request.headers.get("User-Agent", ""),
            old_cookie=request.cookies.get(SESSION_COOKIE))
    except XietongError as err:
        return render(request, "login.html", status=err.status, next=target,
                      error=refused(request, err), login=login, expired=False)
    response = web.HTTPSeeOther(target)
    set_session_cookie(request, response, done.cookie_value)
    raise response


@page("POST", "/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await hub_of(request).identity.logout(cookie, client_ip(request))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@page("GET", "/lang", public=True)
async def switch_language(request: web.Request) -> web.StreamResponse:
    """Only sets a preference cookie, so a plain link is safe."""
    lang = request.query.get("to", "")
    response = web.HTTPSeeOther(safe_next(request.query.get("next")))
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=is_secure(request), path="/")
    raise response


@api("POST", "/api/login", public=True, csrf=False, throttled=True,
     summary="Log in; sets the session cookie and returns the CSRF token for later calls. "
             "Failed logins are throttled per account and per address ([login] in config)",
     body=LOGIN_BODY,
     response={"type": "object", "required": ["csrf_token", "user"],
               "properties": {"csrf_token": {"type": "string"}, "user": USER}})
async def api_login(request: web.Request) -> web.Response:
    # No CSRF token exists before login; a cross-site form cannot send a JSON body,
    # and the content type is checked so a simple form post cannot pose as one.
    if request.content_type != "application/json":
        raise XietongError("input.invalid", field="Content-Type: application/json")
    body = await json_body(request)
    done = await hub_of(request).identity.login(
        str(body.get("login", "")), str(body.get("password", "")), client_ip(request),
        request.headers.get("User-Agent", ""), old_cookie=request.cookies.get(SESSION_COOKIE))
    response = json_response({"csrf_token": done.csrf_token, "user": user_json(done.user)})
    set_session_cookie(request, response, done.cookie_value)
    return response


@api("POST", "/api/logout",
     summary="End this session (with a bearer token: revoke that token); its open websockets close with 4001",
     response={"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}}})
async def api_logout(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is not None and session.by_token:
        token = bearer_token(request)
        assert token is not None      # the access middleware found the session by it
        await hub_of(request).identity.logout_token(token, client_ip(request))
        return json_response({"ok": True})
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await hub_of(request).identity.logout(cookie, client_ip(request))
    response = json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response

