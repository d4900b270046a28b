"""文件柜, 公文检索 and the phone book at phone size: a clerk files a received document into a folder of
the unit's cabinet, searches a two-character word, opens the hit with the word marked, and calls a
township's duty phone found by its pinyin initials."""

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import ApiClient, login, no_sideways_scroll


def test_a_clerk_files_a_document_searches_two_characters_opens_the_marked_hit_and_calls_a_duty_phone(phone, server):
    page = phone
    tag = uuid.uuid4().hex[:6]
    office = ApiClient(server, "bgs.clerk1")
    mine = office.call("POST", "/api/items", {"kind": "document", "urgency": "urgent",
                                              "title": f"关于做好防汛工作的通知 {tag}",
                                              "body": "各镇：汛期将至，请做好防汛物资准备。",
                                              "main_units": office.unit_ids("NQZ")})
    office.call("POST", "/api/items", {"kind": "document", "urgency": "urgent", "title": f"关于防汛值班的通知 {tag}",
                                       "body": "请安排值班。", "main_units": office.unit_ids("XSZ")})
    login(page, server, "nqz.clerk1")
    page.get_by_role("link", name="文件柜").click()            # the home page's tile
    page.fill("#new-drawer-name", f"2026年 {tag}")
    page.locator("#new-drawer button").click()
    drawer = page.locator(f'details.drawer[data-drawer="2026年 {tag}"]')
    drawer.locator('input[name="name"]').first.fill("防汛")
    drawer.locator(".new-folder button").click()
    expect(drawer.locator("a.folder-link")).to_have_text("防汛")
    no_sideways_scroll(page)
    page.goto(f"{server.url}/items/{mine['item']['id']}")     # the received document
    page.select_option("#file-folder", label=f"本单位 · 2026年 {tag} · 防汛")
    page.locator("#file-form button").click()
    expect(page.locator("#filed .notice")).to_have_text("已归档。")
    page.locator("#filed a.filed-in").click()                  # the folder now holds it
    expect(page.locator(".cabinet-place")).to_have_count(1)
    expect(page.locator(".cabinet-place a").first).to_have_text(f"关于做好防汛工作的通知 {tag}")
    no_sideways_scroll(page)
    page.screenshot(path="test-artifacts/cabinet_folder.png", full_page=True)
    page.goto(f"{server.url}/")
    page.fill("#home-q", f"防汛 {tag}")                       # the box on the home page
    page.press("#home-q", "Enter")
    results = page.locator("#search-results")
    expect(results).to_have_attribute("data-total", "1")     # 西山镇's is not 南桥镇's to see
    expect(results.locator("mark").first).to_have_text("防汛")
    no_sideways_scroll(page)
    page.screenshot(path="test-artifacts/search_results.png", full_page=True)
    results.locator("a.hit-title").first.click()
    expect(page).to_have_url(f"{server.url}/items/{mine['item']['id']}?hl=%E9%98%B2%E6%B1%9B%20{tag}")
    expect(page.locator("#doc-body-marked mark").first).to_have_text("防汛")

    page.goto(f"{server.url}/phonebook")
    page.fill("#phonebook-q", "dhz")                          # 东湖镇 by its pinyin initials
    page.press("#phonebook-q", "Enter")
    township = page.locator('.phonebook-unit[data-unit="DHZ"]')
    expect(township).to_be_visible()
    expect(page.locator('.phonebook-unit[data-unit="XSZ"]')).to_have_count(0)
    call = township.locator(".duty-phone a.call")
    assert call.get_attribute("href").startswith("tel:")     # one tap to call
    no_sideways_scroll(page)
