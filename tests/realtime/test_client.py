"""The realtime client library: resume by id across drops, backoff with jitter, acknowledge."""

import asyncio
import random

from bots.client import FeedClient
from tests.realtime.conftest import free_port, start_server
from tests.service.test_urgent_items import issue_extra_urgent


async def next_event(agen, kind: str):
    while True:
        frame = await asyncio.wait_for(agen.__anext__(), 5)
        if frame["type"] == kind:
            return frame


def test_backoff_grows_exponentially_with_full_jitter_and_a_ceiling():
    client = FeedClient("ws://x", "t", backoff_base=0.5, backoff_max=30, rng=random.Random(7))
    waits = [client.backoff(a) for a in range(12)]
    assert all(0 <= w <= min(30, 0.5 * 2 ** a) for a, w in enumerate(waits))
    assert max(waits[8:]) <= 30 and len(set(waits)) == len(waits)   # jittered, capped


def test_a_client_offline_for_days_keeps_retrying_within_the_ceiling():
    # a phone whose hub is unreachable overnight makes thousands of attempts; the
    # wait must stay a number within the ceiling (2 ** 1100 once overflowed a float)
    client = FeedClient("ws://x", "t", backoff_base=0.01, backoff_max=30, rng=random.Random(3))
    assert all(0 <= client.backoff(a) <= 30 for a in (1023, 1100, 100_000))


async def test_the_client_resumes_after_the_server_drops_it_and_misses_nothing(demo_hub, config, clock):
    from hub.app import Hub
    port = free_port()
    live = await start_server(demo_hub, port)
    token = await live.token("wjj.clerk1")
    delays = []

    async def no_wait(seconds: float) -> None:       # the test never sleeps: record the backoff instead
        delays.append(seconds)
        await asyncio.sleep(0)

    client = FeedClient(live.ws_url, token, sleep=no_wait, backoff_base=0.01)
    events = client.events()
    await client.connected()
    await issue_extra_urgent(demo_hub, "WJJ", title="断线前")
    assert (await next_event(events, "item.issued"))["item"]["title"] == "断线前"
    await live.runner.cleanup()                        # the hub restarts
    await demo_hub.close()
    hub = await Hub.start(config, clock)
    await issue_extra_urgent(hub, "WJJ", title="断线期间")
    live = await start_server(hub, port)
    try:
        frame = await next_event(events, "item.issued")
        assert frame["item"]["title"] == "断线期间" and client.connections == 2 and delays
        await issue_extra_urgent(hub, "WJJ", title="重连之后")
        frame = await next_event(events, "item.issued")
        assert frame["item"]["title"] == "重连之后"
        reply = await client.acknowledge(frame["delivery"]["id"])
        assert reply["type"] == "ack.ok" and reply["receipt_no"].startswith("HZ")
    finally:
        await client.close()
        await events.aclose()
        await live.runner.cleanup()
        await hub.close()
