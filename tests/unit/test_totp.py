"""TOTP codes (RFC 6238), time steps, recovery codes and the at-rest encryption: no I/O but a temp file."""

from __future__ import annotations

import base64
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest

from hub.crypto.totp import (
    SecretBox,
    SecretUnreadable,
    code_at_step,
    is_totp_code,
    key_text_ok,
    load_or_create_key_file,
    looks_like_recovery_code,
    matching_steps,
    new_key_text,
    new_recovery_codes,
    new_secret,
    parse_key,
    provisioning_uri,
    qr_svg,
    time_step,
)

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")   # RFC 6238 appendix B, SHA-1
RFC_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
               (1234567890, "89005924"), (2000000000, "69279037")]


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_codes_match_the_rfc_6238_test_vectors(unix_time: int, code: str) -> None:
    when = datetime.fromtimestamp(unix_time, UTC)
    assert code_at_step(RFC_SECRET, time_step(when), digits=8) == code
    assert pyotp.TOTP(base64.b32encode(b"12345678901234567890"), digits=8).at(unix_time) == code


def test_a_time_step_is_thirty_seconds_since_the_epoch() -> None:
    assert time_step(datetime.fromtimestamp(0, UTC)) == 0
    assert time_step(datetime.fromtimestamp(29, UTC)) == 0
    assert time_step(datetime.fromtimestamp(30, UTC)) == 1
    assert time_step(datetime.fromtimestamp(59, UTC)) == 1
    assert time_step(datetime.fromtimestamp(1111111111, UTC)) == 37037037
    # fractions of a second do not move the step
    assert time_step(datetime(2026, 11, 24, 1, 0, 29, 999999, tzinfo=UTC)) == \
        time_step(datetime(2026, 11, 24, 1, 0, 0, tzinfo=UTC))


def test_a_code_is_accepted_one_step_early_or_late_but_not_two() -> None:
    secret = new_secret()
    step = 59_000_000
    assert matching_steps(secret, code_at_step(secret, step), step) == [step]
    assert matching_steps(secret, code_at_step(secret, step - 1), step) == [step - 1]
    assert matching_steps(secret, code_at_step(secret, step + 1), step) == [step + 1]
    for far in (step - 2, step + 2):
        code = code_at_step(secret, far)
        if code not in {code_at_step(secret, s) for s in (step - 1, step, step + 1)}:
            assert matching_steps(secret, code, step) == []


def test_typed_codes_may_have_spaces_but_must_be_six_digits() -> None:
    secret = new_secret()
    code = code_at_step(secret, 100)
    assert matching_steps(secret, f" {code[:3]} {code[3:]} ", 100) == [100]
    assert is_totp_code("123456") and is_totp_code("123 456")
    assert not is_totp_code("12345") and not is_totp_code("1234567") and not is_totp_code("12345a")
    assert not is_totp_code("１２３４５６")     # full-width digits are not ASCII digits
    assert matching_steps(secret, "", 100) == []


def test_the_otpauth_uri_names_the_issuer_and_the_account_and_its_qr_is_svg() -> None:
    secret = new_secret()
    uri = provisioning_uri(secret, "dhz.leader", "协同")
    assert uri.startswith("otpauth://totp/")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP) and parsed.secret == secret
    assert parsed.name == "dhz.leader" and parsed.issuer == "协同"
    svg = qr_svg(uri)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and 'class="qr"' in svg
    assert "<?xml" not in svg and "style=" not in svg       # inline in the page, allowed by the CSP
    assert secret not in svg


def test_recovery_codes_are_ten_distinct_readable_codes() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    for c in codes:
        assert len(c) == 14 and c.count("-") == 2
        assert looks_like_recovery_code(c) and looks_like_recovery_code(c.upper().replace("-", " "))
        assert not is_totp_code(c)
    assert not looks_like_recovery_code("123456")


# -- encryption at rest -------------------------------------------------------------------

def test_a_sealed_secret_opens_with_the_same_key_for_the_same_user() -> None:
    box = SecretBox(os.urandom(32))
    secret = new_secret()
    sealed = box.seal(7, secret)
    assert box.open(7, sealed) == secret
    assert secret.encode() not in sealed and base64.b32decode(secret) not in sealed
    assert box.seal(7, secret) != sealed          # a fresh nonce every time


def test_a_sealed_secret_does_not_open_with_another_key() -> None:
    sealed = SecretBox(os.urandom(32)).seal(7, new_secret())
    with pytest.raises(SecretUnreadable):
        SecretBox(os.urandom(32)).open(7, sealed)


def test_a_sealed_secret_moved_to_another_users_row_does_not_open() -> None:
    box = SecretBox(os.urandom(32))
    sealed = box.seal(7, new_secret())
    with pytest.raises(SecretUnreadable):
        box.open(8, sealed)
    damaged = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SecretUnreadable):
        box.open(7, damaged)
    with pytest.raises(SecretUnreadable):
        box.open(7, b"")


def test_recovery_code_fingerprints_depend_on_the_key_and_the_user() -> None:
    key = os.urandom(32)
    box = SecretBox(key)
    assert box.recovery_hash(7, "abcd-efgh-jkmn") == box.recovery_hash(7, "ABCD EFGH JKMN")
    assert box.recovery_hash(7, "abcd-efgh-jkmn") != box.recovery_hash(8, "abcd-efgh-jkmn")
    assert box.recovery_hash(7, "abcd-efgh-jkmn") != SecretBox(os.urandom(32)).recovery_hash(7, "abcd-efgh-jkmn")


def test_keys_are_base64_of_32_bytes() -> None:
    text = new_key_text()
    assert len(parse_key(text)) == 32
    assert parse_key(text.replace("+", "-").replace("/", "_")) == parse_key(text)   # URL-safe too
    assert key_text_ok("") and key_text_ok(text)
    assert not key_text_ok("not a key") and not key_text_ok(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError):
        SecretBox(b"short")


def test_the_key_file_is_created_once_private_and_then_read(tmp_path: Path) -> None:
    path = tmp_path / "otp.key"
    key = load_or_create_key_file(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == key
    path.write_text("garbage\n")
    with pytest.raises(ValueError):
        load_or_create_key_file(path)
