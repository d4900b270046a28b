"""Sign-in codes (签到码) of a meeting: good in their own slot and the next, then expired; never for
another meeting; anything we did not make is malformed. Times from a FakeClock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.clock import FakeClock
from hub.domain.meeting_signin import (
    CodeCheck,
    Standing,
    check_code,
    derive_key,
    make_code,
    require_code,
    standing_of,
)
from hub.errors import XietongError

KEY = derive_key(bytes(range(32)))
PERIOD = 60


def test_the_code_on_the_screen_is_good_now_and_one_slot_later_then_expired():
    clock = FakeClock()
    shown = make_code(KEY, 7, clock.now(), PERIOD)
    assert check_code(KEY, 7, shown.code, clock.now(), PERIOD) is CodeCheck.OK
    clock.advance(timedelta(seconds=PERIOD))
    assert check_code(KEY, 7, shown.code, clock.now(), PERIOD) is CodeCheck.OK
    clock.advance(timedelta(seconds=PERIOD))
    assert check_code(KEY, 7, shown.code, clock.now(), PERIOD) is CodeCheck.EXPIRED
    with pytest.raises(XietongError) as e:
        require_code(KEY, 7, shown.code, clock.now(), PERIOD)
    assert e.value.code == "meeting.signin_code_expired"


def test_the_screen_refreshes_before_the_code_it_showed_expires():
    clock = FakeClock()
    shown = make_code(KEY, 7, clock.now(), PERIOD)
    assert clock.now() < shown.refresh_at < shown.expires_at
    assert shown.expires_at - shown.refresh_at == timedelta(seconds=PERIOD)
    assert shown.refresh_at - clock.now() <= timedelta(seconds=PERIOD)


def test_a_code_of_another_meeting_is_refused_as_such():
    clock = FakeClock()
    other = make_code(KEY, 8, clock.now(), PERIOD)
    assert check_code(KEY, 7, other.code, clock.now(), PERIOD) is CodeCheck.OTHER_MEETING
    with pytest.raises(XietongError) as e:
        require_code(KEY, 7, other.code, clock.now(), PERIOD)
    assert e.value.code == "meeting.signin_code_other_meeting"


@pytest.mark.parametrize("bad", ["", "abc", "7.1.", "7..x", "7.29000000.AAAAAAAAAAAAAAAAAAAAAA", "x" * 500,
                                 "-7.1.AAAAAAAAAAAAAAAAAAAAAA", "7.1.AAAAAAAAAAAAAAAAAAAAAA<script>"])
def test_anything_we_did_not_make_is_malformed(bad):
    assert check_code(KEY, 7, bad, FakeClock().now(), PERIOD) is CodeCheck.MALFORMED


def test_a_changed_meeting_number_or_slot_or_key_is_malformed_not_another_meeting():
    clock = FakeClock()
    meeting, slot, mac = make_code(KEY, 7, clock.now(), PERIOD).code.split(".")
    assert check_code(KEY, 8, f"8.{slot}.{mac}", clock.now(), PERIOD) is CodeCheck.MALFORMED
    assert check_code(KEY, 7, f"{meeting}.{int(slot) - 1}.{mac}", clock.now(), PERIOD) is CodeCheck.MALFORMED
    assert check_code(derive_key(bytes(32)), 7, f"{meeting}.{slot}.{mac}", clock.now(), PERIOD) \
        is CodeCheck.MALFORMED


def test_a_code_from_the_future_is_malformed():
    clock = FakeClock()
    later = make_code(KEY, 7, clock.now() + timedelta(seconds=2 * PERIOD), PERIOD)
    assert check_code(KEY, 7, later.code, clock.now(), PERIOD) is CodeCheck.MALFORMED


def test_the_codes_key_is_derived_not_the_secret_itself():
    secret = bytes(range(32))
    assert derive_key(secret) != secret and len(derive_key(secret)) == 32
    assert derive_key(secret) == derive_key(secret)


def test_who_may_sign_in():
    assert standing_of(1, 10, {1}, set(), {10}) is Standing.ATTENDEE
    assert standing_of(2, 10, set(), {2}, {10}) is Standing.INVITEE
    assert standing_of(3, 10, set(), set(), {10}) is Standing.WALK_IN
    assert standing_of(4, 11, set(), set(), {10}) is Standing.STRANGER
