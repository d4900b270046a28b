"""What anyone needs to verify a stamped document offline: the seal authority's certificate and
its latest revocation list. Public: no login (the pages for seals are elsewhere)."""

from __future__ import annotations

from aiohttp import web

from webapp.context import hub_of
from webapp.routing import page


@page("GET", "/seals/authority.pem", public=True)
async def authority_pem(request: web.Request) -> web.Response:
    return web.Response(body=await hub_of(request).seals.authority_pem(), content_type="application/x-pem-file",
                        headers={"Content-Disposition": 'attachment; filename="authority.pem"',
                                 "Cache-Control": "no-cache"})


@page("GET", "/seals/crl.der", public=True)
async def crl_der(request: web.Request) -> web.Response:
    return web.Response(body=await hub_of(request).seals.crl_der(), content_type="application/pkix-crl",
                        headers={"Content-Disposition": 'attachment; filename="crl.der"',
                                 "Cache-Control": "no-cache"})
