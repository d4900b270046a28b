"""Electronic seals on a real SQLite file, a fake clock and real one-time codes."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hub.app import Hub
from hub.crypto.seal_package import verify_export
from hub.domain.documents import DocState
from hub.domain.seals import SealState
from hub.errors import XietongError
from tests.service.seal_helpers import (
    KEEPER_PASSWORD,
    PASSPHRASE,
    active_seal,
    approved_request,
    made_seal,
    registered_document,
    stamp,
    with_authority,
)
from tests.service.test_urgent_items import actor

REASON = "依据印章管理办法"


async def test_a_seal_is_made_then_activated_when_its_keeper_sets_the_password(demo_hub):
    hub = demo_hub
    authority = x509.load_pem_x509_certificate(await with_authority(hub))
    seal = await made_seal(hub)
    assert seal.state is SealState.MADE and seal.key_wrap == "authority"
    cert = x509.load_pem_x509_certificate(seal.cert_pem)
    cert.verify_directly_issued_by(authority)
    assert "O=示范区人民政府办公室" in cert.subject.rfc4514_string() and "OU=法定名称章" in cert.subject.rfc4514_string()
    assert cert.not_valid_before_utc == hub.clock.now() and cert.not_valid_after_utc - cert.not_valid_before_utc == \
        timedelta(days=365)
    keeper = await actor(hub, "bgs.seal")
    seal = await hub.seals.set_seal_password(keeper, seal.id, KEEPER_PASSWORD)
    assert seal.state is SealState.ACTIVE and seal.key_wrap == "keeper"
    history = await hub.seals.history(seal.id)
    assert [(h.event, h.from_state, h.to_state) for h in history] == [("make", "", "made"),
                                                                      ("activate", "made", "active")]
    assert history[0].actor_login == "admin" and history[1].actor_name == keeper.name


async def test_the_seal_password_is_changed_only_with_the_old_one(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    keeper = await actor(hub, "bgs.seal")
    for old, code in [(None, "seal.old_password_required"), ("not the password", "seal.wrong_password")]:
        with pytest.raises(XietongError) as e:
            await hub.seals.set_seal_password(keeper, seal.id, "New-Seal@2027", old)
        assert e.value.code == code
    await hub.seals.set_seal_password(keeper, seal.id, "New-Seal@2027", KEEPER_PASSWORD)
    assert [h.event for h in await hub.seals.history(seal.id)][-1] == "password"
    with pytest.raises(XietongError) as e:          # another unit's keeper may not
        await hub.seals.set_seal_password(await actor(hub, "dhz.leader"), seal.id, "x" * 12)
    assert e.value.code in ("perm.denied", "seal.not_found")


async def test_only_the_super_admin_makes_and_changes_seals(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    unit_id = seal.unit_id
    for login in ("bgs.seal", "bgs.leader", "dh.admin", "bgs.clerk1"):
        who = await actor(hub, login)
        with pytest.raises(XietongError) as e:
            await hub.seals.make_seal(who, unit_id, "official", "自制印章", 30)
        assert e.value.code == "perm.denied"
        with pytest.raises(XietongError) as e:
            await hub.seals.revoke(who, seal.id, REASON)
        assert e.value.code == "perm.denied"


async def test_suspend_and_resume_are_registered_with_who_and_why(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    admin = await actor(hub, "admin")
    with pytest.raises(XietongError) as e:
        await hub.seals.suspend(admin, seal.id, "  ")
    assert e.value.code == "seal.reason_required"
    assert (await hub.seals.suspend(admin, seal.id, "印章管理员休假")).state is SealState.SUSPENDED
    with pytest.raises(XietongError) as e:
        await hub.seals.replace(admin, seal.id, REASON)
    assert e.value.code == "seal.bad_state"
    hub.clock.advance(timedelta(days=3))
    assert (await hub.seals.resume(admin, seal.id, "返岗")).state is SealState.ACTIVE
    history = await hub.seals.history(seal.id)
    assert [(h.event, h.reason) for h in history][-2:] == [("suspend", "印章管理员休假"), ("resume", "返岗")]
    assert history[-1].at - history[-2].at == timedelta(days=3)


async def test_replacing_makes_a_new_seal_and_lists_the_old_one_as_superseded(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    old = await active_seal(hub)
    new = await hub.seals.replace(await actor(hub, "admin"), old.id, "印章更新")
    old = await hub.seals.seal(await actor(hub, "admin"), old.id)
    assert old.state is SealState.REPLACED and old.replaced_by_id == new.id and new.replaces_id == old.id
    assert new.state is SealState.MADE and (new.kind, new.name, new.unit_id) == (old.kind, old.name, old.unit_id)
    crl = x509.load_der_x509_crl(await hub.seals.crl_der())
    (entry,) = list(crl)
    assert entry.serial_number == int(old.serial, 16)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.superseded


async def test_the_revocation_list_lists_exactly_the_revoked_seals(demo_hub):
    hub = demo_hub
    authority = x509.load_pem_x509_certificate(await with_authority(hub))
    first = x509.load_der_x509_crl(await hub.seals.crl_der())
    assert len(first) == 0 and first.is_signature_valid(authority.public_key())
    admin = await actor(hub, "admin")
    kept, revoked, made = await active_seal(hub), await active_seal(hub, "DHZ", None), await made_seal(hub, "XSZ")
    await hub.seals.revoke(admin, revoked.id, "机构撤并")
    await hub.seals.revoke(admin, made.id, "制作有误")
    crl = x509.load_der_x509_crl(await hub.seals.crl_der())
    assert crl.is_signature_valid(authority.public_key()) and crl.issuer == authority.subject
    assert {e.serial_number for e in crl} == {int(revoked.serial, 16), int(made.serial, 16)}
    assert crl.get_revoked_certificate_by_serial_number(int(kept.serial, 16)) is None
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    hub.clock.advance(timedelta(days=8))             # a lapsed list is renewed when asked for
    renewed = x509.load_der_x509_crl(await hub.seals.crl_der())
    assert renewed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number + 1
    assert renewed.next_update_utc > hub.clock.now() and len(renewed) == 2


async def test_destroying_wipes_the_key_and_keeps_the_record(demo_hub, db_path):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    admin = await actor(hub, "admin")
    with pytest.raises(XietongError) as e:
        await hub.seals.destroy(admin, seal.id, REASON)
    assert e.value.code == "seal.bad_state"
    await hub.seals.revoke(admin, seal.id, "停止使用")
    seal = await hub.seals.destroy(admin, seal.id, "到期销毁")
    assert seal.state is SealState.DESTROYED and not seal.has_key
    row = await stored_row(hub, "SELECT key_enc, key_kdf, cert_pem FROM seals WHERE id = ?", seal.id)
    assert row[0] is None and row[1] is None and row[2]
    assert [h.event for h in await hub.seals.history(seal.id)] == ["make", "activate", "revoke", "destroy"]
    assert seal.id in [s.id for s in await hub.seals.seals(admin)]


async def test_an_admin_reset_of_a_forgotten_password_destroys_the_seal_and_makes_a_replacement(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    new = await hub.seals.reset_keeper_password(await actor(hub, "admin"), seal.id, "保管人遗忘印章密码")
    old = await hub.seals.seal(await actor(hub, "admin"), seal.id)
    assert old.state is SealState.DESTROYED and not old.has_key and old.replaced_by_id == new.id
    assert new.state is SealState.MADE
    crl = x509.load_der_x509_crl(await hub.seals.crl_der())
    assert [e.serial_number for e in crl] == [int(old.serial, 16)]
    active = await hub.seals.set_seal_password(await actor(hub, "bgs.seal"), new.id, "Brand-New@2026")
    assert active.state is SealState.ACTIVE


async def stored_row(hub: Hub, sql: str, *args: object) -> tuple[object, ...]:
    """A row as the database holds it, read past the services."""
    async with hub.store.read() as tx, tx.conn.execute(sql, args) as cur:
        row = await cur.fetchone()
    assert row is not None
    return tuple(row)


async def test_the_seal_key_is_unusable_without_the_keepers_password(demo_hub, db_path):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    (stored,) = await stored_row(hub, "SELECT key_enc FROM seals WHERE id = ?", seal.id)
    assert stored.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") and b"BEGIN PRIVATE KEY" not in stored
    for password in (None, b"wrong", KEEPER_PASSWORD.encode()):      # the password is stretched first
        with pytest.raises((TypeError, ValueError)):
            load_pem_private_key(stored, password)
    (authority_key,) = await stored_row(hub, "SELECT key_enc FROM seal_authority")
    assert authority_key.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


async def test_the_authority_unlocks_only_with_its_passphrase(demo_hub, tmp_path, db_path, clock):
    hub = demo_hub
    await with_authority(hub)
    with pytest.raises(XietongError) as e:
        await with_authority(hub)
    assert e.value.code == "seal.authority_exists"
    (tmp_path / "pass").write_text(PASSPHRASE + "\n", encoding="utf-8")
    second = await Hub.start(hub.config.with_overrides(seals={"authority_passphrase_file": str(tmp_path / "pass")}),
                             clock)
    wrong = await Hub.start(hub.config.with_overrides(seals={"authority_passphrase": "not it at all"}), clock)
    try:
        assert second.seals.unlocked and not wrong.seals.unlocked
        await made_seal(second, "DHZ")
        with pytest.raises(XietongError) as e:
            await made_seal(wrong, "DHZ")
        assert e.value.code == "seal.authority_locked"
        with pytest.raises(XietongError) as e:
            await wrong.seals.unlock("still wrong")
        assert e.value.code == "seal.bad_passphrase"
    finally:
        await second.close()
        await wrong.close()


async def test_stamping_signs_writes_the_register_and_seals_the_document(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, office, leader, totp = await registered_document(hub)
    stamping = await stamp(hub, doc, seal, leader, totp)
    view = await hub.documents.view(office, doc.id)
    assert view.doc.state is DocState.SEALED and view.history[-1].op == "seal"
    assert stamping.digest == view.doc.signed_digest            # what the leader signed is what was stamped
    assert (stamping.keeper_name, stamping.approver_name) == ((await actor(hub, "bgs.seal")).name, leader.name)
    assert stamping.at == hub.clock.now()
    assert [s.id for s in await hub.seals.stampings(office, doc.id)] == [stamping.id]
    async with hub.store.read() as tx:
        actions = [r.action for r in (await tx.audit.page(None, 20, "seal."))]
    assert {"seal.request_use", "seal.approve_use", "seal.stamp"} <= set(actions)


async def test_requests_and_approvals_are_checked(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal, dhz_seal = await active_seal(hub), await active_seal(hub, "DHZ", None)
    doc, office, leader, totp = await registered_document(hub)
    with pytest.raises(XietongError) as e:
        await hub.seals.request_use(office, doc.id, dhz_seal.id)
    assert e.value.code == "seal.wrong_unit"
    with pytest.raises(XietongError) as e:
        await hub.seals.request_use(await actor(hub, "dhz.clerk1"), doc.id, seal.id)
    assert e.value.code == "document.not_found"
    request = await hub.seals.request_use(office, doc.id, seal.id)
    with pytest.raises(XietongError) as e:
        await hub.seals.request_use(office, doc.id, seal.id)
    assert e.value.code == "seal.request_exists"
    keeper = await actor(hub, "bgs.seal")
    with pytest.raises(XietongError) as e:
        await hub.seals.stamp(keeper, request.id, KEEPER_PASSWORD)
    assert e.value.code == "seal.request_bad_state"
    with pytest.raises(XietongError) as e:
        await hub.seals.approve_use(await actor(hub, "dhz.leader"), request.id, "123456")
    assert e.value.code == "seal.request_not_found"
    hub.clock.advance(timedelta(seconds=30))
    with pytest.raises(XietongError) as e:
        await hub.seals.approve_use(leader, request.id, "000000" if totp.at(hub.clock.now()) != "000000" else "111111")
    assert e.value.code == "otp.wrong"
    assert [r.id for r in await hub.seals.pending_requests(leader)] == [request.id]
    await hub.seals.approve_use(leader, request.id, totp.at(hub.clock.now()))
    await hub.seals.stamp(keeper, request.id, KEEPER_PASSWORD)
    with pytest.raises(XietongError) as e:
        await hub.seals.stamp(keeper, request.id, KEEPER_PASSWORD)
    assert e.value.code == "seal.request_bad_state"


@pytest.mark.parametrize("change,code,words", [
    ("suspend", "seal.suspended", "停用"), ("revoke", "seal.revoked", "注销"),
    ("replace", "seal.replaced", "更换"), ("expire", "seal.expired", "有效期"),
])
async def test_stamping_with_a_seal_no_longer_usable_is_refused_clearly(demo_hub, change, code, words):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub, days=1)
    doc, office, leader, totp = await registered_document(hub)
    request = await approved_request(hub, doc, seal, leader, totp)
    if change == "expire":
        hub.clock.advance(timedelta(days=2))
    else:
        await getattr(hub.seals, change)(await actor(hub, "admin"), seal.id, REASON)
    with pytest.raises(XietongError) as e:
        await hub.seals.stamp(await actor(hub, "bgs.seal"), request.id, KEEPER_PASSWORD)
    assert e.value.code == code and words in e.value.message("zh")
    assert (await hub.documents.view(office, doc.id)).doc.state is DocState.REGISTERED


async def test_a_wrong_seal_password_is_refused_throttled_and_audited(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, _, leader, totp = await registered_document(hub)
    request = await approved_request(hub, doc, seal, leader, totp)
    keeper = await actor(hub, "bgs.seal")
    for _ in range(5):
        with pytest.raises(XietongError) as e:
            await hub.seals.stamp(keeper, request.id, "Guess@2026")
        assert e.value.code == "seal.wrong_password"
    with pytest.raises(XietongError) as e:                     # now even the right one waits
        await hub.seals.stamp(keeper, request.id, KEEPER_PASSWORD)
    assert e.value.code == "seal.password_throttled" and e.value.params["minutes"] == 15
    async with hub.store.read() as tx:
        actions = [r.action for r in await tx.audit.page(None, 50, "seal.password")]
    assert actions.count("seal.password_failed") == 5 and "seal.password_refused" in actions
    hub.clock.advance(timedelta(minutes=15))
    assert (await hub.seals.stamp(keeper, request.id, KEEPER_PASSWORD)).seal_id == seal.id


async def _stamped_export(hub):
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, office, leader, totp = await registered_document(hub)
    stamping = await stamp(hub, doc, seal, leader, totp)
    return await hub.seals.export(office, doc.id), seal, stamping


async def test_a_stamped_export_verifies_offline_with_only_the_authority_and_its_list(demo_hub):
    hub = demo_hub
    data, seal, stamping = await _stamped_export(hub)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"manifest.json", "signature.p7s", "seal.pem", "seal.svg", "attachments/01-防火要点.txt"} == set(names)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["digest"]["value"] == stamping.digest and manifest["authority"]["name"] == "示范区电子印章制作中心"
    assert manifest["document"]["doc_number"] == "示政办发〔2026〕1号"
    report = verify_export(data, await hub.seals.authority_pem(), await hub.seals.crl_der())
    assert report.ok and report.status == "valid", report.text()
    assert [f.check for f in report.findings] == ["content", "signature", "issuer", "validity", "revocation"]
    assert report.signing_time == stamping.at and report.seal_name == seal.name
    assert all(f.en and f.zh for f in report.findings)


@pytest.mark.parametrize("target", ["body", "attachment"])
async def test_a_changed_byte_of_content_or_attachment_is_reported_altered(demo_hub, target):
    hub = demo_hub
    data, _, _ = await _stamped_export(hub)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            content = source.read(info)
            if target == "body" and info.filename == "manifest.json":
                content = content.replace("防火工作".encode(), "防汛工作".encode(), 1)
            if target == "attachment" and info.filename.startswith("attachments/"):
                content = bytes([content[0] ^ 0x01]) + content[1:]
            z.writestr(info, content)
    report = verify_export(out.getvalue(), await hub.seals.authority_pem(), await hub.seals.crl_der())
    assert not report.ok and report.status == "invalid"
    (content,) = [f for f in report.findings if f.check == "content"]
    assert not content.ok and "ALTERED" in content.en and "篡改" in content.zh
    assert ("防火要点.txt" in content.en) is (target == "attachment")


async def test_a_seal_revoked_after_stamping_gives_the_historical_answer(demo_hub):
    hub = demo_hub
    data, seal, _ = await _stamped_export(hub)
    hub.clock.advance(timedelta(days=10))
    await hub.seals.revoke(await actor(hub, "admin"), seal.id, "印章遗失")
    report = verify_export(data, await hub.seals.authority_pem(), await hub.seals.crl_der())
    assert report.ok and report.status == "valid_since_revoked", report.text()
    (revocation,) = [f for f in report.findings if f.check == "revocation"]
    assert "Stamped while valid" in revocation.en and "since been revoked" in revocation.en
    assert "盖章时印章有效" in revocation.zh and report.revoked_at is not None


async def test_the_picture_shows_the_units_name_and_the_seals_kind(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await made_seal(hub)
    svg = await hub.seals.picture_svg(seal.id)
    assert svg.startswith("<svg") and all(ch in svg for ch in "示范区人民政府办公室") and "法定名称章" in svg
    business = await made_seal(hub, kind="business", name="合同专用章")
    assert "合同专用章" in await hub.seals.picture_svg(business.id)
