"""Pure rules of quick sending: recipient groups, the sender's chase, the lists' filters."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.domain.chase import CHASE_PAUSE, deliveries_to_chase
from hub.domain.identity import Unit, UnitKind
from hub.domain.item_filters import ListState, like_pattern, parse_filter
from hub.domain.items import Delivery, DeliveryState, Item, ItemKind, RecipientRole, Urgency
from hub.domain.recipient_groups import MAX_GROUPS, apply_pick, builtin_groups, check_new_group
from hub.errors import XietongError

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
UNITS = [Unit(1, "BGS", "办公室", UnitKind.OFFICE, None), Unit(2, "DHZ", "东湖镇", UnitKind.TOWNSHIP, 1),
         Unit(3, "XSZ", "西山镇", UnitKind.TOWNSHIP, 1), Unit(4, "JYJ", "教育局", UnitKind.DEPARTMENT, 1)]


def item(sender: int = 1) -> Item:
    return Item(1, ItemKind.DOCUMENT, Urgency.EXTRA_URGENT, "通知", "", "", "", "", "", None, "", sender, 1,
                NOW, NOW + timedelta(minutes=30), False, [], "1234", None)


def delivery(n: int, state: DeliveryState = DeliveryState.PENDING) -> Delivery:
    return Delivery(n, 1, n, RecipientRole.MAIN, state, NOW, NOW, None, None, None, None, None, None, "",
                    None, None, "", 0, None)


def test_built_in_groups_come_from_the_unit_kinds_without_the_senders_own_unit() -> None:
    groups = {g.key: g.unit_ids for g in builtin_groups(UNITS, sender_unit_id=2)}
    assert groups == {"townships": (3,), "departments": (4,)}
    assert [g.key for g in builtin_groups(UNITS[:1], 1)] == []


def test_a_pick_adds_a_groups_units_all_and_none_replace_the_selection() -> None:
    choices = builtin_groups(UNITS, 1)
    assert apply_pick((4,), "townships", choices, [2, 3, 4])[0] == (4, 2, 3)
    assert apply_pick((4,), "all", choices, [2, 3, 4])[0] == (2, 3, 4)
    assert apply_pick((4,), "none", choices, [2, 3, 4])[0] == ()
    assert apply_pick((4,), "saved-99", choices, [2, 3, 4]) == ((4,), None)


def test_a_saved_group_needs_a_fresh_name_and_units_and_there_is_a_limit() -> None:
    assert check_new_group("  防汛  三镇 ", [2, 3, 2], []) == ("防汛 三镇", (2, 3))
    for name, ids, taken, code in [("", [2], [], "group.bad_name"), ("x" * 41, [2], [], "group.bad_name"),
                                   ("防汛", [], [], "group.no_units"), ("防汛", [2], ["防汛"], "group.exists"),
                                   ("新", [2], [str(n) for n in range(MAX_GROUPS)], "group.too_many")]:
        with pytest.raises(XietongError) as e:
            check_new_group(name, ids, taken)
        assert e.value.code == code


def test_a_chase_reminds_the_open_deliveries_not_chased_a_moment_ago() -> None:
    rows = [(delivery(2), None), (delivery(3), NOW - CHASE_PAUSE), (delivery(4, DeliveryState.ACKED), None),
            (delivery(5, DeliveryState.READ), NOW - timedelta(minutes=1))]
    assert [d.id for d in deliveries_to_chase(1, item(), rows, NOW)] == [2, 3]
    with pytest.raises(XietongError) as e:
        deliveries_to_chase(1, item(), [(delivery(5), NOW - timedelta(minutes=1))], NOW)
    assert e.value.code == "chase.too_soon" and e.value.params["minutes"] == 4
    with pytest.raises(XietongError) as e:
        deliveries_to_chase(2, item(), rows, NOW)
    assert e.value.code == "chase.not_sender"


def test_filters_parse_and_like_takes_wildcards_literally() -> None:
    f = parse_filter("open", "urgent", "  寒潮   防御 ")
    assert f.state is ListState.OPEN and f.urgency is Urgency.URGENT and f.q == "寒潮 防御" and f.active
    assert not parse_filter().active
    assert like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"
    for args in (("lost",), ("", "very"), ("", "", "字" * 51)):
        with pytest.raises(XietongError):
            parse_filter(*args)
