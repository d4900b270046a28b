"""The duty officer's journey, at phone size (390 x 844, touch, zh-CN).

A clerk issues a fresh 特急 notice to three townships; the duty officer's open board shows the
item with its three units live, unread; one township clerk opens it and another signs for it,
and the board follows without a reload; the officer calls the silent township (a tel: link),
notes the call in the duty log, and hands the shift over to duty2, who confirms it.

The server is shared by the whole session: everything is found by this test's unique title.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, ApiClient, Server, login, move_clock, new_phone_context

PHONE_WIDTH = 390
SHOTS = ARTIFACTS / "duty_officer"
NQZ_DUTY_PHONE = "0571-88300001"           # 南桥镇's duty phone in the demo
DIGEST_WINDOW_S = 120                      # [sms] digest_seconds


class Watch:
    """Console and script errors of the pages this test opens (fails the test at the end)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def page(self, context: Any) -> Any:
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def no_sideways_scroll(page: Any, what: str) -> None:
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    assert width <= PHONE_WIDTH, f"{what} scrolls sideways on a phone ({width} px wide)"


def issue_through_the_form(page: Any, server: Server, title: str) -> int:
    page.goto(f"{server.url}/items/new")
    form = page.locator("#issue-form")
    form.get_by_role("radio", name="特急").check()
    form.get_by_label("标题").fill(title)
    form.get_by_label("正文").fill("各镇人民政府：今夜有强降雨，请立即部署防汛工作，收到后30分钟内签收。")
    main_units = form.get_by_role("group", name="主送单位")
    for name in ("东湖镇人民政府", "西山镇人民政府", "南桥镇人民政府"):
        main_units.get_by_role("checkbox", name=name).check()
    form.get_by_role("button", name="立即发送").click()
    page.wait_for_url(re.compile(r"/items/\d+"))
    return int(re.search(r"/items/(\d+)", page.url).group(1))


def test_duty_officer_watches_a_fresh_notice_calls_the_silent_township_logs_it_and_hands_over(
        browser: Any, server: Server) -> None:
    title = f"关于做好强降雨防御工作的紧急通知（{uuid.uuid4().hex[:6]}）"
    watch = Watch()
    clerk_ctx, duty_ctx, duty2_ctx = (new_phone_context(browser) for _ in range(3))
    try:
        # 1. the district office clerk issues a 特急 notice to three townships
        clerk = watch.page(clerk_ctx)
        login(clerk, server, "bgs.clerk1")
        item_id = issue_through_the_form(clerk, server, title)
        shot(clerk, "01-issued.png")

        # 2. the duty officer's board shows it at once, before anything escalates: three units, unread
        duty = watch.page(duty_ctx)
        login(duty, server, "duty")
        duty.goto(f"{server.url}/duty/log")                    # the officer starts the shift
        expect(duty.locator(".duty-shift")).to_contain_text("目前无人当班")
        duty.get_by_role("button", name="开始值班").click()
        expect(duty.get_by_role("status")).to_have_text("您已开始值班。")
        duty.get_by_role("link", name="返回值班室看板").click()
        expect(duty).to_have_url(f"{server.url}/duty")
        card = duty.locator("section.board-item", has_text=title)
        expect(card).to_have_count(1)
        expect(card.locator(".board-head .badge")).to_have_text("特急")
        units = card.locator("li.board-entry")
        expect(units).to_have_count(3)
        for code in ("DHZ", "XSZ", "NQZ"):
            row = card.locator(f'li.board-entry[data-unit="{code}"]')
            expect(row.locator(".state")).to_have_text("未读")
            expect(row.locator(".left")).to_have_text(re.compile(r"剩余 (29|30) 分钟"))
        no_sideways_scroll(duty, "the duty board")
        duty.evaluate("window.__sameBoard = true")           # gone if the page reloads
        # the officer starts writing a reason for the silent township while the others react
        silent = card.locator('li.board-entry[data-unit="NQZ"]')
        silent.locator("details.board-actions summary").click()
        silent.get_by_label("代为签收的理由").fill("正在联系南桥镇")
        shot(duty, "02-board-unread.png")

        # 3. 东湖镇's clerk opens it, 西山镇's signs for it: the board follows, live
        ApiClient(server, "dhz.clerk1").call("GET", f"/api/items/{item_id}")
        expect(card.locator('li.board-entry[data-unit="DHZ"] .state')).to_have_text("已读未签收")
        expect(card.locator('li.board-entry[data-unit="DHZ"] .who')).to_contain_text("已读")
        xsz = ApiClient(server, "xsz.clerk1")
        mine = xsz.call("GET", f"/api/items/{item_id}")["mine"]
        xsz.call("POST", f"/api/deliveries/{mine['id']}/ack")
        expect(card.locator('li.board-entry[data-unit="XSZ"] .state')).to_have_text("已签收")
        expect(card.locator('li.board-entry[data-unit="XSZ"] .who.signed')).to_contain_text("签收")
        expect(card.locator(".board-counts")).to_contain_text("未读 1 · 已读未签收 1 · 已签收 1 / 共 3 个单位")
        expect(units.first).to_have_attribute("data-unit", "NQZ")    # the silent one leads
        assert duty.evaluate("window.__sameBoard === true"), "the board reloaded instead of updating live"
        # ... and what was opened and typed survived the live updates
        expect(silent.locator("details.board-actions")).to_have_attribute("open", "")
        expect(silent.get_by_label("代为签收的理由")).to_have_value("正在联系南桥镇")
        shot(duty, "03-board-live.png")

        # 4. the officer calls the silent township: its phone numbers are one tap away
        call = silent.locator("a.tel", has_text="值班电话")
        expect(call).to_have_attribute("href", f"tel:{NQZ_DUTY_PHONE}")
        expect(silent.locator('a.tel[data-role="clerk"]')).to_have_count(2)
        expect(silent.locator('a.tel[data-role="leader"]')).to_have_count(1)
        for link in silent.locator("a.tel").all():
            assert re.fullmatch(r"tel:(\+86138\d{8}|0571-\d{8})", link.get_attribute("href") or "")
        box = call.bounding_box()
        assert box and box["height"] >= 32, "the call link is too small to tap"

        # 5. ... and notes the call in the duty log, from the board (the unit and item prefilled)
        silent.get_by_role("link", name="记录通话").click()
        expect(duty).to_have_url(re.compile(r"/duty/log\?delivery=\d+$"))
        form = duty.locator("#entry-form")
        expect(form.locator(".log-about")).to_contain_text("关于：南桥镇人民政府")
        expect(form.locator(".log-about")).to_contain_text(title)
        expect(form.get_by_role("radio", name="通话")).to_be_checked()
        note = f"拨打南桥镇值班电话 {NQZ_DUTY_PHONE}，值班员称马上签收"
        form.get_by_label("记录内容").fill(note)
        shot(duty, "04-log-call.png")
        form.get_by_role("button", name="记录").click()
        expect(duty.get_by_role("status")).to_have_text("已记录。")
        entry = duty.locator("li.log-entry", has_text=note)
        expect(entry).to_have_count(1)
        expect(entry.locator(".log-kind")).to_have_text("通话")
        expect(entry.locator(".log-unit")).to_have_text("南桥镇人民政府")
        expect(entry.locator(".log-item")).to_contain_text(title)
        no_sideways_scroll(duty, "the duty log")
        shot(duty, "05-log.png")
        duty.emulate_media(media="print")                      # the log as it prints on A4
        expect(duty.locator("#entry-form")).to_be_hidden()
        expect(duty.locator("header").first).to_be_hidden()
        shot(duty, "06-log-print.png")
        duty.pdf(path=str(SHOTS / "06-log-a4.pdf"), format="A4")
        duty.emulate_media(media="screen")

        # 6. the officer hands the shift over to duty2 with a note
        handover = duty.locator("#handover")
        next_officer = handover.locator("option", has_text="（duty2）").get_attribute("value")
        handover.get_by_label("接班人").select_option(value=next_officer)
        handover.get_by_label("交班说明").fill(f"《{title[:12]}…》南桥镇未签收，已电话催办，请继续跟进")
        handover.get_by_role("button", name="交班").click()
        expect(duty.get_by_role("status")).to_have_text("已交班，等待接班人确认。")
        expect(duty.locator("#handover")).to_contain_text("等待其确认接班")
        shot(duty, "07-handed-over.png")

        # 7. duty2 sees the handover waiting on the board and confirms it: now on shift
        duty2 = watch.page(duty2_ctx)
        login(duty2, server, "duty2")
        duty2.goto(f"{server.url}/duty")
        waiting = duty2.locator(".board-handover")
        expect(waiting).to_contain_text("已向您交班，请确认接班")
        expect(duty2.locator("section.board-item", has_text=title)).to_have_count(1)
        shot(duty2, "08-duty2-board.png")
        waiting.get_by_role("link").click()
        expect(duty2.locator("#handover")).to_contain_text("南桥镇未签收，已电话催办")
        duty2.get_by_role("button", name="确认接班").click()
        expect(duty2.get_by_role("status")).to_have_text("已接班，您现在当班。")
        expect(duty2.locator("#handover-form")).to_be_visible()      # duty2 may hand over in turn
        expect(duty2.locator("ul.handovers")).to_contain_text("已接班")
        shot(duty2, "09-duty2-on-shift.png")
        duty2.goto(f"{server.url}/duty")
        expect(duty2.locator(".board-shift")).to_contain_text("当班：")
        expect(duty2.locator(".board-handover")).to_have_count(0)
        no_sideways_scroll(duty2, "the duty board")
        shot(duty2, "10-duty2-board-on-shift.png")

        # the earlier shift keeps its call, with the handover that ended it
        duty2.goto(f"{server.url}/duty/log")
        duty2.get_by_role("link", name=re.compile(r"\d\d-\d\d \d\d:\d\d – \d\d-\d\d")).first.click()
        expect(duty2.locator("li.log-entry", has_text=note)).to_have_count(1)
        shot(duty2, "11-previous-shift.png")
    finally:
        for ctx in (clerk_ctx, duty_ctx, duty2_ctx):
            ctx.close()
        # the townships' clerks got this notice's SMS: let the SMS digest window (2 minutes, on the
        # shared server's fake clock) pass, so the next test's first notice to them goes out at once
        move_clock(server, DIGEST_WINDOW_S + 1)
    assert not watch.errors, "console errors:\n" + "\n".join(watch.errors)
