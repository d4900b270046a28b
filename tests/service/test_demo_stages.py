"""`xietong demo` loads items at every stage of the ladder, written by the real services on a clock
that ran through the past two hours: a newcomer sees a reminder, an escalation and the board fill."""

from datetime import timedelta

from hub.domain.items import AckVia, DeliveryState
from hub.services.demo import DEMO_PAST, STAGE_ITEMS, load_demo, load_demo_items
from tests.conftest import START
from tests.service.test_urgent_items import actor


async def test_the_demo_holds_an_escalated_a_half_way_an_sms_signed_a_web_signed_and_a_fresh_item(hub):
    await load_demo(hub.identity)
    now = START + DEMO_PAST + timedelta(minutes=1)
    titles = await load_demo_items(hub, now)
    assert titles == [t for _, _, t, _ in STAGE_ITEMS] and hub.clock.now() == now
    units = {u.id: u.code for u in await hub.identity.units()}
    forest, supplies, inspection, cold, fresh = titles

    board = await hub.duty.board(await actor(hub, "duty"))
    top = board[0]                                          # the escalated one first, with its ladder
    assert top.item.title == cold and top.escalated
    nqz = next(u for u in top.units if u.unit.code == "NQZ")
    assert nqz.escalated and nqz.delivery.state is DeliveryState.PENDING
    steps = [e.data.get("action") for e in nqz.timeline if e.type == "item.escalated"]
    assert steps == ["remind", "backup", "duty_desk"]
    leader = await hub.identity.user_by_login("nqz.leader")
    assert any(m.phone == leader.phone for m in nqz.sms)    # the leader's SMS, in its timeline
    assert next(u for u in top.units if u.unit.code == "DHZ").delivery.state is DeliveryState.ACKED
    on_board = {b.item.title for b in board}
    assert {cold, supplies, fresh} <= on_board

    sender = await actor(hub, "bgs.clerk1")
    half = await hub.items.view(sender, next(i.id for i, _ in await hub.items.sent(sender)
                                             if i.title == supplies))
    for r in half.recipients:                               # reminded, backup and leader told, not yet the desk
        assert r.delivery.level == 2 and r.delivery.escalated_at is None and r.delivery.is_open
    by_title = {i.title: ds for i, ds in await hub.items.sent(sender)}
    (by_sms,) = by_title[forest]
    assert by_sms.ack_via is AckVia.SMS and units[by_sms.unit_id] == "XSZ" and by_sms.receipt_no
    (on_web,) = by_title[inspection]
    assert on_web.ack_via is AckVia.WEB and on_web.read_at is not None and on_web.receipt_no
    assert all(d.state is DeliveryState.PENDING and d.level == 0 for d in by_title[fresh])
    # the rest of the ladder is still scheduled: the live clock takes it from here
    async with hub.store.read() as tx:
        assert await tx.timers.earliest() > now
