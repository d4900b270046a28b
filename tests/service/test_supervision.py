"""催办 by hand and 督办 on the incoming road: real SQLite files, the fake clock, the demo organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.domain.incoming import INCOMING
from hub.domain.roads import StepKind
from hub.errors import XietongError
from hub.services.roads import apply_move
from hub.services.supervision import end_supervision
from tests.service.test_road_deadlines import actor, deadline_rows, handling_record, unit_id


async def no_phone(hub, login: str) -> None:
    async with hub.store.write() as tx:
        await tx.conn.execute("UPDATE users SET phone = '' WHERE login = ?", (login,))


async def outbox_of(hub, history_id: int) -> list[tuple[str, str]]:
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT u.login, o.state FROM outbox o JOIN users u ON u.id = o.user_id WHERE o.history_id = ?"
            " ORDER BY u.login", (history_id,)) as cur:
        return [tuple(r) for r in await cur.fetchall()]


# -- 催办 ---------------------------------------------------------------------------------------

async def test_the_office_chases_a_handling_step_and_its_holders_get_an_sms_and_a_push(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    told: list[int] = []
    hub.road_chase._todo_changed = told.append
    result = await hub.road_chase.chase(await actor(hub, "bgs.clerk1"), step_id, "请今天下班前报送。")
    assert [t.status for t in result.chase.told] == ["queued", "queued"]
    assert len(result.chase.told) == 2 and result.left_today == hub.config.incoming.chases_per_day - 1
    assert await outbox_of(hub, result.chase.history_id) == [("jyj.clerk1", "queued"), ("jyj.clerk2", "queued")]
    assert told == [await unit_id(hub, "JYJ")]
    async with hub.store.read() as tx:
        (row,) = [h for h in await tx.roads.history("incoming", record_id) if h.move == "chase"]
        step = await tx.roads.step(step_id)
        async with tx.conn.execute("SELECT body FROM outbox WHERE history_id = ?", (row.id,)) as cur:
            body = (await cur.fetchone())[0]
    assert row.actor_name and row.step_id == step_id and row.note == "请今天下班前报送。"
    assert step.chases == 1 and step.chased_at == hub.clock.now()
    assert body.startswith("【协同】催办：示范区人民政府办公室请您尽快完成收文《") and "承办" in body


async def test_a_step_is_chased_at_most_n_times_a_beijing_day(demo_hub):
    hub = demo_hub
    _, step_id = await handling_record(hub, due_in=timedelta(days=5))
    clerk = await actor(hub, "bgs.clerk1")
    per_day = hub.config.incoming.chases_per_day
    for _ in range(per_day):
        await hub.road_chase.chase(clerk, step_id)
    with pytest.raises(XietongError) as refused:
        await hub.road_chase.chase(await actor(hub, "bgs.leader"), step_id)
    assert refused.value.code == "chase.limit" and refused.value.status == 429
    assert str(per_day) in refused.value.message("zh")
    # 09:00 in Beijing now: the day ends at 16:00 UTC, not at midnight UTC
    hub.clock.advance(hours=14, minutes=59)
    with pytest.raises(XietongError):
        await hub.road_chase.chase(clerk, step_id)
    hub.clock.advance(minutes=1)
    assert (await hub.road_chase.chase(clerk, step_id)).left_today == per_day - 1


async def test_a_chase_that_cannot_be_texted_is_shown_to_the_chaser(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    await no_phone(hub, "jyj.clerk2")
    clerk = await actor(hub, "bgs.clerk1")
    result = await hub.road_chase.chase(clerk, step_id)
    statuses = {t.name: t.status for t in result.chase.told}
    assert sorted(statuses.values()) == ["no_phone", "queued"] and result.chase.trouble
    (shown,) = await hub.road_chase.chases(clerk, "incoming", record_id)
    assert sorted(t.status for t in shown.told) == ["no_phone", "queued"]
    # the SMS that went out fails at the gateway: the panel shows that too
    async with hub.store.write() as tx:
        await tx.conn.execute("UPDATE outbox SET state = 'undelivered', error = '30003' WHERE history_id = ?",
                              (result.chase.history_id,))
    (shown,) = await hub.road_chase.chases(clerk, "incoming", record_id)
    assert sorted((t.status, t.error) for t in shown.told) == [("no_phone", ""), ("undelivered", "30003")]


async def test_only_the_record_units_office_may_chase_and_only_an_open_step(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    for login in ("jyj.clerk1", "dhz.clerk1", "bgs.seal"):
        with pytest.raises(XietongError) as refused:
            await hub.road_chase.chase(await actor(hub, login), step_id)
        assert refused.value.code == "chase.step_not_found"
    with pytest.raises(XietongError) as refused:
        await hub.road_chase.chase(await actor(hub, "bgs.clerk1"), 999_999)
    assert refused.value.code == "chase.step_not_found"
    async with hub.store.write() as tx:
        rec = await tx.incoming.get(record_id)
        await apply_move(tx, hub.clock.now(), await actor(hub, "jyj.clerk1"), INCOMING, record_id, rec.unit_id,
                         rec.state, "result", note="已办结。")
    with pytest.raises(XietongError) as refused:
        await hub.road_chase.chase(await actor(hub, "bgs.clerk1"), step_id)
    assert refused.value.code == "chase.step_closed"
    async with hub.store.read() as tx:
        assert [h.move for h in await tx.roads.history("incoming", record_id)] == ["result"]


# -- 督办 ---------------------------------------------------------------------------------------

async def test_the_office_supervises_and_the_lead_reports_progress_at_the_interval(demo_hub):
    hub = demo_hub
    record_id, _ = await handling_record(hub, due_in=timedelta(days=20))
    office = await actor(hub, "bgs.clerk1")
    sup = await hub.supervision.supervise(office, "incoming", record_id, 5, "每5天报送一次进展。")
    start = hub.clock.now()
    assert sup.every_days == 5 and sup.next_report == start + timedelta(days=5)
    async with hub.store.read() as tx:
        rec = await tx.incoming.get(record_id)
        (progress,) = [s for s in await tx.roads.open_steps_of("incoming", record_id) if s.kind == "progress"]
    assert rec.supervised and progress.unit_id == await unit_id(hub, "JYJ") and progress.due_at == sup.next_report
    with pytest.raises(XietongError) as refused:
        await hub.supervision.supervise(office, "incoming", record_id, 5, "再次督办")
    assert refused.value.code == "supervision.already"
    with pytest.raises(XietongError):                              # the office does not hold the report
        await hub.supervision.report(office, "incoming", record_id, "进展")
    hub.clock.advance(days=3)
    lead = await actor(hub, "jyj.clerk2")
    sup = await hub.supervision.report(lead, "incoming", record_id, "已完成三个镇的检查。")
    assert sup.last_report == "已完成三个镇的检查。" and sup.last_report_at == hub.clock.now()
    assert sup.next_report == start + timedelta(days=10)
    async with hub.store.read() as tx:
        steps = [s for s in await tx.roads.steps_of("incoming", record_id) if s.kind == "progress"]
    assert [s.state for s in steps] == ["done", "open"] and steps[1].due_at == start + timedelta(days=10)
    # the report not made by its date climbs the ladder like any step
    hub.clock.advance(days=8)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == ["deadline.remind", "deadline.leader", "deadline.office"]


async def test_supervision_refuses_bad_input_and_stores_nothing(demo_hub):
    hub = demo_hub
    record_id, _ = await handling_record(hub)
    office = await actor(hub, "bgs.clerk1")
    for days, note, code in ((0, "x", "supervision.bad_interval"), (91, "x", "supervision.bad_interval"),
                             (5, "  ", "supervision.note_required")):
        with pytest.raises(XietongError) as refused:
            await hub.supervision.supervise(office, "incoming", record_id, days, note)
        assert refused.value.code == code
    with pytest.raises(XietongError) as refused:
        await hub.supervision.supervise(await actor(hub, "jyj.leader"), "incoming", record_id, 5, "督办")
    assert refused.value.code == "perm.denied"
    with pytest.raises(XietongError) as refused:
        await hub.supervision.supervise(office, "incoming", 424242, 5, "督办")
    assert refused.value.code == "incoming.not_found"
    async with hub.store.read() as tx:
        assert await tx.supervision.get("incoming", record_id) is None
        assert not (await tx.incoming.get(record_id)).supervised
        assert [s.kind for s in await tx.roads.open_steps_of("incoming", record_id)] == ["handle"]


async def test_the_board_shows_each_supervised_record_with_its_overdue_days(demo_hub):
    hub = demo_hub
    office = await actor(hub, "bgs.clerk1")
    late_id, _ = await handling_record(hub, due_in=timedelta(days=2), title="关于整治违规占道经营的通知")
    fine_id, _ = await handling_record(hub, due_in=timedelta(days=30), title="关于开展冬季送温暖活动的通知")
    other_id, _ = await handling_record(hub, office="DHZ", lead="DHZ", title="东湖镇自己的督办件")
    await handling_record(hub, title="未督办的件")
    await hub.supervision.supervise(office, "incoming", late_id, 3, "限期整改")
    await hub.supervision.supervise(office, "incoming", fine_id, None, "按周报送")
    await hub.supervision.supervise(await actor(hub, "dhz.leader"), "incoming", other_id, 7, "督办")
    hub.clock.advance(days=1)
    await hub.supervision.report(await actor(hub, "jyj.clerk1"), "incoming", fine_id, "已部署。")
    hub.clock.advance(days=4)                                        # 5 days on: late_id's report and deadline passed
    board = await hub.supervision.board(office)
    assert board.unit_name == "示范区人民政府办公室"
    rows = {r.record.title: r for r in board.rows}
    assert set(rows) == {"关于整治违规占道经营的通知", "关于开展冬季送温暖活动的通知"}
    late, fine = rows["关于整治违规占道经营的通知"], rows["关于开展冬季送温暖活动的通知"]
    assert (late.handling_overdue_days, late.report_overdue_days) == (3, 2)
    assert late.supervision.last_report_at is None and late.lead_unit == "示范区教育局"
    assert (fine.handling_overdue_days, fine.report_overdue_days) == (0, 0)
    assert fine.supervision.last_report == "已部署。" and fine.supervision.every_days == 7
    assert board.rows[0].record.id == late_id                        # the most overdue first
    with pytest.raises(XietongError):
        await hub.supervision.board(await actor(hub, "bgs.seal"))


async def test_closing_the_record_ends_its_supervision(demo_hub):
    hub = demo_hub
    office = await actor(hub, "bgs.clerk1")
    record_id, _ = await handling_record(hub)
    await hub.supervision.supervise(office, "incoming", record_id, 3, "督办")
    now = hub.clock.now()
    async with hub.store.write() as tx:
        rec = await tx.incoming.get(record_id)
        await apply_move(tx, now, await actor(hub, "jyj.clerk1"), INCOMING, record_id, rec.unit_id, rec.state,
                         "result", note="办理完毕")
        await tx.incoming.set_state(record_id, "handled", now)
    await hub.incoming.close(office, record_id, "办结")            # the road's own close
    async with hub.store.write() as tx:
        assert [s.kind for s in await tx.roads.open_steps_of("incoming", record_id)] == []
        assert (await tx.supervision.get("incoming", record_id)).ended_at == now
        assert not await end_supervision(tx, now, "incoming", record_id)    # ended once
    assert (await hub.supervision.board(office)).rows == []
    hub.clock.advance(days=10)
    await hub.scheduler.run_due()
    assert await deadline_rows(hub, record_id) == []


async def test_the_record_pages_panel_shows_the_office_its_steps_and_chases_and_the_lead_its_report(demo_hub):
    hub = demo_hub
    record_id, step_id = await handling_record(hub)
    office, lead = await actor(hub, "bgs.clerk1"), await actor(hub, "jyj.clerk1")
    await hub.supervision.supervise(office, "incoming", record_id, 3, "督办")
    await hub.road_chase.chase(office, step_id)
    panel = await hub.supervision.panel(office, "incoming", record_id)
    assert panel.can_supervise and panel.supervision is not None and panel.progress_step is None
    assert {s.step.kind for s in panel.steps} == {StepKind.HANDLE, StepKind.PROGRESS}
    handle = next(s for s in panel.steps if s.step.id == step_id)
    assert (handle.chased_today, handle.left_today) == (1, hub.config.incoming.chases_per_day - 1)
    assert len(panel.chases) == 1
    theirs = await hub.supervision.panel(lead, "incoming", record_id)
    assert not theirs.can_supervise and theirs.steps == [] and theirs.chases == []
    assert theirs.progress_step is not None and theirs.progress_step.kind == StepKind.PROGRESS


async def test_a_record_returned_and_sent_again_can_be_supervised_again(demo_hub):
    hub = demo_hub
    office = await actor(hub, "bgs.clerk1")
    record_id, _ = await handling_record(hub)
    now = hub.clock.now()
    async with hub.store.write() as tx:                 # back to 已初审, as if not yet assigned
        await tx.incoming.set_state(record_id, "reviewed", now)
    await hub.supervision.supervise(office, "incoming", record_id, 3, "督办")
    async with hub.store.write() as tx:                 # 退文 (every step ends), then re-sent and signed for
        rec = await tx.incoming.get(record_id)
        await apply_move(tx, now, office, INCOMING, record_id, rec.unit_id, "reviewed", "return", note="缺附件")
        await tx.incoming.set_state(record_id, "registered", now)   # (the resend service's move)
    assert (await hub.supervision.panel(office, "incoming", record_id)).supervision is None
    assert (await hub.supervision.board(office)).rows == []
    sup = await hub.supervision.supervise(office, "incoming", record_id, 5, "重新督办")
    assert sup.every_days == 5 and sup.last_report_at is None


async def test_a_reader_whose_turn_has_not_come_is_not_chased(demo_hub):
    hub = demo_hub
    record_id, _ = await handling_record(hub)
    reader = await hub.identity.user_by_login("bgs.leader")
    async with hub.store.write() as tx:
        waiting = await tx.roads.open_step("incoming", record_id, StepKind.READ, reader.unit_id, hub.clock.now(),
                                           user_id=reader.id, state="waiting")
    with pytest.raises(XietongError) as refused:
        await hub.road_chase.chase(await actor(hub, "bgs.clerk1"), waiting)
    assert refused.value.code == "chase.step_waiting" and "尚未轮到" in refused.value.message("zh")
