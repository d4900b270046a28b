"""Sending is quick, through the real pages and JSON API: the sender reminds the units not signed
for yet (催办), recipient groups on the issue form, and filtered inbox / sent lists."""


import re

from tests.conftest import login
from tests.web.test_items_web import issue_form, unit_id


async def issue(client, csrf, title, *codes, urgency="extra_urgent"):
    units = [await unit_id(client, c) for c in codes]
    resp = await issue_form(client, csrf, kind="document", urgency=urgency, title=title, body="请办理。",
                            main_units=units)
    assert resp.status == 303, await resp.text()
    return int(resp.headers["Location"].rsplit("/", 1)[1])


async def test_the_sender_reminds_the_units_not_signed_for_with_one_confirmed_button(client):
    csrf = await login(client, "bgs.clerk1")
    item_id = await issue(client, csrf, "关于做好防汛值守的紧急通知", "DHZ", "XSZ")
    page = await (await client.get(f"/items/{item_id}")).text()
    assert "提醒未签收单位 · 2" in page and "确认提醒 2 个单位" in page     # behind a confirmation

    resp = await client.post(f"/items/{item_id}/remind", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(resp.headers["Location"])).text()
    assert "已提醒 2 个单位。" in page and page.count("已催办 1 次") == 2
    assert "发文单位催办" in page                                          # on the timeline

    resp = await client.post(f"/items/{item_id}/remind", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 409 and "刚刚已提醒，请 5 分钟后再提醒。" in await resp.text()   # a double tap


async def test_remind_over_the_api_and_who_may_not(client):
    csrf = await login(client, "bgs.clerk1")
    item_id = await issue(client, csrf, "关于报送值班表的通知", "NQZ")
    resp = await client.post(f"/api/items/{item_id}/remind", headers={"X-CSRF-Token": csrf})
    body = await resp.json()
    assert resp.status == 200 and body["reminded"] == 1 and body["deliveries"][0]["chases"] == 1

    client.session.cookie_jar.clear()
    csrf = await login(client, "nqz.clerk1")                   # the recipient cannot chase itself
    page = await (await client.get(f"/items/{item_id}")).text()
    assert "提醒未签收单位" not in page
    resp = await client.post(f"/api/items/{item_id}/remind", headers={"X-CSRF-Token": csrf})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "chase.not_sender"
    resp = await client.post(f"/items/{item_id}/remind", data={}, allow_redirects=False)
    assert resp.status == 403                                  # no CSRF token: refused


async def test_inbox_and_sent_filter_by_state_urgency_and_title_as_bookmarkable_links(client):
    csrf = await login(client, "bgs.clerk1")
    await issue(client, csrf, "关于寒潮防御的紧急通知", "DHZ")
    await issue(client, csrf, "关于报送100%完成率_统计的通知", "DHZ", urgency="urgent")
    await issue(client, csrf, "关于召开例会的通知", "DHZ", urgency="ordinary")

    sent = await (await client.get("/sent?urgency=urgent")).text()
    assert "100%完成率" in sent and "寒潮" not in sent and "例会" not in sent
    assert 'option value="urgent" selected' in sent                       # the form shows the filter
    body = await (await client.get("/api/sent?state=open&q=寒潮")).json()
    assert [r["item"]["title"] for r in body["items"]] == ["关于寒潮防御的紧急通知"]
    assert len(body["items"][0]["deliveries"]) == 1

    client.session.cookie_jar.clear()
    csrf = await login(client, "dhz.clerk1")
    page = await (await client.get("/inbox")).text()
    ack = re.search(r'data-delivery="(\d+)"', page.split("寒潮")[0].rsplit("<li", 1)[1]).group(1)
    resp = await client.post(f"/deliveries/{ack}/ack", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303

    unsigned = await (await client.get("/inbox?state=open")).text()
    assert "例会" in unsigned and "100%完成率" in unsigned and "寒潮" not in unsigned
    signed = await (await client.get("/inbox?state=acked")).text()
    assert "寒潮" in signed and "例会" not in signed
    # % and _ are taken literally, not as wildcards
    assert "100%完成率" in await (await client.get("/inbox?q=100%25")).text()
    assert "没有符合筛选条件的事项。" in await (await client.get("/inbox?q=%25%25%25")).text()
    body = await (await client.get("/api/inbox?urgency=extra_urgent&state=acked")).json()
    assert [e["item"]["title"] for e in body["entries"]] == ["关于寒潮防御的紧急通知"]
    body = await (await client.get("/api/inbox?q=率_统")).json()
    assert [e["item"]["title"] for e in body["entries"]] == ["关于报送100%完成率_统计的通知"]
    body = await (await client.get("/api/inbox?q=率x统")).json()
    assert body["entries"] == []                                           # _ is not "any character"


async def test_an_unknown_filter_value_is_a_clear_400(client):
    await login(client, "dhz.clerk1")
    resp = await client.get("/inbox?state=lost")
    assert resp.status == 400 and "state" in await resp.text()
    resp = await client.get("/api/sent?urgency=very")
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "input.invalid"


async def test_the_issue_form_picks_townships_and_departments_and_a_saved_group_without_script(client):
    csrf = await login(client, "bgs.clerk1")
    ids = {c: await unit_id(client, c) for c in ("DHZ", "XSZ", "NQZ", "JYJ", "WJJ")}
    page = await (await client.get("/items/new")).text()
    assert "全部乡镇" in page and "全部部门" in page and "全选" in page and "全不选" in page

    def ticked(html):
        return {c for c, i in ids.items() if re.search(rf'name="main_units" value="{i}" checked', html)}

    resp = await issue_form(client, csrf, pick="townships", title="关于春运安全的通知", kind="document",
                            urgency="urgent", main_units=[ids["JYJ"]])
    html = await resp.text()
    assert resp.status == 200 and ticked(html) == {"DHZ", "XSZ", "NQZ", "JYJ"}      # added to what was ticked
    assert "已按“全部乡镇”选择主送单位。" in html and 'value="关于春运安全的通知"' in html   # what was typed stays
    resp = await issue_form(client, csrf, pick="none", main_units=[ids["JYJ"]])
    assert ticked(await resp.text()) == set()
    resp = await issue_form(client, csrf, pick="all", main_units=[])
    assert ticked(await resp.text()) == set(ids)

    resp = await issue_form(client, csrf, pick="save", group_name="  两个局 ", main_units=[ids["JYJ"], ids["WJJ"]])
    html = await resp.text()
    assert "已保存单位组“两个局”。" in html
    key = re.search(r'value="(saved-\d+)"', html).group(1)
    resp = await issue_form(client, csrf, pick=key, main_units=[ids["DHZ"]])
    assert ticked(await resp.text()) == {"DHZ", "JYJ", "WJJ"}
    resp = await issue_form(client, csrf, pick="save", group_name="两个局", main_units=[ids["DHZ"]])
    assert resp.status == 409 and "已有同名的单位组。" in await resp.text()
    resp = await issue_form(client, csrf, pick="save", group_name="空组")
    assert resp.status == 400 and "请先选择该组包含的单位。" in await resp.text()

    # each sender's own: another clerk of the office does not see it, nor can delete it
    client.session.cookie_jar.clear()
    csrf2 = await login(client, "bgs.clerk2")
    assert "两个局" not in await (await client.get("/items/new")).text()
    resp = await issue_form(client, csrf2, pick=f"delete-{key[6:]}")
    assert resp.status == 404 and "单位组不存在。" in await resp.text()
    client.session.cookie_jar.clear()
    csrf = await login(client, "bgs.clerk1")
    resp = await issue_form(client, csrf, pick=f"delete-{key[6:]}")
    html = await resp.text()
    assert "已删除单位组“两个局”。" in html and key not in html


async def test_recipient_groups_over_the_json_api(client):
    csrf = await login(client, "bgs.clerk1")
    headers = {"X-CSRF-Token": csrf}
    body = await (await client.get("/api/recipient-groups")).json()
    townships = {g["key"]: g for g in body["builtin"]}["townships"]
    assert len(townships["unit_ids"]) == 3 and townships["id"] is None and body["saved"] == []
    resp = await client.post("/api/recipient-groups", json={"name": "防汛", "unit_ids": townships["unit_ids"][:2]},
                             headers=headers)
    group = (await resp.json())["group"]
    assert resp.status == 200 and group["name"] == "防汛" and group["key"] == f"saved-{group['id']}"
    assert [g["name"] for g in (await (await client.get("/api/recipient-groups")).json())["saved"]] == ["防汛"]
    resp = await client.post("/api/recipient-groups", json={"name": "坏", "unit_ids": ["1"]}, headers=headers)
    assert resp.status == 400
    resp = await client.post(f"/api/recipient-groups/{group['id']}/delete", headers=headers)
    assert resp.status == 200 and (await resp.json())["deleted"]["id"] == group["id"]
    resp = await client.post(f"/api/recipient-groups/{group['id']}/delete", headers=headers)
    assert resp.status == 404
