"""The one place that chooses the electronic seals' algorithms.

Today: ECDSA on P-256 with SHA-256 (X.509 + CMS from `cryptography`). The
national structure (GB/T 38540, SM2/SM3) would be a second `SealAlgorithm`
here, with its own OIDs; nothing else names a curve, a hash or an OID.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class SealAlgorithm:
    name: str                 # stored beside each key and certificate
    digest_name: str          # hashlib name of the message digest
    digest_oid: str           # CMS digestAlgorithm
    signature_oid: str        # CMS signatureAlgorithm (parameters absent)
    curve: type[ec.EllipticCurve]
    hash_type: type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]

    def new_key(self) -> PrivateKey:
        return ec.generate_private_key(self.curve())

    def x509_hash(self) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512:
        """What certificates and revocation lists are signed with."""
        return self.hash_type()

    def digest(self, data: bytes) -> bytes:
        return hashlib.new(self.digest_name, data).digest()

    def sign(self, key: PrivateKey, data: bytes) -> bytes:
        return key.sign(data, ec.ECDSA(self.hash_type()))

    def verify(self, public_key: object, signature: bytes, data: bytes) -> None:
        """Raises cryptography.exceptions.InvalidSignature (or TypeError for a foreign key type)."""
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise TypeError("not a key of this algorithm")
        public_key.verify(signature, data, ec.ECDSA(self.hash_type()))


ECDSA_P256_SHA256 = SealAlgorithm(
    name="ecdsa-p256-sha256", digest_name="sha256",
    digest_oid="2.16.840.1.101.3.4.2.1",          # id-sha256
    signature_oid="1.2.840.10045.4.3.2",           # ecdsa-with-SHA256
    curve=ec.SECP256R1, hash_type=hashes.SHA256)

ALGORITHMS = {a.name: a for a in (ECDSA_P256_SHA256,)}
DEFAULT = ECDSA_P256_SHA256                        # new authorities and seals


def by_name(name: str) -> SealAlgorithm:
    return ALGORITHMS[name]


def by_oids(digest_oid: str, signature_oid: str) -> SealAlgorithm | None:
    for a in ALGORITHMS.values():
        if a.digest_oid == digest_oid and a.signature_oid == signature_oid:
            return a
    return None
