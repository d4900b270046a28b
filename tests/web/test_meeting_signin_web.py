"""签到 over the web client: the organiser's screen shows a QR code whose link signs a township's
attendee in, an old code is refused with its message, marking present shows on the attendance
page, the .xlsx carries the four lists and the print page has no buttons or tools."""

import html as html_lib
import io
import re
import zipfile
from datetime import timedelta
from urllib.parse import urlsplit

from hub.domain.meetings import ReplyAttendee
from tests.conftest import login
from tests.service.test_urgent_items import actor
from tests.web.test_meetings_web import call_by_form


async def called(client, demo_hub) -> int:
    csrf = await login(client, "bgs.clerk1")
    resp = await call_by_form(client, demo_hub, csrf, title="全区防汛签到会")
    assert resp.status == 303, await resp.text()
    meeting_id = int(resp.headers["Location"].split("?")[0].rsplit("/", 1)[1])
    leader = await demo_hub.identity.user_by_login("dhz.leader")
    await demo_hub.meetings.reply(await actor(demo_hub, "dhz.clerk1"), meeting_id, True, [ReplyAttendee(leader.id)])
    return meeting_id


async def screen_link(client, meeting_id: int) -> str:
    await login(client, "bgs.clerk1")
    page = await (await client.get(f"/meetings/{meeting_id}/signin")).text()
    assert '<svg' in page and 'http-equiv="refresh"' in page and "/static/meeting_signin.js" in page
    url = html_lib.unescape(re.search(r'id="signin-url" href="([^"]+)"', page).group(1))
    assert url.startswith("http") and f"/meetings/{meeting_id}/checkin?code=" in url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_the_screens_qr_link_signs_a_township_attendee_in_and_twice_is_already_signed_in(client, demo_hub):
    meeting_id = await called(client, demo_hub)
    link = await screen_link(client, meeting_id)
    csrf = await login(client, "dhz.leader")
    page = await (await client.get(link)).text()
    assert "全区防汛签到会" in page and 'id="checkin-form"' in page and ">签到<" in page
    code = link.split("code=", 1)[1]
    done = await (await client.post(f"/meetings/{meeting_id}/checkin", data={"csrf_token": csrf, "code": code})).text()
    assert "签到成功" in done
    again = await (await client.post(f"/meetings/{meeting_id}/checkin", data={"csrf_token": csrf, "code": code})).text()
    assert "已签到（" in again
    await login(client, "bgs.clerk1")
    screen = await (await client.get(f"/meetings/{meeting_id}/signin")).text()
    assert 'id="signin-count">1<' in screen


async def test_a_code_two_periods_old_is_refused_with_its_message_in_both_languages(client, demo_hub):
    meeting_id = await called(client, demo_hub)
    link = await screen_link(client, meeting_id)
    demo_hub.clock.advance(timedelta(seconds=2 * demo_hub.meeting_signin.period))
    csrf = await login(client, "dhz.leader")
    code = link.split("code=", 1)[1]
    resp = await client.post(f"/meetings/{meeting_id}/checkin", data={"csrf_token": csrf, "code": code})
    assert resp.status == 409 and "签到码已过期" in await resp.text()
    resp = await client.post(f"/api/meetings/{meeting_id}/checkin", json={"code": code},
                             headers={"X-CSRF-Token": csrf, "Accept-Language": "en"})
    body = await resp.json()
    assert resp.status == 409 and body["error"]["code"] == "meeting.signin_code_expired"


async def test_marking_present_shows_and_the_lists_print_and_export(client, demo_hub):
    meeting_id = await called(client, demo_hub)
    csrf = await login(client, "bgs.clerk1")
    page = await (await client.get(f"/meetings/{meeting_id}/attendance")).text()
    # absent: 东湖镇's leader, 东湖镇 (nobody came yet), 西山镇 (no reply)
    assert "未到 (3)" in page and "已签到 (0)" in page and "未报送回执" in page
    attendee = re.search(r'/attendees/(\d+)/present', page).group(1)
    resp = await client.post(f"/meetings/{meeting_id}/attendees/{attendee}/present", data={"csrf_token": csrf},
                             allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(resp.headers["Location"])).text()
    assert "已签到 (1)" in page and "会务标记" in page and "已标记为到会" in page

    printed = await (await client.get(f"/meetings/{meeting_id}/attendance?print=1")).text()
    assert "print-register" in printed and "已签到 (1)" in printed
    assert "/present" not in printed and "/absent" not in printed and "attendance.xlsx" not in printed

    resp = await client.get(f"/meetings/{meeting_id}/attendance.xlsx")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    strings = zipfile.ZipFile(io.BytesIO(await resp.read())).read("xl/sharedStrings.xml").decode()
    for word in ("状态", "已通知", "已回执", "已签到", "未到", "东湖镇", "西山镇", "未报送回执"):
        assert word in strings, word
