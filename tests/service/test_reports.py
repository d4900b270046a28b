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
