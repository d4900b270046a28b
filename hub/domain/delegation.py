"""Delegation (代理): a person away (the principal, 被代理人) names who acts for them (the delegate,
代理人) for a period; the unit admin approves (the super admin for a unit admin's); during the
period the delegate may switch into "代理 B" and act as B, every action recorded "A for B"; the
period ends by itself (approved and `now >= ends_at` reads as ended: no job is needed).

Life: requested → approved | refused; requested / approved → cancelled (by the principal or an
approver, before or during the period). The approval is a step of the road `delegation` (the
approver's 待办 lists it). Pure rules: `now` is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.identity import Actor, Role, User
from hub.domain.permissions import Action, can
from hub.domain.roads import Move, Opens, Road, StepKind
from hub.errors import XietongError

ROAD = "delegation"
REASON_LIMIT = 200


class DState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    ENDED = "ended"          # never stored: approved and past its end (已到期)


LIVE = (DState.REQUESTED.value, DState.APPROVED.value)      # they may not overlap

ROAD_TABLE = Road(
    name=ROAD,
    states=tuple(s.value for s in DState if s is not DState.ENDED),
    moves={
        "request": Move("request", frozenset({""}), DState.REQUESTED.value, follows=True,
                        opens=(Opens(StepKind.APPROVE, Role.UNIT_ADMIN),)),
        "approve": Move("approve", frozenset({DState.REQUESTED.value}), DState.APPROVED.value,
                        completes=StepKind.APPROVE, cancels=frozenset({StepKind.APPROVE})),
        "refuse": Move("refuse", frozenset({DState.REQUESTED.value}), DState.REFUSED.value,
                       completes=StepKind.APPROVE, cancels=frozenset({StepKind.APPROVE}), needs_note=True),
        "cancel": Move("cancel", frozenset({DState.REQUESTED.value, DState.APPROVED.value}),
                       DState.CANCELLED.value, follows=True, cancels=frozenset({StepKind.APPROVE})),
    },
    closed_states=frozenset({DState.REFUSED.value, DState.CANCELLED.value}),
)


@dataclass(frozen=True)
class Delegation:
    id: int
    unit_id: int
    principal_id: int
    delegate_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    state: str                   # stored: requested | approved | refused | cancelled
    requested_by: int
    requested_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    decision_note: str = ""

    def status(self, now: datetime) -> DState:
        """The state as people see it: an approved delegation past its end has ended (已到期)."""
        if self.state == DState.APPROVED and now >= self.ends_at:
            return DState.ENDED
        return DState(self.state)

    def current(self, now: datetime) -> bool:
        """Approved, and `now` within its period: the delegate may act."""
        return self.state == DState.APPROVED and self.starts_at <= now < self.ends_at

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at


def check_request(principal: User, delegate: User, starts_at: datetime, ends_at: datetime, now: datetime,
                  max_days: int, reason: str, existing: list[Delegation]) -> str:
    """The bad input of a request, refused with a clear message; returns the reason trimmed."""
    if principal.is_admin and Role.SUPER_ADMIN in principal.roles:
        raise XietongError("delegation.super_admin")
    if delegate.id == principal.id:
        raise XietongError("delegation.self")
    if delegate.unit_id != principal.unit_id:
        raise XietongError("delegation.other_unit")
    if delegate.disabled:
        raise XietongError("delegation.delegate_disabled")
    if not starts_at < ends_at:
        raise XietongError("delegation.ends_before_start")
    if ends_at <= now:
        raise XietongError("delegation.in_past")
    if ends_at - starts_at > timedelta(days=max_days):
        raise XietongError("delegation.too_long", days=max_days)
    reason = reason.strip()
    if len(reason) > REASON_LIMIT:
        raise XietongError("delegation.reason_too_long", limit=REASON_LIMIT)
    for d in existing:
        if d.principal_id == principal.id and d.state in LIVE and d.status(now) is not DState.ENDED \
                and d.overlaps(starts_at, ends_at):
            raise XietongError("delegation.overlaps", id=d.id)
    return reason


def approval_action(principal: User, unit_admins: int) -> Action:
    """Who approves a request (its step's holder, and what `can()` asks of whoever decides): the unit
    admin of the principal's unit; the super admin for a unit admin's, or where the unit has no other
    unit admin (`unit_admins`: the unit's active unit admins but the principal)."""
    if Role.UNIT_ADMIN in principal.roles or unit_admins == 0:
        return Action.APPROVE_ADMIN_DELEGATION
    return Action.APPROVE_DELEGATION


APPROVERS = (Action.APPROVE_DELEGATION, Action.APPROVE_ADMIN_DELEGATION)


def approves_in(actor: Actor, unit_id: int | None = None) -> bool:
    """Whether `actor` approves some delegations (of `unit_id`, if given): the unit's admin, the super admin."""
    return any(can(actor, a, unit_id) for a in APPROVERS)


def may_cancel(actor: Actor, d: Delegation, now: datetime) -> bool:
    """The principal (as themselves) or an approver of the unit (its admin, the super admin), while it is
    requested or not yet over."""
    if d.state not in LIVE or d.status(now) is DState.ENDED or actor.by is not None:
        return False
    return actor.user_id == d.principal_id or approves_in(actor, d.unit_id)
