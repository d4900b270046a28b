"""The one check for delegated actors (代理): for every action and role, a delegate acting under an
approved, current delegation may do exactly what the principal may, minus the undelegable actions;
under a pending, refused, cancelled, ended or not-yet-started one: nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.domain.delegation import Delegation, DState
from hub.domain.identity import Actor, Delegate, Role
from hub.domain.permissions import UNDELEGABLE, Action, can

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def acting(role: Role, approved: bool = True, starts: datetime = NOW - DAY, ends: datetime = NOW + DAY) -> Actor:
    by = Delegate(9, "dhz.clerk2", "王五", 3, frozenset({Role.CLERK}), 1, approved, starts, ends, NOW)
    return Actor(7, "dhz.leader", "李四", 3, frozenset({role}), by=by)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_an_approved_current_delegate_may_do_what_the_principal_may_but_the_undelegable(role, action):
    principal = Actor(7, "dhz.leader", "李四", 3, frozenset({role}))
    for units in (None, 3, 4, (3, 4)):
        expected = can(principal, action, units) and action not in UNDELEGABLE
        assert can(acting(role), action, units) is expected, (role, action, units)


@pytest.mark.parametrize("state", ["pending", "refused_or_cancelled", "ended", "not_started"])
@pytest.mark.parametrize("role", list(Role))
def test_without_an_approved_current_delegation_a_delegate_may_do_nothing(state, role):
    actor = {"pending": acting(role, approved=False), "refused_or_cancelled": acting(role, approved=False),
             "ended": acting(role, ends=NOW), "not_started": acting(role, starts=NOW + timedelta(minutes=1))}[state]
    assert not any(can(actor, a, u) for a in Action for u in (None, 3, ()))


def test_an_approved_delegation_reads_as_ended_once_its_period_is_over():
    d = Delegation(1, 3, 7, 9, NOW - DAY, NOW, "", DState.APPROVED.value, 7, NOW - 2 * DAY)
    assert d.status(NOW - timedelta(seconds=1)) is DState.APPROVED and d.status(NOW) is DState.ENDED
    assert not d.current(NOW)


def test_history_names_read_a_for_b():
    assert acting(Role.LEADER).signature == "王五（代 李四）"
    assert acting(Role.LEADER).person.login == "dhz.clerk2"
