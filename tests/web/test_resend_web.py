"""退文 after sign-for seen live by the sender, who corrects and re-sends: the pages, the API, the socket."""

import base64
import re

import pytest
from aiohttp import FormData

from hub.domain.items import Attachment, ItemDraft, ItemKind, Urgency
from tests.conftest import login
from tests.realtime.conftest import cookie_login, free_port, recv_json, start_server
from tests.realtime.test_websocket import frames_until
from tests.service.test_urgent_items import actor, unit_ids


@pytest.fixture
async def live(demo_hub):
    """A real server on 127.0.0.1, for the real websockets client (as tests/realtime)."""
    server = await start_server(demo_hub, free_port())
    yield server
    await server.runner.cleanup()


async def issued_and_signed_for(hub, with_file: bool = False):
    office = await actor(hub, "bgs.clerk1")
    files = (Attachment("统计表.xlsx", b"old table"),) if with_file else ()
    item = await hub.items.issue(office, ItemDraft(
        kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="关于报送安全生产统计数据的通知", body="请按表报送。",
        main_units=tuple(await unit_ids(hub, "DHZ")), attachments=files))
    clerk = await actor(hub, "dhz.clerk1")
    mine = (await hub.items.view(clerk, item.id)).mine
    await hub.items.acknowledge(clerk, mine.id)
    return item, clerk, mine.id


async def registered_and_returned(hub, clerk, delivery_id: int, reason: str = "缺少附件：统计表"):
    """The incoming road: 登记, then 退文 at 初审 (which sends the delivery back)."""
    record = await hub.incoming.register_delivery(clerk, delivery_id)
    await hub.incoming.return_(clerk, record.id, reason)
    return record


async def test_the_sender_sees_the_return_live_resends_and_the_unit_signs_for_it_again(live):
    hub = live.hub
    item, clerk, delivery_id = await issued_and_signed_for(hub)
    sender_ws = await live.connect("bgs.clerk1")
    await recv_json(sender_ws)                                         # hello
    record = await registered_and_returned(hub, clerk, delivery_id)
    (returned,) = [f for f in await frames_until(sender_ws, lambda f: f["type"] == "item.returned")
                   if f["type"] == "item.returned"]
    assert returned["data"]["after_review"] is True and returned["data"]["reason"] == "缺少附件：统计表"
    assert returned["delivery"]["state"] == "returned" and returned["item"]["id"] == item.id

    unit_ws = await live.connect("dhz.clerk2")
    await recv_json(unit_ws)
    session, csrf = await cookie_login(live.url, "bgs.clerk1")
    try:
        resp = await session.post(
            f"{live.url}/api/items/{item.id}/deliveries/{delivery_id}/resend", headers={"X-CSRF-Token": csrf},
            json={"note": "已补统计表", "attachments": [
                {"name": "统计表.xlsx", "content_base64": base64.b64encode(b"table").decode()}]})
        body = await resp.json()
        assert resp.status == 200, body
        assert body["delivery"]["state"] == "pending" and body["delivery"]["round"] == 2
    finally:
        await session.close()
    frames = await frames_until(unit_ws, lambda f: f["type"] == "item.reissued")
    assert frames[-1]["data"]["note"] == "已补统计表" and frames[-1]["delivery"]["state"] == "pending"

    again = await hub.items.acknowledge(clerk, delivery_id)
    assert again.receipt_no.endswith("-2")
    back = await hub.incoming.of_delivery(clerk, delivery_id)
    assert back.id == record.id and back.state == "registered" and back.number == record.number   # same 收文编号
    await sender_ws.close()
    await unit_ws.close()


async def resend_form(client, csrf, item_id, delivery_id, note="已补统计表", file=None, replaces=""):
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("note", note)
    form.add_field("replaces", str(replaces))
    if file:
        form.add_field("attachments", file[1], filename=file[0], content_type="application/octet-stream")
    return await client.post(f"/items/{item_id}/deliveries/{delivery_id}/resend", data=form, allow_redirects=False)


async def test_the_item_page_shows_both_rounds_and_the_form_replaces_a_file(client, demo_hub):
    item, clerk, delivery_id = await issued_and_signed_for(demo_hub, with_file=True)
    await registered_and_returned(demo_hub, clerk, delivery_id, "统计表格式不对")
    csrf = await login(client, "bgs.clerk1")
    page = await (await client.get(f"/items/{item.id}")).text()
    assert "该单位签收后初审退回" in page and "统计表格式不对" in page and "初审退文" in page
    assert f'action="/items/{item.id}/deliveries/{delivery_id}/resend"' in page
    old = re.search(r'<option value="(\d+)">统计表.xlsx</option>', page).group(1)
    resp = await resend_form(client, csrf, item.id, delivery_id, "换成新版统计表", ("统计表（新版）.xlsx", b"new"), old)
    assert resp.status == 303
    page = await (await client.get(f"/items/{item.id}")).text()
    assert "第1轮：" in page and "换成新版统计表" in page and "发文单位更正后重发 · 第2轮" in page
    assert "统计表（新版）.xlsx" in page and "/resend" not in page             # pending again: no form

    client.session.cookie_jar.clear()
    csrf = await login(client, "dhz.clerk2")
    page = await (await client.get(f"/items/{item.id}")).text()
    assert "发文单位已更正后重新发送（第2轮）：换成新版统计表" in page
    assert "统计表（新版）.xlsx" in page and ">统计表.xlsx<" not in page          # the replaced file is gone
    resp = await client.post(f"/deliveries/{delivery_id}/ack", data={"csrf_token": csrf, "item_id": str(item.id)},
                             allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(f"/items/{item.id}")).text()
    timeline = page[page.index('class="timeline"'):]
    assert timeline.count("event-item-acked") == 2 and timeline.count("event-receipt") == 2
    assert re.search(r"回执号 HZ\d{8}-\d{6}-2", timeline)
    order = [m.group(1) for m in re.finditer(r'class="event event-([a-z-]+)"', timeline)]
    assert order == ["item-issued", "item-read", "item-acked", "receipt", "item-returned", "item-reissued",
                     "item-read", "item-acked", "receipt"]


async def test_resending_is_refused_clearly_to_others_and_when_not_returned(client, demo_hub):
    item, clerk, delivery_id = await issued_and_signed_for(demo_hub)
    csrf = await login(client, "bgs.clerk1")
    resp = await resend_form(client, csrf, item.id, delivery_id)            # signed for, not returned
    page = await resp.text()
    assert resp.status == 409 and "只有被退回的公文才能修改后重新发送" in page
    await registered_and_returned(demo_hub, clerk, delivery_id)
    resp = await resend_form(client, csrf, item.id, delivery_id, note=" ")
    assert resp.status == 400 and "请填写修改说明" in await resp.text()
    resp = await client.post(f"/api/items/{item.id}/deliveries/{delivery_id}/resend",
                             headers={"X-CSRF-Token": csrf}, json={"note": "x", "attachments": [
                                 {"name": "a.pdf", "content_base64": "%%%"}]})
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "input.invalid"
    resp = await client.post(f"/api/items/{item.id + 1000}/deliveries/{delivery_id}/resend",
                             headers={"X-CSRF-Token": csrf}, json={"note": "x"})
    assert resp.status == 404                                                  # not that item's delivery

    client.session.cookie_jar.clear()
    csrf = await login(client, "xsz.clerk1")                                  # a stranger
    resp = await client.post(f"/api/items/{item.id}/deliveries/{delivery_id}/resend",
                             headers={"X-CSRF-Token": csrf}, json={"note": "x"})
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "item.not_found"
    client.session.cookie_jar.clear()
    csrf = await login(client, "dhz.clerk1")                                  # the recipient itself
    resp = await client.post(f"/api/items/{item.id}/deliveries/{delivery_id}/resend",
                             headers={"X-CSRF-Token": csrf}, json={"note": "x"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "resend.not_sender"
    async with demo_hub.store.read() as tx:                                    # nothing was re-sent
        assert (await tx.deliveries.get(delivery_id)).round == 1
