"""Security behaviour a user (or an attacker) can see from the outside, one story per test."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.clock import FakeClock
from hub.domain.identity import SystemActor
from hub.services.demo import DEMO_PASSWORD, demo_accounts
from tests.conftest import csrf_from, login, make_config
from tests.web.conftest import NewClient, api_login, audit_rows, session_cookie

EVIL = "http://evil.example"


def cookie_header(resp: Any, name: str) -> str:
    """The raw Set-Cookie header for `name` (attributes included)."""
    headers = [h for h in resp.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    assert len(headers) == 1, f"expected one Set-Cookie for {name}: {headers}"
    return str(headers[0])


def has_attr(header: str, attr: str) -> bool:
    return any(p.strip().lower().split("=")[0] == attr.lower() for p in header.split(";")[1:])


async def form_login(client: TestClient, account: str, password: str = DEMO_PASSWORD,  # type: ignore[type-arg]
                     **extra: Any) -> Any:
    token = await csrf_from(client, "/login")
    return await client.post("/login", data={"login": account, "password": password,
                                             "csrf_token": token, "next": "/"},
                             allow_redirects=False, **extra)


async def replay(new_client: NewClient, cookie_value: str, path: str = "/") -> Any:
    """A different browser presenting a stolen/old session cookie value."""
    other = await new_client()
    other.session.cookie_jar.update_cookies({"xt_session": cookie_value},
                                            response_url=other.make_url("/"))
    return await other.get(path, allow_redirects=False)


def sent_to_login(resp: Any) -> bool:
    return resp.status == 303 and urlsplit(resp.headers["Location"]).path == "/login"


# -- CSRF and origin ----------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "not-the-token"])
async def test_login_form_posted_without_the_right_csrf_token_is_refused(
        client: TestClient, demo_hub: Hub, token: str | None) -> None:  # type: ignore[type-arg]
    await client.get("/login")                       # the browser gets its xt_csrf cookie
    data = {"login": "dhz.clerk1", "password": DEMO_PASSWORD, "next": "/"}
    if token is not None:
        data["csrf_token"] = token
    resp = await client.post("/login", data=data, allow_redirects=False)
    assert resp.status == 403
    assert "表单已失效" in await resp.text()
    assert "xt_session" not in resp.cookies
    assert session_cookie(client) is None
    assert sent_to_login(await client.get("/", allow_redirects=False))
    assert await audit_rows(demo_hub, "auth.login") == []


async def test_a_logged_in_json_post_needs_the_csrf_header(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dh.admin")
    clerk = await demo_hub.identity.user_by_login("dhz.clerk2")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        resp = await client.post(f"/api/users/{clerk.id}/disable", headers=headers)
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "auth.csrf"
    assert not (await demo_hub.identity.user_by_login("dhz.clerk2")).disabled

    resp = await client.post(f"/api/users/{clerk.id}/disable", headers={"X-CSRF-Token": token})
    assert resp.status == 200
    assert (await resp.json())["user"]["disabled"] is True


async def test_a_post_from_a_foreign_origin_is_refused_even_with_the_token(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dh.admin")
    clerk = await demo_hub.identity.user_by_login("dhz.clerk2")
    resp = await client.post(f"/api/users/{clerk.id}/disable",
                             headers={"X-CSRF-Token": token, "Origin": EVIL})
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "auth.bad_origin"
    assert not (await demo_hub.identity.user_by_login("dhz.clerk2")).disabled

    own_origin = f"http://{client.host}:{client.port}"
    resp = await client.post(f"/api/users/{clerk.id}/disable",
                             headers={"X-CSRF-Token": token, "Origin": own_origin})
    assert resp.status == 200


async def test_a_login_form_posted_from_a_foreign_site_is_refused(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await form_login(client, "dhz.clerk1", headers={"Origin": EVIL})
    assert resp.status == 403
    assert 'data-code="auth.bad_origin"' in await resp.text()
    assert session_cookie(client) is None


async def test_api_login_refuses_a_form_posing_as_json(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.post("/api/login", data={"login": "dhz.clerk1", "password": DEMO_PASSWORD})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "input.invalid"
    assert session_cookie(client) is None


# -- the session cookie -------------------------------------------------------------------

async def test_session_cookie_is_httponly_and_lax_and_not_secure_on_plain_http(
        client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await form_login(client, "dhz.clerk1")
    assert resp.status == 303
    header = cookie_header(resp, "xt_session")
    assert has_attr(header, "HttpOnly")
    assert re.search(r";\s*SameSite=Lax", header, re.IGNORECASE)
    assert not has_attr(header, "Secure")
    assert re.search(r";\s*Path=/(;|$)", header)


@pytest.fixture
async def https_client(demo_template: Path, tmp_path: Path, clock: FakeClock,
                       aiohttp_client: Any) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The demo organisation behind a public https:// address (TLS ends at a proxy)."""
    from webapp.app import make_app
    db = tmp_path / "https.db"
    shutil.copy(demo_template, db)
    hub = await Hub.start(make_config(db, web={"public_url": "https://xietong.example.gov"}), clock)
    try:
        yield await aiohttp_client(make_app(hub))
    finally:
        await hub.close()


async def test_session_cookie_is_secure_when_served_under_https(https_client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await https_client.post("/api/login", json={"login": "dhz.clerk1",
                                                       "password": DEMO_PASSWORD})
    assert resp.status == 200
    header = cookie_header(resp, "xt_session")
    assert has_attr(header, "Secure") and has_attr(header, "HttpOnly")
    assert re.search(r";\s*SameSite=Lax", header, re.IGNORECASE)
    # the pre-login CSRF cookie and the language cookie too
    assert has_attr(cookie_header(await https_client.get("/login"), "xt_csrf"), "Secure")
    lang = await https_client.get("/lang?to=en", allow_redirects=False)
    assert has_attr(cookie_header(lang, "xt_lang"), "Secure")


async def test_session_id_changes_at_every_login_and_the_old_one_stops_working(
        client: TestClient, new_client: NewClient) -> None:  # type: ignore[type-arg]
    client.session.cookie_jar.update_cookies({"xt_session": "planted-by-an-attacker"},
                                             response_url=client.make_url("/"))
    await login(client, "dhz.clerk1")
    first = session_cookie(client)
    assert first and first != "planted-by-an-attacker"
    await login(client, "dhz.clerk1")          # logging in again in the same browser
    second = session_cookie(client)
    assert second and second != first
    assert (await client.get("/", allow_redirects=False)).status == 200
    assert sent_to_login(await replay(new_client, first))
    assert (await replay(new_client, second)).status == 200


async def test_two_logins_from_different_browsers_get_different_sessions(
        client: TestClient, new_client: NewClient) -> None:  # type: ignore[type-arg]
    other = await new_client()
    await login(client, "dhz.clerk1")
    await login(other, "dhz.clerk1")
    assert session_cookie(client) != session_cookie(other)
    assert (await client.get("/", allow_redirects=False)).status == 200
    assert (await other.get("/", allow_redirects=False)).status == 200


async def test_logout_ends_the_session_on_the_server(
        client: TestClient, demo_hub: Hub, new_client: NewClient) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.clerk1")
    old = session_cookie(client)
    assert old
    resp = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert sent_to_login(resp)
    assert session_cookie(client) is None
    resp = await replay(new_client, old)
    assert sent_to_login(resp)
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["next"] == ["/"]
    assert [r.action for r in await audit_rows(demo_hub, "auth.logout")] == ["auth.logout"]


async def test_api_logout_ends_the_session_on_the_server(
        client: TestClient, new_client: NewClient) -> None:  # type: ignore[type-arg]
    status, body = await api_login(client, "dhz.clerk1", DEMO_PASSWORD)
    assert status == 200
    old = session_cookie(client)
    assert old
    resp = await client.post("/api/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert resp.status == 200 and (await resp.json()) == {"ok": True}
    other = await new_client()
    other.session.cookie_jar.update_cookies({"xt_session": old}, response_url=other.make_url("/"))
    resp = await other.get("/api/me")
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "auth.session_expired"


# -- timeouts (the fake clock moves; nobody sleeps) ---------------------------------------

async def test_an_idle_session_ends_after_thirty_minutes(
        client: TestClient, clock: FakeClock, new_client: NewClient) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.clerk1")
    cookie = session_cookie(client)
    assert cookie
    for _ in range(3):                          # activity keeps it alive well past 30 minutes
        clock.advance(minutes=29)
        assert (await client.get("/", allow_redirects=False)).status == 200
    clock.advance(minutes=31)
    resp = await replay(new_client, cookie, "/api/me")
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "auth.session_expired"
    resp = await client.get("/", allow_redirects=False)
    assert sent_to_login(resp)


async def test_a_busy_session_still_ends_twelve_hours_after_login(
        client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.clerk1")
    elapsed = 0
    while elapsed <= 12 * 60:
        clock.advance(minutes=20)
        elapsed += 20
        resp = await client.get("/", allow_redirects=False)
        if elapsed <= 12 * 60:
            assert resp.status == 200, f"ended early, after {elapsed} minutes"
        else:
            assert sent_to_login(resp), f"still alive after {elapsed} minutes"
    assert elapsed == 12 * 60 + 20


# -- login throttling ---------------------------------------------------------------------

async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
        client: TestClient, clock: FakeClock, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    for _ in range(5):
        resp = await form_login(client, "dhz.clerk1", "wrong-password")
        assert resp.status == 401
        assert "账号或密码错误" in await resp.text()
    resp = await form_login(client, "dhz.clerk1")       # the right password, too late
    assert resp.status == 429
    html = await resp.text()
    assert re.search(r"请 15 分钟后再试", html), html
    assert session_cookie(client) is None
    assert await audit_rows(demo_hub, "auth.login_throttled")

    clock.advance(minutes=10)
    resp = await form_login(client, "dhz.clerk1")
    assert resp.status == 429
    assert "请 5 分钟后再试" in await resp.text()

    clock.advance(minutes=6)
    resp = await form_login(client, "dhz.clerk1")
    assert resp.status == 303
    assert session_cookie(client)


async def test_an_account_lock_does_not_lock_out_colleagues(client: TestClient) -> None:  # type: ignore[type-arg]
    for _ in range(5):
        assert (await form_login(client, "dhz.clerk1", "wrong-password")).status == 401
    assert (await form_login(client, "dhz.clerk2")).status == 303


async def test_twenty_failures_from_one_address_throttle_that_address(
        client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    accounts = [a.login for a in demo_accounts()]
    tried, spared = accounts[:20], accounts[20]
    for account in tried:                  # one wrong password each: no single account is locked
        assert (await form_login(client, account, "wrong-password")).status == 401
    resp = await form_login(client, spared)
    assert resp.status == 429
    assert re.search(r"请 \d+ 分钟后再试", await resp.text())
    clock.advance(minutes=16)
    assert (await form_login(client, spared)).status == 303


# -- administration takes effect at once --------------------------------------------------

async def test_disabling_a_person_ends_their_live_session_and_is_audited(
        client: TestClient, demo_hub: Hub, new_client: NewClient) -> None:  # type: ignore[type-arg]
    clerk_browser = await new_client()
    await login(clerk_browser, "dhz.clerk1")
    assert (await clerk_browser.get("/", allow_redirects=False)).status == 200

    token = await login(client, "dh.admin")
    clerk = await demo_hub.identity.user_by_login("dhz.clerk1")
    resp = await client.post(f"/api/users/{clerk.id}/disable", headers={"X-CSRF-Token": token})
    assert resp.status == 200

    resp = await clerk_browser.get("/", allow_redirects=False)
    assert sent_to_login(resp)
    resp = await form_login(clerk_browser, "dhz.clerk1")
    assert resp.status == 403
    assert "该账号已停用" in await resp.text()

    rows = await audit_rows(demo_hub, "user.disable")
    assert len(rows) == 1
    assert rows[0].actor_login == "dh.admin"
    assert rows[0].target == f"user:{clerk.id}"
    assert '"sessions_revoked":1' in rows[0].detail.replace(" ", "")


async def test_super_admin_bound_to_another_network_cannot_log_in_from_here(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    admin = await demo_hub.identity.user_by_login("admin")
    await demo_hub.identity.update_user(SystemActor(), admin.id, admin.name, admin.phone,
                                        admin.roles, "10.9.0.0/16")
    resp = await form_login(client, "admin")
    assert resp.status == 403
    html = await resp.text()
    assert "管理员账号不允许从该地址" in html and "127.0.0.1" in html
    assert session_cookie(client) is None
    rows = await audit_rows(demo_hub, "auth.login_refused_ip")
    assert len(rows) == 1 and rows[0].target == f"user:{admin.id}"
    assert "10.9.0.0/16" in rows[0].detail

    await demo_hub.identity.update_user(SystemActor(), admin.id, admin.name, admin.phone,
                                        admin.roles, "127.0.0.0/8")
    assert (await form_login(client, "admin")).status == 303
    assert (await client.get("/admin/audit", allow_redirects=False)).status == 200


async def test_narrowing_an_admins_addresses_ends_their_session_from_elsewhere(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await login(client, "admin")
    admin = await demo_hub.identity.user_by_login("admin")
    await demo_hub.identity.update_user(SystemActor(), admin.id, admin.name, admin.phone,
                                        admin.roles, "10.9.0.0/16")
    assert sent_to_login(await client.get("/admin/audit", allow_redirects=False))


# -- errors never leak internals ----------------------------------------------------------

async def test_a_crash_shows_a_polite_chinese_error_and_never_a_traceback(
        client: TestClient, demo_hub: Hub, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[type-arg]
    await login(client, "admin")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals: /srv/xietong/db password=hunter2")
    monkeypatch.setattr(demo_hub.identity, "units", broken)

    page = await client.get("/admin/units")
    html = await page.text()
    assert page.status == 500
    assert page.content_type == "text/html"
    assert "系统内部错误" in html
    assert "Traceback" not in html and "secret internals" not in html

    resp = await client.get("/api/units")
    body = await resp.text()
    assert resp.status == 500
    assert (await resp.json())["error"]["code"] == "internal"
    assert "系统内部错误" in body
    assert "Traceback" not in body and "secret internals" not in body
    # ...while the operator finds the details in the log
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_crash_on_any_route_of_the_app_is_caught(
        demo_hub: Hub, aiohttp_client: Any) -> None:
    from webapp.app import make_app

    async def explode(request: web.Request) -> web.Response:
        raise RuntimeError("kaboom internals")

    app = make_app(demo_hub)
    app.router.add_get("/_test/explode", explode)
    client = await aiohttp_client(app)
    resp = await client.get("/_test/explode")
    html = await resp.text()
    assert resp.status == 500
    assert "系统内部错误" in html
    assert "Traceback" not in html and "kaboom" not in html


# -- language and redirects ---------------------------------------------------------------

async def test_switching_to_english_shows_the_login_page_in_english(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/lang?to=en&next=/login", allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/login"
    assert "xt_lang=en" in cookie_header(resp, "xt_lang")
    html = await (await client.get("/login")).text()
    assert '<html lang="en">' in html
    assert "Log in" in html and "Password" in html
    assert "登录" not in html

    await client.get("/lang?to=zh&next=/login")
    html = await (await client.get("/login")).text()
    assert '<html lang="zh-CN">' in html and "密码" in html


async def test_an_unknown_language_is_ignored(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/lang?to=fr&next=/login", allow_redirects=False)
    assert resp.status == 303
    assert "xt_lang" not in resp.cookies
    assert '<html lang="zh-CN">' in await (await client.get("/login")).text()


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/login", "http://evil.example", "https://evil.example",
    "/\\evil.example", "\\\\evil.example", "evil.example", "/%09/evil.example", "/%0a/evil.example",
    "/%0d%0a/evil.example",
])
async def test_the_next_parameter_never_leads_off_site(client: TestClient, target: str) -> None:  # type: ignore[type-arg]
    resp = await client.get(f"/lang?to=en&next={target}", allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/"

    resp = await client.get(f"/login?next={target}")
    assert 'name="next" value="/"' in await resp.text()

    token = await csrf_from(client, "/login")
    resp = await client.post("/login", data={"login": "dhz.clerk1", "password": DEMO_PASSWORD,
                                             "csrf_token": token,
                                             "next": parse_qs(f"n={target}")["n"][0]},
                             allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/"


async def test_the_next_parameter_keeps_a_local_page(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/lang?to=en&next=/admin/users", allow_redirects=False)
    assert resp.headers["Location"] == "/admin/users"


# -- headers and external references ------------------------------------------------------

PAGES_FOR_ADMIN = ["/", "/admin/users", "/admin/units", "/admin/audit", "/no-such-page"]
URL_ATTR = re.compile(r"""\b(?:src|href|action|formaction|poster|data)\s*=\s*["']?([^"'\s>]*)""",
                      re.IGNORECASE)


def external_refs(html: str) -> list[str]:
    refs = [m.group(1) for m in URL_ATTR.finditer(html)]
    bad = [r for r in refs if re.match(r"(?i)^(https?:)?//", r)]
    bad += re.findall(r"(?i)url\(\s*['\"]?(?:https?:)?//[^)]*\)", html)
    bad += re.findall(r"(?i)@import\s+['\"]?(?:https?:)?//\S+", html)
    return bad


async def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Cache-Control"] == "no-store"
    await login(client, "admin")
    for path in PAGES_FOR_ADMIN:
        resp = await client.get(path)
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"], path
    api = await client.get("/api/me")
    assert "default-src 'self'" in api.headers["Content-Security-Policy"]


async def test_no_page_loads_or_links_anything_outside_the_server(client: TestClient) -> None:  # type: ignore[type-arg]
    pages = {"/login": await (await client.get("/login")).text()}
    await login(client, "admin")
    for path in PAGES_FOR_ADMIN:
        pages[path] = await (await client.get(path)).text()
    for path, html in pages.items():
        assert external_refs(html) == [], path
        assert URL_ATTR.search(html), f"{path}: the scan found no links at all"
    css = await (await client.get("/static/app.css")).text()
    assert external_refs(css) == []


async def test_a_bearer_token_acts_as_its_user_until_revoked_or_the_user_is_disabled(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token_id, token = await demo_hub.identity.create_token(SystemActor(), "dhz.clerk1", "bot")
    headers = {"Authorization": f"Bearer {token}"}
    resp = await client.get("/api/me", headers=headers)
    assert resp.status == 200
    me = await resp.json()
    assert (me["user"]["login"], me["unit"]["code"]) == ("dhz.clerk1", "DHZ")

    clerk = await demo_hub.identity.user_by_login("dhz.clerk1")
    await demo_hub.identity.set_disabled(SystemActor(), clerk.id, True)
    assert (await client.get("/api/me", headers=headers)).status == 401
    await demo_hub.identity.set_disabled(SystemActor(), clerk.id, False)
    assert (await client.get("/api/me", headers=headers)).status == 200

    await demo_hub.identity.revoke_token(SystemActor(), token_id)
    assert (await client.get("/api/me", headers=headers)).status == 401
    assert (await client.get("/api/me", headers={"Authorization": "Bearer xt_forged"})).status == 401
