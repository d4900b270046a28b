"""The frame at phone size (390 x 844): the tab bar and its live badges, 待办, a leader's home and the
document's stepper, binding an authenticator from a document and coming back to it, and Back keeping
what was typed. Each page passed is saved to test-artifacts/frame-*.png."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
import uuid
from datetime import datetime
from typing import Any

import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, ApiClient, Server, login, move_clock, new_phone_context

WIDTH, HEIGHT = 390, 844


class Watched:
    """A logged-in phone whose console errors and requests leaving the server are collected."""

    def __init__(self, browser: Any, server: Server, account: str) -> None:
        self.server = server
        self.context = new_phone_context(browser)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.on("request", lambda r: None if r.url.startswith((server.url, "data:", "blob:"))
                        else self.outside.append(r.url))
        login(self.page, server, account)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"frame-{name}.png"), full_page=True)
        assert self.page.evaluate("document.documentElement.scrollWidth") <= WIDTH, f"{name} scrolls sideways"

    def clean(self) -> None:
        assert not self.outside, self.outside
        # a page answered with 4xx on purpose (a wrong code) is not a fault of the page
        assert not [e for e in self.errors if "status of 4" not in e], self.errors

    def close(self) -> None:
        self.context.close()


def tab(page: Any, key: str) -> Any:
    return page.locator(f"#tabbar a.tab-{key}")


def current_tab(page: Any) -> Any:
    return page.locator('#tabbar a[aria-current="page"]')


def form_post(api: ApiClient, path: str, fields: list[tuple[str, str]]) -> str:
    """A plain HTML form post (as the browser sends it) with the API session's CSRF token; the URL landed on."""
    req = urllib.request.Request(api.server.url + path, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": api.csrf})
    with api.opener.open(req, timeout=30) as resp:
        return str(resp.geturl())


def badge_shows(badge: Any, n: int) -> None:
    if n:
        expect(badge).to_have_text(str(n))
    else:
        expect(badge).to_be_hidden()


def badges(api: ApiClient) -> dict[str, int]:
    return dict(api.call("GET", "/api/badges"))


def test_a_clerk_follows_the_tab_bar_from_home_to_todo_to_the_item_while_the_badge_updates_live(
        browser: Any, server: Server) -> None:
    me = ApiClient(server, "wjj.clerk2")
    before = badges(me)
    phone = Watched(browser, server, "wjj.clerk2")
    page = phone.page
    bar = page.locator("#tabbar")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box and abs(box["y"] + box["height"] - HEIGHT) < 1 and box["width"] == WIDTH    # fixed at the bottom
    expect(current_tab(page)).to_have_count(1)
    expect(current_tab(page)).to_have_class(re.compile("tab-home"))
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    phone.shot("clerk-home")

    title = f"关于立即排查卫生院消防隐患的紧急通知 {uuid.uuid4().hex[:4]}"
    item = ApiClient(server, "jyj.clerk1").issue(title, "WJJ")
    todo_badge = tab(page, "todo").locator(".tab-badge")
    expect(todo_badge).to_have_text(str(before["todo"] + 1))             # live: no reload
    expect(todo_badge).to_be_visible()
    expect(tab(page, "messages").locator(".tab-badge")).to_have_text(str(before["unread"] + 1))
    expect(page.locator("#todo")).to_contain_text(title)                  # the home's list, refreshed live
    phone.shot("clerk-home-badge")

    tab(page, "todo").click()
    expect(page).to_have_url(f"{server.url}/todo")
    expect(current_tab(page)).to_have_class(re.compile("tab-todo"))
    entry = page.locator("#todo-list li", has_text=title)
    expect(entry).to_have_count(1)
    expect(entry.locator(".time-left")).to_contain_text("剩余")
    expect(entry.locator(".badge")).to_have_text("特急")
    phone.shot("clerk-todo")

    entry.get_by_role("link").click()
    expect(page).to_have_url(f"{server.url}/items/{item['item']['id']}")
    expect(current_tab(page)).to_have_class(re.compile("tab-messages"))
    steps = page.locator("#delivery-steps li")
    expect(steps).to_have_count(3)
    expect(steps.nth(1)).to_have_attribute("data-state", "done")           # opening it was reading it
    expect(steps.nth(2)).to_have_attribute("data-state", "current")
    badge_shows(tab(page, "messages").locator(".tab-badge"), before["unread"])
    phone.shot("clerk-item")
    page.locator("#ack-button").click()
    expect(steps.nth(2)).to_have_attribute("data-state", "done")
    # signed for, a document waits to be registered (登记) next: the same count, another kind of work
    expect(page.locator("#register-item")).to_be_visible()
    badge_shows(todo_badge, before["todo"] + 1)
    assert [e["kind"] for e in me.call("GET", "/api/todo")["entries"] if e["title"] == title] == ["register"]
    phone.shot("clerk-item-signed")
    phone.clean()
    phone.close()


def test_a_leader_sees_the_sign_off_waiting_binds_an_authenticator_from_the_document_and_signs_with_a_fresh_code(
        browser: Any, server: Server) -> None:
    title = f"关于做好卫生系统冬季安全生产工作的通知 {uuid.uuid4().hex[:4]}"
    drafter, office = ApiClient(server, "wjj.clerk1"), ApiClient(server, "wjj.clerk2")
    (xsz,) = drafter.unit_ids("XSZ")
    url = form_post(drafter, "/documents", [("title", title), ("body", "各单位：\n请做好冬季安全生产工作。"),
                                            ("doc_kind", "通知"), ("urgency", "urgent"),
                                            ("issuing_office", "示范区卫生健康局"), ("main_units", str(xsz))])
    doc_path = urllib.parse.urlsplit(url).path
    assert re.fullmatch(r"/documents/\d+", doc_path), url
    form_post(drafter, doc_path, [("op", "submit"), ("comment", "")])
    form_post(office, doc_path, [("op", "approve"), ("comment", "同意，请领导签发")])

    phone = Watched(browser, server, "wjj.leader")
    page = phone.page
    signoff = page.locator('#waiting-counts a[data-kind="signoff"]')
    expect(signoff.locator(".count-n")).to_have_text(re.compile(r"[1-9]\d*"))
    expect(page.locator("#todo")).to_contain_text(title)
    phone.shot("leader-home")

    page.locator("#todo a", has_text=title).click()
    expect(page).to_have_url(server.url + doc_path)
    steps = page.locator("#doc-steps li")
    expect(steps).to_have_count(7)
    assert [steps.nth(i).get_attribute("data-state") for i in range(7)] == \
        ["done", "done", "current", "waiting", "waiting", "waiting", "waiting"]
    expect(steps.nth(1)).to_contain_text("审核")
    expect(page.locator("#doc-history")).to_be_visible()                  # the timeline stays below
    phone.shot("leader-document")

    page.locator("#enrol-link").click()                                    # 立即绑定
    page.get_by_role("button", name=re.compile("开始")).click()
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.fill('input[name="code"]', totp.at(datetime.fromisoformat(move_clock(server, 0))))
    page.get_by_role("button", name=re.compile("完成")).click()
    expect(page.locator("#otp-next-code")).to_contain_text("下一个口令")
    phone.shot("leader-recovery-codes")
    page.locator("#otp-back").click()                                      # back to the document
    expect(page).to_have_url(server.url + doc_path)
    wait = page.locator("#sign .otp-wait")
    expect(wait).to_contain_text("秒")                                     # the wait, before typing
    phone.shot("leader-sign-wait")
    pattern = page.locator('#sign input[name="code"]').get_attribute("pattern")
    assert page.evaluate("p => { try { new RegExp(p, 'v'); return true } catch (e) { return false } }", pattern)
    assert page.evaluate("document.querySelector('#sign input[name=code]').validity.valid === false")  # required

    move_clock(server, 30)                                                  # the next 30-second step
    page.reload()
    expect(page.locator("#sign .otp-wait")).to_have_count(0)
    page.fill('#sign input[name="code"]', totp.at(datetime.fromisoformat(move_clock(server, 0))))
    page.click("#sign button")
    expect(page.locator("#doc-state")).to_have_text("已签发，待复核登记")
    expect(steps.nth(2)).to_have_attribute("data-state", "done")
    expect(steps.nth(2)).to_contain_text("已完成")
    expect(steps.nth(3)).to_have_attribute("data-state", "current")
    phone.shot("leader-signed")
    phone.clean()
    phone.close()


def test_back_keeps_what_was_typed_but_never_a_code(browser: Any, server: Server) -> None:
    phone = Watched(browser, server, "wjj.clerk1")
    page = phone.page
    page.goto(f"{server.url}/items/new")
    title = "关于报送冬季传染病防控工作情况的通知"
    page.fill('input[name="title"]', title)
    page.fill('textarea[name="body"]', "各单位：\n请于本周五前报送。")
    phone.shot("back-issue-form")
    tab(page, "todo").click()
    expect(page).to_have_url(f"{server.url}/todo")
    page.go_back()
    expect(page).to_have_url(f"{server.url}/items/new")
    expect(page.locator('input[name="title"]')).to_have_value(title)
    expect(page.locator('textarea[name="body"]')).to_have_value("各单位：\n请于本周五前报送。")
    phone.shot("back-issue-form-restored")

    page.goto(f"{server.url}/documents/new")                              # a document draft, then a reason
    page.fill('textarea[name="body"]', "拟稿中的正文")
    tab(page, "me").click()
    page.go_back()
    expect(page.locator('textarea[name="body"]')).to_have_value("拟稿中的正文")
    page.fill('input[name="title"]', "关于冬季防火的通知（草稿）")
    page.get_by_label("西山镇人民政府").first.check()
    page.get_by_role("button", name="保存草稿").click()                    # sent: forgotten
    expect(page).to_have_url(re.compile(r"/documents/\d+$"))
    page.goto(f"{server.url}/documents/new")
    expect(page.locator('textarea[name="body"]')).to_have_value("")

    kept = json.loads(page.evaluate("JSON.stringify(Object.keys(sessionStorage))"))
    assert kept and not [k for k in kept if re.search(r"code|password|csrf", k)], kept
    phone.clean()
    phone.close()


def test_tiles_and_file_pickers_at_phone_width_and_in_english(browser: Any, server: Server) -> None:
    phone = Watched(browser, server, "wjj.clerk1")
    page = phone.page
    tile = page.locator("a.tile").first
    padding = page.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)", tile.element_handle())
    assert padding >= 8
    page.goto(f"{server.url}/verify")
    picker = page.locator(".file-pick")
    expect(picker).to_contain_text("选择文件")
    expect(picker.locator(".file-names")).to_have_text("未选择文件")
    page.set_input_files('input[name="file"]', files=[{"name": "盖章公文.zip", "mimeType": "application/zip",
                                                        "buffer": b"PK"}])
    expect(picker.locator(".file-names")).to_have_text("盖章公文.zip")
    phone.shot("verify-picker")
    page.goto(f"{server.url}/lang?to=en&next=/items/new")
    expect(page.locator(".file-pick .file-button")).to_have_text("Choose files")
    expect(page.locator("main")).to_contain_text("secret (秘密)")
    expect(tab(page, "todo")).to_contain_text("To do")
    phone.shot("issue-form-en")
    page.goto(f"{server.url}/phonebook")
    expect(page.locator('a[href^="tel:"]').first).to_be_visible()
    expect(current_tab(page)).to_have_class(re.compile("tab-phonebook"))
    phone.shot("phonebook-en")
    page.goto(f"{server.url}/me")
    phone.shot("me-en")
    phone.clean()
    phone.close()


def test_on_a_wide_screen_the_tab_bar_is_a_row_under_the_header(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        login(page, server, "wjj.leader")
        box = page.locator("#tabbar").bounding_box()
        assert box and box["y"] < 120, box                                   # under the header, not at the bottom
        expect(page.locator('#tabbar a[aria-current="page"]')).to_have_class(re.compile("tab-home"))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "frame-leader-home-wide.png"))
    finally:
        context.close()


def test_long_titles_take_two_lines_in_lists_and_all_of_their_lines_on_the_item_page(
        browser: Any, server: Server) -> None:
    title = ("关于进一步做好全区卫生健康系统冬春季节传染病防控、安全生产隐患排查整治以及节假日期间值班值守"
             f"和应急处置各项工作的紧急通知 {uuid.uuid4().hex[:4]}")
    item = ApiClient(server, "jyj.clerk1").issue(title, "WJJ", urgency="urgent")
    phone = Watched(browser, server, "wjj.clerk1")
    page = phone.page
    clamp = "el => [el.getBoundingClientRect().height, parseFloat(getComputedStyle(el).lineHeight), el.scrollHeight]"
    for path, selector in (("/todo", "#todo-list li"), ("/inbox", "#inbox li.entry")):
        page.goto(server.url + path)
        line = page.locator(selector, has_text=title[:20]).locator(".entry-link > div").first
        height, line_height, full = line.evaluate(clamp)
        assert height <= 2 * line_height + 2 < full, (path, height, line_height, full)   # clipped to two lines
        phone.shot(f"long-title{path.replace('/', '-')}")
    page.goto(f"{server.url}/items/{item['item']['id']}")
    heading = page.locator("h1.doc-title")
    expect(heading).to_have_text(title)
    height, line_height, full = heading.evaluate(clamp)
    assert height >= 3 * line_height - 2 and full <= height + 1          # the whole title, on 3+ lines
    phone.clean()
    phone.close()


def test_a_reason_being_typed_survives_a_live_refresh_of_its_section(browser: Any, server: Server) -> None:
    sender = ApiClient(server, "jyj.clerk1")
    first = sender.issue(f"关于核对在编人员信息的通知 {uuid.uuid4().hex[:4]}", "WJJ", urgency="urgent")
    phone = Watched(browser, server, "wjj.clerk1")
    page = phone.page
    page.goto(f"{server.url}/items/{first['item']['id']}")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    page.locator("#my-delivery summary").click()
    with page.expect_response(lambda r: r.url == page.url and r.request.headers.get("x-live-refresh") == "1"):
        sender.issue(f"关于报送冬季安全检查情况的通知 {uuid.uuid4().hex[:4]}", "WJJ")   # before anything is typed
    expect(page.locator("#my-delivery details:has(textarea[name=reason])")).to_have_attribute("open", "")  # stays unfolded
    page.fill('#my-delivery textarea[name="reason"]', "本单位不是主办单位，请改发卫健局办公室")
    with page.expect_response(lambda r: r.url == page.url and r.request.headers.get("x-live-refresh") == "1"):
        sender.issue(f"关于开展冬季爱国卫生运动的通知 {uuid.uuid4().hex[:4]}", "WJJ")   # an event: the page refreshes
    expect(page.locator('#my-delivery textarea[name="reason"]')).to_have_value("本单位不是主办单位，请改发卫健局办公室")
    phone.shot("reason-kept-across-refresh")
    phone.clean()
    phone.close()


def test_a_leaders_open_home_shows_a_sign_off_the_moment_the_office_passes_it_up(browser: Any, server: Server) -> None:
    title = f"关于做好冬季防火工作的通知 {uuid.uuid4().hex[:4]}"
    drafter, office = ApiClient(server, "jyj.clerk1"), ApiClient(server, "jyj.clerk2")
    (dhz,) = drafter.unit_ids("DHZ")
    phone = Watched(browser, server, "jyj.leader")       # the leader's home is open, before anything waits
    page = phone.page
    expect(page.locator("#live-status")).to_have_attribute("data-state", "online")
    signoff = page.locator('#waiting-counts a[data-kind="signoff"] .count-n')
    waiting = int(signoff.inner_text())
    url = form_post(drafter, "/documents", [("title", title), ("body", "各镇：\n请做好冬季防火工作。"),
                                            ("doc_kind", "通知"), ("urgency", "urgent"),
                                            ("issuing_office", "示范区教育局"), ("main_units", str(dhz))])
    doc_path = urllib.parse.urlsplit(url).path
    form_post(drafter, doc_path, [("op", "submit"), ("comment", "")])
    form_post(office, doc_path, [("op", "approve"), ("comment", "同意，请领导签发")])
    expect(signoff).to_have_text(str(waiting + 1))                   # no reload: the count and the list
    expect(page.locator("#todo")).to_contain_text(title)
    expect(tab(page, "todo").locator("[data-badge]")).to_have_text(re.compile(r"[1-9]\d*"))
    phone.shot("leader-home-live-signoff")
    phone.clean()
    phone.close()
