"""Liveness and the API description."""

from __future__ import annotations

from aiohttp import web

from webapp.context import hub_of, json_response
from webapp.openapi import openapi_document
from webapp.routing import api

_WARNING = {"type": "object", "required": ["code", "message", "message_zh"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "message_zh": {"type": "string"}, "skew_seconds": {"type": "integer"}}}


@api("GET", "/healthz", public=True,
     summary="Liveness, the database schema version, and warnings for the person on call "
             "(e.g. the SMS gateway's clock differs from ours); still 200 with warnings",
     response={"type": "object", "required": ["status", "schema_version", "processes_live", "warnings"],
               "properties": {"status": {"const": "ok"}, "schema_version": {"type": "integer"},
                              "processes_live": {"type": "integer", "minimum": 1,
                                                 "description": "hub processes alive on this database, "
                                                                "this one included (SQLite: 1)"},
                              "warnings": {"type": "array", "items": _WARNING}}})
async def healthz(request: web.Request) -> web.Response:
    hub = hub_of(request)
    return json_response({"status": "ok", "schema_version": hub.store.schema_version,
                          "processes_live": hub.processes.live, "warnings": hub.sms.warnings()})


@api("GET", "/api/openapi.json", public=True, summary="This OpenAPI 3 document",
     response={"type": "object", "required": ["openapi", "paths"]})
async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document(fake_clock=hub_of(request).config.clock.fake))
