"""A seal's life and the rules of using one: pure functions, no database, no clock."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.domain.seals import (
    TRANSITIONS,
    SealEvent,
    SealState,
    UseState,
    check_kind,
    check_reason,
    check_seal_name,
    check_usable,
    check_use_state,
    check_valid_days,
    revocation_time,
    throttled_minutes,
    transition,
)
from hub.errors import XietongError

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
S = SealState
ALLOWED = [
    (S.MADE, SealEvent.ACTIVATE, S.ACTIVE),
    (S.ACTIVE, SealEvent.SUSPEND, S.SUSPENDED),
    (S.SUSPENDED, SealEvent.RESUME, S.ACTIVE),
    (S.ACTIVE, SealEvent.REPLACE, S.REPLACED),
    (S.MADE, SealEvent.REVOKE, S.REVOKED),
    (S.ACTIVE, SealEvent.REVOKE, S.REVOKED),
    (S.SUSPENDED, SealEvent.REVOKE, S.REVOKED),
    (S.REPLACED, SealEvent.REVOKE, S.REVOKED),
    (S.REVOKED, SealEvent.DESTROY, S.DESTROYED),
]
REFUSED = [(state, event) for event in TRANSITIONS for state in SealState
           if (state, event) not in {(a, e) for a, e, _ in ALLOWED}]


@pytest.mark.parametrize("state,event,after", ALLOWED, ids=lambda v: str(v))
def test_each_allowed_change_of_a_seals_life(state, event, after):
    assert transition(state, event) is after


@pytest.mark.parametrize("state,event", REFUSED, ids=lambda v: str(v))
def test_each_other_change_is_refused_with_the_state_named(state, event):
    with pytest.raises(XietongError) as e:
        transition(state, event)
    assert e.value.code == "seal.bad_state" and e.value.status == 409
    assert state.value in e.value.message("en")


def test_the_refusals_are_the_ones_the_domain_describes():
    # active ↔ suspended; only an active seal is replaced; nothing after destroyed; never twice revoked
    assert (S.SUSPENDED, SealEvent.REPLACE) in REFUSED and (S.DESTROYED, SealEvent.REVOKE) in REFUSED
    assert (S.REVOKED, SealEvent.REVOKE) in REFUSED and (S.ACTIVE, SealEvent.DESTROY) in REFUSED
    assert (S.MADE, SealEvent.SUSPEND) in REFUSED and (S.REPLACED, SealEvent.RESUME) in REFUSED
    with pytest.raises(XietongError) as e:
        transition(S.DESTROYED, SealEvent.REVOKE)
    assert e.value.message("zh") == "印章当前状态（已销毁）下不能注销。"


VALID = (NOW - timedelta(days=1), NOW + timedelta(days=30))


@pytest.mark.parametrize("state,code", [(S.MADE, "seal.not_active"), (S.SUSPENDED, "seal.suspended"),
                                        (S.REPLACED, "seal.replaced"), (S.REVOKED, "seal.revoked"),
                                        (S.DESTROYED, "seal.revoked")])
def test_only_an_active_seal_stamps(state, code):
    with pytest.raises(XietongError) as e:
        check_usable(state, *VALID, NOW, revoked_at=NOW - timedelta(hours=2))
    assert e.value.code == code


def test_an_active_seal_stamps_within_its_validity_only():
    check_usable(S.ACTIVE, *VALID, NOW)
    check_usable(S.ACTIVE, *VALID, VALID[1])                 # X.509: valid through notAfter
    with pytest.raises(XietongError) as e:
        check_usable(S.ACTIVE, *VALID, VALID[1] + timedelta(seconds=1))
    assert e.value.code == "seal.expired" and "2026-12-24" in e.value.message("zh")
    with pytest.raises(XietongError) as e:
        check_usable(S.ACTIVE, *VALID, VALID[0] - timedelta(seconds=1))
    assert e.value.code == "seal.not_yet_valid"


def test_the_messages_say_what_to_do():
    for state, words in [(S.SUSPENDED, "恢复"), (S.REPLACED, "新印章"), (S.MADE, "印章密码")]:
        with pytest.raises(XietongError) as e:
            check_usable(state, *VALID, NOW)
        assert words in e.value.message("zh")
    with pytest.raises(XietongError) as e:
        check_usable(S.REVOKED, *VALID, NOW, revoked_at=datetime(2026, 11, 23, 20, tzinfo=UTC))
    assert "2026-11-24" in e.value.message("en")            # the day in Beijing


def test_wrong_passwords_throttle_until_enough_leave_the_window():
    window = timedelta(minutes=15)
    fails = [NOW + timedelta(minutes=m) for m in (0, 1, 2, 3)]
    assert throttled_minutes(fails, NOW + timedelta(minutes=4), window, 5) is None
    fails.append(NOW + timedelta(minutes=4))
    assert throttled_minutes(fails, NOW + timedelta(minutes=4), window, 5) == 11
    assert throttled_minutes(fails, NOW + timedelta(minutes=14, seconds=30), window, 5) == 1


def test_revocation_counts_from_the_next_whole_second():
    assert revocation_time(NOW) == NOW + timedelta(seconds=1)
    assert revocation_time(NOW + timedelta(milliseconds=700)) == NOW + timedelta(seconds=1)


def test_a_use_request_moves_pending_approved_used():
    check_use_state(UseState.PENDING, UseState.PENDING)
    with pytest.raises(XietongError) as e:
        check_use_state(UseState.PENDING, UseState.APPROVED)
    assert e.value.code == "seal.request_bad_state" and "待审批" in e.value.message("zh")


def test_the_inputs_of_making_a_seal_are_checked():
    assert check_kind("official").value == "official"
    assert check_seal_name("  示范区人民政府办公室 ") == "示范区人民政府办公室"
    for bad in (lambda: check_kind("round"), lambda: check_seal_name(""), lambda: check_valid_days(0),
                lambda: check_valid_days(365 * 11), lambda: check_reason("  ")):
        with pytest.raises(XietongError):
            bad()
