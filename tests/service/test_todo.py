"""The to-do list across every road: a person sees exactly the road steps that wait for them (named, or
for one of their roles in their unit; never another unit's, never an ordered reader's turn before it
comes), 待办 apart from 待阅, 已办 / 已阅 as history, and what their unit signed for but did not register.

The steps are opened straight through the road engine (hub.services.roads.open_step), as the incoming
road's moves and circulations open them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.app import Hub
from hub.domain.identity import Role
from hub.domain.incoming import ROAD, Registration, Source
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.domain.roads import StepKind, StepState
from hub.services.roads import NewStep, open_step
from hub.services.todo import Tab, TodoKind, badges, todo_list, todo_tab
from tests.service.test_urgent_items import actor, issue_extra_urgent, unit_ids


async def registered(hub: Hub, unit_code: str, title: str, urgency: str = "ordinary",
                     from_unit: str = "示范区人民政府办公室", clerk: str = "dhz.clerk1") -> int:
    """A received document in the unit's 收文登记簿 (as the incoming road's registration writes it)."""
    (unit,) = await unit_ids(hub, unit_code)
    by = await actor(hub, clerk)
    now = hub.clock.now()
    reg = Registration(from_unit=from_unit, title=title, urgency=urgency, received_on=date(2026, 11, 24),
                       source=Source.PAPER)
    async with hub.store.write() as tx:
        seq = await tx.incoming.next_number(unit, now.year)
        return await tx.incoming.add(unit, now.year, seq, reg, now + timedelta(days=15), "registered",
                                     by.user_id, now)


async def step(hub: Hub, record_id: int, kind: StepKind, unit_code: str, role: Role | None = Role.CLERK,
               user: str | None = None, due_in: timedelta | None = None, waiting: bool = False,
               position: int = 0) -> int:
    (unit,) = await unit_ids(hub, unit_code)
    user_id = (await actor(hub, user)).user_id if user else None
    now = hub.clock.now()
    new = NewStep(kind, unit, None if user else role, user_id, now + due_in if due_in else None,
                  position=position, waiting=waiting)
    async with hub.store.write() as tx:
        return await open_step(tx, now, ROAD, record_id, new)


async def finish(hub: Hub, step_id: int, login: str, note: str = "") -> None:
    who = await actor(hub, login)
    async with hub.store.write() as tx:
        assert await tx.roads.finish_step(step_id, StepState.DONE, hub.clock.now(), who.user_id, note=note)


def kinds_titles(entries) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(e.kind.value, e.title) for e in entries]


async def test_a_person_sees_their_named_steps_and_their_roles_in_their_unit_only(demo_hub: Hub) -> None:
    a = await registered(demo_hub, "DHZ", "关于做好冬季森林防火工作的通知")
    b = await registered(demo_hub, "DHZ", "关于报送年度统计数据的通知")
    other = await registered(demo_hub, "XSZ", "西山镇的收文", clerk="xsz.clerk1")
    await step(demo_hub, a, StepKind.REVIEW, "DHZ")                       # the township's clerks
    await step(demo_hub, b, StepKind.INSTRUCT, "DHZ", Role.LEADER)        # the township's leaders
    await step(demo_hub, other, StepKind.REVIEW, "XSZ")                   # another township's clerks
    await step(demo_hub, a, StepKind.READ, "DHZ", user="dhz.clerk2")      # one named person

    clerk1 = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.clerk1"))
    assert kinds_titles(clerk1.entries) == [("first_review", "关于做好冬季森林防火工作的通知")]
    assert clerk1.reading == []
    clerk2 = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.clerk2"))
    assert kinds_titles(clerk2.entries) == [("first_review", "关于做好冬季森林防火工作的通知")]
    assert kinds_titles(clerk2.reading) == [("read", "关于做好冬季森林防火工作的通知")]
    leader = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.leader"))
    assert kinds_titles(leader.entries) == [("instruct", "关于报送年度统计数据的通知")]
    assert leader.entries[0].href == f"/incoming/{b}" and leader.entries[0].detail == "2026-0002 · 示范区人民政府办公室"
    xsz = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "xsz.clerk1"))
    assert kinds_titles(xsz.entries) == [("first_review", "西山镇的收文")]
    assert xsz.entries[0].detail.startswith("2026-0001")                 # its own register's number
    nqz = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "nqz.clerk1"))
    assert nqz.entries == [] and nqz.reading == []


async def test_a_waiting_ordered_reader_sees_nothing_until_their_turn(demo_hub: Hub) -> None:
    rec = await registered(demo_hub, "DHZ", "关于召开全镇安全生产会议的通知")
    first = await step(demo_hub, rec, StepKind.READ, "DHZ", user="dhz.leader", position=0)
    second = await step(demo_hub, rec, StepKind.READ, "DHZ", user="dhz.clerk2", position=1, waiting=True)
    clerk2 = await actor(demo_hub, "dhz.clerk2")
    assert (await todo_list(demo_hub.store, demo_hub.documents, clerk2)).reading == []
    await finish(demo_hub, first, "dhz.leader", "已阅，请各办落实。")
    async with demo_hub.store.write() as tx:
        await tx.roads.wake_step(second, demo_hub.clock.now())
    reading = (await todo_list(demo_hub.store, demo_hub.documents, clerk2)).reading
    assert kinds_titles(reading) == [("read", "关于召开全镇安全生产会议的通知")] and reading[0].step_id == second


async def test_every_kind_of_road_step_is_listed_with_its_deadline_the_nearest_first(demo_hub: Hub) -> None:
    titles = {}
    for kind, due in ((StepKind.PROPOSE, 5), (StepKind.ASSIGN, 2), (StepKind.HANDLE, 9), (StepKind.ASSIST, 1),
                      (StepKind.CLOSE, None), (StepKind.PROGRESS, 3)):
        rec = await registered(demo_hub, "DHZ", f"收文 {kind.value}")
        await step(demo_hub, rec, kind, "DHZ", due_in=timedelta(days=due) if due else None)
        titles[kind.value] = rec
    urgent = await registered(demo_hub, "DHZ", "特急收文（无期限）", urgency="extra_urgent")
    await step(demo_hub, urgent, StepKind.REVIEW, "DHZ")
    todo = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.clerk1"))
    assert [e.kind.value for e in todo.entries] == ["assist", "assign", "progress", "propose", "handle",
                                                    "first_review", "close"]   # deadlines first, then urgency
    assert todo.counts == {"assist": 1, "assign": 1, "progress": 1, "propose": 1, "handle": 1,
                           "first_review": 1, "close": 1}
    assert todo.entries[0].due_at == demo_hub.clock.now() + timedelta(days=1)


async def test_a_done_step_leaves_the_list_and_shows_in_the_history_tabs_the_latest_first(demo_hub: Hub) -> None:
    a = await registered(demo_hub, "DHZ", "关于开展消防安全检查的通知")
    b = await registered(demo_hub, "DHZ", "关于转发防汛工作要点的通知")
    review = await step(demo_hub, a, StepKind.REVIEW, "DHZ")
    read = await step(demo_hub, b, StepKind.READ, "DHZ", user="dhz.clerk1")
    clerk = await actor(demo_hub, "dhz.clerk1")
    shown = await todo_tab(demo_hub.store, demo_hub.documents, clerk, Tab.TODO)
    assert shown.tabs == {"todo": 1, "read": 1, "done": 0, "read_done": 0}
    await finish(demo_hub, review, "dhz.clerk1")
    demo_hub.clock.advance(minutes=5)
    await finish(demo_hub, read, "dhz.clerk1", "已阅。")
    shown = await todo_tab(demo_hub.store, demo_hub.documents, clerk, Tab.TODO)
    assert shown.entries == [] and shown.tabs == {"todo": 0, "read": 0, "done": 1, "read_done": 1}
    done = await todo_tab(demo_hub.store, demo_hub.documents, clerk, Tab.DONE)
    assert kinds_titles(done.entries) == [("first_review", "关于开展消防安全检查的通知")]
    read_done = await todo_tab(demo_hub.store, demo_hub.documents, clerk, Tab.READ_DONE)
    assert kinds_titles(read_done.entries) == [("read", "关于转发防汛工作要点的通知")]
    assert read_done.entries[0].note == "已阅。" and read_done.entries[0].done_at == demo_hub.clock.now()
    # the colleague who could have done it did not: their history is empty, their list too
    clerk2 = await todo_tab(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.clerk2"), Tab.DONE)
    assert clerk2.entries == [] and clerk2.tabs == {"todo": 0, "read": 0, "done": 0, "read_done": 0}


async def test_history_shows_the_latest_first(demo_hub: Hub) -> None:
    ids = []
    for title in ("第一份", "第二份", "第三份"):
        rec = await registered(demo_hub, "DHZ", title)
        ids.append(await step(demo_hub, rec, StepKind.PROPOSE, "DHZ"))
    for s in ids:
        await finish(demo_hub, s, "dhz.clerk1")
        demo_hub.clock.advance(minutes=1)
    done = await todo_tab(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.clerk1"), Tab.DONE)
    assert [e.title for e in done.entries] == ["第三份", "第二份", "第一份"]


async def test_a_signed_for_document_waits_to_be_registered_unless_the_unit_registers_at_sign_for(
        demo_hub: Hub) -> None:
    sender = await actor(demo_hub, "bgs.clerk1")
    dhz, xsz = await unit_ids(demo_hub, "DHZ", "XSZ")
    doc = await demo_hub.items.issue(sender, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT,
                                                       title="关于做好冬春火灾防控工作的通知", body="正文",
                                                       main_units=(dhz,), copy_units=(xsz,)))
    notice = await issue_extra_urgent(demo_hub, "DHZ", kind=ItemKind.EMERGENCY_ORDER, title="立即组织排查")
    clerk = await actor(demo_hub, "dhz.clerk1")
    todo = await todo_list(demo_hub.store, demo_hub.documents, clerk)
    assert [e.kind.value for e in todo.of(TodoKind.REGISTER)] == []       # not signed for yet: 待签收
    for item in (doc, notice):
        await demo_hub.items.acknowledge(clerk, (await demo_hub.items.view(clerk, item.id)).mine.id)
    xsz_clerk = await actor(demo_hub, "xsz.clerk1")
    await demo_hub.items.acknowledge(xsz_clerk, (await demo_hub.items.view(xsz_clerk, doc.id)).mine.id)

    todo = await todo_list(demo_hub.store, demo_hub.documents, clerk)
    (entry,) = todo.of(TodoKind.REGISTER)         # a document as a main recipient; not the order
    assert entry.title == "关于做好冬春火灾防控工作的通知" and entry.href == f"/items/{doc.id}#register-item"
    assert entry.detail == "示范区人民政府办公室" and entry.urgency == "urgent"
    assert (await todo_list(demo_hub.store, demo_hub.documents, xsz_clerk)).of(TodoKind.REGISTER) == []  # a copy
    assert (await todo_list(demo_hub.store, demo_hub.documents,
                            await actor(demo_hub, "dhz.leader"))).of(TodoKind.REGISTER) == []   # clerks register

    async with demo_hub.store.write() as tx:                # the unit registers at sign-for from now on
        await tx.incoming.set_auto_register(dhz, True)
    assert (await todo_list(demo_hub.store, demo_hub.documents, clerk)).of(TodoKind.REGISTER) == []
    async with demo_hub.store.write() as tx:
        await tx.incoming.set_auto_register(dhz, False)
        delivery = (await demo_hub.items.view(clerk, doc.id)).mine
        seq = await tx.incoming.next_number(dhz, 2026)
        reg = Registration(from_unit="示范区人民政府办公室", title=doc.title, urgency="urgent",
                           received_on=date(2026, 11, 24), source=Source.NETWORK)
        now = demo_hub.clock.now()
        await tx.incoming.add(dhz, 2026, seq, reg, now + timedelta(days=5), "registered", clerk.user_id, now,
                              delivery_id=delivery.id)
    assert (await todo_list(demo_hub.store, demo_hub.documents, clerk)).of(TodoKind.REGISTER) == []   # registered


async def test_a_signed_for_document_left_unregistered_for_30_days_drops_off(demo_hub: Hub) -> None:
    sender = await actor(demo_hub, "bgs.clerk1")
    (dhz,) = await unit_ids(demo_hub, "DHZ")
    doc = await demo_hub.items.issue(sender, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY,
                                                       title="关于印发年度工作要点的通知", body="正文",
                                                       main_units=(dhz,)))
    clerk = await actor(demo_hub, "dhz.clerk1")
    await demo_hub.items.acknowledge(clerk, (await demo_hub.items.view(clerk, doc.id)).mine.id)
    demo_hub.clock.advance(timedelta(days=29))
    assert len((await todo_list(demo_hub.store, demo_hub.documents, clerk)).of(TodoKind.REGISTER)) == 1
    demo_hub.clock.advance(timedelta(days=2))
    assert (await todo_list(demo_hub.store, demo_hub.documents, clerk)).of(TodoKind.REGISTER) == []


async def test_a_received_document_waits_for_a_leaders_instruction_only_when_the_road_asks(demo_hub: Hub) -> None:
    sender = await actor(demo_hub, "jyj.clerk1")
    (dhz,) = await unit_ids(demo_hub, "DHZ")
    await demo_hub.items.issue(sender, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY,
                                                 title="教育局关于秋季开学安全检查的报告", body="正文", main_units=(dhz,)))
    leader = await actor(demo_hub, "dhz.leader")
    assert (await todo_list(demo_hub.store, demo_hub.documents, leader)).of(TodoKind.INSTRUCT) == []
    rec = await registered(demo_hub, "DHZ", "教育局关于秋季开学安全检查的报告", from_unit="示范区教育局")
    await step(demo_hub, rec, StepKind.INSTRUCT, "DHZ", Role.LEADER, due_in=timedelta(days=2))
    (entry,) = (await todo_list(demo_hub.store, demo_hub.documents, leader)).of(TodoKind.INSTRUCT)
    assert entry.href == f"/incoming/{rec}" and entry.detail.endswith("示范区教育局")


async def test_the_badge_counts_to_do_and_to_read_together_and_says_how_many_are_to_read(demo_hub: Hub) -> None:
    rec = await registered(demo_hub, "DHZ", "关于加强冬季道路交通安全的通知")
    leader = await actor(demo_hub, "dhz.leader")
    before = await badges(demo_hub.store, demo_hub.documents, leader)
    await step(demo_hub, rec, StepKind.INSTRUCT, "DHZ", Role.LEADER)
    await step(demo_hub, rec, StepKind.READ, "DHZ", user="dhz.leader")
    after = await badges(demo_hub.store, demo_hub.documents, leader)
    assert after["todo"] == before["todo"] + 2 and after["reading"] == before["reading"] + 1


@pytest.mark.sqlite_only(reason="reads SQLite's EXPLAIN QUERY PLAN")
async def test_the_to_do_query_reads_the_steps_through_their_indexes(demo_hub: Hub) -> None:
    async with demo_hub.store.read() as tx, tx.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM road_steps WHERE user_id = ? AND state = 'open'"
            " UNION ALL SELECT id FROM road_steps WHERE unit_id = ? AND state = 'open'"
            " AND user_id IS NULL AND role IN (?, ?)", (1, 1, "clerk", "leader")) as cur:
        plan = " | ".join(str(r[-1]) for r in await cur.fetchall())
    assert "road_steps_user" in plan and "road_steps_unit" in plan and "SCAN road_steps" not in plan, plan
    async with demo_hub.store.read() as tx:
        async with tx.conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM road_steps WHERE done_by = ? AND state = 'done'"
                " AND kind NOT IN (?) ORDER BY done_at DESC, id DESC LIMIT 100", (1, "read")) as cur:
            history = " | ".join(str(r[-1]) for r in await cur.fetchall())
        async with tx.conn.execute(
                "EXPLAIN QUERY PLAN SELECT d.id FROM deliveries d LEFT JOIN incoming r ON r.delivery_id = d.id"
                " WHERE d.unit_id = ? AND d.state = 'acked' AND d.role = 'main' AND d.acked_at >= ?"
                " AND r.id IS NULL", (1, "2026-11-01")) as cur:
            register = " | ".join(str(r[-1]) for r in await cur.fetchall())
    assert "road_steps_done_by" in history and "deliveries_signed_main" in register, (history, register)


def test_every_step_kind_has_a_to_do_kind() -> None:
    from hub.services.todo import STEP_KINDS
    assert set(STEP_KINDS) == {k.value for k in StepKind}


async def test_registering_through_the_incoming_road_turns_the_register_entry_into_a_first_review(
        demo_hub: Hub) -> None:
    sender = await actor(demo_hub, "bgs.clerk1")
    (dhz,) = await unit_ids(demo_hub, "DHZ")
    doc = await demo_hub.items.issue(sender, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY,
                                                       title="关于做好冬季供暖保障工作的通知", body="正文",
                                                       main_units=(dhz,)))
    clerk = await actor(demo_hub, "dhz.clerk1")
    delivery = (await demo_hub.items.view(clerk, doc.id)).mine
    await demo_hub.items.acknowledge(clerk, delivery.id)
    todo = await todo_list(demo_hub.store, demo_hub.documents, clerk)
    assert [e.kind.value for e in todo.entries if e.title == doc.title] == ["register"]
    record = await demo_hub.incoming.register_delivery(clerk, delivery.id)
    colleague = await todo_list(demo_hub.store, demo_hub.documents, await actor(demo_hub, "dhz.clerk2"))
    (entry,) = [e for e in colleague.entries if e.title == doc.title]
    assert entry.kind is TodoKind.FIRST_REVIEW and entry.href == f"/incoming/{record.id}"
    assert entry.detail == f"{record.number} · 示范区人民政府办公室"
