"""公文检索 on both backends: two-character queries, words inside words, phrases, attachments' text,
only what the searcher may see, any query safe, and the index rebuilt."""

import io
import zipfile

import pytest

from hub.domain.items import Attachment, ItemDraft, ItemKind, Urgency
from hub.store.search import Filters
from tests.service.test_urgent_items import actor, unit_ids


async def issue(hub, title, body, *codes, sender="bgs.clerk1", attachments=(), urgency=Urgency.URGENT):
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=urgency, title=title, body=body,
                      main_units=tuple(await unit_ids(hub, *codes)), attachments=tuple(attachments))
    return await hub.items.issue(await actor(hub, sender), draft)


def docx(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml",
                   '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                   f'<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


async def titles(hub, login, q, **filters):
    page = await hub.search.search(await actor(hub, login), q, Filters(**filters))
    return [h.doc.title for h in page.hits], page


async def test_a_two_character_query_finds_its_documents_and_only_those_the_searcher_may_see(demo_hub):
    hub = demo_hub
    a = await issue(hub, "关于做好防汛工作的通知", "各镇：汛期将至，请做好防汛准备。", "DHZ")
    b = await issue(hub, "关于防汛物资储备的通知", "请清点防汛物资。", "XSZ")
    await issue(hub, "关于做好森林防火工作的通知", "请加强巡查。", "DHZ")
    found, page = await titles(hub, "dhz.clerk1", "防汛")
    assert found == [a.title] and page.total == 1                   # 西山镇's is not 东湖镇's to see
    assert [p.text for p in page.hits[0].snippet if p.hit] == ["防汛"]          # marked in the snippet
    assert [p.text for p in page.hits[0].title if p.hit] == ["防汛"]            # and in the title
    assert sorted((await titles(hub, "bgs.clerk2", "防汛"))[0]) == sorted([a.title, b.title])   # the sender's unit
    assert sorted((await titles(hub, "duty", "防汛"))[0]) == sorted([a.title, b.title])        # the duty desk: all
    assert (await titles(hub, "nqz.clerk1", "防汛"))[0] == []


async def test_words_inside_longer_words_four_character_words_and_phrases_match_where_they_stand(demo_hub):
    hub = demo_hub
    await issue(hub, "关于加快办理待处理信访事项的通知", "对积压的待处理事项，限期办结。", "DHZ")
    await issue(hub, "关于召开全区信访工作会议的通知", "定于下周召开信访工作会议。", "DHZ")
    assert (await titles(hub, "dhz.clerk1", "处理"))[0] == ["关于加快办理待处理信访事项的通知"]
    assert (await titles(hub, "dhz.clerk1", "信访工作会议"))[0] == ["关于召开全区信访工作会议的通知"]
    assert len((await titles(hub, "dhz.clerk1", "信访"))[0]) == 2
    assert (await titles(hub, "dhz.clerk1", "信访会议"))[0] == []          # a phrase is its characters in order


async def test_a_match_in_the_title_ranks_first_and_filters_narrow_the_hits(demo_hub):
    hub = demo_hub
    await issue(hub, "关于做好冬季安全生产工作的通知", "各镇：" + "请做好各项工作。" * 10 + "注意印章保管。", "DHZ")
    await issue(hub, "关于启用新印章的通知", "自即日起启用新印章。", "DHZ", urgency=Urgency.EXTRA_URGENT)
    found, _ = await titles(hub, "dhz.clerk1", "印章")
    assert found[0] == "关于启用新印章的通知" and len(found) == 2
    assert (await titles(hub, "dhz.clerk1", "印章", urgency="extra_urgent"))[0] == ["关于启用新印章的通知"]
    assert (await titles(hub, "dhz.clerk1", "印章", year=2025))[0] == []


async def test_the_text_of_attachments_is_found_and_an_unreadable_one_is_kept_without_text(demo_hub):
    hub = demo_hub
    await issue(hub, "关于报送材料的通知", "见附件。", "DHZ", attachments=[
        Attachment("要点.txt", "重点做好地质灾害隐患排查".encode()),
        Attachment("方案.docx", docx("应急预案演练方案"))])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<a>" + "x" * (30 * 1024 * 1024) + "</a>")
    forged = await issue(hub, "关于其他事项的通知", "见附件。", "DHZ", attachments=[
        Attachment("伪装.pdf", b"MZ not a pdf at all"), Attachment("炸弹.docx", bomb.getvalue())])
    assert (await titles(hub, "dhz.clerk1", "地质灾害"))[0] == ["关于报送材料的通知"]
    assert (await titles(hub, "dhz.clerk1", "演练方案"))[0] == ["关于报送材料的通知"]
    assert forged.id and (await titles(hub, "dhz.clerk1", "其他事项"))[0] == ["关于其他事项的通知"]


@pytest.mark.parametrize("q", ['"', "' OR 1=1 --", "防汛 AND", "NEAR(防汛 工作)", "*", "😀", "防" * 10000, "", "—"])
async def test_any_query_is_answered_never_an_error(demo_hub, q):
    await issue(demo_hub, "关于做好防汛工作的通知", "请做好准备。", "DHZ")
    found, page = await titles(demo_hub, "dhz.clerk1", q)
    assert page.total == len(found) and page.pages >= 1


async def test_the_index_is_rebuilt_from_the_documents(demo_hub):
    hub = demo_hub
    await issue(hub, "关于做好防汛工作的通知", "请做好防汛准备。", "DHZ")
    before = (await titles(hub, "duty", "防汛"))[0]
    async with hub.store.write() as tx:
        await tx.search.clear()
    assert (await titles(hub, "duty", "防汛"))[0] == []
    seen = []
    done = await hub.search.reindex(lambda n, total: seen.append((n, total)))
    assert seen[-1] == (done, done) and done >= 1
    assert (await titles(hub, "duty", "防汛"))[0] == before


async def test_a_word_in_most_documents_lists_them_newest_first(demo_hub, monkeypatch):
    import hub.store.search as store_search
    hub = demo_hub
    older = await issue(hub, "关于召开人民政府常务会议的通知", "会议讨论民政工作。" * 3, "DHZ")
    newer = await issue(hub, "关于人民政府值班安排的通知", "请各单位做好值班。", "DHZ")
    assert (await titles(hub, "dhz.clerk1", "民政"))[0][0] == older.title     # BM25: the one that says it most
    monkeypatch.setattr(store_search, "BROAD", 1)                              # as if 民政 were everywhere
    assert (await titles(hub, "dhz.clerk1", "民政"))[0] == [newer.title, older.title]


async def test_a_document_where_the_query_is_a_word_ranks_above_one_where_its_characters_only_meet(demo_hub):
    hub = demo_hub
    await issue(hub, "关于近期群众诉求情况的通报", "对群众反映的信访事项，逐件登记办理。", "DHZ")
    await issue(hub, "关于近期群众来信情况的通报", "对群众来信访问的问题，逐件登记回复。", "DHZ")   # newer
    found, page = await titles(hub, "dhz.clerk1", "信访")
    assert page.total == 2                                      # both found (the bigram): nothing is missed
    assert found[0] == "关于近期群众诉求情况的通报"              # 信访 as a word (jieba) ranks first
    found, _ = await titles(hub, "dhz.clerk1", "处理")
    assert found == []                                          # and a word matches only where it stands


async def test_the_state_filter_is_the_searchers_own_units_delivery(demo_hub):
    hub = demo_hub
    signed = await issue(hub, "关于防汛物资的通知", "请清点防汛物资。", "DHZ", "XSZ")
    await issue(hub, "关于防汛值班的通知", "请安排防汛值班。", "DHZ")
    clerk = await actor(hub, "dhz.clerk1")
    async with hub.store.read() as tx:
        (mine,) = [d for d in await tx.deliveries.for_item(signed.id) if d.unit_id == clerk.unit_id]
    await hub.items.acknowledge(clerk, mine.id)
    assert (await titles(hub, "dhz.clerk1", "防汛", state="acked"))[0] == ["关于防汛物资的通知"]
    assert (await titles(hub, "dhz.clerk1", "防汛", state="open"))[0] == ["关于防汛值班的通知"]
    assert (await titles(hub, "xsz.clerk1", "防汛", state="open"))[0] == ["关于防汛物资的通知"]   # 西山镇's own
