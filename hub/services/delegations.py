"""Delegation (代理): ask for a delegate, approve or refuse (a step of the road `delegation` in the
approver's 待办), cancel; the delegate switches a session into "代理 B" and back. While acting, the
request's Actor is B's with `by` naming the delegate (built by `acting_actor`, which the identity
service calls for each request); `hub.domain.permissions.can` is the one check of what it may do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hub.clock import Clock
from hub.config import Config
from hub.domain.delegation import (
    LIVE,
    ROAD,
    ROAD_TABLE,
    Delegation,
    DState,
    approval_action,
    approves_in,
    check_request,
    may_cancel,
)
from hub.domain.identity import Actor, Delegate, Role, Unit, User
from hub.domain.permissions import Action, can, require
from hub.domain.roads import StepKind, StepState
from hub.errors import XietongError
from hub.services import audit
from hub.services.roads import NewStep, apply_move
from hub.services.todo import StepRecord, register_todo_road
from hub.store import Store, Tx

SessionsEnded = Callable[[int, str | None], object]


@dataclass(frozen=True)
class Entry:
    """A delegation as the lists and its page show it."""
    d: Delegation
    principal: str
    delegate: str
    status: DState
    todo: int = 0           # the principal's open steps (a current one, on the delegate's list)
    decider: str = ""       # who approved, refused or cancelled it

    def as_json(self) -> dict[str, object]:
        d = self.d
        return {"id": d.id, "unit_id": d.unit_id, "principal_id": d.principal_id, "principal": self.principal,
                "delegate_id": d.delegate_id, "delegate": self.delegate, "starts_at": d.starts_at.isoformat(),
                "ends_at": d.ends_at.isoformat(), "reason": d.reason, "state": self.status.value,
                "decision_note": d.decision_note, "todo": self.todo}


@dataclass(frozen=True)
class Mine:
    as_principal: list[Entry]
    as_delegate: list[Entry]
    to_approve: list[Entry]
    current: list[Entry]         # whom I may act for now, with their to-do counts


async def _records(tx: Tx, ids: list[int]) -> dict[int, StepRecord]:
    found = await tx.delegations.many(ids)
    people = await tx.users.many(sorted({d.principal_id for d in found.values()} |
                                        {d.delegate_id for d in found.values()}))
    out = {}
    for i, d in found.items():
        p, g = people.get(d.principal_id), people.get(d.delegate_id)
        title = f"代理申请：{g.name if g else ''} 代 {p.name if p else ''}"
        out[i] = StepRecord(title, f"/delegations/{d.id}", "ordinary", d.reason or "代理")
    return out


register_todo_road(ROAD, _records)


class DelegationService:
    def __init__(self, store: Store, clock: Clock, config: Config, sessions_ended: SessionsEnded,
                 todo_changed: Callable[[int], None]) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self._sessions_ended = sessions_ended
        self._todo_changed = todo_changed

    # -- asking, deciding, cancelling ----------------------------------------------------------------

    async def request(self, actor: Actor, delegate_id: int, starts_at: datetime, ends_at: datetime,
                      reason: str = "") -> Delegation:
        require(actor, Action.REQUEST_DELEGATION, actor.unit_id)
        now = self.clock.now()
        async with self.store.write() as tx:
            principal = await tx.users.get(actor.user_id)
            delegate = await tx.users.get(delegate_id)
            if principal is None or delegate is None:
                raise XietongError("delegation.unknown_person")
            existing = await tx.delegations.of_principal(principal.id, since=now)
            reason = check_request(principal, delegate, starts_at, ends_at, now,
                                   self.config.delegation.max_days, reason, existing)
            did = await tx.delegations.add(principal.unit_id, principal.id, delegate.id, starts_at, ends_at,
                                           reason, actor.user_id, now)
            steps = await self._approval_steps(tx, principal)
            moved = await apply_move(tx, now, actor, ROAD_TABLE, did, principal.unit_id, "", "request",
                                     new_steps=steps, delegate=delegate.login, starts_at=starts_at.isoformat(),
                                     ends_at=ends_at.isoformat())
            d = await tx.delegations.get(did)
        assert d is not None
        for unit in moved.units:
            self._todo_changed(unit)
        return d

    async def _approval_steps(self, tx: Tx, principal: User) -> list[NewStep]:
        """The approver `approval_action` names: the unit admins' step, or each super admin's, by name."""
        admins = [u for u in await tx.users.in_unit(principal.unit_id)
                  if Role.UNIT_ADMIN in u.roles and not u.disabled and u.id != principal.id]
        if approval_action(principal, len(admins)) is Action.APPROVE_DELEGATION:
            return [NewStep(StepKind.APPROVE, principal.unit_id, role=Role.UNIT_ADMIN)]
        supers = [u for u in await tx.users.with_role(Role.SUPER_ADMIN) if not u.disabled]
        return [NewStep(StepKind.APPROVE, u.unit_id, role=None, user_id=u.id) for u in supers]

    async def _approver(self, tx: Tx, d: Delegation) -> Action:
        """What deciding this request asks of `can()`, as its open step says (one by name: a super admin's)."""
        steps = [s for s in await tx.roads.steps_of(ROAD, d.id)
                 if s.kind == StepKind.APPROVE and s.state == StepState.OPEN]
        if any(s.user_id is None for s in steps):
            return Action.APPROVE_DELEGATION
        return Action.APPROVE_ADMIN_DELEGATION

    async def may_decide(self, actor: Actor, d: Delegation) -> bool:
        """Whether `actor` is this request's approver (the page shows approve / refuse)."""
        if d.state != DState.REQUESTED or actor.person.user_id == d.principal_id:
            return False
        async with self.store.read() as tx:
            return can(actor, await self._approver(tx, d), d.unit_id)

    async def decide(self, actor: Actor, delegation_id: int, approve: bool, note: str = "") -> Delegation:
        """Approve or refuse, by the approver `approval_action` named when it was asked (its step's
        holder): anyone else who sees it is not its approver (403), the rest do not see it (404)."""
        now = self.clock.now()
        async with self.store.write() as tx:
            d = await self._get(tx, delegation_id)
            if not self._sees(actor, d):
                raise XietongError("delegation.not_found")
            if d.state != DState.REQUESTED:
                raise XietongError("delegation.bad_move", state=d.status(now).value,
                                   state_zh=STATE_ZH[d.status(now)])
            if actor.person.user_id == d.principal_id or not can(actor, await self._approver(tx, d), d.unit_id):
                raise XietongError("delegation.not_approver")
            if approve and d.ends_at <= now:
                raise XietongError("delegation.in_past")
            if approve:     # another approved since this was asked: still no overlap
                for o in await tx.delegations.of_principal(d.principal_id, since=now):
                    if o.id != d.id and o.state == DState.APPROVED and o.overlaps(d.starts_at, d.ends_at):
                        raise XietongError("delegation.overlaps", id=o.id)
            try:
                moved = await apply_move(tx, now, actor, ROAD_TABLE, d.id, d.unit_id, d.state,
                                         "approve" if approve else "refuse", note=note[:200])
            except XietongError as err:
                if err.code == "road.not_your_step":
                    raise XietongError("delegation.not_approver") from None
                raise
            state = DState.APPROVED if approve else DState.REFUSED
            await tx.delegations.decide(d.id, state.value, actor.user_id, now, note.strip()[:200], (d.state,))
            d = await self._get(tx, d.id)
        for unit in moved.units:
            self._todo_changed(unit)
        return d

    async def cancel(self, actor: Actor, delegation_id: int, note: str = "") -> Delegation:
        require(actor, Action.VIEW_HOME)
        now = self.clock.now()
        async with self.store.write() as tx:
            d = await self._get(tx, delegation_id)
            if not self._sees(actor, d):
                raise XietongError("delegation.not_found")
            if not may_cancel(actor, d, now):
                if d.state in LIVE and d.status(now) is not DState.ENDED:
                    raise XietongError("perm.denied")
                raise XietongError("delegation.bad_move", state=d.status(now).value,
                                   state_zh=STATE_ZH[d.status(now)])
            moved = await apply_move(tx, now, actor, ROAD_TABLE, d.id, d.unit_id, d.state, "cancel",
                                     note=note[:200])
            await tx.delegations.decide(d.id, DState.CANCELLED.value, actor.user_id, now, note.strip()[:200],
                                        LIVE)
            keys = await tx.delegations.sessions_acting_under(d.id)
            await tx.delegations.stop_acting_under(d.id)
            d = await self._get(tx, d.id)
        for key in keys:       # their open connections get nothing more of the principal's
            self._sessions_ended(d.principal_id, key)
        for unit in moved.units:
            self._todo_changed(unit)
        return d

    # -- acting for the principal ----------------------------------------------------------------

    async def act(self, actor: Actor, session_key: str, delegation_id: int) -> Delegation:
        """Switch this session into "代理 B"; refused (and audited) without an approved, current one."""
        now = self.clock.now()
        if actor.by is not None:
            raise XietongError("delegation.already_acting")
        async with self.store.write() as tx:
            d = await tx.delegations.get(delegation_id)
            ok = d is not None and d.delegate_id == actor.user_id and d.current(now)
            if ok and d is not None:
                principal = await tx.users.get(d.principal_id)
                ok = principal is not None and not principal.disabled
            if not ok or d is None:
                await audit.record(tx, now, actor, "delegation.refused_attempt", f"delegation:{delegation_id}",
                                   state=d.status(now).value if d else "unknown")
            else:
                await tx.delegations.set_acting(session_key, d.id)
                await audit.record(tx, now, actor, "delegation.act", f"delegation:{d.id}",
                                   principal=d.principal_id)
        if d is None:                # audited too; a delegation that does not exist is not found
            raise XietongError("delegation.not_found")
        if not ok:                   # raised after the commit: the refused attempt stays in the log
            raise XietongError("delegation.refused_attempt")
        self._sessions_ended(actor.user_id, session_key)    # its sockets reconnect as the principal
        return d

    async def stop(self, actor: Actor, session_key: str) -> None:
        """Back to oneself (one tap)."""
        if actor.by is None:
            return
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.delegations.set_acting(session_key, None)
            await audit.record(tx, now, actor, "delegation.stop", f"delegation:{actor.by.delegation_id}")
        self._sessions_ended(actor.user_id, session_key)

    async def acting_actor(self, tx: Tx, session_key: str, user: User, unit: Unit | None, ip: str,
                           now: datetime) -> tuple[Actor | None, int | None]:
        """For the identity service: the principal's Actor carrying `by` if this session acts under a
        current delegation; (None, principal id) if it did and the delegation is over (the caller
        clears it and ends the session's connections, which are the principal's)."""
        d = await tx.delegations.acting(session_key)
        if d is None:
            return None, None
        principal = await tx.users.get(d.principal_id)
        if principal is None or principal.disabled or d.delegate_id != user.id or not d.current(now):
            return None, d.principal_id
        p_unit = await tx.units.get(principal.unit_id)
        by = Delegate(user.id, user.login, user.name, user.unit_id, user.roles, d.id,
                      d.state == DState.APPROVED, d.starts_at, d.ends_at, now, unit.name if unit else "")
        return Actor(user_id=principal.id, login=principal.login, name=principal.name,
                     unit_id=principal.unit_id, roles=principal.roles, ip=ip,
                     unit_name=p_unit.name if p_unit else "", by=by), None

    # -- reading ---------------------------------------------------------------------------------

    def _sees(self, actor: Actor, d: Delegation) -> bool:
        me = actor.person
        return me.user_id in (d.principal_id, d.delegate_id) or approves_in(me, d.unit_id)

    async def _get(self, tx: Tx, delegation_id: int) -> Delegation:
        d = await tx.delegations.get(delegation_id)
        if d is None:
            raise XietongError("delegation.not_found")
        return d

    async def get(self, actor: Actor, delegation_id: int) -> tuple[Entry, list[object]]:
        now = self.clock.now()
        async with self.store.read() as tx:
            d = await self._get(tx, delegation_id)
            if not self._sees(actor, d):
                raise XietongError("delegation.not_found")
            [entry] = await self._entries(tx, [d], now)
            history: list[object] = list(await tx.roads.history(ROAD, d.id))
        return entry, history

    async def _entries(self, tx: Tx, ds: list[Delegation], now: datetime, counts: bool = False) -> list[Entry]:
        people = await tx.users.many(sorted({d.principal_id for d in ds} | {d.delegate_id for d in ds}
                                            | {d.decided_by for d in ds if d.decided_by is not None}))
        out = []
        for d in ds:
            p, g = people.get(d.principal_id), people.get(d.delegate_id)
            todo = 0
            if counts and p is not None:
                todo = len(await tx.roads.open_for(p.id, p.unit_id, sorted(r.value for r in p.roles)))
            decider = people.get(d.decided_by) if d.decided_by is not None else None
            out.append(Entry(d, p.name if p else "", g.name if g else "", d.status(now), todo,
                             decider.name if decider else ""))
        return out

    async def mine(self, actor: Actor) -> Mine:
        me = actor.person
        now = self.clock.now()
        async with self.store.read() as tx:
            as_principal = await self._entries(tx, await tx.delegations.of_principal(me.user_id), now)
            as_delegate = await self._entries(tx, await tx.delegations.of_delegate(me.user_id), now)
            current = await self._entries(tx, await tx.delegations.current_for_delegate(me.user_id, now), now,
                                          counts=True)
            to_approve: list[Entry] = []
            if approves_in(me):
                steps = await tx.roads.open_for(me.user_id, me.unit_id, sorted(r.value for r in me.roles))
                ids = sorted({s.record_id for s in steps if s.road == ROAD})
                to_approve = await self._entries(tx, list((await tx.delegations.many(ids)).values()), now)
        return Mine(as_principal, as_delegate, to_approve, current)

    async def current_for(self, actor: Actor) -> list[Entry]:
        """Whom this person may act for now, with their to-do counts (the home page's line)."""
        if actor.by is not None:
            return []
        async with self.store.read() as tx:
            now = self.clock.now()
            return await self._entries(tx, await tx.delegations.current_for_delegate(actor.user_id, now), now,
                                       counts=True)

    async def register(self, actor: Actor, unit_id: int | None = None) -> tuple[list[Entry], int | None]:
        """The unit's delegation register (代理登记簿): its admin's, or any unit's for the super admin."""
        me = actor.person
        unit = me.unit_id if unit_id is None and not me.has(Role.SUPER_ADMIN) else unit_id
        require(me, Action.VIEW_DELEGATIONS, unit)
        now = self.clock.now()
        async with self.store.read() as tx:
            return await self._entries(tx, await tx.delegations.of_unit(unit), now), unit

    async def people(self, actor: Actor) -> list[User]:
        """Whom one may name as delegate: the active people of one's unit but oneself."""
        async with self.store.read() as tx:
            return [u for u in await tx.users.in_unit(actor.unit_id) if u.id != actor.user_id and not u.disabled]


STATE_ZH = {DState.REQUESTED: "待审批", DState.APPROVED: "已批准", DState.REFUSED: "未批准",
            DState.CANCELLED: "已取消", DState.ENDED: "已到期"}
