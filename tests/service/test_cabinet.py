"""文件柜 on both backends: drawers and folders, one document in two folders, the recycle bin (30
days, then gone), private cabinets nobody else sees, uploads found by search, and who may do what."""

import io
import zipfile

import pytest

from hub.domain.cabinet import Source
from hub.errors import XietongError
from hub.store.search import Filters
from tests.service.test_search import docx, issue
from tests.service.test_urgent_items import actor


async def folder_of(hub, login, drawer="2026年", folder="防汛", key="unit"):
    who = await actor(hub, login)
    d = await hub.cabinet.new_node(who, key, None, drawer)
    return who, d, await hub.cabinet.new_node(who, key, d.id, folder)


async def found(hub, login, q, **filters):
    page = await hub.search.search(await actor(hub, login), q, Filters(**filters))
    return [h.doc.title for h in page.hits]


async def refused(code, call):
    with pytest.raises(XietongError) as e:
        await call
    assert e.value.code == code


async def test_a_received_document_filed_in_two_folders_is_one_document_with_two_places(demo_hub):
    hub = demo_hub
    item = await issue(hub, "关于做好防汛工作的通知", "请做好防汛准备。", "DHZ")
    clerk, drawer, flood = await folder_of(hub, "dhz.clerk1")
    urgent = await hub.cabinet.new_node(clerk, "unit", drawer.id, "紧急")
    p1 = await hub.cabinet.file(clerk, flood.id, Source.ITEM, item.id)
    await hub.cabinet.file(clerk, urgent.id, Source.ITEM, item.id)
    await refused("cabinet.already_filed", hub.cabinet.file(clerk, flood.id, Source.ITEM, item.id))
    filed = await hub.cabinet.filed_in(clerk, Source.ITEM, item.id)
    assert sorted(f.folder.name for f in filed) == ["紧急", "防汛"] and {f.drawer_name for f in filed} == {"2026年"}
    view = await hub.cabinet.cabinet(await actor(hub, "dhz.clerk2"), "unit")       # the unit's, for its people
    assert [(f.name, n) for f, n in view.drawers[0].folders] == [("紧急", 1), ("防汛", 1)]
    assert [p.title for p in (await hub.cabinet.folder(clerk, flood.id)).places] == [item.title]
    assert p1.url == f"/items/{item.id}"
    # a folder goes in a drawer, names are unique among siblings
    await refused("cabinet.folder_in_folder", hub.cabinet.new_node(clerk, "unit", flood.id, "子夹"))
    await refused("cabinet.name_taken", hub.cabinet.rename(clerk, urgent.id, "防汛"))
    await refused("cabinet.bad_name", hub.cabinet.new_node(clerk, "unit", None, "   "))


async def test_the_recycle_bin_restores_for_thirty_days_then_it_is_gone(demo_hub, clock):
    hub = demo_hub
    item = await issue(hub, "关于做好防汛工作的通知", "请做好防汛准备。", "DHZ")
    clerk, drawer, flood = await folder_of(hub, "dhz.clerk1")
    place = await hub.cabinet.file(clerk, flood.id, Source.ITEM, item.id)
    await hub.cabinet.remove_place(clerk, place.id)
    assert (await hub.cabinet.folder(clerk, flood.id)).places == []
    await hub.cabinet.restore(clerk, "place", place.id)
    assert [p.id for p in (await hub.cabinet.folder(clerk, flood.id)).places] == [place.id]

    await hub.cabinet.delete_node(clerk, drawer.id)            # the drawer, and its folder with it
    await refused("cabinet.not_found", hub.cabinet.folder(clerk, flood.id))
    assert (await hub.cabinet.cabinet(clerk, "unit")).drawers == []
    binned = await hub.cabinet.bin(clerk, "unit")
    assert [n.name for n in binned.nodes] == ["2026年"] and binned.places == []
    await hub.cabinet.restore(clerk, "node", drawer.id)
    assert [p.title for p in (await hub.cabinet.folder(clerk, flood.id)).places] == [item.title]

    await hub.cabinet.delete_node(clerk, flood.id)
    clock.advance(days=29, hours=23)
    assert [n.name for n in (await hub.cabinet.bin(clerk, "unit")).nodes] == ["防汛"]    # still there
    clock.advance(hours=2)
    await refused("cabinet.gone", hub.cabinet.restore(clerk, "node", flood.id))
    assert (await hub.cabinet.bin(clerk, "unit")).nodes == []                            # purged
    async with hub.store.read() as tx:
        assert await tx.cabinet.node(flood.id) is None and await tx.cabinet.place(place.id) is None
        assert await tx.items.get(item.id) is not None             # the document itself stays
        (row,) = await tx.audit.page(None, 5, "cabinet.purge")
    assert row.actor_login == "system" and f"cabinet:unit:{clerk.unit_id}" in row.detail


async def test_a_private_cabinet_is_invisible_to_everyone_else_including_the_super_admin(demo_hub):
    hub = demo_hub
    me, _, mine = await folder_of(hub, "dhz.clerk1", "个人", "学习资料", key="mine")
    f, _ = await hub.cabinet.upload(me, mine.id, "心得.txt", "学习防汛条例的心得体会".encode(), "text/plain")
    assert await found(hub, "dhz.clerk1", "心得体会") == ["心得"]
    assert (await hub.cabinet.cabinet(me, "mine")).drawers[0].folders[0][1] == 1
    for login in ("dhz.clerk2", "dh.admin", "admin", "duty"):
        other = await actor(hub, login)
        await refused("cabinet.not_found", hub.cabinet.folder(other, mine.id))
        await refused("cabinet.not_found", hub.cabinet.download(other, f.id))
        await refused("cabinet.not_found", hub.cabinet.file_info(other, f.id))
        await refused("cabinet.not_found", hub.cabinet.rename(other, mine.id, "我的"))
        assert await found(hub, login, "心得体会") == []
        assert (await hub.cabinet.cabinet(other, "mine")).drawers == []      # their own, empty
    dhz_admin = await actor(hub, "dh.admin")
    await refused("cabinet.not_found", hub.search.search(dhz_admin, "心得", Filters(folder_id=mine.id)))


async def test_an_uploaded_file_is_found_by_its_text_and_a_hostile_one_is_kept_without_text(demo_hub):
    hub = demo_hub
    clerk, _, flood = await folder_of(hub, "dhz.clerk1")
    f, _ = await hub.cabinet.upload(clerk, flood.id, "预案.docx", docx("东湖镇防汛应急预案"), "application/msword",
                                    "防汛应急预案（2026）")
    assert f.text and "应急预案" in f.text
    assert await found(hub, "dhz.clerk2", "应急预案") == ["防汛应急预案（2026）"]       # the unit's people
    assert await found(hub, "xsz.clerk1", "应急预案") == []                              # not another unit's
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<a>" + "x" * (30 * 1024 * 1024) + "</a>")
    for name, data in (("炸弹.docx", bomb.getvalue()), ("伪装.pdf", b"MZ\x90 not a pdf")):
        kept, _ = await hub.cabinet.upload(clerk, flood.id, name, data, "application/pdf")
        assert kept.text is None and (await hub.cabinet.download(clerk, kept.id))[1] == data
    # the folder filter: only what is filed there; a file taken out of every folder is not found
    item = await issue(hub, "关于防汛值班的通知", "做好防汛值班。", "DHZ")
    assert len(await found(hub, "dhz.clerk1", "防汛")) == 2
    assert await found(hub, "dhz.clerk1", "防汛", folder_id=flood.id) == ["防汛应急预案（2026）"]
    await hub.cabinet.file(clerk, flood.id, Source.ITEM, item.id)
    assert len(await found(hub, "dhz.clerk1", "防汛", folder_id=flood.id)) == 2
    (place,) = [p for p in (await hub.cabinet.folder(clerk, flood.id)).places if p.source is Source.FILE and p.source_id == f.id]
    await hub.cabinet.remove_place(clerk, place.id)
    assert await found(hub, "dhz.clerk1", "应急预案") == []
    await hub.cabinet.restore(clerk, "place", place.id)
    assert await found(hub, "dhz.clerk1", "应急预案") == ["防汛应急预案（2026）"]
    await refused("cabinet.empty_file", hub.cabinet.upload(clerk, flood.id, "空.txt", b"", "text/plain"))
    await refused("item.classified", hub.cabinet.upload(clerk, flood.id, "机密文件.txt", b"x", "text/plain"))


async def test_only_the_units_keepers_change_its_cabinet_and_only_what_they_may_see_is_filed(demo_hub):
    hub = demo_hub
    west = await issue(hub, "关于西山镇道路维修的通知", "请做好维修。", "XSZ")
    clerk, drawer, flood = await folder_of(hub, "dhz.clerk1")
    await refused("item.not_found", hub.cabinet.file(clerk, flood.id, Source.ITEM, west.id))   # not DHZ's item
    await refused("cabinet.not_found", hub.cabinet.file(await actor(hub, "xsz.clerk1"), flood.id, Source.ITEM,
                                                        west.id))                           # not XSZ's cabinet
    # a file moves within its own cabinet only, an item anywhere its keeper may file
    me, _, mine = await folder_of(hub, "dhz.clerk1", "个人", "草稿", key="mine")
    f, _ = await hub.cabinet.upload(clerk, flood.id, "名单.txt", "值班名单".encode(), "text/plain")
    (place,) = (await hub.cabinet.folder(clerk, flood.id)).places
    await refused("cabinet.other_cabinet", hub.cabinet.copy_place(me, place.id, mine.id))
    await refused("cabinet.other_cabinet", hub.cabinet.move_place(me, place.id, mine.id))
    item = await issue(hub, "关于防汛值班的通知", "做好防汛值班。", "DHZ")
    p = await hub.cabinet.file(clerk, flood.id, Source.ITEM, item.id)
    moved = await hub.cabinet.move_place(me, p.id, mine.id)
    assert moved.folder_id == mine.id and [x.source_id for x in (await hub.cabinet.folder(me, mine.id)).places] \
        == [item.id]
    other = await hub.cabinet.new_node(clerk, "unit", None, "2025年")
    await hub.cabinet.move_folder(clerk, flood.id, other.id)
    assert [d.node.name for d in (await hub.cabinet.cabinet(clerk, "unit")).drawers if d.folders] == ["2025年"]
    renamed = await hub.cabinet.retitle(clerk, f.id, "防汛值班名单")
    assert renamed.title == "防汛值班名单" and await found(hub, "dhz.clerk1", "值班名单") == ["防汛值班名单"]
    assert drawer.id != other.id
    # the seal keeper of BGS opens nothing of DHZ; a USER-less unit's clerk may keep, the rest view only
    seal = await actor(hub, "bgs.seal")
    await refused("cabinet.not_found", hub.cabinet.folder(seal, flood.id))


async def test_reindex_rebuilds_the_cabinet_files_and_audits_the_pass_over_private_ones(demo_hub):
    hub = demo_hub
    me, _, mine = await folder_of(hub, "dhz.clerk1", "个人", "学习资料", key="mine")
    await hub.cabinet.upload(me, mine.id, "笔记.txt", "学习防汛条例笔记".encode(), "text/plain")
    async with hub.store.write() as tx:
        await tx.search.clear()
    assert await found(hub, "dhz.clerk1", "笔记") == []
    await hub.search.reindex()
    assert await found(hub, "dhz.clerk1", "笔记") == ["笔记"]
    async with hub.store.read() as tx:
        (row,) = await tx.audit.page(None, 5, "search.reindex")
    assert row.actor_login == "system" and '"private_files":1' in row.detail.replace(" ", "")

