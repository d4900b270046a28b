"""SMS through the real `twilio` client and the Twilio-compatible server on 127.0.0.1."""

from datetime import timedelta

from twilio.request_validator import RequestValidator

from tests.service.test_urgent_items import issue_extra_urgent
from tests.sms.conftest import TOKEN, post_form

DHZ_CLERKS = ("+8613800000008", "+8613800000009")      # dhz.clerk1, dhz.clerk2 in the demo


async def sms_rows(hub, item_id: int):
    async with hub.store.read() as tx:
        out = []
        for d in await tx.deliveries.for_item(item_id):
            out += await tx.outbox.for_delivery(d.id)
        return out


async def events(hub, item_id: int, type_: str):
    async with hub.store.read() as tx:
        return [e for e in await tx.events.for_item(item_id) if e.type == type_]


async def test_a_notice_is_sent_once_to_each_clerk_and_delivered(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    assert await world.hub.sms.run_once() == 2
    assert await world.hub.sms.run_once() == 0                  # nothing is sent twice
    for phone in DHZ_CLERKS:
        (msg,) = world.to(phone)
        assert msg["body"].startswith("【协同】特急公文《") and item.short_code in msg["body"]
        assert msg["from"] == "+8610690000000" and msg["num_segments"] in ("1", "2")
    assert [r.state for r in await sms_rows(world.hub, item.id)] == ["queued", "queued"]
    await world.flush()
    rows = await sms_rows(world.hub, item.id)
    assert [r.state for r in rows] == ["delivered", "delivered"] and all(r.provider_id.startswith("SM") for r in rows)
    delivered = await events(world.hub, item.id, "sms.delivered")
    assert sorted(e.data["to"] for e in delivered) == ["吴强", "赵海燕"]   # one timeline line per handset


async def test_a_crash_between_commit_and_api_call_ends_with_exactly_one_sms(world):
    class Crash(BaseException):
        pass

    item = await issue_extra_urgent(world.hub, "XSZ")
    real_send = world.hub.sms.gateway.send

    async def crash_before_calling(to, body, token=""):
        raise Crash()                     # the process dies after the commit, before the call
    world.hub.sms.gateway.send = crash_before_calling
    try:
        await world.hub.sms.run_once()
    except Crash:
        pass
    world.hub.sms.gateway.send = real_send
    assert world.to("+8613800000011") == []
    await world.restart()
    async with world.hub.store.write() as tx:
        await tx.sms.retry_all_now(world.clock.now(), [])   # what the sender does first after a start
    await world.hub.sms.run_once()
    await world.hub.sms.run_once()
    assert len(world.to("+8613800000011")) == 1 and len(world.to("+8613800000012")) == 1
    assert {r.state for r in await sms_rows(world.hub, item.id)} == {"queued"}


async def test_an_answer_lost_after_the_api_call_ends_with_exactly_one_sms(world):
    world.sim.behaviour["+8613800000014"] = "drop_response"       # nqz.clerk1: taken, but no answer
    item = await issue_extra_urgent(world.hub, "NQZ")
    await world.hub.sms.run_once()
    assert len(world.to("+8613800000014")) == 1
    rows = {r.phone: r for r in await sms_rows(world.hub, item.id)}
    assert rows["+8613800000014"].state == "sending" and rows["+8613800000014"].provider_id is None
    await world.restart()
    async with world.hub.store.write() as tx:
        await tx.sms.retry_all_now(world.clock.now(), [])
    await world.hub.sms.run_once()                                # looks in the gateway's list first
    assert len(world.to("+8613800000014")) == 1                   # found there: not sent again
    rows = {r.phone: r for r in await sms_rows(world.hub, item.id)}
    assert rows["+8613800000014"].provider_id == world.to("+8613800000014")[0]["sid"]


async def test_callbacks_with_a_bad_signature_are_refused_and_change_nothing(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    sid = world.to(DHZ_CLERKS[0])[0]["sid"]
    url = world.xietong.url + "/hooks/twilio/status"
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    assert (await post_form(url, params))[0] == 403                                  # unsigned
    assert (await post_form(url, params, {"X-Twilio-Signature": "forged"}))[0] == 403
    wrong = RequestValidator("another-token").compute_signature(url, params)
    assert (await post_form(url, params, {"X-Twilio-Signature": wrong}))[0] == 403
    forwarded = RequestValidator(TOKEN).compute_signature("http://internal-host:9999/hooks/twilio/status", params)
    assert (await post_form(url, params, {"X-Twilio-Signature": forwarded}))[0] == 403   # not our public URL
    assert {r.state for r in await sms_rows(world.hub, item.id)} == {"queued"}
    good = RequestValidator(TOKEN).compute_signature(url, params)
    assert (await post_form(url, params, {"X-Twilio-Signature": good}))[0] == 204


async def test_duplicate_and_out_of_order_callbacks_change_nothing(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    await world.flush(reverse=True, duplicate=True)         # delivered, delivered, sent, sent
    assert [r.state for r in await sms_rows(world.hub, item.id)] == ["delivered", "delivered"]
    assert len(await events(world.hub, item.id, "sms.delivered")) == 2     # not 4


async def test_a_reply_1_signs_for_the_latest_item_and_stops_its_escalation(world):
    older = await issue_extra_urgent(world.hub, "DHZ", title="较早的通知")
    newer = await issue_extra_urgent(world.hub, "DHZ", title="最新的通知")
    await world.hub.sms.run_once()
    result = await world.reply(DHZ_CLERKS[1], "1")
    assert result["status"] == 200 and result["replies"][0].startswith("【协同】已签收《最新的通知》，回执号HZ")
    async with world.hub.store.read() as tx:
        (d_new,) = await tx.deliveries.for_item(newer.id)
        (d_old,) = await tx.deliveries.for_item(older.id)
    assert d_new.state.value == "acked" and d_new.ack_via.value == "sms" and d_old.state.value == "pending"
    clerk = await world.hub.identity.user_by_login("dhz.clerk2")
    assert d_new.acked_by == clerk.id
    (acked,) = await events(world.hub, newer.id, "item.acked")
    assert acked.data["via"] == "sms" and acked.data["note"] == "短信回复“1”"
    world.clock.advance(timedelta(hours=1))
    await world.hub.scheduler.run_due()
    assert await events(world.hub, newer.id, "item.escalated") == []
    assert len(await events(world.hub, older.id, "item.escalated")) == 3


async def test_a_reply_with_a_code_signs_for_that_item(world):
    older = await issue_extra_urgent(world.hub, "DHZ", title="较早的通知")
    await issue_extra_urgent(world.hub, "DHZ", title="最新的通知")
    await world.hub.sms.run_once()
    result = await world.reply(DHZ_CLERKS[0], f"签收 {older.short_code}")
    assert "较早的通知" in result["replies"][0]
    async with world.hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(older.id)
    assert d.state.value == "acked" and d.ack_via.value == "sms"
    help_reply = await world.reply(DHZ_CLERKS[0], "收到了吗？")
    assert "回复1签收" in help_reply["replies"][0]


async def test_a_reply_from_an_unknown_number_reveals_nothing(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    result = await world.reply("+8613999999999", "1")
    assert result["status"] == 200 and result["replies"] == []
    result = await world.reply("+8613999999999", f"签收 {item.short_code}")
    assert result["replies"] == []
    async with world.hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
    assert d.state.value == "pending"


async def test_the_same_reply_webhook_twice_acts_once(world):
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    first = await world.reply(DHZ_CLERKS[0], "1", sid="SM" + "a" * 32)
    again = await world.reply(DHZ_CLERKS[0], "1", sid="SM" + "a" * 32)
    assert first["replies"] == again["replies"] and "已签收" in first["replies"][0]
    assert len(await events(world.hub, item.id, "item.acked")) == 1


async def test_a_failed_sms_moves_the_escalation_on(world):
    for phone in DHZ_CLERKS:
        world.sim.behaviour[phone] = "undelivered"
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    await world.flush()
    failed = await events(world.hub, item.id, "sms.failed")
    assert len(failed) == 2 and {e.data["error_code"] for e in failed} == {30003}
    world.clock.advance(timedelta(seconds=1))              # well before the 5-minute reminder
    await world.hub.scheduler.run_due()
    assert [e.data["action"] for e in await events(world.hub, item.id, "item.escalated")] == ["remind"]


async def test_notices_for_one_phone_within_two_minutes_go_out_as_one_digest(world):
    first = await issue_extra_urgent(world.hub, "WJJ", title="第一件通知")
    await world.hub.sms.run_once()
    await issue_extra_urgent(world.hub, "WJJ", title="第二件通知")
    await issue_extra_urgent(world.hub, "WJJ", title="第三件通知")
    world.clock.advance(timedelta(seconds=30))
    await world.hub.sms.run_once()
    phone = "+8613800000020"                                 # wjj.clerk1
    assert len(world.to(phone)) == 1 and "第一件通知" in world.to(phone)[0]["body"]
    world.clock.advance(timedelta(seconds=91))
    await world.hub.sms.run_once()
    digest = world.to(phone)[1]["body"]
    assert len(world.to(phone)) == 2
    assert digest.startswith("【协同】您有2条新通知：") and "第二件通知" in digest and "第三件通知" in digest
    assert first.short_code not in digest


async def test_an_opted_out_number_is_shown_to_the_unit_admin(world):
    world.sim.behaviour["+8613800000008"] = "optout"             # Twilio error 21610 (STOP)
    item = await issue_extra_urgent(world.hub, "DHZ")
    await world.hub.sms.run_once()
    async with world.hub.store.read() as tx:
        assert "+8613800000008" in await tx.sms.opted_out()
    rows = {r.phone: r for r in await sms_rows(world.hub, item.id)}
    assert rows["+8613800000008"].state == "failed" and rows["+8613800000008"].error == "21610"
    assert rows["+8613800000009"].state == "queued"
    from tests.realtime.conftest import cookie_login
    session, _ = await cookie_login(world.xietong.url, "dh.admin")
    try:
        page = await (await session.get(world.xietong.url + "/admin/users")).text()
    finally:
        await session.close()
    line = next(li for li in page.split("<li") if "+8613800000008" in li)
    assert "已退订短信" in line


async def test_a_status_that_arrives_before_the_sid_is_stored_is_applied_when_it_is(world):
    item = await issue_extra_urgent(world.hub, "JYJ")
    real_send = world.hub.sms.gateway.send

    async def send_and_call_back_at_once(to, body, token=""):
        sent = await real_send(to, body, token)
        await world.flush()          # the gateway calls back before the sender has written the SID down
        return sent
    world.hub.sms.gateway.send = send_and_call_back_at_once
    await world.hub.sms.run_once()
    assert {r.state for r in await sms_rows(world.hub, item.id)} == {"delivered"}
    assert len(await events(world.hub, item.id, "sms.delivered")) == 2
