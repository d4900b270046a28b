"""Sending is quick, through the real pages and JSON API: the sender reminds the units not signed
for yet (催办), recipient groups on the issue form, and filtered inbox / sent lists."""


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
