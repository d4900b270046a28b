"""公文检索 in the web app and its API: the box, only the unit's own, the words marked, any query safe."""

from tests.conftest import login
from tests.service.test_search import issue


async def test_a_clerk_searches_two_characters_and_sees_only_their_units_hits_marked(client, demo_hub):
    mine = await issue(demo_hub, "关于做好防汛工作的通知", "请做好防汛准备。", "DHZ")
    await issue(demo_hub, "关于防汛物资储备的通知", "请清点物资。", "XSZ")
    await login(client, "dhz.clerk1")
    page = await (await client.get("/search", params={"q": "防汛"})).text()
    assert 'data-total="1"' in page and f'href="/items/{mine.id}?hl=' in page
    assert "<mark>防汛</mark>" in page and "物资储备" not in page
    resp = await client.get("/api/search", params={"q": "防汛"})
    body = await resp.json()
    assert resp.status == 200 and body["total"] == 1 and body["hits"][0]["item_id"] == mine.id
    assert {"text": "防汛", "hit": True} in body["hits"][0]["snippet"]


async def test_queries_of_any_kind_answer_a_page_never_an_error(client, demo_hub):
    token = await login(client, "dhz.clerk1")
    for q in ['"', "' OR 1=1 --", "<script>alert(1)</script>", "防" * 500, "😀", "NEAR(a b)"]:
        resp = await client.get("/search", params={"q": q})
        text = await resp.text()
        assert resp.status == 200 and "<script>alert(1)</script>" not in text
        api = await client.get("/api/search", params={"q": q})
        assert api.status == 200 and (await api.json())["total"] == 0
    assert (await client.get("/api/search", params={"q": "防汛", "year": "twenty"})).status == 400
    long = await client.post("/api/search", json={"q": "防汛" * 5000}, headers={"X-CSRF-Token": token})
    assert long.status == 200 and (await long.json())["total"] == 0     # 10,000 characters: in the body


async def test_a_stranger_is_asked_to_log_in(client):
    assert (await client.get("/api/search", params={"q": "防汛"})).status == 401


async def test_a_hit_opens_its_document_with_the_words_marked(client, demo_hub):
    mine = await issue(demo_hub, "关于做好防汛工作的通知", "各镇：请做好防汛准备。\n汛期值班不得离岗。", "DHZ")
    await login(client, "dhz.clerk1")
    page = await (await client.get(f"/items/{mine.id}", params={"hl": "防汛"})).text()
    body = page[page.index('id="doc-body-marked"'):]
    assert body.count("<mark>防汛</mark>") == 1 and "汛期值班不得离岗" in body
    plain = await (await client.get(f"/items/{mine.id}", params={"hl": "<b>"})).text()
    assert "<mark>" not in plain and "<b>" not in plain           # nothing of it marked, nothing of it as markup


async def test_a_search_body_that_is_not_a_json_object_is_a_clear_400(client):
    token = await login(client, "dhz.clerk1")
    for data in (b"", b"not json", b"[1, 2]", b'{"q": 5}', b'{"q": "x", "page": "two"}'):
        resp = await client.post("/api/search", data=data, headers={"X-CSRF-Token": token,
                                                                    "Content-Type": "application/json"})
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "input.invalid"
