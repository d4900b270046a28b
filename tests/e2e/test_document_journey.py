"""A document's whole road at phone size: draft, review, a leader enrols an authenticator and signs
off with a one-time code, the office numbers, seals and dispatches it, a township signs for it."""

import re
import unicodedata
import uuid

import pdfplumber
import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import (
    as_user,
    move_clock,
    no_sideways_scroll,
    server_now,
)
from tests.e2e.pdf_text import pdf_pages_text


def test_a_notice_is_drafted_reviewed_signed_with_a_code_numbered_sealed_dispatched_and_signed_for(browser, server):
    title = f"关于做好冬季防火工作的通知 {uuid.uuid4().hex[:6]}"

    ctx, page = as_user(browser, server, "bgs.clerk1")            # the drafter
    page.goto(f"{server.url}/documents/new")
    page.select_option('select[name="doc_kind"]', "通知")
    page.check('input[name="urgency"][value="urgent"]')
    page.fill('input[name="title"]', title)
    page.fill('textarea[name="body"]', "各镇人民政府：\n入冬以来火灾风险上升，请切实做好防火工作。")
    page.get_by_label("东湖镇人民政府").first.check()
    no_sideways_scroll(page)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#doc-state")).to_have_text("草稿")
    page.click("#op-submit")
    expect(page.locator("#doc-state")).to_have_text("审核中")
    doc_url = page.url
    ctx.close()

    ctx, page = as_user(browser, server, "bgs.clerk2")            # the office reviews it
    expect(page.locator("#todo")).to_contain_text(title)
    page.locator("#todo a", has_text=title).click()
    page.fill('#op-approve >> xpath=.. >> input[name="comment"]', "同意，请领导签发")
    page.click("#op-approve")
    expect(page.locator("#doc-state")).to_have_text("待签发")
    ctx.close()

    ctx, page = as_user(browser, server, "bgs.leader")            # the leader, on a trip, on a phone
    page.goto(f"{server.url}/otp")
    page.get_by_role("button", name=re.compile("绑定|开始")).click()
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    expect(page.locator("svg").first).to_be_visible()              # the QR code, drawn by the server
    totp = pyotp.TOTP(secret)
    page.fill('input[name="code"]', totp.at(server_now(server)))
    page.get_by_role("button", name=re.compile("完成|确认")).click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    move_clock(server, 30)                                          # the next 30-second step
    page.goto(f"{server.url}/")
    expect(page.locator("#todo")).to_contain_text(title)
    page.locator("#todo a", has_text=title).click()
    expect(page.locator("#sign")).to_be_visible()
    no_sideways_scroll(page)
    page.fill('#sign input[name="code"]', "000000" if totp.at(server_now(server)) != "000000" else "111111")
    page.click("#sign button")
    expect(page.locator("#doc-error")).to_be_visible()              # a wrong code: a clear message
    page.screenshot(path="test-artifacts/document_signoff_wrong_code.png", full_page=True)
    page.fill('#sign input[name="code"]', totp.at(server_now(server)))
    page.click("#sign button")
    expect(page.locator("#doc-state")).to_have_text("已签发，待复核登记")
    page.screenshot(path="test-artifacts/document_signed.png", full_page=True)
    ctx.close()

    ctx, page = as_user(browser, server, "bgs.clerk2")            # recheck and number, then seal, dispatch
    page.goto(doc_url)
    page.click("#op-register")
    expect(page.locator("#doc-number")).to_have_text(re.compile(r"示政办发〔\d{4}〕\d+号"))
    number = page.locator("#doc-number").inner_text()
    page.click("#seal-request")                                      # 用印: ask to use the official seal
    expect(page.locator("#seal")).to_contain_text("待审批")
    ctx.close()
    ctx, page = as_user(browser, server, "bgs.leader")              # the leader approves the use with a code
    page.goto(doc_url)
    move_clock(server, 30)
    page.fill('#seal input[name="code"]', totp.at(server_now(server)))
    page.click("#seal-approve")
    expect(page.locator("#seal")).to_contain_text("已批准")
    ctx.close()
    ctx, page = as_user(browser, server, "bgs.seal")                # the keeper stamps with the seal password
    page.goto(f"{server.url}/keeper")
    page.locator("#waiting a").first.click()
    page.fill('#seal input[name="seal_password"]', "Demo@2026")
    page.click("#seal-stamp")
    expect(page.locator("#doc-state")).to_have_text("已用印，待核发")
    expect(page.locator("#seal .seal-picture svg")).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path="test-artifacts/document_stamped.png", full_page=True)
    ctx.close()
    ctx, page = as_user(browser, server, "bgs.clerk2")
    page.goto(doc_url)
    page.click("#op-dispatch")
    expect(page.locator("#doc-state")).to_have_text("已核发")
    page.get_by_role("link", name="查看各单位签收情况").click()
    item_url = page.url
    ctx.close()

    ctx, page = as_user(browser, server, "dhz.clerk1")            # a township clerk signs for it
    page.goto(f"{server.url}/inbox")
    page.locator("#inbox a", has_text=title).click()
    expect(page.locator(".doc")).to_contain_text(number)
    page.click("#ack-button")
    expect(page.locator("#my-delivery")).to_contain_text("回执号")
    expect(page.locator(".doc .seal-picture svg")).to_be_visible()  # the seal in place, with a verify control
    expect(page.locator("#doc-head .doc-office")).to_have_text("示范区人民政府办公室文件")   # it reads as a 公文
    assert page.locator("#doc-head .doc-office").evaluate("e => getComputedStyle(e).color") == "rgb(183, 28, 28)"  # --red
    tabs = "".join(page.locator("#tabbar").inner_text().split())
    # printed: one A4 sheet (NFKC: the printed text may set "ff" of the title's hex tag as one ligature),
    (printed,) = [unicodedata.normalize("NFKC", t.replace("\n", "")) for t in pdf_pages_text(page.pdf(format="A4"))]
    assert title in printed and number in printed and "— 1 / 1 —" in printed and "协同 · 电子政务内网" in printed
    assert tabs not in printed.replace(" ", "")                     # headed and numbered, without the frame
    with page.expect_download() as download:                      # the 公文 as a PDF that carries its seal
        page.click("#download-sealed")
    sealed = download.value.path()
    assert download.value.suggested_filename == f"{number}.pdf"
    with pdfplumber.open(sealed) as pdf:
        first = pdf.pages[0].extract_text().replace(" ", "")
        assert number in first and "示范区人民政府办公室文件" in first
        assert any(p.annots for p in pdf.pages)                   # the seal: the signature's appearance
    with page.expect_download() as download:
        page.click("#download-stamped")
    stamped = download.value.path()
    for file in (sealed, stamped):                               # /verify takes either
        page.goto(f"{server.url}/verify")
        page.set_input_files('input[name="file"]', file)
        page.get_by_role("button", name="验证").click()
        expect(page.locator("#verify-report")).to_have_attribute("data-status", "valid")
        expect(page.locator("#verify-report")).to_contain_text("验证通过")
    expect(page.locator("#verify-report")).to_contain_text("内容完整")
    page.screenshot(path="test-artifacts/seal_verified.png", full_page=True)
    ctx.close()

    ctx, page = as_user(browser, server, "bgs.clerk1")            # and the receipt appears
    page.goto(item_url)
    expect(page.locator('li.recipient[data-unit="DHZ"] .receipt')).to_contain_text(re.compile(r"回执 HZ\d{8}-\d{6}"))
    ctx.close()
