"""代理登记簿 on the web: 东湖镇's unit admin sees the unit's delegations (who for whom, the period, the
state, who decided), prints it without links or forms, exports it to .xlsx (A4, the rows), reads it as
JSON as the OpenAPI document says; the super admin sees every unit's or one unit's; others are refused."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import jsonschema
from aiohttp.test_utils import TestClient

from hub.app import Hub
from tests.conftest import login
from tests.web.test_openapi import fetch_doc


async def two_delegations(demo_hub: Hub) -> tuple[int, int]:
    """东湖镇's leader's (approved by dh.admin, with a note) and 西山镇's leader's (asked, the super admin's)."""
    now = demo_hub.clock.now()
    ids = []
    for principal, delegate in (("dhz.leader", "dhz.clerk2"), ("xsz.leader", "xsz.clerk1")):
        p = await demo_hub.identity.user_by_login(principal)
        g = await demo_hub.identity.user_by_login(delegate)
        d = await demo_hub.delegations.request(await demo_hub.identity.actor(p.id, "127.0.0.1"), g.id, now,
                                               now + timedelta(days=2), "赴省培训")
        ids.append(d.id)
    admin = await demo_hub.identity.user_by_login("dh.admin")
    await demo_hub.delegations.decide(await demo_hub.identity.actor(admin.id, "127.0.0.1"), ids[0], True, "同意")
    return ids[0], ids[1]


async def test_the_unit_admin_sees_prints_and_exports_the_units_register(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    dhz, xsz = await two_delegations(demo_hub)
    await login(client, "dh.admin")
    assert 'href="/registers/delegations"' in await (await client.get("/delegations")).text()
    html = await (await client.get("/registers/delegations")).text()
    assert "东湖镇人民政府 代理登记簿" in html and "共 1 条" in html
    assert f'data-id="{dhz}" data-state="approved"' in html and f'data-id="{xsz}"' not in html
    assert "赴省培训" in html and "已批准" in html and "同意" in html
    printed = await (await client.get("/registers/delegations?print=1")).text()
    assert 'class="card print-register register-book"' in printed and "<form" not in printed.split("<main>")[1]
    assert 'id="register-print"' not in printed and "返回登记簿" in printed

    resp = await client.get("/registers/delegations.xlsx")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    book = zipfile.ZipFile(io.BytesIO(await resp.read()))
    strings = book.read("xl/sharedStrings.xml").decode()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "东湖镇人民政府 代理登记簿" in strings and "被代理人" in strings and "赴省培训" in strings
    assert "已批准" in strings and "同意" in strings and "西山镇" not in strings
    assert sheet.count("<row ") == 1 + 1 + 1 and 'paperSize="9"' in sheet     # title, header, one row; A4

    await client.get("/lang?to=en&next=/registers/delegations")
    html = await (await client.get("/registers/delegations")).text()
    assert "东湖镇人民政府 delegation register" in html and "Approved" in html

    resp = await client.get(f"/registers/delegations?unit={(await demo_hub.identity.user_by_login('xsz.leader')).unit_id}")
    assert resp.status == 403                                          # another unit's is not theirs


async def test_the_super_admin_sees_every_unit_or_one_and_the_json_matches_its_document(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    doc = await fetch_doc(client)

    def check(body: Any) -> None:
        schema = doc["paths"]["/api/registers/delegations"]["get"]["responses"]["200"]["content"]["application/json"]
        jsonschema.Draft202012Validator(schema["schema"]).validate(body)

    dhz, xsz = await two_delegations(demo_hub)
    await login(client, "admin")
    html = await (await client.get("/registers/delegations")).text()
    assert "全部单位 代理登记簿" in html and f'data-id="{dhz}"' in html and f'data-id="{xsz}"' in html
    assert 'id="register-unit"' in html                                # picks a unit
    body = await (await client.get("/api/registers/delegations")).json()
    check(body)
    assert body["unit_id"] is None and {d["id"] for d in body["delegations"]} == {dhz, xsz}
    [approved] = [d for d in body["delegations"] if d["id"] == dhz]
    assert (approved["unit"], approved["state"], approved["decision_note"]) == ("东湖镇人民政府", "approved", "同意")
    assert approved["decider"] and approved["decided_at"]
    xsz_unit = (await demo_hub.identity.user_by_login("xsz.leader")).unit_id
    body = await (await client.get(f"/api/registers/delegations?unit={xsz_unit}")).json()
    check(body)
    assert body["unit_id"] == xsz_unit and [d["id"] for d in body["delegations"]] == [xsz]
    assert body["delegations"][0]["state"] == "requested" and body["delegations"][0]["decided_at"] is None
    resp = await client.get(f"/registers/delegations.xlsx?unit={xsz_unit}")
    strings = zipfile.ZipFile(io.BytesIO(await resp.read())).read("xl/sharedStrings.xml").decode()
    assert "西山镇人民政府 代理登记簿" in strings and "待审批" in strings
    resp = await client.get("/api/registers/delegations?unit=x")
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "input.invalid"

    await login(client, "dhz.clerk1")
    assert (await client.get("/registers/delegations")).status == 403
    assert 'id="register-link"' not in await (await client.get("/delegations")).text()
