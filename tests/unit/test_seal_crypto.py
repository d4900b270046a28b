"""Seal keys, certificates, CMS signatures, packages and the picture: pure functions, no database."""

import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hub.crypto.cms import sign_detached, verify_detached
from hub.crypto.seal_algorithms import DEFAULT
from hub.crypto.seal_package import build_package, verify_export
from hub.crypto.seals import (
    Kdf,
    Revoked,
    SealSubject,
    WrongSecret,
    decrypt_key,
    encrypt_key,
    issue_seal_cert,
    make_authority,
    make_crl,
    sign_stamp,
    subject_of,
)
from hub.domain.documents import Content
from hub.domain.seal_picture import seal_svg

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pki():
    authority_key, authority = make_authority("测试印章制作中心", NOW)
    seal_key = DEFAULT.new_key()
    seal = issue_seal_cert(authority_key, authority, seal_key.public_key(),
                           SealSubject("示范区人民政府办公室", "法定名称章", "示范区人民政府办公室"),
                           NOW, NOW + timedelta(days=365))
    return authority_key, authority, seal_key, seal


def test_a_stamp_written_before_the_cms_was_asn1cryptos_still_verifies():
    """Stampings in the usage register were signed by the hand-written DER encoder of earlier
    versions: the file kept here is one of them, over 64 known bytes."""
    p7s = (Path(__file__).parent / "fixtures" / "stamp-before-asn1crypto.p7s").read_bytes()
    check = verify_detached(p7s, b"0123456789abcdef" * 4)
    assert check.problem is None and check.signing_time == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert subject_of(check.signer).seal_name == "示范区人民政府办公室"
    assert verify_detached(p7s, b"0123456789abcdef" * 3).problem == "digest_mismatch"
    assert verify_detached(p7s[:-5], b"0123456789abcdef" * 4).problem == "unreadable"


def test_a_seal_certificate_names_the_unit_and_kind_and_may_only_sign(pki):
    _, authority, _, seal = pki
    seal.verify_directly_issued_by(authority)
    assert "O=示范区人民政府办公室" in seal.subject.rfc4514_string()
    assert "OU=法定名称章" in seal.subject.rfc4514_string()
    usage = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert not seal.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert authority.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_detached_signature_covers_exactly_its_content(pki):
    _, _, key, seal = pki
    p7s = sign_detached(b"a" * 64, seal, key, NOW, DEFAULT)
    good = verify_detached(p7s, b"a" * 64)
    assert good.problem is None and good.signing_time == NOW and good.signer == seal
    assert verify_detached(p7s, b"b" * 64).problem == "digest_mismatch"
    broken = bytearray(p7s)
    broken[-5] ^= 0x01                                        # inside the signature value
    assert verify_detached(bytes(broken), b"a" * 64).problem in ("bad_signature", "unreadable")
    assert verify_detached(b"not a signature", b"a" * 64).problem == "unreadable"


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
def test_openssl_verifies_our_cms_against_the_authority(pki, tmp_path):
    _, authority, key, seal = pki
    (tmp_path / "content").write_bytes(b"f" * 64)
    (tmp_path / "sig.p7s").write_bytes(sign_detached(b"f" * 64, seal, key, NOW, DEFAULT))
    (tmp_path / "ca.pem").write_bytes(authority.public_bytes(Encoding.PEM))
    out = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.p7s",
                          "-content", "content", "-CAfile", "ca.pem", "-purpose", "any", "-no_check_time",
                          "-out", "/dev/null"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "Verification successful" in out.stderr, out.stderr


def test_a_key_opens_only_with_its_secret():
    key = DEFAULT.new_key()
    kdf = Kdf.new(1, 1024, 1)
    pem = encrypt_key(key, kdf.stretch("correct horse"))
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    again = Kdf.from_json(kdf.to_json())
    assert decrypt_key(pem, again.stretch("correct horse")).public_key().public_numbers() == \
        key.public_key().public_numbers()
    with pytest.raises(WrongSecret):
        decrypt_key(pem, again.stretch("wrong horse"))


def _package(pki, signing_time: datetime, body: str = "正文") -> bytes:
    _, _, key, seal = pki
    content = Content("标题", body, "通知", "urgent", "示范区人民政府办公室", (3, 4), (), ())
    digest = content.digest()
    return build_package({"title": "标题", "body": body, "doc_kind": "通知", "urgency": "urgent",
                          "issuing_office": "示范区人民政府办公室", "main_units": [3, 4], "copy_units": []},
                         [], digest, sign_stamp(digest, seal, key, signing_time), seal.public_bytes(Encoding.PEM),
                         seal_svg("示范区人民政府办公室", "法定名称章"), signing_time, "测试印章制作中心", {})


def test_a_signing_time_after_the_revocation_is_flagged_invalid(pki):
    authority_key, authority, _, seal = pki
    revoked_at = NOW + timedelta(hours=1)
    crl = make_crl(authority_key, authority, [Revoked(seal.serial_number, revoked_at, "key_compromise")], 2,
                   revoked_at, revoked_at + timedelta(days=7))
    pem = authority.public_bytes(Encoding.PEM)
    before = verify_export(_package(pki, NOW + timedelta(minutes=30)), pem, crl)
    assert before.ok and before.status == "valid_since_revoked"
    after = verify_export(_package(pki, NOW + timedelta(hours=2)), pem, crl)
    assert not after.ok and after.status == "invalid"
    (finding,) = [f for f in after.findings if f.check == "revocation"]
    assert not finding.ok and "AFTER" in finding.en and "晚于" in finding.zh


def test_another_authority_and_its_list_are_not_trusted(pki):
    other_key, other = make_authority("另一个制作中心", NOW)
    crl = make_crl(other_key, other, [], 1, NOW, NOW + timedelta(days=7))
    report = verify_export(_package(pki, NOW + timedelta(minutes=5)), other.public_bytes(Encoding.PEM), crl)
    failed = {f.check for f in report.findings if not f.ok}
    assert failed == {"issuer", "revocation"}
    authority_key, authority, _, _ = pki
    own_crl = make_crl(authority_key, authority, [], 1, NOW, NOW + timedelta(days=7))
    assert verify_export(b"PK not a zip", authority.public_bytes(Encoding.PEM), own_crl).findings[0].check == "package"


def test_the_picture_sets_each_character_on_the_arc_around_a_star():
    svg = seal_svg("示范区人民政府办公室", "法定名称章")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    arc = root.findall(f"{ns}g/{ns}text")
    assert [t.text for t in arc] == list("示范区人民政府办公室")
    assert all("rotate(" in t.get("transform", "") for t in arc)
    angles = [float(t.get("transform").split("(")[1].split()[0]) for t in arc]
    assert angles == sorted(angles) and angles[0] < 0 < angles[-1]      # left to right over the top
    assert len(root.find(f"{ns}polygon").get("points").split()) == 10   # five points, five notches
    assert root.findall(f"{ns}text")[-1].text == "法定名称章"
    assert "&lt;script" in seal_svg("<script>", "x")
