"""退文 after sign-for and the sender's correction and re-send: two rounds of one delivery."""

from datetime import timedelta

import pytest

from hub.domain.calendar import CST
from hub.domain.incoming import Registration, Source
from hub.domain.items import Attachment, DeliveryState, ItemDraft, ItemKind, Urgency
from hub.errors import XietongError
from hub.services.resend import NewFile, return_delivery_in
from tests.service.test_urgent_items import actor, issue_extra_urgent, unit_ids


async def signed_for(hub, code: str = "DHZ", login: str = "dhz.clerk1"):
    item = await issue_extra_urgent(hub, code)
    clerk = await actor(hub, login)
    mine = (await hub.items.view(clerk, item.id)).mine
    done = await hub.items.acknowledge(clerk, mine.id)
    return item, clerk, done


async def return_after_review(hub, clerk, delivery_id: int, reason: str = "缺少附件：实施方案") -> None:
    async with hub.store.write() as tx:
        await return_delivery_in(tx, hub.clock.now(), clerk, delivery_id, reason)
    hub.items.published()


async def test_a_signed_for_delivery_goes_back_with_the_reason_and_keeps_its_first_receipt(demo_hub):
    item, clerk, done = await signed_for(demo_hub)
    demo_hub.clock.advance(minutes=5)
    await return_after_review(demo_hub, clerk, done.id)
    async with demo_hub.store.read() as tx:
        d = await tx.deliveries.get(done.id)
        events = await tx.events.for_item(item.id)
        (row,) = await tx.audit.page(None, 5, "delivery.return_after_review")
    assert d.state is DeliveryState.RETURNED and d.return_reason == "缺少附件：实施方案"
    assert d.receipt_no == done.receipt_no and d.acked_at == done.acked_at      # the first sign-for stays
    last = events[-1]
    assert last.type == "item.returned" and last.data["after_review"] is True and last.data["round"] == 1
    assert last.data["receipt_no"] == done.receipt_no and last.data["by"] == clerk.name
    assert row.target == f"delivery:{done.id}"


async def test_only_a_signed_for_delivery_is_returned_at_review_and_a_reason_is_needed(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk = await actor(demo_hub, "dhz.clerk1")
    mine = (await demo_hub.items.view(clerk, item.id)).mine
    with pytest.raises(XietongError) as e:
        await return_after_review(demo_hub, clerk, mine.id)
    assert e.value.code == "resend.not_signed_for" and e.value.status == 409
    await demo_hub.items.acknowledge(clerk, mine.id)
    with pytest.raises(XietongError) as e:
        await return_after_review(demo_hub, clerk, mine.id, "  ")
    assert e.value.code == "delivery.reason_required"
    with pytest.raises(XietongError) as e:
        await return_after_review(demo_hub, await actor(demo_hub, "xsz.clerk1"), mine.id)
    assert e.value.code == "item.not_found"


async def resend(hub, delivery_id: int, note: str = "已补附件：实施方案", files=(), login: str = "bgs.clerk1"):
    return await hub.resend.resend(await actor(hub, login), delivery_id, note, list(files))


async def test_the_sender_corrects_and_resends_with_a_new_file_and_the_ladder_starts_again(demo_hub):
    item, clerk, done = await signed_for(demo_hub)
    demo_hub.clock.advance(minutes=40)                    # past the first round's whole ladder
    await return_after_review(demo_hub, clerk, done.id)
    demo_hub.clock.advance(minutes=5)
    plan = Attachment("实施方案.pdf", b"%PDF-1.4 plan", "application/pdf")
    again = await resend(demo_hub, done.id, files=[NewFile(plan)])
    now = demo_hub.clock.now()
    assert again.state is DeliveryState.PENDING and again.round == 2
    assert again.sent_at == now and again.due_at == now + timedelta(minutes=30)   # 特急: 30 minutes again
    assert again.receipt_no is None and again.acked_at is None and again.level == 0
    async with demo_hub.store.read() as tx:
        (first,) = await tx.rounds.of_item(item.id)
        events = await tx.events.for_delivery(done.id)
        sms = [m for m in await tx.outbox.for_delivery(done.id) if m.event_id == events[-1].id]
        timers = [t for t in await tx.timers.due(now + timedelta(hours=1), 50) if t.delivery_id == done.id]
    assert first.round == 1 and first.receipt_no == done.receipt_no and first.acked_at == done.acked_at
    assert first.return_reason == "缺少附件：实施方案" and first.resend_note == "已补附件：实施方案"
    assert events[-1].type == "item.reissued" and events[-1].data["round"] == 2
    assert events[-1].data["files"] == ["实施方案.pdf"] and events[-1].data["note"] == "已补附件：实施方案"
    assert len(sms) == 2 and all(m.body.startswith("【协同】已更正重发") for m in sms)   # both clerks of 东湖镇
    assert [t.step for t in timers] == [0] and timers[0].due_at > now                 # the first step again
    # the unit sees the added file, and the ladder climbs again for the second round
    view = await demo_hub.items.view(await actor(demo_hub, "dhz.clerk2"), item.id, record_read=False)
    assert [a.name for a in view.attachments] == ["实施方案.pdf"]
    demo_hub.clock.advance(minutes=31)
    await demo_hub.scheduler.run_due()
    await demo_hub.scheduler.run_due()
    await demo_hub.scheduler.run_due()
    async with demo_hub.store.read() as tx:
        d = await tx.deliveries.get(done.id)
        steps = [e.data["action"] for e in await tx.events.for_delivery(done.id)
                 if e.type == "item.escalated" and e.at > now]
    assert steps == ["remind", "backup", "duty_desk"] and d.level == 3
    async with demo_hub.store.read() as tx:
        reminders = [m.body for m in await tx.outbox.for_delivery(done.id) if m.body.startswith("【协同】提醒")]
    due = again.due_at.astimezone(CST).strftime("%m-%d %H:%M")
    assert reminders and all(due in b for b in reminders[-2:])        # the second round's time limit


async def test_signing_for_the_second_round_gives_its_own_receipt_and_the_timeline_shows_both(demo_hub):
    item, clerk, done = await signed_for(demo_hub)
    await return_after_review(demo_hub, clerk, done.id)
    await resend(demo_hub, done.id, note="更正了文号")
    second = await demo_hub.items.acknowledge(clerk, done.id)
    assert second.round == 2 and second.receipt_no == done.receipt_no + "-2"
    view = await demo_hub.items.view(await actor(demo_hub, "bgs.clerk1"), item.id)
    types = [e.type for e in view.events]
    assert types == ["item.issued", "item.read", "item.acked", "receipt", "item.returned", "item.reissued",
                     "item.acked", "receipt"]
    assert [r.receipt_no for r in view.rounds] == [done.receipt_no]


async def test_only_the_sender_resends_only_a_returned_delivery_of_an_item_not_withdrawn(demo_hub):
    item, clerk, done = await signed_for(demo_hub)
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id)
    assert e.value.code == "resend.not_returned" and e.value.status == 409 and "acked" in e.value.message("en")
    await return_after_review(demo_hub, clerk, done.id)
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id, login="xsz.clerk1")          # a stranger does not see it
    assert e.value.code == "item.not_found"
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id, login="dhz.clerk1")          # the recipient may not re-send
    assert e.value.code == "resend.not_sender"
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id, note="  ")
    assert e.value.code == "resend.note_required" and "修改说明" in e.value.message("zh")
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id, files=[NewFile(Attachment("机密-方案.pdf", b"x"))])
    assert e.value.code == "item.classified"
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id, files=[NewFile(Attachment("big.pdf", b"x" * (3 * 1024 * 1024 + 1)))])
    assert e.value.code == "item.attachments_too_large"
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id, files=[NewFile(Attachment("a.pdf", b"x"), replaces=999999)])
    assert e.value.code == "resend.bad_replaced"
    async with demo_hub.store.read() as tx:                       # nothing half-done
        assert (await tx.deliveries.get(done.id)).state is DeliveryState.RETURNED
        assert await tx.rounds.of_item(item.id) == []
    async with demo_hub.store.write() as tx:
        await demo_hub.items.withdraw_in(tx, await actor(demo_hub, "bgs.clerk1"), item, "发错了")
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, done.id)
    assert e.value.code == "resend.withdrawn"


async def test_a_replaced_file_is_not_what_the_unit_sees_nor_another_units_file(demo_hub):
    office = await actor(demo_hub, "bgs.clerk1")
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="关于报送统计数据的通知", body="请报送。",
                      main_units=tuple(await unit_ids(demo_hub, "DHZ", "XSZ")),
                      attachments=(Attachment("统计表.xlsx", b"old table"),))
    item = await demo_hub.items.issue(office, draft)
    clerk = await actor(demo_hub, "dhz.clerk1")
    mine = (await demo_hub.items.view(clerk, item.id)).mine
    await demo_hub.items.acknowledge(clerk, mine.id)
    await return_after_review(demo_hub, clerk, mine.id, "统计表格式不对")
    (old,) = (await demo_hub.items.view(office, item.id)).attachments
    await resend(demo_hub, mine.id, note="换成新版统计表",
                 files=[NewFile(Attachment("统计表（新版）.xlsx", b"new table"), replaces=old.id)])
    dhz = await demo_hub.items.view(clerk, item.id)
    assert [a.name for a in dhz.attachments] == ["统计表（新版）.xlsx"]
    xsz = await demo_hub.items.view(await actor(demo_hub, "xsz.clerk1"), item.id)
    assert [a.name for a in xsz.attachments] == ["统计表.xlsx"]                   # the others keep theirs
    new_id = dhz.attachments[0].id
    with pytest.raises(XietongError):
        await demo_hub.items.attachment(await actor(demo_hub, "xsz.clerk1"), new_id)
    _, content = await demo_hub.items.attachment(clerk, new_id)
    assert content == b"new table"
    sender = await demo_hub.items.view(office, item.id)
    assert [f.info.name for f in sender.round_files] == ["统计表（新版）.xlsx"]


async def test_the_incoming_record_returned_at_review_goes_back_to_registered_with_its_number(demo_hub):
    item, clerk, done = await signed_for(demo_hub)
    now = demo_hub.clock.now()
    async with demo_hub.store.write() as tx:     # registered, then returned at 初审 (the incoming road's moves)
        reg = Registration(from_unit="示范区政府办公室", title=item.title, urgency="extra_urgent",
                           received_on=now.date(), source=Source.NETWORK)
        record_id = await tx.incoming.add(done.unit_id, 2026, 1, reg, now + timedelta(days=3), "returned",
                                          clerk.user_id, now, done.id)
        await return_delivery_in(tx, now, clerk, done.id, "不属于本单位")
    await resend(demo_hub, done.id, note="改发西山镇之前先核对")
    demo_hub.clock.advance(minutes=3)
    await demo_hub.items.acknowledge(clerk, done.id)
    async with demo_hub.store.read() as tx:
        record = await tx.incoming.get(record_id)
        steps = await tx.roads.open_steps_of("incoming", record_id)
        history = await tx.roads.history("incoming", record_id)
    assert record.state == "registered" and record.number == "2026-0001"
    assert [s.kind for s in steps] == ["review"]
    assert history[-1].move == "resent" and history[-1].data["round"] == 2


async def test_a_delivery_returned_before_sign_for_is_resent_too_and_a_past_meeting_is_not(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk = await actor(demo_hub, "dhz.clerk1")
    mine = (await demo_hub.items.view(clerk, item.id)).mine
    await demo_hub.items.return_item(clerk, mine.id, "发错单位了吧？请核对")     # 退回 before signing for
    again = await resend(demo_hub, mine.id, note="已核对，确系发给东湖镇")
    assert again.state is DeliveryState.PENDING and again.round == 2
    signed = await demo_hub.items.acknowledge(clerk, mine.id)
    assert signed.receipt_no.endswith("-2")

    meeting = await issue_extra_urgent(demo_hub, "XSZ", kind=ItemKind.MEETING_NOTICE, urgency=Urgency.URGENT,
                                       meeting_at=demo_hub.clock.now() + timedelta(hours=1), meeting_place="三楼会议室")
    xsz = await actor(demo_hub, "xsz.clerk1")
    theirs = (await demo_hub.items.view(xsz, meeting.id)).mine
    await demo_hub.items.return_item(xsz, theirs.id, "会议时间冲突")
    demo_hub.clock.advance(hours=2)
    with pytest.raises(XietongError) as e:
        await resend(demo_hub, theirs.id)
    assert e.value.code == "resend.meeting_over"
