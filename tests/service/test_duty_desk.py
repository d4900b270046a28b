"""The duty desk's board of the whole day, its log and its shift handover, on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.domain.items import DeliveryState, Urgency
from hub.errors import XietongError
from hub.services import audit
from hub.store import IntegrityError
from tests.service.test_urgent_items import actor, issue_extra_urgent


async def test_a_fresh_extra_urgent_notice_is_on_the_board_before_anything_escalates(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ", "XSZ", "NQZ")
    duty = await actor(demo_hub, "duty")
    (entry,) = await demo_hub.duty.board(duty)
    assert entry.item.id == item.id and entry.is_open and not entry.escalated
    assert [u.delivery.state for u in entry.units] == [DeliveryState.PENDING] * 3
    assert all(u.left == timedelta(minutes=30) for u in entry.units)
    nqz = next(u for u in entry.units if u.unit.code == "NQZ")
    assert nqz.unit.duty_phone and len(nqz.clerks) == 2 and nqz.leaders and nqz.clerks[0].phone

    # 东湖镇 opens it, 西山镇 signs for it: the board says who and when
    dhz, xsz = await actor(demo_hub, "dhz.clerk1"), await actor(demo_hub, "xsz.clerk2")
    demo_hub.clock.advance(minutes=2)
    await demo_hub.items.view(dhz, item.id)
    view = await demo_hub.items.view(xsz, item.id)
    await demo_hub.items.acknowledge(xsz, view.mine.id)
    (entry,) = await demo_hub.duty.board(duty)
    rows = {u.unit.code: u for u in entry.units}
    assert [u.unit.code for u in entry.units] == ["NQZ", "DHZ", "XSZ"]     # unread, read, signed for
    assert rows["DHZ"].delivery.state is DeliveryState.READ and rows["DHZ"].reader.login == "dhz.clerk1"
    assert rows["XSZ"].signer.login == "xsz.clerk2" and rows["XSZ"].delivery.acked_at == demo_hub.clock.now()
    assert rows["NQZ"].left == timedelta(minutes=28)
    assert entry.counts == {"pending": 1, "read": 1, "acked": 1, "escalated": 0, "closed": 0}


async def test_escalated_items_come_first_then_the_others_by_time_left_then_ordinary_ones_past_a_step(demo_hub):
    duty = await actor(demo_hub, "duty")
    urgent = await issue_extra_urgent(demo_hub, "DHZ", urgency=Urgency.URGENT, title="加急通知")   # 2 h window
    demo_hub.clock.advance(minutes=1)
    extra = await issue_extra_urgent(demo_hub, "XSZ", title="特急通知")                              # 30 min
    ordinary = await issue_extra_urgent(demo_hub, "NQZ", urgency=Urgency.ORDINARY, title="普通通知")
    assert [b.item.id for b in await demo_hub.duty.board(duty)] == [extra.id, urgent.id]   # ordinary: not yet
    demo_hub.clock.advance(minutes=31)
    await demo_hub.scheduler.run_due()
    board = await demo_hub.duty.board(duty)
    # 特急 escalated first; 加急 by its time left; the ordinary one is there once a ladder step ran on it
    assert [b.item.id for b in board] == [extra.id, urgent.id, ordinary.id]
    assert board[0].escalated and board[0].units[0].overdue == timedelta(minutes=1)
    assert not board[1].escalated and board[1].units[0].left == timedelta(minutes=120 - 32)
    assert board[2].units[0].delivery.level > 0


async def test_a_finished_item_stays_on_todays_board_and_leaves_it_the_next_day(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk, duty = await actor(demo_hub, "dhz.clerk1"), await actor(demo_hub, "duty")
    view = await demo_hub.items.view(clerk, item.id)
    await demo_hub.items.acknowledge(clerk, view.mine.id)
    (entry,) = await demo_hub.duty.board(duty)
    assert not entry.is_open and entry.units[0].signer.login == "dhz.clerk1"
    demo_hub.clock.advance(hours=16)                    # 09:00 → 01:00 the next day, Beijing time
    assert await demo_hub.duty.board(duty) == []
    open_one = await issue_extra_urgent(demo_hub, "XSZ", urgency=Urgency.URGENT)
    demo_hub.clock.advance(hours=24)                    # still open a day later: still on the board
    assert [b.item.id for b in await demo_hub.duty.board(duty)] == [open_one.id]


async def test_a_call_is_logged_with_its_unit_and_item_and_the_clocks_time_and_kept(demo_hub):
    item = await issue_extra_urgent(demo_hub, "NQZ")
    duty = await actor(demo_hub, "duty")
    await demo_hub.duty_log.take_shift(duty)
    (row,) = (await demo_hub.duty.board(duty))[0].units
    demo_hub.clock.advance(minutes=7)
    entry = await demo_hub.duty_log.add_entry(duty, "call", " 电话联系南桥镇值班员，称马上签收 ", row.delivery.id)
    assert (entry.item_id, entry.unit_id, entry.at) == (item.id, row.unit.id, demo_hub.clock.now())
    assert entry.text == "电话联系南桥镇值班员，称马上签收"
    fix = await demo_hub.duty_log.add_entry(duty, "note", "更正：是孙平接的电话", corrects_id=entry.id)
    log = await demo_hub.duty_log.log(duty)
    assert [(v.entry.id, v.entry.corrects_id) for v in log.entries] == [(entry.id, None), (fix.id, entry.id)]
    assert log.entries[0].unit.code == "NQZ" and log.entries[0].item.id == item.id
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.add_entry(duty, "note", "x", corrects_id=9999)
    assert e.value.code == "duty.entry_not_found"
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.add_entry(duty, "call", "x", delivery_id=9999)
    assert e.value.code == "item.not_found"
    with pytest.raises(IntegrityError, match="append-only"):
        async with demo_hub.store.write() as tx:
            await tx.conn.execute("UPDATE duty_log_entries SET text = 'changed' WHERE id = ?", (entry.id,))
    with pytest.raises(IntegrityError, match="append-only"):
        async with demo_hub.store.write() as tx:
            await tx.conn.execute("DELETE FROM duty_log_entries WHERE id = ?", (entry.id,))
    rows = (await audit.page(demo_hub.store, None, 50, "duty.")).rows
    assert [r.action for r in rows] == ["duty.log_entry", "duty.log_entry", "duty.shift_take"]
    assert f"duty_log:{entry.id}" in [r.target for r in rows]


async def test_the_shift_is_handed_over_and_the_next_officer_confirms_it(demo_hub):
    duty, duty2, clerk = (await actor(demo_hub, "duty"), await actor(demo_hub, "duty2"),
                          await actor(demo_hub, "dhz.clerk1"))
    first = await demo_hub.duty_log.take_shift(duty)
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.take_shift(duty2)
    assert e.value.code == "duty.shift_taken"
    await demo_hub.duty_log.add_entry(duty, "note", "夜班平稳")
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.hand_over(duty2, duty.user_id, "x")          # duty2 is not on shift
    assert e.value.code == "duty.not_on_shift"
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.hand_over(duty, clerk.user_id, "x")          # a clerk is no duty officer
    assert e.value.code == "duty.handover_bad_officer"

    demo_hub.clock.advance(hours=8)
    handover = await demo_hub.duty_log.hand_over(duty, duty2.user_id, "南桥镇特急通知未签收，已电话催办两次")
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.hand_over(duty, duty2.user_id, "again")
    assert e.value.code == "duty.handover_open"
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.confirm_handover(duty)
    assert e.value.code == "duty.handover_own"
    log = await demo_hub.duty_log.log(duty2)
    assert log.open_handover.handover.id == handover.id and log.in_force.officer_id == duty.user_id

    demo_hub.clock.advance(minutes=5)
    shift = await demo_hub.duty_log.confirm_handover(duty2, handover.id)
    assert shift.officer_id == duty2.user_id and shift.handover_id == handover.id
    log = await demo_hub.duty_log.log(duty2)
    assert log.in_force.id == shift.id and log.open_handover is None and log.entries == []
    assert log.handovers[0].handover.confirmed_at == demo_hub.clock.now()
    past = await demo_hub.duty_log.log(duty2, first.id)
    assert past.shift.ended_at == demo_hub.clock.now() and [v.entry.text for v in past.entries] == ["夜班平稳"]
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.confirm_handover(duty2)
    assert e.value.code == "duty.no_open_handover"
    with pytest.raises(IntegrityError, match="kept"):
        async with demo_hub.store.write() as tx:
            await tx.conn.execute("UPDATE duty_handovers SET note = 'rewritten' WHERE id = ?", (handover.id,))
    with pytest.raises(IntegrityError, match="kept"):
        async with demo_hub.store.write() as tx:
            await tx.conn.execute("DELETE FROM duty_shifts WHERE id = ?", (first.id,))
    rows = (await audit.page(demo_hub.store, None, 50, "duty.")).rows
    assert [(r.action, r.actor_login) for r in rows] == [
        ("duty.handover_confirm", "duty2"), ("duty.handover", "duty"), ("duty.log_entry", "duty"),
        ("duty.shift_take", "duty")]


async def test_a_handover_not_yet_confirmed_can_be_taken_back(demo_hub):
    duty, duty2 = await actor(demo_hub, "duty"), await actor(demo_hub, "duty2")
    await demo_hub.duty_log.take_shift(duty)
    await demo_hub.duty_log.hand_over(duty, duty2.user_id, "交班")
    with pytest.raises(XietongError) as e:
        await demo_hub.duty_log.cancel_handover(duty2)
    assert e.value.code == "duty.handover_not_yours"
    back = await demo_hub.duty_log.cancel_handover(duty)
    assert back.cancelled_at == demo_hub.clock.now()
    again = await demo_hub.duty_log.hand_over(duty, duty2.user_id, "再次交班")
    assert again.id != back.id


async def test_only_the_duty_desk_keeps_the_log(demo_hub):
    clerk = await actor(demo_hub, "dhz.clerk1")
    for call in (demo_hub.duty_log.log(clerk), demo_hub.duty_log.take_shift(clerk),
                 demo_hub.duty_log.add_entry(clerk, "note", "x")):
        with pytest.raises(XietongError) as e:
            await call
        assert e.value.code == "perm.denied"
