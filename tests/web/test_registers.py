"""The inbox and the sent list are the unit's registers: they export to .xlsx as filtered and print on A4."""

import io
import zipfile

from tests.conftest import login
from tests.web.test_sending_web import issue


def sheet_text(body: bytes) -> tuple[str, str]:
    book = zipfile.ZipFile(io.BytesIO(body))
    return book.read("xl/sharedStrings.xml").decode(), book.read("xl/worksheets/sheet1.xml").decode()


async def test_the_sent_register_exports_one_row_per_recipient_with_the_lists_filters(client):
    csrf = await login(client, "bgs.clerk1")
    await issue(client, csrf, "关于做好寒潮防御工作的紧急通知", "DHZ", "XSZ")
    await issue(client, csrf, "关于报送值班表的通知", "NQZ", urgency="urgent")
    page = await (await client.get("/sent?urgency=extra_urgent")).text()
    assert 'href="/sent.xlsx?urgency=extra_urgent"' in page and "print-register" in page

    resp = await client.get("/sent.xlsx?urgency=extra_urgent")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''%E5%8F%91%E6%96%87%E7%99%BB%E8%AE%B0%E7%B0%BF" in resp.headers["Content-Disposition"]
    strings, sheet = sheet_text(await resp.read())
    assert "关于做好寒潮防御工作的紧急通知" in strings and "关于报送值班表的通知" not in strings
    assert "东湖镇人民政府" in strings and "西山镇人民政府" in strings and "收文单位" in strings
    assert sheet.count("<row ") == 1 + 1 + 2          # the title, the header, one row per recipient
    assert 'paperSize="9"' in sheet and "<f>" not in sheet


async def test_the_inbox_register_names_the_sender_and_the_receipt_in_english_too(client):
    csrf = await login(client, "bgs.clerk1")
    await issue(client, csrf, "关于做好寒潮防御工作的紧急通知", "DHZ")
    csrf = await login(client, "dhz.clerk1")
    inbox = await (await client.get("/api/inbox")).json()
    delivery = inbox["entries"][0]["delivery"]["id"] if "entries" in inbox else inbox["items"][0]["delivery"]["id"]
    ack = await client.post(f"/api/deliveries/{delivery}/ack", headers={"X-CSRF-Token": csrf})
    receipt = (await ack.json())["delivery"]["receipt_no"]
    await client.get("/lang?to=en&next=/inbox")
    strings, _ = sheet_text(await (await client.get("/inbox.xlsx?state=acked")).read())
    assert "Register of received items" in strings and "Signed for" in strings
    assert receipt in strings and "示范区人民政府办公室" in strings


async def test_a_register_with_a_bad_filter_is_a_clear_400(client):
    await login(client, "dhz.clerk1")
    resp = await client.get("/inbox.xlsx?state=nonsense")
    assert resp.status == 400 and "state" in await resp.text()
