"""会议管理 in Chromium at phone size, each person on a phone of their own.

The district office (bgs.clerk1) calls a meeting of three townships, inviting 东湖镇's leader by
name; 东湖镇 sends its second clerk instead of him and 西山镇 its leader and a person without an
account, while the organiser's page shows, without a reload, who answered, who comes and whom to
call at the silent 南桥镇. The organiser moves the meeting: every township's open page shows the
new room and time at once, each clerk gets the SMS, the two replies become 待重新确认, and the two
townships sign for the notice again and confirm their replies (the form starts from them). At the
meeting time the 签到屏 (a device of its own in the room) shows the QR code; two attendees open the
link it carries on their own phones (not logged in yet: the login page brings them back) and sign
in with one tap; the organiser marks the third present on the phone; the screen follows by itself;
the lists export to .xlsx and print on A4 without buttons.

The server is shared by the session: the meeting has a unique title, notices do not register
incoming documents, and the clock ends past the SMS digest window (as other journeys do).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
import zipfile
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from hub.crypto.totp import qr_svg
from hub.domain.calendar import CST
from hub.services.demo import DEMO_PASSWORD
from tests.e2e.conftest import (
    ARTIFACTS,
    Server,
    login,
    move_clock,
    new_phone_context,
    no_sideways_scroll,
    server_now,
)
from tests.e2e.pdf_text import pdf_pages_text

TOWNSHIPS = {"DHZ": "东湖镇人民政府", "XSZ": "西山镇人民政府", "NQZ": "南桥镇人民政府"}
DIGEST_WINDOW_S = 121          # one phone's SMS within 2 minutes go out as one digest
OUTSIDER, OUTSIDER_PHONE = "钱会务", "13900007788"


def people(server: Server, *logins: str) -> dict[str, tuple[int, str, str]]:
    """login -> (user id, name, phone), from the demo database."""
    db = sqlite3.connect(server.db_path, timeout=30)
    try:
        marks = ",".join("?" * len(logins))
        return {r[0]: (r[1], r[2], r[3]) for r in db.execute(
            f"SELECT login, id, name, phone FROM users WHERE login IN ({marks})", logins)}
    finally:
        db.close()


def local(t: datetime) -> str:
    """A datetime-local field's value (Beijing time)."""
    return t.astimezone(CST).strftime("%Y-%m-%dT%H:%M")


def bj(t: datetime) -> str:
    return t.astimezone(CST).strftime("%m-%d %H:%M")     # the pages' short Beijing time


def tables_fit(page: Any) -> None:
    """Every table on the page is readable on the phone without swiping inside its box."""
    wide = page.evaluate("[...document.querySelectorAll('.table-wrap')]"
                         ".filter(w => w.scrollWidth > w.clientWidth + 1).map(w => w.previousElementSibling?.id)")
    assert not wide, f"tables wider than the phone on {page.url}: {wide}"


def call_meeting(page: Any, server: Server, title: str, room: str, starts: datetime, leader: str) -> int:
    page.goto(f"{server.url}/meetings")
    page.get_by_role("link", name="召集会议").click()
    expect(page).to_have_url(f"{server.url}/meetings/new")
    form = page.locator("#meeting-form")
    form.get_by_label("会议名称").fill(title)
    form.get_by_label("会议地点").fill(room)
    form.get_by_label("开始时间").fill(local(starts))
    form.get_by_label("结束时间").fill(local(starts + timedelta(hours=2)))
    form.locator('input[name="urgency"][value="urgent"]').check()
    form.get_by_label("会议议程").fill("一、通报今冬明春森林防火形势\n二、部署各镇防火责任\n三、签订责任书")
    units = page.locator("#main-units")
    for name in TOWNSHIPS.values():
        units.get_by_role("checkbox", name=name).check()
    page.locator("#invitees-box summary").click()
    page.locator("fieldset.invitees", has_text=TOWNSHIPS["DHZ"]).get_by_role("checkbox", name=leader).check()
    no_sideways_scroll(page)
    page.locator("#call-submit").click()
    expect(page).to_have_url(re.compile(r"/meetings/\d+\?done=call$"))
    expect(page.locator("#done")).to_have_text("会议通知已发出。")
    return int(page.url.split("?")[0].rsplit("/", 1)[1])


def open_meeting(browser: Any, server: Server, account: str, title: str) -> tuple[Any, Any]:
    """A township clerk's phone, logged in, on the meeting's page (found through 会议管理), live."""
    ctx = new_phone_context(browser)
    page = ctx.new_page()
    login(page, server, account)
    page.goto(f"{server.url}/meetings")
    row = page.locator("tr.meeting-row", has_text=title)
    expect(row.locator("td[data-label]").last).to_have_text("未报送回执")
    assert row.locator("td[data-label]").last.is_visible()
    tables_fit(page)                            # each meeting a card on the phone, its reply on screen
    row.get_by_role("link", name=title).click()
    expect(page.locator("h1.doc-title")).to_have_text(title)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    return ctx, page


def reply(page: Any, attend: list[tuple[int, str]], outsider: tuple[str, str] | None = None,
          screenshot: str = "") -> None:
    """The unit's 参会回执: the people ticked (each with whom they replace, by name), an outsider."""
    box = page.locator("#reply-box")
    if box.get_attribute("open") is None:
        box.locator("> summary").click()
    for user_id, instead_of in attend:
        page.locator(f"#attend-{user_id}").check()
        if instead_of:
            page.locator(f"#sub-{user_id}").select_option(label=instead_of)
    if outsider:
        page.locator("#outsiders summary").click()
        page.locator("#o-name-1").fill(outsider[0])
        page.locator("#o-phone-1").fill(outsider[1])
    no_sideways_scroll(page)
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    page.locator("#reply-submit").click()
    expect(page.locator("#done")).to_have_text("参会回执已报送。")


def confirm_again(page: Any, ticked: list[tuple[int, str]], outsider: tuple[str, str] | None = None) -> None:
    """Reply again after a change: the form starts from the unit's list, so confirming is one tap."""
    expect(page.locator("#reply-box")).to_have_attribute("open", "")     # open: the unit has to answer
    expect(page.locator("#reply-form input[name=coming][value='1']")).to_be_checked()
    for user_id, instead_of in ticked:
        expect(page.locator(f"#attend-{user_id}")).to_be_checked()
        if instead_of:
            expect(page.locator(f"#sub-{user_id} option:checked")).to_have_text(instead_of)
    expect(page.locator("#reply-form input[name=attend]:checked")).to_have_count(len(ticked))
    expect(page.locator("#o-name-1")).to_have_value(outsider[0] if outsider else "")
    if outsider:
        expect(page.locator("#o-phone-1")).to_have_value("+86" + outsider[1])
    page.locator("#reply-submit").click()
    expect(page.locator("#done")).to_have_text("参会回执已报送。")


def sign_for_again(page: Any, server: Server, meeting_id: int) -> None:
    """签收 the moved meeting's notice, opened from the push's banner (outside the regions the live
    updates replace, so the tap is never lost to a refresh), then back to the meeting."""
    page.locator("#live-banner a").click()
    expect(page).to_have_url(re.compile(r"/items/\d+$"))
    mine = page.locator("#my-delivery")
    expect(page.locator("#resent-notice")).to_be_visible()
    page.locator("#ack-button").click()
    expect(mine.locator(".state")).to_have_text("已签收")
    no_sideways_scroll(page)
    page.goto(f"{server.url}/meetings/{meeting_id}")


def check_in(browser: Any, server: Server, url: str, account: str, name: str) -> None:
    """An attendee opens the QR code's link on their phone: not logged in yet, the login page comes
    first and brings them back; one tap signs in."""
    ctx = new_phone_context(browser)
    try:
        page = ctx.new_page()
        page.goto(url)
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill('input[name="login"]', account)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        page.click('form[action="/login"] button[type="submit"]')
        expect(page.locator("#checkin-person")).to_contain_text(name)
        no_sideways_scroll(page)
        button = page.locator("#checkin-button")
        assert button.bounding_box()["width"] > 300        # one big button, the width of the phone
        button.click()
        expect(page.locator("#checkin-done")).to_have_text("签到成功")
    finally:
        ctx.close()


def test_a_meeting_is_called_answered_moved_confirmed_again_signed_in_and_exported(
        phone: Any, server: Server, browser: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    title = f"全区森林防火工作部署会（{tag}）"
    room, new_room = f"区政府三楼第一会议室{tag}", f"区应急指挥中心二楼{tag}"
    who = people(server, "dhz.clerk1", "dhz.clerk2", "dhz.leader", "xsz.clerk1", "xsz.clerk2", "xsz.leader",
                 "nqz.clerk1", "nqz.clerk2")
    move_clock(server, DIGEST_WINDOW_S)         # earlier journeys' SMS to these phones are out of the window
    starts = server_now(server).replace(second=0, microsecond=0) + timedelta(hours=2)

    # 1. the office calls the meeting; nobody has answered yet, the clerks' phones are on the page
    login(phone, server, "bgs.clerk1")
    meeting_id = call_meeting(phone, server, title, room, starts, who["dhz.leader"][1])
    summary = phone.locator("#reply-summary")
    expect(summary).to_have_text("已回执 0/3 个单位，参会 0 人，未回执 3 个单位。")
    expect(phone.locator("#invitees")).to_contain_text(who["dhz.leader"][1])
    for code in TOWNSHIPS:
        expect(phone.locator(f'li.unit-reply[data-unit="{code}"]')).to_contain_text("未报送回执")
    expect(phone.locator("#live-status")).to_have_attribute("data-state", "online")
    no_sideways_scroll(phone)
    assert server.sms_to(who["nqz.clerk1"][2], f"加急会议通知《{title[:8]}")

    clerks = {code: open_meeting(browser, server, f"{code.lower()}.clerk1", title) for code in TOWNSHIPS}
    try:
        # 2. two townships reply; the organiser's page follows without a reload
        dhz, xsz, nqz = (clerks[c][1] for c in TOWNSHIPS)
        expect(dhz.locator(f"#sub-{who['dhz.leader'][0]}")).to_have_count(0)    # the invited: nobody to replace
        phone.evaluate("document.querySelector('#meeting').firstElementChild.dataset.kept = '1'")
        reply(dhz, [(who["dhz.clerk2"][0], who["dhz.leader"][1])], screenshot="meeting-reply-form.png")
        unit = phone.locator('li.unit-reply[data-unit="DHZ"]')
        expect(unit).to_contain_text("参会")
        expect(unit.locator("ul.attendees")).to_contain_text(f"{who['dhz.clerk2'][1]} （代 {who['dhz.leader'][1]}）")
        reply(xsz, [(who["xsz.leader"][0], "")], (OUTSIDER, OUTSIDER_PHONE))
        expect(summary).to_have_text("已回执 2/3 个单位，参会 3 人，未回执 1 个单位。")
        # the meeting's own region brought nothing new: it was left as it was (a tap in it is never lost)
        assert phone.evaluate("document.querySelector('#meeting').firstElementChild.dataset.kept") == "1"
        attendees = phone.locator('li.unit-reply[data-unit="XSZ"] ul.attendees')
        expect(attendees).to_contain_text(who["xsz.leader"][1])
        expect(attendees.locator(f'a[href="tel:+86{OUTSIDER_PHONE}"]')).to_have_count(1)
        silent = phone.locator('li.unit-reply[data-unit="NQZ"]')
        expect(silent).to_have_class(re.compile(r"\bsilent\b"))
        for login_name in ("nqz.clerk1", "nqz.clerk2"):
            _, name, tel = who[login_name]
            expect(silent.locator(".contacts")).to_contain_text(name)
            expect(silent.locator(f'.contacts a[href="tel:{tel}"]')).to_have_count(1)
        no_sideways_scroll(phone)

        # 3. the organiser moves it (past the SMS digest window of the notice just sent)
        move_clock(server, DIGEST_WINDOW_S)
        moved = starts + timedelta(minutes=30)
        phone.locator("#change-box summary").click()
        change = phone.locator("#change-form")
        change.get_by_label("开始时间").fill(local(moved))
        change.get_by_label("结束时间").fill(local(moved + timedelta(hours=2)))
        change.get_by_label("会议地点").fill(new_room)
        change.get_by_label("变更说明").fill("会场调整")
        no_sideways_scroll(phone)
        change.locator("#change-submit").click()
        expect(phone.locator("#done")).to_have_text("会议已变更，各单位已收到通知，须重新确认。")
        expect(phone.locator("#meeting-room")).to_contain_text(new_room)
        expect(summary).to_have_text("已回执 0/3 个单位，参会 0 人，未回执 3 个单位。")
        for code in ("DHZ", "XSZ"):
            expect(phone.locator(f'li.unit-reply[data-unit="{code}"]')).to_contain_text("待重新确认")

        for code, (_, page) in clerks.items():      # told at once on the open page, and by SMS
            expect(page.locator("#meeting-room")).to_contain_text(new_room)
            expect(page.locator("#meeting-when")).to_contain_text(bj(moved))
            expect(page.locator("#live-banner")).to_be_visible()
            expect(page.locator("#live-banner a")).to_contain_text(title)
            for n in (1, 2):
                tel = who[f"{code.lower()}.clerk{n}"][2]
                assert server.sms_to(tel, f"在{new_room}召开"), f"{code} clerk{n} got no SMS of the change"
        for page in (dhz, xsz):
            expect(page.locator("#confirm-again")).to_have_text("会议已变更，请重新报送回执确认。")
            expect(page.locator("#my-reply-state")).to_contain_text("待重新确认")
        expect(nqz.locator("#my-reply-state")).to_contain_text("未报送回执")

        # the two townships sign for the notice again and reply again
        sign_for_again(dhz, server, meeting_id)
        confirm_again(dhz, [(who["dhz.clerk2"][0], who["dhz.leader"][1])])
        sign_for_again(xsz, server, meeting_id)
        confirm_again(xsz, [(who["xsz.leader"][0], "")], (OUTSIDER, OUTSIDER_PHONE))
        expect(summary).to_have_text("已回执 2/3 个单位，参会 3 人，未回执 1 个单位。")
        expect(phone.locator("#replies")).not_to_contain_text("待重新确认")
        for code in ("DHZ", "XSZ"):
            expect(phone.locator(f'li.unit-reply[data-unit="{code}"] .state')).to_have_text("已签收")
    finally:
        for ctx, _ in clerks.values():
            ctx.close()

    # 4. the meeting time: the organiser's 签到屏 and its QR code's link (sessions ended: log in again)
    move_clock(server, (moved - server_now(server)).total_seconds() + 60)
    for code in ("DHZ", "XSZ"):     # the hour-before reminder of the confirmed: the new time and room only
        tel = who[f"{code.lower()}.clerk1"][2]
        assert server.sms_to(tel, f"将于{bj(moved)}在{new_room}召开"), f"{code} was not reminded of the new time"
        assert not server.sms_to(tel, f"在{room}召开", timeout=0), f"{code} was reminded of the old room"
    screen_ctx = new_phone_context(browser)     # the screen in the meeting room, the organiser logged in
    try:
        screen = screen_ctx.new_page()
        login(screen, server, "bgs.clerk1")
        screen.goto(f"{server.url}/meetings/{meeting_id}")
        expect(screen.locator("#signin-link")).to_have_attribute("href", f"/meetings/{meeting_id}/signin")
        screen.goto(f"{server.url}/meetings/{meeting_id}/signin")   # (not a tap: the replay of what this phone
        # missed while logged out refreshes the meeting's card, and a tap on a replaced link is lost)
        expect(screen.locator("#signin-qr svg")).to_be_visible()
        expect(screen.locator("#signin-count")).to_have_text("0")
        no_sideways_scroll(screen)
        url = str(screen.locator("#signin-url").get_attribute("href"))
        assert url.startswith(f"{server.url}/meetings/{meeting_id}/checkin?code="), url
        drawn = re.search(r'stroke="#000" d="([^"]+)"', qr_svg(url))     # the drawing is the QR code of that link
        assert drawn and screen.locator("#signin-qr svg path[stroke]").get_attribute("d") == drawn.group(1)
        check_in(browser, server, url, "dhz.clerk2", who["dhz.clerk2"][1])
        check_in(browser, server, url, "xsz.leader", who["xsz.leader"][1])
        mark_the_third_and_export(phone, server, meeting_id, who)
        # the screen follows by itself (it asks every 10 s): the three, each with the time, as drawn at first
        expect(screen.locator("#signin-count")).to_have_text("3", timeout=15_000)
        signed = screen.locator("#signin-list li")
        expect(signed).to_have_count(3)
        expect(signed.first).to_contain_text(f"{TOWNSHIPS['DHZ']} {who['dhz.clerk2'][1]}")
        for n in range(3):
            expect(signed.nth(n).locator(".muted")).to_have_text(re.compile(r"^\d\d-\d\d \d\d:\d\d$"))
    finally:
        screen_ctx.close()
    move_clock(server, DIGEST_WINDOW_S)         # the townships' phones out of their digest window for the next test


def mark_the_third_and_export(phone: Any, server: Server, meeting_id: int, who: dict[str, tuple[int, str, str]]
                              ) -> None:
    """On the organiser's phone (logged in again): the attendance lists, the third marked present by
    hand, the .xlsx and the A4 print."""
    login(phone, server, "bgs.clerk1")
    phone.goto(f"{server.url}/meetings/{meeting_id}/attendance")
    # the third (no account, no phone to scan with) is marked present by hand
    absent = phone.locator("tr.absent", has_text=OUTSIDER)
    expect(absent.locator(f'a[href="tel:+86{OUTSIDER_PHONE}"]')).to_have_count(1)
    no_sideways_scroll(phone)
    tables_fit(phone)
    absent.get_by_role("button", name="标记到会").click()
    expect(phone.locator("#attendance-done")).to_have_text("已标记为到会。")
    signed = phone.locator("tr.signed-in")
    expect(signed).to_have_count(3)
    expect(signed.filter(has_text=OUTSIDER)).to_contain_text("会务标记")
    expect(signed.filter(has_text=who["xsz.leader"][1])).to_contain_text("扫码签到")
    expect(phone.locator("#list-absent")).to_contain_text("未到 (1)")     # 南桥镇: no reply
    expect(phone.locator("tr.absent-unit")).to_contain_text("南桥镇人民政府")
    no_sideways_scroll(phone)
    tables_fit(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "meeting-attendance.png"), full_page=True)

    # 5. the lists as .xlsx, and the A4 print without buttons
    with phone.expect_download() as download:
        phone.get_by_role("link", name="导出 Excel").click()
    with zipfile.ZipFile(download.value.path()) as book:
        assert any(n.startswith("xl/worksheets/") for n in book.namelist())
        text = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    for name in (who["dhz.clerk2"][1], who["xsz.leader"][1], OUTSIDER, "已签到", "南桥镇人民政府"):
        assert name in text, f"{name} is not in the exported list"
    phone.get_by_role("link", name="打印").click()
    phone.emulate_media(media="print")
    expect(phone.locator("#attendance")).to_be_visible()
    expect(phone.locator("#attendance tr.signed-in")).to_have_count(3)
    assert phone.evaluate("[...document.querySelectorAll('button, .no-print')]"
                          ".filter(e => e.getClientRects().length > 0).length") == 0
    pdf = phone.pdf(prefer_css_page_size=True, print_background=False)
    (ARTIFACTS / "meeting-attendance-print.pdf").write_bytes(pdf)
    for w, h in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf):
        assert abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, (w, h)     # A4, in points
    printed = "".join(pdf_pages_text(pdf)).replace("\n", "")
    for text in ("签到情况", "已签到 (3)", who["dhz.clerk2"][1], OUTSIDER, "未到 (1)"):
        assert text in printed, f"{text} is not on the printed list"
    for text in ("标记到会", "撤销", "导出", "签到屏"):
        assert text not in printed, f"the printed list shows {text}"
