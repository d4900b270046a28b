"""`xietong seals ...` run for real in a subprocess: the authority, export, publish and offline verify."""

import io
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from hub.app import Hub
from hub.clock import FakeClock
from hub.services.demo import DEMO_AUTHORITY_PASSPHRASE, DEMO_PASSWORD
from tests.conftest import make_config
from tests.service.conftest import demo_copy
from tests.service.seal_helpers import registered_document, stamp
from tests.service.test_cli import help_of, xietong
from tests.service.test_urgent_items import actor


@pytest.mark.parametrize("sub", [["seals"], ["seals", "init-authority"], ["seals", "list"], ["seals", "make"],
                                 ["seals", "revoke"], ["seals", "publish"], ["seals", "export"],
                                 ["seals", "verify"]], ids=" ".join)
def test_every_seals_subcommand_explains_itself(tmp_path, monkeypatch, capsys, sub):
    code, out = help_of(tmp_path / "x.db", monkeypatch, capsys, *sub)
    assert code == 0 and out.startswith("usage: xietong")
    assert not (tmp_path / "x.db").exists()


def test_init_authority_keeps_the_key_encrypted_and_happens_once(tmp_path):
    db = tmp_path / "x.db"
    (tmp_path / "pass").write_text("a long authority passphrase\n", encoding="utf-8")
    out = xietong(db, "seals", "init-authority", "--name", "某区电子印章制作中心", "--passphrase-file",
                  str(tmp_path / "pass"))
    assert out.returncode == 0, out.stderr
    assert "某区电子印章制作中心" in out.stdout and "证书指纹" in out.stdout
    con = sqlite3.connect(db)
    name, key, cert = con.execute("SELECT name, key_enc, cert_pem FROM seal_authority").fetchone()
    assert name == "某区电子印章制作中心" and key.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"a long authority passphrase" not in key and cert.startswith(b"-----BEGIN CERTIFICATE-----")
    assert [r[0] for r in con.execute("SELECT action FROM audit_log")] == ["seal.authority_init"]
    again = xietong(db, "seals", "init-authority", stdin="another passphrase\n")
    assert again.returncode == 1 and "already exists" in again.stderr and "已建立" in again.stderr
    out = xietong(db, "seals", "publish", str(tmp_path / "pub"))
    assert out.returncode == 0 and (tmp_path / "pub" / "authority.pem").read_bytes() == cert


def test_the_demo_makes_the_authority_and_an_active_official_seal_for_every_unit(tmp_path):
    db = tmp_path / "x.db"
    out = xietong(db, "demo")
    assert out.returncode == 0, out.stderr
    assert DEMO_AUTHORITY_PASSPHRASE in out.stdout and "9 official seals" in out.stdout
    assert (tmp_path / "seal-authority.pass").read_text(encoding="utf-8").strip() == DEMO_AUTHORITY_PASSPHRASE
    listing = xietong(db, "seals", "list").stdout.splitlines()
    assert len(listing) == 9 and all("法定名称章" in line and "active" in line for line in listing)
    assert "made" not in xietong(db, "demo").stdout          # once


async def stamped_in_demo(cli_demo, tmp_path):
    """A copy of the demo install with one document stamped with 办公室's seal: (config, db, document,
    seal, the sealed PDF)."""
    db = demo_copy(cli_demo, tmp_path)
    config = make_config(db, seals={"authority_passphrase": DEMO_AUTHORITY_PASSPHRASE})
    hub = await Hub.start(config, FakeClock(datetime.now(UTC)))
    try:
        (seal,) = await hub.seals.seals(await actor(hub, "bgs.seal"))
        doc, office, leader, totp = await registered_document(hub)
        await stamp(hub, doc, seal, leader, totp, password=DEMO_PASSWORD)
        _, pdf = await hub.seals.sealed_pdf(office, doc.id)
    finally:
        await hub.close()
    return config, db, doc, seal, pdf


async def test_a_stamped_export_verifies_through_the_console_script_offline(cli_demo, tmp_path):
    config, db, doc, seal, _ = await stamped_in_demo(cli_demo, tmp_path)

    package, pub = tmp_path / "doc.zip", tmp_path / "pub"
    assert xietong(db, "seals", "export", str(doc.id), str(package)).returncode == 0
    assert xietong(db, "seals", "publish", str(pub)).returncode == 0
    check = ["seals", "verify", str(package), "--authority", str(pub / "authority.pem"), "--crl", str(pub / "crl.der")]
    out = xietong(tmp_path / "no-database-here.db", *check)       # offline: only the three files
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Content intact" in out.stdout and "内容完整" in out.stdout and "Result: VALID / 结果：有效" in out.stdout
    assert not (tmp_path / "no-database-here.db").exists()

    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(altered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data.replace("冬季".encode(), "夏季".encode()) if info.filename == "manifest.json"
                         else data)
    check[2] = str(altered)
    out = xietong(db, *check)
    assert out.returncode == 1 and "ALTERED" in out.stdout and "篡改" in out.stdout and "NOT VALID" in out.stdout

    hub = await Hub.start(config, FakeClock(datetime.now(UTC) + timedelta(days=1)))
    try:
        await hub.seals.revoke(await actor(hub, "admin"), seal.id, "印章遗失")
    finally:
        await hub.close()
    assert xietong(db, "seals", "publish", str(pub)).returncode == 0
    check[2] = str(package)
    out = xietong(db, *check)
    assert out.returncode == 0 and "seal since revoked" in out.stdout and "盖章时印章有效" in out.stdout


def test_verify_says_so_when_the_file_is_not_a_package(cli_demo, tmp_path):
    db = demo_copy(cli_demo, tmp_path)
    pub = tmp_path / "pub"
    xietong(db, "seals", "publish", str(pub))
    (tmp_path / "junk.zip").write_bytes(io.BytesIO(b"not a zip").getvalue())
    out = xietong(db, "seals", "verify", str(tmp_path / "junk.zip"), "--authority", str(pub / "authority.pem"),
                  "--crl", str(pub / "crl.der"))
    assert out.returncode == 1 and "Not a readable sealed-document package" in out.stdout


async def test_a_sealed_pdf_verifies_through_the_console_script_offline(cli_demo, tmp_path):
    _, db, _, _, pdf = await stamped_in_demo(cli_demo, tmp_path)
    sealed, pub = tmp_path / "sealed.pdf", tmp_path / "pub"
    sealed.write_bytes(pdf)
    assert xietong(db, "seals", "publish", str(pub)).returncode == 0
    check = ["seals", "verify", str(sealed), "--authority", str(pub / "authority.pem"), "--crl", str(pub / "crl.der")]
    out = xietong(tmp_path / "no-database-here.db", *check)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Content intact" in out.stdout and "时间戳服务" in out.stdout and "Result: VALID / 结果：有效" in out.stdout
    sealed.write_bytes(pdf[:1000] + bytes([pdf[1000] ^ 1]) + pdf[1001:])
    out = xietong(tmp_path / "no-database-here.db", *check)
    assert out.returncode == 1 and "NOT VALID" in out.stdout
