"""退文 after sign-for, seen live by the sender at phone size, corrected and sent again: two rounds."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import ApiClient, login


def test_the_sender_sees_the_return_at_review_live_corrects_it_and_the_unit_signs_for_it_again(phone, server):
    page = phone
    login(page, server, "bgs.clerk2")
    office = ApiClient(server, "bgs.clerk2")
    title = f"关于报送统计数据的通知 {uuid.uuid4().hex[:6]}"
    item = office.issue(title, "JYJ", urgency="urgent")
    item_id, delivery_id = item["item"]["id"], item["deliveries"][0]["id"]
    clerk = ApiClient(server, "jyj.clerk1")
    first = clerk.call("POST", f"/api/deliveries/{delivery_id}/ack", {})["delivery"]["receipt_no"]
    record = clerk.call("POST", f"/api/items/{item_id}/register", {})["record"]

    page.goto(f"{server.url}/items/{item_id}")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    page.evaluate("window.__notReloaded = true")
    recipient = page.locator('li.recipient[data-unit="JYJ"]')
    expect(recipient).to_contain_text("已签收")

    clerk.call("POST", f"/api/incoming/{record['id']}/moves/return", {"note": "缺少附件：统计表"})
    expect(recipient).to_contain_text("该单位签收后初审退回", timeout=10000)      # live, no reload
    expect(recipient).to_contain_text("缺少附件：统计表")
    expect(page.locator('[data-live="timeline"]')).to_contain_text("初审退文")
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path="test-artifacts/resend_returned.png")

    recipient.locator("details.resend summary").click()
    recipient.locator('textarea[name="note"]').fill("已补统计表")
    recipient.locator('input[name="attachments"]').set_input_files(
        files=[{"name": "统计表.xlsx", "mimeType": "application/octet-stream", "buffer": b"table"}])
    recipient.locator('form.resend-form button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/items/{item_id}\?resent={delivery_id}"))
    recipient = page.locator('li.recipient[data-unit="JYJ"]')
    expect(recipient).to_contain_text("第1轮：")
    expect(recipient).to_contain_text(first)                                   # the first receipt on record
    expect(recipient.locator(".round-files")).to_contain_text("统计表.xlsx")
    expect(page.locator('[data-live="timeline"]')).to_contain_text("发文单位更正后重发 · 第2轮")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.evaluate("window.__notReloaded = true")
    again = clerk.call("POST", f"/api/deliveries/{delivery_id}/ack", {})["delivery"]["receipt_no"]
    assert again == f"{first}-2"
    expect(recipient.locator(".receipt")).to_contain_text(again, timeout=10000)   # live
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path="test-artifacts/resend_signed_again.png")
    back = clerk.call("GET", f"/api/incoming/{record['id']}")
    assert back["record"]["state"] == "registered" and back["record"]["number"] == record["number"]
