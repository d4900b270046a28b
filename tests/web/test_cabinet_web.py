"""文件柜 in the web app and its API: drawers and folders by form, filing from a document's page,
uploads, the folder printed and exported, the recycle bin, and a private cabinet nobody else opens."""

import base64
import io
import re
import zipfile

import aiohttp

from tests.conftest import login
from tests.service.test_search import issue


async def post(client, path, token, **data):
    return await client.post(path, data={"csrf_token": token, **data}, allow_redirects=False)


async def folder_by_form(client, token, c="unit", drawer="2026年", folder="防汛"):
    resp = await post(client, "/cabinet/nodes", token, c=c, name=drawer)
    assert resp.status == 303
    page = await (await client.get("/cabinet", params={"c": c})).text()
    drawer_id = re.search(r'action="/cabinet/nodes/(\d+)/rename"', page).group(1)
    assert (await post(client, "/cabinet/nodes", token, c=c, parent_id=drawer_id, name=folder)).status == 303
    page = await (await client.get("/cabinet", params={"c": c})).text()
    return int(re.search(r'href="/cabinet/folders/(\d+)" class="folder-link">' + folder, page).group(1))


async def test_a_clerk_files_a_received_document_from_its_page_and_finds_it_in_the_folder(client, demo_hub):
    item = await issue(demo_hub, "关于做好防汛工作的通知", "请做好防汛准备。", "DHZ")
    token = await login(client, "dhz.clerk1")
    folder = await folder_by_form(client, token)
    page = await (await client.get(f"/items/{item.id}")).text()
    assert 'id="file-form"' in page and f'<option value="{folder}">本单位 · 2026年 · 防汛</option>' in page
    resp = await post(client, "/cabinet/file", token, folder_id=str(folder), source="item", source_id=str(item.id))
    assert resp.status == 303 and resp.headers["Location"].startswith(f"/items/{item.id}?filed=")
    page = await (await client.get(resp.headers["Location"])).text()
    assert "已归档。" in page and 'class="filed-in">本单位 · 2026年 · 防汛</a>' in page
    listing = await (await client.get(f"/cabinet/folders/{folder}")).text()
    assert f'href="/items/{item.id}">关于做好防汛工作的通知</a>' in listing
    printed = await (await client.get(f"/cabinet/folders/{folder}", params={"print": "1"})).text()
    assert "print-register" in printed and "place-tools" not in printed       # no forms on paper
    xlsx = await client.get(f"/cabinet/folders/{folder}/list.xlsx")
    book = zipfile.ZipFile(io.BytesIO(await xlsx.read()))
    strings, sheet = book.read("xl/sharedStrings.xml").decode(), book.read("xl/worksheets/sheet1.xml").decode()
    assert all(w in strings for w in ("标题", "类别", "归档时间", item.title, "2026年 · 防汛"))
    assert sheet.count("<row ") == 3 and 'paperSize="9"' in sheet          # title, header, one row; A4
    hits = await (await client.get("/search", params={"q": "防汛", "folder": str(folder)})).text()
    assert 'data-total="1"' in hits and 'id="search-in-folder"' in hits


async def test_upload_remove_and_restore_from_the_recycle_bin(client, demo_hub):
    token = await login(client, "dhz.clerk1")
    folder = await folder_by_form(client, token)
    empty = aiohttp.FormData({"csrf_token": token, "title": "值班表"})
    empty.add_field("file", b"", filename="")
    resp = await client.post(f"/cabinet/folders/{folder}/upload", data=empty, allow_redirects=False)
    assert resp.status == 400 and "请选择要上传的文件" in await resp.text()     # no file chosen
    form = {"csrf_token": token, "title": "值班表"}
    data = aiohttp.FormData(form)
    data.add_field("file", "东湖镇防汛值班表".encode(), filename="值班表.txt", content_type="text/plain")
    resp = await client.post(f"/cabinet/folders/{folder}/upload", data=data, allow_redirects=False)
    assert resp.status == 303
    listing = await (await client.get(f"/cabinet/folders/{folder}")).text()
    file_id = re.search(r'href="/cabinet/files/(\d+)">值班表</a>', listing).group(1)
    info = await (await client.get(f"/cabinet/files/{file_id}")).text()
    assert "已提取文字，可被检索" in info
    download = await client.get(f"/cabinet/files/{file_id}/download")
    assert (await download.read()) == "东湖镇防汛值班表".encode() and "attachment" in download.headers[
        "Content-Disposition"]
    place = re.search(r'action="/cabinet/places/(\d+)/delete"', listing).group(1)
    assert (await post(client, f"/cabinet/places/{place}/delete", token, **{"from": str(folder)})).status == 303
    binned = await (await client.get("/cabinet/bin")).text()
    assert "值班表" in binned and "前可恢复" in binned
    assert (await post(client, "/cabinet/bin/restore", token, c="unit", kind="place", id=place)).status == 303
    assert "值班表" in await (await client.get(f"/cabinet/folders/{folder}")).text()
    # a name already used is refused on the page, in the reader's language
    resp = await post(client, "/cabinet/nodes", token, c="unit", name="2026年")
    assert resp.status == 409 and "此处已有名为“2026年”的项" in await resp.text()


async def test_a_private_folder_is_a_404_to_everyone_else_including_the_super_admin(client, demo_hub):
    token = await login(client, "dhz.clerk1")
    folder = await folder_by_form(client, token, c="mine", drawer="个人", folder="学习")
    assert "仅本人可见" in await (await client.get("/cabinet", params={"c": "mine"})).text()
    await client.post("/logout", data={"csrf_token": token})
    for login_name in ("admin", "dh.admin", "dhz.clerk2"):
        await login(client, login_name)
        assert (await client.get(f"/cabinet/folders/{folder}")).status == 404
        assert (await client.get(f"/api/cabinet/folders/{folder}")).status == 404
        mine = await (await client.get("/api/cabinet", params={"c": "mine"})).json()
        assert mine["drawers"] == []
        await client.post("/logout", data={"csrf_token": await _token(client)})


async def _token(client):
    page = await (await client.get("/me")).text()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


async def test_the_json_api_keeps_a_cabinet_end_to_end(client, demo_hub):
    item = await issue(demo_hub, "关于印章管理的通知", "加强印章管理。", "DHZ")
    token = await login(client, "dhz.clerk1")
    h = {"X-CSRF-Token": token}
    drawer = (await (await client.post("/api/cabinet/nodes", json={"cabinet": "unit", "name": "2026年"},
                                       headers=h)).json())["node"]
    folder = (await (await client.post("/api/cabinet/nodes", json={"cabinet": "unit", "name": "印章",
                                                                   "drawer_id": drawer["id"]}, headers=h)).json())["node"]
    filed = await client.post(f"/api/cabinet/folders/{folder['id']}/documents",
                              json={"source": "item", "source_id": item.id}, headers=h)
    assert filed.status == 200 and (await filed.json())["document"]["url"] == f"/items/{item.id}"
    again = await client.post(f"/api/cabinet/folders/{folder['id']}/documents",
                              json={"source": "item", "source_id": item.id}, headers=h)
    assert again.status == 409 and (await again.json())["error"]["code"] == "cabinet.already_filed"
    up = await client.post(f"/api/cabinet/folders/{folder['id']}/files", headers=h, json={
        "name": "规定.txt", "content_base64": base64.b64encode("印章使用规定".encode()).decode(), "title": "印章规定"})
    body = await up.json()
    assert up.status == 200 and body["file"]["text_extracted"] is True
    tree = await (await client.get("/api/cabinet")).json()
    assert tree["may_keep"] and tree["drawers"][0]["folders"][0]["documents"] == 2
    hits = await (await client.get("/api/search", params={"q": "印章", "kind": "file"})).json()
    assert [x["title"] for x in hits["hits"]] == ["印章规定"] and hits["hits"][0]["url"].startswith("/cabinet/files/")
    gone = await client.post(f"/api/cabinet/nodes/{drawer['id']}/delete", headers=h)
    assert gone.status == 200
    assert (await client.get(f"/api/cabinet/folders/{folder['id']}")).status == 404
    assert (await (await client.get("/api/search", params={"q": "印章", "kind": "file"})).json())["total"] == 0
    back = await client.post("/api/cabinet/bin/restore", json={"kind": "node", "id": drawer["id"]}, headers=h)
    assert back.status == 200
    assert len((await (await client.get(f"/api/cabinet/folders/{folder['id']}")).json())["documents"]) == 2
    bad = await client.post("/api/cabinet/nodes", json={"cabinet": "unit", "name": 5}, headers=h)
    assert bad.status == 400
