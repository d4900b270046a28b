"""Errors, sessions, permissions and CSRF: applied to every request."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web

from hub.domain.permissions import can
from hub.errors import XietongError
from webapp.context import (
    ANON_CSRF,
    ANON_CSRF_COOKIE,
    REFUSAL,
    SESSION,
    SESSION_COOKIE,
    SESSION_EXPIRED,
    check_path_ids,
    client_ip,
    hub_of,
    is_secure,
    json_response,
    lang_of,
    render,
)
from webapp.routing import spec_of

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def wants_json(request: web.Request) -> bool:
    if is_websocket(request):
        return True
    spec = spec_of(request)
    if spec is not None:
        return spec.json
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request: web.Request, err: XietongError) -> web.Response:
    lang = lang_of(request)
    if wants_json(request):
        response = json_response({"error": err.as_json(lang)}, status=err.status)
    else:
        response = render(request, "error.html", status=err.status, message=err.message(lang),
                          code=err.code)
    add_retry_after(response, err)
    return response


def add_retry_after(response: web.StreamResponse, err: XietongError) -> None:
    """A 429 says when to try again, in seconds, as its message says in minutes."""
    seconds = err.retry_after_seconds
    if seconds is not None:
        response.headers["Retry-After"] = str(seconds)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Users see a page or JSON in their language; never a traceback."""
    try:
        return await handler(request)
    except XietongError as err:
        return error_response(request, err)
    except web.HTTPNotFound:
        return error_response(request, XietongError("not_found"))
    except web.HTTPMethodNotAllowed as exc:
        response = error_response(request, XietongError("method_not_allowed"))
        response.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))   # RFC 9110: a 405 lists them
        return response
    except web.HTTPException:
        raise      # redirects and the like are responses, not errors
    except ConnectionResetError:
        log.debug("client went away during %s %s", request.method, request.path)
        raise      # nobody is left to answer; not an error of ours
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(request, XietongError("internal"))


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    spec = spec_of(request)
    if spec is None:      # static files and unknown paths
        return await handler(request)
    hub = hub_of(request)
    ip = client_ip(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    bearer = bearer_token(request)
    if bearer:
        session = await hub.identity.token_session(bearer, ip)
        if session is None:
            raise XietongError("auth.bad_token")
    else:
        # a page the browser shows (not a JSON call, a socket, a script or a live refresh) is told 代理期已结束
        page = (request.method == "GET" and not spec.json and not is_websocket(request)
                and "text/html" in request.headers.get("Accept", "") and "X-Live-Refresh" not in request.headers)
        session = await hub.identity.session(cookie, ip, page=page) if cookie else None
    if session is not None:
        request[SESSION] = session
    elif cookie:
        request[SESSION_EXPIRED] = True

    if not spec.public:
        if session is None:
            if spec.json or is_websocket(request):
                raise XietongError("auth.session_expired" if cookie else "auth.required")
            # the page asked for, encoded so its own query string survives the round trip
            target = ("/login?" + urlencode({"next": request.path_qs}, safe="/")
                      if request.method == "GET" else "/login")
            resp = web.HTTPSeeOther(target)
            if cookie:
                resp.del_cookie(SESSION_COOKIE, path="/")
            raise resp
        if spec.action is not None and not can(session.actor, spec.action):
            raise XietongError("perm.denied")

    anon_token = request.cookies.get(ANON_CSRF_COOKIE)
    if session is None:
        request[ANON_CSRF] = anon_token or secrets.token_urlsafe(24)

    if request.method not in SAFE_METHODS and spec.csrf and not (session and session.by_token):
        await _check_csrf(request, session.csrf_token if session else anon_token)

    check_path_ids(request)     # an id that cannot exist is 404, before any handler reads it
    response = await handler(request)
    if session is None and not anon_token and not response.prepared:
        response.set_cookie(ANON_CSRF_COOKIE, request[ANON_CSRF], httponly=True,
                            samesite="Lax", secure=is_secure(request), path="/")
    return response


def origin_allowed(request: web.Request) -> bool:
    """A request a browser sent from another site carries that site's Origin: refuse it."""
    origin = request.headers.get("Origin")
    if not origin:
        return True
    allowed = {f"{request.scheme}://{request.host}", hub_of(request).config.public_url()}
    return origin.rstrip("/") in allowed


async def _check_csrf(request: web.Request, expected: str | None) -> None:
    if not origin_allowed(request):
        raise XietongError("auth.bad_origin")
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.content_type in ("application/x-www-form-urlencoded",
                                             "multipart/form-data"):
        form = await request.post()
        value = form.get("csrf_token", "")
        sent = value if isinstance(value, str) else ""
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise XietongError("auth.csrf")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    h = response.headers
    h.setdefault("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; media-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                 "base-uri 'none'")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    if spec_of(request) is not None:
        h.setdefault("Cache-Control", "no-store")
    refusal = request.get(REFUSAL)
    if isinstance(refusal, XietongError):
        add_retry_after(response, refusal)
