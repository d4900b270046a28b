"""Reports upward (信息报送): the store's part so far — a report never exists without its receipt."""

import asyncio

from hub.domain.calendar import CST
from hub.domain.reports import Kind, State, first_state
from tests.service.test_urgent_items import unit_ids


async def send(hub, code: str, kind: Kind, title: str):
    (unit, office) = await unit_ids(hub, code, "BGS")
    sender = await hub.identity.user_by_login(f"{code.lower()}.clerk1")
    now = hub.clock.now()
    async with hub.store.write() as tx:
        return await tx.reports.add(unit, office, kind, title, "", sender.id, now, now.astimezone(CST).date(),
                                    first_state(kind), None)


async def test_a_report_is_stored_with_its_receipt_number_of_the_day(demo_hub) -> None:
    got = await send(demo_hub, "XSZ", Kind.REQUEST, "关于修缮西山小学校舍的请示")
    day = demo_hub.clock.now().astimezone(CST).date()
    assert got.receipt_no == f"BS{day:%Y%m%d}-0001"
    assert got.state is State.AWAITING


async def test_receipt_numbers_stay_gapless_when_townships_send_at_once(demo_hub) -> None:
    sent = await asyncio.gather(*(send(demo_hub, code, Kind.WORK_NEWS, f"动态{i}")
                                  for i, code in enumerate(["XSZ", "NQZ"] * 3)))
    numbers = sorted(int(r.receipt_no.rsplit("-", 1)[1]) for r in sent)
    assert numbers == [1, 2, 3, 4, 5, 6]
    async with demo_hub.store.read() as tx:
        (xsz, office) = await unit_ids(demo_hub, "XSZ", "BGS")
        assert len(await tx.reports.sent_by(xsz)) == 3
        assert len(await tx.reports.received_by(office)) == 6


async def test_a_township_sends_up_to_the_office_and_may_not_send_sideways(demo_hub) -> None:
    from hub.errors import XietongError
    from tests.service.test_urgent_items import actor

    svc = demo_hub.reports
    clerk = await actor(demo_hub, "xsz.clerk1")
    (nqz, office) = await unit_ids(demo_hub, "NQZ", "BGS")
    got = await svc.send(clerk, "request", "关于修路的请示")
    assert got.to_unit_id == office and got.receipt_no.startswith("BS")
    for kind, title, to in [("memo", "x", None), ("work_news", "  ", None), ("work_news", "动态", nqz)]:
        try:
            await svc.send(clerk, kind, title, to_unit_id=to)
            raise AssertionError("accepted")
        except XietongError:
            pass
    async with demo_hub.store.read() as tx:
        assert len(await tx.reports.received_by(office)) == 1


async def test_the_office_adopts_a_report_once_and_the_unit_sees_where(demo_hub) -> None:
    from hub.errors import XietongError
    from tests.service.test_urgent_items import actor

    svc = demo_hub.reports
    sent = await svc.send(await actor(demo_hub, "nqz.clerk1"), "work_news", "南桥镇秋收进度")
    bgs = await actor(demo_hub, "bgs.clerk1")
    try:
        await svc.adopt(await actor(demo_hub, "xsz.clerk1"), sent.id, "x")
        raise AssertionError("another township adopted")
    except XietongError:
        pass
    got = await svc.adopt(bgs, sent.id, "《示范区政务信息》2026年第12期")
    assert got.adopted_at is not None and got.adopted_in == "《示范区政务信息》2026年第12期"
    try:
        await svc.adopt(bgs, sent.id, "again")
        raise AssertionError("adopted twice")
    except XietongError as e:
        assert e.code == "report.already_adopted"


# --- a 请示 expects its 批复 on the escalation schedule ------------------------------------------------

async def answer_texts(hub, report_id: int) -> dict[str, list[str]]:
    """rung -> the logins texted for it (the outbox rows of the report's deadline history)."""
    out: dict[str, list[str]] = {}
    async with hub.store.read() as tx:
        for h in await tx.roads.history("report", report_id):
            if h.move.startswith("deadline."):
                async with tx.conn.execute(
                        "SELECT u.login FROM outbox o JOIN users u ON u.id = o.user_id WHERE o.history_id = ?"
                        " ORDER BY u.login", (h.id,)) as cur:
                    out[h.data["rung"]] = [r[0] for r in await cur.fetchall()]
    return out


async def test_a_request_is_due_for_its_answer_in_five_working_days_and_the_office_is_reminded(demo_hub) -> None:
    from datetime import date, timedelta

    from hub.services.todo import TodoKind, todo_list
    from tests.service.test_urgent_items import actor

    hub = demo_hub
    sent = await hub.reports.send(await actor(hub, "xsz.clerk1"), "request", "关于修缮西山小学校舍的请示",
                                  "校舍漏雨，请拨付维修资金。")
    # sent on Tuesday 24 November: five working days on, the end of Tuesday 1 December
    assert sent.answer_due_at is not None and sent.answer_due_at.astimezone(CST).date() == date(2026, 12, 1)
    office = await actor(hub, "bgs.clerk1")
    todo = (await todo_list(hub.store, hub.documents, office)).of(TodoKind.ANSWER)
    assert [(e.title, e.href, e.due_at) for e in todo] == [("关于修缮西山小学校舍的请示", f"/reports/{sent.id}",
                                                            sent.answer_due_at)]
    assert "请示" in todo[0].detail and sent.receipt_no in todo[0].detail
    township = await actor(hub, "xsz.clerk1")
    assert (await todo_list(hub.store, hub.documents, township)).of(TodoKind.ANSWER) == []

    until_remind = sent.answer_due_at - timedelta(days=1) - hub.clock.now()
    hub.clock.advance(seconds=until_remind.total_seconds() - 60)
    await hub.scheduler.run_due()
    assert await answer_texts(hub, sent.id) == {}                 # a minute before the reminder
    hub.clock.advance(minutes=2)
    await hub.scheduler.run_due()
    texts = await answer_texts(hub, sent.id)
    assert texts == {"remind": ["bgs.clerk1", "bgs.clerk2"]}
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT body FROM outbox WHERE user_id = ? ORDER BY id DESC LIMIT 1", (office.user_id,)) as cur:
        body = (await cur.fetchone())[0]
    assert "请示《关于修缮西山小学校舍的请示》的批复" in body
    hub.clock.advance(days=1)
    await hub.scheduler.run_due()
    assert "leader" in await answer_texts(hub, sent.id)          # at the due time: the office's leaders


async def test_other_kinds_open_no_answer_step(demo_hub) -> None:
    from tests.service.test_urgent_items import actor

    sent = await demo_hub.reports.send(await actor(demo_hub, "nqz.clerk1"), "work_news", "南桥镇秋收进度")
    assert sent.answer_due_at is None and sent.state is State.RECEIVED
    async with demo_hub.store.read() as tx:
        assert await tx.roads.open_steps_of("report", sent.id) == []
        assert [h.move for h in await tx.roads.history("report", sent.id)] == ["send"]


# --- the 批复 links back ------------------------------------------------------------------------------

async def test_the_office_answers_a_request_with_an_urgent_item_to_the_township(demo_hub) -> None:
    from hub.errors import XietongError
    from tests.service.test_urgent_items import actor

    hub = demo_hub
    township, office = await actor(hub, "xsz.clerk1"), await actor(hub, "bgs.clerk1")
    sent = await hub.reports.send(township, "request", "关于修缮西山小学校舍的请示")
    hub.clock.advance(hours=3)
    got, item = await hub.reports.answer(office, sent.id, "同意拨付维修资金20万元。")
    assert got.state is State.ANSWERED and got.answer_item_id == item.id and got.answered_at == hub.clock.now()
    assert item.title == "关于《关于修缮西山小学校舍的请示》的批复" and item.urgency.value == "urgent"
    (xsz,) = await unit_ids(hub, "XSZ")
    async with hub.store.read() as tx:
        deliveries = await tx.deliveries.for_item(item.id)
        assert [d.unit_id for d in deliveries] == [xsz] and deliveries[0].is_open    # to sign for, as usual
        assert await tx.roads.open_steps_of("report", sent.id) == []
        steps = await tx.roads.steps_of("report", sent.id)
        assert [(s.kind, s.state, s.done_by) for s in steps] == [("answer", "done", office.user_id)]
        assert await tx.timers.road_step_timers(steps[0].id) == []    # no reminder after the answer
        async with tx.conn.execute("SELECT action FROM audit_log WHERE target = ? ORDER BY id",
                                   (f"report:{sent.id}",)) as cur:
            assert [r[0] for r in await cur.fetchall()] == ["report.send", "report.answer"]
    assert (await hub.reports.of_answer_item(township, item.id)).id == sent.id
    for who, rid, code in [(office, sent.id, "report.already_answered"),
                           (township, sent.id, "report.not_receiving_office")]:
        try:
            await hub.reports.answer(who, rid, "再次批复")
            raise AssertionError("answered")
        except XietongError as e:
            assert e.code == code
    news = await hub.reports.send(township, "work_news", "西山镇动态")
    try:
        await hub.reports.answer(office, news.id, "x")
        raise AssertionError("answered a work news")
    except XietongError as e:
        assert e.code == "report.not_a_request"
        assert e.message("zh") == "只有请示需要批复，该信息不是请示。"
        assert e.message("en") == "Only a request (请示) takes an answer (批复)."
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT count(*) FROM items WHERE title LIKE '关于《%》的批复'") as cur:
        assert (await cur.fetchone())[0] == 1                     # nothing stored by the refusals


# --- files ----------------------------------------------------------------------------------------

async def test_a_report_carries_its_files_to_the_office_and_no_further(demo_hub) -> None:
    from hub.domain.items import Attachment
    from hub.errors import XietongError
    from tests.service.test_urgent_items import actor

    hub = demo_hub
    township = await actor(hub, "xsz.clerk1")
    pdf = Attachment("校舍照片.pdf", b"%PDF-1.4 photos", "application/pdf")
    sent = await hub.reports.send(township, "request", "关于修缮西山小学校舍的请示", files=[pdf])
    view = await hub.reports.view(await actor(hub, "bgs.clerk1"), sent.id)
    assert [(f.name, f.size) for f in view.files] == [("校舍照片.pdf", len(pdf.content))]
    info, content = await hub.reports.file(township, view.files[0].id)
    assert content == pdf.content and info.content_type == "application/pdf"
    for login in ("nqz.clerk1", "jyj.clerk1"):
        for call in (hub.reports.file(await actor(hub, login), view.files[0].id),
                     hub.reports.view(await actor(hub, login), sent.id)):
            try:
                await call
                raise AssertionError("another unit saw it")
            except XietongError as e:
                assert e.status == 404
    big = Attachment("全景.jpg", b"x" * (3072 * 1024 + 1), "image/jpeg")
    for files, code in [([big], "item.attachments_too_large"), ([Attachment("a/b.pdf", b"1")], "item.bad_attachment_name"),
                        ([Attachment("秘密文件.pdf", b"1")], "item.classified")]:
        try:
            await hub.reports.send(township, "report", "关于秋收的报告", files=files)
            raise AssertionError("accepted")
        except XietongError as e:
            assert e.code == code
    async with hub.store.read() as tx:
        assert len(await tx.reports.sent_by(sent.unit_id)) == 1        # nothing stored half-done


# --- the figures ------------------------------------------------------------------------------------

async def test_the_office_scores_each_unit_on_sent_adopted_and_answered_on_time(demo_hub) -> None:
    from hub.services.stats import period_figures
    from tests.service.test_urgent_items import actor

    hub = demo_hub
    xsz, office = await actor(hub, "xsz.clerk1"), await actor(hub, "bgs.clerk1")
    on_time = await hub.reports.send(xsz, "request", "请示一")
    late = await hub.reports.send(xsz, "request", "请示二")
    await hub.reports.send(xsz, "request", "请示三")                      # never answered
    news = await hub.reports.send(xsz, "work_news", "西山镇动态")
    await hub.reports.adopt(office, news.id, "《政务信息》第3期")
    await hub.reports.answer(office, on_time.id, "同意。")
    hub.clock.advance(days=9)                                             # past the due time (1 December)
    await hub.reports.answer(office, late.id, "同意。")
    period, rows = await hub.reports.figures(office, "2026-11-01", "2026-12-31")
    assert period.first.isoformat() == "2026-11-01"
    by_unit = {r.unit: r for r in rows}
    f = by_unit["西山镇人民政府"].figures
    assert (f.sent, f.adopted, f.on_time, f.late, f.overdue) == (4, 1, 1, 1, 1)
    assert by_unit["西山镇人民政府"].score == 4 * 1 + 1 * 3 + 1 * 2 - 1 - 2
    assert rows[0].unit == "西山镇人民政府" and by_unit["南桥镇人民政府"].score == 0
    assert "示范区政府总值班室" not in by_unit and "示范区人民政府办公室" not in by_unit
    async with hub.store.read() as tx:                                   # the circular's and /metrics' numbers
        stats = {u.unit_id: u for u in await period_figures(tx, period.since, period.until, hub.clock.now())}
    s = stats[by_unit["西山镇人民政府"].unit_id]
    assert (s.reports_sent, s.reports_adopted) == (f.sent, f.adopted)


async def test_the_office_leader_chases_the_answer_of_a_request_by_hand(demo_hub) -> None:
    """The 请示's ANSWER step is an ordinary road step: the manual chase (催办) finds its record too."""
    from tests.service.test_urgent_items import actor

    hub = demo_hub
    sent = await hub.reports.send(await actor(hub, "dhz.clerk1"), "request", "关于增设消防站的请示")
    async with hub.store.read() as tx:
        (step,) = await tx.roads.open_steps_of("report", sent.id)
    result = await hub.road_chase.chase(await actor(hub, "bgs.leader"), step.id, "请尽快批复。")
    assert sorted(t.name for t in result.chase.told) == sorted(
        u.name for u in [await hub.identity.user_by_login("bgs.clerk1"), await hub.identity.user_by_login("bgs.clerk2")])
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT body FROM outbox WHERE history_id = ?", (result.chase.history_id,)) as cur:
        body = (await cur.fetchone())[0]
    assert "请示《关于增设消防站的请示》" in body and "批复" in body
