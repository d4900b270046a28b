"""Registers and lists as .xlsx downloads (XlsxWriter): one helper every export uses.

Text is always written as text, never as a formula (a cell typed "=HYPERLINK(...)" by a user
stays that text: no formula injection); times are real spreadsheet times in Beijing time;
the sheet prints on A4 with the header row repeated on every page, and page numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

import xlsxwriter
from aiohttp import web

from hub.domain.calendar import CST

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | datetime | None


def xlsx_bytes(sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]], title: str = "",
               widths: Sequence[int] = ()) -> bytes:
    """One sheet: an optional title line, a bold header row, the rows."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top", "border": 1})
    row = 0
    if title:
        ws.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
        row = 2
    for col, name in enumerate(headers):
        ws.write_string(row, col, name, bold)
        ws.set_column(col, col, widths[col] if col < len(widths) else 16)
    ws.repeat_rows(row)
    ws.freeze_panes(row + 1, 0)
    for values in rows:
        row += 1
        for col, value in enumerate(values):
            if value is None or value == "":
                ws.write_blank(row, col, None, wrap)
            elif isinstance(value, datetime):
                ws.write_datetime(row, col, value.astimezone(CST).replace(tzinfo=None), when)
            elif isinstance(value, bool) or not isinstance(value, int | float):
                ws.write_string(row, col, str(value), wrap)
            else:
                ws.write_number(row, col, value, wrap)
    ws.set_paper(9)            # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)      # as wide as one page, as long as it takes
    ws.set_footer("&C&P / &N")   # printed pages are numbered: 3 / 12
    book.close()
    return out.getvalue()


def xlsx_response(filename: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]],
                  title: str = "", widths: Sequence[int] = ()) -> web.Response:
    """A download of `xlsx_bytes`, its (Chinese) file name kept by RFC 6266 / 5987."""
    return xlsx_download(filename, xlsx_bytes(sheet, headers, rows, title, widths))


def xlsx_download(filename: str, body: bytes) -> web.Response:
    """The download of a workbook made already (a big register's is made off the event loop)."""
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in "-_." else "_" for c in filename)
    return web.Response(body=body, content_type=XLSX_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})
