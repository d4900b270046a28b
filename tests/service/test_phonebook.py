"""通讯录 on both backends: the entries a unit admin keeps (job, office phone, mobile), found by name,
job or pinyin initials, every change audited; and the office's public services page."""

import pytest

from hub.domain.phonebook import tel
from hub.errors import XietongError
from hub.services.phonebook import phone_book, search_book
from tests.service.test_urgent_items import actor, unit_ids


async def refused(code, call):
    with pytest.raises(XietongError) as e:
        await call
    assert e.value.code == code


async def book(hub, login, q=""):
    return search_book(await phone_book(hub.store, await actor(hub, login)), q)


async def test_a_unit_admin_keeps_entries_found_by_name_job_and_pinyin_initials(demo_hub):
    hub = demo_hub
    (dhz,) = await unit_ids(hub, "DHZ")
    admin = await actor(hub, "dh.admin")
    entry = await hub.phonebook.add(admin, dhz, "周建华", "党政办主任", "0571-88100002 转 8021", "138 0571 0001", 1)
    found = await book(hub, "xsz.clerk1", "zjh")                   # the initials of 周建华
    assert [(u.unit.code, [x.name for x in u.entries]) for u in found] == [("DHZ", ["周建华"])]
    assert [x.job for u in await book(hub, "xsz.clerk1", "党政办") for x in u.entries] == ["党政办主任"]
    assert tel(entry.office_phone) == "0571-88100002,8021" and entry.mobile == "138 0571 0001"
    changed = await hub.phonebook.update(admin, entry.id, "周建华", "镇长", "0571-88100002", "", 1)
    assert changed.job == "镇长" and changed.mobile == ""
    await hub.phonebook.set_duty_phone(admin, dhz, "0571-88100099")
    (mine,) = [u for u in await book(hub, "dhz.clerk1") if u.unit.code == "DHZ"]
    assert mine.unit.duty_phone == "0571-88100099"
    async with hub.store.read() as tx:
        rows = await tx.audit.page(None, 10, "phonebook.")
    assert [r.action for r in rows] == ["phonebook.duty_phone", "phonebook.update", "phonebook.add"]
    assert '"job":["党政办主任","镇长"]' in rows[1].detail.replace(" ", "")       # what it was, and is
    await hub.phonebook.delete(admin, entry.id)
    assert await book(hub, "xsz.clerk1", "zjh") == []


async def test_only_the_units_own_admin_or_the_super_admin_keep_it_and_bad_numbers_are_refused(demo_hub):
    hub = demo_hub
    dhz, xsz = await unit_ids(hub, "DHZ", "XSZ")
    admin = await actor(hub, "dh.admin")
    await refused("perm.denied", hub.phonebook.add(admin, xsz, "某人", "", "0571-1", ""))          # another unit
    await refused("perm.denied", hub.phonebook.add(await actor(hub, "dhz.clerk1"), dhz, "某人", "", "12345", ""))
    await refused("phonebook.bad_phone", hub.phonebook.add(admin, dhz, "某人", "", "javascript:alert(1)", ""))
    await refused("phonebook.no_phone", hub.phonebook.add(admin, dhz, "某人", "主任", "", ""))
    await refused("phonebook.bad_name", hub.phonebook.add(admin, dhz, " ", "", "12345", ""))
    made = await hub.phonebook.add(await actor(hub, "admin"), xsz, "王五", "", "0571-88200001", "")
    await refused("perm.denied", hub.phonebook.delete(admin, made.id))
    by_unit = {u.unit.id: [x.name for x in u.entries] for u in await book(hub, "dhz.clerk1")}
    assert by_unit[dhz] == [] and by_unit[xsz] == ["王五"]       # nothing refused was kept; 王五 stands


async def test_the_office_keeps_the_public_services_page_and_everyone_reads_it(demo_hub):
    hub = demo_hub
    office = await actor(hub, "bgs.clerk1")
    link = await hub.public_services.add(office, "link", "OA 系统", url="http://oa.zwnet.local/")
    form = await hub.public_services.add(office, "form", "请假审批表", file_name="请假审批表.docx", content=b"PK\x03\x04")
    await hub.public_services.add(office, "info", "办公时间", body="工作日 8:30-12:00，14:00-17:30")
    reader = await actor(hub, "xsz.clerk1")
    assert [r.title for r in await hub.public_services.all(reader)] == ["OA 系统", "请假审批表", "办公时间"]
    assert (await hub.public_services.download(reader, form.id))[1] == b"PK\x03\x04"
    await refused("services.bad_link", hub.public_services.add(office, "link", "坏链接", url="javascript:alert(1)"))
    await refused("services.no_file", hub.public_services.add(office, "form", "无文件表格"))
    await refused("services.office_only", hub.public_services.add(reader, "info", "不是办公室", body="x"))
    await refused("perm.denied", hub.public_services.delete(reader, link.id))
    await hub.public_services.delete(office, link.id)
    async with hub.store.read() as tx:
        rows = await tx.audit.page(None, 10, "services.")
    assert [r.action for r in rows] == ["services.delete", "services.add", "services.add", "services.add"]
