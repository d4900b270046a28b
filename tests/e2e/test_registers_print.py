"""The 收文登记簿 in Chromium: at phone size it scrolls inside its table, not sideways; printed, it is
A4 landscape, several pages, without the frame and the filters, each page numbered (3 / 6) and headed
with the unit, the period and the column headers (the printed PDF is read back)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import ARTIFACTS, Server, login
from tests.e2e.pdf_text import pdf_pages_text

ROWS = 150


def fill_register(server: Server, unit_code: str, year: int) -> None:
    """Rows of 南桥镇's register written as the registering would (its numbers taken too), so the
    journeys that register in 东湖镇 keep their 2026-0001."""
    db = sqlite3.connect(server.db_path, timeout=30)
    try:
        unit_id, = db.execute("SELECT id FROM units WHERE code = ?", (unit_code,)).fetchone()
        clerk, = db.execute("SELECT id FROM users WHERE login = ?", (f"{unit_code.lower()}.clerk1",)).fetchone()
        last = db.execute("SELECT last FROM register_numbers WHERE unit_id = ? AND book = 'incoming' AND year = ?",
                          (unit_id, year)).fetchone()
        first = (last[0] if last else 0) + 1
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        deadline = (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with db:
            for seq in range(first, first + ROWS):
                db.execute(
                    "INSERT INTO incoming (unit_id, year, seq, source, from_unit, from_number, title, doc_kind,"
                    " urgency, copies, pages, received_on, deadline, state, registered_by, registered_at, updated_at)"
                    " VALUES (?, ?, ?, 'paper', '示范区人民政府办公室', ?, ?, '通知', 'ordinary', 1, 2, ?, ?,"
                    " 'registered', ?, ?, ?)",
                    (unit_id, year, seq, f"示政办发〔{year}〕{seq}号", f"关于做好第{seq}项工作的通知",
                     f"{year}-01-05", deadline, clerk, stamp, stamp))
            db.execute("INSERT INTO register_numbers (unit_id, book, year, last) VALUES (?, 'incoming', ?, ?)"
                       " ON CONFLICT (unit_id, book, year) DO UPDATE SET last = excluded.last",
                       (unit_id, year, first + ROWS - 1))
    finally:
        db.close()


def test_the_received_register_fits_a_phone_and_prints_on_a4_landscape(phone: Any, server: Server) -> None:
    year = datetime.now(UTC).year
    fill_register(server, "NQZ", year)
    login(phone, server, "nqz.clerk1")
    phone.goto(f"{server.url}/registers/incoming")
    assert phone.locator("h1").first.inner_text().startswith("南桥镇人民政府 收文登记簿")
    assert "第 1 / " in phone.locator(".register-count").inner_text()
    assert phone.locator("table.register-table tbody tr").count() == 100
    assert not phone.locator("tr.register-print-head").is_visible()      # on screen the page's heading says it
    # the wide table scrolls within its box; the page itself does not scroll sideways
    wide = phone.evaluate("""() => [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > 390 && !e.closest(".table-wrap")).map(e => e.tagName + "." + e.className + " " + e.getBoundingClientRect().right).slice(0, 8)""")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, wide
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "register-phone.png"))
    phone.click('th a[data-sort="received"]')
    phone.wait_for_url(re.compile(r"sort=received"))
    assert phone.locator('th[aria-sort="ascending"]').count() == 1
    phone.click("text=打印全部")
    phone.wait_for_url(re.compile(r"print=1"))
    assert phone.locator("table.register-table tbody tr").count() >= ROWS

    phone.emulate_media(media="print")
    hidden = phone.evaluate("""() => ['#tabbar', 'header.bar', '#register-filters', '.register-tools']
        .map(s => document.querySelector(s)).filter(e => e && getComputedStyle(e).display !== 'none').length""")
    assert hidden == 0, "the frame, the filters and the links do not print"
    assert phone.evaluate("getComputedStyle(document.querySelector('table.register-table thead')).display") == \
        "table-header-group"
    assert phone.locator(".register-head h1").is_visible() and phone.locator(".register-period").is_visible()
    # the unit and period head every printed page: a row of the table's head, which repeats
    assert phone.locator("tr.register-print-head").is_visible()
    assert phone.locator("tr.register-print-head").inner_text().startswith("南桥镇人民政府 收文登记簿")
    pdf = phone.pdf(prefer_css_page_size=True, print_background=False)
    (ARTIFACTS / "register-print.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(boxes) >= 3, f"{ROWS} rows take several pages: {len(boxes)}"
    for w, h in boxes:
        assert abs(float(w) - 841.9) < 2 and abs(float(h) - 595.3) < 2, (w, h)     # A4 landscape, in points
    # each page: its number of all, the unit and period, the column headers (the table's head repeats)
    pages = [text.replace("\n", "") for text in pdf_pages_text(pdf)]
    assert len(pages) == len(boxes)
    for n, text in enumerate(pages, start=1):
        assert text.startswith(f"{n} / {len(pages)}"), text[:40]
        assert f"南桥镇人民政府 收文登记簿（{year}年） · {year}年全年" in text and "收文编号收文日期" in text, n
