"""The outgoing document's whole road, with real one-time passwords and a fake clock."""

import asyncio
from datetime import timedelta

import pyotp
import pytest

from hub.domain.documents import DocOp, DocState
from hub.domain.identity import Role, SystemActor
from hub.domain.items import Attachment
from hub.errors import XietongError
from hub.store.documents import DocFields
from tests.service.seal_helpers import active_seal, stamp, with_authority
from tests.service.test_urgent_items import actor, unit_ids


async def enrolled_leader(hub, login: str = "bgs.leader"):
    leader = await actor(hub, login)
    enrolment = await hub.otp.start_enrolment(leader)
    totp = pyotp.TOTP(enrolment.secret_base32)
    await hub.otp.finish_enrolment(leader, totp.at(hub.clock.now()))
    hub.clock.advance(timedelta(seconds=30))          # the enrolment code's step is used up
    return leader, totp


async def fields(hub, kind: str = "通知", title: str = "关于做好冬季防火工作的通知", **kw) -> DocFields:
    main = tuple(await unit_ids(hub, *kw.pop("to", ("DHZ", "XSZ"))))
    return DocFields(title, kw.pop("body", "各镇人民政府：\n请切实做好冬季防火工作。"), kind, kw.pop("urgency", "urgent"),
                     "示范区人民政府办公室", main, ())


async def to_signoff(hub, **kw):
    drafter, office = await actor(hub, "bgs.clerk1"), await actor(hub, "bgs.clerk2")
    doc = await hub.documents.draft(drafter, await fields(hub, **kw), [Attachment("防火要点.txt", "要点".encode())])
    doc = await hub.documents.act(drafter, doc.id, DocOp.SUBMIT)
    doc = await hub.documents.act(office, doc.id, DocOp.APPROVE, "同意，请领导签发")
    assert doc.state is DocState.SIGNOFF
    return doc, office


async def test_a_document_goes_from_draft_to_a_township_signing_for_it(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, office = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    doc = await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", totp.at(hub.clock.now()))
    assert doc.state is DocState.SIGNED and doc.signed_digest and doc.signer_name == leader.name
    doc = await hub.documents.act(office, doc.id, DocOp.REGISTER)
    assert doc.state is DocState.REGISTERED and doc.doc_number == "示政办发〔2026〕1号"
    await stamp(hub, doc, seal, leader, totp)               # 用印: request, approval with a code, stamping
    doc = await hub.documents.act(office, doc.id, DocOp.DISPATCH)
    assert doc.state is DocState.DISPATCHED and doc.item_id
    clerk = await actor(hub, "dhz.clerk1")
    view = await hub.items.view(clerk, doc.item_id)
    assert view.item.doc_number == "示政办发〔2026〕1号" and view.item.doc_kind == "通知"
    assert [a.name for a in view.attachments] == ["防火要点.txt"]
    done = await hub.items.acknowledge(clerk, view.mine.id)
    sender = await hub.items.view(office, doc.item_id)
    assert next(r.delivery.receipt_no for r in sender.recipients) == done.receipt_no
    history = (await hub.documents.view(office, doc.id)).history
    assert [h.op for h in history] == ["draft", "submit", "approve", "sign", "register", "seal", "dispatch"]
    assert history[3].actor_name == leader.name and history[1].comment == ""


async def test_a_change_after_sign_off_goes_back_to_the_leader(demo_hub):
    hub = demo_hub
    doc, office = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
    changed = await fields(hub, body="各镇人民政府：\n请切实做好冬季防火工作，并于周五前报送。")
    doc = await hub.documents.edit(office, doc.id, changed)
    assert doc.state is DocState.SIGNOFF
    view = await hub.documents.view(office, doc.id)
    assert view.content_changed and view.history[-1].to_state == "signoff"
    with pytest.raises(XietongError) as e:
        await hub.documents.act(office, doc.id, DocOp.REGISTER)
    assert e.value.code == "document.bad_state"
    hub.clock.advance(timedelta(seconds=30))
    doc = await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
    assert doc.state is DocState.SIGNED and not (await hub.documents.view(office, doc.id)).content_changed


async def test_an_unchanged_edit_after_sign_off_keeps_the_signature(demo_hub):
    hub = demo_hub
    doc, office = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
    doc = await hub.documents.edit(office, doc.id, await fields(hub))
    assert doc.state is DocState.SIGNED


async def test_signing_needs_a_good_fresh_code(demo_hub):
    hub = demo_hub
    doc, _ = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    with pytest.raises(XietongError) as e:
        await hub.documents.act(leader, doc.id, DocOp.SIGN, "", "000000" if totp.at(hub.clock.now()) != "000000" else "111111")
    assert e.value.code == "otp.wrong"
    code = totp.at(hub.clock.now())
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "", code)
    other, _ = await to_signoff(hub, title="另一份通知")
    with pytest.raises(XietongError) as e:
        await hub.documents.act(leader, other.id, DocOp.SIGN, "", code)
    assert e.value.code == "otp.reused"


async def test_a_clerk_cannot_sign_and_another_unit_cannot_see(demo_hub):
    hub = demo_hub
    doc, office = await to_signoff(hub)
    with pytest.raises(XietongError) as e:
        await hub.documents.act(office, doc.id, DocOp.SIGN, "", "123456")
    assert e.value.code == "perm.denied"
    with pytest.raises(XietongError) as e:
        await hub.documents.view(await actor(hub, "dhz.leader"), doc.id)
    assert e.value.code == "document.not_found"


async def test_fifty_concurrent_registrations_get_fifty_consecutive_numbers(demo_hub):
    hub = demo_hub
    leader, totp = await enrolled_leader(hub)
    office = await actor(hub, "bgs.clerk2")
    docs = []
    for i in range(50):
        doc, _ = await to_signoff(hub, title=f"第{i}号测试通知")
        await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
        hub.clock.advance(timedelta(seconds=30))
        docs.append(doc)
    done = await asyncio.gather(*(hub.documents.act(office, d.id, DocOp.REGISTER) for d in docs))
    numbers = sorted(int(d.doc_number.split("〕")[1].rstrip("号")) for d in done)
    assert numbers == list(range(1, 51))
    assert all(d.doc_number.startswith("示政办发〔2026〕") for d in done)


async def test_an_upward_request_carries_its_signer_and_gets_a_receipt(demo_hub):
    hub = demo_hub
    drafter, office = await actor(hub, "dhz.clerk1"), await actor(hub, "dhz.clerk2")
    doc = await hub.documents.draft(drafter, await fields(hub, kind="请示", title="关于申请防汛物资的请示",
                                                          to=("BGS",)))
    await hub.documents.act(drafter, doc.id, DocOp.SUBMIT)
    await hub.documents.act(office, doc.id, DocOp.APPROVE)
    leader, totp = await enrolled_leader(hub, "dhz.leader")
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
    await hub.documents.act(office, doc.id, DocOp.REGISTER)
    await hub.identity.add_user(SystemActor(), "dhz.seal", "东湖印管", leader.unit_id, "long enough",
                                frozenset({Role.SEAL_KEEPER}))   # 东湖镇 has none in the demo
    await with_authority(hub)
    seal = await active_seal(hub, "DHZ", "dhz.seal")
    await stamp(hub, doc, seal, leader, totp, keeper_login="dhz.seal")
    doc = await hub.documents.act(office, doc.id, DocOp.DISPATCH)
    office_clerk = await actor(hub, "bgs.clerk1")
    view = await hub.items.view(office_clerk, doc.item_id)
    assert view.item.signer == leader.name and view.item.doc_number == "东政发〔2026〕1号"
    done = await hub.items.acknowledge(office_clerk, view.mine.id)
    async with hub.store.read() as tx:
        receipts = [e for e in await tx.events.for_item(doc.item_id) if e.type == "receipt"]
    assert receipts[0].data["receipt_no"] == done.receipt_no and receipts[0].sender_unit_id == leader.unit_id


async def test_withdrawing_tells_the_recipients_and_stops_escalation(demo_hub):
    hub = demo_hub
    doc, office = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
    await hub.documents.act(office, doc.id, DocOp.REGISTER)
    await with_authority(hub)
    await stamp(hub, doc, await active_seal(hub), leader, totp)
    doc = await hub.documents.act(office, doc.id, DocOp.DISPATCH)
    with pytest.raises(XietongError) as e:
        await hub.documents.act(office, doc.id, DocOp.WITHDRAW)
    assert e.value.code == "document.comment_required"
    doc = await hub.documents.act(office, doc.id, DocOp.WITHDRAW, "文中数据有误，另行发文")
    assert doc.state is DocState.WITHDRAWN
    async with hub.store.read() as tx:
        deliveries = await tx.deliveries.for_item(doc.item_id)
        events = [e for e in await tx.events.for_item(doc.item_id) if e.type == "item.withdrawn"]
        sms = [m.body for d in deliveries for m in await tx.outbox.for_delivery(d.id) if "撤销" in m.body]
    assert {d.state.value for d in deliveries} == {"withdrawn"} and len(events) == 2 and len(sms) == 4
    hub.clock.advance(timedelta(hours=5))
    await hub.scheduler.run_due()
    async with hub.store.read() as tx:
        assert not [e for e in await tx.events.for_item(doc.item_id) if e.type == "item.escalated"]


async def test_a_classified_draft_is_refused_and_nothing_is_stored(demo_hub):
    hub = demo_hub
    with pytest.raises(XietongError) as e:
        await hub.documents.draft(await actor(hub, "bgs.clerk1"), await fields(hub, title="秘密 某工作方案"))
    assert e.value.code == "item.classified"
    assert await hub.documents.of_unit(await actor(hub, "bgs.clerk1")) == []


async def test_a_leader_instructs_on_a_received_item_with_a_code_and_the_unit_sees_it(demo_hub):
    hub = demo_hub
    office = await actor(hub, "bgs.clerk1")
    from hub.domain.items import ItemDraft, ItemKind, Urgency
    item = await hub.items.issue(office, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT,
                                                    title="关于开展安全生产大检查的通知", body="请部署。",
                                                    main_units=tuple(await unit_ids(hub, "XSZ"))))
    leader, totp = await enrolled_leader(hub, "xsz.leader")
    with pytest.raises(XietongError) as e:
        await hub.documents.instruct(leader, item.id, "请安监办牵头落实", "000000")
    assert e.value.code == "otp.wrong"
    await hub.documents.instruct(leader, item.id, "请安监办牵头落实，周五前报告进展。", totp.at(hub.clock.now()))
    view = await hub.items.view(await actor(hub, "xsz.clerk2"), item.id)
    (event,) = [e for e in view.events if e.type == "item.instruction"]
    assert event.data["text"].startswith("请安监办牵头落实") and event.data["by"] == leader.name
    with pytest.raises(XietongError) as e:
        await hub.documents.instruct(await actor(hub, "bgs.leader"), item.id, "越权批示", "123456")
    assert e.value.code == "item.not_found"      # not a recipient: it does not exist for them


async def test_sealing_is_only_by_stamping_with_the_electronic_seal(demo_hub):
    hub = demo_hub
    doc, office = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "", totp.at(hub.clock.now()))
    await hub.documents.act(office, doc.id, DocOp.REGISTER)
    with pytest.raises(XietongError) as e:
        await hub.documents.act(await actor(hub, "bgs.seal"), doc.id, DocOp.SEAL)
    assert e.value.code == "document.seal_by_stamping" and "用印审批" in e.value.message("zh")
    assert (await hub.documents.view(office, doc.id)).doc.state is DocState.REGISTERED
