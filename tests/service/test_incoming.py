"""The incoming road (收文) through the real services: a township signs for a district document,
registers it, and the record goes 初审 → 拟办 → 批示 (a real one-time code) → 分办 → 协办 → 办理结果
→ 答复 → 办结; every refusal stores nothing."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.domain.incoming import Registration, Source
from hub.domain.items import Attachment, DeliveryState, ItemDraft, ItemKind, Urgency
from hub.errors import XietongError
from hub.services.incoming import working_days_after
from tests.service.test_documents import enrolled_leader
from tests.service.test_urgent_items import actor, unit_ids


async def signed_for(hub, code: str = "DHZ", urgency: Urgency = Urgency.URGENT, title: str = "关于做好冬季防火工作的通知",
                     clerk: str = "dhz.clerk1"):
    """BGS issues a document to a township, whose clerk signs for it: (clerk, delivery)."""
    office = await actor(hub, "bgs.clerk1")
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=urgency, title=title, body="各镇：请落实。",
                      main_units=tuple(await unit_ids(hub, code)), doc_number="示政办发〔2026〕7号",
                      doc_kind="通知", issuing_office="示范区人民政府办公室")
    item = await hub.items.issue(office, draft)
    who = await actor(hub, clerk)
    async with hub.store.read() as tx:
        delivery = await tx.deliveries.of_item_for_unit(item.id, who.unit_id)
    done = await hub.items.acknowledge(who, delivery.id)
    return who, done


async def sub_units(hub):
    """东湖镇's 党政办 and 经发办 (the demo's, with clerks dhzdzb.clerk and dhzjfb.clerk): their unit ids."""
    return await unit_ids(hub, "DHZDZB", "DHZJFB")


async def counts(hub) -> tuple[int, int, int]:
    async with hub.store.read() as tx:
        out = []
        for table in ("incoming", "road_history", "road_steps"):
            async with tx.conn.execute(f"SELECT count(*) FROM {table}") as cur:
                out.append((await cur.fetchone())[0])
    return tuple(out)


def later(hub, days: int = 5) -> datetime:
    return hub.clock.now() + timedelta(days=days)


async def registered(hub, **kw):
    clerk, delivery = await signed_for(hub, **kw)
    return clerk, await hub.incoming.register_delivery(clerk, delivery.id)


async def test_registering_a_signed_for_document_takes_its_fields_and_numbers_it(demo_hub):
    hub = demo_hub
    clerk, record = await registered(hub)
    assert record.number == "2026-0001" and record.source == "network"
    assert record.from_unit == "示范区人民政府办公室" and record.from_number == "示政办发〔2026〕7号"
    assert record.doc_kind == "通知" and record.urgency == "urgent" and record.state == "registered"
    assert record.received_on == date(2026, 11, 24)
    # 加急: 3 working days from Tuesday 24 Nov: the end of Friday 27 Nov, Beijing time
    assert record.deadline == datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)
    view = await hub.incoming.view(clerk, record.id)
    assert [(s.kind, s.role) for s in view.open_steps] == [("review", "clerk")]
    assert [m.name for m in view.moves] == ["review", "return"]
    assert [h.move for h in view.history] == ["register"] and view.history[0].actor_name == clerk.name
    again = await signed_for(hub, title="第二份通知")
    second = await hub.incoming.register_delivery(again[0], again[1].id)
    assert second.number == "2026-0002"


async def test_working_days_skip_weekends_and_holidays(demo_hub):
    cal = demo_hub.calendar
    friday = date(2026, 11, 27)
    assert working_days_after(cal, friday, 1) == datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)   # Monday
    # 国庆: 1 Oct 2026 is a holiday week; received 30 Sep, one working day is after it
    assert working_days_after(cal, date(2026, 9, 30), 1).date() > date(2026, 10, 7)


async def test_a_delivery_is_registered_once_and_only_after_sign_for(demo_hub):
    hub = demo_hub
    clerk, record = await registered(hub)
    with pytest.raises(XietongError) as e:
        await hub.incoming.register_delivery(clerk, record.delivery_id)
    assert e.value.code == "incoming.already_registered" and "2026-0001" in e.value.message("zh")
    office = await actor(hub, "bgs.clerk1")
    item = await hub.items.issue(office, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY, title="未签收",
                                                   body="b", main_units=tuple(await unit_ids(hub, "DHZ"))))
    async with hub.store.read() as tx:
        pending = await tx.deliveries.of_item_for_unit(item.id, clerk.unit_id)
    before = await counts(hub)
    with pytest.raises(XietongError) as e:
        await hub.incoming.register_delivery(clerk, pending.id)
    assert e.value.code == "incoming.not_signed_for" and await counts(hub) == before
    with pytest.raises(XietongError) as e:       # another township's clerk: not theirs
        await hub.incoming.register_delivery(await actor(hub, "xsz.clerk1"), pending.id)
    assert e.value.code == "item.not_found"


async def test_fifty_concurrent_registrations_get_numbers_one_to_fifty(demo_hub):
    hub = demo_hub
    clerk = await actor(hub, "dhz.clerk1")
    reg = Registration(from_unit="市政府办公室", title="纸质来文", urgency="ordinary", received_on=date(2026, 11, 24))
    records = await asyncio.gather(*(hub.incoming.register_by_hand(clerk, reg) for _ in range(50)))
    assert sorted(r.seq for r in records) == list(range(1, 51))


async def test_registering_by_hand_with_scans_and_its_refusals(demo_hub):
    hub = demo_hub
    clerk = await actor(hub, "dhz.clerk1")
    reg = Registration(from_unit="市政府办公室", title="关于开展安全检查的通知", urgency="extra_urgent",
                       received_on=date(2026, 11, 24), from_number="市政办〔2026〕3号", copies=2, pages=4,
                       source=Source.FORWARDED)
    record = await hub.incoming.register_by_hand(clerk, reg, [Attachment("扫描件.pdf", b"%PDF-1", "application/pdf")])
    view = await hub.incoming.view(clerk, record.id)
    assert record.source == "forwarded" and record.copies == 2 and record.pages == 4
    assert [a.name for a in view.attachments] == ["扫描件.pdf"]
    assert (await hub.incoming.attachment(clerk, view.attachments[0].id))[1] == b"%PDF-1"
    before = await counts(hub)
    bad = [
        (Registration(from_unit="", title="t", urgency="ordinary", received_on=date(2026, 11, 24)), [],
         "incoming.from_unit_required"),
        (Registration(from_unit="市", title="t", urgency="soon", received_on=date(2026, 11, 24)), [],
         "incoming.bad_urgency"),
        (Registration(from_unit="市", title="t", urgency="ordinary", received_on=date(2026, 11, 24),
                      deadline=hub.clock.now() - timedelta(hours=1)), [], "incoming.deadline_past"),
        (Registration(from_unit="市", title="t", urgency="ordinary", received_on=date(2026, 11, 30)), [],
         "incoming.received_in_future"),
        (Registration(from_unit="市", title="机密文件", urgency="ordinary", received_on=date(2026, 11, 24)), [],
         "item.classified"),
        (Registration(from_unit="市", title="t", urgency="ordinary", received_on=date(2026, 11, 24)),
         [Attachment("big.pdf", b"x" * (3 * 1024 * 1024 + 1))], "item.attachments_too_large"),
    ]
    for r, scans, code in bad:
        with pytest.raises(XietongError) as e:
            await hub.incoming.register_by_hand(clerk, r, scans)
        assert e.value.code == code
    with pytest.raises(XietongError) as e:
        await hub.incoming.register_by_hand(await actor(hub, "dhz.leader"), reg)
    assert e.value.code == "perm.denied"
    assert await counts(hub) == before


async def test_auto_register_at_sign_for(demo_hub):
    hub = demo_hub
    clerk = await actor(hub, "dhz.clerk1")
    with pytest.raises(XietongError):
        await hub.incoming.set_auto_register(await actor(hub, "dhz.leader"), True)
    await hub.incoming.set_auto_register(clerk, True)
    assert await hub.incoming.auto_register(clerk)
    _, delivery = await signed_for(hub)
    record = await hub.incoming.of_delivery(clerk, delivery.id)
    assert record is not None and record.number == "2026-0001" and record.registered_by == clerk.user_id
    other, d2 = await signed_for(hub, code="XSZ", clerk="xsz.clerk1")      # XSZ did not turn it on
    assert await hub.incoming.of_delivery(other, d2.id) is None


async def test_a_clerk_of_another_unit_does_not_see_the_record(demo_hub):
    hub = demo_hub
    _, record = await registered(hub)
    for login in ("xsz.clerk1", "bgs.clerk1", "bgs.leader"):
        with pytest.raises(XietongError) as e:
            await hub.incoming.view(await actor(hub, login), record.id)
        assert e.value.code == "incoming.not_found" and e.value.status == 404
        with pytest.raises(XietongError) as e:
            await hub.incoming.review(await actor(hub, login), record.id)
        assert e.value.code == "incoming.not_found"
    assert (await hub.incoming.view(await actor(hub, "dhz.leader"), record.id)).moves == []


async def to_instructed(hub, handling: str = "act"):
    """Registered, reviewed, proposed and instructed with a real code: (clerk, leader, totp, record)."""
    clerk, record = await registered(hub)
    await hub.incoming.review(clerk, record.id)
    await hub.incoming.propose(await actor(hub, "dhz.clerk2"), record.id, handling, "拟请党政办牵头办理")
    leader, totp = await enrolled_leader(hub, "dhz.leader")
    record = await hub.incoming.instruct(leader, record.id, "同意，请抓紧落实", totp.at(hub.clock.now()))
    return clerk, leader, totp, record


async def test_the_whole_road_for_action_to_reply_and_close(demo_hub):
    hub = demo_hub
    lead, assisting = await sub_units(hub)
    clerk, leader, _, record = await to_instructed(hub)
    assert record.state == "instructed" and record.handling == "act"
    view = await hub.incoming.view(clerk, record.id)
    assert [m.name for m in view.moves] == ["assign"]
    assert [u for u, _ in view.assignable] == [lead, assisting]
    record = await hub.incoming.assign(clerk, record.id, [(lead, later(hub, 5))], [(assisting, later(hub, 3))])
    assert record.state == "handling" and record.lead_unit_id == lead
    lead_clerk, assist_clerk = await actor(hub, "dhzdzb.clerk"), await actor(hub, "dhzjfb.clerk")
    assert [m.name for m in (await hub.incoming.view(assist_clerk, record.id)).moves] == ["assist"]
    for handler in (lead_clerk, assist_clerk):          # both find it in their own 收文 list
        assert [r.id for r in await hub.incoming.of_unit(handler)] == [record.id]
    with pytest.raises(XietongError) as e:              # the lead may not write the assisting unit's opinion
        await hub.incoming.assist(lead_clerk, record.id, "意见")
    assert e.value.code == "road.not_your_step"
    await hub.incoming.assist(assist_clerk, record.id, "经发办意见：同意，已配合摸排")
    lead_view = await hub.incoming.view(lead_clerk, record.id)
    assert [o.note for o in lead_view.opinions] == ["经发办意见：同意，已配合摸排"]
    assert [m.name for m in lead_view.moves] == ["result"]
    record = await hub.incoming.result(lead_clerk, record.id, "已全面完成排查整改")
    assert record.state == "handled" and record.result == "已全面完成排查整改"
    with pytest.raises(XietongError) as e:               # a second result: the step is done
        await hub.incoming.result(lead_clerk, record.id, "again")
    assert e.value.code == "road.bad_move"
    record = await hub.incoming.close(clerk, record.id, "办结归档")
    assert record.state == "closed" and record.closed_at == hub.clock.now()
    history = (await hub.incoming.view(clerk, record.id)).history
    assert [h.move for h in history] == ["register", "review", "propose", "instruct", "assign", "assist",
                                         "result", "close"]
    assert history[3].actor_name == leader.name and history[6].actor_name == lead_clerk.name
    assert (await hub.incoming.view(clerk, record.id)).open_steps == []


async def test_reply_goes_back_to_the_sender_as_a_linked_item_with_a_receipt(demo_hub):
    hub = demo_hub
    lead, _ = await sub_units(hub)
    clerk, delivery = await signed_for(hub)
    record = await hub.incoming.register_delivery(clerk, delivery.id, reply_wanted=True)
    await hub.incoming.review(clerk, record.id)
    await hub.incoming.propose(clerk, record.id, "act", "拟办")
    leader, totp = await enrolled_leader(hub, "dhz.leader")
    await hub.incoming.instruct(leader, record.id, "同意", totp.at(hub.clock.now()))
    await hub.incoming.assign(clerk, record.id, [(lead, later(hub))])
    await hub.incoming.result(await actor(hub, "dhzdzb.clerk"), record.id, "已办结，情况如下")
    with pytest.raises(XietongError) as e:
        await hub.incoming.close(clerk, record.id)
    assert e.value.code == "incoming.reply_first"
    record = await hub.incoming.reply(clerk, record.id)
    assert record.reply_item_id is not None
    with pytest.raises(XietongError) as e:
        await hub.incoming.reply(clerk, record.id)
    assert e.value.code == "incoming.already_replied"
    office = await actor(hub, "bgs.clerk1")
    view = await hub.items.view(office, record.reply_item_id)
    assert view.sender.code == "DHZ" and "已办结，情况如下" in view.item.body and "答复" in view.item.title
    done = await hub.items.acknowledge(office, view.mine.id)     # the sender's sign-for: the receipt
    assert done.state is DeliveryState.ACKED and done.receipt_no
    assert (await hub.incoming.close(clerk, record.id)).state == "closed"


async def test_for_information_is_closed_after_the_instruction(demo_hub):
    hub = demo_hub
    clerk, _, _, record = await to_instructed(hub, "read")
    view = await hub.incoming.view(clerk, record.id)
    assert [m.name for m in view.moves] == ["close"]
    assert [s.kind for s in view.open_steps] == ["close"]
    assert (await hub.incoming.close(clerk, record.id)).state == "closed"


async def test_for_action_is_not_closed_before_its_result(demo_hub):
    hub = demo_hub
    clerk, _, _, record = await to_instructed(hub, "act")
    before = await counts(hub)
    with pytest.raises(XietongError) as e:
        await hub.incoming.close(clerk, record.id)
    assert e.value.code == "incoming.close_needs_result" and await counts(hub) == before


async def test_the_instruction_needs_a_leader_a_note_and_a_good_code_and_a_retry_is_answered(demo_hub):
    hub = demo_hub
    clerk, record = await registered(hub)
    await hub.incoming.review(clerk, record.id)
    await hub.incoming.propose(clerk, record.id, "act", "拟办")
    leader, totp = await enrolled_leader(hub, "dhz.leader")
    before = await counts(hub)
    for who, note, code, err in ((clerk, "同意", "000000", "road.not_your_step"),
                                 (leader, "", "000000", "incoming.note_required"),
                                 (leader, "同意", "000000", "otp.wrong")):
        with pytest.raises(XietongError) as e:
            await hub.incoming.instruct(who, record.id, note, code)
        assert e.value.code == err
    assert await counts(hub) == before
    code = totp.at(hub.clock.now())
    done = await hub.incoming.instruct(leader, record.id, "同意，请抓紧", code)
    again = await hub.incoming.instruct(leader, record.id, "同意，请抓紧", code)   # the answer was lost: a retry
    assert again.state == done.state == "instructed"
    with pytest.raises(XietongError) as e:         # the used code for another instruction is refused
        await hub.incoming.instruct(leader, record.id, "另一条批示", code)
    assert e.value.code == "road.bad_move"
    history = (await hub.incoming.view(clerk, record.id)).history
    assert [h.move for h in history].count("instruct") == 1


async def test_bad_assignments_are_refused_and_store_nothing(demo_hub):
    hub = demo_hub
    lead, assisting = await sub_units(hub)
    (xsz,) = await unit_ids(hub, "XSZ")
    clerk, _, _, record = await to_instructed(hub)
    before = await counts(hub)
    cases = [([], [], "incoming.lead_required"),
             ([(lead, later(hub)), (assisting, later(hub))], [], "incoming.second_lead"),
             ([(xsz, later(hub))], [], "incoming.unknown_unit"),
             ([(99999, later(hub))], [], "incoming.unknown_unit"),
             ([(lead, later(hub))], [(lead, later(hub))], "incoming.unit_twice"),
             ([(lead, later(hub))], [(assisting, hub.clock.now() - timedelta(hours=1))], "incoming.deadline_past")]
    for leads, assist, code in cases:
        with pytest.raises(XietongError) as e:
            await hub.incoming.assign(clerk, record.id, leads, assist)
        assert e.value.code == code
    with pytest.raises(XietongError) as e:
        await hub.incoming.assign(await actor(hub, "dhz.leader"), record.id, [(lead, later(hub))])
    assert e.value.code == "road.not_your_step"
    assert await counts(hub) == before


async def test_a_leader_reassigns_and_the_old_steps_end(demo_hub):
    hub = demo_hub
    lead, assisting = await sub_units(hub)
    clerk, leader, _, record = await to_instructed(hub)
    await hub.incoming.assign(clerk, record.id, [(lead, later(hub))], [(assisting, later(hub))])
    with pytest.raises(XietongError) as e:
        await hub.incoming.reassign(clerk, record.id, [(assisting, later(hub))], note="改办")
    assert e.value.code == "road.not_your_step"
    with pytest.raises(XietongError) as e:
        await hub.incoming.reassign(leader, record.id, [(assisting, later(hub))])
    assert e.value.code == "incoming.note_required"
    record = await hub.incoming.reassign(leader, record.id, [(assisting, later(hub))], note="改由经发办主办")
    assert record.lead_unit_id == assisting
    view = await hub.incoming.view(clerk, record.id)
    assert [(s.kind, s.unit_id) for s in view.open_steps] == [("handle", assisting)]
    with pytest.raises(XietongError) as e:
        await hub.incoming.result(await actor(hub, "dhzdzb.clerk"), record.id, "结果")
    assert e.value.code == "road.not_your_step"
    # the former lead held a step: it still sees the record, with no forms
    assert (await hub.incoming.view(await actor(hub, "dhzdzb.clerk"), record.id)).moves == []


async def test_return_of_a_paper_document_and_the_refusals_of_early_moves(demo_hub):
    hub = demo_hub
    clerk = await actor(hub, "dhz.clerk1")
    record = await hub.incoming.register_by_hand(clerk, Registration(
        from_unit="市政府办公室", title="缺附件的来文", urgency="ordinary", received_on=date(2026, 11, 24)))
    before = await counts(hub)
    with pytest.raises(XietongError) as e:
        await hub.incoming.return_(clerk, record.id, "  ")
    assert e.value.code == "incoming.reason_required"
    with pytest.raises(XietongError) as e:
        await hub.incoming.propose(clerk, record.id, "act", "拟办")
    assert e.value.code == "road.bad_move"
    await hub.incoming.review(clerk, record.id)
    with pytest.raises(XietongError) as e:
        await hub.incoming.propose(clerk, record.id, "maybe", "拟办")
    assert e.value.code == "incoming.bad_handling"
    with pytest.raises(XietongError) as e:
        await hub.incoming.propose(clerk, record.id, "act", "")
    assert e.value.code == "incoming.note_required"
    record = await hub.incoming.return_(clerk, record.id, "缺少附件")
    assert record.state == "returned"
    view = await hub.incoming.view(clerk, record.id)
    assert view.open_steps == [] and view.history[-1].note == "缺少附件" and view.moves == []
    assert (await counts(hub))[0] == before[0]


async def test_closing_is_the_clerks_done_step_and_handling_deadlines_ride_the_schedule(demo_hub):
    hub = demo_hub
    lead, assisting = await sub_units(hub)
    clerk, _, _, record = await to_instructed(hub)
    due = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
    await hub.incoming.assign(clerk, record.id, [(lead, due)], [(assisting, due)])
    async with hub.store.read() as tx:
        steps = [s for s in await tx.roads.open_steps_of("incoming", record.id)]
        async with tx.conn.execute("SELECT kind, due_at FROM timers WHERE road_step_id IN (?, ?) ORDER BY due_at, kind",
                                   [s.id for s in steps]) as cur:
            timers = await cur.fetchall()
    assert [s.kind for s in steps] == ["handle", "assist"]
    # remind@-1d, leader@0, office@1d for each of the two steps
    assert [k for k, _ in timers] == ["road_remind"] * 2 + ["road_leader"] * 2 + ["road_office"] * 2
    await hub.incoming.result(await actor(hub, "dhzdzb.clerk"), record.id, "办完")
    await hub.incoming.close(clerk, record.id)
    async with hub.store.read() as tx:
        done = await tx.roads.done_by(clerk.user_id)
    assert "close" in [s.kind for s in done]


async def test_returning_a_network_document_sends_the_delivery_back_to_its_sender(demo_hub):
    hub = demo_hub
    clerk, record = await registered(hub)
    record = await hub.incoming.return_(clerk, record.id, "主送单位有误")
    assert record.state == "returned"
    async with hub.store.read() as tx:
        delivery = await tx.deliveries.get(record.delivery_id)
    assert delivery.state is DeliveryState.RETURNED and delivery.return_reason == "主送单位有误"
    sender = await hub.items.view(await actor(hub, "bgs.clerk1"), delivery.item_id)
    returned = [e for e in sender.events if e.type == "item.returned"]
    assert returned and returned[-1].data.get("after_review") is True


async def test_the_lead_unit_reads_the_document_and_its_files_through_the_record(demo_hub):
    hub = demo_hub
    lead, _ = await sub_units(hub)
    office = await actor(hub, "bgs.clerk1")
    item = await hub.items.issue(office, ItemDraft(
        kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="关于排查隐患的通知", body="请于周五前报送排查情况。",
        main_units=tuple(await unit_ids(hub, "DHZ")), attachments=(Attachment("排查表.xlsx", b"table"),)))
    clerk = await actor(hub, "dhz.clerk1")
    async with hub.store.read() as tx:
        delivery = await tx.deliveries.of_item_for_unit(item.id, clerk.unit_id)
    await hub.items.acknowledge(clerk, delivery.id)
    record = await hub.incoming.register_delivery(clerk, delivery.id)
    await hub.incoming.review(clerk, record.id)
    await hub.incoming.propose(clerk, record.id, "act", "拟办")
    leader, totp = await enrolled_leader(hub, "dhz.leader")
    await hub.incoming.instruct(leader, record.id, "同意", totp.at(hub.clock.now()))
    await hub.incoming.assign(clerk, record.id, [(lead, later(hub))])
    lead_clerk = await actor(hub, "dhzdzb.clerk")
    view = await hub.incoming.view(lead_clerk, record.id)
    assert view.item.body == "请于周五前报送排查情况。" and [f.name for f in view.item_files] == ["排查表.xlsx"]
    assert (await hub.incoming.item_file(lead_clerk, record.id, view.item_files[0].id))[1] == b"table"
    with pytest.raises(XietongError) as e:              # the item itself stays its recipients'
        await hub.items.view(lead_clerk, item.id)
    assert e.value.code == "item.not_found"
    with pytest.raises(XietongError) as e:
        await hub.incoming.item_file(await actor(hub, "xsz.clerk1"), record.id, view.item_files[0].id)
    assert e.value.code == "incoming.not_found"
