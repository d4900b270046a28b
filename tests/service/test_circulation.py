"""传阅: a received document circulated to people in parallel or in order, read (已阅) with a comment,
the sender's one view, withdraw and remind (SMS to those with a phone, the rest named back)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.domain.incoming import Registration, Source
from hub.errors import XietongError
from tests.service.test_urgent_items import actor


async def record(hub, state: str = "registered", unit: str = "DHZ", title: str = "关于做好冬季防火工作的通知") -> int:
    """A paper document registered by hand by 东湖镇's clerk (the incoming road's own use-case); moved
    straight to `state` through the store where a test needs it elsewhere (circulation runs at any
    open state)."""
    clerk = await actor(hub, f"{unit.lower()}.clerk1")
    reg = Registration("示范区人民政府办公室", title, "urgent", hub.clock.now().date() - timedelta(days=1),
                       "示政办发〔2026〕12号", "通知", source=Source.PAPER)
    rec = await hub.incoming.register_by_hand(clerk, reg)
    if state != rec.state:
        async with hub.store.write() as tx:
            await tx.incoming.set_state(rec.id, state, hub.clock.now())
    return rec.id


async def uid(hub, login: str) -> int:
    return (await hub.identity.user_by_login(login)).id


async def readers_of(hub, sender_login: str, cid: int) -> dict[str, str]:
    view = await hub.circulation.view(await actor(hub, sender_login), cid)
    return {r.name: r.status for r in view.readers}


async def todo_reads(hub, login: str) -> list[int]:
    """The READ steps open for this person (their 待阅)."""
    a = await actor(hub, login)
    async with hub.store.read() as tx:
        return [s.record_id for s in await tx.roads.open_for(a.user_id, a.unit_id, [r.value for r in a.roles])
                if s.kind == "read"]


async def test_parallel_circulation_every_reader_has_it_to_read_and_the_sender_sees_who_read(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    people = ["dhz.leader", "dhz.clerk2", "dhzdzb.clerk"]
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, p) for p in people],
                                                "请各位领导阅知，了解防火部署")
    assert sent.skipped == [] and len(sent.readers) == 3
    for p in people:
        assert await todo_reads(demo_hub, p) == [rec]          # each has it in 待阅
    demo_hub.clock.advance(minutes=10)
    leader = await actor(demo_hub, "dhz.leader")
    step = next(s for s in (await demo_hub.circulation.panel(leader, rec)).mine)[1]
    await demo_hub.circulation.read(leader, step.step_id, "已阅，请党政办抓好落实")
    assert await todo_reads(demo_hub, "dhz.leader") == []
    view = await demo_hub.circulation.view(sender, sent.circulation_id)
    by_name = {r.name: r for r in view.readers}
    leader_row = by_name[leader.name]
    assert leader_row.status == "read" and leader_row.comment == "已阅，请党政办抓好落实"
    assert leader_row.read_at == demo_hub.clock.now()
    assert sorted(r.status for r in view.readers) == ["read", "unread", "unread"]
    assert view.count("read") == 1 and view.may_manage
    async with demo_hub.store.read() as tx:
        moves = [h.move for h in await tx.roads.history("incoming", rec)]
        inc = await tx.incoming.get(rec)
    assert moves == ["register", "circulate", "read"] and inc.state == "registered"   # it stays where it is
    # a second click on 已阅 changes nothing
    await demo_hub.circulation.read(leader, step.step_id, "again")
    assert (await demo_hub.circulation.view(sender, sent.circulation_id)).readers[0].comment != "again"


async def test_ordered_circulation_opens_one_reader_after_another(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    order = ["dhz.leader", "dhzdzb.clerk", "dhzjfb.clerk"]
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, p) for p in order],
                                                "按顺序传阅", ordered=True)
    assert [await todo_reads(demo_hub, p) for p in order] == [[rec], [], []]
    assert list((await readers_of(demo_hub, "dhz.clerk1", sent.circulation_id)).values()) == \
        ["unread", "not_yet", "not_yet"]
    second = await actor(demo_hub, "dhzdzb.clerk")
    view = await demo_hub.circulation.view(second, sent.circulation_id)     # a reader sees the slip too
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.read(second, view.mine.step_id)
    assert e.value.code == "circulation.not_yet"
    leader = await actor(demo_hub, "dhz.leader")
    first = (await demo_hub.circulation.view(leader, sent.circulation_id)).mine
    await demo_hub.circulation.read(leader, first.step_id)
    assert [await todo_reads(demo_hub, p) for p in order] == [[], [rec], []]
    await demo_hub.circulation.read(second, view.mine.step_id, "已阅")
    assert [await todo_reads(demo_hub, p) for p in order] == [[], [], [rec]]


async def test_the_journey_three_readers_the_sender_withdraws_after_one_read_and_sees_who_read(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    people = ["dhz.leader", "dhz.clerk2", "dhzjfb.clerk"]
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, p) for p in people], "阅知")
    leader = await actor(demo_hub, "dhz.leader")
    await demo_hub.circulation.read(leader, (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.step_id,
                                    "已阅")
    view = await demo_hub.circulation.withdraw(sender, sent.circulation_id)
    assert {r.name: r.status for r in view.readers} == {
        leader.name: "read", (await actor(demo_hub, "dhz.clerk2")).name: "withdrawn",
        (await actor(demo_hub, "dhzjfb.clerk")).name: "withdrawn"}
    assert view.circulation.withdrawn_at == demo_hub.clock.now()
    assert await todo_reads(demo_hub, "dhz.clerk2") == [] and await todo_reads(demo_hub, "dhzjfb.clerk") == []
    hist = view.history
    assert [h.move for h in hist] == ["circulate", "read", "withdraw_circulation"]
    assert hist[-1].data["read"] == [leader.name] and len(hist[-1].data["cancelled"]) == 2
    # withdrawn: no second withdraw, no reminder, the withdrawn reader cannot read
    for move in (demo_hub.circulation.withdraw, demo_hub.circulation.remind):
        with pytest.raises(XietongError) as e:
            await move(sender, sent.circulation_id)
        assert e.value.code == "circulation.withdrawn"
    clerk2 = await actor(demo_hub, "dhz.clerk2")
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.read(clerk2, (await demo_hub.circulation.view(clerk2, sent.circulation_id)).mine.step_id)
    assert e.value.code == "circulation.withdrawn"


async def test_remind_texts_the_unread_with_a_phone_and_names_those_without_one(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    nophone = await demo_hub.identity.user_by_login("dhzjfb.clerk")
    async with demo_hub.store.write() as tx:
        await tx.users.update_profile(nophone.id, nophone.name, "", ())
    people = ["dhz.leader", "dhz.clerk2", "dhzjfb.clerk"]
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, p) for p in people], "阅知")
    clerk2 = await actor(demo_hub, "dhz.clerk2")
    await demo_hub.circulation.read(clerk2, (await demo_hub.circulation.view(clerk2, sent.circulation_id)).mine.step_id)
    reminded = await demo_hub.circulation.remind(sender, sent.circulation_id)
    leader = await demo_hub.identity.user_by_login("dhz.leader")
    assert reminded.reached == [leader.name] and reminded.not_reached == [nophone.name]
    async with demo_hub.store.read() as tx, tx.conn.execute(
            "SELECT user_id, phone, body FROM outbox WHERE history_id = ?", (reminded.history_id,)) as cur:
        rows = await cur.fetchall()
    assert [(r[0], r[1]) for r in rows] == [(leader.id, leader.phone)]
    assert rows[0][2].startswith("【协同】") and "2026-0001" in rows[0][2]
    view = await demo_hub.circulation.view(sender, sent.circulation_id)
    assert view.last_reminder.data["not_reached"] == [nophone.name]


async def test_reminders_are_limited_per_day(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, "dhz.leader")], "阅知")
    for _ in range(demo_hub.config.incoming.chases_per_day):
        await demo_hub.circulation.remind(sender, sent.circulation_id)
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.remind(sender, sent.circulation_id)
    assert e.value.code == "circulation.remind_limit" and e.value.retry_after_seconds > 0
    demo_hub.clock.advance(days=1)
    await demo_hub.circulation.remind(sender, sent.circulation_id)


async def test_the_same_person_is_never_sent_it_twice(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    leader, clerk2 = await uid(demo_hub, "dhz.leader"), await uid(demo_hub, "dhz.clerk2")
    first = await demo_hub.circulation.circulate(sender, rec, [leader, leader, clerk2], "阅知")
    assert len(first.readers) == 2                                   # named twice, sent once
    second = await demo_hub.circulation.circulate(sender, rec, [leader, await uid(demo_hub, "dhzdzb.clerk")],
                                                  "再请党政办阅")
    assert second.skipped == [(await actor(demo_hub, "dhz.leader")).name] and len(second.readers) == 1
    view = await demo_hub.circulation.view(sender, second.circulation_id)
    assert view.skipped == second.skipped
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.circulate(sender, rec, [leader, clerk2], "第三次")
    assert e.value.code == "circulation.all_pending"
    async with demo_hub.store.read() as tx:
        assert len(await tx.circulations.of_record("incoming", rec)) == 2       # the refused one left nothing
        assert len([s for s in await tx.roads.steps_of("incoming", rec) if s.user_id == leader]) == 1


@pytest.mark.parametrize(("users", "note", "code"), [
    (["dhz.leader"], "  ", "circulation.note_required"),
    ([], "阅知", "circulation.nobody"),
    (["dhz.clerk1"], "阅知", "circulation.to_self"),
    (["xsz.clerk1"], "阅知", "circulation.unknown_reader"),     # another township's clerk
    ([999999], "阅知", "circulation.unknown_reader"),
])
async def test_bad_circulations_are_refused_and_store_nothing(demo_hub, users, note, code):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    ids = [u if isinstance(u, int) else await uid(demo_hub, u) for u in users]
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.circulate(sender, rec, ids, note)
    assert e.value.code == code and e.value.message("zh") and e.value.message("en")
    async with demo_hub.store.read() as tx:
        assert await tx.circulations.of_record("incoming", rec) == []
        assert [h.move for h in await tx.roads.history("incoming", rec)] == ["register"]


async def test_a_closed_record_is_not_circulated(demo_hub):
    rec = await record(demo_hub, state="closed")
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.circulate(await actor(demo_hub, "dhz.clerk1"), rec,
                                             [await uid(demo_hub, "dhz.leader")], "阅知")
    assert e.value.code == "road.bad_move"


async def test_strangers_neither_read_nor_see_nor_withdraw(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, "dhz.leader")], "阅知")
    leader = await actor(demo_hub, "dhz.leader")
    step_id = (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.step_id
    for login in ("xsz.clerk1", "dhzdzb.clerk", "duty"):
        stranger = await actor(demo_hub, login)
        for call in (demo_hub.circulation.view, demo_hub.circulation.withdraw, demo_hub.circulation.remind):
            with pytest.raises(XietongError) as e:
                await call(stranger, sent.circulation_id)
            assert e.value.code == "circulation.not_found", (login, call)
        with pytest.raises(XietongError) as e:
            await demo_hub.circulation.read(stranger, step_id)
        assert e.value.code == "circulation.step_not_found"
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.circulate(await actor(demo_hub, "xsz.clerk1"), rec, [leader.user_id], "x")
    assert e.value.code == "incoming.not_found"
    # a reader sees the slip but may not withdraw it; the unit's other clerk (the office) may
    with pytest.raises(XietongError) as e:
        await demo_hub.circulation.withdraw(leader, sent.circulation_id)
    assert e.value.code == "circulation.not_sender"
    await demo_hub.circulation.remind(await actor(demo_hub, "dhz.clerk2"), sent.circulation_id)


async def test_a_returned_record_ends_its_circulation_for_those_who_had_not_read_it(demo_hub):
    rec = await record(demo_hub)
    sender = await actor(demo_hub, "dhz.clerk1")
    order = ["dhz.leader", "dhzdzb.clerk"]
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, p) for p in order], "阅知",
                                                ordered=True)
    await demo_hub.incoming.return_(sender, rec, "来文缺附件，退回来文单位")       # 退文 ends every open step
    view = await demo_hub.circulation.view(sender, sent.circulation_id)
    assert [r.status for r in view.readers] == ["withdrawn", "withdrawn"]       # the waiting one too
    assert [await todo_reads(demo_hub, p) for p in order] == [[], []]


async def test_closing_a_document_for_information_lets_its_circulation_run_to_the_last_reader(demo_hub):
    """办结 of a 阅知 document circulated in order: the readers still to come keep it to read."""
    rec = await record(demo_hub, state="instructed")
    async with demo_hub.store.write() as tx:
        await tx.incoming.set_state(rec, "instructed", demo_hub.clock.now(), handling="read")
    sender = await actor(demo_hub, "dhz.clerk1")
    order = ["dhz.leader", "dhzdzb.clerk"]
    sent = await demo_hub.circulation.circulate(sender, rec, [await uid(demo_hub, p) for p in order], "阅知",
                                                ordered=True)
    closed = await demo_hub.incoming.close(sender, rec, "已传阅，办结")
    assert closed.state == "closed"
    assert [await todo_reads(demo_hub, p) for p in order] == [[rec], []]
    leader = await actor(demo_hub, "dhz.leader")
    await demo_hub.circulation.read(leader, (await demo_hub.circulation.view(leader, sent.circulation_id)).mine.step_id)
    assert [await todo_reads(demo_hub, p) for p in order] == [[], [rec]]     # the next reader's turn came
    assert list((await readers_of(demo_hub, "dhz.clerk1", sent.circulation_id)).values()) == ["read", "unread"]


def test_the_reminder_fits_two_sms_segments_however_long_the_title():
    from hub.domain.circulation import remind_text
    from hub.domain.sms_text import segments
    text = remind_text("陈敏", "2026-0012", "关于" + "进一步加强冬季安全生产工作" * 10 + "的通知")
    assert segments(text) <= 2 and text.startswith("【协同】陈敏提醒您阅知收文《关于") and "（2026-0012）" in text
    assert "…》" in text


async def test_every_move_tells_the_phones_of_the_units_whose_lists_changed(demo_hub):
    from hub.services.circulation import CirculationService
    told: list[int] = []
    service = CirculationService(demo_hub.store, demo_hub.clock, demo_hub.config, told.append)
    rec = await record(demo_hub)
    units = {u.code: u.id for u in await demo_hub.identity.units()}
    sender = await actor(demo_hub, "dhz.clerk1")
    sent = await service.circulate(sender, rec, [await uid(demo_hub, "dhz.leader"), await uid(demo_hub, "dhzjfb.clerk")],
                                   "阅知", ordered=True)
    assert sorted(told) == sorted([units["DHZ"], units["DHZJFB"]])    # the sender's office and each reader's unit
    told.clear()
    leader = await actor(demo_hub, "dhz.leader")
    await service.read(leader, (await service.view(leader, sent.circulation_id)).mine.step_id)
    assert sorted(told) == sorted([units["DHZ"], units["DHZJFB"]])    # the sender sees it read; the next one gets it
    told.clear()
    await service.withdraw(sender, sent.circulation_id)
    assert sorted(told) == sorted([units["DHZ"], units["DHZJFB"]])
