"""Reports upward (信息报送): kinds, states, the receipt number (回执编号), on-time answers and the
per-unit score. Pure: no I/O, no clock here (callers pass `now`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from hub.domain.roads import Move, Opens, Road, StepKind
from hub.errors import XietongError

ROAD = "report"
RECEIPT_PREFIX = "BS"


class Kind(StrEnum):
    WORK_NEWS = "work_news"    # 工作动态
    BRIEFING = "briefing"      # 简报
    REQUEST = "request"        # 请示: expects a 批复
    REPORT = "report"          # 报告
    ACCOUNT = "account"        # 汇报
    THEMATIC = "thematic"      # 专题文件


KIND_ZH = {Kind.WORK_NEWS: "工作动态", Kind.BRIEFING: "简报", Kind.REQUEST: "请示", Kind.REPORT: "报告",
           Kind.ACCOUNT: "汇报", Kind.THEMATIC: "专题文件"}


class State(StrEnum):
    RECEIVED = "received"      # arrived, receipt given
    AWAITING = "awaiting"      # 请示 waiting for its 批复
    ANSWERED = "answered"      # 批复 issued
    ADOPTED = "adopted"        # 采用 by the receiving office


# The road of a report: sending gives a 请示 its ANSWER step (the receiving office's clerks, with a
# deadline on the schedule); the 批复 completes it. Other kinds are received and stay so.
ROAD_TABLE = Road(
    name=ROAD,
    states=tuple(s.value for s in State),
    moves={
        "send": Move("send", frozenset({""}), None, follows=True, opens=(Opens(StepKind.ANSWER),)),
        "answer": Move("answer", frozenset({State.AWAITING.value}), State.ANSWERED.value,
                       completes=StepKind.ANSWER, cancels=frozenset({StepKind.ANSWER})),
    },
    closed_states=frozenset({State.ANSWERED.value, State.RECEIVED.value}),
)


def parse_kind(raw: str) -> Kind:
    try:
        return Kind(raw)
    except ValueError:
        raise XietongError("report.unknown_kind", kind=raw) from None


def first_state(kind: Kind) -> State:
    return State.AWAITING if kind is Kind.REQUEST else State.RECEIVED


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise XietongError("report.title_required")
    return title


def receipt_no(day: date, seq: int) -> str:
    """The receipt number of the `seq`-th report a receiving unit got on `day` (China time)."""
    return f"{RECEIPT_PREFIX}{day:%Y%m%d}-{seq:04d}"


def answer_title(title: str) -> str:
    return f"关于《{title}》的批复"


def check_answer(kind: Kind, state: State) -> None:
    """Only a 请示 takes a 批复, and only one."""
    if kind is not Kind.REQUEST:
        raise XietongError("report.not_a_request")
    if state is not State.AWAITING:
        raise XietongError("report.already_answered")


def answered_on_time(due: datetime | None, answered: datetime | None) -> bool:
    return due is not None and answered is not None and answered <= due


@dataclass(frozen=True, slots=True)
class Weights:
    """Points per figure; the values are configuration ([reports] weight_*)."""
    sent: float
    adopted: float
    on_time: float
    late: float
    overdue: float


@dataclass(frozen=True, slots=True)
class UnitFigures:
    sent: int
    adopted: int
    on_time: int
    late: int
    overdue: int

    def score(self, w: Weights) -> float:
        """score = sent×w.sent + adopted×w.adopted + on_time×w.on_time + late×w.late
        + open-overdue×w.overdue"""
        return (self.sent * w.sent + self.adopted * w.adopted + self.on_time * w.on_time
                + self.late * w.late + self.overdue * w.overdue)


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    unit_id: int
    to_unit_id: int
    kind: Kind
    title: str
    body: str
    sender_id: int
    sent_at: datetime
    receipt_no: str
    state: State
    answer_due_at: datetime | None
    answered_at: datetime | None
    answer_item_id: int | None
    adopted_at: datetime | None
    adopted_in: str
