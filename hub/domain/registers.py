"""The registers (登记簿): a unit's 收文登记簿 (what it received) and 发文登记簿 (what it issued), per year.

What may be asked of a register: a year, filters (date range, urgency, state, sender, handler or
recipient unit, words of the title), a sort column and direction, a page of 100. A query string
is read here into a `RegisterQuery`, or refused with a clear message; nothing is guessed.

Pure: no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from hub.domain.incoming import State
from hub.errors import XietongError


class Book(StrEnum):
    INCOMING = "incoming"    # 收文登记簿
    OUTGOING = "outgoing"    # 发文登记簿


PAGE_SIZE = 100
MAX_WORDS = 50               # the longest sender / title words a filter takes
FIRST_YEAR, LAST_YEAR = 2000, 2100
URGENCIES = ("extra_urgent", "urgent", "ordinary")

# the columns one may sort by, in the order the register shows them
INCOMING_SORTS = ("number", "received", "from", "from_number", "title", "kind", "urgency", "copies", "pages",
                  "deadline", "handler", "state", "closed")
OUTGOING_SORTS = ("number", "title", "kind", "urgency", "signer", "signed", "state", "sealed",
                  "dispatched")
INCOMING_STATES = tuple(s.value for s in State)
# an outgoing document enters the 发文登记簿 when it is numbered (登记), and stays in it
OUTGOING_STATES = ("registered", "sealed", "dispatched", "withdrawn")

SORTS = {Book.INCOMING: INCOMING_SORTS, Book.OUTGOING: OUTGOING_SORTS}
STATES = {Book.INCOMING: INCOMING_STATES, Book.OUTGOING: OUTGOING_STATES}


@dataclass(frozen=True)
class RegisterQuery:
    """One look at a register: which rows, in which order, which page (1-based)."""
    book: Book
    year: int
    urgency: str = ""
    state: str = ""
    sender: str = ""              # 来文单位 contains (incoming)
    unit_id: int | None = None    # the lead unit, 主办 (incoming); a main or copy recipient (outgoing)
    words: str = ""               # title (or 来文字号 / 文号) contains
    date_from: date | None = None  # 收文日期 (incoming), 签发日期 (outgoing), both ends included
    date_to: date | None = None
    sort: str = "number"
    desc: bool = False
    page: int = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    @property
    def filtered(self) -> bool:
        return bool(self.urgency or self.state or self.sender or self.unit_id is not None or self.words
                    or self.date_from or self.date_to)

    def params(self, **changes: object) -> dict[str, str]:
        """The query string that asks for this look again (with `changes`), defaults left out."""
        q = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        out = {"year": str(q.year), "urgency": q.urgency, "state": q.state, "q": q.words,
               "date_from": q.date_from.isoformat() if q.date_from else "",
               "date_to": q.date_to.isoformat() if q.date_to else "",
               "sort": "" if q.sort == "number" else q.sort, "desc": "1" if q.desc else "",
               "page": "" if q.page == 1 else str(q.page)}
        if q.book is Book.INCOMING:
            out["from"] = q.sender
            out["handler"] = str(q.unit_id) if q.unit_id is not None else ""
        else:
            out["to"] = str(q.unit_id) if q.unit_id is not None else ""
        return {k: v for k, v in out.items() if v}

    def sorted_by(self, column: str) -> dict[str, str]:
        """The header link of a column: sort by it, or turn the direction round if it is the sort already."""
        return self.params(sort=column, desc=not self.desc if column == self.sort else False, page=1)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise XietongError("registers.bad_date", field=field) from None


def _whole(text: str, code: str, lowest: int, highest: int) -> int:
    if not (text.isascii() and text.isdigit()) or not lowest <= int(text) <= highest:
        raise XietongError(code, lowest=lowest, highest=highest)
    return int(text)


def _words(text: str, field: str) -> str:
    text = text.strip()
    if len(text) > MAX_WORDS:
        raise XietongError("registers.words_too_long", field=field, limit=MAX_WORDS)
    return text


def parse_query(book: Book, args: Mapping[str, str], today: date) -> RegisterQuery:
    """A register query from a query string; the year defaults to this one. A wrong value is
    refused with a message naming it, never ignored (a filter silently dropped would mislead)."""
    def arg(name: str) -> str:
        return (args.get(name) or "").strip()

    year = _whole(arg("year"), "registers.bad_year", FIRST_YEAR, LAST_YEAR) if arg("year") else today.year
    urgency = arg("urgency")
    if urgency and urgency not in URGENCIES:
        raise XietongError("registers.bad_urgency")
    state = arg("state")
    if state and state not in STATES[book]:
        raise XietongError("registers.bad_state", state=state[:30])
    sort = arg("sort") or "number"
    if sort not in SORTS[book]:
        raise XietongError("registers.bad_sort", sort=sort[:30])
    desc = arg("desc")
    if desc not in ("", "0", "1"):
        raise XietongError("registers.bad_desc")
    unit_name = "handler" if book is Book.INCOMING else "to"
    unit = arg(unit_name)
    unit_id = _whole(unit, "registers.bad_unit", 1, 2**63 - 1) if unit else None
    date_from, date_to = _date(arg("date_from"), "date_from"), _date(arg("date_to"), "date_to")
    if date_from and date_to and date_from > date_to:
        raise XietongError("registers.bad_range", date_from=date_from.isoformat(), date_to=date_to.isoformat())
    page = _whole(arg("page"), "registers.bad_page", 1, 10**6) if arg("page") else 1
    return RegisterQuery(book, year, urgency, state, _words(arg("from"), "from") if book is Book.INCOMING else "",
                         unit_id, _words(arg("q"), "q"), date_from, date_to, sort, desc == "1", page)
