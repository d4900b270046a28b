"""The stamped document as a PDF that carries its seal (PAdES B-T), and the seal authority's own
time-stamp service that dates each stamping.

At stamping (hub.services.seal_use.stamp) the document is laid out as GB/T 9704 says
(hub.services.paper), the seal's picture placed over 署名 and 成文日期 as the signature's
appearance, and the whole file signed with the seal's key, with a time-stamp token of the hub's
clock. The PDF is kept with the usage register's line; recipients download it, and /verify and
`xietong seals verify FILE.pdf` check it offline.

The time-stamp service's key is made when the authority is (or, for an authority made before,
when it is next unlocked), certified by the authority, and kept encrypted under the server's
at-rest key ([otp] key_file), so stamping needs only the keeper's seal password.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hub.crypto import seals as crypto
from hub.crypto.pades import sign_pdf
from hub.crypto.seal_algorithms import DEFAULT, PrivateKey
from hub.errors import XietongError
from hub.render.paper import LazyRenderer, seal_picture_pdf
from hub.services.paper import PaperService
from hub.store import Tx

TSA_PURPOSE = "seal-tsa-key"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimeStampService:
    cert: x509.Certificate
    key: PrivateKey


async def ensure_tsa(tx: Tx, authority_key: PrivateKey, authority: x509.Certificate, at_rest_key: bytes,
                     now: datetime) -> bool:
    """Set up the authority's time-stamp service if it has none (in the caller's write). True if made."""
    if await tx.seals.tsa() is not None:
        return False
    key = DEFAULT.new_key()
    cert = crypto.issue_tsa_cert(authority_key, authority, key.public_key(), now)
    secret = crypto.at_rest_wrap_secret(at_rest_key, TSA_PURPOSE)
    await tx.seals.add_tsa(cert.public_bytes(Encoding.PEM), crypto.encrypt_key(key, secret), now)
    return True


async def open_tsa(tx: Tx, at_rest_key: bytes) -> TimeStampService:
    found = await tx.seals.tsa()
    if found is None:
        raise XietongError("seal.no_tsa")
    cert_pem, key_enc = found
    try:
        key = crypto.decrypt_key(key_enc, crypto.at_rest_wrap_secret(at_rest_key, TSA_PURPOSE))
    except crypto.WrongSecret:
        raise XietongError("seal.tsa_key_unreadable") from None
    return TimeStampService(x509.load_pem_x509_certificate(cert_pem), key)


@dataclass
class SealedPdfMaker:
    """Lays out and signs the stamped document (bound to the hub's paper service and at-rest key)."""

    paper: PaperService
    renderer: LazyRenderer
    at_rest_key: Callable[[], bytes]

    async def make(self, tx: Tx, doc_id: int, seal_cert: x509.Certificate, seal_key: PrivateKey, seal_svg: str,
                   now: datetime, reason: str) -> bytes | None:
        """The signed PDF of a document about to be stamped (blocking work in a thread), or None when
        this server cannot make one (no CJK fonts, no time-stamp service yet): the stamping then
        goes on with the detached stamp alone, and the log says why."""
        if self.renderer.missing:
            log.warning("stamping without the sealed PDF: no Chinese fonts (%s)", ", ".join(self.renderer.missing))
            return None
        if await tx.seals.tsa() is None:
            log.warning("stamping without the sealed PDF: the seal authority has no time-stamp service yet "
                        "(unlock the authority once)")
            return None
        tsa = await open_tsa(tx, self.at_rest_key())
        authority_row = await tx.seals.authority()
        if authority_row is None:
            raise XietongError("seal.no_authority")
        authority = x509.load_pem_x509_certificate(authority_row.cert_pem)
        paper = await self.paper.paper_in(tx, doc_id, now)

        def work() -> bytes:
            laid = self.renderer.render(paper)
            picture = seal_picture_pdf(seal_svg, self.renderer.renderer)
            return sign_pdf(laid.pdf, laid.seal, picture, seal_cert, seal_key, authority, tsa.cert, tsa.key, now,
                            reason)
        return await asyncio.to_thread(work)
