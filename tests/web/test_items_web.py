"""Urgent items through the real web forms and JSON API (aiohttp test client, real SQLite)."""

import re
from datetime import timedelta

from aiohttp import ClientResponse, FormData

from tests.conftest import login


async def unit_id(client, code: str) -> int:
    from webapp.context import HUB
    units = await client.server.app[HUB].identity.units()
    return next(u.id for u in units if u.code == code)


async def issue_form(client, csrf: str, **fields) -> ClientResponse:
    form = FormData()
    form.add_field("csrf_token", csrf)
    for k, v in fields.items():
        for value in (v if isinstance(v, list) else [v]):
            form.add_field(k, str(value))
    return await client.post("/items", data=form, allow_redirects=False)


async def test_clerk_issues_through_the_form_and_a_township_signs_for_it(client):
    csrf = await login(client, "bgs.clerk1")
    dhz = await unit_id(client, "DHZ")
    resp = await issue_form(client, csrf, kind="document", urgency="extra_urgent", title="关于防范强降雨的紧急通知",
                            body="请立即部署。\n确保安全。", main_units=[dhz])
    assert resp.status == 303
    item_url = resp.headers["Location"]
    page = await (await client.get(item_url)).text()
    assert "关于防范强降雨的紧急通知" in page and "东湖镇人民政府" in page and "未读" in page

    client.session.cookie_jar.clear()
    csrf = await login(client, "dhz.clerk1")
    inbox = await (await client.get("/inbox")).text()
    assert "关于防范强降雨的紧急通知" in inbox and "特急" in inbox
    home = await (await client.get("/")).text()
    assert "待签收 1 件" in home
    page = await (await client.get(item_url)).text()
    delivery = re.search(r'action="/deliveries/(\d+)/ack"', page).group(1)
    item_id = item_url.rsplit("/", 1)[1]
    resp = await client.post(f"/deliveries/{delivery}/ack", data={"csrf_token": csrf, "item_id": item_id},
                             allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(item_url)).text()
    assert "已签收" in page and "回执号 HZ" in page

    client.session.cookie_jar.clear()
    await login(client, "bgs.clerk1")
    page = await (await client.get(item_url)).text()
    assert re.search(r"回执 HZ\d{8}-\d{6} · .+ · 赵海燕 · 网页", page)


async def test_a_classified_title_is_refused_in_chinese_and_the_form_keeps_its_input(client):
    csrf = await login(client, "bgs.clerk1")
    resp = await issue_form(client, csrf, kind="document", urgency="ordinary", title="绝密 某工作安排",
                            body="内容", main_units=[await unit_id(client, "DHZ")])
    page = await resp.text()
    assert resp.status == 400 and "密级标识“绝密”" in page and "未予保存" in page
    assert 'value="绝密 某工作安排"' in page
    sent = await (await client.get("/sent")).text()
    assert "暂无已发事项" in sent


async def test_attachments_over_the_limit_are_refused_with_the_limit_named(client):
    csrf = await login(client, "bgs.clerk1")
    form = FormData()
    for k, v in {"csrf_token": csrf, "kind": "document", "urgency": "urgent", "title": "附件过大的通知",
                 "body": "见附件", "main_units": await unit_id(client, "DHZ")}.items():
        form.add_field(k, str(v))
    form.add_field("attachments", b"x" * (3 * 1024 * 1024 + 1), filename="大文件.pdf", content_type="application/pdf")
    resp = await client.post("/items", data=form, allow_redirects=False)
    page = await resp.text()
    assert resp.status == 413 and "不得超过 3 MB" in page


async def test_an_attachment_is_downloaded_only_by_units_involved(client):
    csrf = await login(client, "bgs.clerk1")
    form = FormData()
    for k, v in {"csrf_token": csrf, "kind": "document", "urgency": "urgent", "title": "带附件的通知",
                 "body": "见附件", "main_units": await unit_id(client, "DHZ")}.items():
        form.add_field(k, str(v))
    form.add_field("attachments", "会议议程".encode(), filename="议程.txt", content_type="text/plain")
    resp = await client.post("/items", data=form, allow_redirects=False)
    page = await (await client.get(resp.headers["Location"])).text()
    link = re.search(r'href="(/attachments/\d+)">议程.txt', page).group(1)
    got = await client.get(link)
    assert got.status == 200 and (await got.read()).decode() == "会议议程"
    assert "UTF-8''%E8%AE%AE%E7%A8%8B.txt" in got.headers["Content-Disposition"]
    client.session.cookie_jar.clear()
    await login(client, "xsz.clerk1")
    assert (await client.get(link)).status == 404


async def test_json_api_issue_ack_and_the_duty_desk_board(client, clock):
    resp = await client.post("/api/login", json={"login": "bgs.clerk1", "password": "Demo@2026"})
    csrf = (await resp.json())["csrf_token"]
    units = [await unit_id(client, c) for c in ("DHZ", "XSZ")]
    resp = await client.post("/api/items", json={"kind": "emergency_order", "urgency": "extra_urgent",
                                                 "title": "紧急转移群众的指令", "body": "立即执行",
                                                 "main_units": units}, headers={"X-CSRF-Token": csrf})
    body = await resp.json()
    assert resp.status == 200, body
    dhz_delivery = body["deliveries"][0]["id"]

    client.session.cookie_jar.clear()
    resp = await client.post("/api/login", json={"login": "dhz.clerk2", "password": "Demo@2026"})
    csrf = (await resp.json())["csrf_token"]
    resp = await client.post(f"/api/deliveries/{dhz_delivery}/ack", headers={"X-CSRF-Token": csrf})
    assert (await resp.json())["delivery"]["state"] == "acked"

    clock.advance(timedelta(minutes=31))
    from webapp.context import HUB
    await client.server.app[HUB].scheduler.run_due()
    client.session.cookie_jar.clear()
    resp = await client.post("/api/login", json={"login": "duty", "password": "Demo@2026"})
    board = await (await client.get("/api/duty/board")).json()
    (entry,) = board["items"]
    assert entry["escalated"] and entry["counts"]["acked"] == 1 and entry["counts"]["escalated"] == 1
    xsz, dhz = entry["units"]                              # the escalated unit first
    assert (xsz["unit"]["name"], xsz["escalated"], xsz["seconds_left"]) == ("西山镇人民政府", True, -60)
    assert dhz["delivery"]["state"] == "acked" and dhz["signed_by"]["name"] and not dhz["escalated"]
    assert any(p["role"] == "duty_phone" for p in xsz["phones"])
    page = await (await client.get("/duty")).text()
    assert "西山镇人民政府" in page and "已超时 1 分钟" in page and "升级至值班室" in page
    assert "tel:+86138" in page


async def test_issuing_over_the_api_answers_with_the_deliveries_as_stored(client):
    from webapp.context import HUB
    from webapp.schemas import delivery_json
    resp = await client.post("/api/login", json={"login": "bgs.clerk1", "password": "Demo@2026"})
    csrf = (await resp.json())["csrf_token"]
    units = [await unit_id(client, c) for c in ("DHZ", "XSZ")]
    body = await (await client.post("/api/items", json={
        "kind": "meeting_notice", "urgency": "urgent", "title": "防汛会议", "main_units": units[:1],
        "copy_units": units[1:], "meeting_at": "2026-11-25T08:00:00+08:00", "meeting_place": "三楼会议室"},
        headers={"X-CSRF-Token": csrf})).json()
    async with client.server.app[HUB].store.read() as tx:
        stored = await tx.deliveries.for_item(body["item"]["id"])
    assert body["deliveries"] == [delivery_json(d) for d in stored]
    assert [d["role"] for d in body["deliveries"]] == ["main", "copy"]


async def test_metrics_are_served_to_loopback_in_prometheus_text(client):
    await login(client, "bgs.clerk1")
    text = await (await client.get("/metrics")).text()
    assert "# TYPE xietong_time_to_acknowledge_seconds histogram" in text
    assert 'xietong_time_to_acknowledge_seconds_bucket{le="+Inf"} 0' in text
    assert "xietong_items_issued_total 0" in text


async def test_statistics_show_each_units_time_to_sign_for(client, clock):
    resp = await client.post("/api/login", json={"login": "bgs.clerk1", "password": "Demo@2026"})
    csrf = (await resp.json())["csrf_token"]
    body = await (await client.post("/api/items", json={
        "kind": "document", "urgency": "urgent", "title": "统计用通知", "main_units": [await unit_id(client, "DHZ")]},
        headers={"X-CSRF-Token": csrf})).json()
    clock.advance(timedelta(minutes=12))
    client.session.cookie_jar.clear()
    csrf = (await (await client.post("/api/login", json={"login": "dhz.clerk1", "password": "Demo@2026"})).json())["csrf_token"]
    await client.post(f"/api/deliveries/{body['deliveries'][0]['id']}/ack", headers={"X-CSRF-Token": csrf})
    client.session.cookie_jar.clear()
    await login(client, "duty")
    page = await (await client.get("/stats")).text()
    row = re.search(r"<tr><td>东湖镇人民政府</td>(.*?)</tr>", page, re.DOTALL).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[:5] == ["1", "1", "12.0", "12.0", "0"]
    metrics = await (await client.get("/metrics")).text()
    assert 'xietong_time_to_acknowledge_seconds_bucket{le="900"} 1' in metrics
    assert 'xietong_time_to_acknowledge_seconds_bucket{le="300"} 0' in metrics
