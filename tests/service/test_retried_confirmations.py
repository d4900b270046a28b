"""An OTP-confirmed step that committed, retried by the same person with the same (now used) code
(the first answer was lost on a bad link), answers with what was committed instead of "code already
used". Only when the step is already in the state the retry asks for, by that same person; a wrong
code, someone else, or a step not done yet are refused as before."""

from datetime import timedelta

import pytest

from hub.domain.documents import DocOp, DocState
from hub.domain.items import ItemDraft, ItemKind, Urgency
from hub.domain.seals import UseState
from hub.errors import XietongError
from tests.service.seal_helpers import active_seal, registered_document, with_authority
from tests.service.test_documents import enrolled_leader, to_signoff
from tests.service.test_urgent_items import actor, unit_ids
from tests.web.conftest import audit_rows


async def test_a_retried_sign_off_with_the_same_code_answers_with_the_signed_document(demo_hub):
    hub = demo_hub
    doc, _ = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    code = totp.at(hub.clock.now())
    signed = await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", code)
    hub.clock.advance(timedelta(seconds=5))
    again = await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", code)      # the retry
    assert again.state is DocState.SIGNED and again.signed_digest == signed.signed_digest
    assert again.signed_at == signed.signed_at                                   # nothing signed twice
    history = (await hub.documents.view(leader, doc.id)).history
    assert [h.op for h in history].count("sign") == 1
    assert [r.detail for r in await audit_rows(hub, "document.sign")].__len__() == 1
    (retry,) = await audit_rows(hub, "otp.failed")          # the used code, recorded as a retry
    assert '"document.sign.retry"' in retry.detail


async def test_a_retried_sign_off_with_a_wrong_code_is_still_refused(demo_hub):
    hub = demo_hub
    doc, _ = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", totp.at(hub.clock.now()))
    wrong = f"{(int(totp.at(hub.clock.now())) + 1) % 1_000_000:06d}"
    with pytest.raises(XietongError) as e:
        await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", wrong)
    assert e.value.code == "otp.wrong"


async def test_another_leader_signing_what_was_signed_is_refused_as_before(demo_hub):
    hub = demo_hub
    doc, _ = await to_signoff(hub)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", totp.at(hub.clock.now()))
    from hub.domain.identity import Role, SystemActor
    bgs = (await unit_ids(hub, "BGS"))[0]
    await hub.identity.add_user(SystemActor(), "bgs.leader2", "副主任", bgs, "Demo@2026", frozenset({Role.LEADER}))
    other, other_totp = await enrolled_leader(hub, "bgs.leader2")
    with pytest.raises(XietongError) as e:
        await hub.documents.act(other, doc.id, DocOp.SIGN, "同意", other_totp.at(hub.clock.now()))
    assert e.value.code == "document.bad_state"


async def test_a_retried_seal_use_approval_answers_with_the_approval(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, _, leader, totp = await registered_document(hub)
    request = await hub.seals.request_use(await actor(hub, "bgs.clerk2"), doc.id, seal.id)
    hub.clock.advance(timedelta(seconds=30))
    code = totp.at(hub.clock.now())
    approved = await hub.seals.approve_use(leader, request.id, code)
    again = await hub.seals.approve_use(leader, request.id, code)
    assert again == approved and again.state is UseState.APPROVED
    assert len(await audit_rows(hub, "seal.approve_use")) == 1
    with pytest.raises(XietongError) as e:                       # a wrong code is no retry
        await hub.seals.approve_use(leader, request.id, "000000" if code != "000000" else "111111")
    assert e.value.code == "otp.wrong"


async def test_a_retried_instruction_answers_with_the_instruction_already_written(demo_hub):
    hub = demo_hub
    office = await actor(hub, "bgs.clerk1")
    item = await hub.items.issue(office, ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT,
                                                    title="关于开展安全生产大检查的通知", body="请部署。",
                                                    main_units=tuple(await unit_ids(hub, "XSZ"))))
    leader, totp = await enrolled_leader(hub, "xsz.leader")
    code = totp.at(hub.clock.now())
    first = await hub.documents.instruct(leader, item.id, "请安监办牵头落实。", code)
    again = await hub.documents.instruct(leader, item.id, "请安监办牵头落实。", code)
    assert again == first
    view = await hub.items.view(await actor(hub, "xsz.clerk2"), item.id)
    assert [e.type for e in view.events].count("item.instruction") == 1
    with pytest.raises(XietongError) as e:        # a different text with the used code is a new instruction
        await hub.documents.instruct(leader, item.id, "另一条批示", code)
    assert e.value.code == "otp.reused"
