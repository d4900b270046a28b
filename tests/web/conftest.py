"""Fixtures and helpers shared by the web-layer tests (real app, real SQLite, fake clock)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.services import audit
from hub.store.audit import AuditRow

SESSION_COOKIE = "xt_session"

NewClient = Callable[[], Awaitable[TestClient]]  # type: ignore[type-arg]


@pytest.fixture
async def unit_ids(demo_hub: Hub) -> dict[str, int]:
    """Demo unit code -> id, looked up in the hub rather than hard-coded."""
    return {u.code: u.id for u in await demo_hub.identity.units()}


@pytest.fixture
def new_client(client: TestClient, aiohttp_client: Any) -> NewClient:  # type: ignore[type-arg]
    """Another browser (own cookie jar) on the same running server as `client`."""
    async def make() -> TestClient:  # type: ignore[type-arg]
        return await aiohttp_client(client.server)
    return make


def session_cookie(client: TestClient) -> str | None:  # type: ignore[type-arg]
    """The xt_session value the browser currently holds."""
    for morsel in client.session.cookie_jar:
        if morsel.key == SESSION_COOKIE:
            return morsel.value
    return None


async def audit_rows(hub: Hub, action: str) -> list[AuditRow]:
    """Audit rows whose action starts with `action`, newest first."""
    return (await audit.page(hub.store, None, 500, action)).rows


async def api_login(client: TestClient, account: str, password: str) -> tuple[int, dict[str, Any]]:  # type: ignore[type-arg]
    resp = await client.post("/api/login", json={"login": account, "password": password})
    return resp.status, await resp.json()
