"""Replies and reminders that cross a sign-for: one reply signs for one delivery, however many
times the gateway posts it at once; a reminder queued before the sign-for is not sent after it."""

import asyncio
from datetime import timedelta

from tests.service.test_urgent_items import actor, issue_extra_urgent
from tests.sms.test_sms_channel import DHZ_CLERKS, events, sms_rows


async def test_the_same_reply_posted_four_times_at_once_signs_for_one_delivery(world):
    older = await issue_extra_urgent(world.hub, "DHZ", title="较早的通知")
    newer = await issue_extra_urgent(world.hub, "DHZ", title="最新的通知")
    await world.hub.sms.run_once()
    sid = "SM" + "b" * 32
    results = await asyncio.gather(*(world.reply(DHZ_CLERKS[0], "1", sid=sid) for _ in range(4)))
    assert [r["status"] for r in results] == [200] * 4
    assert {tuple(r["replies"]) for r in results} == {(results[0]["replies"][0],)}
    assert "最新的通知" in results[0]["replies"][0]
    async with world.hub.store.read() as tx:
        (d_new,) = await tx.deliveries.for_item(newer.id)
        (d_old,) = await tx.deliveries.for_item(older.id)
    assert d_new.state.value == "acked" and d_old.state.value == "pending"
    assert len(await events(world.hub, newer.id, "item.acked")) == 1
    assert await events(world.hub, older.id, "item.acked") == []


async def test_a_reminder_queued_before_the_sign_for_is_not_sent_after_it(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    world.clock.advance(timedelta(minutes=5))
    await world.hub.scheduler.run_due()                   # the 5-minute reminder is queued...
    (remind,) = await events(world.hub, item.id, "item.escalated")
    async with world.hub.store.read() as tx:
        (delivery,) = await tx.deliveries.for_item(item.id)
    await world.hub.items.acknowledge(await actor(world.hub, "dhz.clerk1"), delivery.id)   # ...then signed for
    await world.hub.sms.run_once()
    for phone in DHZ_CLERKS:
        assert len(world.to(phone)) == 1                  # the notice only, no reminder
    rows = [r for r in await sms_rows(world.hub, item.id) if r.event_id == remind.id]
    assert len(rows) == 2 and {r.state for r in rows} == {"skipped"}


async def test_a_reminder_held_for_a_digest_is_dropped_if_its_item_is_signed_for_meanwhile(world):
    first = await issue_extra_urgent(world.hub, "DHZ", title="第一件")
    await world.hub.sms.run_once()
    world.clock.advance(timedelta(minutes=4, seconds=30))
    await issue_extra_urgent(world.hub, "DHZ", title="第二件")
    await world.hub.sms.run_once()                        # the second notice, at once
    world.clock.advance(timedelta(seconds=30))
    await world.hub.scheduler.run_due()                   # the first's reminder, held for the digest
    await world.hub.sms.run_once()
    async with world.hub.store.read() as tx:
        (delivery,) = await tx.deliveries.for_item(first.id)
    await world.hub.items.acknowledge(await actor(world.hub, "dhz.clerk2"), delivery.id)
    world.clock.advance(timedelta(minutes=2))
    await world.hub.sms.run_once()
    assert [len(world.to(p)) for p in DHZ_CLERKS] == [2, 2]


async def test_a_reply_recorded_first_by_another_process_is_answered_as_a_repeat_not_a_500(world, monkeypatch):
    from hub.store.sms import SmsQueries
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    sid = "SM" + "c" * 32
    first = await world.reply(DHZ_CLERKS[0], "1", sid=sid)
    real_inbound = SmsQueries.inbound
    looked = []

    async def not_yet_seen(self, s):         # as if the other process committed just after each look
        looked.append(s)
        return None if len(looked) <= 2 else await real_inbound(self, s)
    monkeypatch.setattr(SmsQueries, "inbound", not_yet_seen)
    again = await world.reply(DHZ_CLERKS[0], "1", sid=sid)
    assert again["status"] == 200 and again["replies"] == first["replies"]
    assert len(await events(world.hub, item.id, "item.acked")) == 1


async def test_a_repeated_code_reply_gets_its_receipt_again_and_a_colleague_is_told_who_signed_for_it(world):
    item = await issue_extra_urgent(world.hub, "DHZ", title="寒潮防御")
    await world.hub.sms.run_once()
    first = await world.reply(DHZ_CLERKS[0], f"签收 {item.short_code}")
    world.clock.advance(timedelta(minutes=2))
    again = await world.reply(DHZ_CLERKS[0], f"签收 {item.short_code}")     # a new SMS: the answer was lost
    assert again["replies"] == first["replies"] and "回执号HZ" in first["replies"][0]
    signer = await world.hub.identity.user_by_login("dhz.clerk1")
    other = await world.reply(DHZ_CLERKS[1], f"签收 {item.short_code}")
    assert other["replies"] == [f"【协同】《寒潮防御》已由{signer.name}于11-24 09:00签收，无需再签。"]
    assert len(await events(world.hub, item.id, "item.acked")) == 1
