"""Every route is declared here with the permission it needs.

`@page(...)` and `@api(...)` register a handler together with its action
(from `hub.domain.permissions`), or `public=True`. The access middleware reads
that declaration for every request; the OpenAPI document is built from the
`@api` declarations; the permission matrix test walks the same list. A route
not declared this way cannot be added to the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub.domain.permissions import Action

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    action: Action | None          # None: any logged-in user (or public, see below)
    public: bool = False           # no login needed
    json: bool = False             # a JSON API endpoint (documented in OpenAPI)
    csrf: bool = True              # state-changing requests must carry the CSRF token
    summary: str = ""
    request_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    params: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    test_only: bool = False        # served (and documented) only when the server runs on a fake clock
    throttled: bool = False        # may answer 429 with Retry-After (documented)
    produces: str = "application/json"   # what a 200 carries (a PDF, a spreadsheet: a file)


ROUTES: list[RouteSpec] = []
SPEC_KEY = "_xietong_route"


def _register(method: str, path: str, action: Action | None, public: bool, json: bool, csrf: bool,
              summary: str, request_schema: dict[str, Any] | None,
              response_schema: dict[str, Any] | None,
              params: tuple[dict[str, Any], ...], test_only: bool = False,
              throttled: bool = False, produces: str = "application/json") -> Callable[[Handler], Handler]:
    def wrap(handler: Handler) -> Handler:
        spec = RouteSpec(method, path, handler, action, public, json, csrf, summary,
                         request_schema, response_schema, params, test_only, throttled, produces)
        ROUTES.append(spec)
        return handler
    return wrap


def page(method: str, path: str, *, action: Action | None = None, public: bool = False,
         csrf: bool = True) -> Callable[[Handler], Handler]:
    return _register(method, path, action, public, False, csrf, "", None, None, ())


def api(method: str, path: str, *, summary: str, action: Action | None = None,
        public: bool = False, body: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None, csrf: bool = True,
        params: tuple[dict[str, Any], ...] = (), test_only: bool = False,
        throttled: bool = False, produces: str = "application/json") -> Callable[[Handler], Handler]:
    return _register(method, path, action, public, True, csrf, summary, body, response, params,
                     test_only, throttled, produces)


def served(spec: RouteSpec, fake_clock: bool) -> bool:
    """Test-only routes (moving the clock, cutting sockets) exist only on a fake-clock server."""
    return fake_clock or not spec.test_only


def specificity(path: str) -> tuple[int, ...]:
    """Literal segments before variable ones, segment by segment: aiohttp tries resources in the order
    they were added, so `/incoming/{incoming_id}/supervise` must come before `/incoming/{incoming_id}/{move}`
    whichever module declared its route first."""
    return tuple(int("{" in segment) for segment in path.split("/"))


def add_routes(app: web.Application, fake_clock: bool = False) -> None:
    for spec in sorted(ROUTES, key=lambda s: specificity(s.path)):     # stable: declared order otherwise
        if not served(spec, fake_clock):
            continue
        resource = app.router.add_resource(spec.path)
        route = resource.add_route(spec.method, spec.handler)
        setattr(route, SPEC_KEY, spec)


def spec_of(request: web.Request) -> RouteSpec | None:
    route = request.match_info.route
    spec = getattr(route, SPEC_KEY, None)
    return spec if isinstance(spec, RouteSpec) else None
