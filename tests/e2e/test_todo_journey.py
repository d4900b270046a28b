"""待办 at phone size (390 x 844): a leader's to-do page open on 待阅 gets a circulation the moment the
office sends it (the tab's count, the list and the tab bar's badge follow without a reload), 待办
stays apart, and the entry opens the record, where the read form is. Pages passed are saved to
test-artifacts/todo-*.png."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from playwright.sync_api import expect

from hub.domain.calendar import CST
from hub.services.demo import demo_accounts
from tests.e2e.conftest import ARTIFACTS, ApiClient, Server, login, move_clock, new_phone_context

NAMES = {a.login: a.name for a in demo_accounts()}


def test_a_circulation_reaches_the_leaders_open_to_read_tab_live_and_opens_its_record(
        browser: Any, server: Server) -> None:
    title = f"关于转发冬季安全生产督查通报的通知（{uuid.uuid4().hex[:6]}）"
    office = ApiClient(server, "nqz.clerk1")
    ctx = new_phone_context(browser)
    page = ctx.new_page()
    login(page, server, "nqz.leader")
    page.goto(f"{server.url}/todo?tab=read")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    expect(page.locator('#todo-tabs a[aria-current="page"]')).to_have_attribute("data-tab", "read")
    to_read = page.locator('#todo-tabs a[data-tab="read"] .subtab-n')
    to_do = page.locator('#todo-tabs a[data-tab="todo"] .subtab-n')
    before, doing = int(to_read.inner_text()), int(to_do.inner_text())

    today = datetime.fromisoformat(move_clock(server, 0)).astimezone(CST).date().isoformat()
    record = office.call("POST", "/api/incoming", {"source": "paper", "from_unit": "市应急管理局", "title": title,
                                                   "urgency": "urgent", "received_on": today})["record"]
    people = office.call("GET", f"/api/incoming/{record['id']}/circulations")["people"]
    leader = next(p["id"] for p in people if p["name"] == NAMES["nqz.leader"])
    office.call("POST", f"/api/incoming/{record['id']}/circulations",
                {"user_ids": [leader], "note": "请阅示督查通报，部署本镇整改。"})

    expect(to_read).to_have_text(str(before + 1))                   # no reload: the count and the list
    entry = page.locator("#todo-list li.todo-entry", has_text=title)
    expect(entry).to_contain_text("待阅")
    expect(entry).to_contain_text(record["number"])
    expect(to_do).to_have_text(str(doing))                          # 待办 is not 待阅
    expect(page.locator("#tabbar a.tab-todo [data-badge]")).to_have_text(re.compile(r"[1-9]\d*"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "todo-read-tab-live.png"), full_page=True)

    entry.locator("a").click()
    page.wait_for_url(re.compile(rf".*/incoming/{record['id']}$"))   # the read form is on the record
    page.goto(f"{server.url}/todo?tab=todo")
    expect(page.locator("#todo-list")).not_to_contain_text(title)
    ctx.close()
