"""The stamped document as a PDF that carries its seal: a PAdES signature (pyHanko) over the whole
file, the red seal picture as the signature's appearance, and an RFC 3161 time-stamp token.

pyHanko because it is the kept Python implementation of PAdES (ISO 32000 signatures, ETSI EN 319 142
baseline B-B/B-T) with validation: any PDF reader shows the signature and whether the file changed
after it. PAdES ignores a CMS signingTime, so the stamping's time is a time-stamp token (B-T) made
by the seal authority's own time-stamp service, on the hub's clock, with a certificate the
authority issued (hub.crypto.seals.issue_tsa_cert): a verifier sees a trusted time without
reaching outside the network. The token is made in process (hub.crypto.tsa: the same RFC 3161
structure a TSA answers over HTTP), so stamping needs no second server.

`verify_pdf` needs nothing but the file, the authority's certificate and its revocation list, and
gives the same answers as the detached stamp's check (hub.crypto.seal_package): altered, not issued
by the authority, not valid at stamping time, revoked since (the historical answer).
"""

from __future__ import annotations

import io
import logging
import tempfile
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hub.crypto.seal_algorithms import DEFAULT, PrivateKey, SealAlgorithm
from hub.crypto.seal_package import Finding, VerifyReport, chain_findings, revocation_finding
from hub.crypto.seals import authority_name, subject_of
from hub.crypto.tsa import asn1_cert, authority_time_stamper
from hub.domain.paper import PAGE_MM, SealPlace

log = logging.getLogger(__name__)

MM = 72 / 25.4
SEAL_MM = 42.0            # a unit's official seal: 42 mm across
FIELD = "Seal"
PAGE_HEIGHT_MM = PAGE_MM[1]


def _asn1_key(key: PrivateKey) -> Any:
    from asn1crypto import keys as akeys
    return akeys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))


def sign_pdf(pdf: bytes, at: SealPlace, appearance_pdf: bytes, seal_cert: x509.Certificate, seal_key: PrivateKey,
             authority: x509.Certificate, tsa_cert: x509.Certificate, tsa_key: PrivateKey, when: datetime,
             reason: str, alg: SealAlgorithm = DEFAULT) -> bytes:
    """The PDF signed with the seal (PAdES B-T), the seal picture over 署名 and 成文日期 (blocking)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.stamp import StaticStampStyle
        from pyhanko_certvalidator.registry import SimpleCertificateStore

    chain = SimpleCertificateStore.from_certs([asn1_cert(authority)])
    signer = signers.SimpleSigner(signing_cert=asn1_cert(seal_cert), signing_key=_asn1_key(seal_key), cert_registry=chain)
    stamper = authority_time_stamper(tsa_cert, tsa_key, authority, when, alg)
    r = SEAL_MM / 2
    box = (round((at.x_mm - r) * MM), round((PAGE_HEIGHT_MM - at.y_mm - r) * MM),
           round((at.x_mm + r) * MM), round((PAGE_HEIGHT_MM - at.y_mm + r) * MM))
    with tempfile.TemporaryDirectory() as tmp:
        picture = Path(tmp) / "seal.pdf"
        picture.write_bytes(appearance_pdf)
        style = StaticStampStyle.from_pdf_file(str(picture), border_width=0, background_opacity=1)
        meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm=alg.digest_name, reason=reason,
                                            name=subject_of(seal_cert).seal_name,
                                            subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=stamper, stamp_style=style,
                                       new_field_spec=fields.SigFieldSpec(FIELD, on_page=at.page - 1, box=box))
        out = io.BytesIO()
        pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
    return out.getvalue()


def is_pdf(data: bytes) -> bool:
    return data.lstrip()[:5] == b"%PDF-"


def _error(why_en: str, why_zh: str) -> VerifyReport:
    return VerifyReport((Finding("package", False, f"Not a sealed PDF: {why_en}.", f"不是加盖电子印章的 PDF：{why_zh}。"),))


def verify_pdf(data: bytes, authority_pem: bytes, crl_der: bytes) -> VerifyReport:
    """Check a sealed PDF offline against the authority's certificate and revocation list (blocking,
    and not on a thread that runs an event loop: pyHanko runs its own; use asyncio.to_thread)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyhanko.pdf_utils.misc import PdfReadError
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko.sign.validation.status import SignatureCoverageLevel
        from pyhanko_certvalidator import ValidationContext
    try:
        authority = x509.load_pem_x509_certificate(authority_pem)
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError:
        return _error("the authority certificate or its revocation list cannot be read", "无法读取制作单位证书或吊销列表")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        return _error(f"the file cannot be read as a PDF ({e})", "文件无法作为 PDF 读取")
    if not signatures:
        return _error("it carries no signature", "文件中没有电子签名")
    sig = signatures[-1]
    context = ValidationContext(trust_roots=[asn1_cert(authority)], allow_fetching=False, revocation_mode="soft-fail")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=context)
    except Exception as e:  # noqa: BLE001 - a damaged signature: pyHanko raises many kinds
        log.info("a PDF signature could not be validated: %s", e)
        return _error(f"its signature is damaged ({type(e).__name__})", "签名已损坏")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    findings = [Finding("content", True, "Content intact: the file is exactly what was stamped.",
                        "内容完整：文件与盖章时完全一致。") if status.intact and whole else
                Finding("content", False, "The file was ALTERED after stamping." if not status.intact else
                        "The file was CHANGED after stamping (something was added after the seal).",
                        "文件在盖章后被篡改。" if not status.intact else "文件在盖章后被改动（盖章后又追加了内容）。")]
    findings.append(Finding("signature", True, "Signature valid: made with the seal's key over the file.",
                            "签名有效：由该印章密钥对文件签署。") if status.valid else
                    Finding("signature", False, "The signature is INVALID: it was not made with this seal's key.",
                            "签名无效：并非以该印章密钥签署。"))
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    ts = status.timestamp_validity
    when: datetime | None = None
    if ts is None:
        findings.append(Finding("time", False, "The seal carries no time-stamp: its time cannot be trusted.",
                                "印章没有时间戳，盖章时间不可信。"))
    elif not (ts.intact and ts.valid and ts.trusted):
        findings.append(Finding("time", False, "The time-stamp is not one of this authority's time-stamp service.",
                                "时间戳并非该印章制作单位的时间戳服务所签发。"))
    else:
        when = ts.timestamp
        findings.append(Finding("time", True, "The time of stamping comes from the authority's time-stamp service.",
                                "盖章时间来自印章制作单位的时间戳服务。"))
    findings += chain_findings(cert, authority, when)
    revocation, revoked_at = revocation_finding(cert, authority, crl, when)
    findings.append(revocation)
    subject = subject_of(cert)
    title = ""
    try:
        info = reader.trailer_view.get("/Info")
        info = info.get_object() if info is not None else None
        title = str(info.get("/Title", "")) if info is not None else ""
    except (AttributeError, KeyError, TypeError, ValueError):
        title = ""
    return VerifyReport(tuple(findings), title, "", subject.seal_name, subject.unit_name, when, revoked_at,
                        {"kind": subject.kind_label, "authority": authority_name(authority)})


def verify_stamped(data: bytes, authority_pem: bytes, crl_der: bytes) -> VerifyReport:
    """A stamped document as either file: the sealed PDF, or the detached stamp's package (.zip)."""
    from hub.crypto.seal_package import verify_export
    return verify_pdf(data, authority_pem, crl_der) if is_pdf(data) else verify_export(data, authority_pem, crl_der)
