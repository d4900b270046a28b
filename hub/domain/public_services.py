"""公共服务: the page of common tools and reference information the government office keeps for
everyone on the network - links to systems inside it, forms to download, and short reference texts.
Pure rules: what an entry may hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from hub.errors import XietongError

MAX_TITLE = 100
MAX_BODY = 5000
MAX_URL = 500


class Kind(StrEnum):
    LINK = "link"        # 常用链接: a system inside the network
    FORM = "form"        # 表格下载: a form to download
    INFO = "info"        # 参考信息: a short text (office hours, addresses, rules of thumb)


@dataclass(frozen=True)
class Resource:
    id: int
    kind: Kind
    title: str
    url: str
    body: str
    file_name: str
    position: int
    updated_at: datetime


def check_link(url: str) -> str:
    """An http(s) address with a host (no javascript:, no spaces): the page shows it as a link."""
    url = url.strip()
    parts = urlsplit(url)
    if (len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname
            or any(c.isspace() or ord(c) < 0x20 for c in url)):
        raise XietongError("services.bad_link")
    return url


def check_resource(kind: str, title: str, url: str, body: str, has_file: bool) -> tuple[Kind, str, str, str]:
    """The kind, title, address and text of an entry, checked for its kind."""
    try:
        k = Kind(kind)
    except ValueError:
        raise XietongError("services.bad_kind") from None
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise XietongError("services.bad_title", max=MAX_TITLE)
    body = body.strip()
    if len(body) > MAX_BODY:
        raise XietongError("services.too_long", max=MAX_BODY)
    if k is Kind.LINK:
        url = check_link(url)
    else:
        url = ""
    if k is Kind.FORM and not has_file:
        raise XietongError("services.no_file")
    if k is Kind.INFO and not body:
        raise XietongError("services.no_text")
    return k, title, url, body
