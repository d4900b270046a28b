"""The frame a phone user navigates by: the tab bar and its badges, 待办, 我的, 通讯录, the homes that lead
with what waits, the progress stepper, and the small things a newcomer tripped on."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.clock import FakeClock
from hub.domain.identity import Role
from hub.domain.items import AckVia, ItemDraft, ItemKind, Urgency
from hub.domain.roads import StepKind
from tests.conftest import login
from tests.service.seal_helpers import (
    active_seal,
    approved_request,
    registered_document,
    with_authority,
)
from tests.service.test_documents import enrolled_leader, to_signoff
from tests.service.test_todo import finish, registered, step
from tests.service.test_urgent_items import actor, issue_extra_urgent, unit_ids
from tests.web.test_otp_pages import SECRET

TAB = re.compile(r'<a class="tab tab-(\w+)" href="([^"]+)"( aria-current="page")?>')


def tabs(html: str) -> list[tuple[str, str, bool]]:
    return [(k, href, bool(cur)) for k, href, cur in TAB.findall(html)]


async def get_json(client: TestClient, path: str) -> dict:  # type: ignore[type-arg]
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


# -- the tab bar ------------------------------------------------------------------------------

async def test_a_clerk_gets_five_tabs_with_the_current_page_marked(client: TestClient) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.clerk1")
    home = await (await client.get("/")).text()
    assert tabs(home) == [("home", "/", True), ("todo", "/todo", False), ("messages", "/inbox", False),
                          ("phonebook", "/phonebook", False), ("me", "/me", False)]
    assert [t for t in tabs(await (await client.get("/todo")).text()) if t[2]] == [("todo", "/todo", True)]
    assert [t for t in tabs(await (await client.get("/inbox")).text()) if t[2]] == [("messages", "/inbox", True)]
    assert [t for t in tabs(await (await client.get("/documents")).text()) if t[2]] == [("todo", "/todo", True)]
    assert [t for t in tabs(await (await client.get("/verify")).text()) if t[2]] == [("me", "/me", True)]
    assert 'data-badge="todo"' in home and 'data-badge="unread"' in home


async def test_the_duty_desk_gets_a_duty_tab_and_an_administrator_an_admin_tab(
        client: TestClient, new_client) -> None:  # type: ignore[type-arg, no-untyped-def]
    await login(client, "duty")
    assert [k for k, _, _ in tabs(await (await client.get("/")).text())] == ["home", "duty", "messages", "phonebook", "me"]
    admin = await new_client()
    await login(admin, "admin")
    marked = tabs(await (await admin.get("/admin/audit")).text())
    assert [k for k, _, _ in marked] == ["home", "admin", "messages", "phonebook", "me"]
    assert ("admin", "/admin/users", True) in marked


async def test_badges_count_what_waits_and_the_unread_and_are_documented(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.clerk1")
    before = await get_json(client, "/api/badges")
    await issue_extra_urgent(demo_hub, "DHZ", title="关于立即排查危房的紧急通知")
    after = await get_json(client, "/api/badges")
    assert after["todo"] == before["todo"] + 1 and after["unread"] == before["unread"] + 1
    assert after["duty"] == 0 and after["signed_in"] is True
    doc = await get_json(client, "/api/openapi.json")
    assert doc["paths"]["/api/badges"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
        "required"] == ["todo", "reading", "unread", "duty", "signed_in"]
    assert "/api/todo" in doc["paths"] and "/api/phonebook" in doc["paths"]


async def test_badges_after_the_session_ended_are_zero_and_say_so(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/api/badges")
    assert resp.status == 200
    assert await resp.json() == {"todo": 0, "reading": 0, "unread": 0, "duty": 0, "signed_in": False}


# -- 待办 ------------------------------------------------------------------------------------

async def test_a_clerks_todo_lists_unsigned_items_with_time_left_the_nearest_deadline_first(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    await issue_extra_urgent(demo_hub, "XSZ", title="加急：明日上午报送防汛值班表", urgency=Urgency.URGENT)
    await issue_extra_urgent(demo_hub, "XSZ", title="特急：立即转移山洪危险区群众")
    clock.advance(timedelta(minutes=10))
    await login(client, "xsz.clerk1")
    todo = await get_json(client, "/api/todo")
    titles = [e["title"] for e in todo["entries"] if e["kind"] == "sign_for"]
    assert titles[:2] == ["特急：立即转移山洪危险区群众", "加急：明日上午报送防汛值班表"]
    assert todo["counts"]["sign_for"] >= 2 and todo["total"] == len(todo["entries"])
    page = await (await client.get("/todo")).text()
    assert "剩余 20 分钟" in page and "剩余 1 小时 50 分" in page
    home = await (await client.get("/")).text()
    assert home.index("特急：立即转移山洪危险区群众") < home.index("加急：明日上午报送防汛值班表")
    assert 'data-kind="sign_for"' in home and "剩余 20 分钟" in home
    clock.advance(timedelta(minutes=25))
    assert "已超时 5 分钟" in await (await client.get("/todo")).text()


async def test_a_leaders_home_leads_with_sign_offs_seal_approvals_and_instructions_with_counts(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    doc, _ = await to_signoff(demo_hub, title="关于印发冬季防火方案的通知")
    await login(client, "bgs.leader")
    home = await (await client.get("/")).text()
    counts = dict(re.findall(r'data-kind="(\w+)">\s*<span class="count-n">(\d+)</span>', home))
    assert counts == {"signoff": "1", "seal_approve": "0", "instruct": "0", "read": "0"}
    assert home.index('id="waiting-counts"') < home.index('class="card tiles"')
    assert f'href="/documents/{doc.id}"' in home and "待签发" in home
    todo = await get_json(client, "/api/todo")
    assert todo["counts"] == {"signoff": 1}
    assert todo["entries"][0]["href"] == f"/documents/{doc.id}"


async def test_a_leader_sees_seal_approvals_and_documents_waiting_for_an_instruction(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await with_authority(demo_hub)
    seal = await active_seal(demo_hub)
    doc, *_ = await registered_document(demo_hub, title="关于开展安全生产大检查的通知")
    await demo_hub.seals.request_use(await actor(demo_hub, "bgs.clerk2"), doc.id, seal.id)
    record = await registered(demo_hub, "BGS", "教育局关于秋季开学安全检查的报告", from_unit="示范区教育局",
                              clerk="bgs.clerk1")
    await step(demo_hub, record, StepKind.INSTRUCT, "BGS", Role.LEADER)    # the road asks for a 批示
    await login(client, "bgs.leader")
    todo = await get_json(client, "/api/todo")
    assert todo["counts"] == {"seal_approve": 1, "instruct": 1}
    by_kind = {e["kind"]: e for e in todo["entries"]}
    assert by_kind["seal_approve"]["title"] == "关于开展安全生产大检查的通知"
    assert by_kind["instruct"]["detail"] == "2026-0001 · 示范区教育局"
    assert by_kind["instruct"]["href"] == f"/incoming/{record}"


async def test_a_received_document_waits_for_an_instruction_only_while_its_step_is_open(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    sender = await actor(demo_hub, "jyj.clerk1")
    (dhz,) = await unit_ids(demo_hub, "DHZ")
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY, title="关于报送学校安全台账的通知",
                      body="正文", main_units=(dhz,))
    await demo_hub.items.issue(sender, draft)         # received, not yet on the road: no 批示 asked for
    await login(client, "dhz.leader")
    assert (await get_json(client, "/api/todo"))["counts"] == {}
    record = await registered(demo_hub, "DHZ", "关于报送学校安全台账的通知", from_unit="示范区教育局")
    instruct = await step(demo_hub, record, StepKind.INSTRUCT, "DHZ", Role.LEADER)
    assert (await get_json(client, "/api/todo"))["counts"] == {"instruct": 1}
    await finish(demo_hub, instruct, "dhz.leader", "请教育办牵头办理。")
    shown = await get_json(client, "/api/todo")
    assert shown["counts"] == {} and shown["tabs"]["done"] == 1


# -- item 4: the seal keeper's queue names what waits ------------------------------------------

async def test_the_seal_keepers_queue_shows_the_title_number_and_unit(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await with_authority(demo_hub)
    seal = await active_seal(demo_hub)
    doc, _, leader, totp = await registered_document(demo_hub, title="关于做好元旦春节期间值班工作的通知")
    await approved_request(demo_hub, doc, seal, leader, totp)
    await login(client, "bgs.seal")
    page = await (await client.get("/keeper")).text()
    queue = page[page.index('id="stamp-queue"'):]
    assert "关于做好元旦春节期间值班工作的通知" in queue and doc.doc_number and doc.doc_number in queue
    assert "示范区人民政府办公室" in queue and f"#{doc.id}" not in queue
    assert (await get_json(client, "/api/todo"))["counts"] == {"stamp": 1}


# -- the stepper -------------------------------------------------------------------------------

async def test_the_document_page_shows_its_road_as_a_stepper_above_the_timeline(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    doc, _ = await to_signoff(demo_hub)
    await login(client, "bgs.clerk1")
    page = await (await client.get(f"/documents/{doc.id}")).text()
    steps = re.findall(r'data-step="(\w+)" data-state="(\w+)"', page)
    assert steps == [("draft", "done"), ("review", "done"), ("signoff", "current"), ("recheck", "waiting"),
                     ("register", "waiting"), ("seal", "waiting"), ("dispatch", "waiting")]
    review = page[page.index('data-step="review"'):page.index('data-step="signoff"')]
    assert "已完成" in review and re.search(r'class="when">\d\d-\d\d \d\d:\d\d<', review)
    assert 'aria-current="step"' in page and page.index('id="doc-steps"') < page.index('id="doc-history"')


async def test_an_items_page_shows_the_sign_for_road_for_the_units_delivery(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    item = await issue_extra_urgent(demo_hub, "DHZ")
    await login(client, "dhz.clerk1")
    page = await (await client.get(f"/items/{item.id}")).text()
    assert re.findall(r'data-step="(\w+)" data-state="(\w+)"', page) == [
        ("issued", "done"), ("read", "done"), ("acked", "current")]


# -- 通讯录 and 我的 ----------------------------------------------------------------------------

async def test_everyone_sees_the_phone_book_with_duty_phones_clerks_and_leaders(
        client: TestClient) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.clerk1")
    page = await (await client.get("/phonebook")).text()
    assert 'href="tel:0571-88100001"' in page and "东湖镇人民政府" in page and "领导" in page
    assert page.index("东湖镇人民政府") < page.index("西山镇人民政府")        # one's own unit first
    book = await get_json(client, "/api/phonebook")
    dhz = next(u for u in book["units"] if u["code"] == "DHZ")
    assert dhz["duty_phone"] == "0571-88100001"
    assert {p["role"] for p in dhz["people"]} == {"clerk", "leader"}
    assert all(set(p) == {"name", "phone", "role"} for u in book["units"] for p in u["people"])


async def test_the_phone_book_exports_to_a_spreadsheet(client: TestClient) -> None:  # type: ignore[type-arg]
    import io
    import zipfile
    await login(client, "dhz.clerk1")
    resp = await client.get("/phonebook.xlsx")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    with zipfile.ZipFile(io.BytesIO(await resp.read())) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "东湖镇人民政府" in strings and "0571-88100001" in strings and "公文收发员" in strings


async def test_the_me_page_has_the_profile_the_pages_the_language_and_logging_out(
        client: TestClient) -> None:  # type: ignore[type-arg]
    await login(client, "bgs.leader")
    page = await (await client.get("/me")).text()
    assert 'class="who"' in page and 'href="/otp"' in page and 'action="/logout"' in page
    assert 'href="/lang?to=en&amp;next=/me"' in page


# -- what a newcomer tripped on -----------------------------------------------------------------

async def test_1_right_after_enrolling_the_sign_off_page_says_how_long_to_wait_for_a_new_code(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    clock.set(clock.now().replace(second=5, microsecond=0))       # 25 s before the next 30-second step
    doc, _ = await to_signoff(demo_hub)
    leader = await actor(demo_hub, "bgs.leader")
    enrolment = await demo_hub.otp.start_enrolment(leader)
    await demo_hub.otp.finish_enrolment(leader, pyotp.TOTP(enrolment.secret_base32).at(clock.now()))
    await login(client, "bgs.leader")
    page = await (await client.get(f"/documents/{doc.id}")).text()
    assert 'class="notice small otp-wait"' in page and 'data-seconds="25"' in page
    assert "刚用过的口令不能再用" in page
    clock.advance(timedelta(seconds=25))
    assert "otp-wait" not in await (await client.get(f"/documents/{doc.id}")).text()


async def test_1_the_enrolment_says_to_wait_for_the_next_code(
        client: TestClient, clock: FakeClock) -> None:  # type: ignore[type-arg]
    token = await login(client, "dhz.leader")
    text = await (await client.post("/otp/enrol", data={"csrf_token": token})).text()
    m = SECRET.search(text)
    assert m
    done = await client.post("/otp/enrol/confirm", data={"csrf_token": token,
                                                         "code": pyotp.TOTP(m.group(1)).at(clock.now())})
    assert "请等验证器显示下一个口令" in await done.text()


async def test_2_binding_from_a_documents_link_returns_to_the_document(
        client: TestClient, demo_hub: Hub, clock: FakeClock) -> None:  # type: ignore[type-arg]
    doc, _ = await to_signoff(demo_hub)
    token = await login(client, "bgs.leader")
    page = await (await client.get(f"/documents/{doc.id}")).text()
    assert f'href="/otp?next=/documents/{doc.id}"' in page
    status = await (await client.get(f"/otp?next=/documents/{doc.id}")).text()
    assert f'name="next" value="/documents/{doc.id}"' in status
    enrol = await (await client.post("/otp/enrol", data={"csrf_token": token, "next": f"/documents/{doc.id}"})).text()
    assert f'name="next" value="/documents/{doc.id}"' in enrol
    code = pyotp.TOTP(SECRET.search(enrol).group(1)).at(clock.now())  # type: ignore[union-attr]
    done = await (await client.post("/otp/enrol/confirm", data={
        "csrf_token": token, "code": code, "next": f"/documents/{doc.id}"})).text()
    assert f'href="/documents/{doc.id}" id="otp-back"' in done


async def test_2_only_a_same_site_path_is_followed_back(client: TestClient) -> None:  # type: ignore[type-arg]
    await login(client, "bgs.leader")
    for bad in ("//evil.example/x", "https://evil.example/", "/\t/evil.example", "javascript:alert(1)"):
        page = await (await client.get("/otp", params={"next": bad})).text()
        assert 'name="next"' not in page and 'id="otp-back"' not in page, bad


async def test_3_the_code_fields_pattern_is_valid_in_chromiums_v_mode(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    doc, _ = await to_signoff(demo_hub)
    await enrolled_leader(demo_hub)
    await login(client, "bgs.leader")
    page = await (await client.get(f"/documents/{doc.id}")).text()
    patterns = re.findall(r'pattern="([^"]*)"', page)
    assert patterns and all(p == r"[0-9A-Za-z\- ]{6,16}" for p in patterns)
    # a recovery code and a 6-digit code both fit the pattern (the browser anchors it: ^(?:...)$)
    for code in ("123456", "k7hm-2xqp-9rtw"):
        assert re.fullmatch(r"[0-9A-Za-z\- ]{6,16}", code)


async def test_5_the_issuing_units_name_appears_once_in_a_dispatched_items_header(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    sender = await actor(demo_hub, "bgs.clerk1")
    (dhz,) = await unit_ids(demo_hub, "DHZ")
    item = await demo_hub.items.issue(sender, ItemDraft(
        kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="关于做好冬季防火工作的通知", body="正文",
        main_units=(dhz,), doc_number="示政办发〔2026〕7号", issuing_office="示范区人民政府办公室"))
    await login(client, "dhz.clerk1")
    page = await (await client.get(f"/items/{item.id}")).text()
    header = page[page.index('<h1 class="doc-title">'):page.index('<div class="doc-body">')]
    assert header.count("示范区人民政府办公室") == 1 and "示政办发〔2026〕7号" in header


async def test_5_the_issuing_units_name_appears_once_in_the_verify_result(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    from tests.service.seal_helpers import stamp
    await with_authority(demo_hub)
    seal = await active_seal(demo_hub)
    doc, _, leader, totp = await registered_document(demo_hub, title="关于做好冬季防火工作的通知")
    await stamp(demo_hub, doc, seal, leader, totp)
    exported = await demo_hub.seals.export(await actor(demo_hub, "bgs.clerk2"), doc.id)
    token = await login(client, "dhz.clerk1")
    import aiohttp
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("file", exported, filename="stamped.zip", content_type="application/zip")
    page = await (await client.post("/verify", data=form)).text()
    report = page[page.index('id="verify-report"'):page.index('class="list findings"')]
    assert re.search(r'data-status="(\w+)"', report).group(1) == "valid"  # type: ignore[union-attr]
    assert report.count("示范区人民政府办公室") == 1, report


async def test_7_file_pickers_speak_the_pages_language(client: TestClient) -> None:  # type: ignore[type-arg]
    await login(client, "bgs.clerk1")
    for path in ("/items/new", "/documents/new", "/verify"):
        page = await (await client.get(path)).text()
        assert re.search(r'<label class="file-pick"><input type="file" name="\w+" class="visually-hidden"', page), path
        assert "选择文件" in page and "未选择文件" in page, path
    await client.get("/lang", params={"to": "en", "next": "/"})
    assert "Choose files" in await (await client.get("/items/new")).text()


async def test_8_in_english_sms_reply_notes_and_the_classification_warning_are_english(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    item = await issue_extra_urgent(demo_hub, "DHZ")
    async with demo_hub.store.read() as tx:
        (delivery,) = await tx.deliveries.for_item(item.id)
    await demo_hub.items.acknowledge(await actor(demo_hub, "dhz.clerk1"), delivery.id, via=AckVia.SMS,
                                     note="短信回复“1”")
    await login(client, "bgs.clerk1")
    await client.get("/lang", params={"to": "en", "next": "/"})
    page = await (await client.get(f"/items/{item.id}")).text()
    assert "SMS reply “1”" in page and "短信回复" not in page
    form = await (await client.get("/items/new")).text()
    assert "secret (秘密)" in form


async def test_the_documents_sign_off_page_and_the_item_page_still_read_in_english(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    doc, _ = await to_signoff(demo_hub)
    await login(client, "bgs.clerk1")
    await client.get("/lang", params={"to": "en", "next": "/"})
    page = await (await client.get(f"/documents/{doc.id}")).text()
    assert "Progress" in page and "Sign-off" in page and "In progress" in page
    assert '<span class="tab-label">To do</span>' in page


async def test_the_phone_book_finds_a_unit_by_its_pinyin_initials_and_a_person_by_name(client: TestClient) -> None:  # type: ignore[type-arg]
    await login(client, "xsz.clerk1")
    for q in ("dhz", "DHZ", "donghu", "东湖"):
        body = await (await client.get("/api/phonebook", params={"q": q})).json()
        names = [u["name"] for u in body["units"]]
        assert "东湖镇人民政府" in names and all(n.startswith("东湖镇") for n in names), q   # and its offices
    page = await (await client.get("/phonebook", params={"q": "dhz"})).text()
    assert 'data-unit="DHZ"' in page and 'data-unit="XSZ"' not in page and 'href="tel:' in page
    everyone = (await (await client.get("/api/phonebook")).json())["units"]
    person = next(p for u in everyone for p in u["people"])
    found = (await (await client.get("/api/phonebook", params={"q": person["name"]})).json())["units"]
    assert any(p["name"] == person["name"] for u in found for p in u["people"])
    nothing = await (await client.get("/phonebook", params={"q": "zzzzqqq"})).text()
    assert 'id="phonebook-nothing"' in nothing
