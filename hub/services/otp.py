"""One-time passwords (动态口令) of leaders and seal keepers, used to confirm approvals.

A person enrols once (scan a QR code, type one code, keep ten recovery codes);
from then on `confirm` is the check an approval calls. Each time step's code is
accepted once: the highest accepted step is stored and a conditional UPDATE
refuses any code at or below it, inside the same write transaction as the
audit row. Wrong codes are counted per person and throttled.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hub.clock import Clock
from hub.config import Config
from hub.crypto.totp import (
    STEP_SECONDS,
    SecretBox,
    SecretUnreadable,
    is_totp_code,
    load_or_create_key_file,
    looks_like_recovery_code,
    matching_steps,
    new_recovery_codes,
    new_secret,
    parse_key,
    provisioning_uri,
    qr_svg,
    time_step,
)
from hub.domain.identity import Actor, SystemActor
from hub.domain.permissions import Action, can, grantable_roles, require
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx
from hub.store.otp import OtpEnrolment

Who = Actor | SystemActor

NONE, PENDING, ACTIVE = "none", "pending", "active"


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret for manual entry, its URI, and the URI as a QR code."""

    secret_base32: str
    otpauth_uri: str
    qr_svg: str        # inline SVG markup, made on the server


@dataclass(frozen=True)
class OtpOverview:
    state: str                       # "none" | "pending" | "active"
    activated_at: datetime | None
    recovery_codes_left: int


Confirm = Callable[[Actor, str, str, str], Awaitable[None]]   # OtpService.confirm, as the approvals get it


async def confirm_retry(confirm: Confirm, actor: Actor, code: str, purpose: str, target: str) -> None:
    """The check for a confirmation retried after it committed (its answer was lost on the way).

    The caller has found the step already in the state the retry asks for, by this same person. The
    code that confirmed it is now refused as used; that refusal is the retry's proof (a code of this
    person's own authenticator, still within its time window, or their spent recovery code), so it
    passes. Every other refusal stands: a wrong code (counted), throttling, no enrolment.
    """
    try:
        await confirm(actor, code, f"{purpose}.retry", target)
    except XietongError as err:
        if err.code != "otp.reused":
            raise


@dataclass(frozen=True)
class _Refusal:
    error: XietongError
    counts: bool                     # a wrong guess: counted towards throttling


class OtpService:
    def __init__(self, store: Store, clock: Clock, config: Config) -> None:
        self.store, self.clock, self.config = store, clock, config
        self._box: SecretBox | None = None
        self._key: bytes | None = None

    # -- the key ------------------------------------------------------------------------

    def box(self) -> SecretBox:
        """The at-rest key, read (or the key file created) on first use."""
        if self._box is None:
            self._box = SecretBox(self.at_rest_key())
        return self._box

    def at_rest_key(self) -> bytes:
        """The server's at-rest key (also wraps the seal authority's time-stamp key)."""
        if self._key is None:
            self._key = self._load_key()
        return self._key

    def _load_key(self) -> bytes:
        cfg = self.config.otp
        if cfg.key:
            try:
                return parse_key(cfg.key)
            except ValueError:
                raise XietongError("otp.bad_key", source="otp.key / XIETONG_OTP_KEY") from None
        path = Path(cfg.key_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return load_or_create_key_file(path)
        except ValueError:
            raise XietongError("otp.bad_key", source=str(path)) from None

    def _open(self, e: OtpEnrolment) -> str:
        try:
            return self.box().open(e.user_id, e.secret_enc)
        except SecretUnreadable:
            raise XietongError("otp.unreadable") from None

    # -- reading ------------------------------------------------------------------------

    async def status(self, actor: Actor) -> str:
        """"none" | "pending" | "active" for the actor's own account."""
        async with self.store.read() as tx:
            e = await tx.otp.get(actor.user_id)
        return e.state if e else NONE

    async def overview(self, who: Who, user_id: int) -> OtpOverview:
        """One's own state, or (for whoever manages that person's unit) someone else's."""
        async with self.store.read() as tx:
            if not (isinstance(who, Actor) and who.user_id == user_id):
                user = await tx.users.get(user_id)
                if user is None:
                    raise XietongError("not_found")
                if isinstance(who, Actor):
                    require(who, Action.MANAGE_USERS, user.unit_id)
            e = await tx.otp.get(user_id)
            left = await tx.otp.recovery_codes_left(user_id) if e else 0
        if e is None:
            return OtpOverview(NONE, None, 0)
        return OtpOverview(e.state, e.activated_at, left)

    async def wait_seconds(self, actor: Actor) -> int:
        """Seconds until the authenticator shows a code not used yet (0: the one it shows now is fresh).

        A code is accepted once: right after enrolling (or an approval) the app still shows the code
        just typed, and typing it again is refused as used, so the page says how long to wait.
        """
        async with self.store.read() as tx:
            e = await tx.otp.get(actor.user_id)
        if e is None or e.state != ACTIVE:
            return 0
        return max(0, math.ceil((e.last_step + 1) * STEP_SECONDS - self.clock.now().timestamp()))

    async def pending(self, actor: Actor) -> Enrolment | None:
        """The enrolment under way (to show its QR code again), or None."""
        async with self.store.read() as tx:
            e = await tx.otp.get(actor.user_id)
        if e is None or e.state != PENDING:
            return None
        return self._enrolment(actor, self._open(e))

    # -- enrolling ----------------------------------------------------------------------

    async def start_enrolment(self, actor: Actor) -> Enrolment:
        """A new secret, pending until a code from it is confirmed; replaces a pending one."""
        require(actor, Action.ENROL_OTP, actor.unit_id)
        secret = new_secret()
        sealed = self.box().seal(actor.user_id, secret)
        now = self.clock.now()
        async with self.store.write() as tx:
            if not await tx.otp.start(actor.user_id, sealed, now):
                raise XietongError("otp.already_enrolled")
            await audit.record(tx, now, actor, "otp.enrol_start", f"user:{actor.user_id}")
        return self._enrolment(actor, secret)

    async def finish_enrolment(self, actor: Actor, code: str) -> list[str]:
        """Activate the pending secret with a correct code; returns 10 recovery codes, shown once."""
        require(actor, Action.ENROL_OTP, actor.unit_id)
        box = self.box()
        now = self.clock.now()
        codes = new_recovery_codes()
        wrong = False
        async with self.store.write() as tx:
            e = await tx.otp.get(actor.user_id)
            if e is None:
                raise XietongError("otp.no_pending")
            if e.state == ACTIVE:
                raise XietongError("otp.already_enrolled")
            steps = [s for s in matching_steps(self._open(e), code, time_step(now)) if s > e.last_step]
            if steps and await tx.otp.activate(actor.user_id, max(steps), now):
                await tx.otp.replace_recovery_codes(
                    actor.user_id, [box.recovery_hash(actor.user_id, c) for c in codes])
                await tx.otp.clear_failures(actor.user_id)
                await audit.record(tx, now, actor, "otp.enrol", f"user:{actor.user_id}",
                                   recovery_codes=len(codes))
            else:
                wrong = True
                await audit.record(tx, now, actor, "otp.enrol_failed", f"user:{actor.user_id}")
        if wrong:   # raised after the commit, so the audit row stays
            raise XietongError("otp.wrong")
        return codes

    # -- the approval check -------------------------------------------------------------

    async def confirm(self, actor: Actor, code: str, purpose: str, target: str) -> None:
        """Accept a current code (±1 step) or an unused recovery code, once; audited.

        Raises otp.not_enrolled, otp.wrong, otp.reused or otp.throttled. The refusal's
        audit row ("otp.failed") and failure count are committed before it is raised.
        """
        box = self.box()
        now = self.clock.now()
        me = actor.person     # the code belongs to the person at the keyboard, a delegate's too (代理)
        async with self.store.write() as tx:
            outcome = await self._check(tx, box, me, code, now)
            if isinstance(outcome, _Refusal):
                if outcome.counts:
                    await tx.otp.record_failure(me.user_id, now)
                    await tx.otp.prune_failures(now - self._window())
                await audit.record(tx, now, actor, "otp.failed", target, purpose=purpose,
                                   reason=outcome.error.code)
            else:
                await tx.otp.clear_failures(me.user_id)
                await audit.record(tx, now, actor, "otp.confirm", target, purpose=purpose, **outcome)
        if isinstance(outcome, _Refusal):
            raise outcome.error

    async def _check(self, tx: Tx, box: SecretBox, actor: Actor, code: str,
                     now: datetime) -> _Refusal | dict[str, Any]:
        """Inside the write transaction: spend the code, or say why not (`actor` is the person at
        the keyboard, never one acting for another: the codes and their replay record are theirs)."""
        e = await tx.otp.get(actor.user_id)
        if e is None or e.state != ACTIVE or not can(actor, Action.ENROL_OTP, actor.unit_id):
            return _Refusal(XietongError("otp.not_enrolled"), counts=False)
        failures = await tx.otp.failures_since(actor.user_id, now - self._window())
        limit = self.config.otp.max_failures
        if len(failures) >= limit:
            # refused until enough failures have left the window to bring the count below the limit
            free_at = failures[len(failures) - limit] + self._window()
            minutes = max(1, math.ceil((free_at - now).total_seconds() / 60))
            return _Refusal(XietongError("otp.throttled", minutes=minutes), counts=False)
        if is_totp_code(code):
            steps = matching_steps(self._open(e), code, time_step(now))
            if not steps:
                return _Refusal(XietongError("otp.wrong"), counts=True)
            if not await tx.otp.use_step(actor.user_id, max(steps)):   # atomic: WHERE last_step < step
                return _Refusal(XietongError("otp.reused"), counts=False)
            return {"method": "totp", "step": max(steps)}
        if looks_like_recovery_code(code):
            digest = box.recovery_hash(actor.user_id, code)
            if await tx.otp.use_recovery_code(actor.user_id, digest, now):
                return {"method": "recovery_code",
                        "recovery_codes_left": await tx.otp.recovery_codes_left(actor.user_id)}
            if await tx.otp.recovery_code_spent(actor.user_id, digest):
                return _Refusal(XietongError("otp.reused"), counts=False)
        return _Refusal(XietongError("otp.wrong"), counts=True)

    # -- administration -----------------------------------------------------------------

    async def reset(self, who: Who, user_id: int) -> None:
        """Forget a person's enrolment and recovery codes (a lost phone); they enrol again."""
        now = self.clock.now()
        async with self.store.write() as tx:
            user = await tx.users.get(user_id)
            if user is None:
                raise XietongError("not_found")
            if isinstance(who, Actor):
                require(who, Action.MANAGE_USERS, user.unit_id)
                if user.roles - grantable_roles(who):   # a unit admin may not touch an admin's account
                    raise XietongError("perm.denied")
            e = await tx.otp.get(user_id)
            await tx.otp.delete(user_id)
            await audit.record(tx, now, who, "otp.reset", f"user:{user_id}", login=user.login,
                               was=e.state if e else NONE)

    # -- helpers --------------------------------------------------------------------------

    def _window(self) -> timedelta:
        return timedelta(minutes=self.config.otp.window_minutes)

    def _enrolment(self, actor: Actor, secret: str) -> Enrolment:
        uri = provisioning_uri(secret, actor.login, self.config.otp.issuer)
        return Enrolment(secret, uri, qr_svg(uri))
