import asyncio
import sqlite3

import pytest

from hub.app import Hub
from hub.domain.identity import SystemActor, UnitKind
from hub.errors import XietongError
from hub.store import Store
from hub.store.db import migrations


async def test_a_new_database_is_migrated_with_wal_and_foreign_keys(hub, db_path):
    assert hub.store.schema_version == len(migrations())
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(migrations())
    async with hub.store.read() as tx:
        fk = await (await tx.conn.execute("PRAGMA foreign_keys")).fetchone()
    assert fk[0] == 1


async def test_a_database_newer_than_the_code_is_refused(db_path):
    store = await Store.open(db_path)
    await store.close()
    con = sqlite3.connect(db_path)
    con.execute(f"PRAGMA user_version = {len(migrations()) + 1}")
    con.close()
    with pytest.raises(XietongError) as e:
        await Store.open(db_path)
    assert e.value.code == "db.too_new"
    assert "升级" in e.value.message("zh")


async def test_a_failed_use_case_leaves_nothing_behind(hub):
    with pytest.raises(RuntimeError):
        async with hub.store.write() as tx:
            await tx.units.add("AAA", "甲", UnitKind.OFFICE, None, "", hub.clock.now())
            raise RuntimeError("crash in the middle")
    async with hub.store.read() as tx:
        assert await tx.units.by_code("AAA") is None


async def test_readers_cannot_write(hub):
    async with hub.store.read() as tx:
        with pytest.raises(sqlite3.OperationalError):
            await tx.conn.execute("INSERT INTO units (code, name, kind, created_at) VALUES ('X','x','office','')")


async def test_a_foreign_key_to_a_missing_unit_is_refused(hub):
    with pytest.raises(sqlite3.IntegrityError):
        async with hub.store.write() as tx:
            await tx.users.add("ghost", "鬼", 999, "h", frozenset(), "", (), hub.clock.now())


async def test_writes_from_many_tasks_are_serialised_not_lost(hub):
    async def add(i: int) -> None:
        await hub.identity.add_unit(SystemActor(), f"U{i:03d}", f"单位{i}", UnitKind.DEPARTMENT)
    await asyncio.gather(*(add(i) for i in range(40)))
    assert len(await hub.identity.units()) == 40


async def test_backup_of_a_live_database_is_a_consistent_copy(demo_hub, tmp_path):
    dest = tmp_path / "backup" / "copy.db"

    async def keep_writing() -> None:
        for i in range(30):
            await demo_hub.identity.add_unit(SystemActor(), f"B{i:03d}", f"备份中{i}", UnitKind.DEPARTMENT)

    writer = asyncio.create_task(keep_writing())
    await demo_hub.store.backup(dest)
    await writer
    con = sqlite3.connect(dest)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n_units = con.execute("SELECT count(*) FROM units").fetchone()[0]
    assert 7 <= n_units <= 37
    n_audit = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert n_audit >= n_units          # each unit's audit row is in the same transaction
    copy = await Hub.start(demo_hub.config.with_overrides(store={"path": str(dest)}), demo_hub.clock)
    try:
        assert (await copy.identity.user_by_login("dhz.clerk1")).name == "赵海燕"
    finally:
        await copy.close()
