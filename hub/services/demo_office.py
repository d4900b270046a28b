"""The demo's office work beside the items: 东湖镇's file cabinet with a drawer and folders and the
received documents filed in them, its phone book entries with jobs, and the office's public services
page - so a newcomer finds each page filled in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.domain.cabinet import Source
from hub.domain.identity import Actor

if TYPE_CHECKING:
    from hub.app import Hub

FOLDERS = {"防汛": ("防汛", "雨雪", "寒潮"), "安全生产": ("安全",), "冬季工作": ("冬季", "冬春", "森林防火")}
ENTRIES = [("DHZ", "周建华", "党委书记", "0571-88100010", "13805710010"),
           ("DHZ", "陈立新", "镇长", "0571-88100011", "13805710011"),
           ("DHZ", "王晓燕", "党政办主任", "0571-88100002 转 8021", ""),
           ("XSZ", "李国强", "镇长", "0571-88200011", ""),
           ("BGS", "赵明", "办公室主任", "0571-87000001", "")]
SERVICES = [("link", "政务协同办公系统（OA）", "http://oa.zwnet.local/", ""),
            ("link", "电子政务外网门户", "http://portal.zwnet.local/", "专网内访问"),
            ("info", "区政府办公室办公时间", "", "工作日 8:30—12:00，14:00—17:30；值班室 24 小时值守。"),
            ("info", "公文处理常用依据", "", "《党政机关公文处理工作条例》；GB/T 9704-2012《党政机关公文格式》。")]
FORM = ("form", "请假审批表", "请假审批表.txt", "请假审批表\n姓名：\n单位：\n请假事由：\n起止时间：\n审批意见：\n")


async def _as(hub: Hub, login: str) -> Actor:
    user = await hub.identity.user_by_login(login)
    return await hub.identity.actor(user.id, "127.0.0.1")


async def load_demo_office(hub: Hub) -> int:
    """What it made: folders, entries and services, counted."""
    clerk, admin, office = await _as(hub, "dhz.clerk1"), await _as(hub, "admin"), await _as(hub, "bgs.clerk1")
    drawer = await hub.cabinet.new_node(clerk, "unit", None, "2026年")
    async with hub.store.read() as tx:
        items = [i for i in [await tx.items.get(n) for n in await tx.items.all_ids()] if i is not None]
        received = {i.id for i in items if any(d.unit_id == clerk.unit_id for d in await tx.deliveries.for_item(i.id))}
    made = 0
    for name, words in FOLDERS.items():
        folder = await hub.cabinet.new_node(clerk, "unit", drawer.id, name)
        made += 1
        for item in items:
            if item.id in received and any(w in item.title for w in words):
                await hub.cabinet.file(clerk, folder.id, Source.ITEM, item.id)
    units = {u.code: u.id for u in await hub.identity.units()}
    for code, name, job, office_phone, mobile in ENTRIES:
        await hub.phonebook.add(admin, units[code], name, job, office_phone, mobile, 10)
        made += 1
    for kind, title, url, body in SERVICES:
        await hub.public_services.add(office, kind, title, url=url, body=body)
        made += 1
    kind, title, file_name, text = FORM
    await hub.public_services.add(office, kind, title, file_name=file_name, content=text.encode())
    return made + 1
