"""信息报送 over the web client: a township sends a 请示 with a file and sees its receipt number; the
office answers it (the 批复 is an item to the township whose page links back) and adopts a 工作动态
(the unit sees 已采用); the office's inbox with its filters and overdue flag; the figures (print,
.xlsx); another unit's report is 404; bad input refused in both languages; the JSON API against its
OpenAPI document."""

import io
import re
import zipfile
from datetime import timedelta

import jsonschema

from tests.conftest import login
from tests.web.test_openapi import fetch_doc


async def send_by_form(client, csrf, kind="request", title="关于修缮西山小学校舍的请示", body="校舍漏雨。",
                       files=()):
    import aiohttp
    data = aiohttp.FormData()
    for k, v in (("csrf_token", csrf), ("kind", kind), ("title", title), ("body", body)):
        data.add_field(k, v)
    for name, content, ctype in files:
        data.add_field("files", content, filename=name, content_type=ctype)
    return await client.post("/reports", data=data, allow_redirects=False)


def xlsx_strings(raw: bytes) -> tuple[str, str]:
    book = zipfile.ZipFile(io.BytesIO(raw))
    return book.read("xl/sharedStrings.xml").decode(), book.read("xl/worksheets/sheet1.xml").decode()


async def test_a_township_sends_a_request_and_the_office_answers_with_a_document_that_links_back(client, demo_hub):
    csrf = await login(client, "xsz.clerk1")
    home = await (await client.get("/")).text()
    assert 'href="/reports"' in home and 'href="/reports/received"' not in home
    form = await (await client.get("/reports/new")).text()
    assert "请示" in form and "专题文件" in form and "示范区人民政府办公室" in form
    resp = await send_by_form(client, csrf, files=[("校舍照片.pdf", b"%PDF-1.4 photo", "application/pdf")])
    assert resp.status == 303, await resp.text()
    path = resp.headers["Location"]
    page = await (await client.get(path)).text()
    number = re.search(r'id="receipt-no">(BS\d{8}-\d{4})<', page).group(1)
    assert "回执编号" in page and "报送至 示范区人民政府办公室" in page and "待批复" in page
    assert "批复期限：" in page and "校舍照片.pdf" in page and 'id="answer-form"' not in page
    report_id = int(path.split("?")[0].rsplit("/", 1)[1])
    listing = await (await client.get("/reports")).text()
    assert number in listing and "关于修缮西山小学校舍的请示" in listing

    csrf = await login(client, "bgs.clerk1")
    home = await (await client.get("/")).text()
    assert 'href="/reports/received"' in home
    todo = await (await client.get("/todo")).text()
    assert "待批复" in todo and f"/reports/{report_id}" in todo
    inbox = await (await client.get("/reports/received?kind=request")).text()
    assert number in inbox and "西山镇人民政府" in inbox
    page = await (await client.get(f"/reports/{report_id}")).text()
    file_href = re.search(r'href="(/report-files/\d+)"', page).group(1)
    resp = await client.get(file_href)
    assert resp.status == 200 and await resp.read() == b"%PDF-1.4 photo"
    resp = await client.post(f"/reports/{report_id}/answer", data={"csrf_token": csrf, "text": "同意拨付维修资金。"},
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    page = await (await client.get(resp.headers["Location"])).text()
    assert "批复已发出" in page and "已批复" in page
    item_href = re.search(r'id="answer-link"><strong>批复：</strong> <a href="(/items/\d+)"', page).group(1)
    resp = await client.post(f"/reports/{report_id}/answer", data={"csrf_token": csrf, "text": "再次"})
    assert resp.status == 409 and "该请示已经批复，不能再次批复。" in await resp.text()

    await login(client, "xsz.clerk1")
    inbox = await (await client.get("/inbox")).text()
    assert "关于《关于修缮西山小学校舍的请示》的批复" in inbox
    item = await (await client.get(item_href)).text()
    assert f"此为对请示《关于修缮西山小学校舍的请示》的批复（回执 {number}）" in item
    assert f'href="/reports/{report_id}"' in item and "签收" in item

    await login(client, "nqz.clerk1")                             # another township: not even there
    assert (await client.get(f"/reports/{report_id}")).status == 404
    assert (await client.get(file_href)).status == 404


async def test_the_office_adopts_a_work_news_and_the_unit_sees_where(client, demo_hub):
    csrf = await login(client, "nqz.clerk1")
    resp = await send_by_form(client, csrf, kind="work_news", title="南桥镇秋收进度", body="秋收已完成九成。")
    report_path = resp.headers["Location"].split("?")[0]
    csrf = await login(client, "bgs.clerk1")
    page = await (await client.get(report_path)).text()
    assert 'id="adopt-form"' in page and 'id="answer-form"' not in page
    resp = await client.post(report_path + "/adopt", data={"csrf_token": csrf, "note": "《政务信息》第12期"},
                             allow_redirects=False)
    assert resp.status == 303
    resp = await client.post(report_path + "/adopt", data={"csrf_token": csrf, "note": "again"})
    assert resp.status == 409 and "该信息已被采用。" in await resp.text()
    await client.get("/lang?to=en&next=/")
    resp = await client.post(report_path + "/answer", data={"csrf_token": csrf, "text": "x"})
    assert resp.status == 409 and "Only a request (请示) takes an answer" in await resp.text()
    await login(client, "nqz.clerk1")
    await client.get("/lang?to=zh&next=/")
    listing = await (await client.get("/reports")).text()
    assert "已采用（《政务信息》第12期）" in listing
    assert "已采用（《政务信息》第12期）" in await (await client.get(report_path)).text()


async def test_bad_input_is_refused_in_both_languages_and_nothing_is_stored(client, demo_hub):
    csrf = await login(client, "xsz.clerk1")
    resp = await send_by_form(client, csrf, title="   ")
    assert resp.status == 400 and "请填写报送标题。" in await resp.text()
    resp = await send_by_form(client, csrf, kind="memo")
    assert resp.status == 400 and "没有“memo”这种报送类别。" in await resp.text()
    big = b"x" * (3072 * 1024 + 1)
    resp = await send_by_form(client, csrf, kind="report", title="报告", files=[("大.jpg", big, "image/jpeg")])
    assert resp.status == 413 and "不得超过 3 MB" in await resp.text()
    await client.get("/lang?to=en&next=/")
    resp = await send_by_form(client, csrf, title="   ")
    assert resp.status == 400 and "Please give the report a title." in await resp.text()
    assert "No reports yet." in await (await client.get("/reports")).text()


async def test_the_inbox_flags_overdue_requests_and_the_figures_print_and_export(client, demo_hub):
    csrf = await login(client, "xsz.clerk1")
    await send_by_form(client, csrf, title="关于修路的请示")
    csrf = await login(client, "dhz.clerk1")
    await send_by_form(client, csrf, kind="briefing", title="东湖镇简报第3期")
    demo_hub.clock.advance(days=10)                               # past the 请示's five working days
    await login(client, "bgs.clerk1")
    inbox = await (await client.get("/reports/received?state=overdue")).text()
    assert "关于修路的请示" in inbox and "overdue-flag" in inbox and "东湖镇简报第3期" not in inbox
    assert "东湖镇简报第3期" in await (await client.get("/reports/received?kind=briefing")).text()
    html = await (await client.get("/reports/received?print=1")).text()
    assert "print-register" in html and "关于修路的请示" in html
    resp = await client.get("/reports/received.xlsx")
    strings, _ = xlsx_strings(await resp.read())
    assert "关于修路的请示" in strings and "超期未批复" in strings

    today = demo_hub.clock.now().date()
    first = (today - timedelta(days=20)).isoformat()
    page = await (await client.get(f"/reports/figures?from={first}&to={today.isoformat()}")).text()
    assert "信息报送统计" in page and "得分 = 报送数×1.0" in page
    row = re.search(r'<tr data-unit="\d+"><td>西山镇人民政府</td>(.*?)</tr>', page, re.DOTALL).group(1)
    assert re.findall(r"<td[^>]*>(?:<span[^>]*>)?([-\d.]+)", row) == ["1", "0", "0", "0", "1", "-1.0"]
    html = await (await client.get(f"/reports/figures?from={first}&to={today.isoformat()}&print=1")).text()
    assert "print-register" in html and 'id="figures-period"' in html       # the form is no-print
    resp = await client.get(f"/reports/figures.xlsx?from={first}&to={today.isoformat()}")
    strings, sheet = xlsx_strings(await resp.read())
    assert "西山镇人民政府" in strings and "超期未批复" in strings and 'paperSize="9"' in sheet
    resp = await client.get("/reports/figures?from=2026-12-31&to=2026-01-01")
    assert resp.status == 400


async def test_the_json_api_sends_answers_adopts_and_counts_as_its_document_says(client, demo_hub):
    import base64
    doc = await fetch_doc(client)

    def check(path: str, method: str, body) -> None:
        schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator(schema).validate(body)

    token = await login(client, "xsz.clerk1")
    resp = await client.post("/api/reports", headers={"X-CSRF-Token": token}, json={"kind": "request", "title": " "})
    error = (await resp.json())["error"]
    assert resp.status == 400 and error["message_zh"] == "请填写报送标题。" and error["message_en"]
    resp = await client.post("/api/reports", headers={"X-CSRF-Token": token}, json={
        "kind": "request", "title": "关于修路的请示", "body": "请批复。",
        "files": [{"name": "图.pdf", "content_base64": base64.b64encode(b"%PDF").decode(),
                   "content_type": "application/pdf"}]})
    assert resp.status == 200, await resp.text()
    sent = await resp.json()
    check("/api/reports", "post", sent)
    report_id = sent["report"]["id"]
    assert sent["report"]["receipt_no"].startswith("BS") and sent["report"]["state"] == "awaiting"
    body = await (await client.get("/api/reports")).json()
    check("/api/reports", "get", body)
    one = await (await client.get(f"/api/reports/{report_id}")).json()
    check("/api/reports/{report_id}", "get", one)
    assert one["files"][0]["name"] == "图.pdf" and not one["may_answer"]

    token = await login(client, "bgs.clerk1")
    body = await (await client.get("/api/reports/received?kind=request")).json()
    check("/api/reports/received", "get", body)
    assert [r["id"] for r in body["reports"]] == [report_id]
    resp = await client.post(f"/api/reports/{report_id}/answer", headers={"X-CSRF-Token": token},
                             json={"text": "同意。"})
    assert resp.status == 200, await resp.text()
    answered = await resp.json()
    check("/api/reports/{report_id}/answer", "post", answered)
    assert answered["report"]["answer_item_id"] == answered["item_id"]
    resp = await client.post(f"/api/reports/{report_id}/adopt", headers={"X-CSRF-Token": token},
                             json={"note": "《政务信息》第1期"})
    check("/api/reports/{report_id}/adopt", "post", await resp.json())
    resp = await client.post(f"/api/reports/{report_id}/adopt", headers={"X-CSRF-Token": token}, json={})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "report.already_adopted"
    body = await (await client.get("/api/reports/figures")).json()
    check("/api/reports/figures", "get", body)
    xsz = next(u for u in body["units"] if u["unit"] == "西山镇人民政府")
    assert (xsz["sent"], xsz["adopted"], xsz["on_time"]) == (1, 1, 1)

    await login(client, "nqz.clerk1")
    resp = await client.get(f"/api/reports/{report_id}")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "report.not_found"
