"""Detached CMS SignedData (RFC 5652, the format of a .p7s file) for stampings.

One signer, its certificate embedded, signed attributes contentType, signingTime and
messageDigest; the content itself is not embedded (detached). `openssl cms -verify -binary
-content FILE` reads what `sign_detached` writes.

The structures are asn1crypto's (the ASN.1 library pyHanko is built on): we only choose the
fields. Not `PKCS7SignatureBuilder`, because that builder stamps the wall-clock time as the signing
time, while a stamping's time is the hub's clock (one clock; fake in tests and demos).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from hub.crypto.seal_algorithms import PrivateKey, SealAlgorithm, by_oids


def sign_detached(content: bytes, cert: x509.Certificate, key: PrivateKey, signing_time: datetime,
                  alg: SealAlgorithm) -> bytes:
    """A DER .p7s over `content`, signed by `key` (whose certificate `cert` is embedded)."""
    signer_cert = ax509.Certificate.load(cert.public_bytes(Encoding.DER))
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})
                                                             if signing_time.year < 2050 else
                                                             cms.Time({"generalized_time": signing_time})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [alg.digest(content)]}),
    ])
    digest = {"algorithm": alg.digest_oid}
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": signer_cert.issuer, "serial_number": signer_cert.serial_number})}),
        "digest_algorithm": digest, "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": alg.signature_oid},
        "signature": alg.sign(key, attrs.dump()),          # signed as a SET OF, sent as [0] IMPLICIT
    })
    signed = cms.SignedData({"version": "v1", "digest_algorithms": [digest],
                             "encap_content_info": {"content_type": "data"},     # no eContent: detached
                             "certificates": [signer_cert], "signer_infos": [signer]})
    der: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return der


@dataclass(frozen=True)
class CmsCheck:
    """What a detached signature says about `content`; `problem` is None when it holds."""
    problem: str | None          # unreadable | unknown_algorithm | no_certificate | digest_mismatch | bad_signature
    signer: x509.Certificate | None = None
    signing_time: datetime | None = None
    algorithm: SealAlgorithm | None = None


def verify_detached(p7s: bytes, content: bytes) -> CmsCheck:
    """Does the signature in `p7s` cover `content`, made by the key of its embedded certificate?"""
    try:
        info = cms.ContentInfo.load(p7s, strict=True)
        if info["content_type"].native != "signed_data":
            return CmsCheck("unreadable")
        signed = info["content"]
        if signed["encap_content_info"]["content_type"].native != "data" or \
                signed["encap_content_info"]["content"].native is not None:
            return CmsCheck("unreadable")               # not a detached signature over data
        (signer,) = signed["signer_infos"]
        attrs = signer["signed_attrs"]
        if not attrs:
            return CmsCheck("unreadable")
        found = {a["type"].native: a["values"][0].native for a in attrs}
        sid = signer["sid"].chosen
        certs = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"] or []
                 if c.name == "certificate"]
        digest_oid = signer["digest_algorithm"]["algorithm"].dotted
        signature_oid = signer["signature_algorithm"]["algorithm"].dotted
        signed_bytes = attrs.untag().dump(force=True)
        signature = signer["signature"].native
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return CmsCheck("unreadable")
    alg = by_oids(digest_oid, signature_oid)
    if alg is None:
        return CmsCheck("unknown_algorithm")
    issuer = sid["issuer"].dump() if isinstance(sid, cms.IssuerAndSerialNumber) else b""
    chosen = next((c for c in certs if isinstance(sid, cms.IssuerAndSerialNumber)
                   and c.serial_number == sid["serial_number"].native and c.issuer.public_bytes() == issuer), None)
    when = found.get("signing_time")
    if chosen is None:
        return CmsCheck("no_certificate", algorithm=alg)
    if found.get("message_digest") != alg.digest(content):
        return CmsCheck("digest_mismatch", chosen, when, alg)
    try:
        alg.verify(chosen.public_key(), signature, signed_bytes)
    except (InvalidSignature, TypeError):
        return CmsCheck("bad_signature", chosen, when, alg)
    return CmsCheck(None, chosen, when, alg)
