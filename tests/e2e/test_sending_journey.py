"""Sending is quick, at phone size: the issue form's quick select (all townships, a saved group of
one's own), the sender's one button that reminds every unit not signed for yet, and the lists'
filters."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ApiClient, Server, login, move_clock

TOWNSHIPS = ("东湖镇人民政府", "西山镇人民政府", "南桥镇人民政府")


def test_clerk_picks_all_townships_saves_a_group_issues_and_reminds_the_silent_units(phone: Any,
                                                                                  server: Server) -> None:
    page = phone
    title = f"关于做好低温雨雪天气防范工作的通知（{uuid.uuid4().hex[:6]}）"
    login(page, server, "bgs.clerk1")
    page.goto(f"{server.url}/items/new")
    form = page.locator("#issue-form")
    main = form.get_by_role("group", name="主送单位")
    form.get_by_label("标题").fill(title)
    main.get_by_role("button", name="全部乡镇").click()                  # at once, no round trip
    for name in TOWNSHIPS:
        expect(main.get_by_role("checkbox", name=name)).to_be_checked()
    expect(main.get_by_role("checkbox", name="示范区教育局")).not_to_be_checked()
    assert page.url == f"{server.url}/items/new"

    group_name = f"三镇{uuid.uuid4().hex[:4]}"
    form.locator("#save-group summary").click()
    form.get_by_label("单位组名称").fill(group_name)
    form.locator("#save-group").get_by_role("button", name="存为单位组").click()
    expect(form.locator("#group-status")).to_have_text(f"已保存单位组“{group_name}”。")
    main.get_by_role("button", name="全不选").click()
    expect(main.get_by_role("checkbox", name=TOWNSHIPS[0])).not_to_be_checked()
    main.get_by_role("button", name=group_name, exact=True).click()     # the saved group ticks them again
    for name in TOWNSHIPS:
        expect(main.get_by_role("checkbox", name=name)).to_be_checked()
    expect(form.get_by_label("标题")).to_have_value(title)              # nothing typed was lost
    form.get_by_role("button", name="立即发送").click()
    page.wait_for_url(f"{server.url}/items/*")
    item_id = int(page.url.rsplit("/", 1)[1])

    clerk = ApiClient(server, "dhz.clerk1")                              # 东湖镇 signs for it
    mine = clerk.call("GET", f"/api/items/{item_id}")["mine"]
    clerk.call("POST", f"/api/deliveries/{mine['id']}/ack", {})

    chase = page.locator("#chase")
    expect(chase.locator("summary")).to_have_text("提醒未签收单位 · 2")     # live, as 东湖镇 signed for it
    chase.get_by_text("提醒未签收单位 · 2").click()                        # opens the confirmation
    expect(chase).to_contain_text("将向 2 个尚未签收的单位推送提醒")
    chase.get_by_role("button", name="确认提醒 2 个单位").click()
    expect(page.locator("#chase-done")).to_have_text("已提醒 2 个单位。")
    expect(page.locator('li.recipient[data-unit="XSZ"] .chases')).to_have_text("已催办 1 次")
    expect(page.locator('li.recipient[data-unit="DHZ"] .chases')).to_have_count(0)
    move_clock(server, 125)          # the phone got the notice a moment ago: the reminder waits for the digest window
    assert server.sms_to("+8613800000011", "【协同】催办")                 # xsz.clerk1's phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{server.url}/sent")                                      # the sent list's filters
    filters = page.locator("#list-filters")
    filters.get_by_label("标题").fill(title[-7:])
    filters.get_by_label("状态").select_option("open")
    filters.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/sent?state=open&urgency=&q=*")
    expect(page.locator("ul.items li")).to_have_count(1)
    expect(page.locator("ul.items")).to_contain_text(title)
    filters.get_by_label("状态").select_option("acked")
    filters.get_by_role("button", name="筛选").click()
    expect(page.locator("ul.items")).to_contain_text("没有符合筛选条件的事项。")

    for account in ("xsz.clerk1", "nqz.clerk1"):   # the rest sign for it: no more SMS on its ladder
        other = ApiClient(server, account)
        other.call("POST", f"/api/deliveries/{other.call('GET', f'/api/items/{item_id}')['mine']['id']}/ack", {})
    page.reload()                                  # now it is among those all signed for
    expect(page.locator("ul.items li")).to_have_count(1)
    expect(page.locator("ul.items")).to_contain_text(title)
    move_clock(server, 125)          # and the townships' phones are out of their digest window for the next test
