"""Exactly once, after crashes: one message's trouble never stops the channel, and the look-up
"did this reach the gateway?" matches our own message whatever the clocks say."""

from datetime import timedelta

import pytest

from tests.service.test_urgent_items import issue_extra_urgent
from tests.sms.test_sms_channel import sms_rows

WJJ_CLERK = "+8613800000020"          # wjj.clerk1 in the demo


class Killed(BaseException):
    """The process dies here (what a SIGKILL looks like to the code after it)."""


def kill_on_send(world, phone: str, after_call: bool) -> None:
    """The next send to `phone` dies before the API call, or after it and before the SID is stored."""
    sms = world.hub.sms
    real_send = sms.gateway.send

    async def send(to, body, token=""):
        if to != phone:
            return await real_send(to, body, token)
        sms.gateway.send = real_send
        if after_call:
            await real_send(to, body, token)
        raise Killed()
    sms.gateway.send = send


async def run_until_killed(world) -> None:
    with pytest.raises(Killed):
        await world.hub.sms.run_once()


async def recover(world) -> None:
    """A new process on the same database: what the sender does at start, then its passes."""
    await world.restart()
    await world.hub.sms.recover()
    await world.hub.sms.run_once()
    await world.hub.sms.run_once()


async def two_digests_with_the_same_text(world):
    """W at once; X and Y digested; W's reminder alone; then X's and Y's reminders digested: the
    same lines (urgency, kind, title, code) as the first digest, so the same text."""
    clock, sms = world.clock, world.hub.sms
    await issue_extra_urgent(world.hub, "WJJ", title="寒潮防御")
    await sms.run_once()
    clock.advance(timedelta(seconds=10))
    x = await issue_extra_urgent(world.hub, "WJJ", title="森林防火")
    y = await issue_extra_urgent(world.hub, "WJJ", title="道路结冰")
    await sms.run_once()
    clock.advance(timedelta(seconds=110))
    await sms.run_once()                                   # the first digest (X, Y)
    first = world.to(WJJ_CLERK)[-1]["body"]
    assert first.startswith("【协同】您有2条新通知：")
    clock.advance(timedelta(seconds=180))                  # 5 minutes after W: W's reminder
    await world.hub.scheduler.run_due()
    await sms.run_once()
    clock.advance(timedelta(seconds=10))                   # X's and Y's reminders, held for the digest
    await world.hub.scheduler.run_due()
    await sms.run_once()
    clock.advance(timedelta(seconds=120))
    return first, x, y


@pytest.mark.parametrize("after_call", [False, True], ids=["killed_before_the_call", "killed_after_the_call"])
async def test_two_digests_with_the_same_text_and_a_kill_leave_one_sms_per_row_and_the_channel_open(
        world, after_call):
    first, x, y = await two_digests_with_the_same_text(world)
    kill_on_send(world, WJJ_CLERK, after_call)
    await run_until_killed(world)                          # the second digest (X, Y reminders)
    await recover(world)
    bodies = [m["body"] for m in world.to(WJJ_CLERK)]
    assert len(bodies) == 4 and bodies.count(first) == 2   # W, digest, W's reminder, the same digest again
    rows = [r for item in (x, y) for r in await sms_rows(world.hub, item.id) if r.phone == WJJ_CLERK]
    assert len(rows) == 4 and all(r.provider_id for r in rows)
    assert len({r.provider_id for r in rows}) == 2         # each digest's rows carry their own message
    later = await issue_extra_urgent(world.hub, "WJJ", title="新的通知")
    world.clock.advance(timedelta(minutes=3))
    await world.hub.sms.run_once()
    assert len(world.to(WJJ_CLERK)) == 5 and "新的通知" in world.to(WJJ_CLERK)[-1]["body"]
    assert {r.state for r in await sms_rows(world.hub, later.id)} == {"queued"}


@pytest.mark.parametrize("shows_callback", [False, True], ids=["twilio_record", "record_with_callback"])
async def test_the_hub_30_minutes_ahead_of_the_gateway_and_a_kill_after_the_call_send_one_sms(
        world, shows_callback):
    world.sim.show_status_callback = shows_callback
    world.sim.now = lambda: world.clock.now() - timedelta(minutes=30)
    item = await issue_extra_urgent(world.hub, "XSZ")
    kill_on_send(world, "+8613800000011", after_call=True)
    await run_until_killed(world)
    world.clock.advance(timedelta(minutes=2))
    await recover(world)
    assert len(world.to("+8613800000011")) == 1 and len(world.to("+8613800000012")) == 1
    rows = {r.phone: r for r in await sms_rows(world.hub, item.id)}
    assert rows["+8613800000011"].provider_id == world.to("+8613800000011")[0]["sid"]


async def test_one_message_in_trouble_does_not_stop_the_others(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    sms = world.hub.sms
    real_send = sms.gateway.send

    async def broken_for_one(to, body, token=""):
        if to == "+8613800000008":
            raise RuntimeError("something no one foresaw")
        return await real_send(to, body, token)
    sms.gateway.send = broken_for_one
    await sms.run_once()
    assert world.to("+8613800000009") != []                 # the other clerk got hers
    rows = {r.phone: r for r in await sms_rows(world.hub, item.id)}
    assert rows["+8613800000009"].state == "queued" and rows["+8613800000008"].state == "sending"
    sms.gateway.send = real_send
    world.clock.advance(timedelta(minutes=5))
    await sms.run_once()
    assert len(world.to("+8613800000008")) == 1            # tried again later, once
