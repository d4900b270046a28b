"""The circular's pages and API: the office generates, reviews, prints, exports and publishes it;
the /stats page, /metrics and the circular show the same figures (one source)."""

import io
import re
import zipfile
from datetime import UTC, datetime

import jsonschema

from tests.conftest import login
from tests.service.test_circulars import a_month_of_november
from tests.web.test_openapi import fetch_doc


def metric(text: str, name: str, unit: str) -> float:
    m = re.search(rf'^{name}{{unit="{unit}"}} (\S+)$', text, re.MULTILINE)
    assert m, f"{name} of {unit} not in /metrics"
    return float(m.group(1))


async def test_stats_metrics_and_the_circular_give_the_same_figures(client, demo_hub):
    await a_month_of_november(demo_hub)         # the clock is still in November: this month so far
    token = await login(client, "bgs.clerk1")
    made = await client.post("/api/circulars", json={"month": "2026-11"}, headers={"X-CSRF-Token": token})
    assert made.status == 200, await made.text()
    circular = {u["name"]: u for u in (await made.json())["circular"]["units"]}
    metrics = await (await client.get("/metrics")).text()
    await login(client, "admin")
    stats = await (await client.get("/stats?since=2026-11-01&until=2026-11-30")).text()
    for code, name in (("DHZ", "东湖镇人民政府"), ("XSZ", "西山镇人民政府"), ("JYJ", "示范区教育局")):
        u = circular[name]
        assert metric(metrics, "xietong_unit_deliveries_received", code) == u["received"] == 3
        assert metric(metrics, "xietong_unit_deliveries_overdue", code) == u["overdue"]
        assert metric(metrics, "xietong_unit_sign_for_median_minutes", code) == u["median_minutes"]
        assert metric(metrics, "xietong_unit_logins", code) == u["logins"]
        assert metric(metrics, "xietong_unit_active_users", code) == u["active_users"]
        assert metric(metrics, "xietong_unit_reports_sent", code) == u["reports_sent"]
        row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", stats, re.DOTALL)
        assert row, f"{name} not on /stats"
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
        assert cells[:6] == [str(u["received"]), str(u["acknowledged"]), str(u["median_minutes"]),
                             str(u["p90_minutes"]), str(u["overdue"]), str(u["chased"])]
        assert cells[6:9] == [str(u["logins"]), f'{u["active_users"]}/{u["people"]}', str(u["reports_sent"])]
    assert "xietong_items_issued_total 3" in metrics          # the old series stay


async def test_the_office_generates_reviews_prints_exports_and_publishes_it_once(client, demo_hub):
    await a_month_of_november(demo_hub)
    demo_hub.clock.set(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    token = await login(client, "bgs.clerk1")
    listing = await (await client.get("/circulars")).text()
    assert "关于2026年11月电子政务专网公文签收及系统使用情况的通报" in listing      # the monthly draft
    resp = await client.post("/circulars", data={"csrf_token": token, "first_day": "2026-11-20",
                                                 "last_day": "2026-11-30"}, allow_redirects=False)
    assert resp.status == 303
    path = resp.headers["Location"]
    page = await (await client.get(path)).text()
    assert "西山镇人民政府" in page and "签收迟缓" in page and "签收用时中位数300分钟" in page
    assert 'id="publish"' in page and 'name="csrf_token"' in page

    saved = await client.post(path, data={"csrf_token": token, "op": "save", "title": "关于<b>专网</b>使用情况的通报",
                                          "intro": "现予通报。"}, allow_redirects=False)
    assert saved.status == 303
    page = await (await client.get(path)).text()
    assert "关于&lt;b&gt;专网&lt;/b&gt;使用情况的通报" in page and "<b>专网" not in page     # escaped
    printed = await (await client.get(path + "?print=1")).text()
    assert "print-register" in printed and 'id="review"' not in printed

    sheet = await client.get(path + "/table.xlsx")
    assert sheet.status == 200
    book = zipfile.ZipFile(io.BytesIO(await sheet.read()))
    strings = book.read("xl/sharedStrings.xml").decode()
    assert "西山镇人民政府" in strings and "签收用时中位数（分钟）" in strings
    assert 'paperSize="9"' in book.read("xl/worksheets/sheet1.xml").decode()

    circular_id = path.rsplit("/", 1)[1]
    published = await client.post(f"/api/circulars/{circular_id}/publish", headers={"X-CSRF-Token": token})
    assert published.status == 200, await published.text()
    doc = await fetch_doc(client)
    schema = doc["paths"]["/api/circulars/{circular_id}/publish"]["post"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    body = await published.json()
    jsonschema.Draft202012Validator(schema).validate(body)
    assert body["circular"]["state"] == "published" and body["circular"]["item_id"]
    twice = await client.post(f"/api/circulars/{circular_id}/publish", headers={"X-CSRF-Token": token})
    assert twice.status == 409 and (await twice.json())["error"]["code"] == "circular.published"
    again = await client.post(path, data={"csrf_token": token, "op": "publish"})
    assert again.status == 409 and "该通报已发布" in await again.text()

    await login(client, "xsz.clerk1")                      # a township's clerk finds it in the inbox
    inbox = await (await client.get("/inbox")).text()
    assert "关于&lt;b&gt;专网&lt;/b&gt;使用情况的通报" in inbox


async def test_another_units_clerk_is_told_circulars_are_the_offices(client):
    await login(client, "bgs.clerk1")
    assert 'href="/circulars"' in await (await client.get("/")).text()
    await login(client, "dhz.clerk1")
    assert 'href="/circulars"' not in await (await client.get("/")).text()     # no tile to a page it has not
    resp = await client.get("/circulars")
    assert resp.status == 409 and "通报由政府办公室编制发布" in await resp.text()
