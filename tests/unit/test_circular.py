"""The circular's rule (which units are named slow or little-used, and why) and its text: pure."""

from datetime import date

from hub.domain.circular import CircularRule, circular_text, freeze, named_units
from hub.domain.stats import UnitFigures

RULE = CircularRule(slow_median_minutes=240, slow_overdue_percent=20, min_received=3,
                    idle_active_percent=50, idle_logins=5)


def figures(unit_id: int, received: int = 10, median: float | None = 30.0, overdue: int = 0,
            people: int = 4, active: int = 4, logins: int = 20) -> UnitFigures:
    return UnitFigures(unit_id, received, received, median, median, overdue, 0, people, logins, active)


def test_a_unit_slow_to_sign_for_is_named_with_each_reason_and_the_rules_number():
    (named,) = named_units([figures(1, median=241.0, overdue=3)], RULE)
    assert named.kind == "slow"
    assert [(r.code, r.value, r.limit) for r in named.reasons] == [("median", 241.0, 240), ("overdue", 30.0, 20)]


def test_at_the_limit_is_not_named_and_too_few_items_are_not_judged():
    assert named_units([figures(1, median=240.0, overdue=2)], RULE) == []        # 20% is not above 20%
    assert named_units([figures(2, received=2, median=900.0, overdue=2)], RULE) == []


def test_a_little_used_unit_is_named_for_its_active_share_or_its_logins():
    (few_active, few_logins) = named_units([figures(1, active=1), figures(2, logins=4)], RULE)
    assert (few_active.kind, [r.code for r in few_active.reasons]) == ("idle", ["active"])
    assert few_active.reasons[0].value == 25.0
    assert [(r.code, r.value) for r in few_logins.reasons] == [("logins", 4)]
    assert named_units([figures(3, people=0, active=0, logins=0)], RULE) == []    # nobody to log in


def test_slow_units_come_before_little_used_ones():
    named = named_units([figures(1, active=0), figures(2, median=500.0)], RULE)
    assert [(n.unit_id, n.kind) for n in named] == [(2, "slow"), (1, "idle")]


def test_the_text_states_the_rule_lists_who_and_why_and_carries_the_table():
    frozen = freeze([figures(1, median=300.0), figures(2)], {1: "南桥镇人民政府", 2: "东湖镇人民政府"}, RULE)
    text = circular_text(frozen, "现予通报。", "示范区人民政府办公室", date(2026, 11, 1), date(2026, 11, 30))
    assert "依据电子政务专网运行管理规定" in text and "签收用时中位数超过240分钟" in text
    assert "签收迟缓单位：\n　　南桥镇人民政府：签收用时中位数300分钟（标准：不超过240分钟）。" in text
    assert "　　东湖镇人民政府 | 10 | 10 | 30.0 | 30.0 | 0 | 0 | 20 | 4/4 | 0 | 0" in text
    assert text.splitlines()[2] == "现予通报。" and text.endswith("示范区人民政府办公室")


def test_a_period_where_nothing_happened_says_so():
    frozen = freeze([figures(1, received=0, median=None)], {1: "东湖镇人民政府"}, RULE)
    text = circular_text(frozen, "", "办公室", date(2026, 1, 1), date(2026, 1, 31))
    assert "本期没有向各单位下发的事项，无签收统计数据。" in text and "本期没有单位达到通报标准。" in text
