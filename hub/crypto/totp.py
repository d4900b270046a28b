"""One-time passwords (动态口令): RFC 6238 TOTP codes, recovery codes, and the at-rest key.

Pure functions of (secret, code, time step) plus `SecretBox`, which encrypts a
TOTP secret with AES-256-GCM under a key that never lives in the database, with
the owner's user id as associated data (a secret copied into another user's
row does not decrypt). Only `load_or_create_key_file` touches the disk.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from datetime import datetime
from pathlib import Path

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

STEP_SECONDS = 30          # RFC 6238's default time step
DIGITS = 6                 # what authenticator apps show
DRIFT_STEPS = 1            # a phone's clock may be one step ahead or behind
KEY_BYTES = 32             # AES-256
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: read aloud or copied by hand
_RECOVERY_LENGTH = 12      # 31^12 ≈ 2^59
_BOX_VERSION = b"\x01"     # leading byte of every sealed secret, for a later change of scheme


class SecretUnreadable(Exception):
    """A sealed secret does not open: wrong key, wrong user, or damaged."""


# -- time steps and codes -------------------------------------------------------------------

def time_step(when: datetime) -> int:
    """The RFC 6238 counter for `when`: whole 30-second steps since the Unix epoch."""
    return int(when.timestamp()) // STEP_SECONDS


def new_secret() -> str:
    """A fresh base32 TOTP secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def code_at_step(secret_b32: str, step: int, digits: int = DIGITS) -> str:
    """The code an authenticator app shows during `step`."""
    return pyotp.TOTP(secret_b32, digits=digits).generate_otp(step)


def normalize_code(code: str) -> str:
    """What a person typed, without spaces and dashes, lower-case."""
    return "".join(code.split()).replace("-", "").lower()


def is_totp_code(code: str, digits: int = DIGITS) -> bool:
    c = normalize_code(code)
    return len(c) == digits and c.isascii() and c.isdigit()


def matching_steps(secret_b32: str, code: str, step: int, drift: int = DRIFT_STEPS,
                   digits: int = DIGITS) -> list[int]:
    """The steps within `step` ± `drift` whose code is `code` (compared in constant time)."""
    c = normalize_code(code)
    if not is_totp_code(c, digits):
        return []
    return [s for s in range(step - drift, step + drift + 1)
            if hmac.compare_digest(code_at_step(secret_b32, s, digits), c)]


def provisioning_uri(secret_b32: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret_b32).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(data: str) -> str:
    """A QR code of `data` as inline SVG markup, made here (no outside service); sized by CSS."""
    qr = segno.make(data, error="m", micro=False)
    return str(qr.svg_inline(omitsize=True, svgclass="qr", lineclass=None, dark="#000",
                             light="#fff", border=4))


# -- recovery codes -----------------------------------------------------------------------

def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Single-use codes like `k7hm-2xqp-9rtw`, for when the phone is lost."""
    out = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        out.append("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return out


def looks_like_recovery_code(code: str) -> bool:
    c = normalize_code(code)
    return len(c) == _RECOVERY_LENGTH and all(ch in _RECOVERY_ALPHABET for ch in c)


# -- the at-rest key ------------------------------------------------------------------------

def parse_key(text: str) -> bytes:
    """A key written as base64 (standard or URL-safe) of 32 bytes; ValueError otherwise."""
    t = "".join(text.split())
    try:
        raw = base64.b64decode(t.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"{len(raw)} bytes, not {KEY_BYTES}")
    return raw


def key_text_ok(text: str) -> bool:
    """For the config check: empty (use the key file) or a valid key."""
    if not text:
        return True
    try:
        parse_key(text)
    except ValueError:
        return False
    return True


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, or create it (mode 0600, random key) if it does not exist yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            log.warning("the OTP key file %s is readable by others; chmod 600 it", path)
        return parse_key(path.read_text(encoding="ascii"))
    try:
        text = new_key_text()
        os.write(fd, (text + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("created the OTP key file %s; back it up apart from the database", path)
    return parse_key(text)


class SecretBox:
    """Seals TOTP secrets and fingerprints recovery codes with the at-rest key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"an OTP key has {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        # a separate key for recovery-code fingerprints, so one key never serves two uses
        self._mac_key = hmac.new(key, b"xietong otp recovery codes", hashlib.sha256).digest()

    @staticmethod
    def _associated(user_id: int) -> bytes:
        return f"xietong otp user:{user_id}".encode("ascii")

    def seal(self, user_id: int, secret_b32: str) -> bytes:
        padded = secret_b32.upper() + "=" * (-len(secret_b32) % 8)
        raw = base64.b32decode(padded)
        nonce = secrets.token_bytes(12)
        return _BOX_VERSION + nonce + self._aead.encrypt(nonce, raw, self._associated(user_id))

    def open(self, user_id: int, sealed: bytes) -> str:
        if len(sealed) < 1 + 12 + 16 or sealed[:1] != _BOX_VERSION:
            raise SecretUnreadable("not a sealed OTP secret")
        try:
            raw = self._aead.decrypt(sealed[1:13], sealed[13:], self._associated(user_id))
        except InvalidTag:
            raise SecretUnreadable("wrong key or wrong user") from None
        return base64.b32encode(raw).decode("ascii").rstrip("=")

    def recovery_hash(self, user_id: int, code: str) -> str:
        """A keyed fingerprint of a recovery code: useless to whoever copies the database alone."""
        msg = f"{user_id}:{normalize_code(code)}".encode()
        return hmac.new(self._mac_key, msg, hashlib.sha256).hexdigest()
