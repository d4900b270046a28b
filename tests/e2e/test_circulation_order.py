"""An ordered circulation (按顺序传阅) at phone size: the sender numbers the readers on the form (the
order fields show only once 按顺序 is ticked), the view shows the first reader 待阅 and the rest 未到,
and as each reads, the sender's open view follows without a reload (the to-do frames)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from playwright.sync_api import expect

from hub.domain.calendar import CST
from hub.services.demo import demo_accounts
from tests.e2e.conftest import ApiClient, Server, login, move_clock, new_phone_context

NAMES = {a.login: a.name for a in demo_accounts()}


def read_as(server: Server, account: str, circulation_id: int, comment: str) -> None:
    reader = ApiClient(server, account)
    step = reader.call("GET", f"/api/circulations/{circulation_id}")["circulation"]["my_step_id"]
    reader.call("POST", f"/api/road-steps/{step}/read", {"comment": comment})


def test_an_ordered_circulation_goes_one_reader_after_another_and_the_sender_watches_it_live(
        browser: Any, server: Server) -> None:
    title = f"关于做好元旦春节期间值班值守工作的通知（{uuid.uuid4().hex[:6]}）"
    today = datetime.fromisoformat(move_clock(server, 0)).astimezone(CST).date().isoformat()
    office = ApiClient(server, "wjj.clerk1")
    record = office.call("POST", "/api/incoming", {"source": "paper", "from_unit": "示范区人民政府办公室",
                                                   "title": title, "urgency": "ordinary", "received_on": today})["record"]
    ctx = new_phone_context(browser)
    page = ctx.new_page()
    login(page, server, "wjj.clerk1")
    page.goto(f"{server.url}/incoming/{record['id']}/circulations/new")
    form = page.locator(f'form[action="/incoming/{record["id"]}/circulations"]')
    first, second = (form.locator(".circ-person", has_text=NAMES[a]) for a in ("wjj.clerk2", "wjj.leader"))
    expect(first.locator(".circ-pos")).to_be_hidden()                     # in parallel: no order to give
    expect(form.locator(".circ-pos-hint")).to_be_hidden()
    form.locator('input[name="ordered"]').check()
    expect(first.locator(".circ-pos")).to_be_visible()
    expect(form.locator(".circ-pos-hint")).to_be_visible()
    form.locator('textarea[name="note"]').fill("请先由值班负责同志阅，再呈镇领导阅示。")
    for person, place in ((second, "2"), (first, "1")):
        person.locator('input[name="reader"]').check()
        person.locator(".circ-pos").fill(place)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="test-artifacts/circulation_ordered_form.png", full_page=True)
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(r".*/circulations/\d+\?done=sent$"))
    circulation_id = int(re.search(r"/circulations/(\d+)", page.url).group(1))
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    rows = page.locator("#circ-readers li.circ-reader")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(NAMES["wjj.clerk2"])                 # the order given, not the list's
    expect(rows.nth(0)).to_have_attribute("data-status", "unread")
    expect(rows.nth(1)).to_have_attribute("data-status", "not_yet")

    read_as(server, "wjj.clerk2", circulation_id, "已阅，值班表已排好。")
    expect(rows.nth(0)).to_have_attribute("data-status", "read")             # live, no reload
    expect(rows.nth(0).locator(".circ-comment")).to_have_text("已阅，值班表已排好。")
    expect(rows.nth(1)).to_have_attribute("data-status", "unread")           # now it is the leader's turn
    # the leader reads it where 待阅 leads: the record's page, with the note saying why
    leader_ctx = new_phone_context(browser)
    leader = leader_ctx.new_page()
    login(leader, server, "wjj.leader")
    leader.goto(f"{server.url}/incoming/{record['id']}")
    box = leader.locator("#circulation")
    expect(box).to_contain_text("请先由值班负责同志阅，再呈镇领导阅示。")
    box.locator('textarea[name="comment"]').fill("同意。")
    assert leader.evaluate("document.documentElement.scrollWidth") <= 390
    leader.screenshot(path="test-artifacts/circulation_record_reader.png", full_page=True)
    box.locator('button[type="submit"]').click()
    leader.wait_for_url(re.compile(rf".*/incoming/{record['id']}#circulation$"))
    expect(leader.locator('#circulation form[action$="/read"]')).to_have_count(0)
    leader_ctx.close()
    expect(rows.nth(1)).to_have_attribute("data-status", "read")             # the sender's view, live again
    expect(page.locator('form[action$="/withdraw"], form[action$="/remind"]')).to_have_count(0)   # all read

    page.goto(f"{server.url}/circulations")                                  # 我发起的传阅
    expect(page.locator(f'li[data-circulation="{circulation_id}"]')).to_contain_text("已阅 2/2")
    ctx.close()
