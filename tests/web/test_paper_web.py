"""The document's PDF in the web app: opened in the browser's viewer, saved, and asked for by API."""

from urllib.parse import unquote

from hub.domain.items import Attachment
from tests.conftest import login
from tests.service.test_documents import fields
from tests.service.test_urgent_items import actor


async def drafted(hub) -> int:
    doc = await hub.documents.draft(await actor(hub, "bgs.clerk1"), await fields(hub), [Attachment("a.txt", b"x")])
    return doc.id


async def test_the_document_page_opens_its_pdf_in_the_browser_and_saves_it_under_its_name(client, demo_hub):
    doc_id = await drafted(demo_hub)
    await login(client, "bgs.clerk1")
    page = await (await client.get(f"/documents/{doc_id}")).text()
    assert f'href="/documents/{doc_id}/paper.pdf"' in page and "GB/T 9704" in page
    resp = await client.get(f"/documents/{doc_id}/paper.pdf")
    assert resp.status == 200 and resp.content_type == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("inline;")
    assert (await resp.read()).startswith(b"%PDF-")
    saved = await client.get(f"/documents/{doc_id}/paper.pdf?download=1")
    disposition = saved.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "草稿-关于做好冬季防火工作的通知.pdf" in unquote(disposition)


async def test_another_units_clerk_and_a_stranger_get_no_pdf(client, demo_hub):
    doc_id = await drafted(demo_hub)
    resp = await client.get(f"/api/documents/{doc_id}/pdf")
    assert resp.status == 401
    await login(client, "xsz.clerk1")
    resp = await client.get(f"/api/documents/{doc_id}/pdf")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "document.not_found"


async def test_the_api_gives_the_pdf_and_the_openapi_document_says_it_is_a_pdf(client, demo_hub):
    doc_id = await drafted(demo_hub)
    await login(client, "bgs.clerk1")
    resp = await client.get(f"/api/documents/{doc_id}/pdf")
    assert resp.status == 200 and resp.content_type == "application/pdf"
    spec = await (await client.get("/api/openapi.json")).json()
    ok = spec["paths"]["/api/documents/{doc_id}/pdf"]["get"]["responses"]["200"]["content"]
    assert ok == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


async def test_a_township_opens_the_received_document_as_its_sealed_pdf_and_verify_accepts_it(client, demo_hub):
    import re

    import aiohttp

    from hub.domain.documents import DocOp
    from tests.service.test_sealed_pdf import sealed
    doc, office, _, _ = await sealed(demo_hub)
    doc = await demo_hub.documents.act(office, doc.id, DocOp.DISPATCH)
    token = await login(client, "dhz.clerk1")
    page = await (await client.get(f"/items/{doc.item_id}")).text()
    assert f'href="/documents/{doc.id}/sealed.pdf"' in page
    resp = await client.get(f"/documents/{doc.id}/sealed.pdf?download=1")
    assert resp.status == 200 and resp.content_type == "application/pdf"
    assert "示政办发〔2026〕1号.pdf" in unquote(resp.headers["Content-Disposition"])
    pdf = await resp.read()
    assert pdf == (await demo_hub.seals.sealed_pdf(office, doc.id))[1]      # the file as it was signed
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("file", pdf, filename="sealed.pdf", content_type="application/pdf")
    page = await (await client.post("/verify", data=form)).text()
    report = page[page.index('id="verify-report"'):]
    assert re.search(r'data-status="(\w+)"', report).group(1) == "valid"
    assert "盖章时间来自印章制作单位的时间戳服务" in report
    await login(client, "nqz.clerk1")                                        # not a recipient
    assert (await client.get(f"/documents/{doc.id}/sealed.pdf")).status == 404
