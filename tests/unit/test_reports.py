from datetime import UTC, date, datetime, timedelta

import pytest

from hub.domain import reports as r
from hub.errors import XietongError


def test_receipt_numbers_name_the_day_and_count_gaplessly() -> None:
    assert r.receipt_no(date(2026, 12, 4), 1) == "BS20261204-0001"
    assert r.receipt_no(date(2026, 12, 4), 12) == "BS20261204-0012"


def test_a_request_waits_for_its_answer_and_other_kinds_are_simply_received() -> None:
    assert r.first_state(r.Kind.REQUEST) is r.State.AWAITING
    assert r.first_state(r.Kind.WORK_NEWS) is r.State.RECEIVED


def test_an_unknown_kind_and_an_empty_title_are_refused() -> None:
    with pytest.raises(XietongError):
        r.parse_kind("memo")
    with pytest.raises(XietongError):
        r.clean_title("   ")
    assert r.clean_title("  关于 道路 ") == "关于 道路"


def test_an_answer_is_on_time_until_its_due_moment() -> None:
    due = datetime(2026, 12, 18, 9, tzinfo=UTC)
    assert r.answered_on_time(due, due)
    assert not r.answered_on_time(due, due + timedelta(seconds=1))
    assert not r.answered_on_time(due, None)


def test_the_score_weighs_adoption_and_punishes_overdue_requests() -> None:
    f = r.UnitFigures(sent=4, adopted=1, on_time=1, late=1, overdue=1)
    assert f.score(r.Weights(sent=1, adopted=3, on_time=2, late=-1, overdue=-2)) == 4 + 3 + 2 - 1 - 2
    assert r.answer_title("修路") == "关于《修路》的批复"


def test_only_a_request_takes_an_answer_and_only_once() -> None:
    r.check_answer(r.Kind.REQUEST, r.State.AWAITING)
    with pytest.raises(XietongError) as e:
        r.check_answer(r.Kind.WORK_NEWS, r.State.RECEIVED)
    assert e.value.code == "report.not_a_request"
    with pytest.raises(XietongError) as e:
        r.check_answer(r.Kind.REQUEST, r.State.ANSWERED)
    assert e.value.code == "report.already_answered"
