"""催办 and 督办 over HTTP: the chase's answer names each person and their SMS, the daily limit is a
clear 429 with Retry-After, supervision and the lead's report by form and API, the board printable
and exported to .xlsx, bad input refused clearly, and only the record's office may chase."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from tests.conftest import login
from tests.service.test_road_deadlines import handling_record


def sheet_text(body: bytes) -> tuple[str, str]:
    book = zipfile.ZipFile(io.BytesIO(body))
    return book.read("xl/sharedStrings.xml").decode(), book.read("xl/worksheets/sheet1.xml").decode()


async def test_a_clerk_chases_a_step_and_sees_who_was_texted_and_who_has_no_phone(client, demo_hub):
    record_id, step_id = await handling_record(demo_hub)
    async with demo_hub.store.write() as tx:
        await tx.conn.execute("UPDATE users SET phone = '' WHERE login = 'jyj.clerk2'")
    csrf = await login(client, "bgs.clerk1")
    resp = await client.post(f"/road-steps/{step_id}/chase",
                             data={"csrf_token": csrf, "note": "请加快", "back": f"/incoming/{record_id}#supervision"})
    html = await resp.text()
    assert resp.status == 200
    assert "已催办承办" in html and 'data-status="queued"' in html and 'data-status="no_phone"' in html
    assert "无手机号，未发短信" in html and "部分人员未能收到短信" in html
    assert f'href="/incoming/{record_id}#supervision"' in html


async def test_the_fourth_chase_of_a_day_is_refused_with_retry_after(client, demo_hub):
    _, step_id = await handling_record(demo_hub)
    csrf = await login(client, "bgs.clerk1")
    for _ in range(demo_hub.config.incoming.chases_per_day):
        resp = await client.post(f"/api/road-steps/{step_id}/chase", json={}, headers={"X-CSRF-Token": csrf})
        assert resp.status == 200
    body = await resp.json()
    assert body["left_today"] == 0 and [t["status"] for t in body["chase"]["told"]] == ["queued", "queued"]
    resp = await client.post(f"/api/road-steps/{step_id}/chase", json={}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 429
    # 09:00 in Beijing: 15 hours to midnight
    assert resp.headers["Retry-After"] == str(15 * 3600)
    assert "今天已催办 3 次" in (await resp.json())["error"]["message_zh"]
    page = await client.post(f"/road-steps/{step_id}/chase", data={"csrf_token": csrf})
    assert page.status == 429 and page.headers["Retry-After"] == str(15 * 3600)
    assert 'data-code="chase.limit"' in await page.text()


async def test_another_units_clerk_cannot_chase_nor_see_the_chases(client, demo_hub):
    record_id, step_id = await handling_record(demo_hub)
    csrf = await login(client, "dhz.clerk1")
    resp = await client.post(f"/api/road-steps/{step_id}/chase", json={}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "chase.step_not_found"
    resp = await client.get(f"/api/incoming/{record_id}/chases")
    assert resp.status == 404
    resp = await client.post("/api/road-steps/abc/chase", json={}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 404


async def test_the_office_supervises_by_form_and_the_lead_reports_by_api(client, demo_hub, aiohttp_client):
    record_id, _ = await handling_record(demo_hub, due_in=timedelta(days=20))
    csrf = await login(client, "bgs.clerk1")
    resp = await client.post(f"/incoming/{record_id}/supervise",
                             data={"csrf_token": csrf, "every_days": "4", "note": "每4天报送"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/incoming/{record_id}?done=supervise#supervision"
    again = await client.post(f"/incoming/{record_id}/supervise",
                              data={"csrf_token": csrf, "every_days": "4", "note": "再来"})
    assert again.status == 409 and "该公文已在督办中" in await again.text()
    lead = await aiohttp_client(client.app)
    lead_csrf = await login(lead, "jyj.clerk1")
    resp = await lead.post(f"/api/incoming/{record_id}/progress", json={"text": "已完成摸排。"},
                           headers={"X-CSRF-Token": lead_csrf})
    assert resp.status == 200
    sup = (await resp.json())["supervision"]
    assert sup["last_report"] == "已完成摸排。" and sup["every_days"] == 4
    resp = await lead.post(f"/api/incoming/{record_id}/progress", json={"text": "  "},
                           headers={"X-CSRF-Token": lead_csrf})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "supervision.report_required"
    board = await (await client.get("/api/supervision")).json()
    (row,) = board["rows"]
    assert row["id"] == record_id and row["lead_unit"] == "示范区教育局" and row["report_overdue_days"] == 0
    assert row["supervision"]["last_report"] == "已完成摸排。"


async def test_bad_supervision_input_is_refused_in_chinese_and_english_and_nothing_is_stored(client, demo_hub):
    record_id, _ = await handling_record(demo_hub)
    csrf = await login(client, "bgs.clerk1")
    for data, code in (({"every_days": "0", "note": "x"}, "supervision.bad_interval"),
                       ({"every_days": "abc", "note": "x"}, "supervision.bad_interval"),
                       ({"every_days": "5", "note": ""}, "supervision.note_required")):
        resp = await client.post(f"/incoming/{record_id}/supervise", data={"csrf_token": csrf, **data})
        html = await resp.text()
        assert resp.status == 400 and f'data-code="{code}"' in html, html[:500]
        assert 'name="note"' in html                                  # the form again, as typed
    resp = await client.post(f"/api/incoming/{record_id}/supervise", json={"every_days": "7", "note": "x"},
                             headers={"X-CSRF-Token": csrf})
    error = (await resp.json())["error"]
    assert resp.status == 400 and error["message_en"].startswith("Report every 1 to 90 days")
    assert error["message_zh"].startswith("报告周期须为")
    assert (await (await client.get("/api/supervision")).json())["rows"] == []


async def test_the_board_prints_on_a4_and_exports_to_xlsx(client, demo_hub):
    late_id, _ = await handling_record(demo_hub, due_in=timedelta(days=1), title="关于整治违规占道经营的通知")
    csrf = await login(client, "bgs.clerk1")
    resp = await client.post(f"/api/incoming/{late_id}/supervise", json={"every_days": 2, "note": "限期整改"},
                             headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    demo_hub.clock.advance(days=4)
    await login(client, "bgs.clerk1")                                # days later: a new session
    html = await (await client.get("/supervision?print=1")).text()
    assert "print-register" in html and "示范区人民政府办公室督办台账" in html
    assert "关于整治违规占道经营的通知" in html and "3 天" in html and "尚未报送" in html
    resp = await client.get("/supervision.xlsx")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    strings, sheet = sheet_text(await resp.read())
    assert "关于整治违规占道经营的通知" in strings and "示范区教育局" in strings and "报送超期" in strings
    assert sheet.count("<row ") == 1 + 1 + 1 and 'paperSize="9"' in sheet
    await client.get("/lang?to=en&next=/supervision")
    assert "Supervision board of" in await (await client.get("/supervision")).text()


async def test_a_township_leader_sees_an_empty_board_of_their_own_unit(client, demo_hub):
    await handling_record(demo_hub)
    await login(client, "dhz.leader")
    html = await (await client.get("/supervision")).text()
    assert "东湖镇人民政府督办台账" in html and "目前没有督办件" in html
    await login(client, "bgs.seal")
    assert (await client.get("/supervision")).status == 403


async def test_the_record_pages_box_shows_the_office_its_chase_buttons_and_each_sms_state(client, demo_hub):
    from webapp.context import JINJA
    from webapp.i18n import translate

    record_id, step_id = await handling_record(demo_hub)
    csrf = await login(client, "bgs.clerk1")
    await client.post(f"/api/road-steps/{step_id}/chase", json={"note": "请加快"}, headers={"X-CSRF-Token": csrf})
    async with demo_hub.store.write() as tx:     # the gateway said one SMS never arrived
        await tx.conn.execute("UPDATE outbox SET state = 'undelivered', error = '30003' WHERE id = "
                              "(SELECT min(id) FROM outbox WHERE history_id IS NOT NULL)")

    async def box(login_name: str) -> str:
        user = await demo_hub.identity.user_by_login(login_name)
        panel = await demo_hub.supervision.panel(await demo_hub.identity.actor(user.id, "127.0.0.1"), "incoming",
                                                 record_id)
        return client.app[JINJA].get_template("_supervision_panel.html").render(
            t=lambda key, **kw: translate("zh", key, **kw), csrf_token="token", supervision_panel=panel)

    html = await box("bgs.clerk1")
    assert f'action="/road-steps/{step_id}/chase"' in html and "今日还可催办 2 次" in html
    assert 'data-status="undelivered"' in html and "短信未送达" in html and 'data-status="queued"' in html
    assert f'action="/incoming/{record_id}/supervise"' in html and 'href="/supervision"' in html
    assert "chase" not in await box("jyj.clerk1")          # the lead has nothing to do here yet
    await demo_hub.supervision.supervise(await demo_hub.identity.actor(
        (await demo_hub.identity.user_by_login("bgs.clerk1")).id, "127.0.0.1"), "incoming", record_id, 3, "督办")
    lead = await box("jyj.clerk1")
    assert f'action="/incoming/{record_id}/progress"' in lead and "督办中：每 3 天报送进展" in lead


async def test_the_record_page_carries_the_box_for_the_office_and_the_lead(client, demo_hub, aiohttp_client):
    record_id, step_id = await handling_record(demo_hub)
    csrf = await login(client, "bgs.clerk1")
    page = await (await client.get(f"/incoming/{record_id}")).text()
    assert 'id="supervision"' in page and f'action="/road-steps/{step_id}/chase"' in page
    await client.post(f"/road-steps/{step_id}/chase", data={"csrf_token": csrf})
    resp = await client.post(f"/incoming/{record_id}/supervise", data={"csrf_token": csrf, "note": "督办"},
                             allow_redirects=False)
    page = await (await client.get(resp.headers["Location"])).text()
    assert "督办中：每 7 天报送进展" in page and page.count('data-status="queued"') == 2
    assert 'data-move="chase"' in page and 'data-move="supervise"' in page       # the timeline, too
    lead = await aiohttp_client(client.app)
    await login(lead, "jyj.clerk1")
    page = await (await lead.get(f"/incoming/{record_id}")).text()
    assert f'action="/incoming/{record_id}/progress"' in page and "chase-steps" not in page   # no chasing


async def test_the_home_page_leads_the_office_to_its_board(client):
    await login(client, "bgs.leader")
    assert 'class="tile" href="/supervision"' in await (await client.get("/")).text()
    await login(client, "bgs.seal")
    assert 'href="/supervision"' not in await (await client.get("/")).text()
