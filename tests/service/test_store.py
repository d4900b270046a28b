import asyncio
import contextlib
import sqlite3

import pytest

from hub.app import Hub
from hub.domain.identity import SystemActor, UnitKind
from hub.errors import XietongError
from hub.store import SqliteStore
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
    store = await SqliteStore.open(db_path)
    await store.close()
    con = sqlite3.connect(db_path)
    con.execute(f"PRAGMA user_version = {len(migrations()) + 1}")
    con.close()
    with pytest.raises(XietongError) as e:
        await SqliteStore.open(db_path)
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


async def queued_for_the_writer() -> None:
    """Let tasks just created run their first steps: they then wait for the writer's lock."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_use_cases_queued_together_share_one_commit_and_each_is_durable_when_it_returns(hub, db_path):
    """Group commit: what queued behind a running use-case joins its transaction and its fsync."""
    release, inside = asyncio.Event(), asyncio.Event()
    returned: list[str] = []

    async def first() -> None:
        async with hub.store.write() as tx:
            await tx.units.add("G00", "先到", UnitKind.DEPARTMENT, None, "", hub.clock.now())
            inside.set()
            await release.wait()            # the others queue for the writer meanwhile
        returned.append("G00")

    async def later(code: str) -> None:
        async with hub.store.write() as tx:
            await tx.units.add(code, code, UnitKind.DEPARTMENT, None, "", hub.clock.now())
        # back from write(): already committed, so another connection sees it
        seen = sqlite3.connect(db_path).execute("SELECT count(*) FROM units WHERE code = ?", (code,)).fetchone()
        assert seen[0] == 1
        returned.append(code)

    commits_before = hub.store.commits
    tasks = [asyncio.create_task(first())]
    await inside.wait()
    tasks += [asyncio.create_task(later(f"G{i:02d}")) for i in range(1, 6)]
    await queued_for_the_writer()
    assert returned == []                   # nobody is told "done" before the commit
    release.set()
    await asyncio.gather(*tasks)
    assert sorted(returned) == [f"G{i:02d}" for i in range(6)]
    assert hub.store.commits - commits_before == 1


async def test_a_failed_use_case_in_a_group_takes_only_its_own_writes_back(hub):
    release, inside = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with hub.store.write() as tx:
            await tx.units.add("H01", "留下", UnitKind.DEPARTMENT, None, "", hub.clock.now())
            inside.set()
            await release.wait()

    async def failing() -> None:
        async with hub.store.write() as tx:
            await tx.units.add("H02", "撤回", UnitKind.DEPARTMENT, None, "", hub.clock.now())
            raise RuntimeError("this use-case fails half-way")

    async def after() -> None:
        async with hub.store.write() as tx:
            await tx.units.add("H03", "也留下", UnitKind.DEPARTMENT, None, "", hub.clock.now())

    commits_before = hub.store.commits
    tasks = [asyncio.create_task(holder())]
    await inside.wait()
    tasks += [asyncio.create_task(failing()), asyncio.create_task(after())]
    await queued_for_the_writer()
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[1], RuntimeError) and results[0] is None and results[2] is None
    assert hub.store.commits - commits_before == 1
    async with hub.store.read() as tx:
        assert await tx.units.by_code("H01") is not None
        assert await tx.units.by_code("H02") is None
        assert await tx.units.by_code("H03") is not None


async def test_a_commit_that_fails_is_reported_to_every_use_case_in_it(hub, db_path):
    """Another process holds a read lock that blocks nothing in WAL... so break the COMMIT itself:
    a use-case that leaves a deferred foreign key dangling makes the COMMIT fail for the group."""
    release, inside = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with hub.store.write() as tx:
            await tx.conn.execute("PRAGMA defer_foreign_keys = ON")
            await tx.units.add("F01", "甲", UnitKind.DEPARTMENT, None, "", hub.clock.now())
            await tx.conn.execute("UPDATE units SET parent_id = 99999 WHERE code = 'F01'")
            inside.set()
            await release.wait()

    async def neighbour() -> None:
        async with hub.store.write() as tx:
            await tx.units.add("F02", "乙", UnitKind.DEPARTMENT, None, "", hub.clock.now())

    tasks = [asyncio.create_task(holder())]
    await inside.wait()
    tasks.append(asyncio.create_task(neighbour()))
    await queued_for_the_writer()
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    async with hub.store.read() as tx:                 # nothing of the group was kept
        assert await tx.units.by_code("F01") is None
        assert await tx.units.by_code("F02") is None
    await hub.identity.add_unit(SystemActor(), "F03", "丙", UnitKind.DEPARTMENT)   # the writer goes on
    async with hub.store.read() as tx:
        assert await tx.units.by_code("F03") is not None


async def test_a_use_case_cancelled_while_waiting_to_begin_leaves_the_writer_usable(hub, db_path):
    """A client hangs up while the hub waits for another process's write lock: when the lock is
    free, that BEGIN runs all the same on the writer's thread - no transaction may be left open."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")                  # e.g. `xietong user add` in another process

    async def hung_up() -> None:
        async with hub.store.write() as tx:
            await tx.units.add("C01", "不该写入", UnitKind.DEPARTMENT, None, "", hub.clock.now())

    task = asyncio.create_task(hung_up())
    for _ in range(5):
        await asyncio.sleep(0)                        # the task hands BEGIN to the writer's thread
    task.cancel()
    other.execute("ROLLBACK")                         # the BEGIN goes through now
    with pytest.raises(asyncio.CancelledError):
        await task
    # white box: let the writer's thread finish what it was handed, then look
    await asyncio.get_running_loop().run_in_executor(hub.store._thread, lambda: None)
    assert not hub.store._raw.in_transaction
    await hub.identity.add_unit(SystemActor(), "C02", "照常写入", UnitKind.DEPARTMENT)
    async with hub.store.read() as tx:
        assert await tx.units.by_code("C01") is None
        assert await tx.units.by_code("C02") is not None
    other.close()


async def test_reads_cancelled_at_any_point_leave_every_reader_usable(hub):
    async def read() -> None:
        async with hub.store.read() as tx:
            await tx.units.count()
            await tx.units.all()

    for ticks in range(8):                            # cancel at each point a read can be waiting
        task = asyncio.create_task(read())
        for _ in range(ticks):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # every reader connection is back in the pool with no transaction open
    await asyncio.gather(*(read() for _ in range(12)))
    for conn in hub.store._all_readers:
        assert not conn.in_transaction
