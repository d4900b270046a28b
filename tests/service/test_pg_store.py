"""The PostgreSQL store itself: migrations, the one rewrite of PgConnection, transactions."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from hub.app import Hub
from hub.config import Config
from hub.domain.identity import UnitKind
from hub.store.db import migrations
from hub.store.pg import PgStore
from hub.store.pg_connection import placeholders
from hub.store.pg_schema import postgresql_migrations, translate


@pytest.fixture
def backend() -> str:
    return "postgresql"     # this module's store tests are PostgreSQL's alone


def test_placeholders_are_numbered_outside_literals_and_comments() -> None:
    assert placeholders("SELECT ?, '?', \"a?\" -- ?\n FROM t WHERE a = ? AND b LIKE ? || '%'") == (
        "SELECT $1, '?', \"a?\" -- ?\n FROM t WHERE a = $2 AND b LIKE $3 || '%'")


def test_every_migration_has_a_postgresql_form_and_the_same_numbers() -> None:
    assert [n for n, _, _ in postgresql_migrations()] == [n for n, _, _ in migrations()]


def test_the_translation_refuses_a_trigger_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="override"):
        translate("CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET a = 1; END;")


async def test_a_fresh_schema_migrates_to_the_latest_version(hub: Hub) -> None:
    assert isinstance(hub.store, PgStore)
    assert hub.store.schema_version == len(migrations())
    async with hub.store.read() as tx, tx.conn.execute("SELECT version FROM schema_version") as cur:
        assert [r[0] for r in await cur.fetchall()] == [len(migrations())]


async def test_a_schema_named_in_the_url_holds_the_tables(config: Config) -> None:
    """?search_path=schema: the tables go into that schema, migrated there from nothing."""
    url = config.store.url
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE SCHEMA xietong")
        store = await PgStore.open(url + "&search_path=xietong")
        await store.close()
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'xietong'")
    finally:
        await conn.close()
    assert store.schema_version == len(migrations()) and tables > 40


async def test_opening_again_migrates_nothing_and_ids_continue(hub: Hub) -> None:
    async with hub.store.write() as tx:
        first = await tx.units.add("AAA", "甲", UnitKind.OFFICE, None, "", hub.clock.now())
    assert isinstance(hub.store, PgStore)
    again = await PgStore.open(hub.store.url)
    try:
        async with again.write() as tx:
            second = await tx.units.add("BBB", "乙", UnitKind.OFFICE, None, "", hub.clock.now())
    finally:
        await again.close()
    assert second == first + 1


async def test_a_failed_use_case_leaves_nothing_behind(hub: Hub) -> None:
    with pytest.raises(RuntimeError):
        async with hub.store.write() as tx:
            await tx.units.add("AAA", "甲", UnitKind.OFFICE, None, "", hub.clock.now())
            raise RuntimeError("crash in the middle")
    async with hub.store.read() as tx:
        assert await tx.units.count() == 0


async def test_write_transactions_run_one_at_a_time(hub: Hub) -> None:
    """Read-and-increment inside writes stays gapless: the advisory lock serialises them."""
    async def count_up(i: int) -> None:
        async with hub.store.write() as tx:
            n = await tx.units.count()
            await asyncio.sleep(0)          # let the others try to come between
            await tx.units.add(f"U{n:03d}", f"单位{i}", UnitKind.OFFICE, None, "", hub.clock.now())
    await asyncio.gather(*(count_up(i) for i in range(20)))
    async with hub.store.read() as tx:
        assert await tx.units.count() == 20
