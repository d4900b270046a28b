"""会议管理 over the web client: calling a meeting by its form, an invited unit's reply with a substitute,
the organiser's page (who answered, who comes, the silent units' phones), its forms, the list and
its .xlsx, the JSON API, and bad input refused in both languages."""

import io
import zipfile
from datetime import timedelta

import jsonschema

from hub.domain.calendar import CST
from tests.conftest import login
from tests.web.test_openapi import fetch_doc


def local(t) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


async def ids_of(demo_hub, *codes):
    units = {u.code: u.id for u in await demo_hub.identity.units()}
    return [units[c] for c in codes]


async def call_by_form(client, demo_hub, csrf, title="全区防汛工作部署会", hours=24, invitees=()):
    now = demo_hub.clock.now()
    dhz, xsz = await ids_of(demo_hub, "DHZ", "XSZ")
    data = [("csrf_token", csrf), ("title", title), ("room", "区政府三楼会议室"),
            ("starts_at", local(now + timedelta(hours=hours))), ("ends_at", local(now + timedelta(hours=hours + 2))),
            ("urgency", "ordinary"), ("agenda", "一、通报汛情"), ("main_units", str(dhz)), ("main_units", str(xsz))]
    for login_name in invitees:
        data.append(("invitees", str((await demo_hub.identity.user_by_login(login_name)).id)))
    return await client.post("/meetings", data=data, allow_redirects=False)


async def test_the_organiser_calls_a_meeting_and_sees_live_who_answered_who_comes_and_whom_to_call(client, demo_hub):
    csrf = await login(client, "bgs.clerk1")
    form = await (await client.get("/meetings/new")).text()
    assert "召集会议" in form and "东湖镇人民政府" in form
    resp = await call_by_form(client, demo_hub, csrf, invitees=("dhz.leader",))
    assert resp.status == 303, await resp.text()
    path = resp.headers["Location"].split("?")[0]
    meeting_id = int(path.rsplit("/", 1)[1])
    page = await (await client.get(path + "?done=call")).text()
    assert "会议通知已发出" in page and "已回执 0/2 个单位" in page and 'href="tel:' in page
    assert f'href="/meetings/{meeting_id}/signin"' in page and f'href="/meetings/{meeting_id}/attendance"' in page

    # 东湖镇 replies: its clerk comes instead of the leader invited by name, and someone without an account
    csrf = await login(client, "dhz.clerk1")
    page = await (await client.get(path)).text()
    assert 'id="reply-form"' in page and "签到码" not in page
    leader = await demo_hub.identity.user_by_login("dhz.leader")
    clerk2 = await demo_hub.identity.user_by_login("dhz.clerk2")
    resp = await client.post(path + "/reply", data={"csrf_token": csrf, "coming": "1", "attend": str(clerk2.id),
                                                    f"sub_{clerk2.id}": str(leader.id), "o_name_1": "王站长",
                                                    "o_phone_1": "13900001111", "note": "李镇长出差"},
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    page = await (await client.get(resp.headers["Location"])).text()
    assert "参会回执已报送" in page and 'id="reply-box"' in page and "修改回执" in page

    await login(client, "bgs.clerk1")
    page = await (await client.get(path)).text()
    assert "已回执 1/2 个单位，参会 2 人，未回执 1 个单位" in page
    assert f"{clerk2.name} <span class=\"muted small\">（代 {leader.name}）</span>" in page and "王站长" in page
    assert 'data-live="replies"' in page
    csrf = await login(client, "bgs.clerk1")
    resp = await client.post(path + "/chase", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    assert "已催报未回执单位" in await (await client.get(resp.headers["Location"])).text()

    # the item page of the notice links the meeting
    item = (await demo_hub.meetings.view(await demo_hub.identity.actor(leader.id, ""), meeting_id)).item
    assert f'href="/meetings/{meeting_id}"' in await (await client.get(f"/items/{item.id}")).text()


async def test_the_list_prints_and_exports_to_xlsx(client, demo_hub):
    csrf = await login(client, "bgs.clerk1")
    await call_by_form(client, demo_hub, csrf, title="关于召开森林防火会议")
    await login(client, "dhz.clerk1")
    html = await (await client.get("/meetings?print=1")).text()
    assert "print-register" in html and "关于召开森林防火会议" in html and "未报送回执" in html
    resp = await client.get("/meetings.xlsx")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    book = zipfile.ZipFile(io.BytesIO(await resp.read()))
    strings = book.read("xl/sharedStrings.xml").decode()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "关于召开森林防火会议" in strings and "未报送回执" in strings and "东湖镇人民政府会议一览" in strings
    assert sheet.count("<row ") == 1 + 1 + 1 and 'paperSize="9"' in sheet


async def test_a_meeting_in_the_past_is_refused_in_both_languages_and_nothing_is_stored(client, demo_hub):
    csrf = await login(client, "bgs.clerk1")
    resp = await call_by_form(client, demo_hub, csrf, hours=-2)
    assert resp.status == 400 and "会议开始时间已过" in await resp.text()
    await client.get("/lang?to=en&next=/meetings")
    resp = await call_by_form(client, demo_hub, csrf, hours=-2)
    assert resp.status == 400 and "would start in the past" in await resp.text()
    assert "No meetings yet" in await (await client.get("/meetings")).text()


async def test_the_json_api_calls_replies_changes_and_answers_as_its_document_says(client, demo_hub):

    doc = await fetch_doc(client)

    def check(path: str, method: str, body) -> None:
        schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator(schema).validate(body)

    token = await login(client, "bgs.clerk1")
    now = demo_hub.clock.now()
    dhz, xsz = await ids_of(demo_hub, "DHZ", "XSZ")
    body = {"title": "全区森林防火工作会", "room": "区政府三楼会议室", "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=1, hours=2)).isoformat(), "main_units": [dhz, xsz]}
    resp = await client.post("/api/meetings", json={**body, "ends_at": body["starts_at"]},
                             headers={"X-CSRF-Token": token})
    error = (await resp.json())["error"]
    assert resp.status == 400 and error["message_zh"] == "会议结束时间须晚于开始时间。" and "must end after" in error["message_en"]
    resp = await client.post("/api/meetings", json=body, headers={"X-CSRF-Token": token})
    assert resp.status == 200, await resp.text()
    meeting = (await resp.json())["meeting"]
    check("/api/meetings", "post", {"meeting": meeting})

    token = await login(client, "xsz.clerk1")
    leader = await demo_hub.identity.user_by_login("xsz.leader")
    resp = await client.post(f"/api/meetings/{meeting['id']}/reply", headers={"X-CSRF-Token": token},
                             json={"coming": True, "attendees": [{"user_id": leader.id}]})
    assert resp.status == 200, await resp.text()
    check("/api/meetings/{meeting_id}/reply", "post", await resp.json())
    stranger = await demo_hub.identity.user_by_login("dhz.leader")
    resp = await client.post(f"/api/meetings/{meeting['id']}/reply", headers={"X-CSRF-Token": token},
                             json={"coming": True, "attendees": [{"user_id": stranger.id}]})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "meeting.attendee_not_of_unit"

    token = await login(client, "bgs.clerk1")
    later = now + timedelta(days=2)
    resp = await client.post(f"/api/meetings/{meeting['id']}/change", headers={"X-CSRF-Token": token},
                             json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()})
    assert resp.status == 200 and (await resp.json())["meeting"]["version"] == 2
    resp = await client.get(f"/api/meetings/{meeting['id']}")
    view = await resp.json()
    check("/api/meetings/{meeting_id}", "get", view)
    xsz_row = next(u for u in view["units"] if u["unit_id"] == xsz)
    assert xsz_row["stale"] and not xsz_row["answered"] and xsz_row["round"] == 2 and xsz_row["contacts"]
    resp = await client.post(f"/api/meetings/{meeting['id']}/chase", headers={"X-CSRF-Token": token})
    assert resp.status == 200 and sorted((await resp.json())["chased"]) == sorted([dhz, xsz])
    listed = await (await client.get("/api/meetings")).json()
    check("/api/meetings", "get", listed)
    assert [m["meeting"]["id"] for m in listed["meetings"]] == [meeting["id"]]


async def test_the_reply_form_starts_from_the_units_current_reply_so_confirming_a_change_is_one_tap(client, demo_hub):
    csrf = await login(client, "bgs.clerk1")
    resp = await call_by_form(client, demo_hub, csrf, title="关于召开冬季防火调度会", invitees=("dhz.leader",))
    path = resp.headers["Location"].split("?")[0]
    leader = await demo_hub.identity.user_by_login("dhz.leader")
    clerk2 = await demo_hub.identity.user_by_login("dhz.clerk2")
    csrf = await login(client, "dhz.clerk1")
    outsiders = {f"o_name_{n}": f"外聘{n}" for n in range(1, 5)} | {f"o_phone_{n}": f"1390000111{n}" for n in range(1, 5)}
    resp = await client.post(path + "/reply", data={"csrf_token": csrf, "coming": "1", "attend": str(clerk2.id),
                                                    f"sub_{clerk2.id}": str(leader.id), **outsiders},
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    page = await (await client.get(path)).text()
    assert f'id="attend-{clerk2.id}" checked' in page and f'id="attend-{leader.id}">' in page
    assert f'<option value="{leader.id}" selected>{leader.name}</option>' in page
    assert f'id="sub-{leader.id}"' not in page                 # the invited person replaces nobody
    for n in range(1, 5):                                       # four people without an account: four rows
        assert f'id="o-name-{n}" maxlength="40" value="外聘{n}"' in page
        assert f'value="+861390000111{n}"' in page
    assert 'id="o-name-5"' not in page and '<details id="outsiders" open>' in page

    # sent back as it is, the reply keeps everyone (the fourth too)
    resp = await client.post(path + "/reply", data={"csrf_token": csrf, "coming": "1", "attend": str(clerk2.id),
                                                    f"sub_{clerk2.id}": str(leader.id), **outsiders},
                             allow_redirects=False)
    assert resp.status == 303
    await login(client, "bgs.clerk1")
    page = await (await client.get(path)).text()
    assert "参会 5 人" in page and "外聘4" in page
