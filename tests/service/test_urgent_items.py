"""The life of an urgent item, on a real SQLite file with a fake clock."""

from datetime import timedelta

import pytest

from hub.domain.identity import Actor, Role, SystemActor
from hub.domain.items import AckVia, DeliveryState, ItemDraft, ItemKind, Urgency
from hub.errors import XietongError
from hub.services.items import Attendee


async def actor(hub, login: str) -> Actor:
    user = await hub.identity.user_by_login(login)
    return await hub.identity.actor(user.id, "127.0.0.1")


async def unit_ids(hub, *codes: str) -> list[int]:
    by_code = {u.code: u.id for u in await hub.identity.units()}
    return [by_code[c] for c in codes]


async def issue_extra_urgent(hub, *codes: str, **kw):
    office_clerk = await actor(hub, "bgs.clerk1")
    draft = ItemDraft(kind=kw.pop("kind", ItemKind.DOCUMENT), urgency=kw.pop("urgency", Urgency.EXTRA_URGENT),
                      title=kw.pop("title", "关于做好寒潮防御工作的紧急通知"), body="各镇：请立即部署。",
                      main_units=tuple(await unit_ids(hub, *codes)), **kw)
    return await hub.items.issue(office_clerk, draft)


async def test_issuing_writes_one_delivery_per_unit_with_events_sms_and_the_first_step(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ", "NQZ")
    assert item.due_at == demo_hub.clock.now() + timedelta(minutes=30)
    async with demo_hub.store.read() as tx:
        deliveries = await tx.deliveries.for_item(item.id)
        assert [d.state for d in deliveries] == [DeliveryState.PENDING] * 3
        events = await tx.events.for_item(item.id)
        assert [e.type for e in events] == ["item.issued"] * 3
        sms = [m for d in deliveries for m in await tx.outbox.for_delivery(d.id)]
        assert len(sms) == 6                       # two clerks per township
        assert all("特急公文" in m.body and item.short_code in m.body for m in sms)
        assert await tx.timers.earliest() == demo_hub.clock.now() + timedelta(minutes=5)


async def test_a_clerk_reads_and_signs_for_and_the_sender_gets_a_receipt(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk = await actor(demo_hub, "dhz.clerk2")
    demo_hub.clock.advance(minutes=3)
    view = await demo_hub.items.view(clerk, item.id)
    assert view.mine is not None and view.mine.state is DeliveryState.READ and view.can_handle
    done = await demo_hub.items.acknowledge(clerk, view.mine.id)
    assert done.state is DeliveryState.ACKED and done.acked_by == clerk.user_id
    assert done.ack_via is AckVia.WEB and done.receipt_no.startswith("HZ2026")
    sender_view = await demo_hub.items.view(await actor(demo_hub, "bgs.clerk1"), item.id)
    assert sender_view.recipients[0].delivery.receipt_no == done.receipt_no
    assert [e.type for e in sender_view.events][-2:] == ["item.acked", "receipt"]
    again = await demo_hub.items.acknowledge(clerk, view.mine.id)    # a retry: the same receipt, not an error
    assert again.receipt_no == done.receipt_no
    with pytest.raises(XietongError) as e:
        await demo_hub.items.acknowledge(await actor(demo_hub, "dhz.clerk1"), view.mine.id)
    assert e.value.code == "delivery.already_acked"


async def test_a_signed_for_item_never_escalates(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk = await actor(demo_hub, "dhz.clerk1")
    view = await demo_hub.items.view(clerk, item.id)
    await demo_hub.items.acknowledge(clerk, view.mine.id)
    demo_hub.clock.advance(hours=5)
    assert await demo_hub.scheduler.run_due() == 0
    async with demo_hub.store.read() as tx:
        assert [e.type for e in await tx.events.for_item(item.id)] == ["item.issued", "item.read", "item.acked", "receipt"]


async def test_the_ladder_climbs_to_the_duty_desk_step_by_step(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ")
    clerk = await actor(demo_hub, "xsz.clerk1")
    await demo_hub.items.view(clerk, item.id)              # XSZ reads but does not sign for
    demo_hub.clock.advance(minutes=5)
    await demo_hub.scheduler.run_due()
    demo_hub.clock.advance(minutes=10)                      # 15 min: half of 30
    await demo_hub.scheduler.run_due()
    demo_hub.clock.advance(minutes=15)                      # 30 min: window ends
    await demo_hub.scheduler.run_due()
    async with demo_hub.store.read() as tx:
        dhz, xsz = await tx.deliveries.for_item(item.id)
        dhz_steps = [e.data["action"] for e in await tx.events.for_delivery(dhz.id) if e.type == "item.escalated"]
        xsz_steps = [e.data["action"] for e in await tx.events.for_delivery(xsz.id) if e.type == "item.escalated"]
        assert dhz_steps == ["remind", "backup", "duty_desk"]
        assert xsz_steps == ["backup", "duty_desk"]        # read in time: no "unread" reminder
        assert dhz.escalated_at == demo_hub.clock.now() and dhz.level == 3
        sms = [m.body for m in await tx.outbox.for_delivery(dhz.id)]
        assert any(b.startswith("【协同】提醒") for b in sms) and any("值班提醒" in b for b in sms)
        assert await tx.timers.earliest() is None
    (entry,) = await demo_hub.duty.board(await actor(demo_hub, "duty"))
    assert entry.item.id == item.id and entry.escalated
    assert {u.unit.code for u in entry.units} == {"DHZ", "XSZ"}
    assert all(u.escalated for u in entry.units)
    assert entry.units[0].overdue == timedelta(0) and entry.units[0].clerks and entry.units[0].leaders


async def test_the_duty_desk_signs_for_a_unit_with_a_reason(demo_hub):
    await issue_extra_urgent(demo_hub, "NQZ")
    demo_hub.clock.advance(minutes=31)
    await demo_hub.scheduler.run_due()
    duty = await actor(demo_hub, "duty")
    (row,) = (await demo_hub.duty.board(duty))[0].units
    with pytest.raises(XietongError):
        await demo_hub.duty.acknowledge_on_behalf(duty, row.delivery.id, "  ")
    done = await demo_hub.duty.acknowledge_on_behalf(duty, row.delivery.id, "电话联系南桥镇值班员，已口头确认")
    assert done.ack_via is AckVia.DUTY_DESK and "电话" in done.ack_note
    (entry,) = await demo_hub.duty.board(duty)            # still on today's board, signed for, no longer open
    assert not entry.is_open and not entry.escalated and entry.units[0].delivery.state.value == "acked"


async def test_a_unit_returns_an_item_with_a_reason(demo_hub):
    item = await issue_extra_urgent(demo_hub, "JYJ")
    clerk = await actor(demo_hub, "jyj.clerk1")
    view = await demo_hub.items.view(clerk, item.id)
    done = await demo_hub.items.return_item(clerk, view.mine.id, "非我单位职责，请转卫健局")
    assert done.state is DeliveryState.RETURNED
    sender = await demo_hub.items.view(await actor(demo_hub, "bgs.clerk1"), item.id)
    assert sender.recipients[0].delivery.return_reason == "非我单位职责，请转卫健局"


async def test_another_units_clerk_can_neither_see_nor_sign_for(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    outsider = await actor(demo_hub, "xsz.clerk1")
    with pytest.raises(XietongError) as e:
        await demo_hub.items.view(outsider, item.id)
    assert e.value.code == "item.not_found"
    async with demo_hub.store.read() as tx:
        delivery = (await tx.deliveries.for_item(item.id))[0]
    with pytest.raises(XietongError) as e:
        await demo_hub.items.acknowledge(outsider, delivery.id)
    assert e.value.code == "item.not_found"          # its existence is not even revealed


async def test_a_classified_mark_is_refused_and_nothing_is_stored(demo_hub):
    with pytest.raises(XietongError) as e:
        await issue_extra_urgent(demo_hub, "DHZ", title="机密★1年 关于某事项的通知")
    assert e.value.code == "item.classified" and "机密" in e.value.message("zh")
    async with demo_hub.store.read() as tx:
        assert await tx.items.count() == 0


async def test_meeting_attendance_grows_and_units_are_reminded_before_the_meeting(demo_hub):
    meeting_at = demo_hub.clock.now() + timedelta(hours=6)
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ", kind=ItemKind.MEETING_NOTICE, urgency=Urgency.ORDINARY,
                                    title="关于召开防汛工作会议的通知", meeting_at=meeting_at,
                                    meeting_place="区政府三楼会议室")
    assert item.due_at == demo_hub.clock.now() + timedelta(hours=4)
    clerk = await actor(demo_hub, "dhz.clerk1")
    view = await demo_hub.items.view(clerk, item.id)
    await demo_hub.items.acknowledge(clerk, view.mine.id,
                                     attendees=[Attendee("李镇长", "+8613900000001"), Attendee("王主任")])
    sender = await demo_hub.items.view(await actor(demo_hub, "bgs.clerk1"), item.id)
    assert [r.attendees for r in sender.recipients] == [[("李镇长", "+8613900000001"), ("王主任", "")], []]
    demo_hub.clock.set(meeting_at - timedelta(minutes=60))
    await demo_hub.scheduler.run_due()
    async with demo_hub.store.read() as tx:
        reminders = [e for e in await tx.events.for_delivery(view.mine.id) if e.type == "meeting.reminder"]
        assert len(reminders) == 1 and reminders[0].data["attendees"] == ["李镇长", "王主任"]
        bodies = [m.phone for m in await tx.outbox.for_delivery(view.mine.id) if "会议提醒" in m.body]
        assert "+8613900000001" in bodies and len(bodies) == 3   # two clerks and the named attendee


async def test_after_a_long_stop_every_overdue_step_runs_once_in_order(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    demo_hub.clock.advance(hours=3)                 # the hub was down for the whole window
    await demo_hub.scheduler.run_due()
    await demo_hub.scheduler.run_due()              # a second pass finds nothing more to do
    async with demo_hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
        steps = [e.data["action"] for e in await tx.events.for_delivery(d.id) if e.type == "item.escalated"]
    assert steps == ["remind", "backup", "duty_desk"] and d.escalated_at is not None


async def test_an_unknown_recipient_unit_is_refused_and_nothing_is_stored(demo_hub):
    office_clerk = await actor(demo_hub, "bgs.clerk1")
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.EXTRA_URGENT, title="关于某事项的通知", body="请办理。",
                      main_units=(*await unit_ids(demo_hub, "DHZ"), 99999))
    with pytest.raises(XietongError) as e:
        await demo_hub.items.issue(office_clerk, draft)
    assert e.value.code == "item.bad_recipient"
    async with demo_hub.store.read() as tx:
        assert await tx.items.count() == 0


async def test_main_and_copied_units_are_told_which_they_are_and_each_clerk_gets_an_sms(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ", copy_units=tuple(await unit_ids(demo_hub, "JYJ")))
    by_id = {u.id: u.code for u in await demo_hub.identity.units()}
    async with demo_hub.store.read() as tx:
        events = await tx.events.for_item(item.id)
        roles = {by_id[e.unit_id]: e.data["role"] for e in events}
        phones = {by_id[d.unit_id]: sorted(m.phone for m in await tx.outbox.for_delivery(d.id))
                  for d in await tx.deliveries.for_item(item.id)}
    assert roles == {"DHZ": "main", "XSZ": "main", "JYJ": "copy"}
    for unit_id, code in by_id.items():
        if code in phones:
            clerks = [u for u in await demo_hub.identity.users(SystemActor(), unit_id)
                      if Role.CLERK in u.roles and u.phone and not u.disabled]
            assert phones[code] == sorted(u.phone for u in clerks) and len(clerks) == 2


@pytest.mark.sqlite_only(reason="PostgreSQL never gives an id again")
async def test_a_timer_read_earlier_is_not_taken_for_the_new_one_that_got_its_id(demo_hub):
    """SQLite gives a deleted largest rowid to the next row: a step read before must not run as
    another delivery's step that now has its id."""
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ")
    later = demo_hub.clock.now() + timedelta(days=1)
    async with demo_hub.store.read() as tx:
        first, second = await tx.deliveries.for_item(item.id)
        read_before = [t for t in await tx.timers.due(later, 10) if t.delivery_id == second.id]
    assert len(read_before) == 1
    async with demo_hub.store.write() as tx:
        await tx.timers.cancel_steps(second.id)                     # the largest id goes...
        await tx.timers.add(later, "meeting_reminder", first.id, 0)  # ...to the next row
        reused = [t for t in await tx.timers.due(later, 10) if t.id == read_before[0].id]
        assert reused and reused[0].delivery_id == first.id
        assert await tx.timers.scheduled(read_before) == set()
        assert await tx.timers.scheduled(reused) == {reused[0].id}
