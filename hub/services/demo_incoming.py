"""The demo's received documents (收文) of 东湖镇, at every stage of the incoming road.

Written by the real services (items, incoming, circulation, supervision) on the demo's fake clock,
which runs through the past days and stops at each deadline rung the scheduler has due: what is on
record is what the live system would have written. The district's office (bgs.clerk1) issues the
documents, 东湖镇's clerk (dhz.clerk1) signs for and registers them, its leader (dhz.leader)
instructs, 党政办 and 经发办 handle and assist.

The leader's instructions are confirmed with a one-time code in the live system; the demo's past
takes the leader's code as given (the demo leader has no authenticator bound, so a newcomer can
bind one and instruct the waiting document with a real code).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.clock import FakeClock
from hub.domain.identity import Actor
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.services.incoming import IncomingService
from hub.store.incoming import Incoming
from hub.store.roads import RoadStep

if TYPE_CHECKING:
    from hub.app import Hub

INCOMING_PAST = timedelta(days=6)     # the first of these documents came six days before
_BODY = "东湖镇人民政府：\n请认真研究，按要求抓紧办理，并及时报送办理情况。"


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    urgency: Urgency
    doc_number: str
    hours_before: float      # when the district issued it, before the demo's end


# (the title shows its stage in the README's walk)
STAGES = [
    Stage("closed", "关于做好元旦春节期间走访慰问困难群众工作的通知", Urgency.ORDINARY, "示政办发〔2026〕101号", 140),
    Stage("overdue", "关于报送2026年度安全生产工作总结的通知", Urgency.URGENT, "示政办发〔2026〕102号", 130),
    Stage("handling", "关于做好冬春农田水利基本建设工作的通知", Urgency.ORDINARY, "示政办发〔2026〕104号", 70),
    Stage("circulating", "关于印发《示范区2027年重点工作任务分解方案》的通知", Urgency.ORDINARY,
          "示政办发〔2026〕105号", 50),
    Stage("proposed", "关于开展农村集体“三资”清理规范工作的通知", Urgency.URGENT, "示政办发〔2026〕106号", 26),
    Stage("registered", "关于做好2027年度征兵工作的通知", Urgency.ORDINARY, "示政办发〔2026〕107号", 3),
]
READERS = ("dhz.clerk2", "dhz.leader", "dhzdzb.clerk")     # the circulation's; the last has read it


async def _given(actor: Actor, code: str, purpose: str, target: str) -> None:
    """The demo's past: the leader's one-time code is taken as given (see the module's note)."""


async def load_demo_incoming(hub: Hub, end: datetime) -> dict[str, Incoming]:
    """东湖镇's received documents at every stage, up to `end`: one closed (handled by 党政办, result
    written, 办结), one overdue (经发办's deadline passed: reminded, its leaders and the office told by
    the schedule; under supervision), one in handling (党政办 leads, 经发办's opinion in), one
    circulating (three readers, one has read it), one proposed and waiting for the leader's 批示, one
    just registered. `hub` runs on a FakeClock without its background tasks; the records by stage."""
    clock = hub.clock
    assert isinstance(clock, FakeClock), "the demo's past needs a clock it can move"
    start = end - INCOMING_PAST
    units = {u.code: u.id for u in await hub.identity.units()}
    incoming = IncomingService(hub.store, clock, hub.config, hub.calendar, hub.items, _given)

    async def as_user(login: str) -> Actor:
        return await hub.identity.actor((await hub.identity.user_by_login(login)).id, "demo")

    sender, clerk, leader = await as_user("bgs.clerk1"), await as_user("dhz.clerk1"), await as_user("dhz.leader")
    dzb, jfb = await as_user("dhzdzb.clerk"), await as_user("dhzjfb.clerk")
    records: dict[str, Incoming] = {}
    plan: list[tuple[datetime, Callable[[], Awaitable[object]]]] = []

    def at(hours_before: float, action: Callable[[], Awaitable[object]]) -> None:
        plan.append((end - timedelta(hours=hours_before), action))

    def rid(key: str) -> int:
        return records[key].id

    for stage in STAGES:
        async def arrive(stage: Stage = stage) -> None:      # issued, signed for on the web, registered
            item = await hub.items.issue(sender, ItemDraft(
                kind=ItemKind.DOCUMENT, urgency=stage.urgency, title=stage.title, body=_BODY,
                main_units=(units["DHZ"],), doc_number=stage.doc_number, doc_kind="通知",
                issuing_office="示范区人民政府办公室"))
            view = await hub.items.view(clerk, item.id)
            assert view.mine is not None
            await hub.items.acknowledge(clerk, view.mine.id)
            clock.advance(minutes=20)
            records[stage.key] = await incoming.register_delivery(clerk, view.mine.id)
        at(stage.hours_before, arrive)

    def through_instruction(key: str, hours: float, handling: str, proposal: str, instruction: str) -> None:
        async def review() -> None:
            await incoming.review(clerk, rid(key), "来文要素齐全，格式规范。")
        async def propose() -> None:
            await incoming.propose(clerk, rid(key), handling, proposal)
        async def instruct() -> None:
            await incoming.instruct(leader, rid(key), instruction, "demo")
        at(hours - 1, review)
        at(hours - 2, propose)
        at(hours - 4, instruct)

    def assign(key: str, hours: float, lead: str, lead_due_hours: float, assisting: str | None = None) -> None:
        async def go() -> None:
            due = end + timedelta(hours=lead_due_hours)
            await incoming.assign(clerk, rid(key), [(units[lead], due)],
                                  [(units[assisting], due)] if assisting else [], "请按领导批示办理。")
        at(hours, go)

    # 办结: 党政办 handled it, the office closed it
    through_instruction("closed", 140, "act", "拟请党政办牵头落实走访慰问工作。", "同意，请党政办抓紧落实，确保节前完成。")
    assign("closed", 135, "DHZDZB", 48)

    async def closed_result() -> None:
        await incoming.result(dzb, rid("closed"), "已制定走访慰问方案，慰问困难群众86户，慰问金已全部发放到位。")
    async def closed_close() -> None:
        await incoming.close(clerk, rid("closed"), "办理完毕，归档。")
    at(100, closed_result)
    at(98, closed_close)

    # overdue: 经发办's deadline passed yesterday; the schedule reminded it, told its leaders, the office
    through_instruction("overdue", 130, "act", "拟请经发办汇总全镇安全生产工作情况，按时报送。",
                        "同意，请经发办抓紧汇总报送。")
    assign("overdue", 125, "DHZJFB", -26)

    # in handling: 党政办 leads, 经发办 assists and has sent its opinion
    through_instruction("handling", 70, "act", "拟请党政办牵头，经发办配合，制定冬春农田水利建设计划。",
                        "同意拟办意见，请党政办牵头抓好落实。")
    assign("handling", 65, "DHZDZB", 5 * 24, "DHZJFB")

    async def handling_opinion() -> None:
        await incoming.assist(jfb, rid("handling"), "经发办意见：建议优先安排东湖片区灌溉渠道清淤，所需资金约12万元。")
    at(30, handling_opinion)

    # circulating: for information, the leader asked for it to be read; one of three has read it
    through_instruction("circulating", 50, "read", "拟送镇领导及党政办阅知。", "请相关同志传阅。")

    async def circulate() -> None:
        ids = [(await hub.identity.user_by_login(login)).id for login in READERS]
        await hub.circulation.circulate(clerk, rid("circulating"), ids, "请阅知2027年重点工作任务分解方案。")
    async def one_read() -> None:
        mine = [s for s in await _open_steps(hub, rid("circulating")) if s.user_id == dzb.user_id]
        await hub.circulation.read(dzb, mine[0].id, "已阅，党政办将按方案抓好落实。")
    at(44, circulate)
    at(20, one_read)

    # proposed: waiting for the leader's 批示 (dhz.leader's to-do)
    async def proposed_review() -> None:
        await incoming.review(clerk, rid("proposed"), "来文要素齐全。")
    async def proposed_propose() -> None:
        await incoming.propose(clerk, rid("proposed"), "act", "拟请经发办牵头，党政办配合开展“三资”清理。")
    at(25, proposed_review)
    at(24, proposed_propose)

    async def supervise() -> None:       # the office puts the overdue one under supervision
        await hub.supervision.supervise(clerk, "incoming", rid("overdue"), 7, "安全生产总结须按时报送，请经发办每周报告进展。")
    at(12, supervise)

    plan.sort(key=lambda p: p[0])
    clock.set(start)
    for when, action in plan:
        await _run_until(hub, when)
        await action()
    await _run_until(hub, end)
    async with hub.store.read() as tx:
        for key, record in list(records.items()):
            fresh = await tx.incoming.get(record.id)
            assert fresh is not None
            records[key] = fresh
    return records


async def _open_steps(hub: Hub, record_id: int) -> list[RoadStep]:
    async with hub.store.read() as tx:
        return await tx.roads.open_steps_of("incoming", record_id)


async def _run_until(hub: Hub, when: datetime) -> None:
    """Move the clock to `when`, stopping at every timer due before it, so each deadline rung runs
    at its own time, as the live scheduler would have run it."""
    clock = hub.clock
    assert isinstance(clock, FakeClock)
    while True:
        async with hub.store.read() as tx:
            earliest = await tx.timers.earliest()
        if earliest is None or earliest > when:
            break
        clock.set(max(earliest, clock.now()))
        if not await hub.scheduler.run_due():
            raise RuntimeError(f"a timer due at {earliest} that the scheduler does not run")
    clock.set(max(when, clock.now()))
    await hub.scheduler.run_due()
