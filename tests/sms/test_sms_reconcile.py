"""Statuses the hub never heard (callbacks lost while it was down, or dropped on the way) are
fetched from the gateway by SID and applied like a callback; /healthz tells of clock skew."""

from datetime import timedelta

import aiohttp
import jsonschema

from tests.service.test_urgent_items import issue_extra_urgent
from tests.sms.test_sms_channel import DHZ_CLERKS, events, sms_rows


async def test_a_status_callback_lost_while_the_hub_was_stopped_is_fetched_after_the_restart(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    await world.stop()
    assert await world.flush() == 4                          # sent, delivered for each: nobody answers
    assert {code for _, _, code in world.sim.fired} == {0}
    await world.start()
    await world.until_idle()                                 # at start, everything not final is fetched
    assert {r.state for r in await sms_rows(world.hub, item.id)} == {"delivered"}
    assert len(await events(world.hub, item.id, "sms.delivered")) == 2
    assert {m["status"] for p in DHZ_CLERKS for m in world.to(p)} == {"delivered"}


async def test_an_undelivered_status_never_called_back_pulls_the_next_step_forward(world):
    for phone in DHZ_CLERKS:
        world.sim.behaviour[phone] = "undelivered"
    item = await issue_extra_urgent(world.hub, "DHZ", title="寒潮防御")
    await world.hub.sms.run_once()
    await world.flush(drop=True)                             # the callbacks are lost on the way
    world.clock.advance(timedelta(minutes=5))
    await world.hub.scheduler.run_due()                      # the 5-minute reminder, as planned
    await world.hub.sms.run_once()
    await world.flush(drop=True)
    assert [e.data["action"] for e in await events(world.hub, item.id, "item.escalated")] == ["remind"]
    world.clock.advance(timedelta(minutes=5, seconds=1))     # 10 minutes without a final status
    await world.hub.sms.run_once()
    failed = await events(world.hub, item.id, "sms.failed")
    assert len(failed) == 2 and {e.data["error_code"] for e in failed} == {30003}   # on the timeline
    await world.hub.scheduler.run_due()                      # the backup step, due at 15 minutes, now
    escalated = await events(world.hub, item.id, "item.escalated")
    assert [e.data["action"] for e in escalated] == ["remind", "backup"]
    assert escalated[1].at == world.clock.now()


async def test_a_message_still_not_final_is_asked_again_later_and_less_often(world):
    world.sim.auto_callbacks = False
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    world.sim.pending.clear()                                # the gateway never moves past 'queued'
    start, fetches = world.clock.now(), {}
    real_fetch = world.hub.sms.gateway.fetch

    async def counted(sid):
        fetches.setdefault(sid, []).append((world.clock.now() - start) // timedelta(minutes=1))
        return await real_fetch(sid)
    world.hub.sms.gateway.fetch = counted
    for _ in range(12):
        world.clock.advance(timedelta(minutes=10))
        await world.hub.sms.run_once()
    assert {r.state for r in await sms_rows(world.hub, item.id)} == {"queued"}
    assert list(fetches.values()) == [[10, 30, 70]] * 2     # after 10 minutes, then 20, 40 later: backing off


async def healthz(world) -> dict:
    """GET /healthz, checked against the schema the OpenAPI document gives for it."""
    async with aiohttp.ClientSession() as s:
        async with s.get(world.xietong.url + "/api/openapi.json") as resp:
            doc = await resp.json()
        async with s.get(world.xietong.url + "/healthz") as resp:
            assert resp.status == 200
            body = await resp.json()
    schema = doc["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator(schema).validate(body)
    return body


async def test_healthz_warns_when_the_gateway_clock_and_ours_differ_by_more_than_a_minute(world):
    world.sim.now = lambda: world.clock.now() + timedelta(seconds=20)
    await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    body = await healthz(world)
    assert body["status"] == "ok" and body["warnings"] == []
    world.sim.now = lambda: world.clock.now() - timedelta(minutes=3)
    await issue_extra_urgent(world.hub, "XSZ")
    await world.hub.sms.run_once()
    calls = len(world.sim.messages)
    body = await healthz(world)
    assert body["status"] == "ok"
    (warning,) = body["warnings"]
    assert warning["code"] == "sms.gateway_clock_skew" and warning["skew_seconds"] == -180
    assert "180" in warning["message"] and "180" in warning["message_zh"]
    assert len(world.sim.messages) == calls                  # healthz itself never calls the gateway
