"""The road engine's pure parts: a road's table refuses moves it does not have, ladders parse and
place their rungs, and the incoming road's forms refuse bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.domain.incoming import INCOMING, Assignment, Registration, State, receiving_number
from hub.domain.roads import Rung, StepKind, ladder_times, parse_road_ladder
from hub.errors import XietongError

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def test_every_move_of_the_incoming_road_starts_and_ends_in_its_states() -> None:
    states = set(INCOMING.states) | {""}
    for move in INCOMING.moves.values():
        assert move.sources <= states, move.name
        assert move.target is None or move.target in states, move.name
    # every open state has a way on, the closed ones none but a second round
    for state in INCOMING.states:
        names = {m.name for m in INCOMING.moves_from(state) if m.target not in (None, state)}
        if state == State.CLOSED:
            assert not names
        elif state == State.RETURNED:
            assert names == {"resent"}
        else:
            assert names, state


def test_a_move_from_the_wrong_state_is_refused_with_its_name_and_the_state() -> None:
    with pytest.raises(XietongError) as err:
        INCOMING.move(State.REGISTERED, "instruct")
    assert err.value.code == "road.bad_move"
    assert "instruct" in err.value.message("en") and "registered" in err.value.message("en")
    with pytest.raises(XietongError) as err:
        INCOMING.move(State.REGISTERED, "fly")
    assert err.value.code == "road.unknown_move"


def test_the_instruction_needs_a_code_and_a_text_and_is_the_leaders_step() -> None:
    move = INCOMING.move(State.PROPOSED, "instruct")
    assert move.needs_code and move.needs_note and move.completes is StepKind.INSTRUCT
    propose = INCOMING.move(State.REVIEWED, "propose")
    assert [o.kind for o in propose.opens] == [StepKind.INSTRUCT] and propose.opens[0].role.value == "leader"


def test_a_ladder_parses_sorted_by_offset_and_says_itself_back() -> None:
    ladder = parse_road_ladder("office@1d, remind@-1d, leader@0")
    assert [s.rung for s in ladder] == [Rung.REMIND, Rung.LEADER, Rung.OFFICE]
    assert [s.offset for s in ladder] == [timedelta(days=-1), timedelta(0), timedelta(days=1)]
    assert ", ".join(s.spec() for s in ladder) == "remind@-1d, leader@0, office@1d"
    assert parse_road_ladder("remind@-90m")[0].offset == timedelta(minutes=-90)
    assert parse_road_ladder("remind@-2h")[0].spec() == "remind@-2h"


@pytest.mark.parametrize("text", ["remind", "shout@1d", "remind@1", "remind@-1w", "leader@x"])
def test_a_bad_ladder_is_refused_naming_the_step(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_road_ladder(text)
    assert text.split(",")[0] in str(err.value)


def test_a_rung_that_would_fall_before_the_step_opened_is_not_scheduled() -> None:
    ladder = parse_road_ladder("remind@-1d, leader@0, office@1d")
    due = NOW + timedelta(hours=12)           # opened with less than a day left: no reminder before
    times = ladder_times(ladder, due, NOW)
    assert [(i, s.rung, when) for i, s, when in times] == [
        (1, Rung.LEADER, due), (2, Rung.OFFICE, due + timedelta(days=1))]


def test_receiving_numbers_are_year_and_four_digits() -> None:
    assert receiving_number(2026, 1) == "2026-0001"
    assert receiving_number(2026, 12345) == "2026-12345"


def _reg(**kw: object) -> Registration:
    fields: dict[str, object] = {"from_unit": "示范区人民政府办公室", "title": "关于做好防汛工作的通知",
                                     "urgency": "urgent", "received_on": date(2026, 12, 3)}
    fields.update(kw)
    return Registration(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kw", "code"), [
    ({"from_unit": " "}, "incoming.from_unit_required"),
    ({"title": ""}, "incoming.title_required"),
    ({"title": "长" * 201}, "incoming.title_too_long"),
    ({"urgency": "very"}, "incoming.bad_urgency"),
    ({"copies": 0}, "incoming.bad_count"),
    ({"pages": 10000}, "incoming.bad_count"),
    ({"deadline": NOW - timedelta(minutes=1)}, "incoming.deadline_past"),
    ({"received_on": date(2026, 12, 4)}, "incoming.received_in_future"),
])
def test_a_registration_with_a_wrong_field_is_refused_clearly(kw: dict[str, object], code: str) -> None:
    with pytest.raises(XietongError) as err:
        _reg(**kw).checked(NOW)
    assert err.value.code == code
    assert err.value.message("zh") and err.value.message("en")


def test_an_assignment_names_known_units_once_with_deadlines_ahead() -> None:
    later = NOW + timedelta(days=3)
    ok = Assignment(11, later, ((12, later),)).checked(NOW, {11, 12})
    assert ok.lead_unit_id == 11
    for bad, code in [(Assignment(99, later), "incoming.unknown_unit"),
                      (Assignment(11, later, ((11, later),)), "incoming.unit_twice"),
                      (Assignment(11, NOW), "incoming.deadline_past"),
                      (Assignment(11, later, ((12, NOW - timedelta(hours=1)),)), "incoming.deadline_past")]:
        with pytest.raises(XietongError) as err:
            bad.checked(NOW, {11, 12})
        assert err.value.code == code
