"""通讯录 and 公共服务 in the web app: a unit admin keeps the unit's entries by form, everyone finds them
by job or initials with tel: links and a copy button; the office keeps the public services page."""

import base64
import re

import aiohttp

from tests.conftest import login


async def post(client, path, token, **data):
    return await client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


async def test_a_unit_admin_keeps_the_phone_book_by_form_and_a_clerk_calls_from_it(client, new_client, demo_hub):
    dhz = next(u.id for u in await demo_hub.identity.units() if u.code == "DHZ")
    token = await login(client, "dh.admin")
    assert 'id="phonebook-keep"' in await (await client.get("/phonebook")).text()
    resp = await post(client, f"/phonebook/units/{dhz}/add", token, name="周建华", job="党政办主任",
                      office_phone="0571-88100002转8021", mobile="", position="1")
    assert resp.status == 303
    bad = await post(client, f"/phonebook/units/{dhz}/add", token, name="某人", job="", office_phone="abc",
                     mobile="", position="1")
    assert bad.status == 400 and "不是有效的电话号码" in await bad.text()
    xsz = next(u.id for u in await demo_hub.identity.units() if u.code == "XSZ")
    assert (await client.get(f"/phonebook/units/{xsz}")).status == 403         # not their unit
    clerk = await new_client()
    await login(clerk, "xsz.clerk1")
    page = await (await clerk.get("/phonebook", params={"q": "党政办"})).text()
    assert 'href="tel:0571-88100002,8021"' in page and "党政办主任" in page
    assert 'class="copy link-button small" data-copy="0571-88100002转8021"' in page
    assert 'id="phonebook-keep"' not in page
    assert (await clerk.get(f"/phonebook/units/{dhz}")).status == 403
    api = await (await clerk.get("/api/phonebook", params={"q": "zjh"})).json()
    assert [x["job"] for u in api["units"] for x in u["entries"]] == ["党政办主任"]


async def test_the_office_keeps_public_services_and_everyone_downloads_the_forms(client, new_client, demo_hub):
    token = await login(client, "bgs.clerk1")
    form = aiohttp.FormData({"csrf_token": token, "kind": "form", "title": "请假审批表", "position": "1"})
    form.add_field("file", b"PK\x03\x04 form", filename="请假审批表.docx")
    assert (await client.post("/services", data=form, allow_redirects=False)).status == 303
    resp = await client.post("/api/services", headers={"X-CSRF-Token": token}, json={
        "kind": "link", "title": "OA 系统", "url": "http://oa.zwnet.local/"})
    assert resp.status == 200
    bad = await client.post("/api/services", headers={"X-CSRF-Token": token}, json={
        "kind": "link", "title": "坏", "url": "javascript:alert(1)"})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "services.bad_link"
    reader = await new_client()
    rtoken = await login(reader, "xsz.clerk1")
    page = await (await reader.get("/services")).text()
    assert 'href="http://oa.zwnet.local/"' in page and 'id="new-service"' not in page
    file_id = re.search(r'href="/services/(\d+)/file"', page).group(1)
    assert await (await reader.get(f"/services/{file_id}/file")).read() == b"PK\x03\x04 form"
    refused = await reader.post("/api/services", headers={"X-CSRF-Token": rtoken}, json={
        "kind": "info", "title": "x", "body": base64.b64encode(b"x").decode()})
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "services.office_only"
