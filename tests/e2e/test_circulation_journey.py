"""传阅 at phone size: the district office registers a paper document by hand, circulates it to three
people with a note saying why, one of them reads it (已阅) with a comment from their 待阅 list, the
sender sees in one view who has and who hasn't read it, withdraws it mid-way, and the two who had
not read it no longer find it waiting for them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from playwright.sync_api import expect

from hub.domain.calendar import CST
from hub.services.demo import demo_accounts
from tests.e2e.conftest import (
    Server,
    as_user,
    move_clock,
    no_sideways_scroll,
)

NAMES = {a.login: a.name for a in demo_accounts()}
READERS = ("bgs.leader", "bgs.clerk2", "bgs.seal")


def register_by_hand(page: Any, server: Server, title: str) -> int:
    """The office registers a document that came on paper (/incoming/new); the record's id."""
    today = datetime.fromisoformat(move_clock(server, 0)).astimezone(CST).date().isoformat()
    page.goto(f"{server.url}/incoming/new")
    form = page.locator('form[action="/incoming"]')
    form.locator('select[name="source"]').select_option("paper")
    form.locator('input[name="from_unit"]').fill("省人民政府办公厅")
    form.locator('input[name="from_number"]').fill("浙政办发〔2026〕88号")
    form.locator('input[name="title"]').fill(title)
    form.locator('select[name="urgency"]').select_option("ordinary")
    form.locator('input[name="received_on"]').fill(today)
    no_sideways_scroll(page)
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/incoming/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_three_readers_one_reads_the_sender_withdraws_it_and_sees_who_read_it(browser: Any, server: Server) -> None:
    title = f"关于转发《全省冬季安全生产工作要点》的通知（{uuid.uuid4().hex[:6]}）"
    sender_ctx, sender = as_user(browser, server, "bgs.clerk1")
    record_id = register_by_hand(sender, server, title)

    sender.goto(f"{server.url}/incoming/{record_id}/circulations/new")
    form = sender.locator(f'form[action="/incoming/{record_id}/circulations"]')
    form.locator('textarea[name="note"]').fill("请阅知全省冬季安全生产工作要点，结合分管工作抓好落实。")
    form.locator('button[type="submit"]').click()
    expect(sender.locator('p.error[role="alert"]')).to_be_visible()  # a circulation to nobody
    form = sender.locator(f'form[action="/incoming/{record_id}/circulations"]')
    expect(form.locator('textarea[name="note"]')).to_have_value(re.compile("请阅知"))   # what was typed is kept
    for login_ in READERS:
        form.locator(".circ-person", has_text=NAMES[login_]).locator('input[name="reader"]').check()
    no_sideways_scroll(sender)
    form.locator('button[type="submit"]').click()
    sender.wait_for_url(re.compile(r".*/circulations/\d+\?done=sent$"))
    circulation_url = sender.url.split("?")[0]
    readers = sender.locator("#circ-readers li.circ-reader")
    expect(readers).to_have_count(3)
    for login_ in READERS:
        expect(readers.filter(has_text=NAMES[login_])).to_have_attribute("data-status", "unread")

    # the leader finds it among the things to read (待阅), apart from the things to do, and reads it
    ctx, page = as_user(browser, server, "bgs.leader")
    page.goto(f"{server.url}/todo?tab=read")
    entry = page.locator("#todo-list li.todo-entry", has_text=title)
    expect(entry).to_have_attribute("data-kind", "read")
    entry.locator("a").click()                                              # to the record, where the note is
    expect(page).to_have_url(re.compile(rf".*/incoming/{record_id}(#.*)?$"))
    expect(page.locator("#circulation")).to_contain_text("请阅知全省冬季安全生产工作要点")
    read_form = page.locator('#circulation form[action^="/road-steps/"][action$="/read"]')
    read_form.locator('textarea[name="comment"]').fill("已阅，请分管同志抓好落实。")
    no_sideways_scroll(page)
    read_form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(rf".*/incoming/{record_id}(#.*)?$"))
    expect(page.locator('form[action^="/road-steps/"][action$="/read"]')).to_have_count(0)    # read once
    page.goto(f"{server.url}/todo?tab=read")
    expect(page.locator("#todo-list")).not_to_contain_text(title)
    page.goto(f"{server.url}/todo?tab=todo")                                 # 待办 never held it
    expect(page.locator("#todo-list li", has_text=title)).to_have_count(0)
    page.goto(f"{server.url}/todo?tab=read_done")                           # 已阅, as history
    expect(page.locator("#todo-list li", has_text=title)).to_contain_text("已阅，请分管同志抓好落实。")
    ctx.close()

    # the sender's one view: who has read it (when, with the comment) and who hasn't
    sender.goto(circulation_url)
    leader = readers.filter(has_text=NAMES["bgs.leader"])
    expect(leader).to_have_attribute("data-status", "read")
    expect(leader.locator(".circ-comment")).to_have_text("已阅，请分管同志抓好落实。")
    expect(leader.locator(".circ-read-at")).to_be_visible()
    for login_ in READERS[1:]:
        expect(readers.filter(has_text=NAMES[login_])).to_have_attribute("data-status", "unread")
    sender.locator(f'form[action="/circulations/{circulation_url.rsplit("/", 1)[1]}/withdraw"] button').click()
    sender.wait_for_url(re.compile(r".*/circulations/\d+\?done=withdrawn$"))
    expect(sender.locator(".circ-withdrawn")).to_be_visible()
    expect(leader).to_have_attribute("data-status", "read")                  # who read it stays read
    for login_ in READERS[1:]:
        expect(readers.filter(has_text=NAMES[login_])).to_have_attribute("data-status", "withdrawn")
    expect(sender.locator('form[action$="/withdraw"], form[action$="/remind"]')).to_have_count(0)
    no_sideways_scroll(sender)
    sender.screenshot(path="test-artifacts/circulation_withdrawn.png", full_page=True)
    sender.goto(f"{server.url}/incoming/{record_id}")                       # one history on the record
    moves = sender.locator("#timeline li")
    assert [moves.nth(i).get_attribute("data-move") for i in range(moves.count())] == \
        ["register", "circulate", "read", "withdraw_circulation"]
    expect(moves.nth(2)).to_contain_text(NAMES["bgs.leader"])
    sender_ctx.close()

    # those who had not read it no longer find it waiting for them
    for login_ in READERS[1:]:
        ctx, page = as_user(browser, server, login_)
        page.goto(f"{server.url}/todo?tab=read")
        expect(page.locator("#todo-list")).not_to_contain_text(title)
        ctx.close()
