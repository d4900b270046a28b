"""SMS rules with no I/O: what a clerk's reply means, how delivery states order, digests,
which of the gateway's messages is ours, when to ask the gateway again.

Replies (短信回复签收): `1`, `Y`, `收到`, `签收` or `ACK` sign for the most recent
open item sent to the phone; `ACK 4821` or `签收 4821` sign for the item with that
short code; anything else gets the help text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from hub.domain.calendar import CST
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


def signed_by_another_text(title: str, name: str, at: datetime | None) -> str:
    """A reply for an item a colleague signed for first: who and when (Beijing time)."""
    short = title if len(title) <= 20 else title[:19] + "…"
    when = at.astimezone(CST).strftime("%m-%d %H:%M") if at else ""
    return f"{PREFIX}《{short}》已由{name or '本单位'}于{when}签收，无需再签。"


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


# -- which of the gateway's messages is ours (after a call that got no answer) ---------------

CALLBACK_TOKEN = "m"      # the query parameter of our StatusCallback URL that names our message


@dataclass(frozen=True)
class GatewayMessage:
    """A message as the gateway's list or fetch shows it."""
    sid: str
    body: str
    status: str
    error_code: int | None = None
    created: datetime | None = None       # by the gateway's clock
    callback: str | None = None           # its StatusCallback, on a gateway that shows it (Twilio does not)


def callback_token(url: str) -> str:
    values = parse_qs(urlsplit(url).query).get(CALLBACK_TOKEN)
    return values[0] if values else ""


def our_message(listed: Sequence[GatewayMessage], body: str, token: str,
                known_sids: Collection[str]) -> GatewayMessage | None:
    """The listed message (newest first) that is the one we sent with this body and token, if any.

    Nothing here depends on a clock. A record that shows its callback's token is ours exactly when
    the token is ours. Otherwise (Twilio's records do not show it) it is the oldest one with our
    text whose SID is not already one of ours: a SID we hold belongs to another of our messages,
    e.g. an earlier digest with the same text.
    """
    rest = []
    for m in listed:
        seen = callback_token(m.callback) if m.callback else ""
        if seen:
            if token and seen == token:
                return m
            continue
        if m.body == body and m.sid not in known_sids:
            rest.append(m)
    return rest[-1] if rest else None


# -- asking the gateway about a status we never heard ---------------------------------------

def next_check(sent_at: datetime, checks: int, now: datetime, after: timedelta,
               give_up: timedelta) -> datetime | None:
    """When to fetch a message that is not final yet, after `checks` fetches: `after`, then twice
    as long each time; None once that is more than `give_up` after it was sent (some networks never
    report a delivery)."""
    at = now + after * 2 ** checks
    return at if at - sent_at <= give_up else None


def clock_skew_warning(skew: timedelta | None, limit: timedelta) -> bool:
    """The gateway's clock (its HTTP Date) and ours differ by more than `limit`."""
    return skew is not None and abs(skew) > limit
