"""Moving the fake clock, for browser tests and demos only.

These routes exist only when the server runs with `clock.fake = true` (they
are neither served nor in the OpenAPI document otherwise), and then answer
only loopback addresses; a production server (real clock) has no way to
move time.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from hub.clock import FakeClock
from hub.errors import XietongError
from webapp.context import client_ip, hub_of, json_response
from webapp.routing import api

LOOPBACK = ("127.0.0.1", "::1")


@api("POST", "/_test/clock", public=True, csrf=False, test_only=True,
     summary="TEST SERVERS ONLY (clock.fake): move the fake clock forward by `seconds`",
     body={"type": "object", "required": ["seconds"],
           "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 366 * 86400}}},
     response={"type": "object", "required": ["now"], "properties": {"now": {"type": "string"}}})
async def move_clock(request: web.Request) -> web.Response:
    hub = hub_of(request)
    if not isinstance(hub.clock, FakeClock) or client_ip(request) not in LOOPBACK:
        raise XietongError("not_found")
    try:
        seconds = float((await request.json())["seconds"])
    except (ValueError, KeyError, TypeError):
        raise XietongError("input.invalid", field="seconds") from None
    if not 0 <= seconds <= 366 * 86400:
        raise XietongError("input.invalid", field="seconds")
    now = hub.clock.advance(timedelta(seconds=seconds))
    await hub.scheduler.run_due()      # the answer comes after every step now due has run
    return json_response({"now": now.isoformat()})


@api("POST", "/_test/drop-sockets", public=True, csrf=False, test_only=True,
     summary="TEST SERVERS ONLY (clock.fake): cut every open websocket, as a network drop would",
     response={"type": "object", "required": ["dropped"], "properties": {"dropped": {"type": "integer"}}})
async def drop_sockets(request: web.Request) -> web.Response:
    hub = hub_of(request)
    if not isinstance(hub.clock, FakeClock) or client_ip(request) not in LOOPBACK:
        raise XietongError("not_found")
    from webapp.routes.realtime import SOCKETS
    sockets = list(request.app[SOCKETS])
    for ws in sockets:
        await ws.close(code=1012, message=b"dropped by test")
    return json_response({"dropped": len(sockets)})
