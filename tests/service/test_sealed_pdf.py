"""The stamped document as a PDF that carries its seal: PAdES, checked by pyHanko's own validator
and by ours, the seal picture placed as GB/T 9704 says, and the trusted time from the authority's
time-stamp service on the hub's clock."""

import asyncio
import io
import warnings
from datetime import timedelta

import pdfplumber
import pytest

from hub.crypto.pades import verify_pdf
from hub.domain.documents import DocOp
from hub.errors import XietongError
from tests.service.seal_helpers import (
    KEEPER_PASSWORD,
    active_seal,
    approved_request,
    registered_document,
    stamp,
    with_authority,
)
from tests.service.test_documents import fields
from tests.service.test_paper_pdf import MM, lines_of
from tests.service.test_urgent_items import actor

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from asn1crypto import pem
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext


async def verify(data: bytes, authority: bytes, crl: bytes):
    return await asyncio.to_thread(verify_pdf, data, authority, crl)     # blocking: the server runs it so too


async def sealed(hub):
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, office, leader, totp = await registered_document(hub)
    stamping = await stamp(hub, doc, seal, leader, totp)
    return doc, office, seal, stamping


async def pyhanko_status(data: bytes, authority_pem: bytes):
    _, _, der = pem.unarmor(authority_pem)
    context = ValidationContext(trust_roots=[ax509.Certificate.load(der)], allow_fetching=False,
                                revocation_mode="soft-fail")
    (sig,) = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return await async_validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=context)


async def test_stamping_makes_a_pdf_signed_with_the_seal_that_pyhanko_and_verify_accept(demo_hub):
    hub = demo_hub
    doc, office, seal, stamping = await sealed(hub)
    assert stamping.has_pdf
    name, data = await hub.paper.pdf(office, doc.id)
    assert name == "示政办发〔2026〕1号.pdf"
    authority = await hub.seals.authority_pem()
    status = await pyhanko_status(data, authority)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.timestamp_validity.timestamp == stamping.at.replace(microsecond=0)   # the hub's clock
    report = await verify(data, authority, await hub.seals.crl_der())
    assert report.ok and report.status == "valid", report.text()
    assert [f.check for f in report.findings] == ["content", "signature", "time", "issuer", "validity", "revocation"]
    assert report.seal_name == seal.name and report.signing_time == status.timestamp_validity.timestamp
    again = await hub.paper.pdf(await actor(hub, "bgs.clerk1"), doc.id)
    assert again[1] == data                                   # the file as it was signed, byte for byte


async def test_one_changed_byte_or_a_page_added_after_stamping_is_reported(demo_hub):
    hub = demo_hub
    doc, office, _, _ = await sealed(hub)
    _, data = await hub.paper.pdf(office, doc.id)
    authority, crl = await hub.seals.authority_pem(), await hub.seals.crl_der()
    at = data.index(b"/Contents", len(data) // 4) - 200        # inside the signed range, in a content stream
    changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    assert not (await pyhanko_status(changed, authority)).intact
    report = await verify(changed, authority, crl)
    assert report.status == "invalid"
    (content,) = [f for f in report.findings if f.check == "content"]
    assert not content.ok and "ALTERED" in content.en and "篡改" in content.zh
    appended = data + b"\n% a line added after the seal\n"
    report = await verify(appended, authority, crl)
    assert report.status == "invalid" and "CHANGED after stamping" in report.text()


async def test_a_seal_revoked_after_stamping_gives_the_historical_answer_on_the_pdf(demo_hub):
    hub = demo_hub
    doc, office, seal, _ = await sealed(hub)
    _, data = await hub.paper.pdf(office, doc.id)
    hub.clock.advance(timedelta(days=10))
    await hub.seals.revoke(await actor(hub, "admin"), seal.id, "印章遗失")
    report = await verify(data, await hub.seals.authority_pem(), await hub.seals.crl_der())
    assert report.ok and report.status == "valid_since_revoked", report.text()
    assert "盖章时印章有效" in report.text("zh")


async def test_a_pdf_not_from_this_authority_or_not_sealed_is_refused(demo_hub):
    hub = demo_hub
    doc, office, _, _ = await sealed(hub)
    _, data = await hub.paper.pdf(office, doc.id)
    from cryptography.hazmat.primitives.serialization import Encoding

    from hub.crypto.seals import make_authority
    _, other = make_authority("别处的印章制作中心", hub.clock.now())
    report = await verify(data, other.public_bytes(Encoding.PEM), await hub.seals.crl_der())
    assert report.status == "invalid" and "NOT issued by the seal authority" in report.text()
    draft = await hub.documents.draft(await actor(hub, "bgs.clerk1"), await fields(hub))
    unsealed = (await hub.paper.pdf(office, draft.id))[1]
    report = await verify(unsealed, await hub.seals.authority_pem(), await hub.seals.crl_der())
    assert report.status == "invalid" and "carries no signature" in report.text()


async def test_the_seal_sits_over_the_signature_and_the_date_within_a_line_of_the_text(demo_hub):
    hub = demo_hub
    doc, office, _, _ = await sealed(hub)
    _, data = await hub.paper.pdf(office, doc.id)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        (page,) = [p for p in pdf.pages if p.annots]
        (widget,) = page.annots
        x0, x1 = widget["x0"] / MM, widget["x1"] / MM
        top, bottom = widget["top"] / MM, widget["bottom"] / MM
        assert abs((x1 - x0) - 42) < 1 and abs((bottom - top) - 42) < 1     # a 42 mm seal
        lines = lines_of(page)
        (dated,) = [ln for ln in lines if ln[3].startswith("2026年") and ln[3].endswith("日")]
        signature = lines[lines.index(dated) - 1]
        assert signature[3] == "示范区人民政府办公室"
        assert abs((x0 + x1) / 2 - (dated[1] + dated[2]) / 2) < 0.5          # centred on the date
        centre = (top + bottom) / 2
        assert signature[0] < centre + 2 and dated[0] + 5.5 > centre         # both near its centre, below it
        above = max(ln[0] for ln in lines if ln[0] < signature[0] - 1)       # the last text above
        assert top - (above + 5.5) < 225 / 22                                 # within one line of it


async def test_stamping_an_unapproved_version_or_twice_is_refused(demo_hub):
    hub = demo_hub
    await with_authority(hub)
    seal = await active_seal(hub)
    doc, office, leader, totp = await registered_document(hub)
    request = await approved_request(hub, doc, seal, leader, totp)
    await hub.seals.stamp(await actor(hub, "bgs.seal"), request.id, KEEPER_PASSWORD)
    with pytest.raises(XietongError) as e:
        await hub.seals.stamp(await actor(hub, "bgs.seal"), request.id, KEEPER_PASSWORD)
    assert e.value.status == 409
    with pytest.raises(XietongError):
        await hub.documents.act(office, doc.id, DocOp.SEAL)


async def test_without_the_chinese_fonts_stamping_still_signs_the_detached_stamp_and_the_pdf_says_what_to_install(
        demo_hub):
    from hub.config import PaperConfig
    from hub.render.paper import renderer_for
    hub = demo_hub
    hub.seals.sealed.renderer = hub.paper.renderer = renderer_for(PaperConfig(body_font="No Such FangSong"))
    doc, office, _, stamping = await sealed(hub)
    assert not stamping.has_pdf                                  # the usage register's line, without a PDF
    exported = await hub.seals.export(office, doc.id)            # the detached stamp, as before
    from hub.crypto.seal_package import verify_export
    assert verify_export(exported, await hub.seals.authority_pem(), await hub.seals.crl_der()).ok
    with pytest.raises(XietongError) as e:
        await hub.paper.pdf(office, doc.id)
    assert e.value.status == 503 and "fonts-noto-cjk" in e.value.message("en")
