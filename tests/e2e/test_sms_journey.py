"""The duty desk sees, in an item's timeline, the SMS sent, delivered, and the reply that signed for it."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import ApiClient, login, move_clock


def test_duty_desk_sees_the_sms_delivered_and_the_reply_that_signed_for_it(phone, server):
    move_clock(server, 121)     # whatever earlier journeys sent this phone, its 2-minute SMS digest window is over
    office = ApiClient(server, "bgs.clerk1")
    title = f"短信签收演练 {uuid.uuid4().hex[:6]}"
    issued = office.issue(title, "XSZ")
    code = issued["item"]["short_code"]
    clerk_phone = "+8613800000011"                      # xsz.clerk1 in the demo
    (notice,) = server.sms_to(clerk_phone, title[:6])
    assert notice["body"].startswith("【协同】特急公文《") and f"签收 {code}" in notice["body"]

    move_clock(server, 6 * 60)                           # unread after 5 minutes: reminded, on the board
    assert server.sms_to(clerk_phone, "【协同】提醒")

    page = phone
    login(page, server, "duty")
    page.goto(f"{server.url}/duty")
    entry = page.locator("section.board-item", has_text=title).locator('li.board-entry[data-unit="XSZ"]')
    expect(entry).to_be_visible()
    entry.locator("details.board-timeline summary").click()
    timeline = entry.locator("ol.timeline")
    expect(timeline).to_contain_text("短信已送达手机")
    expect(entry.locator("ul.sms")).to_contain_text(clerk_phone)
    expect(entry.locator("ul.sms")).to_contain_text("已送达手机")
    page.screenshot(path="test-artifacts/sms_duty_board.png", full_page=True)

    reply = server.sim("POST", "/_sim/reply", {"from": clerk_phone, "body": f"签收 {code}"})
    assert re.match(r"【协同】已签收《.+》，回执号HZ\d{8}-\d{6}。", reply["replies"][0])
    expect(entry.locator(".state")).to_have_text("已签收")   # signed for on the board, live
    page.goto(f"{server.url}/items/{issued['item']['id']}")
    line = page.locator("ol.timeline li", has_text="已签收")
    expect(line).to_contain_text("短信")
    expect(line).to_contain_text(f"短信回复“签收 {code}”")
    expect(page.locator('li.recipient[data-unit="XSZ"] .receipt')).to_contain_text("短信")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="test-artifacts/sms_item_timeline.png", full_page=True)
