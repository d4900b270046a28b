"""The seal authority's time-stamp service (RFC 3161), in process: a token over a signature's
digest, signed with the service's key on the hub's clock, with the algorithm the seals use
(hub.crypto.seal_algorithms). pyHanko asks it for a token when it signs a PDF (PAdES B-T); the
token's structure is the one a TSA answers over HTTP, so any verifier reads it.
"""

from __future__ import annotations

import functools
import secrets
import uuid
import warnings
from datetime import datetime
from typing import Any

from asn1crypto import cms, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hub.crypto.seal_algorithms import DEFAULT, PrivateKey, SealAlgorithm

# the service's policy: an OID under 2.25 (a UUID, X.667), which needs no registration
POLICY = f"2.25.{uuid.UUID('6f1c3a52-8e0b-4d3e-9a57-0c1b7e5d2f41').int}"


def asn1_cert(cert: x509.Certificate) -> ax509.Certificate:
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def authority_time_stamper(cert: x509.Certificate, key: PrivateKey, authority: x509.Certificate, at: datetime,
                           alg: SealAlgorithm = DEFAULT) -> Any:
    """A pyHanko TimeStamper answering every request with a token dated `at` (the hub's clock at
    stamping). pyHanko is imported when a PDF is first stamped, not with every command."""
    return _stamper_class()(cert, key, authority, at, alg)


@functools.cache
def _stamper_class() -> type:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # pyHanko imports DSA, which cryptography deprecates
        from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
        from pyhanko.sign.timestamps.api import TimeStamper

    class AuthorityTimeStamper(TimeStamper):
        def __init__(self, cert: x509.Certificate, key: PrivateKey, authority: x509.Certificate, at: datetime,
                     alg: SealAlgorithm) -> None:
            super().__init__(include_nonce=True)
            self.cert, self.key, self.alg, self.at = asn1_cert(cert), key, alg, at.replace(microsecond=0)
            self.chain = [self.cert, asn1_cert(authority)]

        async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
            info = {"version": "v1", "policy": POLICY, "message_imprint": req["message_imprint"],
                    "serial_number": secrets.randbits(63), "gen_time": self.at,
                    "tsa": ax509.GeneralName(name="directory_name", value=self.cert.subject)}
            if req["nonce"].native is not None:
                info["nonce"] = req["nonce"]
            data = tsp.TSTInfo(info).dump()
            attrs = cms.CMSAttributes([
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": self.at})),
                simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(self.cert)),
                simple_cms_attribute("message_digest", self.alg.digest(data)),
            ])
            digest = {"algorithm": self.alg.digest_oid}
            signer = cms.SignerInfo({
                "version": "v1",
                "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": self.cert.issuer, "serial_number": self.cert.serial_number})}),
                "digest_algorithm": digest, "signed_attrs": attrs,
                "signature_algorithm": {"algorithm": self.alg.signature_oid},
                "signature": self.alg.sign(self.key, attrs.dump()),
            })
            signed = cms.SignedData({
                "version": "v3", "digest_algorithms": [digest], "certificates": self.chain,
                "signer_infos": [signer],
                "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(data)},
            })
            return tsp.TimeStampResp({"status": {"status": "granted"},
                                      "time_stamp_token": {"content_type": "signed_data", "content": signed}})

    return AuthorityTimeStamper
