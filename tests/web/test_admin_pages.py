"""Administration through the HTML pages, as an administrator's browser does it (form posts)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.config import Config
from hub.domain.identity import SystemActor, UnitKind
from hub.errors import XietongError
from hub.services import audit
from tests.conftest import csrf_from, login, tamper_audit_log
from tests.web.conftest import audit_rows


def person_form(token: str, unit_id: int, **over: Any) -> list[tuple[str, str]]:
    """The add-person form as the browser posts it (roles may repeat)."""
    fields = {"csrf_token": token, "unit_id": str(unit_id), "login": "dhz.wangxm",
              "name": "王小明", "phone": "139 0013 9000", "password": "Passw0rd!x",
              "allowed_ips": ""}
    roles = over.pop("roles", ["clerk"])
    fields.update(over)
    return list(fields.items()) + [("roles", r) for r in roles]


async def exists(hub: Hub, login_name: str) -> bool:
    try:
        await hub.identity.user_by_login(login_name)
    except XietongError:
        return False
    return True


async def test_unit_admin_adds_a_person_through_the_form_and_sees_them_listed(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    token = await csrf_from(client, "/admin/users")
    dhz = unit_ids["DHZ"]
    resp = await client.post("/admin/users", data=person_form(token, dhz), allow_redirects=False)
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"].startswith(f"/admin/users?unit={dhz}")

    page = await client.get(resp.headers["Location"])
    html = await page.text()
    assert page.status == 200
    assert "已保存" in html
    assert "王小明" in html and "dhz.wangxm" in html and "+8613900139000" in html

    added = await demo_hub.identity.user_by_login("dhz.wangxm")
    assert added.unit_id == dhz and {r.value for r in added.roles} == {"clerk"}
    rows = await audit_rows(demo_hub, "user.add")
    assert rows[0].actor_login == "dh.admin" and rows[0].target == f"user:{added.id}"


async def test_a_newly_added_person_can_log_in_with_the_initial_password(
        client: TestClient, new_client: Any, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    token = await csrf_from(client, "/admin/users")
    resp = await client.post("/admin/users", data=person_form(token, unit_ids["DHZ"]),
                             allow_redirects=False)
    assert resp.status == 303
    newcomer = await new_client()
    await login(newcomer, "dhz.wangxm", "Passw0rd!x")
    assert "王小明" in await (await newcomer.get("/")).text()


@pytest.mark.parametrize("phone", ["12345", "1380013800", "+1 415 555 0100", "021-12345678"])
async def test_a_bad_phone_number_is_explained_in_chinese_and_nobody_is_added(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int], phone: str) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    token = await csrf_from(client, "/admin/users")
    resp = await client.post("/admin/users", data=person_form(token, unit_ids["DHZ"], phone=phone),
                             allow_redirects=False)
    assert resp.status == 400
    html = await resp.text()
    assert "手机号格式不正确" in html
    assert 'value="dhz.wangxm"' in html and 'value="王小明"' in html   # what was typed stays
    assert not await exists(demo_hub, "dhz.wangxm")


async def test_an_account_name_already_taken_is_refused_with_409(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    token = await csrf_from(client, "/admin/users")
    before = await demo_hub.identity.user_by_login("dhz.clerk1")
    resp = await client.post("/admin/users",
                             data=person_form(token, unit_ids["DHZ"], login="DHZ.Clerk1"),
                             allow_redirects=False)
    assert resp.status == 409
    assert "账号名 dhz.clerk1 已被使用" in await resp.text()
    assert await demo_hub.identity.user_by_login("dhz.clerk1") == before


@pytest.mark.parametrize("role", ["super_admin", "unit_admin"])
async def test_unit_admin_cannot_make_anyone_an_administrator(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int], role: str) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    page = await (await client.get("/admin/users")).text()
    assert f'value="{role}"' not in page                 # not even offered
    token = await csrf_from(client, "/admin/users")
    resp = await client.post("/admin/users",
                             data=person_form(token, unit_ids["DHZ"], roles=["clerk", role]),
                             allow_redirects=False)
    assert resp.status == 403
    assert 'data-code="perm.denied"' in await resp.text()
    assert not await exists(demo_hub, "dhz.wangxm")

    clerk = await demo_hub.identity.user_by_login("dhz.clerk2")
    resp = await client.post(f"/admin/users/{clerk.id}",
                             data=[("csrf_token", token), ("op", "update"), ("name", clerk.name),
                                   ("phone", clerk.phone), ("allowed_ips", ""),
                                   ("roles", "clerk"), ("roles", role)],
                             allow_redirects=False)
    assert resp.status == 403
    assert (await demo_hub.identity.user_by_login("dhz.clerk2")).roles == clerk.roles


async def test_super_admin_may_appoint_a_unit_admin(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "admin")
    token = await csrf_from(client, f"/admin/users?unit={unit_ids['XSZ']}")
    resp = await client.post("/admin/users",
                             data=person_form(token, unit_ids["XSZ"], login="xs.admin",
                                              roles=["unit_admin"]),
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    added = await demo_hub.identity.user_by_login("xs.admin")
    assert {r.value for r in added.roles} == {"unit_admin"} and added.unit_id == unit_ids["XSZ"]


async def test_unit_admin_edits_a_colleague_through_the_form(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    clerk = await demo_hub.identity.user_by_login("dhz.clerk2")
    token = await csrf_from(client, f"/admin/users/{clerk.id}")
    resp = await client.post(f"/admin/users/{clerk.id}",
                             data=[("csrf_token", token), ("op", "update"), ("name", "李新名"),
                                   ("phone", "13700137000"), ("allowed_ips", ""),
                                   ("roles", "clerk"), ("roles", "leader")],
                             allow_redirects=False)
    assert resp.status == 303
    updated = await demo_hub.identity.user_by_login("dhz.clerk2")
    assert updated.name == "李新名" and updated.phone == "+8613700137000"
    assert {r.value for r in updated.roles} == {"clerk", "leader"}

    resp = await client.post(f"/admin/users/{clerk.id}",
                             data=[("csrf_token", token), ("op", "update"), ("name", "李新名"),
                                   ("phone", "nonsense"), ("roles", "clerk")])
    assert resp.status == 400
    assert "手机号格式不正确" in await resp.text()


async def test_a_form_post_without_the_csrf_field_changes_nothing(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    form = [kv for kv in person_form("x", unit_ids["DHZ"]) if kv[0] != "csrf_token"]
    resp = await client.post("/admin/users", data=form, allow_redirects=False)
    assert resp.status == 403
    assert "表单已失效" in await resp.text()
    assert not await exists(demo_hub, "dhz.wangxm")


# -- units ------------------------------------------------------------------------------

def unit_form(token: str, **over: str) -> dict[str, str]:
    form = {"csrf_token": token, "code": "LHZ", "name": "柳湖镇人民政府", "kind": "township",
            "parent_id": "", "duty_phone": "0571-88600001"}
    form.update(over)
    return form


async def test_super_admin_creates_a_unit_through_the_units_page(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "admin")
    page = await client.get("/admin/units")
    assert page.status == 200
    assert "东湖镇人民政府" in await page.text()
    token = await csrf_from(client, "/admin/units")
    resp = await client.post("/admin/units",
                             data=unit_form(token, code="lhz", parent_id=str(unit_ids["BGS"])),
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"] == "/admin/units"

    html = await (await client.get("/admin/units")).text()
    assert "柳湖镇人民政府" in html and "LHZ" in html and "0571-88600001" in html
    created = {u.code: u for u in await demo_hub.identity.units()}["LHZ"]
    assert created.parent_id == unit_ids["BGS"] and created.kind.value == "township"
    rows = await audit_rows(demo_hub, "unit.add")
    assert rows[0].actor_login == "admin" and rows[0].target == f"unit:{created.id}"

    # the new unit is at once a place to add people
    people = await client.get(f"/admin/users?unit={created.id}")
    assert people.status == 200 and "本单位暂无人员" in await people.text()


@pytest.mark.parametrize("over, status, message", [
    ({"code": "DHZ"}, 409, "单位代码 DHZ 已被使用"),
    ({"code": "x"}, 400, "单位代码须为"),
    ({"name": "  "}, 400, "请填写单位名称"),
    ({"kind": "planet"}, 400, "输入有误：kind"),
])
async def test_a_bad_unit_is_explained_and_not_created(
        client: TestClient, demo_hub: Hub, over: dict[str, str], status: int, message: str) -> None:  # type: ignore[type-arg]
    await login(client, "admin")
    before = await demo_hub.identity.units()
    token = await csrf_from(client, "/admin/units")
    resp = await client.post("/admin/units", data=unit_form(token, **over), allow_redirects=False)
    assert resp.status == status
    assert message in await resp.text()
    assert await demo_hub.identity.units() == before


async def test_unit_admin_cannot_create_units(client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dh.admin")
    assert (await client.get("/admin/units")).status == 403
    before = await demo_hub.identity.units()
    resp = await client.post("/admin/units", data=unit_form(token), allow_redirects=False)
    assert resp.status == 403
    assert await demo_hub.identity.units() == before


# -- the audit log ----------------------------------------------------------------------

async def test_super_admin_reads_the_audit_log_and_verifies_the_chain(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await login(client, "admin")
    page = await client.get("/admin/audit")
    html = await page.text()
    assert page.status == 200
    assert "auth.login" in html and "user.add" in html and "unit.add" in html
    assert "audit-check" not in html                   # no check until asked

    rows = (await audit.verify(demo_hub.store)).rows
    page = await client.get("/admin/audit?verify=1")
    html = await page.text()
    assert f"哈希链完整，共 {rows} 条记录" in html

    auth_only = await (await client.get("/admin/audit?action=auth.")).text()
    assert "auth.login" in auth_only and "user.add" not in auth_only


async def test_the_audit_log_pages_back_through_older_rows(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    for n in range(30):                                # enough history for a second page
        await demo_hub.identity.add_unit(SystemActor(), f"T{n:02d}", f"测试单位{n}",
                                         UnitKind.INTERNAL)
    await login(client, "admin")
    html = await (await client.get("/admin/audit")).text()
    older = re.search(r'href="(/admin/audit\?before=\d+[^"]*)"', html)
    assert (await audit.verify(demo_hub.store)).rows > 50
    assert older, "a link to older rows"
    html2 = await (await client.get(older.group(1).replace("&amp;", "&"))).text()
    first_ids = set(re.findall(r'<span class="tag">#(\d+)</span>', html))
    second_ids = set(re.findall(r'<span class="tag">#(\d+)</span>', html2))
    assert len(first_ids) == 50 and second_ids and not first_ids & second_ids
    assert "#1<" in html2                              # the oldest row is reachable


async def test_a_tampered_audit_row_is_reported_by_the_verify_button(
        client: TestClient, config: Config) -> None:  # type: ignore[type-arg]
    await login(client, "admin")
    await tamper_audit_log(config, "UPDATE audit_log SET actor_login = 'nobody' WHERE id = 3")
    html = await (await client.get("/admin/audit?verify=1")).text()
    assert "哈希链在第 3 条记录处断裂" in html


async def test_nobody_but_the_super_admin_reads_the_audit_log(client: TestClient) -> None:  # type: ignore[type-arg]
    for account in ("dh.admin", "bgs.seal", "duty", "bgs.leader"):
        client.session.cookie_jar.clear()
        await login(client, account)
        resp = await client.get("/admin/audit?verify=1")
        assert resp.status == 403, account
        assert "哈希链" not in await resp.text()


async def test_home_page_offers_each_role_only_the_admin_tiles_it_may_open(
        client: TestClient) -> None:  # type: ignore[type-arg]
    expected = {"admin": {"/admin/users", "/admin/units", "/admin/audit", "/admin/sms"},
                "dh.admin": {"/admin/users"}, "dhz.clerk1": set(), "duty": set()}
    for account, tiles in expected.items():
        client.session.cookie_jar.clear()
        await login(client, account)
        html = await (await client.get("/")).text()
        offered = set(re.findall(r'class="tile" href="(/admin/[^"]*)"', html))
        assert offered == tiles, account
