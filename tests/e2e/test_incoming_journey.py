"""收文 at phone size, the issue's journey: a township clerk signs for a document from the district and
registers it (2026-0001), the office proposes handling, the township leader instructs with a
one-time code, the clerk assigns 党政办 as lead and 经发办 as assisting, 经发办's clerk sends its
opinion, 党政办's clerk writes the result and the office closes it; the leader's to-do list shows
each step as it comes. On a second document the fake clock passes the lead's deadline: the
reminder, the leaders' rung and the office's appear in its timeline, the SMS in the gateway
simulator. The 收文登记簿 is exported and the test reads the .xlsx back."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pyotp
from playwright.sync_api import expect

from hub.domain.calendar import CST
from hub.services.demo import demo_accounts
from tests.e2e.conftest import (
    ApiClient,
    Server,
    as_user,
    move_clock,
    no_sideways_scroll,
    server_now,
)
from tests.service.register_helpers import xlsx_rows

ACCOUNTS = demo_accounts()
PHONES = {a.login: f"+86138{n:08d}" for n, a in enumerate(ACCOUNTS, start=1)}   # as load_demo numbers them
DIGEST_WINDOW_S = 120                      # [sms] digest_seconds
DAY_S = 24 * 3600


def move_form(page: Any, record_id: int, move: str) -> Any:
    return page.locator(f'form[action="/incoming/{record_id}/{move}"]')


def make_move(page: Any, record_id: int, move: str, note: str = "", **fields: str) -> Any:
    """Fill and send a move's form on the record page; back on the record page, the move done."""
    form = move_form(page, record_id, move)
    expect(form).to_have_count(1)
    if note:
        form.locator('textarea[name="note"]').fill(note)
    for name, value in fields.items():
        choose(form, name, value)
    no_sideways_scroll(page)
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(rf".*/incoming/{record_id}\?done={move}(#.*)?$"))
    expect(page.locator('p.error[role="alert"]')).to_have_count(0)
    return form


def choose(form: Any, name: str, value: str) -> None:
    """A field by name, whatever control the page uses for it (select, radio, checkbox, input)."""
    field = form.locator(f'[name="{name}"]')
    first = field.first
    tag = first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if tag.startswith("select"):
        first.select_option(value)
    elif tag.endswith(("radio", "checkbox")):
        form.locator(f'[name="{name}"][value="{value}"]').check()
    else:
        first.fill(value)


def enrol_authenticator(page: Any, server: Server) -> pyotp.TOTP:
    """The leader binds an authenticator app (动态口令) on /otp; its TOTP."""
    page.goto(f"{server.url}/otp")
    page.get_by_role("button", name=re.compile("绑定|开始")).click()
    totp = pyotp.TOTP(page.locator("#otp-secret").inner_text().replace(" ", ""))
    page.fill('input[name="code"]', totp.at(server_now(server)))
    page.get_by_role("button", name=re.compile("完成|确认")).click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    move_clock(server, 30)                         # the code is spent: the next one is another step's
    return totp


def todo_entry(page: Any, title: str) -> Any:
    return page.locator("#todo-list li.todo-entry", has_text=title)


def test_a_received_document_is_signed_for_registered_proposed_instructed_assigned_assisted_handled_and_closed(
        browser: Any, server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    title = f"关于做好2027年度农村人居环境整治工作的通知（{tag}）"
    second = f"关于报送冬季安全生产隐患排查情况的通知（{tag}）"
    district = ApiClient(server, "bgs.clerk1")
    unit = dict(zip(("DHZDZB", "DHZJFB"), district.unit_ids("DHZDZB", "DHZJFB"), strict=True))
    item = district.issue(title, "DHZ", urgency="ordinary")["item"]
    year = server_now(server).astimezone(CST).year

    # the township leader binds an authenticator, and keeps the to-do list open
    leader_ctx, leader = as_user(browser, server, "dhz.leader")
    totp = enrol_authenticator(leader, server)
    leader.goto(f"{server.url}/todo")
    expect(todo_entry(leader, title)).to_have_count(0)

    # the township clerk signs for it and registers it: the first number of the year
    ctx, page = as_user(browser, server, "dhz.clerk1")
    page.goto(f"{server.url}/inbox")
    page.locator("#inbox a", has_text=title).click()
    page.click("#ack-button")
    expect(page.locator("#my-delivery")).to_contain_text("回执号")
    page.locator(f'form[action="/items/{item["id"]}/register"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/incoming/\d+$"))
    record_id = int(page.url.rsplit("/", 1)[1])
    number = f"{year}-0001"        # the e2e server's demo has no received documents: 东湖镇's first of the year
    expect(page.locator("#inc-number")).to_contain_text(number)
    expect(page.locator("#record h1")).to_have_text(title)
    expect(page.locator("#inc-state")).to_have_attribute("data-state", "registered")
    no_sideways_scroll(page)
    make_move(page, record_id, "review", "来文要素齐全，格式规范。")                            # 初审
    make_move(page, record_id, "propose", "拟请党政办牵头、经发办配合，制定整治方案并抓好落实。",   # 拟办
              handling="act")
    record_url = page.url.split("?")[0]

    # the leader's open to-do list shows the 批示 as it comes, live
    entry = todo_entry(leader, title)
    expect(entry).to_have_attribute("data-kind", "instruct")
    entry.locator("a").click()
    expect(leader).to_have_url(record_url)
    form = move_form(leader, record_id, "instruct")
    form.locator('textarea[name="note"]').fill("同意拟办意见，请党政办牵头抓好落实。")
    code = totp.at(server_now(server))
    form.locator('input[name="code"]').fill("000000" if code != "000000" else "111111")
    form.locator('button[type="submit"]').click()                   # a wrong code: refused, nothing kept
    expect(leader.locator('p.error[role="alert"]')).to_be_visible()
    form = move_form(leader, record_id, "instruct")
    form.locator('textarea[name="note"]').fill("同意拟办意见，请党政办牵头抓好落实。")
    form.locator('input[name="code"]').fill(totp.at(server_now(server)))
    no_sideways_scroll(leader)
    form.locator('button[type="submit"]').click()
    leader.wait_for_url(re.compile(rf".*/incoming/{record_id}\?done=instruct(#.*)?$"))
    expect(move_form(leader, record_id, "instruct")).to_have_count(0)
    leader.goto(f"{server.url}/todo")
    expect(todo_entry(leader, title)).to_have_count(0)
    leader.goto(f"{server.url}/todo?tab=done")                      # 已办: the instruction, as history
    expect(leader.locator("#todo-list li", has_text=title)).to_contain_text("同意拟办意见")

    # the office assigns 党政办 as lead and 经发办 as assisting, each with its deadline
    page.goto(record_url)
    due = (server_now(server).astimezone(CST) + timedelta(days=10)).date().isoformat()
    form = move_form(page, record_id, "assign")
    choose(form, "lead_unit_id", str(unit["DHZDZB"]))
    form.locator('input[name="lead_due"]').fill(due)
    form.locator(f'input[name="assist_unit_id"][value="{unit["DHZJFB"]}"]').check()
    make_move(page, record_id, "assign", "请按领导批示办理。")
    expect(page.locator("main")).to_contain_text("东湖镇党政办公室")
    expect(page.locator("main")).to_contain_text("东湖镇经济发展办公室")
    ctx.close()

    # 经发办's clerk finds its part in the to-do list and sends its opinion to the lead
    opinion = "经发办意见：建议将农村污水管网改造列入整治方案，所需资金约30万元。"
    ctx, page = as_user(browser, server, "dhzjfb.clerk")
    page.goto(f"{server.url}/todo")
    todo_entry(page, title).locator("a").click()
    expect(page).to_have_url(record_url)
    make_move(page, record_id, "assist", opinion)
    expect(move_form(page, record_id, "assist")).to_have_count(0)
    ctx.close()

    # 党政办's clerk sees the opinion and writes the result
    ctx, page = as_user(browser, server, "dhzdzb.clerk")
    page.goto(f"{server.url}/todo")
    todo_entry(page, title).locator("a").click()
    expect(page).to_have_url(record_url)
    expect(page.locator("#opinions")).to_contain_text(opinion)
    make_move(page, record_id, "result", "已制定整治方案，完成12个村的污水管网改造，整治情况已报镇政府。")
    ctx.close()

    # the office closes it (办结): ready for filing
    ctx, page = as_user(browser, server, "dhz.clerk1")
    page.goto(record_url)
    make_move(page, record_id, "close", "办理完毕。")
    expect(page.locator("#inc-state")).to_have_attribute("data-state", "closed")
    timeline = [page.locator("#timeline li").nth(i).get_attribute("data-move")
                for i in range(page.locator("#timeline li").count())]
    assert timeline == ["register", "review", "propose", "instruct", "assign", "assist", "result", "close"]
    for move in ("review", "propose", "instruct", "assign", "assist", "result", "close"):
        expect(move_form(page, record_id, move)).to_have_count(0)
    page.screenshot(path="test-artifacts/incoming_closed.png", full_page=True)
    ctx.close()
    leader_ctx.close()

    # a second document: through the API up to its assignment to 经发办, due the day after tomorrow
    clerk = ApiClient(server, "dhz.clerk1")
    item2 = district.issue(second, "DHZ", urgency="urgent")["item"]
    mine = clerk.call("GET", f"/api/items/{item2['id']}")["mine"]
    clerk.call("POST", f"/api/deliveries/{mine['id']}/ack", {})
    record2 = clerk.call("POST", f"/api/items/{item2['id']}/register", {})["record"]
    assert record2["number"] == f"{year}-0002"
    rid2 = record2["id"]
    clerk.call("POST", f"/api/incoming/{rid2}/moves/review", {"note": "要素齐全。"})
    clerk.call("POST", f"/api/incoming/{rid2}/moves/propose", {"handling": "act", "note": "拟请经发办牵头排查。"})
    move_clock(server, 30)
    boss = ApiClient(server, "dhz.leader")
    boss.call("POST", f"/api/incoming/{rid2}/moves/instruct",
              {"note": "同意，请经发办抓紧排查。", "code": totp.at(server_now(server))})
    lead_due = server_now(server) + timedelta(days=2)
    clerk.call("POST", f"/api/incoming/{rid2}/moves/assign",
               {"lead": {"unit_id": unit["DHZJFB"], "due": lead_due.isoformat()}, "note": "请按批示办理。"})

    # the fake clock passes the deadline: the reminder a day before, the leaders at it, the office a day after
    move_clock(server, DAY_S + 60)
    assert server.sms_to(PHONES["dhzjfb.clerk"], "提醒：收文")             # the lead's clerk is reminded
    move_clock(server, DAY_S)                                             # the deadline passes
    move_clock(server, DAY_S)                                             # a day overdue: the office is told
    assert server.sms_to(PHONES["dhz.clerk1"], "超期提醒：东湖镇经济发展办公室")
    ctx, page = as_user(browser, server, "dhz.clerk1")                   # the sessions ended with the days
    page.goto(f"{server.url}/incoming/{rid2}")
    for rung in ("remind", "leader", "office"):                            # each once, by 系统
        expect(page.locator(f'#timeline li[data-move="deadline.{rung}"]')).to_have_count(1)
        expect(page.locator(f'#timeline li[data-move="deadline.{rung}"]')).to_contain_text("系统")
    expect(page.locator("#open-steps .overdue")).to_be_visible()         # 经发办's step, past its deadline
    page.screenshot(path="test-artifacts/incoming_overdue.png", full_page=True)

    # the 收文登记簿: both documents, exported and read back
    page.goto(f"{server.url}/registers/incoming?year={year}")
    expect(page.locator("main")).to_contain_text(number)
    no_sideways_scroll(page)
    with page.expect_download() as download:
        page.locator('a[href*="/registers/incoming.xlsx"]').click()
    with open(download.value.path(), "rb") as f:
        cells = xlsx_rows(f.read())                                       # the spreadsheet's cells, read back
    first = next(r for r in cells if number in r)
    assert title in first and "东湖镇党政办公室" in first
    assert any(f"{year}-0002" in r and second in r for r in cells)
    ctx.close()
    move_clock(server, DIGEST_WINDOW_S + 5)     # the townships' phones out of their digest window for the next test
