"""The OpenAPI 3 document, built from the `@api` route declarations."""

from __future__ import annotations

import re
from typing import Any

from hub import __version__
from webapp.routing import ROUTES

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "message_en", "message_zh"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                            "message_en": {"type": "string"},
                                            "message_zh": {"type": "string"}}}},
}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        if not spec.json:
            continue
        op: dict[str, Any] = {
            "summary": spec.summary,
            "operationId": f"{spec.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', spec.path.lower()).strip('_')}",
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {
                    "schema": spec.response_schema or {"type": "object"}}}},
                "default": {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
            },
        }
        if not spec.public:
            op["security"] = [{"session": []}]
            if spec.action:
                op["x-permission"] = spec.action.value
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
                  for name in re.findall(r"{(\w+)}", spec.path)]
        params += list(spec.params)
        if params:
            op["parameters"] = params
        if spec.request_schema is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": spec.request_schema}}}
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Xietong (协同) API", "version": __version__,
                 "description": "JSON API of Xietong. State-changing calls need the session cookie "
                                "and the X-CSRF-Token header returned by POST /api/login."},
        "components": {"securitySchemes": {"session": {"type": "apiKey", "in": "cookie",
                                                       "name": "xt_session"}}},
        "paths": paths,
    }
