"""Browser journey for urgent items, at phone size (390 CSS px wide, touch, zh-CN).

The office clerk issues a 特急 notice to three townships; two clerks sign for it; the fake
clock passes the 30-minute window; the duty desk sees the third township escalated with its
timeline and signs for it on its behalf; the sender sees three receipts.

The server and its database are shared by the whole session, so every item here has a
unique title and everything is found by its unit code and that title.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, login, move_clock, new_phone_context

PHONE_WIDTH = 390
TOWNSHIPS = {"DHZ": "东湖镇人民政府", "XSZ": "西山镇人民政府", "NQZ": "南桥镇人民政府"}
PAST_THE_WINDOW_S = 31 * 60        # 特急: 30 minutes to sign for, then the duty desk step


def assert_no_horizontal_scroll(page: Any, what: str) -> None:
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    assert width <= PHONE_WIDTH, f"{what} scrolls sideways on a phone ({width} px wide)"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def unique_title() -> str:
    return f"关于做好寒潮防御工作的紧急通知（{uuid.uuid4().hex[:6]}）"


def issue_item(page: Any, server: Server, title: str, units: dict[str, str], screenshot: str = "") -> int:
    """bgs.clerk1 (already logged in on `page`) issues a 特急 notice through the form."""
    page.goto(f"{server.url}/")
    page.get_by_role("link", name="发送紧急事项").click()
    expect(page).to_have_url(f"{server.url}/items/new")
    expect(page.get_by_role("heading", name="发送紧急事项")).to_be_visible()

    form = page.locator("#issue-form")
    form.get_by_role("radio", name="特急").check()
    form.get_by_label("标题").fill(title)
    form.get_by_label("正文").fill("各镇人民政府：\n据气象部门预报，今夜起有强寒潮过程，请立即部署防御工作，"
                                 "并于收到后30分钟内签收。")
    main_units = form.get_by_role("group", name="主送单位")
    for name in units.values():
        main_units.get_by_role("checkbox", name=name).check()
    expect(form.get_by_role("radio", name="特急")).to_be_checked()
    assert_no_horizontal_scroll(page, "the issue form")
    if screenshot:
        shot(page, screenshot)

    form.get_by_role("button", name="立即发送").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(server.url)}/items/\d+$"))
    expect(page.locator("h1.doc-title")).to_have_text(title)
    return int(page.url.rsplit("/", 1)[1])


def sign_for(browser: Any, server: Server, account: str, title: str, item_id: int,
             screenshot: str = "") -> None:
    """A township clerk finds the item in the inbox and signs for it."""
    context = new_phone_context(browser)
    try:
        page = context.new_page()
        login(page, server, account)
        expect(page.locator("#open-items")).to_contain_text("待签收")
        page.locator("#open-items").click()
        expect(page).to_have_url(f"{server.url}/inbox")
        entry = page.locator("#inbox li.entry", has_text=title)
        expect(entry).to_have_count(1)
        expect(entry.locator(".badge")).to_have_text("特急")
        expect(entry.locator(".state")).to_have_text("未读")
        expect(entry).to_contain_text("前签收")
        assert_no_horizontal_scroll(page, "the inbox")

        entry.get_by_role("link").click()
        expect(page).to_have_url(f"{server.url}/items/{item_id}")
        mine = page.locator("#my-delivery")
        expect(mine.locator(".state")).to_have_text("已读未签收")
        page.locator("#ack-button").click()

        expect(page).to_have_url(f"{server.url}/items/{item_id}")
        expect(mine.locator(".state")).to_have_text("已签收")
        expect(mine.get_by_role("status")).to_contain_text(re.compile(r"回执号 HZ\d{8}-\d{6}"))
        expect(page.locator("#ack-button")).to_have_count(0)
        expect(page.locator("ol.timeline")).to_contain_text("已签收")
        assert_no_horizontal_scroll(page, "the signed item page")
        if screenshot:
            shot(page, screenshot)
    finally:
        context.close()


def test_urgent_notice_escalates_to_the_duty_desk_which_signs_for_the_late_township(
        phone: Any, server: Server, browser: Any) -> None:
    title = unique_title()

    # 1. the district office clerk issues a 特急 notice to the three townships
    login(phone, server, "bgs.clerk1")
    item_id = issue_item(phone, server, title, TOWNSHIPS, screenshot="urgent_issue_form.png")
    recipients = phone.locator("#recipients li.recipient")
    expect(recipients).to_have_count(3)
    for code, name in TOWNSHIPS.items():
        row = phone.locator(f'#recipients li.recipient[data-unit="{code}"]')
        expect(row).to_contain_text(name)
        expect(row).to_contain_text("主送")
        expect(row.locator(".state")).to_have_text("未读")
        expect(row.locator(".receipt")).to_have_count(0)
    assert_no_horizontal_scroll(phone, "the sender's item page")

    # 2. two of the three townships sign for it in time
    sign_for(browser, server, "dhz.clerk1", title, item_id, screenshot="urgent_clerk_signed.png")
    sign_for(browser, server, "xsz.clerk1", title, item_id)

    # 3. the window passes: the reminder, backup and duty-desk steps run for 南桥镇
    move_clock(server, PAST_THE_WINDOW_S)

    # 4. the duty desk sees 南桥镇 escalated, reads its timeline, and signs on its behalf
    reason = "已电话联系南桥镇值班员孙平确认收到"
    duty_context = new_phone_context(browser)
    try:
        duty = duty_context.new_page()
        login(duty, server, "duty")
        duty.get_by_role("link", name="值班室").click()
        expect(duty).to_have_url(f"{server.url}/duty")
        expect(duty.get_by_role("heading", name="值班室")).to_be_visible()
        card = duty.locator("section.board-item", has_text=title)
        expect(card.locator(".board-head .badge")).to_have_text("特急")
        for code in ("DHZ", "XSZ"):     # signed in time: on the board as signed for
            expect(card.locator(f'li.board-entry[data-unit="{code}"] .state')).to_have_text("已签收")
        entry = card.locator('li.board-entry[data-unit="NQZ"]')
        expect(entry).to_have_count(1)
        expect(card.locator("li.board-entry").first).to_have_attribute("data-unit", "NQZ")   # escalated first
        expect(entry).to_contain_text("南桥镇人民政府")
        expect(entry.locator(".state")).to_have_text("已升级值班室")
        expect(entry.locator(".overdue")).to_contain_text(re.compile(r"已超时 \d+ 分钟"))

        timeline = entry.locator("details.board-timeline")
        expect(timeline.locator("ol.timeline")).not_to_be_visible()
        timeline.get_by_text("办理过程与短信").click()
        events = timeline.locator("ol.timeline li.event")
        expect(events.first).to_be_visible()
        expect(timeline.locator("li.event-item-issued")).to_contain_text("已送达")
        expect(timeline.locator("li.event-item-escalated")).to_have_text([
            re.compile("升级提醒 · 短信再次提醒收发员"),
            re.compile("升级提醒 · 通知备岗收发员和单位领导"),
            re.compile("升级提醒 · 升级至值班室"),
        ])
        sms = timeline.locator("ul.sms li")
        expect(sms.first).to_be_visible()
        expect(sms.first).to_contain_text(re.compile(r"短信 \+86\d{11} · "))
        assert_no_horizontal_scroll(duty, "the duty board with a timeline open")
        shot(duty, "urgent_duty_board.png")

        entry.locator("details.board-actions summary").click()
        entry.get_by_label("代为签收的理由").fill(reason)
        entry.get_by_role("button", name="代为签收").click()
        expect(duty).to_have_url(re.compile(re.escape(f"{server.url}/duty?done=ack") + r"#delivery-\d+$"))
        expect(duty.get_by_role("status").filter(has_text="已处理。")).to_have_count(1)
        expect(entry.locator(".state")).to_have_text("已签收")
        expect(entry.locator(".who.signed")).to_contain_text("值班室")
        assert_no_horizontal_scroll(duty, "the duty board")
    finally:
        duty_context.close()

    # 5. the sender sees three receipts (logging in again: the clock jump ended her session)
    login(phone, server, "bgs.clerk1")
    phone.goto(f"{server.url}/items/{item_id}")
    expect(phone.locator("h1.doc-title")).to_have_text(title)
    expect(recipients).to_have_count(3)
    for code in TOWNSHIPS:
        row = phone.locator(f'#recipients li.recipient[data-unit="{code}"]')
        expect(row.locator(".state")).to_have_text("已签收")
        expect(row.locator(".receipt")).to_contain_text(re.compile(r"回执 HZ\d{8}-\d{6} · "))
    for code in ("DHZ", "XSZ"):
        expect(phone.locator(f'#recipients li.recipient[data-unit="{code}"] .receipt')).to_contain_text("网页")
    late = phone.locator('#recipients li.recipient[data-unit="NQZ"] .receipt')
    expect(late).to_contain_text("值班室代签")
    expect(late).to_contain_text(reason)
    escalations = phone.locator("ol.timeline li.event-item-escalated")
    expect(escalations).to_have_count(3)
    for i in range(3):
        expect(escalations.nth(i)).to_contain_text("南桥镇人民政府 升级提醒")
    issued = phone.locator("ol.timeline li.event-item-issued")
    for name in TOWNSHIPS.values():     # the sender's timeline names the unit on each line
        expect(issued.filter(has_text=f"{name} 已送达")).to_have_count(1)
    assert_no_horizontal_scroll(phone, "the sender's final item page")
    shot(phone, "urgent_sender_receipts.png")


def test_issue_form_without_a_main_recipient_keeps_what_was_typed(phone: Any, server: Server) -> None:
    login(phone, server, "bgs.clerk1")
    phone.goto(f"{server.url}/items/new")
    title = unique_title()
    form = phone.locator("#issue-form")
    form.get_by_label("标题").fill(title)
    form.get_by_role("button", name="立即发送").click()

    expect(phone.get_by_role("alert")).to_have_text("请至少选择一个主送单位。")
    expect(phone.locator("#issue-form").get_by_label("标题")).to_have_value(title)
    expect(phone.locator("#issue-form").get_by_role("radio", name="特急")).to_be_checked()
    assert_no_horizontal_scroll(phone, "the issue form with an error")


def test_the_test_clock_rejects_a_bad_request(phone: Any, server: Server) -> None:
    response = phone.request.post(f"{server.url}/_test/clock", data={"seconds": -5})
    assert response.status == 400, response.text()
