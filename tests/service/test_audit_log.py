import asyncio
import sqlite3

import pytest

from hub.domain.identity import Role, SystemActor
from hub.errors import XietongError
from hub.services import audit
from tests.conftest import tamper_audit_log


async def test_admin_changes_write_chained_audit_rows_in_the_same_transaction(demo_hub):
    before = await audit.page(demo_hub.store, limit=1)
    unit = (await demo_hub.identity.user_by_login("dhz.clerk1")).unit_id
    user = await demo_hub.identity.add_user(SystemActor(login="ops"), "new.clerk", "新人", unit,
                                            "long enough", frozenset({Role.CLERK}))
    await demo_hub.identity.set_disabled(SystemActor(login="ops"), user.id, True)
    rows = (await audit.page(demo_hub.store, limit=2)).rows
    assert [r.action for r in rows] == ["user.disable", "user.add"]
    assert rows[1].prev_hash == before.rows[0].hash and rows[0].prev_hash == rows[1].hash
    assert rows[1].actor_login == "ops" and rows[1].target == f"user:{user.id}"
    assert rows[0].at.endswith("Z")   # UTC
    assert (await audit.verify(demo_hub.store)).ok


async def test_a_refused_change_writes_no_audit_row(demo_hub):
    count = (await audit.verify(demo_hub.store)).rows
    with pytest.raises(XietongError):
        await demo_hub.identity.add_user(SystemActor(), "dhz.clerk1", "重名", 1, "long enough",
                                         frozenset({Role.CLERK}))
    assert (await audit.verify(demo_hub.store)).rows == count


async def test_a_use_case_rolled_back_inside_a_shared_transaction_leaves_the_chain_whole(demo_hub):
    """Use-cases queued for the writer share one transaction, which reads the chain's head once; one
    that wrote an audit row and then failed takes its row back, and the next chains to the row before."""
    store, ops = demo_hub.store, SystemActor(login="ops")
    first_in, all_queued, queued = asyncio.Event(), asyncio.Event(), []
    before = (await audit.verify(store)).rows
    commits = store.commits

    async def use_case(n: int, fail: bool = False) -> None:
        async with store.write() as tx:
            await audit.record(tx, demo_hub.clock.now(), ops, "test.step", f"n:{n}")
            if n == 1:
                first_in.set()
                await all_queued.wait()          # the others queue for the writer meanwhile
                for _ in range(5):
                    await asyncio.sleep(0)       # ... as far as its lock
            if fail:
                raise RuntimeError("refused after writing")

    async def later(n: int, fail: bool = False) -> None:
        await first_in.wait()
        queued.append(n)
        if len(queued) == 4:
            all_queued.set()
        await use_case(n, fail)

    results = await asyncio.gather(use_case(1), later(2, fail=True), later(3), later(4, fail=True), later(5),
                                   return_exceptions=True)

    assert [type(r).__name__ for r in results] == ["NoneType", "RuntimeError", "NoneType", "RuntimeError", "NoneType"]
    assert store.commits - commits == 1          # all five shared one transaction
    rows = (await audit.page(store, limit=3)).rows
    assert sorted(r.target for r in rows) == ["n:1", "n:3", "n:5"]
    check = await audit.verify(store)
    assert check.ok and check.rows == before + 3


def test_the_audit_table_refuses_update_and_delete(demo_template):
    con = sqlite3.connect(demo_template)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit_log SET actor_login = 'someone' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit_log WHERE id = 1")


async def test_verify_finds_the_row_edited_behind_the_triggers_back(demo_hub):
    assert (await audit.verify(demo_hub.store)).ok
    await tamper_audit_log(demo_hub.config, "UPDATE audit_log SET target = 'user:1' WHERE id = 5")
    check = await audit.verify(demo_hub.store)
    assert not check.ok and check.broken_at == 5
