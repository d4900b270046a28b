"""Urgent items and their deliveries: what may be issued, and a delivery's life.

An item (事项) is a document, meeting notice, urgent petition or emergency
order sent by one unit to main (主送) and copied (抄送) recipient units. Each
recipient unit has one delivery (送达), which is read, then signed for (签收,
"acknowledged") or returned (退回).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hub.errors import XietongError


class ItemKind(StrEnum):
    DOCUMENT = "document"                  # 公文
    MEETING_NOTICE = "meeting_notice"      # 会议通知
    URGENT_PETITION = "urgent_petition"    # 紧急信访件
    EMERGENCY_ORDER = "emergency_order"    # 紧急指令


class Urgency(StrEnum):
    EXTRA_URGENT = "extra_urgent"    # 特急
    URGENT = "urgent"                # 加急
    ORDINARY = "ordinary"            # 普通


class RecipientRole(StrEnum):
    MAIN = "main"    # 主送
    COPY = "copy"    # 抄送


class DeliveryState(StrEnum):
    PENDING = "pending"        # sent, nobody of the unit opened it yet
    READ = "read"              # opened, not signed for
    ACKED = "acked"            # 签收
    RETURNED = "returned"      # 退回
    WITHDRAWN = "withdrawn"    # 撤销 by the sender


OPEN_STATES = frozenset({DeliveryState.PENDING, DeliveryState.READ})


class AckVia(StrEnum):
    WEB = "web"
    SMS = "sms"
    CHAT = "chat"
    DUTY_DESK = "duty_desk"    # the duty desk on the unit's behalf, with a reason


# GB/T 9704-2012 文种: the fifteen kinds of official document
DOC_KINDS = ("决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示",
             "批复", "议案", "函", "纪要")

CLASSIFICATION_MARKS = ("绝密", "机密", "秘密")
DOC_NUMBER_RE = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,16}〔(?P<year>\d{4})〕(?P<seq>[1-9]\d{0,5})号$")


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ItemDraft:
    kind: ItemKind
    urgency: Urgency
    title: str
    body: str
    main_units: tuple[int, ...]
    copy_units: tuple[int, ...] = ()
    doc_number: str = ""          # 发文字号, e.g. 示政办发〔2026〕56号
    doc_kind: str = ""            # 文种
    issuing_office: str = ""      # 发文机关
    doc_date: str = ""            # 成文日期 YYYY-MM-DD
    meeting_at: datetime | None = None
    meeting_place: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    signer: str = ""              # 签发人 (upward documents)


def find_classification_mark(*texts: str) -> str | None:
    """The first classification mark found in any text, or None."""
    for text in texts:
        for mark in CLASSIFICATION_MARKS:
            if mark in text:
                return mark
    return None


def check_attachment_name(name: str) -> None:
    """A file's name as kept and offered for download: not blank, no path, at most 120 characters."""
    if not name.strip() or "/" in name or "\\" in name or len(name) > 120:
        raise XietongError("item.bad_attachment_name")


def check_draft(d: ItemDraft, now: datetime, attachment_limit: int) -> ItemDraft:
    """Refuse what may not be issued, with a message the sender understands."""
    names = [a.name for a in d.attachments]
    mark = find_classification_mark(d.title, d.body, d.doc_number, d.issuing_office, d.meeting_place,
                                    *names)
    if mark:
        raise XietongError("item.classified", mark=mark)
    title = d.title.strip()
    if not 1 <= len(title) <= 200:
        raise XietongError("item.bad_title")
    if len(d.body) > 100_000:
        raise XietongError("item.body_too_long")
    if not d.main_units:
        raise XietongError("item.no_recipients")
    if set(d.main_units) & set(d.copy_units):
        raise XietongError("item.recipient_twice")
    if len(set(d.main_units)) < len(d.main_units) or len(set(d.copy_units)) < len(d.copy_units):
        raise XietongError("item.recipient_repeated")
    total = sum(len(a.content) for a in d.attachments)
    if total > attachment_limit:
        raise XietongError("item.attachments_too_large", limit_mb=_mb(attachment_limit), size_mb=_mb(total))
    for a in d.attachments:
        check_attachment_name(a.name)
    if d.doc_number and not DOC_NUMBER_RE.match(d.doc_number.strip()):
        raise XietongError("item.bad_doc_number")
    if d.doc_kind and d.doc_kind not in DOC_KINDS:
        raise XietongError("item.bad_doc_kind")
    if d.kind is ItemKind.MEETING_NOTICE:
        if d.meeting_at is None or not d.meeting_place.strip():
            raise XietongError("item.meeting_needs_time_and_place")
        if d.meeting_at <= now:
            raise XietongError("item.meeting_in_past")
    return d


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def can_read(state: DeliveryState) -> bool:
    return state in OPEN_STATES


def after_read(state: DeliveryState) -> DeliveryState:
    return DeliveryState.READ if state is DeliveryState.PENDING else state


def check_can_acknowledge(state: DeliveryState) -> None:
    if state is DeliveryState.ACKED:
        raise XietongError("delivery.already_acked", by_en="", by_zh="")
    if state not in OPEN_STATES:
        raise XietongError("delivery.closed", state=state.value)


def receipt_number(issued_at: datetime, delivery_id: int, round_: int = 1) -> str:
    """回执号: the issue date and the delivery, e.g. HZ20261124-000042; a re-sent round signed for
    again gets a receipt of its own, with the round: HZ20261124-000042-2."""
    base = f"HZ{issued_at.strftime('%Y%m%d')}-{delivery_id:06d}"
    return base if round_ <= 1 else f"{base}-{round_}"


@dataclass(frozen=True)
class Item:
    id: int
    kind: ItemKind
    urgency: Urgency
    title: str
    body: str
    doc_number: str
    doc_kind: str
    issuing_office: str
    doc_date: str
    meeting_at: datetime | None
    meeting_place: str
    sender_unit_id: int
    sender_user_id: int
    issued_at: datetime
    due_at: datetime
    working_time: bool
    ladder: list[dict[str, str]]
    short_code: str
    withdrawn_at: datetime | None
    signer: str = ""


@dataclass(frozen=True)
class Delivery:
    id: int
    item_id: int
    unit_id: int
    role: RecipientRole
    state: DeliveryState
    sent_at: datetime
    due_at: datetime
    assignee_id: int | None
    read_at: datetime | None
    read_by: int | None
    acked_at: datetime | None
    acked_by: int | None
    ack_via: AckVia | None
    ack_note: str
    receipt_no: str | None
    returned_at: datetime | None
    return_reason: str
    level: int
    escalated_at: datetime | None
    chases: int = 0                 # manual reminders (催办) by the sender: "提醒未签收单位"
    round: int = 1                  # 2, 3…: re-sent by the sender after a return (hub/services/resend.py)
    ladder: list[dict[str, str]] | None = None   # a re-sent round's own ladder snapshot (None: the item's)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES
