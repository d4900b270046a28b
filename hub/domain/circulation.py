"""传阅 as rules: what a circulation must say and to whom, what the sender's view calls each reader,
and the reminder's SMS text. Pure: no I/O here (the use-cases are hub.services.circulation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.domain.calendar import CST
from hub.domain.identity import Unit
from hub.domain.incoming import check_text
from hub.domain.roads import StepState
from hub.domain.sms_text import MAX_SEGMENTS, PREFIX, segments
from hub.errors import XietongError

MAX_READERS = 200
MAX_COMMENT = 1000
# what the sender's view calls each reader's step
STATUS = {StepState.WAITING: "not_yet", StepState.OPEN: "unread", StepState.DONE: "read",
          StepState.CANCELLED: "withdrawn"}


@dataclass(frozen=True)
class Reader:
    step_id: int
    user_id: int
    name: str
    unit_name: str
    position: int
    state: str               # waiting | open | done | cancelled (the step's)
    read_at: datetime | None
    comment: str

    @property
    def status(self) -> str:
        """not_yet (未到) | unread (待阅) | read (已阅) | withdrawn (撤回)."""
        return STATUS[StepState(self.state)]


def checked(note: str, user_ids: list[int], sender_id: int) -> tuple[str, list[int]]:
    """The note (never empty) and the readers, each once, in the order given; or a clear refusal."""
    note = check_text(note, "circulation.note_required")
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise XietongError("circulation.nobody")
    if len(wanted) > MAX_READERS:
        raise XietongError("circulation.too_many", limit=MAX_READERS)
    if sender_id in wanted:
        raise XietongError("circulation.to_self")
    return note, wanted


def checked_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise XietongError("circulation.comment_too_long", limit=MAX_COMMENT)
    return comment


def local_midnight(now: datetime) -> datetime:
    """The start of `now`'s day in Beijing: reminders are counted per local day."""
    return now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)


def remind_text(sender: str, number: str, title: str) -> str:
    """The reminder's SMS, the title shortened (…) to fit two segments."""
    def build(t: str) -> str:
        return f"{PREFIX}{sender}提醒您阅知收文《{t}》（{number}），请登录协同查看并点“已阅”。"
    cut, text = title, build(title)
    while segments(text) > MAX_SEGMENTS and len(cut) > 4:
        cut = cut[:-1]
        text = build(cut + "…")
    return text


def descendants(units: list[Unit], root: int) -> set[int]:
    """The unit and every unit below it: whom its received documents may be circulated to."""
    below: dict[int, list[int]] = {}
    for u in units:
        if u.parent_id is not None:
            below.setdefault(u.parent_id, []).append(u.id)
    found, todo = {root}, [root]
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
