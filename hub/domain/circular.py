"""The circular (通报): which units the office names as slow or little-used, and the document's text.

The seed's rule (DOMAIN.md, operations rules): the office spot-checks units and publishes a circular
on units that are slow or use the system little, with per-unit statistics of time to sign for,
overdue items and usage. Our rule, its numbers from the `[circular]` config section:

- slow (签收迟缓): a unit that received at least `min_received` items in the period, and whose median
  time to sign for is above `slow_median_minutes`, or whose overdue share is above `slow_overdue_percent`;
- little used (使用较少): a unit with people whose active users are below `idle_active_percent` of
  its people, or whose logins are below `idle_logins`.

Pure: figures in, named units and text out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from hub.domain.stats import UnitFigures


@dataclass(frozen=True)
class CircularRule:
    slow_median_minutes: float = 240.0
    slow_overdue_percent: float = 20.0
    min_received: int = 3
    idle_active_percent: float = 50.0
    idle_logins: int = 5


@dataclass(frozen=True)
class Reason:
    code: str          # median | overdue | active | logins
    value: float       # the unit's figure (minutes, percent, count)
    limit: float       # the rule's number


@dataclass(frozen=True)
class Named:
    unit_id: int
    kind: str          # slow | idle
    reasons: tuple[Reason, ...]


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def named_units(figures: list[UnitFigures], rule: CircularRule) -> list[Named]:
    """The units the rule names, slow ones first, each with why (in the figures' order)."""
    slow: list[Named] = []
    idle: list[Named] = []
    for f in figures:
        reasons: list[Reason] = []
        if f.received >= rule.min_received:
            if f.median_minutes is not None and f.median_minutes > rule.slow_median_minutes:
                reasons.append(Reason("median", f.median_minutes, rule.slow_median_minutes))
            share = _share(f.overdue, f.received)
            if share > rule.slow_overdue_percent:
                reasons.append(Reason("overdue", share, rule.slow_overdue_percent))
        if reasons:
            slow.append(Named(f.unit_id, "slow", tuple(reasons)))
        reasons = []
        if f.people:
            share = _share(f.active_users, f.people)
            if share < rule.idle_active_percent:
                reasons.append(Reason("active", share, rule.idle_active_percent))
            if f.logins < rule.idle_logins:
                reasons.append(Reason("logins", f.logins, rule.idle_logins))
        if reasons:
            idle.append(Named(f.unit_id, "idle", tuple(reasons)))
    return slow + idle


# -- the frozen figures (circulars.figures) ---------------------------------------------------

def freeze(figures: list[UnitFigures], names: dict[int, str], rule: CircularRule) -> dict[str, Any]:
    """What a draft keeps: the table, the rule's numbers and the units named, as plain JSON data."""
    return {"units": [{**asdict(f), "name": names.get(f.unit_id, str(f.unit_id))} for f in figures],
            "rule": asdict(rule),
            "named": [{"unit_id": n.unit_id, "kind": n.kind, "reasons": [asdict(r) for r in n.reasons]}
                      for n in named_units(figures, rule)]}


# -- the text ---------------------------------------------------------------------------------

def default_title(first: date, last: date, month: bool) -> str:
    span = f"{first.year}年{first.month}月" if month else f"{_day(first)}至{_day(last)}"
    return f"关于{span}电子政务专网公文签收及系统使用情况的通报"


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _num(v: float) -> str:
    return f"{v:g}"


def reason_text(r: dict[str, Any]) -> str:
    v, limit = _num(r["value"]), _num(r["limit"])
    return {"median": f"签收用时中位数{v}分钟（标准：不超过{limit}分钟）",
            "overdue": f"逾期签收占{v}%（标准：不超过{limit}%）",
            "active": f"活跃人员占本单位人员{v}%（标准：不低于{limit}%）",
            "logins": f"登录{v}次（标准：不少于{limit}次）"}[r["code"]]


TABLE_COLUMNS = ("单位", "收到", "已签收", "签收用时中位数（分钟）", "签收用时P90（分钟）", "逾期", "被催办",
                 "登录次数", "活跃人员/人员", "报送信息", "采用")


def table_rows(frozen: dict[str, Any]) -> list[list[str | int | float]]:
    """The table's rows in TABLE_COLUMNS' order (the body's lines, the .xlsx and the page)."""
    rows: list[list[str | int | float]] = []
    for u in frozen["units"]:
        rows.append([u["name"], u["received"], u["acknowledged"],
                     "—" if u["median_minutes"] is None else u["median_minutes"],
                     "—" if u["p90_minutes"] is None else u["p90_minutes"], u["overdue"], u["chased"],
                     u["logins"], f"{u['active_users']}/{u['people']}", u["reports_sent"], u["reports_adopted"]])
    return rows


def circular_text(frozen: dict[str, Any], intro: str, office: str, first: date, last: date) -> str:
    """The published document's body: the office's words, the rule stated, the units named and why,
    and the table as lines."""
    rule = frozen["rule"]
    names = {u["unit_id"]: u["name"] for u in frozen["units"]}
    lines = ["各镇人民政府，区政府各部门：", ""]
    if intro.strip():
        lines += [intro.strip(), ""]
    received = sum(u["received"] for u in frozen["units"])
    lines.append(f"现将{_day(first)}至{_day(last)}各单位电子政务专网公文签收及系统使用情况通报如下。")
    if not frozen["units"] or not received:
        lines.append("本期没有向各单位下发的事项，无签收统计数据。")
    lines.append("")
    lines.append(
        f"依据电子政务专网运行管理规定关于抽查通报的要求，收到事项不少于{rule['min_received']}件的单位中，"
        f"签收用时中位数超过{_num(rule['slow_median_minutes'])}分钟或逾期签收占比超过"
        f"{_num(rule['slow_overdue_percent'])}%的，列为签收迟缓单位；活跃人员不足本单位人员"
        f"{_num(rule['idle_active_percent'])}%或登录少于{rule['idle_logins']}次的，列为系统使用较少单位。")
    named = frozen["named"]
    if named:
        lines.append("依据上述标准，对以下单位予以通报：")
        for kind, label in (("slow", "签收迟缓单位"), ("idle", "系统使用较少单位")):
            of_kind = [n for n in named if n["kind"] == kind]
            if of_kind:
                lines.append(f"{label}：")
                for n in of_kind:
                    why = "；".join(reason_text(r) for r in n["reasons"])
                    lines.append(f"　　{names.get(n['unit_id'], n['unit_id'])}：{why}。")
        lines.append("请被通报单位认真查找原因，落实专人每个工作日登录系统、及时签收办理。")
    else:
        lines.append("本期没有单位达到通报标准。")
    lines += ["", "附：各单位统计表（详见附件）", "　　" + " | ".join(TABLE_COLUMNS)]
    lines += ["　　" + " | ".join(str(c) for c in row) for row in table_rows(frozen)]
    lines += ["", office]
    return "\n".join(lines)
