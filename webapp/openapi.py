"""The OpenAPI 3 document, built from the `@api` route declarations."""

from __future__ import annotations

import re
from typing import Any

from hub import __version__
from webapp.routing import ROUTES, RouteSpec, served
from webapp.schemas import ID

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "message_en", "message_zh"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                            "message_en": {"type": "string"},
                                            "message_zh": {"type": "string"}}}},
}


SECURITY_SCHEMES = {
    "session": {"type": "apiKey", "in": "cookie", "name": "xt_session",
                "description": "The session cookie set by POST /api/login (or the login page)."},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
             "description": "The session's CSRF token (`csrf_token` of POST /api/login); needed with the "
                            "session cookie on every call that changes something."},
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "A token made with `xietong token create LOGIN --name NAME` (bots, tools); "
                              "acts as its user, needs no CSRF token."},
}

_RETRY_AFTER = {"Retry-After": {"description": "Seconds until another try may succeed.",
                                "schema": {"type": "integer", "minimum": 1}}}


def security_of(spec: RouteSpec) -> list[dict[str, list[str]]]:
    """Either the session cookie (with the CSRF header when the call changes something) or a bearer token."""
    with_session: dict[str, list[str]] = {"session": []}
    if spec.method not in ("GET", "HEAD") and spec.csrf:
        with_session["csrf"] = []
    return [with_session, {"bearer": []}]


def operation(spec: RouteSpec) -> dict[str, Any]:
    error = {"application/json": {"schema": ERROR_SCHEMA}}
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', spec.path.lower()).strip('_')}",
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {
                "schema": spec.response_schema or {"type": "object"}}} if spec.produces == "application/json"
                else {spec.produces: {"schema": {"type": "string", "format": "binary"}}}},
            "default": {"description": "Error", "content": error},
        },
    }
    if spec.throttled:
        op["responses"]["429"] = {"description": "Too many failures: try again after Retry-After seconds",
                                  "headers": _RETRY_AFTER, "content": error}
    if not spec.public:
        op["security"] = security_of(spec)
        if spec.action:
            op["x-permission"] = spec.action.value
    # an id in the path is 1 .. 2**63-1 (any other is 404); another path parameter is in spec.params
    params = [{"name": name, "in": "path", "required": True, "schema": ID}
              for name in re.findall(r"{(\w+)}", spec.path) if name.endswith("_id")]
    params += list(spec.params)
    if params:
        op["parameters"] = params
    if spec.request_schema is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": spec.request_schema}}}
    return op


def openapi_document(fake_clock: bool = False) -> dict[str, Any]:
    """The served API; the test-only routes only for a server on a fake clock (as they are served)."""
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        if spec.json and served(spec, fake_clock):
            paths.setdefault(spec.path, {})[spec.method.lower()] = operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Xietong (协同) API", "version": __version__,
                 "description": "JSON API of Xietong. A call is made either with the session cookie of "
                                "POST /api/login, adding the X-CSRF-Token header it returned to every call "
                                "that changes something, or with `Authorization: Bearer <token>` (a token "
                                "from `xietong token create`). Every answer carries X-Request-Id, the id "
                                "the access log records it under."},
        "components": {"securitySchemes": SECURITY_SCHEMES},
        "paths": paths,
    }
