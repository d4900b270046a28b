"""Moving an install: `xietong store copy` takes a SQLite install (the demo, plus a morning's work) into
a fresh PostgreSQL database, and the hub then runs on the copy as it ran on the file."""

from __future__ import annotations

import asyncio
import io
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from hub.app import Hub
from hub.cli_store import ProgressLines, print_counts
from hub.clock import FakeClock
from hub.domain.items import Attachment, ItemDraft, ItemKind, Urgency
from hub.errors import XietongError
from hub.services import audit
from hub.services.demo import DEMO_PASSWORD
from hub.store.copy import (
    CopyReport,
    Reference,
    TableCount,
    copy_sqlite_to_postgresql,
    derived,
    load_order,
)
from hub.store.db import migrations
from hub.store.pg import PgStore
from tests.conftest import _pg, _require_postgresql, make_config, pg_url
from tests.service.conftest import demo_copy
from tests.service.test_cli import xietong
from tests.service.test_migration_roads import BEFORE, _at_version, _seed_under_way
from tests.service.test_urgent_items import actor, unit_ids

SCAN = bytes(range(256)) * 40       # an attachment: every byte value, as a scan's bytes are


@dataclass
class Install:
    db: Path
    item_id: int           # issued this morning with SCAN attached, signed for by 东湖镇
    handover_id: int       # the duty desk's shift handed over (the shift names it, it names the shift)


def sqlite_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                              " AND name NOT LIKE 'sqlite_%'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables if not derived(t)}


async def issue(hub: Hub, title: str, *codes: str, attachments: tuple[Attachment, ...] = ()) -> int:
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.EXTRA_URGENT, title=title, body="各镇：请立即部署。",
                      main_units=tuple(await unit_ids(hub, *codes)), attachments=attachments)
    return (await hub.items.issue(await actor(hub, "bgs.clerk1"), draft)).id


async def a_mornings_work(hub: Hub) -> tuple[int, int]:
    """An item with a scan issued and signed for, the duty shift handed over and confirmed, a log entry."""
    item_id = await issue(hub, "关于做好寒潮防御工作的紧急通知", "DHZ", "XSZ",
                          attachments=(Attachment("扫描件.pdf", SCAN, "application/pdf"),))
    clerk = await actor(hub, "dhz.clerk1")
    view = await hub.items.view(clerk, item_id)
    assert view.mine is not None
    await hub.items.acknowledge(clerk, view.mine.id)
    duty, duty2 = await actor(hub, "duty"), await actor(hub, "duty2")
    await hub.duty_log.take_shift(duty)
    await hub.duty_log.add_entry(duty, "note", "夜班平稳")
    assert isinstance(hub.clock, FakeClock)
    hub.clock.advance(hours=8)
    handover = await hub.duty_log.hand_over(duty, duty2.user_id, "南桥镇特急通知未签收，已电话催办两次")
    await hub.duty_log.confirm_handover(duty2, handover.id)
    return item_id, handover.id


@pytest.fixture
async def install(cli_demo: Path, tmp_path: Path) -> Install:
    """The demo install (its items at every stage, a month's history, 收文) plus a morning's work."""
    db = demo_copy(cli_demo, tmp_path / "install")
    hub = await Hub.start(make_config(db), FakeClock(datetime.now(UTC)), create=False)
    try:
        item_id, handover_id = await a_mornings_work(hub)
    finally:
        await hub.close()
    return Install(db, item_id, handover_id)


@pytest.fixture
async def target() -> AsyncIterator[str]:
    """A fresh PostgreSQL database owned by a role of its own that is no superuser, as in production."""
    _require_postgresql()
    name = f"xt_copy_{secrets.token_hex(4)}"
    await _pg(f"CREATE ROLE {name} LOGIN", f"CREATE DATABASE {name} OWNER {name}")
    try:
        yield pg_url(name).replace("//postgres@", f"//{name}@")
    finally:
        await _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"DROP ROLE IF EXISTS {name}")


async def hub_on(url: str, tmp_path: Path) -> Hub:
    return await Hub.start(make_config(tmp_path / "unused.db", store={"url": url}),
                           FakeClock(datetime.now(UTC)), create=False)


async def rows(store_hub: Hub, sql: str) -> list[tuple[object, ...]]:
    async with store_hub.store.read() as tx, tx.conn.execute(sql) as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_an_install_copied_into_postgresql_runs_there_as_it_did(install: Install, target: str,
                                                                      tmp_path: Path) -> None:
    seen: dict[str, tuple[int, int]] = {}
    report = await copy_sqlite_to_postgresql(install.db, target, batch=100,
                                             on_progress=lambda t, done, total: seen.__setitem__(t, (done, total)))
    counts = sqlite_counts(install.db)
    assert report.ok and {t.table: t.target_rows for t in report.tables} == counts
    assert seen == {t: (n, n) for t, n in counts.items()}        # every table's bar reached its end
    assert counts["audit_log"] > 400 and counts["outbox"] > 500 and counts["duty_shifts"] == 2

    source, copy = (await Hub.start(make_config(install.db), FakeClock(datetime.now(UTC)), create=False),
                    await hub_on(target, tmp_path))
    try:
        check, original = await audit.verify(copy.store), await audit.verify(source.store)
        assert check.ok and (check.rows, check.head) == (original.rows, original.head)
        assert (await copy.identity.login("dhz.clerk1", DEMO_PASSWORD, "127.0.0.1")).user.login == "dhz.clerk1"
        async with source.store.read() as a, copy.store.read() as b:
            assert await b.deliveries.for_item(install.item_id) == await a.deliveries.for_item(install.item_id)
            assert await b.items.get(install.item_id) == await a.items.get(install.item_id)
        for sql in ("SELECT content FROM attachments ORDER BY id",           # BLOB -> bytea, byte for byte
                    "SELECT id, handover_id, ended_at FROM duty_shifts ORDER BY id",   # the cycle, as written
                    "SELECT id, created_at, body FROM outbox ORDER BY id"):
            assert await rows(copy, sql) == await rows(source, sql)
        assert (await rows(copy, "SELECT content FROM attachments"))[0][0] == SCAN
        assert (await rows(copy, "SELECT handover_id FROM duty_shifts ORDER BY id")) == [(None,), (install.handover_id,)]

        largest = max(r[0] for r in await rows(copy, "SELECT id FROM items"))
        new_id = await issue(copy, "关于迎接省政府安全生产督查的紧急通知", "NQZ")      # sequences set past the copy
        assert new_id == largest + 1
        assert (await audit.verify(copy.store)).ok                               # and the chain goes on
    finally:
        await source.close()
        await copy.close()


async def test_a_target_with_rows_is_refused_and_left_alone_unless_replace_is_given(
        install: Install, target: str, tmp_path: Path) -> None:
    await copy_sqlite_to_postgresql(install.db, target)
    copy = await hub_on(target, tmp_path)
    try:
        extra = await issue(copy, "在副本上发出的通知", "NQZ")
    finally:
        await copy.close()
    with pytest.raises(XietongError) as refused:
        await copy_sqlite_to_postgresql(install.db, target)
    assert refused.value.code == "copy.target_not_empty"
    assert "--replace" in refused.value.message("en") and "--replace" in refused.value.message("zh")
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT count(*) FROM items WHERE id = $1", extra) == 1    # left as it was

        report = await copy_sqlite_to_postgresql(install.db, target, replace=True)
        assert report.ok and report.emptied
        assert await conn.fetchval("SELECT count(*) FROM items WHERE id = $1", extra) == 0    # the copy's state
        assert await conn.fetchval("SELECT count(*) FROM items") == sqlite_counts(install.db)["items"]
    finally:
        await conn.close()


async def test_a_running_hub_is_copied_from_one_moment_of_its_life(install: Install, target: str) -> None:
    """The hub goes on issuing while the copy runs: the copy holds a consistent moment (its counts and its
    audit chain agree), not half of a use-case."""
    hub = await Hub.start(make_config(install.db), FakeClock(datetime.now(UTC)), create=False)
    before = sqlite_counts(install.db)["items"]
    issued = 0
    copying = asyncio.ensure_future(copy_sqlite_to_postgresql(install.db, target))
    try:
        while not copying.done():
            await issue(hub, f"第{issued + 1}号紧急通知", "DHZ", "XSZ")
            issued += 1
        report = await copying
    finally:
        await hub.close()
    copied = {t.table: t.target_rows for t in report.tables}
    assert report.ok and issued > 0 and before <= copied["items"] <= before + issued
    conn = await asyncpg.connect(target)
    try:   # every item in the copy came with its two deliveries: no use-case was cut in half
        assert await conn.fetchval("SELECT count(*) FROM items i WHERE (SELECT count(*) FROM deliveries d"
                                   " WHERE d.item_id = i.id) = 0") == 0
    finally:
        await conn.close()
    store = await PgStore.open(target, create=False)
    try:
        assert (await audit.verify(store)).ok
    finally:
        await store.close()


async def test_a_copy_cut_short_leaves_the_target_as_it_was(install: Install, target: str) -> None:
    """Ctrl-C (the task cancelled) half-way through: not even the migrations are left behind."""
    halfway = asyncio.Event()

    def progress(table: str, done: int, total: int) -> None:
        if table == "outbox" and 0 < done < total:
            halfway.set()
    copying = asyncio.ensure_future(copy_sqlite_to_postgresql(install.db, target, batch=50, on_progress=progress))
    await halfway.wait()
    copying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await copying
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()
    report = await copy_sqlite_to_postgresql(install.db, target)      # and a second try goes through
    assert report.ok and not report.emptied


async def test_an_install_of_an_older_schema_is_copied_as_this_codes_and_itself_left_alone(
        tmp_path: Path, target: str) -> None:
    db = tmp_path / "old.db"
    con = _at_version(db, BEFORE)
    _seed_under_way(con)
    con.close()
    report = await copy_sqlite_to_postgresql(db, target)
    assert (report.source_version, report.schema_version) == (BEFORE, len(migrations()))
    with sqlite3.connect(db) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == BEFORE
        assert old.execute("SELECT count(*) FROM sqlite_master WHERE name = 'road_steps'").fetchone()[0] == 0
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT version FROM schema_version") == len(migrations())
        assert [tuple(r) for r in await conn.fetch("SELECT id, delivery_id FROM timers")] == [(3, 7)]
        assert [r[0] for r in await conn.fetch("SELECT id FROM outbox ORDER BY id")] == [9, 10]
    finally:
        await conn.close()


async def test_a_schema_named_in_the_url_receives_the_copy(install: Install, target: str, tmp_path: Path) -> None:
    conn = await asyncpg.connect(target)
    try:
        await conn.execute("CREATE SCHEMA xietong")
        in_schema = f"{target}&search_path=xietong"
        report = await copy_sqlite_to_postgresql(install.db, in_schema)
        assert report.ok
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
        assert await conn.fetchval("SELECT count(*) FROM xietong.items") == sqlite_counts(install.db)["items"]
    finally:
        await conn.close()
    copy = await hub_on(in_schema, tmp_path)
    try:
        assert (await audit.verify(copy.store)).ok
    finally:
        await copy.close()


def test_the_command_copies_shows_each_tables_counts_and_checks_the_audit_chain(install: Install,
                                                                                 target: str) -> None:
    out = xietong(install.db, "store", "copy", "--from", f"sqlite:///{install.db}", "--to", target)
    assert out.returncode == 0, out.stderr
    counts = sqlite_counts(install.db)
    lines = {line.split()[0]: line.split()[1:] for line in out.stdout.splitlines() if line.strip()}
    for table, n in counts.items():
        assert lines[table][-3:] == [str(n), str(n), "OK"], table    # the final table's row
    assert f"audit log of the copy intact: {counts['audit_log']} rows" in out.stdout
    assert "副本的审计日志完整" in out.stdout

    again = xietong(install.db, "store", "copy", "--to", target)      # --from: the config's store
    assert again.returncode == 1
    assert "already holds data" in again.stderr and "已有数据" in again.stderr


def test_a_target_that_cannot_be_reached_is_a_clear_error(install: Install, tmp_path: Path) -> None:
    out = xietong(install.db, "store", "copy", "--to", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert out.returncode == 1
    assert "Cannot connect to the target database" in out.stderr and "无法连接目标数据库" in out.stderr
    wrong = xietong(install.db, "store", "copy", "--to", f"sqlite:///{tmp_path / 'other.db'}")
    assert wrong.returncode == 1 and "--to must name a PostgreSQL database" in wrong.stderr
    missing = xietong(install.db, "store", "copy", "--from", f"sqlite:///{tmp_path / 'none.db'}",
                      "--to", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert missing.returncode == 1 and "No database at" in missing.stderr


def test_a_schema_that_is_not_there_is_named_in_the_error(install: Install, target: str) -> None:
    out = xietong(install.db, "store", "copy", "--to", f"{target}&search_path=xietong")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "refused the copy: no schema has been selected to create in" in out.stderr and "拒绝了复制" in out.stderr


def test_tables_load_after_the_tables_they_name_and_a_cycle_breaks_at_a_nullable_column() -> None:
    refs = [Reference("users", "unit_id", "units", False), Reference("units", "parent_id", "units", True),
            Reference("shifts", "handover_id", "handovers", True), Reference("handovers", "shift_id", "shifts", False),
            Reference("handovers", "to_id", "users", False)]
    order, later = load_order(["handovers", "shifts", "units", "users"], refs)
    assert order == ["units", "users", "shifts", "handovers"] and later == [refs[2]]
    with pytest.raises(ValueError, match="cycle"):
        load_order(["a", "b"], [Reference("a", "b_id", "b", False), Reference("b", "a_id", "a", False)])


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_tables_bar_is_redrawn_in_place_and_ends_its_line() -> None:
    screen, log = Terminal(), io.StringIO()
    for out in (screen, log):
        show = ProgressLines(out)
        show("users", 0, 4)
        show("users", 4, 4)
        show("items", 0, 0)
    assert screen.getvalue().count("\n") == 2 and screen.getvalue().startswith("\rusers")
    assert "[" + "#" * 30 + "] 4/4\n" in screen.getvalue()
    assert log.getvalue().splitlines() == ["users".ljust(26) + " 4/4", "items".ljust(26) + " 0/0"]


def test_a_count_that_differs_is_marked_in_the_final_table() -> None:
    out = io.StringIO()
    print_counts(CopyReport(15, 15, [TableCount("users", 25, 25), TableCount("items", 32, 31)]), out)
    marks = {line.split()[0]: line.split()[-1] for line in out.getvalue().splitlines() if line.strip()}
    assert marks["users"] == "OK" and marks["items"] == "DIFF" and marks["total"] == "DIFF"
