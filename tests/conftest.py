"""Shared fixtures: real SQLite files in a temporary folder, a fake clock, the demo organisation.

The demo database is built once per test session (cheap Argon2 settings) and
copied for each test that wants it, so every test starts from the same state
without paying for the demo again.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.clock import FakeClock
from hub.config import Config
from hub.services.demo import DEMO_PASSWORD, load_demo

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)   # a Tuesday, 09:00 in Beijing


# the single tests that take 5-40 s (a schemathesis run, subprocess kills, CLI runs): started first so
# that no worker picks one up last and the others wait for it (the order of the rest is unchanged)
SLOW_FIRST = ("tests/web/test_schemathesis.py", "tests/service/test_crash_recovery.py",
              "tests/service/test_cli.py", "tests/service/test_seals_cli.py",
              "tests/service/test_road_deadlines.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)
    items.sort(key=rank)    # stable: every other test keeps its place


def make_config(db_path: Path, **sections: dict[str, Any]) -> Config:
    base = {
        "store": {"path": str(db_path), "readers": 2},
        "passwords": {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1},
        "otp": {"key_file": str(db_path.parent / "otp.key")},   # beside the test's database, not ./data
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return Config().with_overrides(**base)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "demo.db"

    async def build() -> None:
        hub = await Hub.start(make_config(path), FakeClock(START))
        try:
            await load_demo(hub.identity)
        finally:
            await hub.close()
    asyncio.run(build())
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "xietong.db"


@pytest.fixture
def config(db_path: Path) -> Config:
    return make_config(db_path)


@pytest.fixture
async def hub(config: Config, clock: FakeClock) -> AsyncIterator[Hub]:
    """An empty hub on a fresh database file."""
    h = await Hub.start(config, clock)
    yield h
    await h.close()


@pytest.fixture
async def demo_hub(demo_template: Path, config: Config, db_path: Path,
                   clock: FakeClock) -> AsyncIterator[Hub]:
    """A hub on a copy of the demo organisation's database."""
    shutil.copy(demo_template, db_path)
    h = await Hub.start(config, clock)
    yield h
    await h.close()


@pytest.fixture
async def client(demo_hub: Hub, aiohttp_client: Any) -> TestClient:  # type: ignore[type-arg]
    from webapp.app import make_app
    return await aiohttp_client(make_app(demo_hub))


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_from(client: TestClient, path: str) -> str:  # type: ignore[type-arg]
    resp = await client.get(path)
    html = await resp.text()
    m = CSRF_FIELD.search(html)
    assert m, f"no csrf_token field on {path}"
    return m.group(1)


async def login(client: TestClient, account: str, password: str = DEMO_PASSWORD) -> str:  # type: ignore[type-arg]
    """Log in through the real form; returns the session's CSRF token."""
    token = await csrf_from(client, "/login")
    resp = await client.post("/login", data={"login": account, "password": password,
                                             "csrf_token": token, "next": "/"},
                             allow_redirects=False)
    assert resp.status == 303, await resp.text()
    return await csrf_from(client, "/")   # the logout form carries the session's token
