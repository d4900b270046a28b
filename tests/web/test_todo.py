"""/todo and /api/todo in tabs (待办 / 待阅 / 已办 / 已阅) with their counts, the badge JSON, and the
leader's home that leads with what waits, road steps included."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from hub.app import Hub
from hub.domain.identity import Role
from hub.domain.roads import StepKind
from tests.conftest import login
from tests.service.test_todo import finish, registered, step

TAB = re.compile(r'<a class="subtab" href="/todo\?tab=(\w+)" data-tab="\w+"( aria-current="page")?>\s*'
                 r'([^<]+?) <span class="subtab-n">(\d+)</span>')


def tabs(html: str) -> list[tuple[str, bool, str, int]]:
    return [(key, bool(cur), label, int(n)) for key, cur, label, n in TAB.findall(html)]


async def get_json(client: TestClient, path: str) -> dict:  # type: ignore[type-arg]
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def leader_with_work(hub: Hub) -> dict[str, int]:
    """东湖镇's leader: one 批示 to give, two circulations to read, one read already."""
    a = await registered(hub, "DHZ", "关于做好冬季森林防火工作的通知", urgency="urgent")
    b = await registered(hub, "DHZ", "关于转发防汛工作要点的通知")
    c = await registered(hub, "DHZ", "关于开展消防安全检查的通知")
    instruct = await step(hub, a, StepKind.INSTRUCT, "DHZ", Role.LEADER)
    read_b = await step(hub, b, StepKind.READ, "DHZ", user="dhz.leader")
    read_c = await step(hub, c, StepKind.READ, "DHZ", user="dhz.leader")
    old = await step(hub, a, StepKind.READ, "DHZ", user="dhz.leader")
    await finish(hub, old, "dhz.leader", "已阅，请党政办落实。")
    return {"a": a, "b": b, "c": c, "instruct": instruct, "read_b": read_b, "read_c": read_c}


async def test_the_todo_page_has_four_tabs_with_counts_and_keeps_to_do_and_to_read_apart(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    ids = await leader_with_work(demo_hub)
    await login(client, "dhz.leader")
    page = await (await client.get("/todo")).text()
    assert tabs(page) == [("todo", True, "待办", 1), ("read", False, "待阅", 2), ("done", False, "已办", 0),
                          ("read_done", False, "已阅", 1)]
    listed = page[page.index('id="todo-list"'):]
    assert f'href="/incoming/{ids["a"]}"' in listed and "待批示" in listed
    assert "关于转发防汛工作要点的通知" not in listed                    # 待阅 is its own tab

    reading = await (await client.get("/todo?tab=read")).text()
    assert [t[:2] for t in tabs(reading)] == [("todo", False), ("read", True), ("done", False),
                                             ("read_done", False)]
    listed = reading[reading.index('id="todo-list"'):]
    assert listed.count('data-kind="read"') == 2 and f'href="/incoming/{ids["b"]}"' in listed   # to the record
    assert "关于做好冬季森林防火工作的通知" not in listed

    history = await (await client.get("/todo?tab=read_done")).text()
    listed = history[history.index('id="todo-list"'):]
    assert "关于做好冬季森林防火工作的通知" in listed and "已阅，请党政办落实。" in listed and "办理于" in listed
    nothing = await (await client.get("/todo?tab=done")).text()
    assert "暂无已办事项。" in nothing


async def test_a_wrong_tab_is_refused_clearly(client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.leader")
    page = await client.get("/todo?tab=archive")
    assert page.status == 400 and "tab" in await page.text()
    api = await client.get("/api/todo?tab=archive")
    assert api.status == 400
    body = await api.json()
    assert "tab" in str(body)


async def test_the_api_answers_each_tab_with_the_counts_of_all_four(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    ids = await leader_with_work(demo_hub)
    await login(client, "dhz.leader")
    todo = await get_json(client, "/api/todo")
    assert todo["tab"] == "todo" and todo["tabs"] == {"todo": 1, "read": 2, "done": 0, "read_done": 1}
    assert todo["counts"] == {"instruct": 1} and todo["total"] == 1
    (entry,) = todo["entries"]
    assert entry["step_id"] == ids["instruct"] and entry["urgency"] == "urgent" and entry["done_at"] is None
    reading = await get_json(client, "/api/todo?tab=read")
    assert reading["counts"] == {"read": 2} and {e["step_id"] for e in reading["entries"]} == {ids["read_b"],
                                                                                                ids["read_c"]}
    demo_hub.clock.advance(minutes=3)
    await finish(demo_hub, ids["read_b"], "dhz.leader", "已阅。")
    read_done = await get_json(client, "/api/todo?tab=read_done")
    assert [e["title"] for e in read_done["entries"]] == ["关于转发防汛工作要点的通知", "关于做好冬季森林防火工作的通知"]
    assert read_done["entries"][0]["note"] == "已阅。" and read_done["entries"][0]["done_at"]
    assert read_done["tabs"] == {"todo": 1, "read": 1, "done": 0, "read_done": 2}
    doc = await get_json(client, "/api/openapi.json")
    op = doc["paths"]["/api/todo"]["get"]
    assert [p["name"] for p in op["parameters"] if p["in"] == "query"] == ["tab"]


async def test_the_badge_counts_to_do_and_to_read_and_follows_a_read(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await login(client, "dhz.leader")
    before = await get_json(client, "/api/badges")
    ids = await leader_with_work(demo_hub)
    after = await get_json(client, "/api/badges")
    assert after["todo"] == before["todo"] + 3 and after["reading"] == before["reading"] + 2
    await finish(demo_hub, ids["read_c"], "dhz.leader")
    last = await get_json(client, "/api/badges")
    assert last["todo"] == after["todo"] - 1 and last["reading"] == after["reading"] - 1
    assert last["signed_in"] is True


async def test_the_leaders_home_leads_with_the_instruction_and_the_circulations_to_read(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    ids = await leader_with_work(demo_hub)
    await login(client, "dhz.leader")
    home = await (await client.get("/")).text()
    counts = dict(re.findall(r'data-kind="(\w+)">\s*<span class="count-n">(\d+)</span>', home))
    assert counts == {"signoff": "0", "seal_approve": "0", "instruct": "1", "read": "2"}
    assert 'href="/todo?tab=read" data-kind="read"' in home
    todo = home[home.index('id="todo"'):]
    assert f'href="/incoming/{ids["a"]}"' in todo and "另有 2 件待阅" in todo
    assert home.index('id="waiting-counts"') < home.index('class="card tiles"')


async def test_a_clerks_home_lists_the_road_steps_of_the_unit(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    rec = await registered(demo_hub, "DHZ", "关于报送年度统计数据的通知")
    await step(demo_hub, rec, StepKind.REVIEW, "DHZ")
    await login(client, "dhz.clerk2")
    home = await (await client.get("/")).text()
    assert f'href="/incoming/{rec}"' in home and "待初审" in home and "2026-0001" in home
    await login(client, "xsz.clerk1")
    assert f'href="/incoming/{rec}"' not in await (await client.get("/")).text()   # not another unit's


async def test_the_tabs_read_in_english(client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    await leader_with_work(demo_hub)
    await login(client, "dhz.leader")
    await client.get("/lang?to=en&next=/todo")
    page = await (await client.get("/todo?tab=read")).text()
    assert [t[2] for t in tabs(page)] == ["To do", "To read", "Done", "Read"]
    assert "To read" in page[page.index('id="todo-list"'):]


async def test_a_clerks_todo_shows_a_signed_for_document_to_register_linking_to_its_register_form(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    from hub.domain.items import ItemDraft, ItemKind, Urgency
    from tests.service.test_urgent_items import actor, unit_ids
    (xsz,) = await unit_ids(demo_hub, "XSZ")
    doc = await demo_hub.items.issue(await actor(demo_hub, "bgs.clerk1"), ItemDraft(
        kind=ItemKind.DOCUMENT, urgency=Urgency.ORDINARY, title="关于做好冬季供水保障工作的通知", body="正文",
        main_units=(xsz,)))
    clerk = await actor(demo_hub, "xsz.clerk1")
    await demo_hub.items.acknowledge(clerk, (await demo_hub.items.view(clerk, doc.id)).mine.id)
    await login(client, "xsz.clerk2")
    page = await (await client.get("/todo")).text()
    listed = page[page.index('id="todo-list"'):]
    assert f'href="/items/{doc.id}#register-item"' in listed and "待登记" in listed
    item = await (await client.get(f"/items/{doc.id}")).text()
    assert 'id="register-item"' in item                      # the link lands on the form


async def test_a_deadline_days_away_reads_in_days_and_hours(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    from datetime import timedelta
    rec = await registered(demo_hub, "DHZ", "关于报送年度工作总结的通知")
    await step(demo_hub, rec, StepKind.HANDLE, "DHZ", due_in=timedelta(days=10, hours=3))
    await step(demo_hub, rec, StepKind.ASSIST, "DHZ", due_in=timedelta(hours=30))
    await login(client, "dhz.clerk1")
    page = await (await client.get("/todo")).text()
    assert "剩余 10 天 3 小时" in page and "剩余 30 小时 0 分" in page
