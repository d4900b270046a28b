"""Delegation (代理): asking, approving in the approver's 待办, acting "A for B", the period ending by
itself; bad input refused. Real SQLite, the fake clock, the demo organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.domain.permissions import Action, can
from hub.errors import XietongError
from hub.services.todo import TodoKind, todo_list
from hub.store.documents import DocFields
from tests.service.test_road_deadlines import actor

DAY = timedelta(days=1)


async def user_id(hub, login: str) -> int:
    return (await hub.identity.user_by_login(login)).id


async def approved(hub, principal: str = "dhz.leader", delegate: str = "dhz.clerk2", approver: str = "dh.admin",
                   starts_in: timedelta = timedelta(0), days: float = 3):
    now = hub.clock.now()
    d = await hub.delegations.request(await actor(hub, principal), await user_id(hub, delegate),
                                      now + starts_in, now + starts_in + timedelta(days=days), "出差")
    return await hub.delegations.decide(await actor(hub, approver), d.id, True)


async def session_of(hub, login: str):
    logged = await hub.identity.login(login, "Demo@2026", "127.0.0.1")
    s = await hub.identity.session(logged.cookie_value, "127.0.0.1")
    return logged.cookie_value, s


async def audit_rows(hub, action: str) -> list[tuple[str, str]]:
    async with hub.store.read() as tx, tx.conn.execute(
            "SELECT actor_login, detail FROM audit_log WHERE action = ? ORDER BY id", (action,)) as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_a_request_waits_in_the_unit_admins_todo_and_approving_it_lets_the_delegate_act(demo_hub):
    hub = demo_hub
    leader = await actor(hub, "dhz.leader")
    d = await hub.delegations.request(leader, await user_id(hub, "dhz.clerk2"), hub.clock.now(),
                                      hub.clock.now() + 2 * DAY, "外出学习")
    todo = await todo_list(hub.store, hub.documents, await actor(hub, "dh.admin"))
    assert [(e.kind, e.href) for e in todo.of(TodoKind.APPROVE)] == [(TodoKind.APPROVE, f"/delegations/{d.id}")]
    cookie, s = await session_of(hub, "dhz.clerk2")
    with pytest.raises(XietongError) as err:          # not approved yet
        await hub.delegations.act(s.actor, s.key, d.id)
    assert err.value.code == "delegation.refused_attempt"
    assert await audit_rows(hub, "delegation.refused_attempt") != []
    await hub.delegations.decide(await actor(hub, "dh.admin"), d.id, True)
    assert (await todo_list(hub.store, hub.documents, await actor(hub, "dh.admin"))).of(TodoKind.APPROVE) == []
    await hub.delegations.act(s.actor, s.key, d.id)
    acting = (await hub.identity.session(cookie, "127.0.0.1")).actor
    assert (acting.login, acting.by.login) == ("dhz.leader", "dhz.clerk2")
    assert acting.signature == f"{acting.by.name}（代 {acting.name}）"
    assert can(acting, Action.SIGN_DOCUMENT, acting.unit_id) and not can(acting, Action.REQUEST_DELEGATION)


async def test_what_the_delegate_does_is_recorded_as_a_for_b(demo_hub):
    hub = demo_hub
    d = await approved(hub)
    cookie, s = await session_of(hub, "dhz.clerk2")
    await hub.delegations.act(s.actor, s.key, d.id)
    acting = (await hub.identity.session(cookie, "127.0.0.1")).actor
    doc = await hub.documents.draft(acting, DocFields("关于东湖镇冬季防火工作的报告", "正文", "报告", "ordinary",
                                                             "东湖镇人民政府", (acting.unit_id,), ()))
    view = await hub.documents.view(acting, doc.id)
    assert view.history[0].actor_name == f"{acting.by.name}（代 {acting.name}）"
    [(login, detail)] = await audit_rows(hub, "document.draft")
    assert login == "dhz.clerk2" and '"for":"dhz.leader"' in detail.replace(" ", "")


async def test_the_period_ends_by_itself_and_the_session_falls_back_to_the_delegate(demo_hub):
    hub = demo_hub
    d = await approved(hub, days=1 / 48)     # half an hour: the session (idle 30 min) outlives it
    cookie, s = await session_of(hub, "dhz.clerk2")
    await hub.delegations.act(s.actor, s.key, d.id)
    ended: list[tuple[int, str | None]] = []
    hub.identity._sessions_ended = lambda user, key: ended.append((user, key))
    hub.clock.advance(timedelta(minutes=20))
    assert (await hub.identity.session(cookie, "127.0.0.1")).actor.by is not None
    hub.clock.advance(timedelta(minutes=11))
    back = await hub.identity.session(cookie, "127.0.0.1")
    assert back.actor.login == "dhz.clerk2" and back.actor.by is None and back.acting_ended
    assert ended == [(await user_id(hub, "dhz.leader"), s.key)]     # its sockets (the leader's feed) close
    again = await hub.identity.session(cookie, "127.0.0.1")
    assert not again.acting_ended
    assert [e.status.value for e in (await hub.delegations.mine(back.actor)).as_delegate] == ["ended"]
    with pytest.raises(XietongError) as err:
        await hub.delegations.act(back.actor, s.key, d.id)
    assert err.value.code == "delegation.refused_attempt"


async def test_a_period_that_ended_in_a_json_call_is_still_told_on_the_next_page_once(demo_hub):
    hub = demo_hub
    d = await approved(hub, days=1 / 72)     # 20 minutes: the session (idle 30 min) outlives it
    cookie, s = await session_of(hub, "dhz.clerk2")
    await hub.delegations.act(s.actor, s.key, d.id)
    hub.clock.advance(timedelta(minutes=21))
    call = await hub.identity.session(cookie, "127.0.0.1", page=False)     # the tab bar's badges, a socket
    assert call.actor.login == "dhz.clerk2" and call.actor.by is None and not call.acting_ended
    assert not (await hub.identity.session(cookie, "127.0.0.1", page=False)).acting_ended
    assert (await hub.identity.session(cookie, "127.0.0.1")).acting_ended       # the next page says it
    assert not (await hub.identity.session(cookie, "127.0.0.1")).acting_ended   # once


async def test_a_delegated_actor_checked_after_the_end_may_do_nothing(demo_hub):
    hub = demo_hub
    d = await approved(hub, days=1)
    cookie, s = await session_of(hub, "dhz.clerk2")
    await hub.delegations.act(s.actor, s.key, d.id)
    acting = (await hub.identity.session(cookie, "127.0.0.1")).actor
    from dataclasses import replace
    late = replace(acting, by=replace(acting.by, checked_at=d.ends_at))
    assert not can(late, Action.VIEW_HOME)


async def test_a_unit_admins_delegation_is_approved_by_the_super_admin_not_by_themself(demo_hub):
    hub = demo_hub
    admin = await actor(hub, "dh.admin")
    d = await hub.delegations.request(admin, await user_id(hub, "dhz.clerk1"), hub.clock.now(),
                                      hub.clock.now() + DAY)
    with pytest.raises(XietongError) as err:
        await hub.delegations.decide(admin, d.id, True)
    assert err.value.code == "delegation.not_approver"
    todo = await todo_list(hub.store, hub.documents, await actor(hub, "admin"))
    assert [e.href for e in todo.of(TodoKind.APPROVE)] == [f"/delegations/{d.id}"]
    assert (await hub.delegations.decide(await actor(hub, "admin"), d.id, True)).state == "approved"


@pytest.mark.parametrize(("delegate", "starts", "days", "code"), [
    ("dhz.leader", 0, 2, "delegation.self"),
    ("xsz.clerk1", 0, 2, "delegation.other_unit"),
    ("dhz.clerk2", 2, -1, "delegation.ends_before_start"),
    ("dhz.clerk2", -5, 2, "delegation.in_past"),
    ("dhz.clerk2", 0, 31, "delegation.too_long"),
])
async def test_bad_requests_are_refused_with_their_reason(demo_hub, delegate, starts, days, code):
    hub = demo_hub
    now = hub.clock.now()
    with pytest.raises(XietongError) as err:
        await hub.delegations.request(await actor(hub, "dhz.leader"), await user_id(hub, delegate),
                                      now + starts * DAY, now + (starts + days) * DAY)
    assert err.value.code == code


async def test_a_period_overlapping_one_already_approved_is_refused_and_a_disabled_delegate_too(demo_hub):
    hub = demo_hub
    await approved(hub, days=3)
    now = hub.clock.now()
    with pytest.raises(XietongError) as err:
        await hub.delegations.request(await actor(hub, "dhz.leader"), await user_id(hub, "dhz.clerk1"),
                                      now + 2 * DAY, now + 5 * DAY)
    assert err.value.code == "delegation.overlaps"
    await hub.identity.set_disabled(await actor(hub, "dh.admin"), await user_id(hub, "dhz.clerk1"), True)
    with pytest.raises(XietongError) as err:
        await hub.delegations.request(await actor(hub, "dhz.leader"), await user_id(hub, "dhz.clerk1"),
                                      now + 4 * DAY, now + 5 * DAY)
    assert err.value.code == "delegation.delegate_disabled"


async def test_cancelling_a_delegation_in_use_sends_the_acting_session_back(demo_hub):
    hub = demo_hub
    d = await approved(hub)
    cookie, s = await session_of(hub, "dhz.clerk2")
    await hub.delegations.act(s.actor, s.key, d.id)
    await hub.delegations.cancel(await actor(hub, "dhz.leader"), d.id)
    back = await hub.identity.session(cookie, "127.0.0.1")
    assert back.actor.login == "dhz.clerk2" and back.actor.by is None


async def test_another_persons_delegation_cannot_be_used(demo_hub):
    hub = demo_hub
    d = await approved(hub)
    _cookie, s = await session_of(hub, "dhz.clerk1")
    with pytest.raises(XietongError) as err:
        await hub.delegations.act(s.actor, s.key, d.id)
    assert err.value.code == "delegation.refused_attempt"


async def test_the_super_admin_approves_only_what_the_unit_admin_does_not_and_can_says_the_same(demo_hub):
    hub = demo_hub
    su, dh_admin = await actor(hub, "admin"), await actor(hub, "dh.admin")
    dhz = (await actor(hub, "dhz.leader")).unit_id
    assert can(dh_admin, Action.APPROVE_DELEGATION, dhz) and not can(su, Action.APPROVE_DELEGATION, dhz)
    assert can(su, Action.APPROVE_ADMIN_DELEGATION, dhz) and not can(dh_admin, Action.APPROVE_ADMIN_DELEGATION, dhz)
    now = hub.clock.now()
    # 东湖镇 has a unit admin: the leader's request is theirs, not the super admin's
    staff = await hub.delegations.request(await actor(hub, "dhz.leader"), await user_id(hub, "dhz.clerk2"), now,
                                          now + DAY)
    assert not await hub.delegations.may_decide(su, staff) and await hub.delegations.may_decide(dh_admin, staff)
    with pytest.raises(XietongError) as err:
        await hub.delegations.decide(su, staff.id, True)
    assert (err.value.code, err.value.status) == ("delegation.not_approver", 403)
    assert [e.d.id for e in (await hub.delegations.mine(su)).to_approve] == []
    # 西山镇 has none: the super admin approves its leader's; 东湖镇's admin does not even see it
    xsz = await hub.delegations.request(await actor(hub, "xsz.leader"), await user_id(hub, "xsz.clerk2"), now,
                                        now + DAY)
    assert [e.d.id for e in (await hub.delegations.mine(su)).to_approve] == [xsz.id]
    with pytest.raises(XietongError) as err:
        await hub.delegations.decide(dh_admin, xsz.id, True)
    assert err.value.code == "delegation.not_found"
    assert (await hub.delegations.decide(su, xsz.id, True)).state == "approved"
    # the principal sees their own request and is told they are not its approver
    with pytest.raises(XietongError) as err:
        await hub.delegations.decide(await actor(hub, "dhz.leader"), staff.id, True)
    assert err.value.code == "delegation.not_approver"
    assert (await hub.delegations.decide(dh_admin, staff.id, True)).state == "approved"
