"""The duty desk's pages and API: the whole day's board, the duty log, the handover, the .xlsx export."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

from tests.conftest import login
from tests.web.test_items_web import unit_id


async def issue(client, title: str, *codes: str, urgency: str = "extra_urgent") -> dict:
    resp = await client.post("/api/login", json={"login": "bgs.clerk1", "password": "Demo@2026"})
    csrf = (await resp.json())["csrf_token"]
    units = [await unit_id(client, c) for c in codes]
    resp = await client.post("/api/items", json={"kind": "document", "urgency": urgency, "title": title,
                                                 "body": "请立即处理", "main_units": units},
                             headers={"X-CSRF-Token": csrf})
    assert resp.status == 200, await resp.text()
    client.session.cookie_jar.clear()
    return await resp.json()


async def api_as(client, account: str) -> dict[str, str]:
    client.session.cookie_jar.clear()
    resp = await client.post("/api/login", json={"login": account, "password": "Demo@2026"})
    return {"X-CSRF-Token": (await resp.json())["csrf_token"]}


async def test_the_board_shows_a_fresh_notice_per_unit_with_the_numbers_to_call(client):
    issued = await issue(client, "寒潮防御紧急通知", "DHZ", "XSZ", "NQZ")
    await login(client, "duty")
    html = await (await client.get("/duty")).text()
    card = html[html.index('class="card board-item'):]
    assert "寒潮防御紧急通知" in card and card.count('class="board-entry') == 3
    assert card.count("未读</span>") == 3 and "剩余 30 分钟" in card
    assert 'href="tel:0571-88300001"' in card and re.search(r'href="tel:\+86138\d{8}" data-role="clerk"', card)
    assert re.search(r'href="tel:\+86138\d{8}" data-role="leader"', card)
    first = issued["deliveries"][0]["id"]
    assert f'href="/duty/log?delivery={first}"' in card and "记录通话" in card
    assert 'data-live="board"' in html


async def test_a_call_is_noted_from_the_board_and_listed_on_the_shifts_log(client):
    issued = await issue(client, "防汛紧急通知", "NQZ")
    delivery = issued["deliveries"][0]["id"]
    token = await login(client, "duty")
    page = await (await client.get(f"/duty/log?delivery={delivery}")).text()
    assert "关于：南桥镇人民政府" in page and "防汛紧急通知" in page
    assert f'name="delivery_id" value="{delivery}"' in page and 'value="call" checked' in page
    resp = await client.post("/duty/log", data={"csrf_token": token, "kind": "call", "delivery_id": str(delivery),
                                                "text": "已电话联系 <b>孙平</b>"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/duty/log?done=entry"
    page = await (await client.get("/duty/log?done=entry")).text()
    assert "已记录。" in page and "已电话联系 &lt;b&gt;孙平&lt;/b&gt;" in page
    assert re.search(r'<span class="badge log-kind">通话</span>\s*<strong class="log-unit">南桥镇人民政府', page)
    resp = await client.post("/duty/log", data={"csrf_token": token, "kind": "call", "text": "  "})
    assert resp.status == 400 and "请填写记录内容。" in await resp.text()


async def test_the_shift_is_handed_over_by_form_and_confirmed_by_the_next_officer(client, new_client):
    token = await login(client, "duty")
    resp = await client.post("/duty/shift", data={"csrf_token": token, "op": "take"}, allow_redirects=False)
    assert resp.headers["Location"] == "/duty/log?done=take"
    other = await new_client()
    token2 = await login(other, "duty2")
    duty2_id = (await (await other.get("/api/me")).json())["user"]["id"]
    page = await (await client.get("/duty/log")).text()
    assert 'id="handover-form"' in page and f'<option value="{duty2_id}">' in page
    resp = await client.post("/duty/shift", data={"csrf_token": token, "op": "handover", "to_user_id": str(duty2_id),
                                                  "note": "南桥镇未签收，已催办"}, allow_redirects=False)
    assert resp.headers["Location"] == "/duty/log?done=handover"
    board = await (await other.get("/duty")).text()
    assert "已向您交班，请确认接班" in board
    page = await (await other.get("/duty/log")).text()
    assert "南桥镇未签收，已催办" in page and "确认接班" in page
    assert 'id="handover" data-live="handover" data-refresh-seconds="30"' in page    # shows up without a reload
    resp = await client.post("/duty/shift", data={"csrf_token": token, "op": "confirm"})
    assert resp.status == 403 and "不能确认自己发起的交班" in await resp.text()
    resp = await other.post("/duty/shift", data={"csrf_token": token2, "op": "confirm"}, allow_redirects=False)
    assert resp.headers["Location"] == "/duty/log?done=confirm"
    page = await (await other.get("/duty/log?done=confirm")).text()
    assert "已接班，您现在当班。" in page and 'id="handover-form"' in page


async def test_the_log_exports_to_xlsx_with_text_kept_as_text(client):
    token = await login(client, "duty")
    await client.post("/duty/log", data={"csrf_token": token, "kind": "note", "text": "=HYPERLINK(\"x\") 夜班平稳"})
    resp = await client.get("/duty/log.xlsx")
    assert resp.status == 200
    assert resp.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E5%80%BC%E7%8F%AD%E6%97%A5%E5%BF%97" in resp.headers["Content-Disposition"]
    book = zipfile.ZipFile(io.BytesIO(await resp.read()))
    strings = book.read("xl/sharedStrings.xml").decode()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "记录内容" in strings and "=HYPERLINK(\"x\") 夜班平稳" in strings and "其他事件" in strings
    assert "<f>" not in sheet                                  # never a formula
    assert 'paperSize="9"' in sheet and 'orientation="landscape"' in sheet     # A4


async def test_the_log_prints_on_a4(client):
    await login(client, "duty")
    page = await (await client.get("/duty/log")).text()
    assert 'class="card print-register duty-log"' in page and "data-print" in page
    css = await (await client.get("/static/app.css")).text()
    assert re.search(r"@page\s*\{\s*size:\s*A4", css) and "@media print" in css


async def test_the_duty_log_api_notes_hands_over_and_confirms(client, new_client):
    issued = await issue(client, "API 通知", "XSZ")
    headers = await api_as(client, "duty")
    assert (await client.post("/api/duty/shift/take", headers=headers)).status == 200
    resp = await client.post("/api/duty/log/entries", headers=headers,
                             json={"kind": "call", "text": "已联系", "delivery_id": issued["deliveries"][0]["id"]})
    entry = (await resp.json())["entry"]
    assert resp.status == 200 and entry["unit"] == "西山镇人民政府" and entry["item"] == "API 通知"
    other = await new_client()
    headers2 = await api_as(other, "duty2")
    me2 = (await (await other.get("/api/me")).json())["user"]["id"]
    for body, code in (({"to_user_id": "x", "note": "n"}, "input.invalid"),
                       ({"to_user_id": me2, "note": " "}, "duty.handover_note_required"),
                       ({"to_user_id": 999999, "note": "n"}, "duty.handover_bad_officer")):
        resp = await client.post("/api/duty/handovers", headers=headers, json=body)
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code
    resp = await client.post("/api/duty/handovers", headers=headers, json={"to_user_id": me2, "note": "交班"})
    handover = (await resp.json())["handover"]
    log = await (await other.get("/api/duty/log")).json()
    assert log["open_handover"]["id"] == handover["id"] and log["open_handover"]["to"]
    resp = await other.post("/api/duty/handovers/confirm", headers=headers2, json={"handover_id": handover["id"]})
    assert resp.status == 200 and (await resp.json())["shift"]["officer_id"] == me2
    log = await (await other.get("/api/duty/log")).json()
    assert log["in_force"]["officer_id"] == me2 and log["entries"] == [] and log["handovers"][0]["confirmed_at"]


async def test_bad_shift_numbers_are_a_clear_400_or_404(client):
    await login(client, "duty")
    assert (await client.get("/duty/log?shift=abc")).status == 400
    resp = await client.get("/duty/log?shift=99999")
    assert resp.status == 404 and "该班次不存在" in await resp.text()
    assert (await client.get("/api/duty/log?shift=99999")).status == 404


async def test_the_board_and_log_read_in_english(client, clock):
    await issue(client, "Flood notice", "DHZ")
    await login(client, "duty")
    await client.get("/lang?to=en&next=/duty")
    clock.advance(timedelta(minutes=3))
    html = await (await client.get("/duty")).text()
    assert "27 min left" in html and "Log a call" in html and "Nobody is on shift" in html
    html = await (await client.get("/duty/log")).text()
    assert "Duty log" in html and "Start the shift" in html and "Export to Excel" in html
