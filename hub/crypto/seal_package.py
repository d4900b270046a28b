"""The stamped document as one file, and its offline verification.

A package is a zip: `manifest.json` (the content fields, the attachments'
names and hashes, the stamped digest, the signing time, the authority's name),
the attachments under `attachments/`, `signature.p7s` (detached CMS over the
digest), `seal.pem` (the seal's certificate) and `seal.svg` (its picture, for
display only). `verify_export` needs nothing but the package, the authority's
certificate and its revocation list: no database, no network.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from hub.crypto.cms import verify_detached
from hub.crypto.seals import authority_name, content_statement, subject_of
from hub.domain.calendar import CST
from hub.domain.documents import Content

FORMAT = "xietong-sealed-document/1"
MAX_MEMBER = 64 * 1024 * 1024          # refuse zip members larger than this (a zip bomb)


@dataclass(frozen=True)
class PackedAttachment:
    name: str
    content_type: str
    data: bytes


def build_package(document: dict[str, Any], attachments: list[PackedAttachment], digest: str, signature: bytes,
                  seal_cert_pem: bytes, picture_svg: str, signing_time: datetime, authority: str,
                  register: dict[str, Any]) -> bytes:
    """`document` holds the Content fields (title, body, doc_kind, urgency, issuing_office, main_units,
    copy_units) and anything shown beside them (doc_number, unit names)."""
    files: list[tuple[str, bytes]] = []
    listed = []
    for i, a in enumerate(attachments, start=1):
        path = f"attachments/{i:02d}-{a.name.replace('/', '_').replace(chr(92), '_')}"
        files.append((path, a.data))
        listed.append({"name": a.name, "file": path, "content_type": a.content_type, "size": len(a.data),
                       "sha256": hashlib.sha256(a.data).hexdigest()})
    manifest = {
        "format": FORMAT,
        "document": document,
        "attachments": listed,
        "digest": {"algorithm": "sha256", "of": "xietong canonical content (Content.digest)", "value": digest},
        "signature": "signature.p7s",
        "seal": {"certificate": "seal.pem", "picture": "seal.svg"},
        "signing_time": signing_time.isoformat(),
        "authority": {"name": authority},
        "register": register,
    }
    stamp = signing_time.astimezone(CST).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in [("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode()),
                           ("signature.p7s", signature), ("seal.pem", seal_cert_pem),
                           ("seal.svg", picture_svg.encode()), *files]:
            z.writestr(zipfile.ZipInfo(name, date_time=stamp), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# -- verification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    check: str          # package | content | signature | issuer | validity | revocation
    ok: bool
    en: str
    zh: str


@dataclass(frozen=True)
class VerifyReport:
    findings: tuple[Finding, ...]
    title: str = ""
    doc_number: str = ""
    seal_name: str = ""
    unit_name: str = ""
    signing_time: datetime | None = None
    revoked_at: datetime | None = None      # the seal is on the revocation list since then
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    @property
    def status(self) -> str:
        """valid | valid_since_revoked (stamped while valid, seal since revoked) | invalid"""
        if not self.ok:
            return "invalid"
        return "valid_since_revoked" if self.revoked_at is not None else "valid"

    def text(self, lang: str = "en") -> str:
        return "\n".join(("✔ " if f.ok else "✘ ") + (f.en if lang.startswith("en") else f.zh) for f in self.findings)


def _t(when: datetime) -> str:
    return when.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+8)"


def _package_error(why: str) -> VerifyReport:
    return VerifyReport((Finding("package", False, f"Not a readable sealed-document package: {why}.",
                                 f"不是可读取的电子用印公文包：{why}。"),))


def _read(z: zipfile.ZipFile, name: str) -> bytes:
    info = z.getinfo(name)
    if info.file_size > MAX_MEMBER:
        raise ValueError(f"{name} is too large")
    return z.read(info)


def verify_export(data: bytes, authority_pem: bytes, crl_der: bytes) -> VerifyReport:
    """Check a package offline against the authority's certificate and revocation list."""
    try:
        authority = x509.load_pem_x509_certificate(authority_pem)
    except ValueError:
        return _package_error("the authority certificate is not a PEM certificate")
    try:
        crl = x509.load_der_x509_crl(crl_der)
    except ValueError:
        return _package_error("the revocation list is not a DER CRL")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            manifest = json.loads(_read(z, "manifest.json"))
            if manifest.get("format") != FORMAT:
                return _package_error(f"unknown format {manifest.get('format')!r}")
            doc = manifest["document"]
            files = {a["file"]: _read(z, a["file"]) for a in manifest["attachments"]}
            signature = _read(z, manifest["signature"])
        stamped_digest = str(manifest["digest"]["value"])
        content = Content(str(doc["title"]), str(doc["body"]), str(doc["doc_kind"]), str(doc["urgency"]),
                          str(doc["issuing_office"]), tuple(int(u) for u in doc["main_units"]),
                          tuple(int(u) for u in doc["copy_units"]),
                          tuple((str(a["name"]), hashlib.sha256(files[a["file"]]).hexdigest())
                                for a in manifest["attachments"]))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as e:
        return _package_error(str(e) or type(e).__name__)

    findings = [_content_finding(content, stamped_digest, manifest["attachments"], files)]
    check = verify_detached(signature, content_statement(stamped_digest))
    findings.append(_signature_finding(check.problem))
    report = VerifyReport(tuple(findings), str(doc.get("title", "")), str(doc.get("doc_number") or ""))
    if check.signer is None:
        return report
    seal = check.signer
    subject = subject_of(seal)
    when = check.signing_time
    findings += chain_findings(seal, authority, when)
    revocation, revoked_at = revocation_finding(seal, authority, crl, when)
    findings.append(revocation)
    return VerifyReport(tuple(findings), report.title, report.doc_number, subject.seal_name, subject.unit_name,
                        when, revoked_at, {"kind": subject.kind_label, "authority": authority_name(authority)})


def _content_finding(content: Content, stamped: str, listed: list[dict[str, Any]],
                     files: dict[str, bytes]) -> Finding:
    if content.digest() == stamped:
        return Finding("content", True, "Content intact: the text and the attachments are exactly what was stamped.",
                       "内容完整：正文和附件与盖章时完全一致。")
    changed = [a["name"] for a in listed if hashlib.sha256(files[a["file"]]).hexdigest() != a.get("sha256")]
    what_en = f"the attachment(s) {', '.join(changed)}" if changed else "the text or its header fields"
    what_zh = f"附件 {'、'.join(changed)}" if changed else "正文或版头字段"
    return Finding("content", False, f"Content ALTERED since stamping: {what_en} changed.",
                   f"内容已被篡改：盖章后{what_zh}发生了变化。")


_SIGNATURE_PROBLEMS = {
    "unreadable": ("The signature file is damaged or not a CMS signature.", "签名文件已损坏或不是 CMS 签名。"),
    "unknown_algorithm": ("The signature uses an algorithm this verifier does not know.", "签名所用算法无法识别。"),
    "no_certificate": ("The signature does not carry the seal's certificate.", "签名中没有印章证书。"),
    "digest_mismatch": ("The signature does not cover the digest recorded in the package.",
                        "签名与文件包中记录的内容摘要不符。"),
    "bad_signature": ("The signature is INVALID: it was not made with this seal's key over this digest.",
                      "签名无效：并非以该印章密钥对该摘要所作。"),
}


def _signature_finding(problem: str | None) -> Finding:
    if problem is None:
        return Finding("signature", True, "Signature valid: made with the seal's key over the stamped digest.",
                       "签名有效：由该印章密钥对盖章时的内容摘要签署。")
    en, zh = _SIGNATURE_PROBLEMS[problem]
    return Finding("signature", False, en, zh)


def chain_findings(seal: x509.Certificate, authority: x509.Certificate, when: datetime | None) -> list[Finding]:
    name = authority_name(authority)
    try:
        seal.verify_directly_issued_by(authority)
        constraints = authority.extensions.get_extension_for_class(x509.BasicConstraints).value
        issued = constraints.ca
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        issued = False
    out = [Finding("issuer", True, f"The seal's certificate was issued by the seal authority “{name}”.",
                   f"印章证书由印章制作单位“{name}”签发。") if issued else
           Finding("issuer", False, f"The seal's certificate was NOT issued by the seal authority “{name}”.",
                   f"印章证书并非由印章制作单位“{name}”签发。")]
    start, end = seal.not_valid_before_utc, seal.not_valid_after_utc
    if when is None:
        out.append(Finding("validity", False, "The signature carries no signing time.", "签名中没有签署时间。"))
    elif start <= when <= end and authority.not_valid_before_utc <= when <= authority.not_valid_after_utc:
        out.append(Finding("validity", True, f"Stamped at {_t(when)}, within the seal's validity "
                                             f"({_t(start)} to {_t(end)}).",
                           f"盖章时间 {_t(when)}，在印章有效期（{_t(start)} 至 {_t(end)}）内。"))
    else:
        out.append(Finding("validity", False, f"Stamped at {_t(when)}, OUTSIDE the seal's validity "
                                              f"({_t(start)} to {_t(end)}).",
                           f"盖章时间 {_t(when)} 不在印章有效期（{_t(start)} 至 {_t(end)}）内。"))
    return out


def revocation_finding(seal: x509.Certificate, authority: x509.Certificate, crl: x509.CertificateRevocationList,
                        when: datetime | None) -> tuple[Finding, datetime | None]:
    if crl.issuer != authority.subject or seal.issuer != crl.issuer or \
            not crl.is_signature_valid(authority.public_key()):  # type: ignore[arg-type]
        return Finding("revocation", False, "The revocation list is not signed by the seal's authority.",
                       "吊销列表并非由该印章的制作单位签发。"), None
    listed = crl.get_revoked_certificate_by_serial_number(seal.serial_number)
    issued = _t(crl.last_update_utc)
    if listed is None:
        return Finding("revocation", True, f"The seal is not revoked (revocation list of {issued}).",
                       f"印章未被注销（吊销列表签发于 {issued}）。"), None
    since = listed.revocation_date_utc
    if when is not None and when < since:
        return Finding("revocation", True, f"Stamped while valid; the seal has since been revoked (on {_t(since)}).",
                       f"盖章时印章有效；该印章已于 {_t(since)} 注销。"), since
    return Finding("revocation", False, f"Stamped AFTER the seal was revoked on {_t(since)}: not valid.",
                   f"盖章时间晚于印章注销时间（{_t(since)}），用印无效。"), since
