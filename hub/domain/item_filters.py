"""Filters of the inbox (收件箱) and the sent list (已发事项): by state, urgency and title."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.domain.items import Urgency
from hub.errors import XietongError


class ListState(StrEnum):
    OPEN = "open"              # 未签收 (unread or read); sent: some unit has not signed for it
    ACKED = "acked"            # 已签收; sent: every unit signed for it
    RETURNED = "returned"      # 已退回; sent: some unit returned it
    WITHDRAWN = "withdrawn"    # 已撤销


MAX_QUERY = 50


@dataclass(frozen=True)
class ListFilter:
    state: ListState | None = None
    urgency: Urgency | None = None
    q: str = ""                # words of the title

    @property
    def active(self) -> bool:
        return bool(self.state or self.urgency or self.q)


def parse_filter(state: str = "", urgency: str = "", q: str = "") -> ListFilter:
    """From a query string's values ("" = any); an unknown value is a 400 naming the field."""
    try:
        st = ListState(state) if state else None
    except ValueError:
        raise XietongError("input.invalid", field="state") from None
    try:
        urg = Urgency(urgency) if urgency else None
    except ValueError:
        raise XietongError("input.invalid", field="urgency") from None
    text = " ".join(q.split())
    if len(text) > MAX_QUERY:
        raise XietongError("input.invalid", field="q")
    return ListFilter(st, urg, text)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % _ and \\ taken literally (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
