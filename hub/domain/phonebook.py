"""通讯录 entries a unit's administrator keeps: the people of the unit with their job (职务), office
phone (办公电话) and mobile (手机), beside the duty phone and the accounts of its clerks and leaders.
Pure rules: what an entry may hold, and how the book finds a name, a job or their pinyin."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.errors import XietongError

MAX_NAME = 40
MAX_JOB = 40
MAX_ENTRIES = 300          # per unit
# an office line with its area code and extension, a mobile, a short number inside the network:
# digits, + at the start, spaces, hyphens, brackets, and 转 / ext. before an extension
_PHONE = re.compile(r"^\+?\(?[0-9][0-9 ()\-]{1,23}(?:(?:转|ext\.?|x)\s?[0-9]{1,6})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    id: int
    unit_id: int
    name: str
    job: str              # 职务, e.g. 党政办主任
    office_phone: str
    mobile: str
    position: int         # the unit admin's order (smaller first)


def check_phone(text: str, field: str) -> str:
    phone = " ".join(text.split())
    if phone and not _PHONE.match(phone):
        raise XietongError("phonebook.bad_phone", field=field)
    return phone


def check_entry(name: str, job: str, office_phone: str, mobile: str, position: int) -> tuple[str, str, str, str, int]:
    """An entry's fields, trimmed: a name, an optional job, at least one phone."""
    name, job = " ".join(name.split()), " ".join(job.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise XietongError("phonebook.bad_name", max=MAX_NAME)
    if len(job) > MAX_JOB:
        raise XietongError("phonebook.bad_job", max=MAX_JOB)
    office, mobile = check_phone(office_phone, "office_phone"), check_phone(mobile, "mobile")
    if not office and not mobile:
        raise XietongError("phonebook.no_phone")
    if not 0 <= position <= 9999:
        raise XietongError("input.invalid", field="position")
    return name, job, office, mobile, position


_EXT = re.compile(r"转|ext\.?|x", re.IGNORECASE)


def tel(phone: str) -> str:
    """The tel: link's number (RFC 3966): digits with their hyphens and a leading +, no spaces or
    brackets; an extension after a pause (,)."""
    main, _, ext = phone.partition(m.group(0)) if (m := _EXT.search(phone)) else (phone, "", "")
    digits = ("+" if main.strip().startswith("+") else "") + re.sub(r"[^0-9-]", "", main).strip("-")
    extension = re.sub(r"[^0-9]", "", ext)
    return f"{digits},{extension}" if extension else digits
