"""催办: the sender reminds every unit that has not signed for an item yet (push + SMS, counted)."""

from datetime import timedelta

import pytest

from hub.domain.stats import unit_figures
from hub.errors import XietongError
from tests.service.test_urgent_items import actor, issue_extra_urgent


async def test_the_sender_reminds_the_units_not_signed_for_yet_by_push_and_sms_counted_and_audited(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ", "NQZ")
    dhz_clerk = await actor(demo_hub, "dhz.clerk1")
    mine = (await demo_hub.items.view(dhz_clerk, item.id)).mine
    await demo_hub.items.acknowledge(dhz_clerk, mine.id)             # 东湖镇 signed for it
    demo_hub.clock.advance(minutes=2)

    reminded = await demo_hub.chase.remind_unsigned(await actor(demo_hub, "bgs.clerk1"), item.id)

    async with demo_hub.store.read() as tx:
        units = {u.id: u.code for u in await tx.units.all()}
        assert sorted(units[d.unit_id] for d in reminded) == ["NQZ", "XSZ"]
        assert all(d.chases == 1 for d in reminded)
        for d in reminded:
            events = await tx.events.for_delivery(d.id)
            assert events[-1].type == "item.chased" and events[-1].unit_id == d.unit_id   # pushed to the unit
            sms = [m for m in await tx.outbox.for_delivery(d.id) if m.event_id == events[-1].id]
            assert len(sms) == 2 and all(m.body.startswith("【协同】催办：") and item.short_code in m.body
                                         for m in sms)    # both clerks of the township
        signed = next(d for d in await tx.deliveries.for_item(item.id) if units[d.unit_id] == "DHZ")
        assert signed.chases == 0
        (row,) = await tx.audit.page(None, 5, "item.chase")
        assert row.target == f"item:{item.id}"


async def test_a_second_tap_at_once_sends_nothing_and_says_when_to_try_again(demo_hub):
    item = await issue_extra_urgent(demo_hub, "XSZ")
    sender = await actor(demo_hub, "bgs.clerk1")
    await demo_hub.chase.remind_unsigned(sender, item.id)
    demo_hub.clock.advance(minutes=1)
    with pytest.raises(XietongError) as e:
        await demo_hub.chase.remind_unsigned(sender, item.id)
    assert e.value.code == "chase.too_soon" and "4 分钟" in e.value.message("zh")
    demo_hub.clock.advance(minutes=4)
    (again,) = await demo_hub.chase.remind_unsigned(sender, item.id)
    assert again.chases == 2


async def test_only_the_sending_unit_chases_and_not_when_everyone_answered(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk = await actor(demo_hub, "dhz.clerk1")
    with pytest.raises(XietongError) as e:
        await demo_hub.chase.remind_unsigned(clerk, item.id)          # a recipient, not the sender
    assert e.value.code == "chase.not_sender"
    with pytest.raises(XietongError) as e:
        await demo_hub.chase.remind_unsigned(await actor(demo_hub, "xsz.clerk1"), item.id)
    assert e.value.code == "item.not_found"                          # a stranger does not see it
    mine = (await demo_hub.items.view(clerk, item.id)).mine
    await demo_hub.items.acknowledge(clerk, mine.id)
    with pytest.raises(XietongError) as e:
        await demo_hub.chase.remind_unsigned(await actor(demo_hub, "bgs.clerk1"), item.id)
    assert e.value.code == "chase.none_open"


async def test_the_statistics_count_each_units_manual_chases(demo_hub):
    item = await issue_extra_urgent(demo_hub, "XSZ", "NQZ")
    sender = await actor(demo_hub, "bgs.clerk1")
    await demo_hub.chase.remind_unsigned(sender, item.id)
    demo_hub.clock.advance(minutes=6)
    await demo_hub.chase.remind_unsigned(sender, item.id)
    now = demo_hub.clock.now()
    figures = await demo_hub.stats.units(await actor(demo_hub, "admin"), now - timedelta(days=1), now)
    units = {u.id: u.code for u in await demo_hub.identity.units()}
    assert {units[f.unit_id]: f.chased for f in figures if f.received} == {"XSZ": 2, "NQZ": 2}
    assert unit_figures([], now) == []
