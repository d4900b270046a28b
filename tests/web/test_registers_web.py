"""The 收文登记簿 and 发文登记簿 as a clerk uses them: sorted by a header, filtered, 100 a page,
printed on A4 landscape, exported whole as .xlsx and CSV, read as JSON; refused clearly when asked wrongly."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime

from tests.conftest import login
from tests.service.register_helpers import add_incoming, add_outgoing, csv_rows, xlsx_rows


def numbers(html: str) -> list[str]:
    """The 收文编号 of the table's rows, top to bottom."""
    return re.findall(r'<td class="nowrap"><a href="/incoming/\d+">(\d{4}-\d{4})</a></td>', html)


async def three_received(demo_hub, unit_ids) -> None:
    dhz = unit_ids["DHZ"]
    await add_incoming(demo_hub, dhz, "关于做好冬季防火工作的通知", received_on=date(2026, 11, 2),
                       from_number="示政办发〔2026〕30号")
    await add_incoming(demo_hub, dhz, "关于报送年度总结的通知", from_unit="示范区教育局", urgency="extra_urgent",
                       received_on=date(2026, 10, 9), state="handling", lead_unit_id=unit_ids["DHZDZB"])
    await add_incoming(demo_hub, dhz, "关于开展安全生产检查的通知", urgency="urgent", received_on=date(2026, 11, 20),
                       state="closed", lead_unit_id=unit_ids["DHZJFB"],
                       closed_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


async def test_the_clerk_sorts_the_received_register_by_its_headers_and_filters_it(client, demo_hub, unit_ids):
    await three_received(demo_hub, unit_ids)
    await login(client, "dhz.clerk1")
    resp = await client.get("/registers/incoming")
    html = await resp.text()
    assert resp.status == 200
    assert "东湖镇人民政府 收文登记簿（2026年）" in html and "2026年全年" in html
    for header in ("收文编号", "收文日期", "来文单位", "来文字号", "标题", "文种", "紧急程度", "份数", "页数",
                   "办理期限", "主办单位", "状态", "办结日期"):
        assert f">{header}" in html, header
    assert numbers(html) == ["2026-0001", "2026-0002", "2026-0003"]
    assert "东湖镇党政办公室" in html and "承办中" in html and "已办结" in html and "2026-11-23" in html
    # a header is a link: by date received, then the same header again turns the order round
    assert 'href="/registers/incoming?year=2026&amp;sort=received"' in html
    html = await (await client.get("/registers/incoming?year=2026&sort=received")).text()
    assert numbers(html) == ["2026-0002", "2026-0001", "2026-0003"]
    assert 'aria-sort="ascending"' in html and 'href="/registers/incoming?year=2026&amp;sort=received&amp;desc=1"' in html
    html = await (await client.get("/registers/incoming?sort=received&desc=1")).text()
    assert numbers(html) == ["2026-0003", "2026-0001", "2026-0002"]
    assert numbers(await (await client.get("/registers/incoming?sort=urgency")).text()) == \
        ["2026-0002", "2026-0003", "2026-0001"]
    # filters, each and together
    assert numbers(await (await client.get("/registers/incoming?urgency=urgent")).text()) == ["2026-0003"]
    assert numbers(await (await client.get("/registers/incoming?state=handling")).text()) == ["2026-0002"]
    assert numbers(await (await client.get("/registers/incoming?from=教育局")).text()) == ["2026-0002"]
    assert numbers(await (await client.get(f"/registers/incoming?handler={unit_ids['DHZJFB']}")).text()) == \
        ["2026-0003"]
    assert numbers(await (await client.get("/registers/incoming?q=30号")).text()) == ["2026-0001"]
    html = await (await client.get("/registers/incoming?date_from=2026-11-01&date_to=2026-11-20")).text()
    assert numbers(html) == ["2026-0001", "2026-0003"] and "收文日期：2026-11-01 至 2026-11-20" in html
    # the handler filter offers the lead units the register names
    assert f'<option value="{unit_ids["DHZDZB"]}">东湖镇党政办公室</option>' in html
    assert "本年度登记簿暂无记录" in await (await client.get("/registers/incoming?year=2025")).text()
    assert "没有符合条件的记录" in await (await client.get("/registers/incoming?state=returned")).text()


async def test_the_register_counts_its_pages_of_a_hundred_and_prints_every_row(client, demo_hub, unit_ids):
    for n in range(230):
        await add_incoming(demo_hub, unit_ids["DHZ"], f"来文第{n + 1}件")
    await login(client, "dhz.leader")
    html = await (await client.get("/registers/incoming")).text()
    assert "共 230 条，第 1 / 3 页" in html and len(numbers(html)) == 100
    assert 'href="/registers/incoming?year=2026&amp;page=2" rel="next"' in html
    html = await (await client.get("/registers/incoming?page=3")).text()
    assert "共 230 条，第 3 / 3 页" in html and numbers(html)[0] == "2026-0201" and len(numbers(html)) == 30
    assert 'rel="prev"' in html and 'rel="next"' not in html
    # the print version: every row, no pages; the stylesheet prints it on A4 landscape with page numbers
    html = await (await client.get("/registers/incoming?print=1")).text()
    assert "共 230 条" in html and len(numbers(html)) == 230 and 'rel="next"' not in html
    assert "print-register" in html and "打印时间" in html
    css = await (await client.get("/static/app.css")).text()
    assert "size: A4 landscape" in css and "counter(page)" in css


async def test_the_exports_hold_every_matching_row_with_the_same_filters(client, demo_hub, unit_ids):
    dhz = unit_ids["DHZ"]
    for n in range(120):
        await add_incoming(demo_hub, dhz, f"普通来文{n + 1}")
    await add_incoming(demo_hub, dhz, "=HYPERLINK(\"http://evil.example\",\"点此\")", urgency="urgent")
    await add_incoming(demo_hub, dhz, "关于防汛的紧急通知", urgency="urgent", from_number="-2号")
    await login(client, "dhz.clerk1")
    html = await (await client.get("/registers/incoming?urgency=urgent")).text()
    assert 'href="/registers/incoming.xlsx?year=2026&amp;urgency=urgent"' in html
    assert 'href="/registers/incoming.csv?year=2026&amp;urgency=urgent"' in html

    resp = await client.get("/registers/incoming.xlsx?year=2026&urgency=urgent")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    assert "%E6%94%B6%E6%96%87%E7%99%BB%E8%AE%B0%E7%B0%BF-2026.xlsx" in resp.headers["Content-Disposition"]
    body = await resp.read()
    rows = xlsx_rows(body)
    assert rows[0][0] == "东湖镇人民政府 收文登记簿（2026年） · 2026年全年"
    assert rows[2][:5] == ["收文编号", "收文日期", "来文单位", "来文字号", "标题"]
    assert [r[0] for r in rows[3:]] == ["2026-0121", "2026-0122"]
    assert rows[3][4].startswith("=HYPERLINK") and rows[4][3] == "-2号" and rows[4][6] == "加急"
    sheet = body.decode("latin-1")
    assert "<f>" not in sheet
    # the whole year, not just the page of 100
    assert len(xlsx_rows(await (await client.get("/registers/incoming.xlsx")).read())) == 3 + 122

    resp = await client.get("/registers/incoming.csv?urgency=urgent&sort=number&desc=1")
    assert resp.status == 200 and resp.content_type == "text/csv" and resp.charset == "utf-8"
    rows = csv_rows(await resp.read())
    assert rows[0] == ["收文编号", "收文日期", "来文单位", "来文字号", "标题", "文种", "紧急程度", "份数", "页数",
                       "办理期限", "主办单位", "状态", "办结日期"]
    assert [r[0] for r in rows[1:]] == ["2026-0122", "2026-0121"]
    # a cell a spreadsheet would run as a formula stays text: a leading apostrophe
    assert rows[2][4] == "'=HYPERLINK(\"http://evil.example\",\"点此\")" and rows[1][3] == "'-2号"
    assert rows[1][1] == "2026-11-02" and rows[1][7] == "2" and re.fullmatch(r"2026-12-\d\d \d\d:\d\d", rows[1][9])
    assert len(csv_rows(await (await client.get("/registers/incoming.csv")).read())) == 1 + 122


async def test_the_issued_register_lists_numbered_documents_with_signer_and_recipients(client, demo_hub, unit_ids):
    xsz, nqz = unit_ids["XSZ"], unit_ids["NQZ"]
    await add_outgoing(demo_hub, "DHZ", "关于秋冬季森林防火的通知", (xsz,), copy=(nqz,),
                       signed_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    await add_outgoing(demo_hub, "DHZ", "关于召开安全生产会议的通知", (nqz,), urgency="urgent", state="sealed",
                       signed_at=datetime(2026, 11, 10, 2, 0, tzinfo=UTC))
    await add_outgoing(demo_hub, "XSZ", "西山镇的发文", (nqz,))
    await login(client, "dhz.clerk1")
    html = await (await client.get("/registers/outgoing")).text()
    assert "东湖镇人民政府 发文登记簿（2026年）" in html
    found = re.findall(r'<a href="/documents/\d+">([^<]+)</a>', html)
    assert found == ["东政发〔2026〕1号", "东政发〔2026〕2号"] and "西山镇的发文" not in html
    assert "西山镇人民政府" in html and "南桥镇人民政府" in html and "已用印，待核发" in html
    html = await (await client.get("/registers/outgoing?sort=number&desc=1")).text()
    assert re.findall(r'<a href="/documents/\d+">([^<]+)</a>', html) == ["东政发〔2026〕2号", "东政发〔2026〕1号"]
    html = await (await client.get(f"/registers/outgoing?to={xsz}")).text()
    assert "森林防火" in html and "安全生产会议" not in html
    html = await (await client.get("/registers/outgoing?date_from=2026-11-05")).text()
    assert "森林防火" not in html and "安全生产会议" in html and "签发日期：2026-11-05 至 …" in html
    rows = xlsx_rows(await (await client.get("/registers/outgoing.xlsx?state=sealed")).read())
    assert rows[2] == ["文号", "标题", "文种", "紧急程度", "签发人", "签发日期", "主送单位", "抄送单位", "状态",
                       "用印时间", "核发时间"]
    assert len(rows) == 4 and rows[3][0] == "东政发〔2026〕2号" and rows[3][6] == "南桥镇人民政府"
    rows = csv_rows(await (await client.get("/registers/outgoing.csv")).read())
    assert rows[1][:2] == ["东政发〔2026〕1号", "关于秋冬季森林防火的通知"] and rows[1][7] == "南桥镇人民政府"
    data = await (await client.get("/api/registers/outgoing?sort=signed&desc=1")).json()
    assert data["total"] == 2 and data["rows"][0]["doc_number"] == "东政发〔2026〕2号"
    assert data["rows"][1]["main_units"] == [{"id": xsz, "name": "西山镇人民政府"}]


async def test_the_api_gives_a_page_of_the_register_with_its_count(client, demo_hub, unit_ids):
    await three_received(demo_hub, unit_ids)
    await login(client, "dhz.clerk1")
    data = await (await client.get("/api/registers/incoming?state=closed")).json()
    assert data["book"] == "incoming" and data["unit"] == "东湖镇人民政府" and data["year"] == 2026
    assert data["total"] == 1 and data["pages"] == 1 and data["page_size"] == 100
    (row,) = data["rows"]
    assert row["number"] == "2026-0003" and row["lead_unit"] == "东湖镇经济发展办公室" and row["state"] == "closed"
    assert row["closed_at"].startswith("2026-11-23")


async def test_a_clerk_of_another_unit_sees_nothing_of_this_units_registers(client, demo_hub, unit_ids):
    await three_received(demo_hub, unit_ids)
    await add_outgoing(demo_hub, "DHZ", "东湖镇的发文", (unit_ids["XSZ"],))
    await login(client, "xsz.clerk1")
    html = await (await client.get("/registers/incoming")).text()
    assert "西山镇人民政府 收文登记簿" in html and "冬季防火" not in html and "本年度登记簿暂无记录" in html
    # naming the other unit's lead office as a filter shows nothing either
    html = await (await client.get(f"/registers/incoming?handler={unit_ids['DHZDZB']}")).text()
    assert numbers(html) == []
    assert "东湖镇的发文" not in await (await client.get("/registers/outgoing")).text()
    assert (await (await client.get("/api/registers/incoming")).json())["total"] == 0
    rows = csv_rows(await (await client.get("/registers/incoming.csv")).read())
    assert rows[1:] == []
    # people without a register (a seal keeper, the duty desk) are refused
    await login(client, "bgs.seal")
    for path in ("/registers/incoming", "/registers/outgoing.xlsx", "/api/registers/incoming"):
        assert (await client.get(path)).status == 403, path


async def test_a_wrong_filter_is_a_clear_message_in_both_languages_never_a_500(client, demo_hub, unit_ids):
    await login(client, "dhz.clerk1")
    cases = {"year=abc": ("registers.bad_year", "年份须为", "The year must be"),
             "year=1999": ("registers.bad_year", "年份须为", "The year must be"),
             "date_from=2026-05-01&date_to=2026-04-01": ("registers.bad_range", "起始日期（2026-05-01）晚于",
                                                         "is after the end date"),
             "date_from=2026-13-01": ("registers.bad_date", "日期（date_from）格式", "YYYY-MM-DD"),
             "sort=password": ("registers.bad_sort", "不能按“password”排序", "cannot be sorted by password"),
             "state=lost": ("registers.bad_state", "没有此状态：lost", "Unknown state"),
             "urgency=now": ("registers.bad_urgency", "紧急程度须为", "Urgency is"),
             "page=0": ("registers.bad_page", "页码须为", "The page must"),
             "handler=x": ("registers.bad_unit", "请从列表中选择单位", "chosen from the list"),
             "desc=yes": ("registers.bad_desc", "排序方向", "sort direction")}
    for query, (code, zh, en) in cases.items():
        resp = await client.get(f"/registers/incoming?{query}")
        html = await resp.text()
        assert resp.status == 400 and f'data-code="{code}"' in html and zh in html, query
        assert 'id="register-filters"' in html, "the form stays, to put the field right"
        resp = await client.get(f"/api/registers/incoming?{query}")
        err = (await resp.json())["error"]
        assert resp.status == 400 and err["code"] == code and zh in err["message_zh"] and en in err["message_en"]
        for path in ("/registers/incoming.xlsx", "/registers/incoming.csv"):
            assert (await client.get(f"{path}?{query}")).status == 400, (path, query)
    resp = await client.get("/registers/outgoing?state=handling")   # an incoming state is not an outgoing one
    assert resp.status == 400 and "registers.bad_state" in await resp.text()
    resp = await client.get("/registers/outgoing?sort=received")
    assert resp.status == 400
    # a typed value is shown back escaped
    resp = await client.get("/registers/incoming?sort=<script>")
    assert resp.status == 400 and "<script>" not in await resp.text()
    await client.get("/lang?to=en&next=/")
    html = await (await client.get("/registers/incoming?year=abc")).text()
    assert "The year must be a number from 2000 to 2100" in html


async def test_the_registers_answer_in_english_too(client, demo_hub, unit_ids):
    await three_received(demo_hub, unit_ids)
    await login(client, "dhz.clerk1")
    await client.get("/lang?to=en&next=/")
    html = await (await client.get("/registers/incoming")).text()
    assert "Register of received documents" in html and "Lead unit" in html and "being handled" in html
    rows = csv_rows(await (await client.get("/registers/incoming.csv")).read())
    assert rows[0][0] == "No." and rows[2][6] == "Extra urgent"


async def test_the_documents_page_leads_its_clerks_and_leaders_to_the_issued_register(client):
    await login(client, "dhz.leader")
    html = await (await client.get("/documents")).text()
    assert 'href="/registers/outgoing" id="outgoing-register"' in html
    await login(client, "bgs.seal")
    assert 'id="outgoing-register"' not in await (await client.get("/documents")).text()


async def test_the_exported_sheet_prints_on_a4_landscape_with_page_numbers(client, demo_hub, unit_ids):
    await three_received(demo_hub, unit_ids)
    await login(client, "dhz.clerk1")
    body = await (await client.get("/registers/incoming.xlsx")).read()
    sheet = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert 'paperSize="9"' in sheet and 'orientation="landscape"' in sheet
    assert "<oddFooter>&amp;C&amp;P / &amp;N</oddFooter>" in sheet
    workbook = zipfile.ZipFile(io.BytesIO(body)).read("xl/workbook.xml").decode()
    assert "_xlnm.Print_Titles" in workbook          # the header row on every printed page


async def test_the_received_documents_page_leads_to_both_registers(client):
    await login(client, "dhz.clerk1")
    html = await (await client.get("/incoming")).text()
    assert 'href="/registers/incoming" id="incoming-register"' in html and 'href="/registers/outgoing"' in html
