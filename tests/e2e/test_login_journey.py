"""First browser journey: logging in and out on a phone, languages, adding a person, audit.

Every test runs at phone size (390 CSS px wide, touch, zh-CN) against the real server.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Server, login, new_phone_context

PHONE_WIDTH = 390


def no_horizontal_scroll(page: Any) -> bool:
    return int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE_WIDTH


def test_clerk_logs_in_on_a_phone_and_sees_who_she_is(phone: Any, server: Server) -> None:
    login(phone, server, "dhz.clerk1")

    expect(phone.locator("h1.who")).to_have_text("赵海燕")
    expect(phone.locator("main")).to_contain_text("东湖镇人民政府")
    expect(phone.locator(".roles .role")).to_have_text(["公文收发员"])
    expect(phone.get_by_role("button", name="退出登录")).to_be_visible()
    assert no_horizontal_scroll(phone), "the home page scrolls sideways on a phone"

    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "login_home.png"), full_page=True)


def test_wrong_password_shows_a_clear_chinese_message(phone: Any, server: Server) -> None:
    phone.goto(f"{server.url}/login")
    phone.fill('input[name="login"]', "xsz.clerk2")
    phone.fill('input[name="password"]', "not-the-password")
    phone.get_by_role("button", name="登录").click()

    expect(phone.get_by_role("alert")).to_have_text("账号或密码错误。")
    expect(phone).to_have_url(f"{server.url}/login")
    expect(phone.locator('input[name="login"]')).to_have_value("xsz.clerk2")
    expect(phone.locator('input[name="password"]')).to_be_visible()
    assert no_horizontal_scroll(phone)


def test_user_switches_to_english_and_back(phone: Any, server: Server) -> None:
    phone.goto(f"{server.url}/login")
    expect(phone.get_by_role("heading", name="登录")).to_be_visible()

    phone.get_by_role("link", name="English").click()
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "en")

    login(phone, server, "dhz.leader")
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()

    phone.get_by_role("link", name="中文").click()
    expect(phone.get_by_role("button", name="退出登录")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    assert no_horizontal_scroll(phone)


def test_logout_ends_the_session(phone: Any, server: Server) -> None:
    login(phone, server, "xsz.clerk1")
    phone.get_by_role("button", name="退出登录").click()
    expect(phone).to_have_url(f"{server.url}/login")

    phone.goto(f"{server.url}/")
    expect(phone).to_have_url(f"{server.url}/login?next=/")
    expect(phone.get_by_role("heading", name="登录")).to_be_visible()


def test_unit_admin_adds_a_clerk_who_can_then_log_in(phone: Any, server: Server,
                                                     browser: Any) -> None:
    login(phone, server, "dh.admin")
    phone.goto(f"{server.url}/admin/users")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("东湖镇人民政府")

    form = phone.locator('form[action="/admin/users"][method="post"]')
    form.locator('input[name="login"]').fill("dhz.clerk3")
    form.locator('input[name="name"]').fill("钱晓红")
    form.locator('input[name="phone"]').fill("139 1234 5678")
    form.locator('input[name="password"]').fill("Qian@2026x")
    form.get_by_role("checkbox", name="公文收发员").check()
    form.get_by_role("button", name="新增").click()

    expect(phone.get_by_role("status")).to_have_text("已保存。")
    person = phone.locator("li.person", has_text="dhz.clerk3")
    expect(person).to_contain_text("钱晓红")
    expect(person).to_contain_text("公文收发员")
    expect(person).to_contain_text("+8613912345678")
    assert no_horizontal_scroll(phone)

    context = new_phone_context(browser)
    try:
        newcomer = context.new_page()
        login(newcomer, server, "dhz.clerk3", "Qian@2026x")
        expect(newcomer.locator("h1.who")).to_have_text("钱晓红")
        expect(newcomer.locator("main")).to_contain_text("东湖镇人民政府")
        expect(newcomer.locator(".roles .role")).to_have_text(["公文收发员"])
    finally:
        context.close()


def test_super_admin_verifies_the_audit_chain(phone: Any, server: Server) -> None:
    login(phone, server, "admin")
    phone.goto(f"{server.url}/admin/audit")
    expect(phone.get_by_role("heading", name="审计日志")).to_be_visible()

    phone.get_by_role("button", name="校验哈希链").click()
    expect(phone.locator("#audit-check")).to_contain_text("哈希链完整")
    assert no_horizontal_scroll(phone), "the audit log scrolls sideways on a phone"
