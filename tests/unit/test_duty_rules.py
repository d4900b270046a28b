"""The duty desk's rules, without a database: the shift handover (交班/接班), the log, the board's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.domain.duty_board import day_start, item_order, time_left, unit_counts, unit_order
from hub.domain.duty_log import (
    EntryKind,
    Handover,
    Officer,
    Shift,
    check_can_cancel,
    check_can_confirm,
    check_can_hand_over,
    check_can_take_shift,
    check_entry,
    on_shift,
)
from hub.domain.items import Delivery, DeliveryState, Item, ItemKind, RecipientRole, Urgency
from hub.errors import XietongError

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
ZHANG, LI, WANG = 1, 2, 3
SHIFT = Shift(10, ZHANG, NOW - timedelta(hours=8), None, None)
DUTY_LI = Officer(LI, is_duty_officer=True, disabled=False)


def handover(from_id: int = ZHANG, to_id: int = LI, confirmed: bool = False, cancelled: bool = False) -> Handover:
    return Handover(5, SHIFT.id, from_id, to_id, "南桥镇未签收，已电话催办", NOW, NOW if confirmed else None,
                    NOW if cancelled else None)


def code_of(fn, *args) -> str:
    with pytest.raises(XietongError) as e:
        fn(*args)
    return e.value.code


def test_the_officer_on_shift_hands_over_to_another_duty_officer_with_a_note():
    assert check_can_hand_over(ZHANG, SHIFT, None, DUTY_LI, "  南桥镇未签收  ") == "南桥镇未签收"


def test_only_the_officer_on_shift_hands_over():
    assert code_of(check_can_hand_over, LI, SHIFT, None, Officer(WANG, True, False), "x") == "duty.not_on_shift"
    assert code_of(check_can_hand_over, ZHANG, None, None, DUTY_LI, "x") == "duty.not_on_shift"
    ended = Shift(10, ZHANG, SHIFT.started_at, None, NOW)
    assert code_of(check_can_hand_over, ZHANG, ended, None, DUTY_LI, "x") == "duty.not_on_shift"


def test_the_next_officer_must_be_another_active_duty_officer():
    assert code_of(check_can_hand_over, ZHANG, SHIFT, None, Officer(ZHANG, True, False), "x") == \
        "duty.handover_to_self"
    assert code_of(check_can_hand_over, ZHANG, SHIFT, None, Officer(WANG, False, False), "x") == \
        "duty.handover_bad_officer"                        # a clerk is not a duty officer
    assert code_of(check_can_hand_over, ZHANG, SHIFT, None, Officer(LI, True, True), "x") == \
        "duty.handover_bad_officer"                        # disabled
    assert code_of(check_can_hand_over, ZHANG, SHIFT, None, None, "x") == "duty.handover_bad_officer"


def test_one_open_handover_at_a_time_and_a_note_is_needed():
    assert code_of(check_can_hand_over, ZHANG, SHIFT, handover(), DUTY_LI, "x") == "duty.handover_open"
    assert check_can_hand_over(ZHANG, SHIFT, handover(cancelled=True), DUTY_LI, "x") == "x"
    assert code_of(check_can_hand_over, ZHANG, SHIFT, None, DUTY_LI, "   ") == "duty.handover_note_required"
    assert code_of(check_can_hand_over, ZHANG, SHIFT, None, DUTY_LI, "长" * 4001) == "duty.text_too_long"


def test_only_the_named_officer_confirms_and_never_their_own_handover():
    assert check_can_confirm(LI, handover()).id == 5
    assert code_of(check_can_confirm, ZHANG, handover()) == "duty.handover_own"
    assert code_of(check_can_confirm, WANG, handover()) == "duty.handover_not_yours"
    assert code_of(check_can_confirm, LI, handover(confirmed=True)) == "duty.no_open_handover"
    assert code_of(check_can_confirm, LI, handover(cancelled=True)) == "duty.no_open_handover"
    assert code_of(check_can_confirm, LI, None) == "duty.no_open_handover"


def test_the_handing_officer_may_take_an_unconfirmed_handover_back():
    assert check_can_cancel(ZHANG, handover()).id == 5
    assert code_of(check_can_cancel, LI, handover()) == "duty.handover_not_yours"
    assert code_of(check_can_cancel, ZHANG, handover(confirmed=True)) == "duty.no_open_handover"


def test_the_shift_is_taken_without_handover_only_while_nobody_is_on_it():
    check_can_take_shift(LI, None)
    check_can_take_shift(LI, Shift(10, ZHANG, SHIFT.started_at, None, NOW))
    assert code_of(check_can_take_shift, LI, SHIFT) == "duty.shift_taken"
    assert on_shift(SHIFT) == ZHANG and on_shift(None) is None


def test_a_log_entry_needs_text_and_a_known_kind():
    assert check_entry("call", " 已电话联系 ") == (EntryKind.CALL, "已电话联系")
    assert check_entry("", "x") == (EntryKind.NOTE, "x")
    assert code_of(check_entry, "call", "  ") == "duty.entry_text_required"
    assert code_of(check_entry, "chat", "x") == "input.invalid"
    assert code_of(check_entry, "note", "字" * 2001) == "duty.text_too_long"


# -- the board's order ----------------------------------------------------------------------

def item(item_id: int, issued: datetime = NOW) -> Item:
    return Item(item_id, ItemKind.DOCUMENT, Urgency.EXTRA_URGENT, "通知", "", "", "", "", "", None, "", 1, 1,
                issued, issued + timedelta(minutes=30), False, [], "1234", None)


def delivery(did: int, state: DeliveryState, due: datetime, escalated: bool = False) -> Delivery:
    return Delivery(did, 1, did, RecipientRole.MAIN, state, NOW, due, None, None, None, None, None, None, "",
                    None, None, "", 3 if escalated else 0, due if escalated else None)


def test_units_escalated_first_then_unread_then_read_then_signed():
    due = NOW + timedelta(minutes=10)
    rows = [delivery(1, DeliveryState.ACKED, due), delivery(2, DeliveryState.READ, due),
            delivery(3, DeliveryState.PENDING, due), delivery(4, DeliveryState.PENDING, NOW, escalated=True)]
    assert [d.id for d in sorted(rows, key=unit_order)] == [4, 3, 2, 1]
    assert unit_counts(rows) == {"pending": 2, "read": 1, "acked": 1, "escalated": 1, "closed": 0}
    assert time_left(rows[0], NOW) == timedelta(minutes=10)
    assert time_left(rows[3], NOW + timedelta(minutes=2)) == -timedelta(minutes=2)


def test_items_escalated_first_most_overdue_first_then_by_time_left_then_done_ones_newest_first():
    late = (item(1), [delivery(1, DeliveryState.PENDING, NOW - timedelta(minutes=5), escalated=True)])
    later = (item(2), [delivery(2, DeliveryState.READ, NOW - timedelta(minutes=50), escalated=True)])
    soon = (item(3), [delivery(3, DeliveryState.PENDING, NOW + timedelta(minutes=3))])
    not_soon = (item(4), [delivery(4, DeliveryState.READ, NOW + timedelta(minutes=90))])
    done_old = (item(5, NOW - timedelta(hours=3)), [delivery(5, DeliveryState.ACKED, NOW)])
    done_new = (item(6, NOW - timedelta(hours=1)), [delivery(6, DeliveryState.ACKED, NOW)])
    board = [done_old, soon, late, not_soon, done_new, later]
    assert [i.id for i, _ in sorted(board, key=lambda b: item_order(*b))] == [2, 1, 3, 4, 6, 5]


def test_today_starts_at_midnight_beijing_time():
    assert day_start(datetime(2026, 11, 24, 1, 0, tzinfo=UTC)) == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert day_start(datetime(2026, 11, 24, 17, 0, tzinfo=UTC)) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
