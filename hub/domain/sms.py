"""SMS rules with no I/O: what a clerk's reply means, how delivery states order, digests.

Replies (短信回复签收): `1`, `Y`, `收到`, `签收` or `ACK` sign for the most recent
open item sent to the phone; `ACK 4821` or `签收 4821` sign for the item with that
short code; anything else gets the help text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hub.domain.sms_text import PREFIX, segments

# Twilio's message states, in the order a message moves through them; the last three end it.
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "receiving": 3,
               "received": 4, "delivered": 5, "undelivered": 5, "failed": 5, "read": 6, "canceled": 5}
FINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})
NOT_ARRIVED = frozenset({"undelivered", "failed", "canceled"})

# Twilio error codes that retrying cannot fix (bad number, opted out, blocked...)
PERMANENT_ERRORS = frozenset({21211, 21214, 21408, 21610, 21612, 21614, 30003, 30004, 30005, 30006, 30007})
OPTED_OUT = 21610

ACK_WORDS = frozenset({"1", "Y", "YES", "收到", "签收", "ACK", "OK"})
_WITH_CODE = re.compile(r"^(?:ACK|签收|收到)\s*[:：]?\s*(\d{4,5})$", re.IGNORECASE)


def moves_forward(current: str, new: str) -> bool:
    """A status callback may arrive twice or late: a state never moves backward."""
    if current in FINAL:
        return False
    return STATUS_RANK.get(new, -1) > STATUS_RANK.get(current, -1)


@dataclass(frozen=True)
class Reply:
    kind: str            # "ack_latest" | "ack_code" | "help"
    code: str = ""


def parse_reply(body: str) -> Reply:
    text = unicodedata.normalize("NFKC", body).strip().rstrip("。.!！").strip()
    if text.upper() in ACK_WORDS:
        return Reply("ack_latest")
    m = _WITH_CODE.match(text)
    if m:
        return Reply("ack_code", m.group(1))
    return Reply("help")


HELP_TEXT = f"{PREFIX}回复1签收最新一条通知，或回复“签收 编号”签收指定通知（编号见通知短信）。"
UNKNOWN_TEXT = ""     # an unknown number learns nothing: no reply at all


def acked_text(title: str, receipt_no: str) -> str:
    short = title if len(title) <= 20 else title[:19] + "…"
    return f"{PREFIX}已签收《{short}》，回执号{receipt_no}。"


def nothing_open_text() -> str:
    return f"{PREFIX}您没有待签收的通知。"


def digest_text(lines: list[str], max_segments: int = 3) -> str:
    """Several notices to one phone within the digest window, as one message."""
    head = f"{PREFIX}您有{len(lines)}条新通知："
    tail = "回复“签收 编号”签收。"
    parts = [f"{i}.{line}" for i, line in enumerate(lines, 1)]
    text = head + "；".join(parts) + "。" + tail
    while segments(text) > max_segments and len(parts) > 1:
        parts.pop()
        text = head + "；".join(parts) + f"；等{len(lines)}条，详见协同。" + tail
    return text
