"""The `xietong` command, run for real in a subprocess on a real database file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import demo_copy

XIETONG = str(Path(sys.executable).parent / "xietong")
FAST_HASH = {"XIETONG_PASSWORDS_ARGON2_MEMORY_KIB": "1024", "XIETONG_PASSWORDS_ARGON2_TIME_COST": "1",
             "XIETONG_PASSWORDS_ARGON2_PARALLELISM": "1"}


def xietong(db: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # the at-rest key beside the database, as the tests' make_config has it (not ./data of the checkout)
    full_env = {**os.environ, **FAST_HASH, "XIETONG_STORE_PATH": str(db),
                "XIETONG_OTP_KEY_FILE": str(db.parent / "otp.key"), **(env or {})}
    full_env.pop("XIETONG_PASSWORD", None)
    return subprocess.run([XIETONG, *args], input=stdin, capture_output=True, text=True, env=full_env,
                          timeout=60, check=False)


SUBCOMMANDS = [[], ["init"], ["serve"], ["demo"], ["user"], ["user", "add"], ["user", "disable"],
               ["user", "enable"], ["user", "reset-password"], ["user", "list"], ["backup"],
               ["audit"], ["audit", "verify"], ["token"], ["token", "create"], ["token", "revoke"],
               ["token", "list"], ["circular"], ["circular", "generate"], ["circular", "list"], ["store"],
               ["store", "copy"]]


def help_of(db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *sub: str) -> tuple[int, str]:
    """`xietong <sub> --help` through the console script's own entry point, in this process: the
    installed script itself is run once for real (below); each subcommand's help is the same function
    without a second of interpreter start-up per subcommand."""
    from webapp.cli import main
    monkeypatch.setenv("XIETONG_STORE_PATH", str(db))
    try:
        code = main([*sub, "--help"])
    except SystemExit as done:
        code = int(done.code or 0)
    return code, capsys.readouterr().out


def test_the_installed_command_explains_itself(tmp_path):
    out = xietong(tmp_path / "x.db", "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: xietong")
    assert not (tmp_path / "x.db").exists()     # asking for help touches nothing


@pytest.mark.parametrize("sub", SUBCOMMANDS[1:], ids=" ".join)
def test_every_subcommand_explains_itself(tmp_path, monkeypatch, capsys, sub):
    code, out = help_of(tmp_path / "x.db", monkeypatch, capsys, *sub)
    assert code == 0
    assert out.startswith("usage: xietong")
    assert not (tmp_path / "x.db").exists()     # asking for help touches nothing


def test_init_then_add_list_disable_reset_and_verify(tmp_path):
    db = tmp_path / "data" / "x.db"
    out = xietong(db, "init", "--admin", "root", "--unit-code", "GOV", "--unit-name", "某区政府办公室",
                  stdin="a-strong-password\n")
    assert out.returncode == 0, out.stderr
    assert "super admin root" in out.stdout and db.exists()
    assert xietong(db, "init", stdin="another-password\n").returncode == 1   # never twice

    out = xietong(db, "user", "add", "wang.clerk", "--name", "王收发", "--unit", "gov", "--role", "clerk",
                  "--phone", "13800138000", stdin="clerk-password\n")
    assert out.returncode == 0, out.stderr
    out = xietong(db, "user", "add", "bad", "--name", "坏号码", "--unit", "GOV", "--role", "clerk",
                  "--phone", "12345", stdin="clerk-password\n")
    assert out.returncode == 1 and "手机号" in out.stderr and "mobile" in out.stderr

    listing = xietong(db, "user", "list").stdout
    assert "wang.clerk\t王收发" in listing and "+8613800138000" in listing and "root" in listing

    assert xietong(db, "user", "disable", "wang.clerk").returncode == 0
    assert "wang.clerk\t王收发" in xietong(db, "user", "list", "--unit", "GOV").stdout
    assert "disabled" in next(line for line in xietong(db, "user", "list").stdout.splitlines() if "wang" in line)

    out = xietong(db, "user", "reset-password", "wang.clerk", "--generate")
    assert out.returncode == 0 and out.stdout.startswith("password of wang.clerk reset: ")

    out = xietong(db, "audit", "verify")
    assert out.returncode == 0 and "intact" in out.stdout and "审计日志完整" in out.stdout
    actions = [r[0] for r in sqlite3.connect(db).execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["unit.add", "user.add", "user.add", "user.disable", "user.reset_password"]


def test_audit_verify_catches_a_tampered_row(cli_demo, tmp_path):
    db = demo_copy(cli_demo, tmp_path)
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET actor_login = 'nobody' WHERE id = 3")
    con.commit()
    con.close()
    out = xietong(db, "audit", "verify")
    assert out.returncode == 1
    assert "BROKEN at row 3" in out.stdout and "第 3 条" in out.stdout


def test_demo_loads_once_and_prints_the_logins(tmp_path):
    db = tmp_path / "x.db"
    first = xietong(db, "demo")
    assert first.returncode == 0 and "demo organisation loaded" in first.stdout
    assert "Demo@2026" in first.stdout and "dhz.clerk1" in first.stdout and "duty" in first.stdout
    again = xietong(db, "demo")
    assert again.returncode == 0 and "loaded" not in again.stdout and "dhz.clerk1" in again.stdout
    users = sqlite3.connect(db).execute("SELECT count(*) FROM users").fetchone()[0]
    assert users == 5 + 6 * 3 + 2      # admin, dh.admin, bgs.seal, duty, duty2; 3 per unit; 东湖镇's two offices' clerks


def test_backup_writes_a_usable_copy(cli_demo, tmp_path):
    db = demo_copy(cli_demo, tmp_path)
    out = xietong(db, "backup", str(tmp_path / "b" / "copy.db"))
    assert out.returncode == 0, out.stderr
    listing = xietong(tmp_path / "b" / "copy.db", "user", "list")
    assert "dhz.clerk1" in listing.stdout


def test_a_bad_config_value_stops_start_up_naming_the_key(tmp_path):
    out = xietong(tmp_path / "x.db", "user", "list", env={"XIETONG_WEB_PORT": "eighty"})
    assert out.returncode == 2 and "web.port" in out.stderr
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[session]\nidle_minutes = -5\n", encoding="utf-8")
    out = xietong(tmp_path / "x.db", "serve", "--config", str(cfg))
    assert out.returncode == 2 and "session.idle_minutes" in out.stderr


def test_commands_on_a_missing_database_say_what_to_do(tmp_path):
    out = xietong(tmp_path / "nothing.db", "user", "list")
    assert out.returncode == 1 and "xietong init" in out.stderr


def test_a_token_is_shown_once_listed_without_its_value_and_revoked(cli_demo, tmp_path):
    db = demo_copy(cli_demo, tmp_path)
    out = xietong(db, "token", "create", "duty", "--name", "duty-bot")
    assert out.returncode == 0, out.stderr
    token = out.stdout.splitlines()[-1]
    assert token.startswith("xt_") and len(token) > 40
    listing = xietong(db, "token", "list").stdout
    assert "duty\tduty-bot" in listing and "active" in listing and token not in listing
    stored = sqlite3.connect(db).execute("SELECT token_hash FROM api_tokens").fetchone()[0]
    assert token not in stored
    assert xietong(db, "token", "revoke", "1").returncode == 0
    assert "revoked" in xietong(db, "token", "list").stdout


def test_serve_says_at_start_when_the_chinese_fonts_to_print_documents_are_missing(cli_demo, tmp_path):
    import threading
    db = demo_copy(cli_demo, tmp_path)
    env = {**os.environ, **FAST_HASH, "XIETONG_STORE_PATH": str(db), "XIETONG_OTP_KEY_FILE": str(tmp_path / "otp.key"),
           "XIETONG_PAPER_BODY_FONT": "No Such FangSong", "XIETONG_WEB_PORT": "0"}
    proc = subprocess.Popen([XIETONG, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    guard = threading.Timer(60, proc.kill)        # bounded: a server that never starts is killed
    guard.start()
    try:
        assert proc.stdout is not None
        serving = proc.stdout.readline()           # printed once it listens, after the check of the fonts
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        guard.cancel()
    assert "Xietong is serving" in serving
    assert "No Such FangSong" in err and "fonts-noto-cjk" in err and "未找到排版公文所需的中文字体" in err
