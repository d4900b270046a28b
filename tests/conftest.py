"""Shared fixtures: real SQLite files in a temporary folder, a fake clock, the demo organisation.

The demo database is built once per test session (cheap Argon2 settings) and
copied for each test that wants it, so every test starts from the same state
without paying for the demo again.

The store fixtures (`config`, `hub`, `demo_hub`, `client`) follow the `backend` fixture: SQLite
for every test, and also PostgreSQL for the tests of the modules in ON_POSTGRESQL (each such test
is run twice, [sqlite] and [postgresql]). On PostgreSQL each test process has a database per
template (empty, demo), built once; each test gets it back as the template had it (every table
refilled from a snapshot, ~20 ms). Without a server they skip - except in CI (CI=true), where they
fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import AsyncIterator, Coroutine, Iterator
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
              "tests/service/test_road_deadlines.py", "tests/service/test_store_copy.py",
              "tests/cluster/test_two_processes.py")


# the test modules whose tests run on PostgreSQL too; the rest run on SQLite only. Not (yet):
# tests/service/test_store.py and test_migration_roads.py (SqliteStore itself and SQLite files:
# test_pg_store.py is PostgreSQL's), test_cli.py, test_seals_cli.py and test_crash_recovery.py
# (processes on a SQLite file), tests/web/test_schemathesis.py (its run is long), tests/unit (no
# store) and tests/e2e (the browser tests stay on SQLite)
_SERVICE_ON_POSTGRESQL = (
    "audit_log", "cabinet", "chase", "circulars", "circulation", "delegations", "demo_stages", "documents",
    "duty_desk", "incoming", "phonebook", "meeting_signin", "meetings", "otp", "paper_pdf", "registers", "reports", "resend",
    "retried_acks", "retried_confirmations", "road_deadlines", "road_engine", "sealed_pdf", "seals", "search",
    "supervision",
    "todo", "urgent_items", "windows_and_scheduler",
)
_WEB_ON_POSTGRESQL = (
    "access_log", "admin_pages", "bad_input", "circulars_web", "circulation_web",
    "delegation_register_web", "delegations_web", "duty_pages", "frame", "incoming_web", "items_web",
    "meeting_signin_web", "meetings_web", "openapi", "otp_pages", "paper_web", "permission_matrix", "registers",
    "search_web",
    "registers_web", "reports_web", "resend_web", "retried_ack", "seal_endpoints", "seal_page_access",
    "security", "sending_web", "smoke", "supervision_web", "todo",
)
_REALTIME_ON_POSTGRESQL = ("client", "session_end", "signals", "todo_frames", "websocket", "websocket_bad_frames")
_SMS_ON_POSTGRESQL = ("sms_channel", "sms_circulation", "sms_exactly_once", "sms_matching_rules", "sms_processes",
                      "sms_races", "sms_reconcile", "sms_road")
ON_POSTGRESQL = (
    *(f"tests/service/test_{m}.py" for m in _SERVICE_ON_POSTGRESQL),
    *(f"tests/web/test_{m}.py" for m in _WEB_ON_POSTGRESQL),
    *(f"tests/realtime/test_{m}.py" for m in _REALTIME_ON_POSTGRESQL),
    *(f"tests/sms/test_{m}.py" for m in _SMS_ON_POSTGRESQL),
)
if os.environ.get("XIETONG_TEST_PG_ALL"):      # trying a module on PostgreSQL before it is listed
    ON_POSTGRESQL = tuple(p for p in os.environ["XIETONG_TEST_PG_ALL"].split(","))
PG_URL = os.environ.get("XIETONG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = metafunc.definition.nodeid.split("::", 1)[0]
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    postgresql_only = metafunc.definition.get_closest_marker("postgresql_only") is not None
    if "backend" in metafunc.fixturenames and path in ON_POSTGRESQL and not sqlite_only:
        metafunc.parametrize("backend", ["postgresql"] if postgresql_only else ["sqlite", "postgresql"])


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


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to its end on a loop of its own (from a plain fixture, beside the test's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


_pg_reachable: bool | None = None


def _require_postgresql() -> None:
    global _pg_reachable
    if _pg_reachable is None:
        import asyncpg

        async def probe() -> bool:
            try:
                conn = await asyncpg.connect(PG_URL, timeout=5)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                return False
            await conn.close()
            return True
        _pg_reachable = _run(probe())
    if not _pg_reachable:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} (CI=true: its tests must run)")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")


async def _pg(*statements: str, url: str = PG_URL) -> None:
    import asyncpg
    conn = await asyncpg.connect(url)
    try:
        # CREATE DATABASE ... STRATEGY WAL_LOG writes the copy through the WAL: with this, it does not
        # wait for the disk (0.12 s and a 0.06 s DROP here, where FILE_COPY's checkpoints took 0.3-0.9 s)
        await conn.execute("SET synchronous_commit = off")
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def pg_url(database: str) -> str:
    """The URL of a test database on the server (commits need not wait for the disk in tests)."""
    base = PG_URL.split("?", 1)[0].rsplit("/", 1)[0]
    return f"{base}/{database}?synchronous_commit=off"


@pytest.fixture(scope="session")
def pg_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Two template databases, built once per test process: 'empty' (migrated) and 'demo' (the
    demo organisation loaded). Each test's database is a copy of one (CREATE DATABASE ...
    TEMPLATE: ~0.1 s, where migrating and loading the demo anew took seconds)."""
    _require_postgresql()
    tag = secrets.token_hex(4)
    names = {"empty": f"xt_tpl_{tag}_empty", "demo": f"xt_tpl_{tag}_demo"}
    folder = tmp_path_factory.mktemp("pg-templates")

    async def build(name: str, demo: bool) -> None:
        await _pg(f"CREATE DATABASE {name}")
        hub = await Hub.start(make_config(folder / name, store={"url": pg_url(name)}), FakeClock(START))
        try:
            if demo:
                await load_demo(hub.identity)
        finally:
            await hub.close()
    _run(build(names["empty"], demo=False))
    _run(build(names["demo"], demo=True))
    yield names
    _run(_pg(*(f"DROP DATABASE IF EXISTS {n}" for n in names.values())))


@pytest.fixture
def backend() -> str:
    """The store's database: 'sqlite', or also 'postgresql' in the modules of ON_POSTGRESQL."""
    return "sqlite"


_RESET_WORKING = """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()"""


async def _snapshot(name: str) -> str:
    """Keep a copy of every table of the database `name` in its schema xt_snap; the SQL that puts the
    database back as it is now (every table emptied and refilled from the copy, the identities reset)."""
    import asyncpg
    conn = await asyncpg.connect(pg_url(name))
    try:
        tables = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        await conn.execute("CREATE SCHEMA xt_snap")
        sql = ["SET session_replication_role = replica",      # no triggers (append-only, keys) while refilling
               *(f'DELETE FROM public."{t}"' for t in tables)]     # small tables: cheaper than TRUNCATE's new files
        for t in tables:
            await conn.execute(f'CREATE TABLE xt_snap."{t}" AS TABLE public."{t}"')
            if await conn.fetchval(f'SELECT count(*) FROM xt_snap."{t}"'):
                sql.append(f'INSERT INTO public."{t}" OVERRIDING SYSTEM VALUE SELECT * FROM xt_snap."{t}"')
        for (seq,) in await conn.fetch(
                "SELECT pg_get_serial_sequence(format('public.%I', table_name), column_name)"
                " FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'"):
            value, called = await conn.fetchrow(f"SELECT last_value, is_called FROM {seq}")
            sql.append(f"SELECT setval('{seq}', {value}, {'true' if called else 'false'})")
        sql.append("SET session_replication_role = origin")
        return ";\n".join(sql)
    finally:
        await conn.close()


async def _reset(name: str, sql: str) -> None:
    """Put a worker's database back as its snapshot: other connections to it ended, schemas a test made dropped."""
    import asyncpg
    conn = await asyncpg.connect(pg_url(name))
    try:
        await conn.execute(_RESET_WORKING)
        for (schema,) in await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('public', 'xt_snap', 'information_schema')"
                " AND nspname NOT LIKE 'pg\\_%'"):
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_working(pg_templates: dict[str, str]) -> Iterator[dict[str, tuple[str, str]]]:
    """Per test process, one database for each template, with the SQL that resets it: a test's database
    is put back in place (~20 ms) rather than copied anew (~0.5 s of the server's I/O)."""
    working: dict[str, tuple[str, str]] = {}
    for kind, template in pg_templates.items():
        name = f"{template}_w"
        _run(_pg(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY WAL_LOG"))
        working[kind] = (name, _run(_snapshot(name)))
    yield working
    _run(_pg(*(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name, _ in working.values())))


@pytest.fixture
def pg_database(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """On PostgreSQL, the test's database as the demo template has it (for the tests that use the demo
    organisation) or the empty one: the test process's working database, reset before the test. None
    on SQLite."""
    if backend != "postgresql":
        yield None
        return
    working = request.getfixturevalue("pg_working")
    demo = any(f in request.fixturenames for f in ("demo_hub", "client", "demo_template"))
    name, sql = working["demo" if demo else "empty"]
    _run(_reset(name, sql))
    yield name


@pytest.fixture
def config(db_path: Path, pg_database: str | None) -> Config:
    if pg_database is None:
        return make_config(db_path)
    return make_config(db_path, store={"url": pg_url(pg_database)})


@pytest.fixture
async def hub(config: Config, clock: FakeClock) -> AsyncIterator[Hub]:
    """An empty hub on a fresh database file."""
    h = await Hub.start(config, clock)
    yield h
    await h.close()


@pytest.fixture
async def demo_hub(demo_template: Path, config: Config, db_path: Path,
                   clock: FakeClock) -> AsyncIterator[Hub]:
    """A hub on a copy of the demo organisation's database (on PostgreSQL: of its template)."""
    if config.store.is_sqlite:
        shutil.copy(demo_template, db_path)
    h = await Hub.start(config, clock)
    yield h
    await h.close()


@pytest.fixture
async def client(demo_hub: Hub, aiohttp_client: Any) -> TestClient:  # type: ignore[type-arg]
    from webapp.app import make_app
    return await aiohttp_client(make_app(demo_hub))


async def tamper_audit_log(config: Config, sql: str) -> None:
    """Run `sql` on audit_log as an intruder would: past its append-only trigger, outside the store
    (with the SQLite file, or with the PostgreSQL owner's password)."""
    if config.store.is_sqlite:
        with sqlite3.connect(config.store.path) as conn:
            conn.execute("DROP TRIGGER audit_log_no_update")
            conn.execute(sql)
        return
    import asyncpg
    conn = await asyncpg.connect(config.store.url)
    try:
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute(sql)
    finally:
        await conn.close()


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
