"""The road engine on a real store: a move is made only by who holds its step, closes that step and
its deadline timers, cancels the steps it ends, writes one history row and one audit row, and opens
the next steps with their rungs on the one schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.app import Hub
from hub.domain.identity import Actor, Role
from hub.domain.incoming import INCOMING, Registration, Source, State
from hub.domain.roads import StepKind, parse_road_ladder
from hub.errors import XietongError
from hub.services.roads import NewStep, apply_move, open_step

LADDER = parse_road_ladder("remind@-1d, leader@0, office@1d")


async def _actor(hub: Hub, login: str) -> Actor:
    user = await hub.identity.user_by_login(login)
    assert user is not None
    return await hub.identity.actor(user.id, "10.0.0.8")


async def _record(hub: Hub, clerk: Actor) -> int:
    now = hub.clock.now()
    reg = Registration("示范区人民政府办公室", "关于做好防汛工作的通知", "urgent", date(2026, 1, 5), source=Source.PAPER)
    async with hub.store.write() as tx:
        seq = await tx.incoming.next_number(clerk.unit_id, now.year)
        record_id = await tx.incoming.add(clerk.unit_id, now.year, seq, reg, now + timedelta(days=10),
                                          State.REGISTERED, clerk.user_id, now)
        await open_step(tx, now, INCOMING.name, record_id, NewStep(StepKind.REVIEW, clerk.unit_id))
    return record_id


async def test_only_who_holds_the_step_moves_and_a_second_click_is_refused(demo_hub: Hub) -> None:
    hub = demo_hub
    clerk, other_unit, leader = (await _actor(hub, "dhz.clerk1"), await _actor(hub, "xsz.clerk1"),
                                 await _actor(hub, "dhz.leader"))
    record_id = await _record(hub, clerk)
    now = hub.clock.now()
    for stranger in (other_unit, leader):       # another unit's clerk; the unit's leader (not a clerk's step)
        with pytest.raises(XietongError) as err:
            async with hub.store.write() as tx:
                await apply_move(tx, now, stranger, INCOMING, record_id, clerk.unit_id, State.REGISTERED, "review")
        assert err.value.code == "road.not_your_step"
    async with hub.store.write() as tx:
        moved = await apply_move(tx, now, clerk, INCOMING, record_id, clerk.unit_id, State.REGISTERED, "review",
                                 new_steps=[NewStep(StepKind.PROPOSE, clerk.unit_id)])
    assert moved.state == State.REVIEWED and moved.done_step is not None and moved.units == {clerk.unit_id}
    with pytest.raises(XietongError) as err:    # the same click again: its step is done
        async with hub.store.write() as tx:
            await apply_move(tx, now, clerk, INCOMING, record_id, clerk.unit_id, State.REGISTERED, "review")
    assert err.value.code == "road.not_your_step"
    async with hub.store.read() as tx:
        steps = await tx.roads.steps_of(INCOMING.name, record_id)
        history = await tx.roads.history(INCOMING.name, record_id)
        audit = await tx.audit.page(None, 50, "incoming.")
    assert [(s.kind, s.state, s.done_by) for s in steps] == [("review", "done", clerk.user_id),
                                                           ("propose", "open", None)]
    assert [(h.move, h.from_state, h.to_state, h.actor_name) for h in history] == [
        ("review", "registered", "reviewed", clerk.name)]
    assert [(a.action, a.target, a.actor_id) for a in audit] == [("incoming.review", f"incoming:{record_id}",
                                                                 clerk.user_id)]


async def test_a_deadline_puts_its_rungs_on_the_schedule_and_closing_the_step_takes_them_off(demo_hub: Hub) -> None:
    hub = demo_hub
    clerk = await _actor(hub, "dhz.clerk1")
    record_id = await _record(hub, clerk)
    now = hub.clock.now()
    due = now + timedelta(days=5)
    async with hub.store.write() as tx:
        step_id = await open_step(tx, now, INCOMING.name, record_id,
                                  NewStep(StepKind.HANDLE, clerk.unit_id, due_at=due), LADDER)
        timers = await tx.timers.road_step_timers(step_id)
    assert [(t.kind, t.due_at) for t in timers] == [("road_remind", due - timedelta(days=1)),
                                                   ("road_leader", due), ("road_office", due + timedelta(days=1))]
    # a move that ends the record cancels every open step, and their timers with them
    async with hub.store.write() as tx:
        await tx.roads.finish_step((await tx.roads.open_steps_of(INCOMING.name, record_id))[0].id, "done", now)
    async with hub.store.write() as tx:
        moved = await apply_move(tx, now, clerk, INCOMING, record_id, clerk.unit_id, State.REGISTERED, "return",
                                 note="缺少附件")
        left = await tx.timers.road_step_timers(step_id)
        steps = await tx.roads.steps_of(INCOMING.name, record_id)
    assert moved.state == State.RETURNED and moved.done_step is None
    assert left == [] and {s.state for s in steps if s.kind == "handle"} == {"cancelled"}


async def test_a_move_without_a_step_needs_its_role_in_the_records_unit_and_its_note(demo_hub: Hub) -> None:
    hub = demo_hub
    clerk, other = await _actor(hub, "dhz.clerk1"), await _actor(hub, "xsz.clerk1")
    record_id = await _record(hub, clerk)
    now = hub.clock.now()
    with pytest.raises(XietongError) as err:
        async with hub.store.write() as tx:
            await apply_move(tx, now, other, INCOMING, record_id, clerk.unit_id, State.REGISTERED, "return",
                             note="不是本单位的")
    assert err.value.code == "perm.denied"
    with pytest.raises(XietongError) as err:
        async with hub.store.write() as tx:
            await apply_move(tx, now, clerk, INCOMING, record_id, clerk.unit_id, State.REGISTERED, "return",
                             note="  ")
    assert err.value.code == "road.note_required"
    async with hub.store.read() as tx:    # nothing of the refused moves was kept
        assert await tx.roads.history(INCOMING.name, record_id) == []
        assert [s.state for s in await tx.roads.steps_of(INCOMING.name, record_id)] == ["open"]
    assert Role.CLERK in clerk.roles
