"""传阅's reminder through the real `twilio` client and the Twilio-compatible simulator: the unread
readers with a phone get one SMS each, tracked to delivered or undelivered on the sender's view; a
reader without a phone is named, never dropped."""

from __future__ import annotations

from tests.service.test_circulation import record
from tests.service.test_urgent_items import actor


async def test_a_reminder_reaches_the_unread_by_sms_and_the_view_shows_each_outcome(world):
    hub = world.hub
    rec = await record(hub, title="关于开展冬季消防安全检查的通知")
    sender = await actor(hub, "dhz.clerk1")
    leader = await hub.identity.user_by_login("dhz.leader")
    clerk2 = await hub.identity.user_by_login("dhz.clerk2")
    nophone = await hub.identity.user_by_login("dhzjfb.clerk")
    async with hub.store.write() as tx:
        await tx.users.update_profile(nophone.id, nophone.name, "", ())
    reader = await hub.identity.user_by_login("dhzdzb.clerk")
    sent = await hub.circulation.circulate(sender, rec, [leader.id, clerk2.id, nophone.id, reader.id], "请阅知")
    dzb = await actor(hub, "dhzdzb.clerk")
    await hub.circulation.read(dzb, (await hub.circulation.view(dzb, sent.circulation_id)).mine.step_id, "已阅")
    world.sim.behaviour[clerk2.phone] = "undelivered"

    reminded = await hub.circulation.remind(sender, sent.circulation_id)
    assert sorted(reminded.reached) == sorted([leader.name, clerk2.name]) and reminded.not_reached == [nophone.name]
    assert await hub.sms.run_once() == 2
    assert await hub.sms.run_once() == 0                                # never twice
    (msg,) = world.to(leader.phone)
    assert msg["body"].startswith("【协同】") and "关于开展冬季消防安全检查的通知" in msg["body"]
    assert world.to(reader.phone) == []                                 # who read it is left alone
    await world.flush()
    view = await hub.circulation.view(sender, sent.circulation_id)
    assert view.reminder_sms[leader.id][0] == "delivered"
    assert view.reminder_sms[clerk2.id][0] == "undelivered" and view.sms_trouble(clerk2.id)
    assert nophone.id not in view.reminder_sms and view.last_reminder.data["not_reached"] == [nophone.name]
