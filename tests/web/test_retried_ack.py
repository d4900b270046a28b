"""A phone on a bad link repeats its sign-for after the first answer was lost: the same user gets 200
(or the item page) with the original receipt; another user gets 409 saying who signed for it and when."""

import re

from tests.conftest import login
from tests.service.test_urgent_items import issue_extra_urgent
from webapp.context import HUB


async def delivery_of(client, unit: str = "DHZ"):
    hub = client.server.app[HUB]
    item = await issue_extra_urgent(hub, unit)
    async with hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
    return hub, item, d


async def api_session(client, account: str) -> dict:
    client.session.cookie_jar.clear()
    resp = await client.post("/api/login", json={"login": account, "password": "Demo@2026"})
    return {"X-CSRF-Token": (await resp.json())["csrf_token"]}


async def test_the_json_api_answers_a_retried_ack_with_the_original_receipt(client):
    hub, _, d = await delivery_of(client)
    headers = await api_session(client, "dhz.clerk1")
    first = await client.post(f"/api/deliveries/{d.id}/ack", headers=headers)
    assert first.status == 200
    receipt = (await first.json())["delivery"]["receipt_no"]
    hub.clock.advance(minutes=1)
    again = await client.post(f"/api/deliveries/{d.id}/ack", headers=headers)
    assert again.status == 200, await again.text()
    assert (await again.json())["delivery"]["receipt_no"] == receipt

    headers = await api_session(client, "dhz.clerk2")
    other = await client.post(f"/api/deliveries/{d.id}/ack", headers=headers)
    assert other.status == 409
    error = (await other.json())["error"]
    name = (await hub.identity.user_by_login("dhz.clerk1")).name
    assert error["code"] == "delivery.already_acked"
    assert error["message_zh"] == f"该事项已由{name}于 2026-11-24 09:00 签收。"
    assert error["message_en"] == f"This item was already signed for by {name} at 2026-11-24 09:00 (Beijing time)."


async def test_the_page_answers_a_retried_sign_for_like_the_first_and_another_clerk_sees_who(client):
    hub, item, d = await delivery_of(client)
    csrf = await login(client, "dhz.clerk1")
    for _ in range(2):                                   # the second post is the retry
        resp = await client.post(f"/deliveries/{d.id}/ack", data={"csrf_token": csrf, "item_id": str(item.id)},
                                 allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == f"/items/{item.id}"
    async with hub.store.read() as tx:
        assert [e.type for e in await tx.events.for_item(item.id)].count("receipt") == 1

    client.session.cookie_jar.clear()
    csrf = await login(client, "dhz.clerk2")
    resp = await client.post(f"/deliveries/{d.id}/ack", data={"csrf_token": csrf, "item_id": str(item.id)},
                             allow_redirects=False)
    assert resp.status == 409
    name = (await hub.identity.user_by_login("dhz.clerk1")).name
    assert re.search(f"该事项已由{name}于 2026-11-24 09:00 签收", await resp.text())
