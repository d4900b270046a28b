"""The service worker, served from the root so that it may cover the whole app."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from webapp.routing import page

SW = Path(__file__).resolve().parent.parent / "static" / "sw.js"


@page("GET", "/sw.js", public=True)
async def service_worker(request: web.Request) -> web.Response:
    return web.Response(text=SW.read_text(encoding="utf-8"), content_type="application/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})
