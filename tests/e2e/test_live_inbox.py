"""A clerk's phone shows a new 特急 notice live, and again after the network was cut and restored."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import ApiClient, drop_sockets, login


def test_a_new_extra_urgent_notice_appears_live_and_again_after_a_network_cut(phone, server):
    page = phone
    login(page, server, "nqz.clerk2")
    page.goto(f"{server.url}/inbox")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    page.evaluate("window.__notReloaded = true")
    office = ApiClient(server, "bgs.clerk1")

    first = f"寒潮紧急通知 {uuid.uuid4().hex[:6]}"
    office.issue(first, "NQZ")
    banner = page.locator("#live-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(first)
    expect(banner).to_contain_text("特急")
    expect(page.locator("#inbox")).to_contain_text(first)
    assert page.evaluate("window.__notReloaded") is True          # updated in place, no reload
    page.screenshot(path="test-artifacts/live_banner.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.context.set_offline(True)                                # the phone loses its network
    assert drop_sockets(server) >= 1
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    expect(page.locator("#live-status")).to_have_text("重新连接中…")
    second = f"断网期间的通知 {uuid.uuid4().hex[:6]}"
    office.issue(second, "NQZ")
    page.context.set_offline(False)                               # and finds it again
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online", timeout=20000)
    expect(page.locator("#inbox")).to_contain_text(second, timeout=10000)
    expect(banner).to_contain_text(second)
    assert page.evaluate("window.__notReloaded") is True
    titles = page.locator("#inbox li strong").all_inner_texts()
    assert titles.index(second) < titles.index(first)             # newest first, both there once
    assert sum(1 for t in titles if t == first) == 1


def test_the_sender_sees_a_receipt_arrive_live(browser, server):
    from tests.e2e.conftest import new_phone_context
    ctx = new_phone_context(browser)
    try:
        page = ctx.new_page()
        login(page, server, "bgs.clerk2")
        office = ApiClient(server, "bgs.clerk2")
        title = f"回执实时显示 {uuid.uuid4().hex[:6]}"
        item = office.issue(title, "JYJ")
        page.goto(f"{server.url}/items/{item['item']['id']}")
        expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
        recipient = page.locator('li.recipient[data-unit="JYJ"]')
        expect(recipient).to_contain_text("未读")
        clerk = ApiClient(server, "jyj.clerk1")
        clerk.call("POST", f"/api/deliveries/{item['deliveries'][0]['id']}/ack", {})
        expect(recipient.locator(".receipt")).to_contain_text(re.compile(r"回执 HZ\d{8}-\d{6}"))
        expect(page.locator('[data-live="timeline"]')).to_contain_text("回执已发送")
    finally:
        ctx.close()
