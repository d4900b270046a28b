"""Rows for the registers' tests: received documents and numbered outgoing ones put straight into
the store (the roads that make them are tested on their own), and the exports read back."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta
from xml.etree import ElementTree

from hub.app import Hub
from hub.domain.incoming import Registration, Source
from hub.store.documents import DocFields

NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


async def add_incoming(hub: Hub, unit_id: int, title: str, *, from_unit: str = "示范区人民政府办公室",
                       from_number: str = "", urgency: str = "ordinary", received_on: date = date(2026, 11, 2),
                       state: str = "registered", lead_unit_id: int | None = None, closed_at: datetime | None = None,
                       by_login: str = "dhz.clerk1", year: int | None = None) -> int:
    """A record of the unit's 收文登记簿 with the next number of its year."""
    by = await hub.identity.user_by_login(by_login)
    now = hub.clock.now()
    year = year or received_on.year
    reg = Registration(from_unit=from_unit, title=title, urgency=urgency, received_on=received_on,
                       from_number=from_number, doc_kind="通知", copies=2, pages=3, source=Source.PAPER)
    async with hub.store.write() as tx:
        seq = await tx.incoming.next_number(unit_id, year)
        record = await tx.incoming.add(unit_id, year, seq, reg, now + timedelta(days=10), "registered", by.id, now)
        if state != "registered" or lead_unit_id or closed_at:
            fields: dict[str, object] = {}
            if lead_unit_id:
                fields["lead_unit_id"] = lead_unit_id
            if closed_at:
                fields["closed_at"] = closed_at
            await tx.incoming.set_state(record, state, now, **fields)
    return record


async def add_outgoing(hub: Hub, unit_code: str, title: str, main: tuple[int, ...], *, copy: tuple[int, ...] = (),
                       urgency: str = "ordinary", signed_at: datetime | None = None, state: str = "registered",
                       year: int = 2026) -> int:
    """A document of the unit signed off and numbered (登记), so in its 发文登记簿; `state` sealed
    adds the sealing time."""
    units = {u.code: u for u in await hub.identity.units()}
    unit = units[unit_code]
    drafter = await hub.identity.user_by_login(f"{unit_code.lower()}.clerk1")
    leader = await hub.identity.user_by_login(f"{unit_code.lower()}.leader")
    signed_at = signed_at or hub.clock.now()
    async with hub.store.write() as tx:
        doc = await tx.documents.add(unit.id, drafter.id, DocFields(title, "正文", "通知", urgency, unit.name, main, copy),
                                     signed_at)
        await tx.documents.sign(doc, "digest", leader.id, leader.name, signed_at)
        code = await tx.documents.unit_doc_code(unit.id)
        seq = await tx.documents.next_number(code, year)
        await tx.documents.register(doc, code, year, seq, f"{code}〔{year}〕{seq}号", signed_at)
        if state in ("sealed", "withdrawn"):
            await tx.documents.seal(doc, drafter.id, signed_at + timedelta(hours=1))
        if state == "withdrawn":
            await tx.documents.set_state(doc, _state(state), signed_at + timedelta(hours=2))
    return doc


def _state(name: str):  # type: ignore[no-untyped-def]
    from hub.domain.documents import DocState
    return DocState(name)


def xlsx_rows(body: bytes) -> list[list[str]]:
    """The first sheet's cells as text, row by row (numbers as written, times as Excel serials)."""
    book = zipfile.ZipFile(io.BytesIO(body))
    shared = [("".join(t.text or "" for t in si.iter(f"{{{NS['x']}}}t")))
              for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", NS)]
    sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str]] = []
    for row in sheet.iter(f"{{{NS['x']}}}row"):
        while len(rows) < int(row.get("r", "1")) - 1:     # rows with no cells are not written
            rows.append([])
        cells: dict[int, str] = {}
        for c in row.findall("x:c", NS):
            col = _col_index(re.sub(r"\d", "", c.get("r", "")))
            v = c.find("x:v", NS)
            text = "" if v is None else v.text or ""
            cells[col] = shared[int(text)] if c.get("t") == "s" else text
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "a CSV for Excel starts with the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
