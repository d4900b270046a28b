"""The access log: one JSON line per request, for the person on call.

A line holds `at` (the hub's clock), `request_id` (also sent back as the `X-Request-Id` header),
`method`, `route` (the declared pattern, e.g. `/api/items/{item_id}`), `path`
(never the query string, which may carry secrets; a path's placeholders other
than ids are masked), `status`, `ms`, `user` (the user id, or null) and `ip`.
Nothing else is written: no cookie, token, password, CSRF token or one-time
code. On by default (`[log] access`), to standard output or `[log] access_file`.

Counting for the person on call, e.g.:
`jq -c 'select(.status >= 500)' access.log`, `jq -c 'select(.ms > 1000)' access.log`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from aiohttp import web

from hub.config import LogConfig
from webapp.context import SESSION, client_ip, hub_of
from webapp.routing import spec_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REQUEST_ID = web.RequestKey("request_id", str)
REQUEST_ID_HEADER = "X-Request-Id"
ACCESS_LOG_ON = web.AppKey("access_log_on", bool)
CLIENT_GONE = 499            # the client went away before the answer (as nginx counts it)

# Where the lines go, set by configure() when the server starts (none: nothing is written, as
# in tests that do not ask for it). Written directly, one line per write: the logging module's
# records cost several times more per request than the line itself.
_SINKS: list[TextIO] = []
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def configure(cfg: LogConfig) -> TextIO | None:
    """Send the access log where the config says (the server calls this once at start)."""
    if not cfg.access:
        return None
    stream: TextIO
    if cfg.access_file:
        path = Path(cfg.access_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("a", encoding="utf-8", buffering=1)     # line-buffered: a line per write
    else:
        stream = sys.stdout
    _SINKS.append(stream)
    return stream


def unconfigure(stream: TextIO) -> None:
    """Stop writing to `stream` (closed unless it is standard output)."""
    if stream in _SINKS:
        _SINKS.remove(stream)
    if stream is not sys.stdout:
        stream.close()


def new_request_id() -> str:
    return secrets.token_hex(8)


def _route_and_path(request: web.Request) -> tuple[str | None, str]:
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else None
    path = request.path
    if spec_of(request) is not None:       # a declared route: only ids are shown of what it matched
        for name, value in request.match_info.items():
            if value and not name.endswith("_id"):
                path = path.replace(value, "…")
    return route, path


def _line(request: web.Request, status: int, started: float) -> str:
    route, path = _route_and_path(request)
    session = request.get(SESSION)
    return _dumps({
        "at": hub_of(request).clock.now().isoformat(timespec="milliseconds"),
        "request_id": request[REQUEST_ID], "method": request.method, "route": route, "path": path,
        "status": status, "ms": round((time.perf_counter() - started) * 1000, 1),
        "user": session.actor.user_id if session is not None else None, "ip": client_ip(request)}) + "\n"


def _write(line: str) -> None:
    for stream in _SINKS:
        try:
            stream.write(line)
            stream.flush()
        except (OSError, ValueError):     # a closed or broken output must not fail the request
            pass


@web.middleware
async def access_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: sees the status the client gets, errors included."""
    request[REQUEST_ID] = new_request_id()
    started = time.perf_counter()     # a duration for the log, not business time
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:   # redirects raised as exceptions
        status = exc.status
        raise
    except (asyncio.CancelledError, ConnectionResetError):
        status = CLIENT_GONE
        raise
    finally:
        if _SINKS and request.app[ACCESS_LOG_ON]:
            _write(_line(request, status, started))


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer names its request id, so a user's report can be found in the log."""
    request_id = request.get(REQUEST_ID)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id


def setup(app: web.Application, cfg: LogConfig) -> None:
    app[ACCESS_LOG_ON] = cfg.access
    app.on_response_prepare.append(add_request_id)
