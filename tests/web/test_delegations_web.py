"""代理 on the web: asked, approved on the page by the unit admin, used (the banner, the principal's
work, the audit log "A for B"), stopped; an unapproved switch refused 403; the API answers match
their OpenAPI schemas."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import jsonschema
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.domain.calendar import CST
from tests.conftest import login
from tests.web.test_openapi import fetch_doc


def local(t: Any) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


async def ask(client: TestClient, demo_hub: Hub, token: str) -> int:  # type: ignore[type-arg]
    clerk2 = await demo_hub.identity.user_by_login("dhz.clerk2")
    now = demo_hub.clock.now()
    resp = await client.post("/delegations", data={
        "csrf_token": token, "delegate_id": str(clerk2.id), "starts_at": local(now - timedelta(minutes=5)),
        "ends_at": local(now + timedelta(days=2)), "reason": "外出学习"}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    m = re.match(r"/delegations/(\d+)", resp.headers["Location"])
    assert m
    return int(m.group(1))


async def test_an_approved_delegate_acts_for_the_leader_and_the_log_says_who_for_whom(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    did = await ask(client, demo_hub, token)
    page = await (await client.get(f"/delegations/{did}")).text()
    assert "待审批" in page

    token = await login(client, "dh.admin")
    assert f'data-id="{did}"' in await (await client.get("/delegations")).text()     # to approve
    for path in ("/", "/todo"):                                    # and in 待办, as a step to approve
        resp = await client.get(path)
        assert resp.status == 200 and "待审批" in (page := await resp.text()) and "代理申请：" in page
    resp = await client.post(f"/delegations/{did}/approve", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    assert "已批准" in await (await client.get(f"/delegations/{did}")).text()

    token = await login(client, "dhz.clerk2")
    home = await (await client.get("/")).text()
    assert "可代理：" in home and "开始代理" in home
    resp = await client.post(f"/delegations/{did}/act", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    todo = await (await client.get("/todo")).text()
    assert "您正在代理" in todo and "结束代理" in todo and 'id="acting-banner"' in todo
    # undelegable things stay refused while acting: asking for another delegate
    resp = await client.get("/delegations/new", allow_redirects=False)
    assert resp.status == 403
    resp = await client.post("/delegations/stop", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    assert 'id="acting-banner"' not in await (await client.get("/")).text()
    async with demo_hub.store.read() as tx:
        rows = await tx.audit.page(None, 50, "delegation.")
    actions = [r.action for r in rows]
    assert "delegation.act" in actions and "delegation.stop" in actions
    [stop] = [r for r in rows if r.action == "delegation.stop"]     # done while acting: "clerk2 for leader"
    assert stop.actor_login == "dhz.clerk2" and "dhz.leader" in stop.detail


async def test_acting_without_an_approved_delegation_is_refused_with_the_rule(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    did = await ask(client, demo_hub, token)
    token = await login(client, "dhz.clerk2")
    resp = await client.post(f"/delegations/{did}/act", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 403
    assert "未经许可，不得由他人代理收发工作" in await resp.text()
    resp = await client.post(f"/api/delegations/{did}/act", headers={"X-CSRF-Token": token})
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "delegation.refused_attempt"


async def test_the_json_api_asks_approves_acts_and_stops_as_its_document_says(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)

    def check(path: str, method: str, body: Any) -> None:
        schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator(schema).validate(body)

    token = await login(client, "dhz.leader")
    clerk2 = await demo_hub.identity.user_by_login("dhz.clerk2")
    now = demo_hub.clock.now()
    resp = await client.post("/api/delegations", headers={"X-CSRF-Token": token}, json={
        "delegate_id": clerk2.id, "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=1)).isoformat(),
        "reason": "出差"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    check("/api/delegations", "post", body)
    did = body["delegation"]["id"]
    assert body["delegation"]["state"] == "requested"
    resp = await client.post("/api/delegations", headers={"X-CSRF-Token": token}, json={
        "delegate_id": clerk2.id, "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "delegation.overlaps"

    token = await login(client, "dh.admin")
    mine = await (await client.get("/api/delegations")).json()
    check("/api/delegations", "get", mine)
    assert [e["id"] for e in mine["to_approve"]] == [did]
    resp = await client.post(f"/api/delegations/{did}/approve", headers={"X-CSRF-Token": token}, json={})
    assert resp.status == 200
    check("/api/delegations/{delegation_id}/approve", "post", await resp.json())

    token = await login(client, "dhz.clerk2")
    resp = await client.post(f"/api/delegations/{did}/act", headers={"X-CSRF-Token": token})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    check("/api/delegations/{delegation_id}/act", "post", body)
    leader = await demo_hub.identity.user_by_login("dhz.leader")
    assert body["acting_for"]["principal_id"] == leader.id and body["acting_for"]["delegate_id"] == clerk2.id
    one = await (await client.get(f"/api/delegations/{did}")).json()
    check("/api/delegations/{delegation_id}", "get", one)
    assert [h["move"] for h in one["history"]] == ["request", "approve"]
    resp = await client.post("/api/delegations/stop", headers={"X-CSRF-Token": token})
    check("/api/delegations/stop", "post", await resp.json())
    assert (await resp.json()) == {"acting_for": None}


PAGE = {"Accept": "text/html,application/xhtml+xml"}       # what a browser asks for when it shows a page


async def test_past_the_end_the_next_page_says_so_once_and_shows_the_delegate_as_themself(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    clerk2 = await demo_hub.identity.user_by_login("dhz.clerk2")
    now = demo_hub.clock.now()
    resp = await client.post("/api/delegations", headers={"X-CSRF-Token": token}, json={
        "delegate_id": clerk2.id, "starts_at": now.isoformat(), "ends_at": (now + timedelta(minutes=20)).isoformat()})
    did = (await resp.json())["delegation"]["id"]
    token = await login(client, "dh.admin")
    assert (await client.post(f"/api/delegations/{did}/approve", headers={"X-CSRF-Token": token}, json={})).status == 200
    token = await login(client, "dhz.clerk2")
    resp = await client.post(f"/delegations/{did}/act", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303
    assert "您正在代理" in await (await client.get("/todo", headers=PAGE)).text()

    demo_hub.clock.advance(timedelta(minutes=21))     # past the end, within the session's idle limit
    badges = await client.get("/api/badges")          # the tab bar's call finds it over first: no page to say it
    assert badges.status == 200
    page = await (await client.get("/todo", headers=PAGE)).text()
    assert "代理期已结束，已恢复为您本人的身份。" in page and 'id="acting-banner"' not in page
    assert clerk2.name in await (await client.get("/me", headers=PAGE)).text()
    again = await (await client.get("/todo", headers=PAGE)).text()
    assert 'id="acting-ended"' not in again and 'id="acting-banner"' not in again     # said once
    one = await (await client.get(f"/api/delegations/{did}")).json()
    assert one["delegation"]["state"] == "ended"
    resp = await client.post(f"/delegations/{did}/act", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 403                          # an ended delegation is not used again


async def test_the_super_admin_is_not_offered_a_staff_delegation_the_unit_admin_approves(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    did = await ask(client, demo_hub, token)
    token = await login(client, "admin")
    page = await (await client.get(f"/delegations/{did}")).text()
    assert "待审批" in page and 'id="approve-form"' not in page
    resp = await client.post(f"/delegations/{did}/approve", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 403
    resp = await client.post(f"/api/delegations/{did}/approve", headers={"X-CSRF-Token": token}, json={})
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "delegation.not_approver"
    token = await login(client, "dh.admin")
    assert 'id="approve-form"' in await (await client.get(f"/delegations/{did}")).text()
