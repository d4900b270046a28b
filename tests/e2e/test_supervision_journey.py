"""催办 and 督办 in Chromium at phone size: 西山镇's office opens a received document whose lead (the
education bureau) is a day past its deadline, puts it under supervision from the record page, finds it
on its supervision board as overdue, chases the lead from the record page and is told who was texted;
the SMS reaches the lead's clerk at the gateway; the chase shows on the record page with its SMS's
state; the board prints without the frame."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, login, move_clock

OVERDUE = "关于报送全区校园安全隐患排查情况的通知"


def late_record(server: Server) -> int:
    """A document 西山镇 registered and gave the education bureau to handle, due a day ago (server time),
    written as the road would (its register number taken too)."""
    now = datetime.fromisoformat(move_clock(server, 0))
    stamp = lambda t: t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    db = sqlite3.connect(server.db_path, timeout=30)
    try:
        with db:
            (xsz,), (jyj,) = db.execute("SELECT id FROM units WHERE code IN ('XSZ', 'JYJ') ORDER BY code = 'JYJ'")
            (clerk,) = db.execute("SELECT id FROM users WHERE login = 'xsz.clerk1'").fetchone()
            db.execute("INSERT INTO register_numbers (unit_id, book, year, last) VALUES (?, 'incoming', ?, 1)"
                       " ON CONFLICT (unit_id, book, year) DO UPDATE SET last = last + 1", (xsz, now.year))
            (seq,) = db.execute("SELECT last FROM register_numbers WHERE unit_id = ? AND book = 'incoming'"
                                " AND year = ?", (xsz, now.year)).fetchone()
            cur = db.execute(
                "INSERT INTO incoming (unit_id, year, seq, source, from_unit, title, urgency, received_on, deadline,"
                " state, lead_unit_id, registered_by, registered_at, updated_at) VALUES (?, ?, ?, 'paper',"
                " '示范区人民政府办公室', ?, 'urgent', ?, ?, 'handling', ?, ?, ?, ?)",
                (xsz, now.year, seq, OVERDUE, (now - timedelta(days=5)).date().isoformat(),
                 stamp(now - timedelta(days=1)), jyj, clerk, stamp(now - timedelta(days=5)), stamp(now)))
            record_id = int(cur.lastrowid or 0)
            db.execute("INSERT INTO road_steps (road, record_id, kind, unit_id, role, state, opened_at, due_at)"
                       " VALUES ('incoming', ?, 'handle', ?, 'clerk', 'open', ?, ?)",
                       (record_id, jyj, stamp(now - timedelta(days=4)), stamp(now - timedelta(days=1))))
        return record_id
    finally:
        db.close()


def phones_of(server: Server, unit_code: str) -> list[str]:
    db = sqlite3.connect(server.db_path, timeout=30)
    try:
        return [r[0] for r in db.execute(
            "SELECT u.phone FROM users u JOIN units n ON n.id = u.unit_id JOIN user_roles r ON r.user_id = u.id"
            " WHERE n.code = ? AND r.role = 'clerk' AND u.phone != ''", (unit_code,))]
    finally:
        db.close()


def test_the_office_supervises_and_chases_the_late_lead(phone: Any, server: Server) -> None:
    record_id = late_record(server)
    move_clock(server, 121)     # out of the 2-minute SMS digest window of earlier journeys' texts to 教育局
    login(phone, server, "xsz.clerk1")
    phone.goto(f"{server.url}/incoming/{record_id}")
    box = phone.locator("#supervision")
    box.locator("summary", has_text="列入督办").click()
    box.locator('textarea[name="note"]').fill("请每3天报送排查进展。")
    box.locator('input[name="every_days"]').fill("3")
    box.locator("button", has_text="列入督办").click()
    expect(phone.locator("#supervision")).to_contain_text("督办中：每 3 天报送进展")

    phone.goto(f"{server.url}/supervision")
    expect(phone.locator("h1")).to_have_text("西山镇人民政府督办台账")
    row = phone.locator("tr.sup-row", has_text=OVERDUE)
    expect(row).to_have_class("sup-row overdue")
    expect(row.locator(".sup-handling-overdue .badge")).to_have_text("1 天")
    expect(row).to_contain_text("示范区教育局")
    expect(row).to_contain_text("尚未报送")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390     # the table scrolls in its box

    row.locator("a").first.click()
    box = phone.locator("#supervision")
    step = box.locator("li.chase-step", has_text="示范区教育局").first
    expect(step).to_contain_text("承办")
    step.locator("button", has_text="催办").click()

    answer = phone.locator("#road-chase")
    expect(answer.locator(".notice")).to_contain_text("已催办承办")
    expect(answer.locator("li.chase-person").first).to_contain_text("短信")
    expect(answer.locator("a", has_text="返回公文")).to_have_attribute("href", f"/incoming/{record_id}#supervision")
    phones = phones_of(server, "JYJ")
    assert len(phones) == 2 and server.sms_to(phones[0], "督办：收文《")     # told of the supervision at once
    move_clock(server, 121)                   # the chase, two minutes after: past the phone's digest window
    assert server.sms_to(phones[0], "催办：西山镇人民政府请您尽快完成收文《")
    phone.goto(f"{server.url}/incoming/{record_id}")
    entry = phone.locator("#supervision li.chase-entry").first
    expect(entry).to_contain_text("催办承办")
    expect(entry.locator(".chase-person").first).to_have_attribute(
        "data-status", re.compile("queued|sending|sent|delivered"))
    expect(phone.locator('#timeline li[data-move="chase"]')).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "supervision-chase.png"), full_page=True)

    phone.goto(f"{server.url}/supervision?print=1")
    phone.emulate_media(media="print")
    expect(phone.locator(".print-register")).to_be_visible()
    expect(phone.locator(".register-tools")).to_be_hidden()
