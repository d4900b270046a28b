"""Electronic seals' keys and certificates, as pure functions (no store, no clock).

The seal authority (印章制作单位) is a self-signed X.509 CA; each seal is a key
pair with a certificate the authority issues (subject: the unit, the seal's
kind and name); revocation lists (CRLs) are signed by the authority. Private
keys are only ever stored as encrypted PKCS#8 PEM (`BestAvailableEncryption`);
the secret they are encrypted with is an Argon2id stretch of a person's
password, or, for a seal whose keeper has not set a password yet, an HKDF
derivation from the authority's own private key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.low_level import Type, hash_secret_raw
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

from hub.crypto.cms import sign_detached
from hub.crypto.seal_algorithms import DEFAULT, PrivateKey, SealAlgorithm

AUTHORITY_YEARS = 20

CRL_REASONS = {"superseded": x509.ReasonFlags.superseded,
               "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
               "key_compromise": x509.ReasonFlags.key_compromise,
               "unspecified": x509.ReasonFlags.unspecified}


class WrongSecret(Exception):
    """An encrypted key does not open with this password or secret."""


def _second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


# -- the authority --------------------------------------------------------------------------

def make_authority(name: str, now: datetime, alg: SealAlgorithm = DEFAULT) -> tuple[PrivateKey, x509.Certificate]:
    """A new key pair and its self-signed CA certificate, valid for AUTHORITY_YEARS."""
    key = alg.new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = _second(now)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=365 * AUTHORITY_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, alg.x509_hash()))
    return key, cert


def _key_usage(cert_sign: bool = False) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; a seal signs documents (digitalSignature + nonRepudiation)."""
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=not cert_sign,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False,
                         decipher_only=False)


# -- seals ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SealSubject:
    unit_name: str          # O
    kind_label: str         # OU, e.g. 法定名称章
    seal_name: str          # CN


def issue_seal_cert(authority_key: PrivateKey, authority: x509.Certificate, public_key: ec.EllipticCurvePublicKey,
                    subject: SealSubject, not_before: datetime, not_after: datetime,
                    alg: SealAlgorithm = DEFAULT) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.unit_name),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, subject.kind_label),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject.seal_name)])
    ski = authority.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (x509.CertificateBuilder().subject_name(name).issuer_name(authority.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(_second(not_before)).not_valid_after(_second(not_after))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(authority_key, alg.x509_hash()))


def subject_of(cert: x509.Certificate) -> SealSubject:
    def first(oid: x509.ObjectIdentifier) -> str:
        found = cert.subject.get_attributes_for_oid(oid)
        return str(found[0].value) if found else ""
    return SealSubject(first(NameOID.ORGANIZATION_NAME), first(NameOID.ORGANIZATIONAL_UNIT_NAME),
                       first(NameOID.COMMON_NAME))


def authority_name(cert: x509.Certificate) -> str:
    found = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else cert.subject.rfc4514_string()


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate, as people compare it over the phone: AB:CD:..."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def serial_hex(cert: x509.Certificate) -> str:
    return f"{cert.serial_number:x}"


# -- revocation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Revoked:
    serial: int
    at: datetime
    reason: str             # a key of CRL_REASONS


def make_crl(authority_key: PrivateKey, authority: x509.Certificate, revoked: list[Revoked], number: int,
             now: datetime, next_update: datetime, alg: SealAlgorithm = DEFAULT) -> bytes:
    """The authority's signed revocation list (DER), numbered."""
    ski = authority.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (x509.CertificateRevocationListBuilder().issuer_name(authority.subject)
               .last_update(_second(now)).next_update(_second(next_update))
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False))
    for r in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(r.serial).revocation_date(_second(r.at))
            .add_extension(x509.CRLReason(CRL_REASONS[r.reason]), critical=False).build())
    return builder.sign(authority_key, alg.x509_hash()).public_bytes(serialization.Encoding.DER)


# -- keeping private keys -------------------------------------------------------------------

@dataclass(frozen=True)
class Kdf:
    """Argon2id parameters that turn a person's password into the secret a key is encrypted with."""
    salt: bytes
    time_cost: int
    memory_kib: int
    parallelism: int

    @classmethod
    def new(cls, time_cost: int, memory_kib: int, parallelism: int) -> Kdf:
        return cls(os.urandom(16), time_cost, memory_kib, parallelism)

    def to_json(self) -> str:
        return json.dumps({"alg": "argon2id", "salt": base64.b64encode(self.salt).decode(), "t": self.time_cost,
                           "m": self.memory_kib, "p": self.parallelism})

    @classmethod
    def from_json(cls, text: str) -> Kdf:
        d = json.loads(text)
        return cls(base64.b64decode(d["salt"]), int(d["t"]), int(d["m"]), int(d["p"]))

    def stretch(self, password: str) -> bytes:
        """CPU- and memory-hard: call it off the event loop."""
        return hash_secret_raw(password.encode("utf-8"), self.salt, self.time_cost, self.memory_kib,
                               self.parallelism, 32, Type.ID)


def issue_tsa_cert(authority_key: PrivateKey, authority: x509.Certificate, public_key: ec.EllipticCurvePublicKey,
                   now: datetime, alg: SealAlgorithm = DEFAULT) -> x509.Certificate:
    """The certificate of the authority's own time-stamp service (RFC 3161): its tokens give a
    stamping its trusted time, inside the network (critical extended key usage timeStamping)."""
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, authority_name(authority)),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{authority_name(authority)}时间戳服务")])
    ski = authority.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    start = _second(now)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(authority.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(min(authority.not_valid_after_utc, start + timedelta(days=3650)))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(authority_key, alg.x509_hash()))


def at_rest_wrap_secret(at_rest_key: bytes, purpose: str) -> bytes:
    """A secret for a key the server must open without a person (the time-stamp service's), derived
    from the server's at-rest key ([otp] key_file): whoever copies the database alone cannot open it."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"xietong/at-rest-wrap/v1/" + purpose.encode()).derive(at_rest_key)


def encrypt_key(key: PrivateKey, secret: bytes) -> bytes:
    """Encrypted PKCS#8 PEM; `secret` is 32 high-entropy bytes (stretched password or derived)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(base64.b64encode(secret)))


def decrypt_key(pem: bytes, secret: bytes) -> PrivateKey:
    key = _decrypt(pem, secret)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise WrongSecret()
    return key


def _decrypt(pem: bytes, secret: bytes) -> object:
    try:
        return serialization.load_pem_private_key(pem, base64.b64encode(secret))
    except (ValueError, TypeError):
        raise WrongSecret() from None


def authority_wrap_secret(authority_key: PrivateKey, seal_serial: str) -> bytes:
    """The secret a new seal's key is kept under until its keeper sets a password: only the
    holder of the authority's key (the running server, unlocked) can derive it."""
    material = authority_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    return HKDF(hashes.SHA256(), 32, salt=None,
                info=b"xietong/seal-key-wrap/v1/" + seal_serial.encode()).derive(material)


def key_matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    pub = cert.public_key()
    return isinstance(pub, ec.EllipticCurvePublicKey) and pub.public_numbers() == key.public_key().public_numbers()


def content_statement(digest_hex: str) -> bytes:
    """What a stamping signs (the detached CMS content): the document's canonical content digest."""
    return digest_hex.encode("ascii")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign_stamp(digest_hex: str, cert: x509.Certificate, key: PrivateKey, at: datetime,
               alg: SealAlgorithm = DEFAULT) -> bytes:
    """A stamping's detached CMS signature over the document's content digest, signed at `at`."""
    return sign_detached(content_statement(digest_hex), cert, key, at, alg)
