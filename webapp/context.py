"""Per-app and per-request values, and the helpers every route uses."""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from aiohttp import web

from hub.app import Hub
from hub.domain.identity import Actor
from hub.domain.items import Attachment
from hub.errors import XietongError
from hub.services.identity import Session
from webapp.i18n import pick_language, translate

HUB = web.AppKey("hub", Hub)
JINJA = web.AppKey("jinja", jinja2.Environment)
SESSION = web.RequestKey("session", Session)          # set by the access middleware when logged in
SESSION_EXPIRED = web.RequestKey("session_expired", bool)
ANON_CSRF = web.RequestKey("anon_csrf", str)          # double-submit token before login
LANG = web.RequestKey("lang", str)

SESSION_COOKIE = "xt_session"
ANON_CSRF_COOKIE = "xt_csrf"
LANG_COOKIE = "xt_lang"


def hub_of(request: web.Request) -> Hub:
    return request.app[HUB]


def session_of(request: web.Request) -> Session | None:
    return request.get(SESSION)


def actor_of(request: web.Request) -> Actor:
    """The logged-in actor; the access middleware guarantees one on non-public routes."""
    s = session_of(request)
    if s is None:
        raise web.HTTPUnauthorized()
    return s.actor


def lang_of(request: web.Request) -> str:
    lang = request.get(LANG)
    if lang is None:
        lang = pick_language(request.cookies.get(LANG_COOKIE), hub_of(request).config.ui.default_language)
        request[LANG] = lang
    return lang


REFUSAL = web.RequestKey("refusal", XietongError)   # a refusal a page showed (see `refused`)


def refused(request: web.Request, err: XietongError) -> str:
    """The refusal a page shows, in the reader's language; remembered for the answer's headers
    (a 429 page says in Retry-After when to try again, as its message does in minutes)."""
    request[REFUSAL] = err
    return err.message(lang_of(request))


def client_ip(request: web.Request) -> str:
    if hub_of(request).config.web.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        first = forwarded.split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(first))
        except ValueError:
            pass
    return request.remote or ""


def is_secure(request: web.Request) -> bool:
    return request.secure or hub_of(request).config.public_url().startswith("https://")


def csrf_token_of(request: web.Request) -> str:
    s = session_of(request)
    if s is not None:
        return s.csrf_token
    return request.get(ANON_CSRF, "")


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    lang = lang_of(request)
    session = session_of(request)

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    html = request.app[JINJA].get_template(template).render(
        t=t, lang=lang, actor=session.actor if session else None,
        acting_ended=bool(session and session.acting_ended),      # 代理期已结束: this request fell back
        csrf_token=csrf_token_of(request), path=request.path_qs, **ctx)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    # URL parsers drop tabs and newlines, so "/\t/evil.example" would become "//evil.example"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target


_dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON with Chinese kept readable (UTF-8, not \\u escapes)."""
    return web.json_response(data, status=status, dumps=_dumps)


MAX_ID = 2**63 - 1                     # SQLite's largest integer: no row id is beyond it
_ID_TEXT = re.compile(r"[0-9]{1,19}")   # ASCII digits only: int() would also take "١٢", " 12", "1_2"


def is_id(value: object, lowest: int = 1) -> bool:
    """The one test of "a valid id": a real int (not a bool, not 1.5, not "1"), lowest <= n <= 2**63-1."""
    return type(value) is int and lowest <= value <= MAX_ID


def json_files(value: Any, field: str) -> list[tuple[dict[str, Any], Attachment]]:
    """Files in a JSON body: a list of {"name", "content_base64", "content_type"?, ...}, each with its
    raw object (for a route's own keys, e.g. "replaces"); a bad one is a 400 naming it, e.g.
    attachments[1].content_base64 (non-ASCII base64 included)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise XietongError("input.invalid", field=field)
    files = []
    for n, a in enumerate(value):
        if not isinstance(a, dict) or not isinstance(a.get("name"), str):
            raise XietongError("input.invalid", field=f"{field}[{n}].name")
        content = a.get("content_base64")
        try:
            data = base64.b64decode(content.encode("ascii"), validate=True) if isinstance(content, str) else None
        except ValueError:        # binascii.Error and UnicodeEncodeError are ValueErrors
            data = None
        if data is None:
            raise XietongError("input.invalid", field=f"{field}[{n}].content_base64")
        kind = a.get("content_type")
        files.append((a, Attachment(a["name"], data, kind if isinstance(kind, str) and kind
                                    else "application/octet-stream")))
    return files


def upload_name(name: str) -> str:
    """Browsers send UTF-8 file names as they are; some clients percent-encode them."""
    if "%" in name:
        decoded = unquote(name, errors="strict") if _looks_encoded(name) else name
        return decoded
    return name


def _looks_encoded(name: str) -> bool:
    try:
        unquote(name, errors="strict")
    except UnicodeDecodeError:
        return False
    return all(name[i + 1:i + 3].isalnum() and len(name[i + 1:i + 3]) == 2
               for i, c in enumerate(name) if c == "%")


def id_from_text(text: str, lowest: int = 1) -> int | None:
    """The id a path, query or form field names, or None if it is not one (checked, not coerced)."""
    if not _ID_TEXT.fullmatch(text):
        return None
    n = int(text)
    return n if is_id(n, lowest) else None


def int_arg(value: object, field: str, lowest: int = 1) -> int:
    """An id (or another whole number >= `lowest`) from a query or form field, or a 400 naming the field."""
    n = value if type(value) is int else id_from_text(value, lowest) if isinstance(value, str) else None
    if not is_id(n, lowest):
        raise XietongError("input.invalid", field=field)
    assert isinstance(n, int)
    return n


def json_id(value: object, field: str) -> int:
    """An id in a JSON body or frame: a JSON integer in range, or a 400 naming the field."""
    if not is_id(value):
        raise XietongError("input.invalid", field=field)
    assert isinstance(value, int)
    return value


def file_download(name: str, content: bytes) -> web.Response:
    """A stored file as a download under its own (Chinese) name (RFC 6266 / 5987), never shown inline."""
    return web.Response(body=content, content_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff"})


def json_text(body: dict[str, Any], field: str) -> str:
    """A text field of a JSON body ("" when absent), or a 400 naming the field when it is not text."""
    value = body.get(field, "")
    if not isinstance(value, str):
        raise XietongError("input.invalid", field=field)
    return value


def path_id(request: web.Request, name: str) -> int:
    """The id in the path: a path naming an id that cannot exist is not found (404)."""
    n = id_from_text(request.match_info[name])
    if n is None:
        raise XietongError("not_found")
    return n


def check_path_ids(request: web.Request) -> None:
    """Every `{..._id}` of the matched route names a possible id, or the answer is 404 (never a 500)."""
    for name, value in request.match_info.items():
        if name.endswith("_id") and id_from_text(value) is None:
            raise XietongError("not_found")


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or a clear 400."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):     # RecursionError: arrays nested thousands deep
        raise XietongError("input.invalid", field="JSON") from None
    if not isinstance(body, dict):
        raise XietongError("input.invalid", field="JSON")
    return body
