"""Bad input never gives a 500: ids out of range or of the wrong type are a 404 (in the path) or a 400
naming the field (query, form, JSON body); invalid base64 in an attachment is a 400 naming it."""

from __future__ import annotations

import re

import pytest

import webapp.app  # noqa: F401  (importing the app registers every route)
from hub.domain.identity import Role
from hub.domain.permissions import can
from tests.conftest import login
from webapp.routing import ROUTES

HUGE = "99999999999999999999"          # beyond SQLite's integers (2**63 - 1)
ACCOUNTS = {"admin": {Role.SUPER_ADMIN}, "dhz.clerk1": {Role.CLERK}, "dhz.leader": {Role.LEADER},
            "duty": {Role.DUTY_DESK}, "bgs.seal": {Role.SEAL_KEEPER}}
ID_ROUTES = [s for s in ROUTES if re.search(r"{\w+_id}", s.path)]


def account_for(spec) -> str:
    """A demo account the route's declared action lets in, so the request reaches the id."""
    from hub.domain.identity import Actor
    for login_, roles in ACCOUNTS.items():
        if spec.action is None or can(Actor(1, login_, "x", 1, frozenset(roles)), spec.action):
            return login_
    raise AssertionError(f"no demo account may use {spec.path}")


def test_every_route_with_an_id_in_its_path_is_walked_below():
    assert {(s.method, s.path) for s in ID_ROUTES} >= {("GET", "/api/items/{item_id}"),
                                                       ("POST", "/api/users/{user_id}/disable")}


BY_ACCOUNT: dict[str, list] = {}
for _spec in ID_ROUTES:
    BY_ACCOUNT.setdefault(account_for(_spec), []).append(_spec)


@pytest.mark.parametrize("account", sorted(BY_ACCOUNT))
async def test_a_path_id_that_cannot_exist_is_404_on_every_route(client, account):
    """Every route with an id in its path, walked by a demo account its action lets in (one login per
    account): each id that cannot name a row — too big for SQLite, zero, negative, not a number — is a
    404, never a 500 or a 400 that leaks the parsing."""
    token = await login(client, account)
    wrong: list[str] = []
    for spec in BY_ACCOUNT[account]:
        for bad in (HUGE, "9223372036854775808", "0", "-1", "1.5", "abc", "١٢", "9223372036854775807", "+1"):
            path = re.sub(r"{\w+_id}", bad, spec.path)
            if spec.method == "GET":
                resp = await client.get(path, allow_redirects=False)
            elif spec.json:
                resp = await client.post(path, json={}, headers={"X-CSRF-Token": token}, allow_redirects=False)
            else:
                resp = await client.post(path, data={"csrf_token": token}, allow_redirects=False)
            body = await resp.text()
            # the largest id may exist, so the body may be refused first
            allowed = (400, 404) if bad == "9223372036854775807" else (404,)
            if resp.status not in allowed:
                wrong.append(f"{spec.method} {path}: {resp.status} {body[:200]}")
            elif spec.json and resp.status == 404 and not (await resp.json())["error"]["code"].endswith("not_found"):
                wrong.append(f"{spec.method} {path}: {body[:200]}")
    assert not wrong, "\n".join(wrong)


async def admin_api(client):
    resp = await client.post("/api/login", json={"login": "admin", "password": "Demo@2026"})
    return {"X-CSRF-Token": (await resp.json())["csrf_token"]}


async def assert_400_naming(resp, field: str) -> None:
    body = await resp.json()
    assert resp.status == 400, body
    assert body["error"]["code"] == "input.invalid" and field in body["error"]["message_en"], body
    assert field in body["error"]["message_zh"]


@pytest.mark.parametrize("query,field", [(f"/api/audit?before={HUGE}", "before"), ("/api/audit?before=0", "before"),
                                         ("/api/audit?before=1.5", "before"), (f"/api/users?unit={HUGE}", "unit"),
                                         ("/api/users?unit=-2", "unit")])
async def test_a_query_id_out_of_range_is_400_naming_it(client, query, field):
    await admin_api(client)
    await assert_400_naming(await client.get(query), field)


async def test_the_audit_page_with_a_huge_before_is_400_not_500(client):
    await login(client, "admin")
    resp = await client.get(f"/admin/audit?before={HUGE}")
    assert resp.status == 400 and "before" in await resp.text()


@pytest.mark.parametrize("value", [int(HUGE), 1.5, True, "1", None, [1]])
async def test_a_json_unit_id_that_is_not_an_id_is_400_naming_it(client, value):
    headers = await admin_api(client)
    resp = await client.post("/api/users", headers=headers, json={
        "login": "new.clerk", "name": "新人", "unit_id": value, "password": "Demo@2026x", "roles": ["clerk"]})
    await assert_400_naming(resp, "unit_id")


async def clerk_api(client):
    resp = await client.post("/api/login", json={"login": "bgs.clerk1", "password": "Demo@2026"})
    return {"X-CSRF-Token": (await resp.json())["csrf_token"]}


def issue_body(**fields):
    return {"kind": "document", "urgency": "extra_urgent", "title": "关于寒潮的紧急通知", "body": "请部署。",
            "main_units": [2], **fields}


@pytest.mark.parametrize("units,field", [([int(HUGE)], "main_units[0]"), ([2, 1.5], "main_units[1]"),
                                         ([True], "main_units[0]"), (["2"], "main_units[0]"),
                                         ([0], "main_units[0]"), (2, "main_units")])
async def test_main_units_that_are_not_ids_are_400_naming_them(client, units, field):
    headers = await clerk_api(client)
    await assert_400_naming(await client.post("/api/items", headers=headers, json=issue_body(main_units=units)),
                            field)


async def test_copy_units_out_of_range_are_400(client):
    headers = await clerk_api(client)
    resp = await client.post("/api/items", headers=headers, json=issue_body(copy_units=[-(2**70)]))
    await assert_400_naming(resp, "copy_units[0]")


@pytest.mark.parametrize("attachments,field", [
    ([{"name": "a.txt", "content_base64": "5pel5pys6Kqe"}, {"name": "b.txt", "content_base64": "中文不是base64"}],
     "attachments[1].content_base64"),
    ([{"name": "a.txt", "content_base64": "!!!"}], "attachments[0].content_base64"),
    ([{"name": "a.txt", "content_base64": 12}], "attachments[0].content_base64"),
    ([{"name": "a.txt"}], "attachments[0].content_base64"),
    ([{"content_base64": "YQ=="}], "attachments[0].name"),
    (["a.txt"], "attachments[0].name"),
    (7, "attachments"),
])
async def test_a_bad_attachment_is_400_naming_it_and_nothing_is_stored(client, attachments, field):
    headers = await clerk_api(client)
    resp = await client.post("/api/items", headers=headers, json=issue_body(attachments=attachments))
    await assert_400_naming(resp, field)
    assert (await (await client.get("/api/inbox")).json())["entries"] == []


async def test_a_json_body_nested_ten_thousand_deep_is_400(client):
    headers = await clerk_api(client)
    resp = await client.post("/api/items", headers={**headers, "Content-Type": "application/json"},
                             data="[" * 10_000 + "]" * 10_000)
    await assert_400_naming(resp, "JSON")


async def test_attendees_that_are_not_a_list_are_400(client):
    headers = await clerk_api(client)
    resp = await client.post("/api/deliveries/1/ack", headers=headers, json={"attendees": 5})
    assert resp.status in (400, 404)
    assert resp.status != 500
