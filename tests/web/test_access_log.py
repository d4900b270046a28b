"""The access log: each request one line the person on call can count, and never a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.config import Config, LogConfig
from hub.domain.identity import SystemActor
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.services.demo import DEMO_PASSWORD
from tests.conftest import csrf_from
from tests.web.conftest import NewClient, api_login, session_cookie
from webapp import access_log


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The access log as `xietong serve` writes it, to a file (`[log] access_file`)."""
    path = tmp_path / "logs" / "access.log"
    stream = access_log.configure(LogConfig(access=True, access_file=str(path)))
    assert stream is not None
    yield path
    access_log.unconfigure(stream)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def line_of(path: Path, request_id: str) -> dict[str, Any]:
    (found,) = [entry for entry in lines(path) if entry["request_id"] == request_id]
    return found


async def test_each_request_is_a_line_with_route_status_duration_user_and_request_id(
        client: TestClient, demo_hub: Hub, log_file: Path) -> None:  # type: ignore[type-arg]
    sender = await demo_hub.identity.user_by_login("jyj.clerk1")
    item = await demo_hub.items.issue(
        await demo_hub.identity.actor(sender.id, "127.0.0.1"),
        ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="访问日志用", body="",
                  main_units=(sender.unit_id,)))
    status, body = await api_login(client, "dhz.clerk1", DEMO_PASSWORD)
    assert status == 200
    clerk_id = body["user"]["id"]

    resp = await client.get(f"/api/items/{item.id}?lang=zh")
    request_id = resp.headers["X-Request-Id"]
    assert len(request_id) == 16
    entry = line_of(log_file, request_id)
    assert entry["method"] == "GET"
    assert entry["route"] == "/api/items/{item_id}"
    assert entry["path"] == f"/api/items/{item.id}"          # no query string
    assert entry["status"] == resp.status == 404              # not DHZ's item: hidden
    assert isinstance(entry["ms"], float) and entry["ms"] >= 0
    assert entry["user"] == clerk_id
    assert entry["ip"] == "127.0.0.1"
    assert entry["at"] == demo_hub.clock.now().isoformat(timespec="milliseconds")   # the hub's clock

    missing = await client.get("/no/such/page")
    assert line_of(log_file, missing.headers["X-Request-Id"])["status"] == 404
    ids = [entry["request_id"] for entry in lines(log_file)]
    assert len(ids) == len(set(ids)), "one request id per request"


async def test_an_anonymous_request_and_a_redirect_are_logged_with_their_status(
        client: TestClient, log_file: Path) -> None:  # type: ignore[type-arg]
    resp = await client.get("/inbox", allow_redirects=False)
    assert resp.status == 303
    entry = line_of(log_file, resp.headers["X-Request-Id"])
    assert (entry["status"], entry["user"], entry["route"]) == (303, None, "/inbox")


async def test_a_server_error_is_logged_as_500_for_the_person_on_call(
        demo_hub: Hub, aiohttp_client: Any, log_file: Path) -> None:
    from webapp.app import make_app
    app = make_app(demo_hub)

    async def explode(request: web.Request) -> web.Response:
        raise RuntimeError("boom")
    app.router.add_get("/explode", explode)
    client = await aiohttp_client(app)
    resp = await client.get("/explode")
    assert resp.status == 500
    assert line_of(log_file, resp.headers["X-Request-Id"])["status"] == 500


async def test_no_password_cookie_token_or_code_ever_reaches_the_log(
        client: TestClient, demo_hub: Hub, new_client: NewClient, log_file: Path) -> None:  # type: ignore[type-arg]
    secrets: list[str] = [DEMO_PASSWORD, "Wr0ng-Passw0rd!"]
    assert (await api_login(client, "dhz.clerk1", "Wr0ng-Passw0rd!"))[0] == 401
    status, body = await api_login(client, "dhz.clerk1", DEMO_PASSWORD)
    assert status == 200
    cookie = session_cookie(client)
    assert cookie
    secrets += [cookie, body["csrf_token"]]
    await client.post("/api/logout", headers={"X-CSRF-Token": body["csrf_token"]})

    browser = await new_client()
    form_token = await csrf_from(browser, "/login")
    secrets.append(form_token)
    resp = await browser.post("/login", data={"login": "dhz.leader", "password": DEMO_PASSWORD,
                                              "csrf_token": form_token, "next": "/"},
                              allow_redirects=False)
    assert resp.status == 303
    leader_cookie = session_cookie(browser)
    assert leader_cookie
    secrets.append(leader_cookie)
    await browser.post("/otp/enrol/confirm", data={"code": "492039", "csrf_token": form_token},
                       allow_redirects=False)
    secrets.append("492039")

    _, token = await demo_hub.identity.create_token(SystemActor(), "dhz.clerk2", "bot")
    secrets.append(token)
    bot = await new_client()
    assert (await bot.get("/api/me", headers={"Authorization": f"Bearer {token}"})).status == 200
    await bot.get(f"/api/me?token={token}&code=492039")        # secrets in a query string

    text = log_file.read_text(encoding="utf-8")
    assert len(text.splitlines()) >= 7
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the access log"


async def test_the_access_log_is_on_by_default_and_can_be_turned_off(
        demo_hub: Hub, aiohttp_client: Any, log_file: Path, tmp_path: Path) -> None:
    assert Config().log.access is True and Config().log.access_file == ""
    path = tmp_path / "off.log"
    assert access_log.configure(LogConfig(access=False, access_file=str(path))) is None
    assert not path.exists()

    from webapp.app import make_app
    app = make_app(demo_hub)
    app[access_log.ACCESS_LOG_ON] = False          # as with `[log] access = false`
    client = await aiohttp_client(app)
    resp = await client.get("/healthz")
    assert resp.headers["X-Request-Id"]             # still named, for a user's report
    assert not log_file.exists() or not log_file.read_text(encoding="utf-8")
