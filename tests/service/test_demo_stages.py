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


async def test_the_demo_holds_received_documents_at_every_stage_of_the_incoming_road(hub):
    from hub.services.demo_incoming import INCOMING_PAST, READERS, STAGES, load_demo_incoming
    from hub.services.todo import todo_list

    await load_demo(hub.identity)
    end = START + INCOMING_PAST + timedelta(hours=1)
    records = await load_demo_incoming(hub, end)
    assert hub.clock.now() == end
    # registered in the order they came, into 东湖镇's 收文登记簿, gapless
    arrived = sorted(STAGES, key=lambda s: -s.hours_before)
    assert [records[s.key].number for s in arrived] == [f"{START.year}-{n:04d}" for n in range(1, 7)]
    assert {k: r.state for k, r in records.items()} == {
        "closed": "closed", "overdue": "handling", "handling": "handling", "circulating": "instructed",
        "proposed": "proposed", "registered": "registered"}
    units = {u.code: u.id for u in await hub.identity.units()}
    assert records["closed"].closed_at is not None and "86户" in records["closed"].result
    assert records["overdue"].lead_unit_id == units["DHZJFB"] and records["overdue"].supervised
    assert records["handling"].lead_unit_id == units["DHZDZB"]

    async with hub.store.read() as tx:
        overdue = await tx.roads.history("incoming", records["overdue"].id)
        handling = await tx.roads.history("incoming", records["handling"].id)
        handle_steps = await tx.roads.open_steps_of("incoming", records["overdue"].id)
    # the schedule ran the overdue one's ladder, each rung once, at its time
    rungs = [h for h in overdue if h.move.startswith("deadline.")]
    assert [h.move for h in rungs] == ["deadline.remind", "deadline.leader", "deadline.office"]
    lead_step = next(s for s in handle_steps if s.kind == "handle")
    assert lead_step.due_at is not None and lead_step.due_at < end
    assert [h.at - lead_step.due_at for h in rungs] == [timedelta(days=-1), timedelta(0), timedelta(days=1)]
    assert [h.move for h in handling if h.move == "assist"] == ["assist"]      # 经发办's opinion is in

    # the circulation: three readers, 党政办's clerk has read it; the other two have it to read
    panel = await hub.circulation.panel(await actor(hub, "dhz.clerk1"), records["circulating"].id)
    ((circ, _, read, readers),) = panel.circulations
    assert (read, readers) == (1, len(READERS)) and circ.withdrawn_at is None
    leader = await actor(hub, "dhz.leader")
    todo = await todo_list(hub.store, hub.documents, leader)
    assert [e.title for e in todo.reading] == [records["circulating"].title]
    assert records["proposed"].title in [e.title for e in todo.entries]       # waiting for the 批示
    office = await todo_list(hub.store, hub.documents, await actor(hub, "dhz.clerk1"))
    assert records["registered"].title in [e.title for e in office.entries]   # waiting for the 初审
    # the SMS of the deadline rungs are in the outbox, sent when the server starts
    marks = ",".join("?" * len(rungs))
    async with hub.store.read() as tx, tx.conn.execute(
            f"SELECT count(*) FROM outbox WHERE history_id IN ({marks})", [h.id for h in rungs]) as cur:
        (sms,) = await cur.fetchone()
    assert sms == 4          # 经发办's clerk reminded, 东湖镇's leader (经发办 has none of its own), its two clerks
    # then the items' two hours, as `xietong demo` runs them: the board is the items', the road's documents
    # all signed for, and their records as they were
    titles = await load_demo_items(hub, end + DEMO_PAST)
    board = await hub.duty.board(await actor(hub, "duty"))
    assert board[0].item.title == titles[3] and not {s.title for s in STAGES} & {b.item.title for b in board}
    async with hub.store.read() as tx:
        assert [(await tx.incoming.get(r.id)).state for r in records.values()] == [r.state for r in records.values()]
        assert len([h for h in await tx.roads.history("incoming", records["overdue"].id)
                    if h.move.startswith("deadline.")]) == 3


async def test_the_demo_fills_the_file_cabinet_the_phone_book_and_the_public_services(hub):
    from hub.services.demo_office import load_demo_office
    from hub.services.phonebook import phone_book, search_book
    await load_demo(hub.identity)
    titles = await load_demo_items(hub, START + DEMO_PAST + timedelta(minutes=1))
    assert await load_demo_office(hub) > 0
    clerk = await actor(hub, "dhz.clerk1")
    (drawer,) = (await hub.cabinet.cabinet(clerk, "unit")).drawers
    flood = next(f for f, _ in drawer.folders if f.name == "防汛")
    filed = [p.title for p in (await hub.cabinet.folder(clerk, flood.id)).places]
    assert filed and all(t in titles for t in filed) and any("寒潮" in t for t in filed)
    found = search_book(await phone_book(hub.store, await actor(hub, "xsz.clerk1")), "zjh")
    assert [x.job for u in found for x in u.entries] == ["党委书记"]
    kinds = {r.kind.value for r in await hub.public_services.all(clerk)}
    assert kinds == {"link", "form", "info"}
