"""Registers as CSV downloads, beside the .xlsx ones (webapp/xlsx.py) and with the same safety.

UTF-8 with a byte-order mark, so Excel opens the Chinese right; CRLF line ends (RFC 4180). A text
cell that a spreadsheet would take for a formula (it begins with = + - @, a tab or a carriage
return) gets a leading apostrophe: opened in Excel it stays the text the user typed (OWASP's
advice against CSV injection). Times are Beijing time, to the minute.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from aiohttp import web

from hub.domain.calendar import CST
from webapp.xlsx import Cell

CSV_TYPE = "text/csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):      # a datetime
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in headers])
    writer.writerows([csv_text(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def csv_download(filename: str, body: bytes) -> web.Response:
    """A download of `csv_bytes`, its (Chinese) file name kept by RFC 6266 / 5987."""
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in "-_." else "_" for c in filename)
    return web.Response(body=body, content_type=CSV_TYPE, charset="utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})
