"""SMS of the office roads (a deadline rung, a manual chase): outbox rows with a history row and no
event are sent, digested, tracked by status callbacks and by reconciliation, through the real
`twilio` client and the Twilio-compatible simulator."""

from __future__ import annotations

from datetime import timedelta

from tests.service.test_road_deadlines import actor, handling_record
from tests.service.test_urgent_items import issue_extra_urgent


async def phone_of(hub, login: str) -> str:
    return (await hub.identity.user_by_login(login)).phone


async def road_rows(hub, history_id: int) -> dict[str, tuple[str, str]]:
    """login -> (state, error) of the SMS a history row sent."""
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT u.login, o.state, o.error, o.event_id FROM outbox o JOIN users u ON u.id = o.user_id"
            " WHERE o.history_id = ?", (history_id,)) as cur:
        rows = await cur.fetchall()
    assert all(r[3] is None for r in rows)
    return {r[0]: (r[1], r[2]) for r in rows}


async def test_a_deadline_reminder_is_sent_and_its_delivery_tracked(world):
    hub = world.hub
    record_id, _ = await handling_record(hub)
    world.clock.advance(days=2)
    await hub.scheduler.run_due()
    async with hub.store.read() as tx:
        (row,) = [h for h in await tx.roads.history("incoming", record_id) if h.move == "deadline.remind"]
    assert await hub.sms.run_once() == 2
    assert await hub.sms.run_once() == 0                           # never twice
    for login in ("jyj.clerk1", "jyj.clerk2"):
        (msg,) = world.to(await phone_of(hub, login))
        assert msg["body"].startswith("【协同】提醒：收文《关于报送冬季安全生产检查情况的通知》的承办")
    await world.flush()
    assert await road_rows(hub, row.id) == {"jyj.clerk1": ("delivered", ""), "jyj.clerk2": ("delivered", "")}


async def test_a_chase_sms_that_never_arrives_shows_as_undelivered_on_the_panel(world):
    hub = world.hub
    record_id, step_id = await handling_record(hub)
    world.sim.behaviour[await phone_of(hub, "jyj.clerk2")] = "undelivered"
    office = await actor(hub, "bgs.clerk1")
    result = await hub.road_chase.chase(office, step_id, "请尽快办理")
    await hub.sms.run_once()
    await world.flush()
    assert await road_rows(hub, result.chase.history_id) == {"jyj.clerk1": ("delivered", ""),
                                                             "jyj.clerk2": ("undelivered", "30003")}
    (shown,) = await hub.road_chase.chases(office, "incoming", record_id)
    assert sorted(t.status for t in shown.told) == ["delivered", "undelivered"] and shown.trouble


async def test_a_road_sms_and_an_item_notice_for_one_phone_go_out_as_one_digest(world):
    hub = world.hub
    _, step_id = await handling_record(hub, office="BGS", lead="WJJ")
    await issue_extra_urgent(hub, "WJJ", title="第一件通知")
    await hub.sms.run_once()                                       # the item's notice goes at once
    await issue_extra_urgent(hub, "WJJ", title="第二件通知")
    await hub.road_chase.chase(await actor(hub, "bgs.clerk1"), step_id)
    world.clock.advance(timedelta(seconds=121))
    await hub.sms.run_once()
    (first, digest) = world.to(await phone_of(hub, "wjj.clerk1"))
    assert "第一件通知" in first["body"]
    assert digest["body"].startswith("【协同】您有2条新通知：") and "第二件通知" in digest["body"]
    assert "催办" in digest["body"]


async def test_a_road_sms_whose_callback_was_lost_is_reconciled_by_sid(world):
    hub = world.hub
    _, step_id = await handling_record(hub)
    result = await hub.road_chase.chase(await actor(hub, "bgs.clerk1"), step_id)
    await hub.sms.run_once()
    await world.flush(drop=True)                                   # the callbacks never reached us
    assert {s for s, _ in (await road_rows(hub, result.chase.history_id)).values()} == {"queued"}
    world.clock.advance(minutes=hub.config.sms.reconcile_after_minutes + 1)
    await hub.sms.run_once()
    assert {s for s, _ in (await road_rows(hub, result.chase.history_id)).values()} == {"delivered"}
