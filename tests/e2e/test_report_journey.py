"""信息报送 at phone size: 西山镇's clerk sends a 请示 with a photo from the home page and sees its receipt
number; the district office finds it in its received reports and answers it with a 批复; 西山镇's clerk
gets the 批复 as an ordinary urgent item in the inbox, whose page links back to the 请示 (and the 请示's
page to the 批复); 南桥镇's clerk sends a 工作动态, the office adopts it, and 南桥镇 sees 已采用（…）."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Server, as_user, no_sideways_scroll


def send_report(page: Any, server: Server, kind: str, title: str, body: str, files: list[dict[str, Any]]) -> str:
    """From the home page: 信息报送 → 报送, the form, sent; the receipt number shown."""
    page.goto(f"{server.url}/")
    page.locator('a[href="/reports"]').first.click()
    expect(page.locator("h1")).to_contain_text("信息报送一览")
    page.locator("#send-report").click()
    page.select_option("#report-kind", kind)
    page.fill('input[name="title"]', title)
    page.fill('textarea[name="body"]', body)
    if files:
        page.set_input_files('input[name="files"]', files)
    no_sideways_scroll(page)
    page.locator("#report-submit").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text("回执编号")
    expect(receipt).to_contain_text("报送至 示范区人民政府办公室")
    number = page.locator("#receipt-no").inner_text()
    assert re.fullmatch(r"BS\d{8}-\d{4}", number), number
    return number


def test_a_request_is_answered_and_links_back_and_a_work_news_is_adopted(browser: Any, server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    request_title = f"关于修缮西山小学校舍的请示（{tag}）"
    news_title = f"南桥镇秋收进度（{tag}）"

    xsz_ctx, xsz = as_user(browser, server, "xsz.clerk1")
    number = send_report(xsz, server, "request", request_title, "校舍漏雨，请拨付维修资金。",
                         [{"name": "校舍照片.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 photo"}])
    expect(xsz.locator("#report-state")).to_have_text("待批复")
    expect(xsz.locator("#answer-due")).to_contain_text("批复期限")
    expect(xsz.locator("#report-files")).to_contain_text("校舍照片.pdf")
    report_url = xsz.url.split("?")[0]

    bgs_ctx, bgs = as_user(browser, server, "bgs.clerk1")
    bgs.locator('a[href="/reports/received"]').first.click()
    row = bgs.locator("tr.report-row", has_text=request_title)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("西山镇人民政府")
    no_sideways_scroll(bgs)
    row.locator("a").first.click()
    bgs.fill('#answer-form textarea[name="text"]', "同意拨付维修资金20万元，请抓紧施工。")
    bgs.locator("#answer-submit").click()
    expect(bgs.locator("#done")).to_contain_text("批复已发出")
    expect(bgs.locator("#report-state")).to_have_text("已批复")

    xsz.goto(f"{server.url}/inbox")
    answer = f"关于《{request_title}》的批复"
    expect(xsz.locator("body")).to_contain_text(answer)
    xsz.goto(report_url)
    xsz.locator("#answer-link a").click()
    expect(xsz.locator("h1.doc-title")).to_have_text(answer)
    back = xsz.locator("#answers-report a")
    expect(back).to_have_text(f"此为对请示《{request_title}》的批复（回执 {number}）")
    no_sideways_scroll(xsz)
    back.click()
    expect(xsz.locator("h1.doc-title")).to_have_text(request_title)

    nqz_ctx, nqz = as_user(browser, server, "nqz.clerk1")
    send_report(nqz, server, "work_news", news_title, "全镇秋收已完成九成。", [])
    news_url = nqz.url.split("?")[0]

    bgs.goto(f"{server.url}/reports/received?kind=work_news")
    bgs.locator("tr.report-row", has_text=news_title).locator("a").first.click()
    bgs.fill('#adopt-form input[name="note"]', "《示范区政务信息》2026年第12期")
    bgs.locator("#adopt-submit").click()
    expect(bgs.locator("#done")).to_contain_text("已采用")

    nqz.goto(f"{server.url}/reports")
    expect(nqz.locator("tr.report-row", has_text=news_title)).to_contain_text("已采用（《示范区政务信息》2026年第12期）")
    nqz.goto(news_url)
    expect(nqz.locator("#adopted-line")).to_contain_text("已采用（《示范区政务信息》2026年第12期）")
    for ctx in (xsz_ctx, bgs_ctx, nqz_ctx):
        ctx.close()
