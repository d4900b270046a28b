"""Liveness and the API description."""

from __future__ import annotations

from aiohttp import web

from webapp.context import hub_of, json_response
from webapp.openapi import openapi_document
from webapp.routing import api


@api("GET", "/healthz", public=True, summary="Liveness and the database schema version",
     response={"type": "object", "required": ["status", "schema_version"],
               "properties": {"status": {"const": "ok"}, "schema_version": {"type": "integer"}}})
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "schema_version": hub_of(request).store.schema_version})


@api("GET", "/api/openapi.json", public=True, summary="This OpenAPI 3 document",
     response={"type": "object", "required": ["openapi", "paths"]})
async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document(fake_clock=hub_of(request).config.clock.fake))
