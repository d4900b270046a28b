"""An outgoing document as it is on paper: its GB/T 9704 PDF, opened in the browser's viewer (or
saved), for whoever may see the document."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from hub.domain.permissions import Action
from webapp.context import actor_of, hub_of, int_arg
from webapp.routing import api, page


async def _pdf(request: web.Request, disposition: str, sealed: bool = False) -> web.Response:
    doc_id = int_arg(request.match_info["doc_id"], "doc_id")
    hub, actor = hub_of(request), actor_of(request)
    name, pdf = await (hub.seals.sealed_pdf(actor, doc_id) if sealed else hub.paper.pdf(actor, doc_id))
    return _file(doc_id, name, pdf, disposition)


def _file(doc_id: int, name: str, pdf: bytes, disposition: str) -> web.Response:
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f"{disposition}; filename=\"document-{doc_id}.pdf\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store"})


@page("GET", "/documents/{doc_id}/paper.pdf", action=Action.VIEW_ITEM)
async def paper_pdf(request: web.Request) -> web.Response:
    """The document as a 公文 (A4, GB/T 9704), shown by the browser's own PDF viewer."""
    return await _pdf(request, "inline" if "download" not in request.query else "attachment")


@api("GET", "/api/documents/{doc_id}/pdf", action=Action.VIEW_ITEM, produces="application/pdf",
     summary="An outgoing document laid out as GB/T 9704 says, as a PDF (503 names the fonts to install)")
async def paper_pdf_api(request: web.Request) -> web.Response:
    return await _pdf(request, "attachment")


@page("GET", "/documents/{doc_id}/sealed.pdf", action=Action.VIEW_ITEM)
async def sealed_pdf(request: web.Request) -> web.Response:
    """The stamped document as it was signed with its seal, for its unit and every unit it went to."""
    return await _pdf(request, "inline" if "download" not in request.query else "attachment", sealed=True)


@api("GET", "/api/documents/{doc_id}/sealed.pdf", action=Action.VIEW_ITEM, produces="application/pdf",
     summary="A stamped document's PDF that carries its seal (PAdES), for its unit and every unit it went to")
async def sealed_pdf_api(request: web.Request) -> web.Response:
    return await _pdf(request, "attachment", sealed=True)
