"""One-time codes through the pages, as a leader's phone browser and an administrator's do it."""

from __future__ import annotations

import html as htmllib
import json
import re

import pyotp
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.clock import FakeClock
from hub.crypto.totp import code_at_step, time_step
from tests.conftest import csrf_from, login
from tests.web.conftest import audit_rows

SECRET = re.compile(r'id="otp-secret"[^>]*>([A-Z2-7]+)<')
RECOVERY = re.compile(r'<ol id="recovery-codes"[^>]*>(.*?)</ol>', re.DOTALL)


async def test_a_leader_enrols_through_the_pages_with_the_secret_read_from_the_page(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    home = await (await client.get("/")).text()
    assert 'href="/otp"' in home and "动态口令" in home

    page = await client.get("/otp")
    text = await page.text()
    assert page.status == 200 and 'data-state="none"' in text and 'action="/otp/enrol"' in text

    resp = await client.post("/otp/enrol", data={"csrf_token": token})
    text = await resp.text()
    assert resp.status == 200, text
    assert "img-src 'self' data:" in resp.headers["Content-Security-Policy"]
    svg = re.search(r'<figure class="qr-box"[^>]*>\s*(<svg .*?</svg>)', text, re.DOTALL)
    assert svg and 'class="qr"' in svg.group(1)          # drawn on the server, inline in the page
    assert "http://" not in svg.group(1).replace("http://www.w3.org/2000/svg", "")
    m = SECRET.search(text)
    assert m, text
    phone = pyotp.TOTP(m.group(1))                          # typed in by hand from the page
    assert 'name="code"' in text and 'autocomplete="one-time-code"' in text

    wrong = next(c for c in ("000000", "111111", "222222") if not phone.verify(c, for_time=clock.now(), valid_window=1))
    resp = await client.post("/otp/enrol/confirm", data={"csrf_token": token, "code": wrong})
    text = await resp.text()
    assert resp.status == 400
    assert "动态口令错误或已过期" in text and 'role="alert"' in text
    assert SECRET.search(text).group(1) == m.group(1)       # type: ignore[union-attr]  # same QR again
    assert await demo_hub.otp.status(await demo_hub.identity.actor(
        (await demo_hub.identity.user_by_login("dhz.leader")).id)) == "pending"

    resp = await client.post("/otp/enrol/confirm",
                             data={"csrf_token": token, "code": phone.at(clock.now())})
    text = await resp.text()
    assert resp.status == 200, text
    listed = RECOVERY.search(text)
    assert listed, text
    codes = [htmllib.unescape(c).strip() for c in re.findall(r"<li>(.*?)</li>", listed.group(1))]
    assert len(codes) == 10 == len(set(codes))
    assert "只显示这一次" in text

    status = await (await client.get("/otp")).text()
    assert 'data-state="active"' in status and "剩余恢复码 10 个" in status
    assert 'action="/otp/enrol"' not in status and m.group(1) not in status

    leader = await demo_hub.identity.actor((await demo_hub.identity.user_by_login("dhz.leader")).id)
    await demo_hub.otp.confirm(leader, codes[0], "document.sign", "document:1")   # codes shown are real
    clock.advance(seconds=30)
    await demo_hub.otp.confirm(leader, phone.at(clock.now()), "document.sign", "document:2")


async def test_starting_again_once_enrolled_is_refused_with_a_clear_message(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    seal = await demo_hub.identity.actor((await demo_hub.identity.user_by_login("bgs.seal")).id)
    enrolment = await demo_hub.otp.start_enrolment(seal)
    await demo_hub.otp.finish_enrolment(seal, code_at_step(enrolment.secret_base32, time_step(clock.now())))
    token = await login(client, "bgs.seal")
    resp = await client.post("/otp/enrol", data={"csrf_token": token})
    text = await resp.text()
    assert resp.status == 409
    assert "请联系本单位系统管理员重置" in text and 'id="otp-secret"' not in text


async def test_the_pages_read_in_english_too(client: TestClient) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    await client.get("/lang?to=en&next=/otp")
    text = await (await client.get("/otp")).text()
    assert "One-time codes" in text and "not set up" in text
    text = await (await client.post("/otp/enrol", data={"csrf_token": token})).text()
    assert "scan this QR code" in text and "Finish" in text


async def test_a_clerk_gets_403_on_the_otp_pages(client: TestClient) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.clerk1")
    assert 'href="/otp"' not in await (await client.get("/")).text()
    for resp in (await client.get("/otp"),
                 await client.post("/otp/enrol", data={"csrf_token": token}),
                 await client.post("/otp/enrol/confirm", data={"csrf_token": token, "code": "123456"})):
        assert resp.status == 403
        assert 'data-code="perm.denied"' in await resp.text()


async def test_the_unit_admin_resets_a_leaders_one_time_codes_and_it_is_audited(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    user = await demo_hub.identity.user_by_login("dhz.leader")
    leader = await demo_hub.identity.actor(user.id)
    enrolment = await demo_hub.otp.start_enrolment(leader)
    await demo_hub.otp.finish_enrolment(leader, code_at_step(enrolment.secret_base32, time_step(clock.now())))

    await login(client, "dh.admin")
    page = await (await client.get(f"/admin/users/{user.id}")).text()
    assert 'id="otp-admin"' in page and 'value="reset_otp"' in page and "已启用" in page
    token = await csrf_from(client, f"/admin/users/{user.id}")
    resp = await client.post(f"/admin/users/{user.id}", data={"csrf_token": token, "op": "reset_otp"},
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    assert resp.headers["Location"] == f"/admin/users?unit={user.unit_id}&done=reset_otp:dhz.leader"
    assert await demo_hub.otp.status(leader) == "none"
    (row,) = await audit_rows(demo_hub, "otp.reset")
    assert row.actor_login == "dh.admin" and row.target == f"user:{user.id}"
    assert json.loads(row.detail)["was"] == "active"
    page = await (await client.get(f"/admin/users/{user.id}")).text()
    assert 'value="reset_otp"' not in page and "未设置" in page


async def test_a_unit_admin_cannot_reset_another_units_seal_keeper(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    user = await demo_hub.identity.user_by_login("bgs.seal")
    seal = await demo_hub.identity.actor(user.id)
    enrolment = await demo_hub.otp.start_enrolment(seal)
    await demo_hub.otp.finish_enrolment(seal, code_at_step(enrolment.secret_base32, time_step(clock.now())))
    token = await login(client, "dh.admin")
    resp = await client.post(f"/admin/users/{user.id}", data={"csrf_token": token, "op": "reset_otp"},
                             allow_redirects=False)
    assert resp.status == 403
    assert await demo_hub.otp.status(seal) == "active"
    assert await audit_rows(demo_hub, "otp.reset") == []


async def test_a_leader_locked_out_by_wrong_codes_on_a_page_is_told_when_in_retry_after_too(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    from tests.service.test_urgent_items import actor, issue_extra_urgent
    item = await issue_extra_urgent(demo_hub, "DHZ")
    leader = await actor(demo_hub, "dhz.leader")
    enrolment = await demo_hub.otp.start_enrolment(leader)
    await demo_hub.otp.finish_enrolment(leader, code_at_step(enrolment.secret_base32, time_step(clock.now())))
    phone = pyotp.TOTP(enrolment.secret_base32)
    wrong = next(c for c in ("000000", "111111", "222222") if not phone.verify(c, for_time=clock.now(), valid_window=1))
    token = await login(client, "dhz.leader")
    statuses = []
    for _ in range(demo_hub.config.otp.max_failures + 1):
        resp = await client.post(f"/items/{item.id}/instruction",
                                 data={"csrf_token": token, "text": "请抓紧落实。", "code": wrong})
        statuses.append(resp.status)
    text = await resp.text()
    assert statuses[0] == 400 and statuses[-1] == 429, statuses
    minutes = int(resp.headers["Retry-After"]) // 60
    assert minutes >= 1 and f"{minutes} 分钟后再试" in text
    assert "Retry-After" not in (await client.get(f"/items/{item.id}")).headers   # only the refusal
