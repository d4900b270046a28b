"""Detached CMS SignedData (RFC 5652, the format of a .p7s file) for stampings.

One signer, its certificate embedded, signed attributes contentType,
signingTime and messageDigest; the content itself is not embedded (detached).
`openssl cms -verify -binary -content FILE` reads what `sign_detached` writes.

We write the structure ourselves rather than with `PKCS7SignatureBuilder`
because that builder stamps the wall-clock time as the signing time, while a
stamping's time is the hub's clock (one clock; fake in tests and demos).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from hub.crypto import der
from hub.crypto.seal_algorithms import PrivateKey, SealAlgorithm, by_oids

ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"


def sign_detached(content: bytes, cert: x509.Certificate, key: PrivateKey, signing_time: datetime,
                  alg: SealAlgorithm) -> bytes:
    """A DER .p7s over `content`, signed by `key` (whose certificate `cert` is embedded)."""
    attrs = b"".join(sorted([
        der.seq(der.oid(ATTR_CONTENT_TYPE), der.set_of(der.oid(ID_DATA))),
        der.seq(der.oid(ATTR_SIGNING_TIME), der.set_of(der.time(signing_time))),
        der.seq(der.oid(ATTR_MESSAGE_DIGEST), der.set_of(der.octet_string(alg.digest(content)))),
    ]))
    signature = alg.sign(key, der.tlv(der.SET, attrs))      # signed as a SET OF, sent as [0] IMPLICIT
    signer = der.seq(
        der.integer(1),
        der.seq(cert.issuer.public_bytes(), der.integer(cert.serial_number)),   # issuerAndSerialNumber
        der.algorithm(alg.digest_oid),
        der.context(0, attrs),
        der.algorithm(alg.signature_oid),
        der.octet_string(signature))
    signed_data = der.seq(
        der.integer(1),
        der.set_of(der.algorithm(alg.digest_oid)),
        der.seq(der.oid(ID_DATA)),                          # no eContent: detached
        der.context(0, cert.public_bytes(Encoding.DER)),
        der.set_of(signer))
    return der.seq(der.oid(ID_SIGNED_DATA), der.context(0, signed_data))


@dataclass(frozen=True)
class CmsCheck:
    """What a detached signature says about `content`; `problem` is None when it holds."""
    problem: str | None          # unreadable | unknown_algorithm | no_certificate | digest_mismatch | bad_signature
    signer: x509.Certificate | None = None
    signing_time: datetime | None = None
    algorithm: SealAlgorithm | None = None


@dataclass(frozen=True)
class _Parsed:
    certificates: list[x509.Certificate]
    issuer: bytes
    serial: int
    digest_oid: str
    signature_oid: str
    signed_attrs: bytes           # re-tagged as the SET OF that was signed
    message_digest: bytes | None
    signing_time: datetime | None
    signature: bytes


def _parse(p7s: bytes) -> _Parsed:
    content_type, body = der.expect(der.parse(p7s), der.SEQUENCE).children()
    if der.read_oid(content_type) != ID_SIGNED_DATA or body.tag != 0xA0:
        raise der.DerError("not CMS SignedData")
    parts = der.expect(body.children()[0], der.SEQUENCE).children()
    encap = der.expect(parts[2], der.SEQUENCE).children()
    if der.read_oid(encap[0]) != ID_DATA or len(encap) != 1:
        raise der.DerError("not a detached signature over data")
    certs = [x509.load_der_x509_certificate(c.raw) for p in parts[3:] if p.tag == 0xA0 for c in p.children()]
    (signer,) = der.expect(parts[-1], der.SET).children()
    fields = der.expect(signer, der.SEQUENCE).children()
    sid = der.expect(fields[1], der.SEQUENCE).children()
    if len(fields) < 6 or fields[3].tag != 0xA0:
        raise der.DerError("no signed attributes")
    digest_oid = der.read_oid(fields[2].children()[0])
    signature_oid = der.read_oid(fields[4].children()[0])
    message_digest, signing_time = None, None
    for attr in fields[3].children():
        kind, values = attr.children()
        (value,) = values.children()
        if der.read_oid(kind) == ATTR_MESSAGE_DIGEST:
            message_digest = der.expect(value, der.OCTET_STRING).content
        elif der.read_oid(kind) == ATTR_SIGNING_TIME:
            signing_time = der.read_time(value)
    return _Parsed(certs, sid[0].raw, der.read_int(sid[1]), digest_oid, signature_oid,
                   der.tlv(der.SET, fields[3].content), message_digest, signing_time,
                   der.expect(fields[5], der.OCTET_STRING).content)


def verify_detached(p7s: bytes, content: bytes) -> CmsCheck:
    """Does the signature in `p7s` cover `content`, made by the key of its embedded certificate?"""
    try:
        p = _parse(p7s)
    except (der.DerError, ValueError, IndexError):
        return CmsCheck("unreadable")
    alg = by_oids(p.digest_oid, p.signature_oid)
    if alg is None:
        return CmsCheck("unknown_algorithm")
    signer = next((c for c in p.certificates
                   if c.serial_number == p.serial and c.issuer.public_bytes() == p.issuer), None)
    if signer is None:
        return CmsCheck("no_certificate", algorithm=alg)
    if p.message_digest != alg.digest(content):
        return CmsCheck("digest_mismatch", signer, p.signing_time, alg)
    try:
        alg.verify(signer.public_key(), p.signature, p.signed_attrs)
    except (InvalidSignature, TypeError):
        return CmsCheck("bad_signature", signer, p.signing_time, alg)
    return CmsCheck(None, signer, p.signing_time, alg)
