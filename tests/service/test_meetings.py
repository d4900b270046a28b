"""会议管理: calling a meeting issues its notice, a change makes every unit confirm again, postponing and
cancelling stop the reminders, the units' replies (with substitutes) reach the organiser's page, the
silent ones are chased, and two meetings of one person at the same time are flagged."""

from datetime import timedelta

import pytest

from hub.domain.items import DeliveryState, ItemKind
from hub.domain.meetings import MeetingDraft, MeetingState, ReplyAttendee
from hub.errors import XietongError
from tests.service.test_urgent_items import actor, unit_ids


async def user_id(hub, login: str) -> int:
    return (await hub.identity.user_by_login(login)).id


async def call(hub, *codes: str, organiser: str = "bgs.clerk1", invitees: tuple[str, ...] = (),
               hours: float = 24, length: float = 2, **kw):
    now = hub.clock.now()
    draft = MeetingDraft(title=kw.pop("title", "全区防汛工作部署会"), agenda=kw.pop("agenda", "一、通报汛情\n二、部署工作"),
                         room=kw.pop("room", "区政府三楼会议室"), starts_at=now + timedelta(hours=hours),
                         ends_at=now + timedelta(hours=hours + length), main_units=tuple(await unit_ids(hub, *codes)),
                         invitees=tuple([await user_id(hub, i) for i in invitees]), **kw)
    return await hub.meetings.call(await actor(hub, organiser), draft)


async def counts(hub) -> tuple[int, int, int]:
    async with hub.store.read() as tx:
        rows = []
        for table in ("items", "meetings", "meeting_invitees"):
            async with tx.conn.execute(f"SELECT count(*) FROM {table}") as cur:
                rows.append((await cur.fetchone())[0])
    return tuple(rows)


async def reminders_sent(hub, item_id: int) -> list[str]:
    async with hub.store.read() as tx:
        return [m.body for d in await tx.deliveries.for_item(item_id) for m in await tx.outbox.for_delivery(d.id)
                if "会议提醒" in m.body]


async def test_calling_a_meeting_issues_its_notice_and_writes_the_meeting_in_one_go(demo_hub):
    meeting = await call(demo_hub, "DHZ", "XSZ", invitees=("dhz.leader",))
    async with demo_hub.store.read() as tx:
        item = await tx.items.get(meeting.item_id)
        deliveries = await tx.deliveries.for_item(item.id)
        assert await tx.meetings.invitees(meeting.id) == [await user_id(demo_hub, "dhz.leader")]
        sms = [m for d in deliveries for m in await tx.outbox.for_delivery(d.id)]
        (audit,) = await tx.audit.page(None, 5, "meeting.call")
    assert item.kind is ItemKind.MEETING_NOTICE and item.meeting_at == meeting.starts_at
    assert item.meeting_place == "区政府三楼会议室" and "一、通报汛情" in item.body and "东湖镇" not in item.title
    assert "会议地点：区政府三楼会议室" in item.body and "请以下同志参加：" in item.body
    assert len(deliveries) == 2 and len(sms) == 4 and meeting.state is MeetingState.SCHEDULED
    assert audit.target == f"meeting:{meeting.id}" and meeting.version == 1


@pytest.mark.parametrize("bad, code", [
    ({"hours": -1}, "meeting.in_past"),
    ({"length": -1}, "meeting.ends_before_start"),
    ({"room": "  "}, "meeting.room_required"),
    ({"title": ""}, "meeting.bad_title"),
    ({"invitees": ("nqz.leader",)}, "meeting.invitee_not_in_units"),
])
async def test_bad_meetings_are_refused_clearly_and_nothing_is_stored(demo_hub, bad, code):
    before = await counts(demo_hub)
    with pytest.raises(XietongError) as e:
        await call(demo_hub, "DHZ", "XSZ", **bad)
    assert e.value.code == code and e.value.message("zh") and e.value.message("en")
    assert await counts(demo_hub) == before


async def test_a_unit_that_replied_must_confirm_again_after_the_meeting_moves(demo_hub):
    meeting = await call(demo_hub, "DHZ", "XSZ", hours=6)
    dhz = await actor(demo_hub, "dhz.clerk1")
    await demo_hub.meetings.reply(dhz, meeting.id, True, [ReplyAttendee(await user_id(demo_hub, "dhz.leader"))])
    old_start = meeting.starts_at
    new_start = old_start + timedelta(hours=3)
    demo_hub.clock.advance(minutes=10)
    changed = await demo_hub.meetings.change(await actor(demo_hub, "bgs.clerk1"), meeting.id, new_start,
                                             new_start + timedelta(hours=1), "区政府五楼会议室", "领导另有安排")
    assert changed.version == 2 and changed.room == "区政府五楼会议室"
    async with demo_hub.store.read() as tx:
        item = await tx.items.get(meeting.item_id)
        deliveries = await tx.deliveries.for_item(item.id)
        changed_sms = [m for d in deliveries for m in await tx.outbox.for_delivery(d.id) if "会议变更" in m.body]
    assert item.meeting_at == new_start and item.meeting_place == "区政府五楼会议室"
    assert [d.round for d in deliveries] == [2, 2] and {d.state for d in deliveries} == {DeliveryState.PENDING}
    assert len(changed_sms) == 4 and all("五楼" in m.body and "签收确认并报送参会回执" in m.body for m in changed_sms)
    view = await demo_hub.meetings.view(await actor(demo_hub, "bgs.clerk1"), meeting.id)
    dhz_row = next(u for u in view.units if u.unit.code == "DHZ")
    assert dhz_row.stale and not dhz_row.answered and len(view.silent) == 2

    # 东湖镇 confirms again by replying: the reminder comes before the new time, not the old one
    await demo_hub.meetings.reply(dhz, meeting.id, True, [ReplyAttendee(await user_id(demo_hub, "dhz.leader"))])
    demo_hub.clock.set(old_start - timedelta(minutes=59))
    await demo_hub.scheduler.run_due()
    assert await reminders_sent(demo_hub, meeting.item_id) == []
    demo_hub.clock.set(new_start - timedelta(minutes=59))
    await demo_hub.scheduler.run_due()
    sent = await reminders_sent(demo_hub, meeting.item_id)
    assert len(sent) == 3 and all("五楼" in b for b in sent)        # 东湖镇's two clerks and its leader who comes
    async with demo_hub.store.read() as tx:
        phones = {m.phone for d in await tx.deliveries.for_item(meeting.item_id)
                  for m in await tx.outbox.for_delivery(d.id) if "会议提醒" in m.body}
    assert (await demo_hub.identity.user_by_login("dhz.leader")).phone in phones
    view = await demo_hub.meetings.view(await actor(demo_hub, "bgs.clerk1"), meeting.id)
    assert next(u for u in view.units if u.unit.code == "DHZ").answered


@pytest.mark.parametrize("move", ["postpone", "cancel"])
async def test_postponing_or_cancelling_stops_the_reminders_and_tells_every_unit(demo_hub, move):
    meeting = await call(demo_hub, "DHZ", "XSZ", hours=6)
    await demo_hub.meetings.reply(await actor(demo_hub, "dhz.clerk1"), meeting.id, False, [], "镇里有防汛任务")
    organiser = await actor(demo_hub, "bgs.clerk1")
    with pytest.raises(XietongError) as e:
        await getattr(demo_hub.meetings, move)(organiser, meeting.id, " ")
    assert e.value.code == "meeting.reason_required"
    done = await getattr(demo_hub.meetings, move)(organiser, meeting.id, "因台风影响")
    assert done.state is (MeetingState.POSTPONED if move == "postpone" else MeetingState.CANCELLED)
    word = "会议延期" if move == "postpone" else "会议取消"
    async with demo_hub.store.read() as tx:
        deliveries = await tx.deliveries.for_item(meeting.item_id)
        told = [m for d in deliveries for m in await tx.outbox.for_delivery(d.id) if word in m.body]
        async with tx.conn.execute("SELECT count(*) FROM timers") as cur:
            assert (await cur.fetchone())[0] == 0
    assert len(told) == 4
    demo_hub.clock.set(meeting.starts_at - timedelta(minutes=30))
    await demo_hub.scheduler.run_due()
    assert await reminders_sent(demo_hub, meeting.item_id) == []
    with pytest.raises(XietongError) as e:
        await demo_hub.meetings.reply(await actor(demo_hub, "xsz.clerk1"), meeting.id, False, [], "")
    assert e.value.code == ("meeting.postponed" if move == "postpone" else "meeting.cancelled")


async def test_a_postponed_meeting_gets_its_new_time_by_a_change(demo_hub):
    meeting = await call(demo_hub, "XSZ", hours=6)
    organiser = await actor(demo_hub, "bgs.clerk1")
    await demo_hub.meetings.postpone(organiser, meeting.id, "时间另行通知")
    later = demo_hub.clock.now() + timedelta(days=2)
    again = await demo_hub.meetings.change(organiser, meeting.id, later, later + timedelta(hours=2), "")
    assert again.state is MeetingState.SCHEDULED and again.version == 3 and again.room == meeting.room
    async with demo_hub.store.read() as tx:
        assert (await tx.items.get(meeting.item_id)).meeting_at == later
    with pytest.raises(XietongError) as e:
        await demo_hub.meetings.change(organiser, meeting.id, later, later + timedelta(hours=2), "")
    assert e.value.code == "meeting.nothing_changed"


async def test_a_reply_with_a_substitute_shows_on_the_organisers_page(demo_hub):
    meeting = await call(demo_hub, "DHZ", "XSZ", invitees=("dhz.leader",))
    clerk = await actor(demo_hub, "dhz.clerk1")
    leader, clerk2 = await user_id(demo_hub, "dhz.leader"), await user_id(demo_hub, "dhz.clerk2")
    await demo_hub.meetings.reply(clerk, meeting.id, True, [
        ReplyAttendee(clerk2, substitute_for=leader),
        ReplyAttendee(None, "王站长", "13900001111")], "李镇长出差，由张三代替")
    view = await demo_hub.meetings.view(await actor(demo_hub, "bgs.clerk1"), meeting.id)
    dhz = next(u for u in view.units if u.unit.code == "DHZ")
    assert dhz.answered and dhz.delivery.state is DeliveryState.ACKED      # the reply signed for the notice
    leader_name = (await demo_hub.identity.user_by_login("dhz.leader")).name
    assert [(a.name, a.substitute_for) for a in dhz.attendees] == [
        ((await demo_hub.identity.user_by_login("dhz.clerk2")).name, leader_name), ("王站长", "")]
    assert dhz.attendees[1].phone == "+8613900001111" and view.coming_count == 2
    xsz = next(u for u in view.units if u.unit.code == "XSZ")
    assert not xsz.answered and [c.phone for c in xsz.contacts] and len(view.silent) == 1
    async with demo_hub.store.read() as tx:
        (event,) = [e for e in await tx.events.for_item(meeting.item_id) if e.type == "meeting.replied"]
    assert event.sender_unit_id == view.organiser_unit.id                    # the organiser's page refreshes


@pytest.mark.parametrize("people, code", [
    (lambda ids: [ReplyAttendee(ids["xsz.leader"])], "meeting.attendee_not_of_unit"),
    (lambda ids: [ReplyAttendee(None, "外单位人员", "")], "meeting.outsider_needs_phone"),
    (lambda ids: [ReplyAttendee(ids["dhz.clerk2"], substitute_for=ids["dhz.clerk1"])], "meeting.bad_substitute"),
    (lambda ids: [], "meeting.nobody_named"),
])
async def test_a_reply_naming_the_wrong_people_is_refused_and_nothing_is_stored(demo_hub, people, code):
    meeting = await call(demo_hub, "DHZ", "XSZ", invitees=("dhz.leader",))
    ids = {login: await user_id(demo_hub, login) for login in ("xsz.leader", "dhz.clerk1", "dhz.clerk2")}
    with pytest.raises(XietongError) as e:
        await demo_hub.meetings.reply(await actor(demo_hub, "dhz.clerk1"), meeting.id, True, people(ids))
    assert e.value.code == code
    async with demo_hub.store.read() as tx:
        assert await tx.meetings.replies(meeting.id) == {} and await tx.meetings.attendees(meeting.id) == []
        assert {d.state for d in await tx.deliveries.for_item(meeting.item_id)} == {DeliveryState.PENDING}


async def test_the_organiser_chases_the_silent_units_only(demo_hub):
    meeting = await call(demo_hub, "DHZ", "XSZ", "NQZ")
    await demo_hub.meetings.reply(await actor(demo_hub, "dhz.clerk1"), meeting.id, False, [], "")
    organiser = await actor(demo_hub, "bgs.clerk1")
    reminded = await demo_hub.meetings.chase(organiser, meeting.id)
    codes = {u.id: u.code for u in await demo_hub.identity.units()}
    assert sorted(codes[d.unit_id] for d in reminded) == ["NQZ", "XSZ"]
    async with demo_hub.store.read() as tx:
        bodies = [m.body for d in reminded for m in await tx.outbox.for_delivery(d.id) if "催报" in m.body]
    assert len(bodies) == 4 and all("参会回执" in b for b in bodies)
    with pytest.raises(XietongError) as e:
        await demo_hub.meetings.chase(organiser, meeting.id)
    assert e.value.code == "chase.too_soon"
    with pytest.raises(XietongError) as e:
        await demo_hub.meetings.chase(await actor(demo_hub, "dhz.clerk1"), meeting.id)
    assert e.value.code == "meeting.not_organiser"
    with pytest.raises(XietongError) as e:
        await demo_hub.meetings.view(await actor(demo_hub, "jyj.clerk1"), meeting.id)
    assert e.value.code == "meeting.not_found"


async def test_two_meetings_of_one_person_at_the_same_time_are_flagged_to_the_organiser(demo_hub):
    first = await call(demo_hub, "DHZ", invitees=("dhz.leader",), title="全区安全生产会", hours=24, length=2)
    await call(demo_hub, "DHZ", invitees=("dhz.leader",), title="东湖镇不相干的会", hours=30)   # later that day
    second = await call(demo_hub, "DHZ", "XSZ", organiser="jyj.clerk1", title="教育工作会", hours=25)
    await demo_hub.meetings.reply(await actor(demo_hub, "dhz.clerk1"), second.id, True,
                                  [ReplyAttendee(await user_id(demo_hub, "dhz.leader"))])
    view = await demo_hub.meetings.view(await actor(demo_hub, "jyj.clerk1"), second.id)
    assert [(c.name, c.title) for c in view.conflicts] == [
        ((await demo_hub.identity.user_by_login("dhz.leader")).name, "全区安全生产会")]
    view = await demo_hub.meetings.view(await actor(demo_hub, "bgs.clerk1"), first.id)
    assert [c.title for c in view.conflicts] == ["教育工作会"]
    await demo_hub.meetings.cancel(await actor(demo_hub, "jyj.clerk1"), second.id, "合并召开")
    assert (await demo_hub.meetings.view(await actor(demo_hub, "bgs.clerk1"), first.id)).conflicts == []


async def test_the_list_shows_meetings_called_and_invited_to_upcoming_first(demo_hub):
    soon = await call(demo_hub, "DHZ", title="明天的会", hours=20)
    later = await call(demo_hub, "DHZ", organiser="jyj.clerk1", title="后天的会", hours=44)
    await call(demo_hub, "XSZ", title="与东湖镇无关的会")
    rows = await demo_hub.meetings.meetings(await actor(demo_hub, "dhz.clerk1"))
    assert [r.meeting.id for r in rows] == [soon.id, later.id] and not rows[0].organised
    rows = await demo_hub.meetings.meetings(await actor(demo_hub, "bgs.clerk1"))
    assert [r.meeting.title for r in rows] == ["明天的会", "与东湖镇无关的会"] and rows[0].organised


async def test_an_invited_unit_opening_the_meeting_has_read_its_notice(demo_hub):
    meeting = await call(demo_hub, "XSZ")
    view = await demo_hub.meetings.view(await actor(demo_hub, "xsz.clerk2"), meeting.id)
    assert view.mine.delivery.state is DeliveryState.READ and view.can_reply and len(view.units) == 1
    organiser = await demo_hub.meetings.view(await actor(demo_hub, "bgs.clerk1"), meeting.id)
    assert organiser.units[0].delivery.read_by == (await demo_hub.identity.user_by_login("xsz.clerk2")).id
