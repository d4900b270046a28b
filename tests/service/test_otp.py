"""One-time passwords on a real SQLite file with a fake clock: enrolment, the approval check,
replay protection, recovery codes, throttling, the admin reset, and encryption at rest."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import sqlite3
from collections.abc import Awaitable
from pathlib import Path

import pyotp
import pytest

from hub.app import Hub
from hub.clock import FakeClock
from hub.config import ConfigError, load
from hub.crypto.totp import SecretBox, SecretUnreadable, code_at_step, parse_key, time_step
from hub.domain.identity import Actor, SystemActor
from hub.errors import XietongError
from hub.services import audit
from hub.store.audit import AuditRow
from tests.conftest import make_config


async def actor_of(hub: Hub, login: str) -> Actor:
    user = await hub.identity.user_by_login(login)
    return await hub.identity.actor(user.id, "10.0.0.8")


def code_now(secret: str, clock: FakeClock, steps: int = 0) -> str:
    return code_at_step(secret, time_step(clock.now()) + steps)


def wrong_code(secret: str, clock: FakeClock) -> str:
    """A six-digit code that none of the accepted steps (now ± 1) shows."""
    accepted = {code_now(secret, clock, s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


async def enrolled(hub: Hub, clock: FakeClock, login: str = "dhz.leader") -> tuple[Actor, str, list[str]]:
    """An enrolled person, their secret (as their phone has it) and recovery codes; 30 s later."""
    actor = await actor_of(hub, login)
    enrolment = await hub.otp.start_enrolment(actor)
    codes = await hub.otp.finish_enrolment(actor, code_now(enrolment.secret_base32, clock))
    clock.advance(seconds=30)
    return actor, enrolment.secret_base32, codes


async def rows(hub: Hub, action: str) -> list[AuditRow]:
    return (await audit.page(hub.store, None, 500, action)).rows


async def refused(code: str, call: Awaitable[object]) -> XietongError:
    with pytest.raises(XietongError) as info:
        await call
    assert info.value.code == code, info.value.code
    return info.value


# -- enrolment ----------------------------------------------------------------------------

async def test_a_leader_enrols_by_scanning_the_qr_code_and_typing_one_code(
        demo_hub: Hub, clock: FakeClock) -> None:
    leader = await actor_of(demo_hub, "dhz.leader")
    assert await demo_hub.otp.status(leader) == "none"
    enrolment = await demo_hub.otp.start_enrolment(leader)
    assert await demo_hub.otp.status(leader) == "pending"

    phone = pyotp.parse_uri(enrolment.otpauth_uri)     # what the authenticator app gets from the QR
    assert isinstance(phone, pyotp.TOTP) and phone.secret == enrolment.secret_base32
    assert phone.name == "dhz.leader" and phone.issuer == "协同"
    assert enrolment.qr_svg.startswith("<svg") and 'class="qr"' in enrolment.qr_svg

    codes = await demo_hub.otp.finish_enrolment(leader, phone.at(clock.now()))
    assert len(codes) == 10 == len(set(codes))
    assert await demo_hub.otp.status(leader) == "active"
    overview = await demo_hub.otp.overview(leader, leader.user_id)
    assert overview.recovery_codes_left == 10 and overview.activated_at == clock.now()
    assert [r.action for r in await rows(demo_hub, "otp.")] == ["otp.enrol", "otp.enrol_start"]


async def test_a_wrong_code_keeps_the_enrolment_pending(demo_hub: Hub, clock: FakeClock) -> None:
    leader = await actor_of(demo_hub, "dhz.leader")
    enrolment = await demo_hub.otp.start_enrolment(leader)
    right = code_now(enrolment.secret_base32, clock)
    await refused("otp.wrong", demo_hub.otp.finish_enrolment(leader, wrong_code(enrolment.secret_base32, clock)))
    assert await demo_hub.otp.status(leader) == "pending"
    assert (await rows(demo_hub, "otp.enrol_failed"))[0].actor_login == "dhz.leader"
    again = await demo_hub.otp.pending(leader)
    assert again is not None and again.secret_base32 == enrolment.secret_base32
    assert len(await demo_hub.otp.finish_enrolment(leader, right)) == 10
    assert await demo_hub.otp.pending(leader) is None


async def test_starting_again_replaces_a_pending_secret_but_not_an_active_one(
        demo_hub: Hub, clock: FakeClock) -> None:
    seal = await actor_of(demo_hub, "bgs.seal")
    first = await demo_hub.otp.start_enrolment(seal)
    second = await demo_hub.otp.start_enrolment(seal)
    assert first.secret_base32 != second.secret_base32
    if code_now(first.secret_base32, clock) != code_now(second.secret_base32, clock):
        await refused("otp.wrong", demo_hub.otp.finish_enrolment(seal, code_now(first.secret_base32, clock)))
    await demo_hub.otp.finish_enrolment(seal, code_now(second.secret_base32, clock))
    await refused("otp.already_enrolled", demo_hub.otp.start_enrolment(seal))
    await refused("otp.already_enrolled", demo_hub.otp.finish_enrolment(seal, "123456"))


async def test_finishing_without_starting_is_refused(demo_hub: Hub) -> None:
    err = await refused("otp.no_pending", demo_hub.otp.finish_enrolment(await actor_of(demo_hub, "dhz.leader"),
                                                                        "123456"))
    assert err.status == 409


@pytest.mark.parametrize("login", ["dhz.clerk1", "admin", "dh.admin", "duty"])
async def test_only_leaders_and_seal_keepers_enrol(demo_hub: Hub, login: str) -> None:
    err = await refused("perm.denied", demo_hub.otp.start_enrolment(await actor_of(demo_hub, login)))
    assert err.status == 403


# -- the approval check ---------------------------------------------------------------------

async def test_confirm_accepts_the_current_code_and_audits_purpose_and_target(
        demo_hub: Hub, clock: FakeClock) -> None:
    leader, secret, _ = await enrolled(demo_hub, clock)
    await demo_hub.otp.confirm(leader, code_now(secret, clock), "document.sign", "document:12")
    row = (await rows(demo_hub, "otp.confirm"))[0]
    assert row.actor_id == leader.user_id and row.target == "document:12"
    assert json.loads(row.detail) == {"purpose": "document.sign", "method": "totp",
                                      "step": time_step(clock.now())}
    assert (await audit.verify(demo_hub.store)).ok


async def test_a_phone_one_step_fast_or_slow_is_accepted_but_not_two(
        demo_hub: Hub, clock: FakeClock) -> None:
    leader, secret, _ = await enrolled(demo_hub, clock)
    clock.advance(minutes=5)
    await demo_hub.otp.confirm(leader, code_now(secret, clock, -1), "test", "t:1")
    clock.advance(seconds=30)
    await demo_hub.otp.confirm(leader, code_now(secret, clock, +1), "test", "t:2")
    clock.advance(minutes=5)
    assert [r.target for r in await rows(demo_hub, "otp.confirm")][:2] == ["t:2", "t:1"]
    far = code_now(secret, clock, -2)
    if far not in {code_now(secret, clock, s) for s in (-1, 0, 1)}:
        await refused("otp.wrong", demo_hub.otp.confirm(leader, far, "test", "t:3"))


async def test_the_code_that_finished_enrolment_cannot_approve(demo_hub: Hub, clock: FakeClock) -> None:
    leader = await actor_of(demo_hub, "dhz.leader")
    enrolment = await demo_hub.otp.start_enrolment(leader)
    code = code_now(enrolment.secret_base32, clock)
    await demo_hub.otp.finish_enrolment(leader, code)
    err = await refused("otp.reused", demo_hub.otp.confirm(leader, code, "document.sign", "document:1"))
    assert err.status == 409 and "已" in err.message("zh")


async def test_a_code_approves_once_and_an_older_code_not_at_all(demo_hub: Hub, clock: FakeClock) -> None:
    leader, secret, _ = await enrolled(demo_hub, clock)
    clock.advance(minutes=1)
    older, code = code_now(secret, clock, -1), code_now(secret, clock)
    await demo_hub.otp.confirm(leader, code, "document.sign", "document:1")
    await refused("otp.reused", demo_hub.otp.confirm(leader, code, "document.sign", "document:2"))
    if older != code:
        await refused("otp.reused", demo_hub.otp.confirm(leader, older, "document.sign", "document:2"))
    failed = await rows(demo_hub, "otp.failed")
    assert failed and all(json.loads(r.detail)["reason"] == "otp.reused" for r in failed)
    assert failed[-1].target == "document:2"
    clock.advance(seconds=30)
    await demo_hub.otp.confirm(leader, code_now(secret, clock), "document.sign", "document:2")


async def test_two_parallel_confirms_with_the_same_code_exactly_one_succeeds(
        demo_hub: Hub, clock: FakeClock) -> None:
    leader, secret, _ = await enrolled(demo_hub, clock)
    code = code_now(secret, clock)
    results = await asyncio.gather(
        demo_hub.otp.confirm(leader, code, "document.sign", "document:1"),
        demo_hub.otp.confirm(leader, code, "document.seal", "document:2"),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "XietongError"]
    (error,) = [r for r in results if isinstance(r, XietongError)]
    assert error.code == "otp.reused"
    assert len(await rows(demo_hub, "otp.confirm")) == 1
    assert len(await rows(demo_hub, "otp.failed")) == 1


async def test_a_recovery_code_stands_in_for_the_phone_once(demo_hub: Hub, clock: FakeClock) -> None:
    leader, _, codes = await enrolled(demo_hub, clock)
    await demo_hub.otp.confirm(leader, codes[3].upper().replace("-", " "), "document.sign", "document:1")
    row = (await rows(demo_hub, "otp.confirm"))[0]
    assert json.loads(row.detail) == {"purpose": "document.sign", "method": "recovery_code",
                                      "recovery_codes_left": 9}
    await refused("otp.reused", demo_hub.otp.confirm(leader, codes[3], "document.sign", "document:2"))
    await refused("otp.wrong", demo_hub.otp.confirm(leader, "abcd-efgh-jkmn", "document.sign", "document:2"))
    await demo_hub.otp.confirm(leader, codes[4], "document.sign", "document:2")
    assert (await demo_hub.otp.overview(leader, leader.user_id)).recovery_codes_left == 8


async def test_someone_without_an_active_enrolment_cannot_confirm(demo_hub: Hub, clock: FakeClock) -> None:
    clerk = await actor_of(demo_hub, "dhz.clerk1")
    await refused("otp.not_enrolled", demo_hub.otp.confirm(clerk, "123456", "document.sign", "document:1"))
    leader = await actor_of(demo_hub, "dhz.leader")
    await refused("otp.not_enrolled", demo_hub.otp.confirm(leader, "123456", "document.sign", "document:1"))
    enrolment = await demo_hub.otp.start_enrolment(leader)   # pending is not enough
    await refused("otp.not_enrolled", demo_hub.otp.confirm(
        leader, code_now(enrolment.secret_base32, clock), "document.sign", "document:1"))
    assert [json.loads(r.detail)["reason"] for r in await rows(demo_hub, "otp.failed")] == \
        ["otp.not_enrolled"] * 3


async def test_wrong_codes_are_throttled_then_allowed_again_after_the_window(
        demo_hub: Hub, clock: FakeClock) -> None:
    leader, secret, codes = await enrolled(demo_hub, clock)
    right = code_now(secret, clock)
    wrong = wrong_code(secret, clock)
    for _ in range(5):                          # otp.max_failures
        await refused("otp.wrong", demo_hub.otp.confirm(leader, wrong, "document.sign", "document:1"))
        clock.advance(seconds=1)
    err = await refused("otp.throttled", demo_hub.otp.confirm(leader, right, "document.sign", "document:1"))
    assert err.status == 429
    assert err.message("en") == "Too many wrong one-time codes. Try again in 15 minutes."
    assert err.message("zh") == "动态口令错误次数过多，请 15 分钟后再试。"
    await refused("otp.throttled", demo_hub.otp.confirm(leader, codes[0], "document.sign", "document:1"))
    reasons = [json.loads(r.detail)["reason"] for r in await rows(demo_hub, "otp.failed")]
    assert reasons == ["otp.throttled"] * 2 + ["otp.wrong"] * 5

    clock.advance(minutes=10)
    err = await refused("otp.throttled", demo_hub.otp.confirm(leader, right, "document.sign", "document:1"))
    assert err.params == {"minutes": 5}
    clock.advance(minutes=5)                    # the first failure has left the 15-minute window
    await demo_hub.otp.confirm(leader, code_now(secret, clock), "document.sign", "document:1")


async def test_the_throttle_follows_the_config(demo_template: Path, db_path: Path, clock: FakeClock) -> None:
    shutil.copy(demo_template, db_path)
    hub = await Hub.start(make_config(db_path, otp={"max_failures": 2, "window_minutes": 3}), clock)
    try:
        leader, secret, _ = await enrolled(hub, clock)
        for _ in range(2):
            await refused("otp.wrong", hub.otp.confirm(leader, wrong_code(secret, clock), "t", "t:1"))
        err = await refused("otp.throttled", hub.otp.confirm(leader, code_now(secret, clock), "t", "t:1"))
        assert err.params == {"minutes": 3}
        clock.advance(minutes=3)
        await hub.otp.confirm(leader, code_now(secret, clock), "t", "t:1")
    finally:
        await hub.close()


# -- the admin reset --------------------------------------------------------------------------

async def test_the_unit_admin_resets_a_lost_phone_and_the_person_enrols_again(
        demo_hub: Hub, clock: FakeClock) -> None:
    leader, secret, codes = await enrolled(demo_hub, clock)
    unit_admin = await actor_of(demo_hub, "dh.admin")
    await demo_hub.otp.reset(unit_admin, leader.user_id)
    assert await demo_hub.otp.status(leader) == "none"
    row = (await rows(demo_hub, "otp.reset"))[0]
    assert row.actor_login == "dh.admin" and row.target == f"user:{leader.user_id}"
    assert json.loads(row.detail) == {"login": "dhz.leader", "was": "active"}
    await refused("otp.not_enrolled", demo_hub.otp.confirm(leader, code_now(secret, clock), "t", "t:1"))
    await refused("otp.not_enrolled", demo_hub.otp.confirm(leader, codes[0], "t", "t:1"))
    _, new_secret, _ = await enrolled(demo_hub, clock)
    assert new_secret != secret


async def test_only_those_who_manage_the_persons_unit_may_reset(demo_hub: Hub, clock: FakeClock) -> None:
    seal, _, _ = await enrolled(demo_hub, clock, "bgs.seal")           # 办公室 (BGS)
    await refused("perm.denied", demo_hub.otp.reset(await actor_of(demo_hub, "dh.admin"), seal.user_id))
    await refused("perm.denied", demo_hub.otp.reset(await actor_of(demo_hub, "bgs.leader"), seal.user_id))
    await refused("perm.denied", demo_hub.otp.reset(seal, seal.user_id))
    assert await demo_hub.otp.status(seal) == "active"
    await demo_hub.otp.reset(await actor_of(demo_hub, "admin"), seal.user_id)
    await demo_hub.otp.reset(SystemActor(login="ops"), seal.user_id)        # the command line
    assert [json.loads(r.detail)["was"] for r in await rows(demo_hub, "otp.reset")] == ["none", "active"]


# -- the secret at rest -----------------------------------------------------------------------

@pytest.mark.sqlite_only(reason="reads the SQLite file behind the store's back")
async def test_the_secret_cannot_be_read_from_the_database_file_without_the_key(
        demo_hub: Hub, clock: FakeClock, db_path: Path) -> None:
    leader, secret, codes = await enrolled(demo_hub, clock)
    raw_secret = base64.b32decode(secret)
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]   # db, -wal, -shm
    assert len(files) >= 2      # the database and its write-ahead log: both are searched
    for path in files:
        data = path.read_bytes()
        assert secret.encode() not in data and secret.lower().encode() not in data, path
        assert raw_secret not in data, path
        for code in codes:
            assert code.encode() not in data and code.replace("-", "").encode() not in data, path

    con = sqlite3.connect(db_path)
    (sealed,) = con.execute("SELECT secret_enc FROM otp_enrolments WHERE user_id = ?",
                            (leader.user_id,)).fetchone()
    con.close()
    key_file = db_path.parent / "otp.key"                  # the key lives beside, not inside, the db
    assert (key_file.stat().st_mode & 0o777) == 0o600
    key = parse_key(key_file.read_text())
    assert key not in b"".join(p.read_bytes() for p in files)
    assert SecretBox(key).open(leader.user_id, sealed) == secret
    with pytest.raises(SecretUnreadable):
        SecretBox(bytes(32)).open(leader.user_id, sealed)             # another key
    other = await actor_of(demo_hub, "xsz.leader")
    with pytest.raises(SecretUnreadable):
        SecretBox(key).open(other.user_id, sealed)                    # moved to another user's row


@pytest.mark.sqlite_only(reason="edits the SQLite file behind the store's back")
async def test_a_secret_moved_to_another_users_row_does_not_confirm(
        demo_hub: Hub, clock: FakeClock, db_path: Path) -> None:
    leader, secret, _ = await enrolled(demo_hub, clock)
    other = await actor_of(demo_hub, "xsz.leader")
    await enrolled(demo_hub, clock, "xsz.leader")
    con = sqlite3.connect(db_path)
    con.execute("UPDATE otp_enrolments SET secret_enc = (SELECT secret_enc FROM otp_enrolments"
                " WHERE user_id = ?) WHERE user_id = ?", (leader.user_id, other.user_id))
    con.commit()
    con.close()
    err = await refused("otp.unreadable", demo_hub.otp.confirm(other, code_now(secret, clock), "t", "t:1"))
    assert err.status == 500


async def test_the_key_may_come_from_the_environment_instead_of_a_file(
        demo_template: Path, db_path: Path, clock: FakeClock) -> None:
    shutil.copy(demo_template, db_path)
    key_text = base64.b64encode(bytes(range(32))).decode()
    env = {"XIETONG_OTP_KEY": key_text, "XIETONG_STORE_PATH": str(db_path)}
    cfg = load(env=env)
    assert cfg.otp.key == key_text
    with pytest.raises(ConfigError, match="otp.key"):
        load(env={"XIETONG_OTP_KEY": "c2hvcnQ="})
    hub = await Hub.start(make_config(db_path, otp={"key": key_text}), clock)
    try:
        leader, secret, _ = await enrolled(hub, clock)
        await hub.otp.confirm(leader, code_now(secret, clock), "t", "t:1")
    finally:
        await hub.close()
    assert not (db_path.parent / "otp.key").exists()
    con = sqlite3.connect(db_path)
    (sealed,) = con.execute("SELECT secret_enc FROM otp_enrolments WHERE user_id = ?",
                            (leader.user_id,)).fetchone()
    con.close()
    assert SecretBox(bytes(range(32))).open(leader.user_id, sealed) == secret


async def test_the_key_file_is_only_made_when_otp_is_first_used(demo_hub: Hub, db_path: Path) -> None:
    key_file = db_path.parent / "otp.key"
    assert not key_file.exists()
    await demo_hub.otp.status(await actor_of(demo_hub, "dhz.leader"))
    assert not key_file.exists()
    await demo_hub.otp.start_enrolment(await actor_of(demo_hub, "dhz.leader"))
    assert key_file.exists()
