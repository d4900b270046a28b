"""Two hub processes on one PostgreSQL database, one SMS outbox: each notice is sent once, a message
in flight belongs to the process that is calling the gateway while it lives, and once it is dead a
live process takes the message over, looks it up at the gateway first, and sends nothing twice.

The second process is a second `Hub` on the same database (its own connections, its own SMS sender
and gateway client) on the same fake clock; a process "dies" by not heartbeating any more.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from hub.app import Hub
from tests.service.test_urgent_items import issue_extra_urgent
from tests.sms.test_sms_channel import sms_rows
from tests.sms.test_sms_exactly_once import Killed

pytestmark = pytest.mark.postgresql_only(reason="several processes share one database only on PostgreSQL")

XSZ_CLERK = "+8613800000011"          # xsz.clerk1 in the demo


@pytest.fixture
async def other(world) -> AsyncIterator[Hub]:
    """Process B beside the world's hub (A), both registered and each knowing the other alive."""
    hub = await Hub.start(world.config, world.clock)
    try:
        await hub.processes.beat()                 # what each serving process does when it starts
        await world.hub.processes.beat()
        assert world.hub.processes.live_others() == [hub.processes.id]
        yield hub
    finally:
        await hub.close()


@pytest.fixture
async def no_digest(world) -> None:
    """Every notice goes out at once, on its own: nothing is held back that could hide a second send."""
    world.config = world.config.with_overrides(sms={"digest_seconds": 0})
    await world.restart()


async def test_two_processes_sending_the_same_queued_notices_send_each_once(world, no_digest, other):
    items = [await issue_extra_urgent(world.hub, unit) for unit in ("DHZ", "XSZ", "WJJ")]
    await asyncio.gather(world.hub.sms.run_once(), other.sms.run_once())   # both read the same queue
    rows = [r for item in items for r in await sms_rows(world.hub, item.id)]
    sent = Counter(m["to"] for m in world.sim.messages if m.get("direction") == "outbound-api")
    assert sent == Counter(r.phone for r in rows) and set(sent.values()) == {1}
    assert all(r.provider_id for r in rows)


async def test_a_message_in_flight_is_left_to_its_live_process_and_taken_over_once_it_is_dead(world, other):
    item = await issue_extra_urgent(world.hub, "XSZ")
    real_send = other.sms.gateway.send

    async def dies_after_the_call(to, body, token=""):
        sent = await real_send(to, body, token)
        if to == XSZ_CLERK:
            raise Killed()        # B dies with the gateway holding the message and B not its SID
        return sent
    other.sms.gateway.send = dies_after_the_call
    with pytest.raises(Killed):
        await other.sms.run_once()
    async with world.hub.store.read() as tx:
        (message,) = [m for m in await tx.sms.recent() if m.phone == XSZ_CLERK]
    assert message.state == "sending" and message.sid is None

    # A, two minutes on and still seeing B alive, leaves B's message alone, even starting afresh
    world.clock.advance(timedelta(minutes=2))
    await world.hub.sms.recover()
    await world.hub.sms.run_once()
    async with world.hub.store.read() as tx:
        assert (await tx.sms.get(message.id)).sid is None
    assert len(world.to(XSZ_CLERK)) == 1

    # at A's next heartbeat B is dead (not seen for 2 minutes): A takes its work over, once
    assert await world.hub.processes.beat() == 1
    assert await world.hub.processes.beat() == 0
    await world.hub.sms.run_once()
    assert len(world.to(XSZ_CLERK)) == 1                     # found at the gateway: not sent again
    rows = {r.phone: r for r in await sms_rows(world.hub, item.id)}
    assert rows[XSZ_CLERK].provider_id == world.to(XSZ_CLERK)[0]["sid"]
    assert world.hub.processes.live_others() == []


async def test_a_status_due_is_fetched_by_one_of_the_processes(world, other):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()                      # handed over; no callback ever comes
    fetched: list[str] = []
    for hub in (world.hub, other):
        real_fetch = hub.sms.gateway.fetch

        async def counting(sid, real_fetch=real_fetch):
            fetched.append(sid)
            return await real_fetch(sid)
        hub.sms.gateway.fetch = counting
    world.clock.advance(timedelta(minutes=world.config.sms.reconcile_after_minutes, seconds=1))
    await asyncio.gather(world.hub.sms.statuses.reconcile(), other.sms.statuses.reconcile())
    sids = [r.provider_id for r in await sms_rows(world.hub, item.id)]
    assert sorted(fetched) == sorted(sids) and len(sids) == 2


async def test_the_sending_rate_is_shared_by_the_live_processes(world, other):
    rate = world.config.sms.rate_per_second
    await issue_extra_urgent(world.hub, "XSZ")
    await world.hub.sms.run_once()
    assert world.hub.sms.rate.interval == pytest.approx(2 / rate)
    world.clock.advance(timedelta(seconds=world.config.cluster.dead_after_seconds + 1))
    await world.hub.processes.beat()                    # B stopped heartbeating: dead
    await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    assert world.hub.sms.rate.interval == pytest.approx(1 / rate)
