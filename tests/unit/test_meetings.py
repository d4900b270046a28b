"""A meeting's rules without a database: its moves, its time, a reply's people, overlaps, whom to chase."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.domain.meetings import (
    MeetingState,
    Move,
    ReplyAttendee,
    check_move,
    check_reply,
    check_time,
    overlaps,
    span_text,
    units_to_chase,
)
from hub.errors import XietongError

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_a_cancelled_meeting_takes_no_move_and_a_postponed_one_is_not_postponed_again():
    for move in Move:
        with pytest.raises(XietongError) as e:
            check_move(MeetingState.CANCELLED, move)
        assert "已取消" in e.value.message("zh") and "cancelled" in e.value.message("en")
    with pytest.raises(XietongError):
        check_move(MeetingState.POSTPONED, Move.POSTPONE)
    check_move(MeetingState.POSTPONED, Move.CHANGE)          # the new time is announced by a change


def test_a_meeting_starts_in_the_future_and_ends_after_it_starts():
    with pytest.raises(XietongError) as e:
        check_time(NOW, NOW + timedelta(hours=1), NOW)
    assert e.value.code == "meeting.in_past"
    with pytest.raises(XietongError) as e:
        check_time(NOW + timedelta(hours=2), NOW + timedelta(hours=2), NOW)
    assert e.value.code == "meeting.ends_before_start"
    assert span_text(NOW + timedelta(hours=1), NOW + timedelta(hours=3)) == "2026-11-24 10:00–12:00"


def test_a_reply_names_people_of_the_unit_or_outsiders_with_a_phone_each_once():
    people = {1: 10, 2: 10, 3: 20}                           # user -> unit
    clean = check_reply(10, True, [ReplyAttendee(2, substitute_for=1), ReplyAttendee(None, " 王站长 ", "139 0000 1111")],
                        people, {1}, "")
    assert clean[1] == ReplyAttendee(None, "王站长", "+8613900001111", None)
    for bad, code in [([ReplyAttendee(3)], "meeting.attendee_not_of_unit"),
                      ([ReplyAttendee(2), ReplyAttendee(2)], "meeting.attendee_twice"),
                      ([ReplyAttendee(2, substitute_for=2)], "meeting.bad_substitute"),
                      ([ReplyAttendee(1, substitute_for=1)], "meeting.bad_substitute"),
                      ([ReplyAttendee(None, "王站长", "")], "meeting.outsider_needs_phone")]:
        with pytest.raises(XietongError) as e:
            check_reply(10, True, bad, people, {1}, "")
        assert e.value.code == code
    with pytest.raises(XietongError) as e:
        check_reply(10, False, [ReplyAttendee(2)], people, {1}, "")
    assert e.value.code == "meeting.not_coming_names_people"


def test_meetings_overlap_when_they_share_more_than_an_instant():
    a, b = NOW, NOW + timedelta(hours=1)
    assert overlaps(a, b, a + timedelta(minutes=30), b + timedelta(hours=1))
    assert not overlaps(a, b, b, b + timedelta(hours=1))     # one ends as the next starts


def test_the_silent_units_are_chased_unless_just_chased():
    rows = [(1, 10, True, None), (2, 20, True, NOW - timedelta(minutes=1)), (3, 30, False, None), (4, 40, True, None)]
    assert units_to_chase(rows, {40}, NOW, timedelta(minutes=5)) == [1]
    with pytest.raises(XietongError) as e:
        units_to_chase(rows, {10, 40}, NOW, timedelta(minutes=5))
    assert e.value.code == "chase.too_soon" and "4" in e.value.message("zh")
    with pytest.raises(XietongError) as e:
        units_to_chase(rows, {10, 20, 40}, NOW, timedelta(minutes=5))
    assert e.value.code == "meeting.none_to_chase"
