"""The circular (通报): per-unit figures of a period on a fake clock, the rule naming units with
reasons, and its life — generated (by hand, or the previous month's by itself once), reviewed,
published as an ordinary document that a township's clerk signs for."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.errors import XietongError
from hub.services.circulars import parse_period
from hub.services.demo import DEMO_PASSWORD
from hub.services.stats import month_span
from tests.service.test_urgent_items import actor, unit_ids

NOVEMBER = parse_period("2026-11")
START_OF_DEMO = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)     # last month is November; the demo's later
HISTORY_ENDS = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)     # stages begin on 28 November


async def sign(hub, login: str, item_id: int) -> None:
    clerk = await actor(hub, login)
    view = await hub.items.view(clerk, item_id)
    await hub.items.acknowledge(clerk, view.mine.id)


async def log_in(hub, *logins: str, times: int = 1) -> None:
    for _ in range(times):
        for who in logins:
            await hub.identity.login(who, DEMO_PASSWORD, "10.0.0.9")


async def report(hub, code: str, adopted: bool) -> None:
    """A report sent up (信息报送) as the reports' table holds it."""
    (unit, office) = await unit_ids(hub, code, "BGS")
    sender = await hub.identity.user_by_login(f"{code.lower()}.clerk1")
    now = hub.clock.now().isoformat()
    async with hub.store.write() as tx:
        await tx.conn.execute(
            "INSERT INTO reports (unit_id, to_unit_id, kind, title, sender_id, sent_at, receipt_no, state,"
            " adopted_at) VALUES (?, ?, 'work_news', '工作动态', ?, ?, ?, 'received', ?)",
            (unit, office, sender.id, now, f"R{now}{code}{adopted}", now if adopted else None))


async def a_month_of_november(hub) -> None:
    """Three 加急 items (2 hours to sign for) to 东湖镇, 西山镇 and the education bureau: 东湖镇 signs
    in 10 minutes, 西山镇 in 5 hours (late), the bureau in 30 minutes. 东湖镇's and 西山镇's three
    people log in twice each; the bureau's clerk once. 东湖镇 sends two reports up, one adopted."""
    sender = await actor(hub, "bgs.clerk1")
    units = tuple(await unit_ids(hub, "DHZ", "XSZ", "JYJ"))
    for day in range(3):
        item = await hub.items.issue(sender, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT,
                                                       title=f"关于第{day + 1}项工作的通知", body="请签收。",
                                                       main_units=units))
        start = hub.clock.now()
        hub.clock.set(start + timedelta(minutes=10))
        await sign(hub, "dhz.clerk1", item.id)
        hub.clock.set(start + timedelta(minutes=30))
        await sign(hub, "jyj.clerk1", item.id)
        hub.clock.set(start + timedelta(hours=5))
        await sign(hub, "xsz.clerk1", item.id)
        hub.clock.set(start + timedelta(days=1))
    await log_in(hub, "dhz.clerk1", "dhz.clerk2", "dhz.leader", "xsz.clerk1", "xsz.clerk2", "xsz.leader", times=2)
    await log_in(hub, "jyj.clerk1")
    await report(hub, "DHZ", adopted=True)
    await report(hub, "DHZ", adopted=False)


async def test_the_figures_of_a_month_per_unit_times_overdue_logins_active_people_and_reports(demo_hub):
    await a_month_of_november(demo_hub)
    figures = {f.unit_id: f for f in await demo_hub.stats.period(*month_span(2026, 11))}
    dhz, xsz, jyj, nqz = await unit_ids(demo_hub, "DHZ", "XSZ", "JYJ", "NQZ")
    assert (figures[dhz].received, figures[dhz].acknowledged, figures[dhz].median_minutes,
            figures[dhz].overdue) == (3, 3, 10.0, 0)
    assert (figures[xsz].median_minutes, figures[xsz].p90_minutes, figures[xsz].overdue) == (300.0, 300.0, 3)
    assert (figures[dhz].logins, figures[dhz].active_users, figures[dhz].people) == (6, 3, 4)   # dh.admin is of 东湖镇 too
    assert (figures[jyj].logins, figures[jyj].active_users) == (1, 1)
    assert (figures[dhz].reports_sent, figures[dhz].reports_adopted) == (2, 1)
    assert (figures[nqz].received, figures[nqz].logins, figures[nqz].active_users) == (0, 0, 0)
    # nothing happened in December
    december = await demo_hub.stats.period(*month_span(2026, 12))
    assert all(f.logins == 0 and f.active_users == 0 for f in december)


async def test_the_monthly_draft_appears_once_names_slow_and_little_used_units_with_reasons(demo_hub):
    await a_month_of_november(demo_hub)
    demo_hub.clock.set(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    office = await actor(demo_hub, "bgs.clerk1")
    (draft,) = await demo_hub.circulars.list(office)
    assert (await demo_hub.circulars.list(office))[0].row.id == draft.row.id     # once per month
    assert len(await demo_hub.circulars.list(await actor(demo_hub, "admin"))) == 1
    assert draft.row.state == "draft" and draft.row.created_by is None
    assert (draft.period.first.isoformat(), draft.period.last.isoformat()) == ("2026-11-01", "2026-11-30")
    assert draft.row.title == "关于2026年11月电子政务专网公文签收及系统使用情况的通报"
    named = {(n.name, n.kind): n.reasons for n in draft.named}
    assert named[("西山镇人民政府", "slow")] == ("签收用时中位数300分钟（标准：不超过240分钟）",
                                             "逾期签收占100%（标准：不超过20%）")
    assert named[("示范区教育局", "idle")] == ("活跃人员占本单位人员33.3%（标准：不低于50%）",
                                          "登录1次（标准：不少于5次）")
    assert ("南桥镇人民政府", "idle") in named                           # nobody there logged in at all
    assert not {k for k in named if k[0] == "东湖镇人民政府"}            # quick and everybody in
    assert "依据电子政务专网运行管理规定" in draft.text and "对以下单位予以通报：" in draft.text
    assert "　　西山镇人民政府：签收用时中位数300分钟" in draft.text
    assert all(u["name"] != "示范区人民政府办公室" for u in draft.frozen["units"])   # not the office itself


async def test_reviewed_and_published_it_reaches_every_unit_and_a_township_clerk_signs_for_it(demo_hub):
    await a_month_of_november(demo_hub)
    demo_hub.clock.set(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    office = await actor(demo_hub, "bgs.clerk1")
    draft = await demo_hub.circulars.generate(office, NOVEMBER)
    edited = await demo_hub.circulars.edit(office, draft.row.id, "关于11月份专网使用情况的通报",
                                           "为推动各单位及时签收办理，区政府办公室对11月份情况进行了抽查。")
    assert edited.text.startswith("各镇人民政府，区政府各部门：\n\n为推动各单位及时签收办理")
    again = await demo_hub.circulars.regenerate(office, draft.row.id)
    assert again.row.title == "关于11月份专网使用情况的通报" and again.frozen == draft.frozen

    with pytest.raises(XietongError) as refused:          # the super admin reviews, a clerk publishes
        await demo_hub.circulars.publish(await actor(demo_hub, "admin"), draft.row.id)
    assert refused.value.code == "circular.publish_by_clerk"
    published, item = await demo_hub.circulars.publish(office, draft.row.id)
    assert published.row.state == "published" and published.row.item_id == item.id
    assert item.doc_kind == "通报" and item.title == "关于11月份专网使用情况的通报"
    async with demo_hub.store.read() as tx:
        units = {d.unit_id for d in await tx.deliveries.for_item(item.id)}
        (sheet,) = await tx.items.attachments(item.id)
    assert units == set(await unit_ids(demo_hub, "DHZ", "XSZ", "NQZ", "JYJ", "WJJ", "DHZDZB", "DHZJFB"))
    assert sheet.name == "通报统计表.xlsx"

    clerk = await actor(demo_hub, "xsz.clerk1")
    (entry,) = [e for e in await demo_hub.items.inbox(clerk) if e.item.id == item.id]
    assert "西山镇人民政府：签收用时中位数300分钟" in entry.item.body
    await sign(demo_hub, "xsz.clerk1", item.id)
    assert (await demo_hub.items.view(clerk, item.id)).mine.receipt_no

    for again_ in (demo_hub.circulars.publish(office, draft.row.id),
                   demo_hub.circulars.edit(office, draft.row.id, "新标题", "")):
        with pytest.raises(XietongError) as twice:
            await again_
        assert twice.value.code == "circular.published"


async def test_an_empty_period_gives_a_circular_that_says_so(demo_hub):
    office = await actor(demo_hub, "bgs.clerk1")
    empty = await demo_hub.circulars.generate(office, parse_period("2026-01"))
    assert "本期没有向各单位下发的事项，无签收统计数据。" in empty.text
    assert all(u["received"] == 0 and u["median_minutes"] is None for u in empty.frozen["units"])


async def test_only_the_office_keeps_circulars_and_bad_periods_are_refused(demo_hub):
    with pytest.raises(XietongError) as other:
        await demo_hub.circulars.list(await actor(demo_hub, "dhz.clerk1"))
    assert other.value.code == "circular.office_only"
    draft = await demo_hub.circulars.generate(await actor(demo_hub, "bgs.clerk1"), NOVEMBER)
    with pytest.raises(XietongError) as denied:
        await demo_hub.circulars.get(await actor(demo_hub, "dhz.clerk1"), draft.row.id)
    assert denied.value.code == "perm.denied"
    for bad in ({"month": "2026-13"}, {"first": "2026-11-05", "last": "2026-11-01"}, {"first": "x", "last": ""},
                {"first": "2025-01-01", "last": "2026-06-01"}):
        with pytest.raises(XietongError) as wrong:
            parse_period(**bad)
        assert wrong.value.code == "circular.bad_period"


async def test_the_demos_month_of_history_names_the_slow_township_and_the_idle_bureau(hub):
    import time

    from hub.services.demo import load_demo
    from hub.services.demo_history import load_demo_history

    await load_demo(hub.identity)
    began = time.perf_counter()
    notices = await load_demo_history(hub, START_OF_DEMO, HISTORY_ENDS)
    assert time.perf_counter() - began < 3.0
    assert notices == 20                                   # November's working days before the 28th
    hub.clock.set(START_OF_DEMO)
    draft = await hub.circulars.ensure_monthly()
    assert (draft.period.first.isoformat(), draft.period.last.isoformat()) == ("2026-11-01", "2026-11-30")
    named = {(n.name, n.kind) for n in draft.named}
    assert ("南桥镇人民政府", "slow") in named and ("示范区卫生健康局", "idle") in named
    assert not {n for n in named if n[0] in ("东湖镇人民政府", "西山镇人民政府", "示范区教育局")}
    nqz = next(u for u in draft.frozen["units"] if u["name"] == "南桥镇人民政府")
    assert nqz["received"] == 20 and nqz["overdue"] > 10 and nqz["chased"] > 10


def test_the_command_line_generates_a_months_draft_once_and_lists_it(demo_template, tmp_path, monkeypatch, capsys):
    import shutil

    from webapp.cli import main

    db = tmp_path / "x.db"
    shutil.copy(demo_template, db)
    monkeypatch.setenv("XIETONG_STORE_PATH", str(db))
    monkeypatch.setenv("XIETONG_OTP_KEY_FILE", str(tmp_path / "otp.key"))
    assert main(["circular", "generate", "--month", "2026-11"]) == 0
    first = capsys.readouterr().out
    assert "circular 1 (draft): 关于2026年11月电子政务专网公文签收及系统使用情况的通报" in first
    assert "2026-11-01 .. 2026-11-30; 7 units" in first
    assert main(["circular", "generate", "--month", "2026-11"]) == 0     # once per month
    assert "circular 1 (draft)" in capsys.readouterr().out
    assert main(["circular", "generate", "--month", "2026-13"]) == 1
    assert "统计时段有误" in capsys.readouterr().err
    assert main(["circular", "list"]) == 0
    assert "2026-11-01..2026-11-30\tdraft" in capsys.readouterr().out
