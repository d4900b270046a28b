"""Received documents (收文) over HTTP: the item page registers a signed-for document, the record
page shows only the forms the viewer may use, bad input is a clear message that stores nothing,
the JSON API makes the same moves, and a clerk of another unit gets 404."""

from tests.conftest import csrf_from, login
from tests.web.test_sending_web import issue


async def signed_for_item(client) -> tuple[int, str]:
    """BGS issues a document to 东湖镇, whose clerk signs for it: (item id, the clerk's CSRF token)."""
    csrf = await login(client, "bgs.clerk1")
    item_id = await issue(client, csrf, "关于做好冬季防火工作的通知", "DHZ", urgency="urgent")
    csrf = await login(client, "dhz.clerk1")
    item = await (await client.get(f"/api/items/{item_id}")).json()
    delivery = item["mine"]["id"] if item.get("mine") else item["item"]["mine"]["id"]
    resp = await client.post(f"/api/deliveries/{delivery}/ack", headers={"X-CSRF-Token": csrf})
    assert resp.status == 200, await resp.text()
    return item_id, csrf


async def test_the_item_page_registers_a_signed_for_document_and_links_to_its_record(client):
    item_id, csrf = await signed_for_item(client)
    page = await (await client.get(f"/items/{item_id}")).text()
    assert f'action="/items/{item_id}/register"' in page and "登记为收文" in page
    resp = await client.post(f"/items/{item_id}/register", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    record_path = resp.headers["Location"]
    page = await (await client.get(record_path)).text()
    assert "收文编号 2026-0001" in page and "示范区人民政府办公室" in page and "关于做好冬季防火工作的通知" in page
    assert 'id="move-review"' in page and 'id="move-return"' in page and 'id="move-propose"' not in page
    assert "待初审" in page and "剩余" in page
    page = await (await client.get(f"/items/{item_id}")).text()
    assert "已登记为收文 2026-0001" in page and f'href="{record_path}"' in page
    resp = await client.post(f"/items/{item_id}/register", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 409 and "该公文已登记（2026-0001）" in await resp.text()


async def test_moves_through_the_forms_and_a_bad_proposal_stores_nothing(client):
    item_id, csrf = await signed_for_item(client)
    resp = await client.post(f"/items/{item_id}/register", data={"csrf_token": csrf}, allow_redirects=False)
    path = resp.headers["Location"]
    resp = await client.post(f"{path}/review", data={"csrf_token": csrf, "note": "格式齐全"}, allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(resp.headers["Location"])).text()
    assert "待拟办" in page and "初审通过" in page and "格式齐全" in page and 'id="move-propose"' in page
    resp = await client.post(f"{path}/propose", data={"csrf_token": csrf, "handling": "soon", "note": "拟办"})
    assert resp.status == 400 and "拟办意见须选择阅知或批办" in await resp.text()
    resp = await client.post(f"{path}/propose", data={"csrf_token": csrf, "handling": "act", "note": ""})
    assert resp.status == 400 and "请填写内容" in await resp.text()
    assert "待拟办" in await (await client.get(path)).text()
    resp = await client.post(f"{path}/propose", data={"csrf_token": csrf, "handling": "act", "note": "拟请党政办牵头"},
                             allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(path)).text()
    assert "待批示" in page and "批办" in page and 'id="move-' not in page      # the leader's turn now
    await login(client, "dhz.leader")
    page = await (await client.get(path)).text()
    assert 'id="move-instruct"' in page and 'name="code"' in page
    resp = await client.post(f"{path}/nonsense", data={"csrf_token": await csrf_from(client, path)})
    assert resp.status in (404, 405)


async def test_registering_by_hand_with_a_scan_and_the_refusals(client):
    csrf = await login(client, "dhz.clerk1")
    page = await (await client.get("/incoming/new")).text()
    assert 'enctype="multipart/form-data"' in page and 'name="scans"' in page
    form = {"csrf_token": csrf, "source": "paper", "from_unit": "市政府办公室", "from_number": "市政办〔2026〕3号",
            "title": "", "urgency": "ordinary", "received_on": "2026-11-24", "copies": "2", "pages": "3"}
    resp = await client.post("/incoming", data=form)
    assert resp.status == 400 and "请填写标题" in await resp.text()
    resp = await client.post("/incoming", data=form | {"title": "关于开展安全检查的通知", "deadline": "2026-01-01"})
    assert resp.status == 400 and "办理期限已过" in await resp.text()
    resp = await client.post("/incoming", data=form | {"title": "t", "copies": "many"})
    assert resp.status == 400 and "份数须为" in await resp.text()
    listing = await (await client.get("/api/incoming")).json()
    assert listing["records"] == []
    import aiohttp
    data = aiohttp.FormData()
    for k, v in (form | {"title": "关于开展安全检查的通知"}).items():
        data.add_field(k, v)
    data.add_field("scans", b"%PDF-1.4 scan", filename="扫描件.pdf", content_type="application/pdf")
    resp = await client.post("/incoming", data=data, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    page = await (await client.get(resp.headers["Location"])).text()
    assert "扫描件.pdf" in page and "纸质来文" in page and "2 份 / 3 页" in page
    href = page.split('href="/incoming/attachments/')[1].split('"')[0]
    got = await client.get(f"/incoming/attachments/{href}")
    assert got.status == 200 and await got.read() == b"%PDF-1.4 scan"
    listing = await (await client.get("/incoming")).text()
    assert "2026-0001" in listing and "关于开展安全检查的通知" in listing


async def test_the_api_makes_the_moves_and_another_unit_gets_404(client):
    item_id, csrf = await signed_for_item(client)
    headers = {"X-CSRF-Token": csrf}
    resp = await client.post(f"/api/items/{item_id}/register", json={"reply_wanted": True}, headers=headers)
    assert resp.status == 201, await resp.text()
    record = (await resp.json())["record"]
    assert record["number"] == "2026-0001" and record["state"] == "registered" and record["reply_wanted"]
    rid = record["id"]
    detail = await (await client.get(f"/api/incoming/{rid}")).json()
    assert detail["moves"] == ["review", "return"] and [h["move"] for h in detail["history"]] == ["register"]
    resp = await client.post(f"/api/incoming/{rid}/moves/review", json={}, headers=headers)
    assert resp.status == 200 and (await resp.json())["record"]["state"] == "reviewed"
    resp = await client.post(f"/api/incoming/{rid}/moves/propose", json={"handling": "act", "note": 5},
                             headers=headers)
    assert resp.status == 400
    resp = await client.post(f"/api/incoming/{rid}/moves/propose", json={"handling": "act", "note": "拟办"},
                             headers=headers)
    assert (await resp.json())["record"]["state"] == "proposed"
    resp = await client.post(f"/api/incoming/{rid}/moves/instruct", json={"note": "同意", "code": "123456"},
                             headers=headers)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "road.not_your_step"
    await login(client, "xsz.clerk1")
    resp = await client.get(f"/api/incoming/{rid}")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "incoming.not_found"
    assert (await client.get(f"/incoming/{rid}")).status == 404
    assert (await (await client.get("/api/incoming")).json())["records"] == []


async def test_the_unit_turns_on_auto_register_and_openapi_lists_the_routes(client):
    csrf = await login(client, "dhz.clerk1")
    page = await (await client.get("/incoming")).text()
    assert 'id="auto-register"' in page and "签收后自动登记" in page
    resp = await client.post("/incoming/settings", data={"csrf_token": csrf, "auto_register": "on"},
                             allow_redirects=False)
    assert resp.status == 303
    assert " checked" in (await (await client.get("/incoming")).text()).split('id="auto-register"')[1][:20]
    resp = await client.post("/api/incoming/settings", json={"auto_register": "yes"}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 400
    doc = await (await client.get("/api/openapi.json")).json()
    for path in ("/api/incoming", "/api/incoming/{incoming_id}", "/api/items/{item_id}/register",
                 "/api/incoming/{incoming_id}/moves/{move}", "/api/incoming/settings"):
        assert path in doc["paths"], path
    home = await (await client.get("/")).text()
    assert 'href="/incoming"' in home


async def test_registering_by_hand_through_the_api_with_a_base64_scan(client):
    csrf = await login(client, "dhz.clerk1")
    headers = {"X-CSRF-Token": csrf}
    body = {"source": "forwarded", "from_unit": "市政府办公室", "title": "关于转发防汛通知的通知", "urgency": "urgent",
            "received_on": "2026-11-24", "copies": 1, "pages": 2,
            "scans": [{"name": "扫描件.pdf", "content_base64": "JVBERi0x"}]}
    for bad, code in (({"copies": "2"}, "incoming.bad_count"), ({"title": 5}, "input.invalid"),
                      ({"received_on": "24/11/2026"}, "incoming.bad_date"),
                      ({"scans": [{"name": "x.pdf", "content_base64": "%%%"}]}, "input.invalid")):
        resp = await client.post("/api/incoming", json=body | bad, headers=headers)
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code, bad
    assert (await (await client.get("/api/incoming")).json())["records"] == []
    resp = await client.post("/api/incoming", json=body, headers=headers)
    assert resp.status == 201
    record = (await resp.json())["record"]
    assert record["number"] == "2026-0001" and record["source"] == "forwarded" and record["pages"] == 2
    detail = await (await client.get(f"/api/incoming/{record['id']}")).json()
    assert [a["name"] for a in detail["attachments"]] == ["扫描件.pdf"]


async def test_the_record_page_and_the_list_in_english(client):
    item_id, csrf = await signed_for_item(client)
    resp = await client.post(f"/items/{item_id}/register", data={"csrf_token": csrf}, allow_redirects=False)
    path = resp.headers["Location"]
    await client.post(f"{path}/review", data={"csrf_token": csrf}, allow_redirects=False)
    await client.get(f"/lang?to=en&next={path}")
    page = await (await client.get(path)).text()
    assert "Review passed" in page and "to propose" in page and "Sending unit" in page and "days left" in page
    listing = await (await client.get("/incoming")).text()
    assert "Received documents" in listing and "Register documents automatically at sign-for" in listing
