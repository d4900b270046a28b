"""代理 at phone size: 东湖镇's clerk tries to act for the leader before anyone approved it and is refused
with the rule; the leader asks for the clerk as delegate; the unit admin finds it in 待办 and approves it;
the clerk's home offers 开始代理, the banner follows every page, the clerk reads (已阅) one of two documents
the district office circulated to the leader, and the record's history says "clerk（代 leader）"; the fake
clock passes the period's end and the clerk's next page says 代理期已结束, back to the clerk's own self,
and the leader's other document is no longer theirs to see (the leader reads it on coming back).

The period is 20 minutes, not days: a session idle for 30 minutes ends (and the journeys after this one
share the server's clock), so the clock moves 21 minutes and the clerk's session lives on to be told.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from hub.domain.calendar import CST
from hub.services.demo import demo_accounts
from tests.e2e.conftest import (
    ApiClient,
    Server,
    as_user,
    login,
    move_clock,
    no_sideways_scroll,
    server_now,
)

NAMES = {a.login: a.name for a in demo_accounts()}
LEADER, CLERK = NAMES["dhz.leader"], NAMES["dhz.clerk2"]
PERIOD = timedelta(minutes=20)


def circulated_to_the_leader(office: ApiClient, server: Server, title: str) -> int:
    """The district office registers a paper document (in its own register: 东湖镇's numbers stay as the
    other journeys expect) and circulates it to 东湖镇's leader; the record's id."""
    today = server_now(server).astimezone(CST).date().isoformat()
    record = office.call("POST", "/api/incoming", {"source": "paper", "from_unit": "省人民政府办公厅",
                                                   "title": title, "urgency": "ordinary", "received_on": today})
    record_id = int(record["record"]["id"])
    people = office.call("GET", f"/api/incoming/{record_id}/circulations")["people"]
    [leader] = [p["id"] for p in people if p["name"] == LEADER and p["unit"] == "东湖镇人民政府"]
    office.call("POST", f"/api/incoming/{record_id}/circulations",
                {"user_ids": [leader], "note": "请东湖镇阅知并抓好落实。"})
    return record_id


def post_from_page(page: Any, action: str) -> None:
    """Submit a POST form to `action` with the page's own CSRF token, as a hand-made form would."""
    page.evaluate("""action => {
        const form = document.createElement('form');
        form.method = 'post'; form.action = action;
        const token = document.querySelector('input[name="csrf_token"]').cloneNode();
        form.appendChild(token); document.body.appendChild(form); form.submit();
    }""", action)


def test_a_delegate_is_refused_then_approved_acts_for_the_leader_and_the_period_ends(
        browser: Any, server: Server) -> None:
    tag = uuid.uuid4().hex[:6]
    title = f"关于转发《全省冬季森林防火工作方案》的通知（{tag}）"
    other = f"关于做好岁末年初安全生产工作的通知（{tag}）"
    office = ApiClient(server, "bgs.clerk1")
    record_id = circulated_to_the_leader(office, server, title)
    other_id = circulated_to_the_leader(office, server, other)

    # the leader asks for the clerk as delegate, from now for 20 minutes
    leader_ctx, leader = as_user(browser, server, "dhz.leader")
    leader.goto(f"{server.url}/delegations")
    leader.get_by_role("link", name="申请代理").click()
    form = leader.locator("#delegation-form")
    form.locator('select[name="delegate_id"]').select_option(label=f"{CLERK}（dhz.clerk2）")
    ends = (server_now(server) + PERIOD).astimezone(CST).strftime("%Y-%m-%dT%H:%M")
    form.locator('input[name="ends_at"]').fill(ends)
    form.locator('input[name="reason"]').fill("赴省里参加培训")
    no_sideways_scroll(leader)
    form.locator('button[type="submit"]').click()
    leader.wait_for_url(re.compile(r".*/delegations/\d+\?done=request$"))
    delegation_url = leader.url.split("?")[0]
    delegation_id = int(delegation_url.rsplit("/", 1)[1])
    expect(leader.locator("#delegation")).to_have_attribute("data-state", "requested")
    expect(leader.locator("#delegation h1")).to_have_text(f"{CLERK} 代理 {LEADER}")
    leader_ctx.close()

    # asked, not approved: the clerk's switch is refused with the rule
    clerk_ctx, clerk = as_user(browser, server, "dhz.clerk2")
    expect(clerk.locator("section.may-act")).to_have_count(0)
    clerk.goto(delegation_url)
    expect(clerk.locator("#act-form")).to_have_count(0)
    post_from_page(clerk, f"/delegations/{delegation_id}/act")
    expect(clerk.locator("main")).to_contain_text("未经许可，不得由他人代理收发工作")
    expect(clerk.locator("#acting-banner")).to_have_count(0)

    # the unit admin finds it among the things to do and approves it
    admin_ctx, admin = as_user(browser, server, "dh.admin")
    admin.goto(f"{server.url}/todo")
    entry = admin.locator("#todo-list li.todo-entry", has_text=f"代理申请：{CLERK} 代 {LEADER}")
    expect(entry).to_have_count(1)
    entry.locator("a").first.click()
    expect(admin).to_have_url(re.compile(rf".*/delegations/{delegation_id}$"))
    admin.locator("#approve-form button").click()
    admin.wait_for_url(re.compile(r".*\?done=approve$"))
    expect(admin.locator("#delegation")).to_have_attribute("data-state", "approved")
    admin.goto(f"{server.url}/todo")
    expect(admin.locator("#todo-list li.todo-entry", has_text=f"代理申请：{CLERK} 代 {LEADER}")).to_have_count(0)
    admin_ctx.close()

    # the clerk's home offers it; acting, the banner is on every page
    clerk.goto(f"{server.url}/")
    offer = clerk.locator(f'section.may-act[data-id="{delegation_id}"]')
    expect(offer).to_contain_text(re.compile(rf"可代理：{LEADER}（[1-9]\d* 项待办）"))
    no_sideways_scroll(clerk)
    offer.get_by_role("button", name="开始代理").click()
    clerk.wait_for_url(f"{server.url}/")
    banner = clerk.locator("#acting-banner")
    expect(banner).to_contain_text(f"您正在代理 {LEADER} 的工作（至")
    expect(banner.get_by_role("button", name="结束代理")).to_be_visible()
    no_sideways_scroll(clerk)
    for path in ("/todo", "/delegations", "/me"):
        clerk.goto(f"{server.url}{path}")
        expect(clerk.locator("#acting-banner")).to_contain_text(f"您正在代理 {LEADER} 的工作")

    # the leader's 待阅: the clerk reads it for the leader; the history says who for whom
    clerk.goto(f"{server.url}/todo?tab=read")
    clerk.locator("#todo-list li.todo-entry", has_text=title).locator("a").click()
    expect(clerk).to_have_url(re.compile(rf".*/incoming/{record_id}(#.*)?$"))
    read_form = clerk.locator('#circulation form[action^="/road-steps/"][action$="/read"]')
    read_form.locator('textarea[name="comment"]').fill("已阅，待本人返回后部署。")
    read_form.locator('button[type="submit"]').click()
    clerk.wait_for_url(re.compile(rf".*/incoming/{record_id}(#.*)?$"))
    read = clerk.locator('#timeline li[data-move="read"]')
    expect(read).to_contain_text(f"{CLERK}（代 {LEADER}）")
    expect(read).to_contain_text("已阅，待本人返回后部署。")
    expect(clerk.locator("#acting-banner")).to_be_visible()

    # past the period's end: the next page (a tap on 待办) says so once, as oneself; the leader's work is gone
    move_clock(server, PERIOD.total_seconds() + 60)
    clerk.locator("#tabbar a.tab-todo").click()
    clerk.wait_for_url(f"{server.url}/todo")
    expect(clerk.locator("#acting-ended")).to_have_text("代理期已结束，已恢复为您本人的身份。")
    expect(clerk.locator("#acting-banner")).to_have_count(0)
    clerk.goto(f"{server.url}/todo?tab=read")
    expect(clerk.locator("#acting-ended")).to_have_count(0)                  # said once
    expect(clerk.locator("#todo-list")).not_to_contain_text(other)
    response = clerk.goto(f"{server.url}/incoming/{other_id}")
    assert response is not None and response.status == 404
    clerk.goto(f"{server.url}/me")
    expect(clerk.locator("main")).to_contain_text(CLERK)
    clerk.goto(delegation_url)
    expect(clerk.locator("#delegation")).to_have_attribute("data-state", "ended")
    expect(clerk.locator("#act-form")).to_have_count(0)
    clerk.goto(f"{server.url}/")
    expect(clerk.locator("section.may-act")).to_have_count(0)
    clerk_ctx.close()

    back = ApiClient(server, "dhz.leader")          # the leader, back, still has the other one to read
    [mine] = back.call("GET", f"/api/incoming/{other_id}/circulations")["mine"]
    back.call("POST", f"/api/road-steps/{mine['step_id']}/read", {"comment": "已阅。"})


def test_the_delegation_register_fits_a_phone_and_prints_on_a4_without_the_frame(phone: Any, server: Server) -> None:
    """After the journey above (or alone: then it lists none), the unit admin's register."""
    login(phone, server, "dh.admin")
    phone.goto(f"{server.url}/delegations")
    phone.locator("#register-link").click()
    expect(phone.locator("h1")).to_have_text("东湖镇人民政府 代理登记簿")
    no_sideways_scroll(phone)                                   # the wide table scrolls in its box
    phone.locator("#register-print").click()
    phone.wait_for_url(re.compile(r".*print=1$"))
    phone.emulate_media(media="print")
    hidden = phone.evaluate("""() => ['#tabbar', 'header.bar', '.register-tools']
        .map(s => document.querySelector(s)).filter(e => e && getComputedStyle(e).display !== 'none').length""")
    assert hidden == 0, "the frame and the links do not print"
    assert phone.locator("tr.register-print-head").inner_text().startswith("东湖镇人民政府 代理登记簿")
    pdf = phone.pdf(prefer_css_page_size=True, print_background=False)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 841.9) < 2 and abs(float(h) - 595.3) < 2 for w, h in boxes)  # A4 landscape
