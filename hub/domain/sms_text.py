"""What a clerk's phone shows: short Chinese texts that fit one or two SMS segments."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from hub.domain.calendar import CST
from hub.domain.items import Item, ItemKind, Urgency

PREFIX = "【协同】"
MAX_SEGMENTS = 2

KIND_LABEL = {ItemKind.DOCUMENT: "公文", ItemKind.MEETING_NOTICE: "会议通知",
              ItemKind.URGENT_PETITION: "紧急信访件", ItemKind.EMERGENCY_ORDER: "紧急指令"}
URGENCY_LABEL = {Urgency.EXTRA_URGENT: "特急", Urgency.URGENT: "加急", Urgency.ORDINARY: ""}


def segments(text: str) -> int:
    """UCS-2 SMS segments: 70 characters in one, 67 per part when split."""
    n = len(text)
    return 1 if n <= 70 else math.ceil(n / 67)


def _when(t: datetime) -> str:
    return t.astimezone(CST).strftime("%m-%d %H:%M")


def _fit(build: Callable[[str], str], title: str) -> str:
    """Shorten the title (with …) until the text fits MAX_SEGMENTS."""
    text = build(title)
    cut = len(title)
    while segments(text) > MAX_SEGMENTS and cut > 4:
        cut -= 1
        text = build(title[:cut] + "…")
    return text


def label(item: Item) -> str:
    """特急公文, 加急会议通知, 特急指令 (not 特急紧急指令: the urgency already says it)."""
    kind = KIND_LABEL[item.kind]
    if item.urgency is not Urgency.ORDINARY and kind.startswith("紧急"):
        kind = kind[2:]
    return URGENCY_LABEL[item.urgency] + kind


def issued_text(item: Item) -> str:
    return _fit(lambda t: f"{PREFIX}{label(item)}《{t}》，请于{_when(item.due_at)}前签收。"
                          f"回复1签收，或回复“签收 {item.short_code}”。", item.title)


def remind_text(item: Item) -> str:
    return _fit(lambda t: f"{PREFIX}提醒：{label(item)}《{t}》尚未阅读，请于{_when(item.due_at)}前签收。"
                          f"回复“签收 {item.short_code}”。", item.title)


def chase_text(item: Item, sender_name: str) -> str:
    """催办: the sender asks a unit that has not signed for it yet to do so now."""
    return _fit(lambda t: f"{PREFIX}催办：{sender_name}提醒您签收{label(item)}《{t}》，截止{_when(item.due_at)}。"
                          f"回复“签收 {item.short_code}”。", item.title)


def backup_text(item: Item, unit_name: str) -> str:
    return _fit(lambda t: f"{PREFIX}{unit_name}尚未签收{label(item)}《{t}》，"
                          f"截止{_when(item.due_at)}，请督促办理。", item.title)


def duty_desk_text(item: Item, unit_name: str) -> str:
    return _fit(lambda t: f"{PREFIX}值班提醒：{unit_name}超时未签收{label(item)}《{t}》，请跟进。", item.title)


def meeting_reminder_text(item: Item) -> str:
    at = _when(item.meeting_at) if item.meeting_at else ""
    return _fit(lambda t: f"{PREFIX}会议提醒：《{t}》将于{at}在{item.meeting_place}召开，请准时参加。",
                item.title)


def meeting_changed_text(item: Item, due_at: datetime) -> str:
    """A meeting moved (new time or room): the units confirm again by signing for the notice again."""
    at = _when(item.meeting_at) if item.meeting_at else ""
    return _fit(lambda t: f"{PREFIX}会议变更：《{t}》改为{at}在{item.meeting_place}召开，请于{_when(due_at)}前"
                          f"签收确认并报送参会回执。回复“签收 {item.short_code}”。", item.title)


def meeting_postponed_text(item: Item) -> str:
    return _fit(lambda t: f"{PREFIX}会议延期：《{t}》延期召开，时间另行通知。", item.title)


def meeting_cancelled_text(item: Item) -> str:
    return _fit(lambda t: f"{PREFIX}会议取消：《{t}》已取消，无需参加。", item.title)


def meeting_chase_text(item: Item, organiser: str) -> str:
    """催报: the organiser asks a unit that has not answered the current notice for its reply (参会回执)."""
    return _fit(lambda t: f"{PREFIX}催报：{organiser}请您尽快报送《{t}》的参会回执。"
                          f"回复“签收 {item.short_code}”确认收到。", item.title)


def withdrawn_text(item: Item) -> str:
    return _fit(lambda t: f"{PREFIX}{label(item)}《{t}》已由发文单位撤销，无需再办理。", item.title)


# --- the office roads: deadline rungs, manual chases (催办), supervision (督办) -------------------

STEP_LABEL = {"review": "初审", "propose": "拟办", "instruct": "批示", "assign": "分办", "handle": "承办",
              "assist": "协办", "read": "传阅", "close": "办结", "progress": "督办进展报告",
              "answer": "批复"}


def _step(kind: str) -> str:
    return STEP_LABEL.get(kind, kind)


def road_remind_text(noun: str, kind: str, title: str, due: datetime) -> str:
    """Before the deadline, to the people who hold the step."""
    return _fit(lambda t: f"{PREFIX}提醒：{noun}《{t}》的{_step(kind)}将于{_when(due)}到期，请及时办理。", title)


def road_leader_text(unit_name: str, noun: str, kind: str, title: str, due: datetime) -> str:
    """At the deadline, to the leaders of the unit that holds the step."""
    return _fit(lambda t: f"{PREFIX}{unit_name}{noun}《{t}》的{_step(kind)}已于{_when(due)}到期，请督促办理。",
                title)


def road_office_text(unit_name: str, noun: str, kind: str, title: str, due: datetime) -> str:
    """After the deadline, to the office (the clerks of the record's unit)."""
    return _fit(lambda t: f"{PREFIX}超期提醒：{unit_name}{noun}《{t}》的{_step(kind)}已超过期限"
                          f"（{_when(due)}），请跟进督办。", title)


def road_chase_text(chaser: str, noun: str, kind: str, title: str, due: datetime | None) -> str:
    """催办 by hand: the office asks the holders of a step to do it now."""
    until = f"，期限{_when(due)}" if due else ""
    return _fit(lambda t: f"{PREFIX}催办：{chaser}请您尽快完成{noun}《{t}》的{_step(kind)}{until}。", title)


def supervision_text(noun: str, title: str, every_days: int, first_report: datetime) -> str:
    """督办: the lead is told the document is supervised and when to report."""
    return _fit(lambda t: f"{PREFIX}督办：{noun}《{t}》已列入督办，请每{every_days}天报送办理进展，"
                          f"首次于{_when(first_report)}前。", title)
