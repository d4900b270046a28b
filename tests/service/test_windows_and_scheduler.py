"""Response windows on real items, the ladder snapshot, and the background scheduler."""

import asyncio
from datetime import UTC, datetime, timedelta

from hub.app import Hub
from hub.domain.calendar import CST
from hub.domain.items import ItemDraft, ItemKind, Urgency
from tests.service.test_urgent_items import actor, issue_extra_urgent, unit_ids


async def test_an_ordinary_item_issued_on_the_friday_before_national_day_is_due_on_the_adjusted_sunday(demo_hub):
    demo_hub.clock.set(datetime(2025, 9, 26, 10, 0, tzinfo=CST))   # Friday; Sat off; Sun 28 Sep is 调休
    item = await issue_extra_urgent(demo_hub, "DHZ", urgency=Urgency.ORDINARY, title="关于国庆假期值班安排的通知")
    assert item.working_time
    assert item.due_at == datetime(2025, 9, 28, 10, 0, tzinfo=CST).astimezone(UTC)
    # the ladder's half-way step counts working time too: 12 working hours = Friday 22:00
    assert [s["due_at"] for s in item.ladder][1] == datetime(2025, 9, 26, 22, 0, tzinfo=CST).astimezone(UTC).isoformat()


async def test_an_ordinary_item_issued_on_the_eve_of_the_holiday_waits_out_all_eight_days(demo_hub):
    demo_hub.clock.set(datetime(2025, 9, 30, 16, 0, tzinfo=CST))
    item = await issue_extra_urgent(demo_hub, "DHZ", urgency=Urgency.ORDINARY)
    assert item.due_at == datetime(2025, 10, 9, 16, 0, tzinfo=CST).astimezone(UTC)
    demo_hub.clock.set(datetime(2025, 10, 5, 12, 0, tzinfo=CST))   # mid-holiday: half-way not reached
    await demo_hub.scheduler.run_due()
    async with demo_hub.store.read() as tx:
        actions = [e.data["action"] for e in await tx.events.for_item(item.id) if e.type == "item.escalated"]
    assert actions == ["remind"]       # 15 working minutes passed on the 30th; nothing more during the holiday


async def test_urgent_windows_count_wall_time_even_at_night_and_on_holidays(demo_hub):
    demo_hub.clock.set(datetime(2025, 10, 1, 23, 0, tzinfo=CST))   # National Day, 23:00
    urgent = await issue_extra_urgent(demo_hub, "DHZ", urgency=Urgency.URGENT)
    extra = await issue_extra_urgent(demo_hub, "DHZ")
    assert urgent.due_at == demo_hub.clock.now() + timedelta(hours=2)
    assert extra.due_at == demo_hub.clock.now() + timedelta(minutes=30)


async def test_a_meeting_notice_is_due_before_the_meeting_when_that_is_sooner(demo_hub):
    meeting_at = demo_hub.clock.now() + timedelta(hours=1)
    item = await issue_extra_urgent(demo_hub, "DHZ", kind=ItemKind.MEETING_NOTICE, urgency=Urgency.ORDINARY,
                                    meeting_at=meeting_at, meeting_place="二楼会议室")
    assert item.due_at == meeting_at


async def test_an_item_keeps_the_ladder_in_force_when_it_was_issued(demo_hub, config, clock):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    await demo_hub.close()
    edited = config.with_overrides(escalation={"extra_urgent": "duty_desk:unacked@1m"})
    hub = await Hub.start(edited, clock)           # the operator changed the policy and restarted
    try:
        clock.advance(minutes=2)
        await hub.scheduler.run_due()
        async with hub.store.read() as tx:
            acts = [e.data["action"] for e in await tx.events.for_item(item.id) if e.type == "item.escalated"]
        assert acts == []                          # the old ladder's first step is at 5 min
        clock.advance(minutes=28)
        await hub.scheduler.run_due()
        async with hub.store.read() as tx:
            acts = [e.data["action"] for e in await tx.events.for_item(item.id) if e.type == "item.escalated"]
        assert acts == ["remind", "backup", "duty_desk"]
        newer = await hub.items.issue(await actor(hub, "bgs.clerk1"), ItemDraft(
            kind=ItemKind.DOCUMENT, urgency=Urgency.EXTRA_URGENT, title="新政策下的通知", body="",
            main_units=tuple(await unit_ids(hub, "XSZ"))))
        assert [s["step"] for s in newer.ladder] == ["duty_desk:unacked@1m"]
    finally:
        await hub.close()


async def settled(hub) -> None:
    """Wait until the background scheduler has done all it can and sleeps again (bounded)."""
    await asyncio.wait_for(hub.scheduler.idle.wait(), timeout=10)


async def escalations(hub, item_id: int) -> list[str]:
    async with hub.store.read() as tx:
        return [e.data["action"] for e in await tx.events.for_item(item_id) if e.type == "item.escalated"]


async def test_the_background_scheduler_wakes_when_the_clock_reaches_a_step(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    demo_hub.run_background()
    await settled(demo_hub)
    assert await escalations(demo_hub, item.id) == []
    assert demo_hub.scheduler.sleeping_until == demo_hub.clock.now() + timedelta(minutes=5)
    demo_hub.scheduler.idle.clear()
    demo_hub.clock.advance(minutes=5)
    await settled(demo_hub)
    assert await escalations(demo_hub, item.id) == ["remind"]


async def test_the_sleeping_scheduler_is_woken_by_an_earlier_step(demo_hub):
    await issue_extra_urgent(demo_hub, "DHZ", urgency=Urgency.ORDINARY)     # first step 15 working min away
    demo_hub.run_background()
    await settled(demo_hub)
    far = demo_hub.scheduler.sleeping_until
    assert far is not None
    demo_hub.scheduler.idle.clear()
    item = await issue_extra_urgent(demo_hub, "XSZ")                         # first step in 5 min
    await settled(demo_hub)
    assert demo_hub.scheduler.sleeping_until == demo_hub.clock.now() + timedelta(minutes=5) < far
    demo_hub.scheduler.idle.clear()
    demo_hub.clock.advance(minutes=5)
    await settled(demo_hub)
    assert await escalations(demo_hub, item.id) == ["remind"]
