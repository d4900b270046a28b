"""签到: who may sign in by the code on the screen, twice is 已签到, the organiser marks present and
undoes it, and the attendance lists."""

from datetime import timedelta

import pytest

from hub.domain.meeting_signin import make_code
from hub.domain.meetings import ReplyAttendee
from hub.errors import XietongError
from tests.service.test_meetings import call, user_id
from tests.service.test_urgent_items import actor


def code_now(hub, meeting_id: int) -> str:
    return make_code(hub.meeting_signin.key(), meeting_id, hub.clock.now(), hub.meeting_signin.period).code


async def test_named_invited_and_unannounced_people_sign_in_and_a_stranger_is_refused(demo_hub):
    meeting = await call(demo_hub, "DHZ", "XSZ", invitees=("xsz.leader",))
    await demo_hub.meetings.reply(await actor(demo_hub, "dhz.clerk1"), meeting.id, True,
                                  [ReplyAttendee(await user_id(demo_hub, "dhz.leader"))])
    s = demo_hub.meeting_signin
    named = await s.check_in(await actor(demo_hub, "dhz.leader"), meeting.id, code_now(demo_hub, meeting.id))
    invited = await s.check_in(await actor(demo_hub, "xsz.leader"), meeting.id, code_now(demo_hub, meeting.id))
    walk_in = await s.check_in(await actor(demo_hub, "dhz.clerk2"), meeting.id, code_now(demo_hub, meeting.id))
    assert named.mine.signed_in_via == "qr" and not named.mine.walk_in and not invited.mine.walk_in
    assert walk_in.mine.walk_in
    again = await s.check_in(await actor(demo_hub, "dhz.leader"), meeting.id, code_now(demo_hub, meeting.id))
    assert again.already and again.mine.id == named.mine.id
    with pytest.raises(XietongError) as e:
        await s.check_in(await actor(demo_hub, "nqz.clerk1"), meeting.id, code_now(demo_hub, meeting.id))
    assert e.value.code == "meeting.not_found"
    lists = await s.attendance(await actor(demo_hub, "bgs.clerk1"), meeting.id)
    assert len(lists.signed_in) == 3 and not lists.absent and len(lists.units) == 2


async def test_an_old_code_is_refused_and_the_organiser_marks_present(demo_hub):
    meeting = await call(demo_hub, "NQZ")
    await demo_hub.meetings.reply(await actor(demo_hub, "nqz.clerk1"), meeting.id, True,
                                  [ReplyAttendee(await user_id(demo_hub, "nqz.leader"))])
    old = code_now(demo_hub, meeting.id)
    demo_hub.clock.advance(timedelta(seconds=2 * demo_hub.meeting_signin.period))
    with pytest.raises(XietongError) as e:
        await demo_hub.meeting_signin.check_in(await actor(demo_hub, "nqz.leader"), meeting.id, old)
    assert e.value.code == "meeting.signin_code_expired"
    org = await actor(demo_hub, "bgs.clerk1")
    (row,) = (await demo_hub.meeting_signin.attendance(org, meeting.id)).absent
    marked = await demo_hub.meeting_signin.mark_present(org, meeting.id, row.row.id)
    assert marked.signed_in_via == "organiser" and marked.signed_in_by == org.user_id
    await demo_hub.meeting_signin.undo_present(org, meeting.id, row.row.id)
    assert len((await demo_hub.meeting_signin.attendance(org, meeting.id)).absent) == 1
