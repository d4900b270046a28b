"""Builds the aiohttp application around a running Hub."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import jinja2
from aiohttp import web

from hub.app import Hub
from hub.domain.calendar import CST
from webapp import access_log, routing
from webapp.access_log import access_log_middleware
from webapp.context import HUB, JINJA
from webapp.middleware import access_middleware, error_middleware, security_headers
from webapp.nav import nav_tabs

# importing the route modules registers their routes
from webapp.routes import (  # noqa: F401
    admin,
    api,
    api_cabinet,
    api_incoming,
    api_items,
    api_meetings,
    api_reports,
    auth,
    cabinet,
    circulars,
    circulation,
    delegation_register,
    delegations,
    documents,
    duty,
    duty_log,
    health,
    home,
    incoming,
    items,
    me,
    meeting_signin,
    meetings,
    otp,
    paper,
    phonebook,
    public_services,
    pwa,
    realtime,
    recipient_groups,
    registers,
    reports,
    resend,
    seal_pages,
    seals,
    search,
    supervision,
    testing,
    todo,
    twilio_hooks,
)
from webapp.steppers import delivery_steps

log = logging.getLogger(__name__)

HERE = Path(__file__).parent


def beijing_time(when: datetime | None) -> str:
    """Times are shown in Beijing time (北京时间), month-day hour:minute."""
    return when.astimezone(CST).strftime("%m-%d %H:%M") if when else ""


def file_size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


class CompiledTemplates(jinja2.BytecodeCache):
    """The templates' compiled code, kept in memory for every app this process builds: an app's
    first page no longer compiles its templates again (the test suite builds a thousand apps).
    Keyed by template name and checked against the source's checksum, so an edit is picked up; the
    code also depends on the Environment's options, so only make_app's Environment (always the same
    options) uses it."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


def make_app(hub: Hub) -> web.Application:
    app = web.Application(middlewares=[access_log_middleware, error_middleware, access_middleware],
                          client_max_size=8 * 1024 * 1024)
    app[HUB] = hub
    app[JINJA] = jinja2.Environment(
        loader=jinja2.PackageLoader("webapp", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, bytecode_cache=COMPILED,
    )
    app[JINJA].filters["bj"] = beijing_time
    app[JINJA].filters["filesize"] = file_size
    app[JINJA].globals["nav_tabs"] = nav_tabs      # the tab bar of base.html
    app[JINJA].globals["delivery_steps"] = delivery_steps   # the sign-for stepper of item.html
    routing.add_routes(app, fake_clock=hub.config.clock.fake)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=False)
    app.on_response_prepare.append(security_headers)
    access_log.setup(app, hub.config.log)
    realtime.setup(app)
    return app
