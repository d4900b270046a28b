"""传阅 on the web: the form, the sender's view (HTML and JSON), 已阅, withdraw, remind; refusals in
both languages; strangers get 404."""

from __future__ import annotations

import re

from tests.conftest import csrf_from, login
from tests.service.test_circulation import record, uid


async def send(client, token: str, rec: int, people: list[int], note: str = "请阅知", ordered: bool = False,
               positions: dict[int, int] | None = None):
    data: list[tuple[str, str]] = [("csrf_token", token), ("note", note)] + [("reader", str(p)) for p in people]
    if ordered:
        data.append(("ordered", "1"))
    data += [(f"pos_{k}", str(v)) for k, v in (positions or {}).items()]
    return await client.post(f"/incoming/{rec}/circulations", data=data, allow_redirects=False)


async def test_the_clerk_circulates_from_the_form_and_sees_who_read_it(client, demo_hub):
    rec = await record(demo_hub)
    token = await login(client, "dhz.clerk1")
    page = await client.get(f"/incoming/{rec}/circulations/new")
    html = await page.text()
    assert page.status == 200 and "发起传阅" in html and "东湖镇党政办公室" in html
    assert f'value="{await uid(demo_hub, "dhz.leader")}"' in html and "dhz.clerk1" not in html
    leader, dzb = await uid(demo_hub, "dhz.leader"), await uid(demo_hub, "dhzdzb.clerk")
    resp = await send(client, token, rec, [leader, dzb], "请领导阅示")
    assert resp.status == 303
    location = resp.headers["Location"]
    assert re.fullmatch(r"/circulations/\d+\?done=sent", location)
    cid = int(location.split("/")[2].split("?")[0])
    html = await (await client.get(location)).text()
    assert "已送传阅" in html and "请领导阅示" in html and html.count('data-status="unread"') == 2
    assert "提醒未阅人员" in html and "撤回传阅" in html

    # the leader reads it with a comment (the form on the view), then the sender's view shows it
    await client.post("/logout", data={"csrf_token": token})
    token = await login(client, "dhz.leader")
    view = await (await client.get(f"/api/circulations/{cid}")).json()
    step = view["circulation"]["my_step_id"]
    html = await (await client.get(f"/circulations/{cid}")).text()
    assert f'action="/road-steps/{step}/read"' in html
    resp = await client.post(f"/road-steps/{step}/read", data={"csrf_token": token, "comment": "已阅，同意"},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/circulations/{cid}?done=read"
    await client.post("/logout", data={"csrf_token": token})
    await login(client, "dhz.clerk1")
    got = (await (await client.get(f"/api/circulations/{cid}")).json())["circulation"]
    assert got["counts"] == {"not_yet": 0, "unread": 1, "read": 1, "withdrawn": 0}
    first = got["readers"][0]
    assert first["status"] == "read" and first["comment"] == "已阅，同意" and first["read_at"]


async def test_ordered_positions_from_the_form_decide_who_reads_first(client, demo_hub):
    rec = await record(demo_hub)
    token = await login(client, "dhz.clerk1")
    leader, dzb, jfb = [await uid(demo_hub, p) for p in ("dhz.leader", "dhzdzb.clerk", "dhzjfb.clerk")]
    resp = await send(client, token, rec, [leader, dzb, jfb], ordered=True, positions={jfb: 1, leader: 2})
    cid = int(resp.headers["Location"].split("/")[2].split("?")[0])
    got = (await (await client.get(f"/api/circulations/{cid}")).json())["circulation"]
    assert [(r["user_id"], r["status"]) for r in got["readers"]] == [(jfb, "unread"), (leader, "not_yet"),
                                                                     (dzb, "not_yet")]


async def test_bad_forms_answer_with_a_clear_message_and_keep_what_was_typed(client, demo_hub):
    rec = await record(demo_hub)
    token = await login(client, "dhz.clerk1")
    resp = await send(client, token, rec, [], "请阅")
    html = await resp.text()
    assert resp.status == 400 and "请至少选择一位传阅人" in html and "请阅" in html
    resp = await send(client, token, rec, [await uid(demo_hub, "dhz.leader")], "  ")
    assert resp.status == 400 and "请填写传阅说明" in await resp.text()
    resp = await client.post(f"/api/incoming/{rec}/circulations", json={"user_ids": [], "note": "x"},
                             headers={"X-CSRF-Token": token})
    err = (await resp.json())["error"]
    assert resp.status == 400 and err["code"] == "circulation.nobody" and "at least one" in err["message_en"]
    resp = await client.post(f"/api/incoming/{rec}/circulations", json={"user_ids": ["1"], "note": "x"},
                             headers={"X-CSRF-Token": token})
    assert resp.status == 400
    async with demo_hub.store.read() as tx:
        assert await tx.circulations.of_record("incoming", rec) == []


async def test_withdraw_and_remind_through_the_api_and_the_pages(client, demo_hub):
    rec = await record(demo_hub)
    nophone = await demo_hub.identity.user_by_login("dhzjfb.clerk")
    async with demo_hub.store.write() as tx:
        await tx.users.update_profile(nophone.id, nophone.name, "", ())
    token = await login(client, "dhz.clerk1")
    headers = {"X-CSRF-Token": token}
    resp = await client.post(f"/api/incoming/{rec}/circulations", headers=headers,
                             json={"user_ids": [await uid(demo_hub, "dhz.leader"), nophone.id], "note": "阅知"})
    assert resp.status == 200, await resp.text()
    cid = (await resp.json())["circulation_id"]
    resp = await client.post(f"/circulations/{cid}/remind", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    html = await (await client.get(resp.headers["Location"])).text()
    assert "已发短信" in html and f"未能以短信送达（未登记手机号）：{nophone.name}" in html
    assert 'data-sms="queued"' in html and "提醒短信待发送" in html          # the leader's SMS, until it is sent
    reminded = await (await client.post(f"/api/circulations/{cid}/remind", headers=headers)).json()
    assert reminded["not_reached"] == [nophone.name] and len(reminded["reached"]) == 1
    listed = await (await client.get(f"/api/incoming/{rec}/circulations")).json()
    assert listed["may_circulate"] and [c["id"] for c in listed["circulations"]] == [cid]
    assert any(p["name"] == nophone.name for p in listed["people"])
    resp = await client.post(f"/circulations/{cid}/withdraw", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    html = await (await client.get(resp.headers["Location"])).text()
    assert "已撤回传阅" in html and html.count('data-status="withdrawn"') == 2 and "撤回传阅</button>" not in html
    resp = await client.post(f"/api/circulations/{cid}/withdraw", headers=headers)
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "circulation.withdrawn"


async def test_a_stranger_can_neither_see_nor_read_and_an_unknown_id_is_404(client, demo_hub):
    rec = await record(demo_hub)
    sender = await demo_hub.identity.user_by_login("dhz.clerk1")
    from tests.service.test_urgent_items import actor
    sent = await demo_hub.circulation.circulate(await actor(demo_hub, "dhz.clerk1"), rec,
                                                [await uid(demo_hub, "dhz.leader")], "阅知")
    leader = await actor(demo_hub, "dhz.leader")
    step = (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.step_id
    token = await login(client, "xsz.clerk1")
    for path in (f"/circulations/{sent.circulation_id}", f"/api/circulations/{sent.circulation_id}",
                 f"/api/incoming/{rec}/circulations", f"/incoming/{rec}/circulations/new"):
        resp = await client.get(path)
        assert resp.status == 404, path
        assert "关于做好冬季防火工作的通知" not in await resp.text()
    resp = await client.post(f"/road-steps/{step}/read", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 404
    resp = await client.post(f"/api/road-steps/{step}/read", json={}, headers={"X-CSRF-Token": token})
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "circulation.step_not_found"
    resp = await client.post(f"/circulations/{sent.circulation_id}/withdraw", data={"csrf_token": token})
    assert resp.status == 404
    assert (await client.get("/circulations/999999")).status == 404
    assert (await client.get("/circulations/abc")).status == 404
    assert sender  # the sender's record is untouched
    assert (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.status == "unread"


async def test_the_read_form_needs_the_csrf_token(client, demo_hub):
    rec = await record(demo_hub)
    from tests.service.test_urgent_items import actor
    sent = await demo_hub.circulation.circulate(await actor(demo_hub, "dhz.clerk1"), rec,
                                                [await uid(demo_hub, "dhz.leader")], "阅知")
    leader = await actor(demo_hub, "dhz.leader")
    step = (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.step_id
    await login(client, "dhz.leader")
    resp = await client.post(f"/road-steps/{step}/read", data={"comment": "x"}, allow_redirects=False)
    assert resp.status == 403
    assert (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.status == "unread"
    assert await csrf_from(client, f"/circulations/{sent.circulation_id}")


async def test_the_pages_speak_english_when_asked(client, demo_hub):
    rec = await record(demo_hub)
    token = await login(client, "dhz.clerk1")
    await client.get(f"/lang?to=en&next=/incoming/{rec}/circulations/new")
    resp = await send(client, token, rec, [], "why")
    html = await resp.text()
    assert resp.status == 400 and "Please choose at least one person to read it." in html and "Readers" in html
    resp = await send(client, token, rec, [await uid(demo_hub, "dhz.leader")], "for your information")
    html = await (await client.get(resp.headers["Location"])).text()
    assert "Circulated." in html and "To read" in html and "Withdraw" in html


async def test_the_record_pages_panel_shows_the_read_form_to_a_reader_and_the_circulations_to_the_office(
        client, demo_hub):
    """_circulation_panel.html, as the record page includes it (with `circulation` = the service's panel)."""
    from hub.services.circulation import Panel
    from tests.service.test_urgent_items import actor
    from webapp.context import JINJA
    from webapp.i18n import translate

    def render(panel: Panel) -> str:
        return client.server.app[JINJA].get_template("_circulation_panel.html").render(
            t=lambda key, **p: translate("zh", key, **p), csrf_token="token", circulation=panel)
    rec = await record(demo_hub)
    office, leader = await actor(demo_hub, "dhz.clerk1"), await actor(demo_hub, "dhzdzb.clerk")   # 党政办's reader
    assert "尚未传阅" in render(await demo_hub.circulation.panel(office, rec))
    sent = await demo_hub.circulation.circulate(office, rec, [leader.user_id], "请领导阅示")
    html = render(await demo_hub.circulation.panel(leader, rec))
    step = (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.step_id
    assert f'action="/road-steps/{step}/read"' in html and "请领导阅示" in html and "发起传阅" not in html
    html = render(await demo_hub.circulation.panel(office, rec))
    assert f'href="/circulations/{sent.circulation_id}"' in html and "已阅 0/1" in html
    assert f'href="/incoming/{rec}/circulations/new"' in html and "/road-steps/" not in html
    # a lead unit's clerk with nothing of theirs in it sees no circulation box at all
    assert "circulation-panel" not in render(await demo_hub.circulation.panel(await actor(demo_hub, "dhzjfb.clerk"), rec))


async def test_the_sender_sees_all_their_circulations_with_who_has_read_each(client, demo_hub):
    from tests.service.test_urgent_items import actor
    first, second = await record(demo_hub, title="第一份收文"), await record(demo_hub, title="第二份收文")
    sender, leader = await actor(demo_hub, "dhz.clerk1"), await actor(demo_hub, "dhz.leader")
    a = await demo_hub.circulation.circulate(sender, first, [leader.user_id, await uid(demo_hub, "dhz.clerk2")], "阅知")
    b = await demo_hub.circulation.circulate(sender, second, [leader.user_id], "请阅", ordered=True)
    await demo_hub.circulation.read(leader, (await demo_hub.circulation.view(leader, a.circulation_id)).mine.step_id)
    await login(client, "dhz.clerk1")
    html = await (await client.get("/circulations")).text()
    assert html.index("第二份收文") < html.index("第一份收文")              # the latest first
    assert "已阅 1/2" in html and "已阅 0/1" in html
    got = (await (await client.get("/api/circulations")).json())["circulations"]
    assert [(c["id"], c["counts"]["read"], c["counts"]["unread"], c["total"]) for c in got] == [
        (b.circulation_id, 0, 1, 1), (a.circulation_id, 1, 1, 2)]
    await client.post("/logout", data={"csrf_token": await csrf_from(client, "/circulations")})
    await login(client, "dhz.leader")                                       # a reader sent none
    assert (await (await client.get("/api/circulations")).json())["circulations"] == []
    assert "您还没有发起过传阅" in await (await client.get("/circulations")).text()


async def test_a_reader_reads_from_the_record_page_and_comes_back_to_it(client, demo_hub):
    from tests.service.test_urgent_items import actor
    rec = await record(demo_hub)
    sent = await demo_hub.circulation.circulate(await actor(demo_hub, "dhz.clerk1"), rec,
                                                [await uid(demo_hub, "dhzdzb.clerk")], "请党政办阅知")
    token = await login(client, "dhzdzb.clerk")                      # 党政办: a reader, not of the register
    html = await (await client.get(f"/incoming/{rec}")).text()
    step = (await demo_hub.circulation.view(await actor(demo_hub, "dhzdzb.clerk"), sent.circulation_id)).mine.step_id
    assert f'action="/road-steps/{step}/read"' in html and "请党政办阅知" in html
    resp = await client.post(f"/road-steps/{step}/read", allow_redirects=False,
                             data={"csrf_token": token, "comment": "已阅", "back": f"/incoming/{rec}#circulation"})
    assert resp.status == 303 and resp.headers["Location"] == f"/incoming/{rec}#circulation"
    html = await (await client.get(f"/incoming/{rec}")).text()
    assert "/road-steps/" not in html and "已阅 1/1" in html           # read; its slip is listed
    assert (await client.get(f"/incoming/{rec}/circulations/new")).status == 404   # nor circulates it further
