"""The super admin makes a seal for a township, and the township's keeper sets its password."""

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import login, new_phone_context


def test_super_admin_makes_a_township_seal_and_its_keeper_activates_it(browser, server):
    keeper_login = f"nqz.seal{uuid.uuid4().hex[:4]}"
    ctx = new_phone_context(browser)
    page = ctx.new_page()
    login(page, server, "admin")
    page.goto(f"{server.url}/admin/users")                          # a seal keeper for 南桥镇
    page.select_option('select[name="unit"]', label="南桥镇人民政府")
    page.get_by_role("button", name="查看").click()
    form = page.locator('form[action="/admin/users"]')
    form.locator('input[name="login"]').fill(keeper_login)
    form.locator('input[name="name"]').fill("南桥印管")
    form.locator('input[name="password"]').fill("Keeper@2026")
    form.locator('input[name="roles"][value="seal_keeper"]').check()
    form.get_by_role("button", name="新增").click()
    expect(page.locator(".list")).to_contain_text(keeper_login)

    name = f"南桥镇人民政府业务专用章{uuid.uuid4().hex[:3]}"
    page.goto(f"{server.url}/seals")
    make = page.locator("#make-seal")
    make.locator('select[name="unit_id"]').select_option(label="南桥镇人民政府")
    make.locator('select[name="kind"]').select_option("business")
    make.locator('input[name="name"]').fill(name)
    make.get_by_role("button", name="制作").click()
    expect(page.locator("#seal-state")).to_have_text("待启用")
    expect(page.locator(".seal-picture svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="test-artifacts/seal_made.png", full_page=True)
    ctx.close()

    ctx = new_phone_context(browser)
    page = ctx.new_page()
    login(page, server, keeper_login, "Keeper@2026")
    page.goto(f"{server.url}/keeper")
    page.get_by_role("link", name=name).click()
    page.fill('#seal-password input[name="new_password"]', "NanQiao@Seal1")
    page.click("#seal-password button")
    expect(page.locator("#seal-state")).to_have_text("启用")
    expect(page.locator("ol.timeline").first).to_contain_text("启用")
    ctx.close()
