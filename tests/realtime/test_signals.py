"""Two hub processes on one PostgreSQL database hear each other's commits at once (real websockets).

Process B polls for events and timers only every ten minutes here, so whatever reaches B's phones
(or scheduler) within the test's network timeout came by the database's notification, not by B's poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest

from hub.app import Hub
from tests.realtime.conftest import (
    LiveServer,
    cookie_login,
    free_port,
    recv_json,
    session_socket,
    start_server,
)
from tests.realtime.test_session_end import closed_with
from tests.service.test_urgent_items import issue_extra_urgent

pytestmark = pytest.mark.postgresql_only(reason="several processes share one database only on PostgreSQL")


@pytest.fixture
async def other(live: LiveServer) -> AsyncIterator[LiveServer]:
    """Process B on the same database as `live` (A), looking for events and timers by itself only every
    ten minutes."""
    hub = await Hub.start(live.hub.config.with_overrides(realtime={"poll_ms": 600_000},
                                                         cluster={"heartbeat_seconds": 600}), live.hub.clock)
    server = await start_server(hub, free_port())
    await asyncio.wait_for(asyncio.gather(live.hub.signals.listening.wait(), hub.signals.listening.wait()), 10)
    try:
        yield server
    finally:
        await server.runner.cleanup()
        await hub.close()


async def test_an_item_issued_on_one_process_reaches_the_phones_on_the_other_at_once(live, other):
    on_b = await other.connect("dhz.clerk1")
    hello = await recv_json(on_b)
    item = await issue_extra_urgent(live.hub, "DHZ")
    frame = await recv_json(on_b, timeout=5)
    assert frame["type"] == "item.issued" and frame["item"]["id"] == item.id and frame["id"] > hello["last_id"]
    assert other.hub.signals.heard >= 1
    await on_b.close()


async def test_logging_out_on_one_process_closes_the_sessions_socket_on_the_other(live, other):
    session, csrf = await cookie_login(live.url, "xsz.clerk1")
    try:
        on_b = await session_socket(other, session)
        resp = await session.post(live.url + "/api/logout", headers={"X-CSRF-Token": csrf})
        assert resp.status == 200
        assert await closed_with(on_b, timeout=5) == 4001
    finally:
        await session.close()


async def test_a_to_do_change_on_one_process_refreshes_the_badges_on_the_other(live, other):
    on_b = await other.connect("wjj.clerk1")
    await recv_json(on_b)
    async with live.hub.store.read() as tx:
        unit = await tx.units.by_code("WJJ")
    live.hub.signals.todo_changed(unit.id)       # what a service calls once a document moved
    assert (await recv_json(on_b, timeout=5))["type"] == "todo"
    await on_b.close()


async def test_the_other_process_schedules_the_steps_of_an_item_issued_on_the_first(live, other):
    await asyncio.wait_for(other.hub.scheduler.idle.wait(), 5)
    assert other.hub.scheduler.sleeping_until is None          # nothing on the schedule yet
    item = await issue_extra_urgent(live.hub, "DHZ")
    async with asyncio.timeout(5):
        while other.hub.scheduler.sleeping_until is None:
            await asyncio.sleep(0.01)                            # real time: B's scheduler wakes
    assert other.hub.scheduler.sleeping_until == min(datetime.fromisoformat(s["due_at"]) for s in item.ladder)


async def test_a_listener_that_lost_its_connection_reconnects_and_hears_again(live, other):
    conn = await asyncpg.connect(other.hub.config.store.database_url)
    try:
        ended = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'xietong-listen' AND datname = current_database()")
    finally:
        await conn.close()
    assert ended >= 2                                   # A's and B's
    async with asyncio.timeout(10):
        while other.hub.signals.listening.is_set():
            await asyncio.sleep(0.01)                   # real time: the termination reaches B
        await other.hub.signals.listening.wait()
    on_b = await other.connect("nqz.clerk1")
    await recv_json(on_b)
    item = await issue_extra_urgent(live.hub, "NQZ")
    frame = await recv_json(on_b, timeout=5)
    assert frame["type"] == "item.issued" and frame["item"]["id"] == item.id
    await on_b.close()

