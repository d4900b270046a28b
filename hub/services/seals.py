"""Electronic seals (电子印章): the seal authority and each seal's life, one transaction per change.

The authority's private key is stored encrypted with its passphrase and kept
decrypted in this process's memory only once `unlock`ed (at start, from the
config). A new seal's key is encrypted under a secret derived from the
authority's key until the keeper sets the seal password; from then on only
that password opens it. Stamping under approval is in `hub.services.seal_use`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hub.clock import Clock
from hub.config import Config
from hub.crypto import seals as crypto
from hub.crypto.seal_algorithms import DEFAULT, PrivateKey, by_name
from hub.domain.identity import Actor, SystemActor
from hub.domain.permissions import Action, can, require
from hub.domain.seals import (
    CRL_REASON,
    KIND_LABELS,
    STATE_LABELS,
    SealEvent,
    SealKind,
    SealState,
    check_kind,
    check_reason,
    check_seal_name,
    check_valid_days,
    revocation_time,
    transition,
)
from hub.errors import XietongError
from hub.services import audit
from hub.services.seal_use import Confirm, SealUse, picture_of
from hub.services.sealed_pdf import SealedPdfMaker, ensure_tsa
from hub.store import Store, Tx
from hub.store.seals import Seal, SealHistoryEntry

log = logging.getLogger(__name__)

Who = Actor | SystemActor

DEFAULT_AUTHORITY_NAME = "电子印章制作中心"


def _name(who: Who) -> str:
    return who.name if isinstance(who, Actor) else who.login


class SealService(SealUse):
    def __init__(self, store: Store, clock: Clock, config: Config, confirm: Confirm,
                 todo_changed: Callable[[int], None] = lambda unit_id: None) -> None:
        self.store, self.clock, self.config, self._confirm = store, clock, config, confirm
        self._todo_changed = todo_changed
        self._authority_key: PrivateKey | None = None
        self.sealed: SealedPdfMaker | None = None     # set by the hub: the stamped document's signed PDF

    # -- the authority ------------------------------------------------------------------------

    @property
    def unlocked(self) -> bool:
        return self._authority_key is not None

    async def init_authority(self, who: Who, passphrase: str, name: str = DEFAULT_AUTHORITY_NAME) -> bytes:
        """Create the seal authority (once): a key pair, its self-signed CA certificate (returned, PEM)
        and a first, empty revocation list. The key is stored encrypted with `passphrase`."""
        self._require_manage(who)
        name = name.strip() or DEFAULT_AUTHORITY_NAME
        if len(passphrase) < self.config.passwords.min_length:
            raise XietongError("user.weak_password", min=self.config.passwords.min_length)
        now = self.clock.now()
        key, cert = crypto.make_authority(name, now, DEFAULT)
        kdf = self._new_kdf()
        key_enc = crypto.encrypt_key(key, await asyncio.to_thread(kdf.stretch, passphrase))
        next_update = now + timedelta(days=self.config.seals.crl_days)
        crl = crypto.make_crl(key, cert, [], 1, now, next_update, DEFAULT)
        cert_pem = cert.public_bytes(Encoding.PEM)
        async with self.store.write() as tx:
            if await tx.seals.authority() is not None:
                raise XietongError("seal.authority_exists")
            await tx.seals.add_authority(name, DEFAULT.name, cert_pem, key_enc, kdf.to_json(), crl, next_update, now)
            if self.sealed is not None:
                await ensure_tsa(tx, key, cert, self.sealed.at_rest_key(), now)
            await audit.record(tx, now, who, "seal.authority_init", "seal_authority", name=name,
                               fingerprint=crypto.fingerprint(cert))
        self._authority_key = key
        return cert_pem

    async def unlock(self, passphrase: str) -> None:
        """Decrypt the authority's key into memory (never written anywhere)."""
        async with self.store.read() as tx:
            row = await tx.seals.authority()
        if row is None:
            raise XietongError("seal.no_authority")
        secret = await asyncio.to_thread(crypto.Kdf.from_json(row.key_kdf).stretch, passphrase)
        try:
            self._authority_key = crypto.decrypt_key(row.key_enc, secret)
        except crypto.WrongSecret:
            raise XietongError("seal.bad_passphrase") from None
        if self.sealed is not None:      # an authority made before the time-stamp service: it gets one now
            async with self.store.write() as tx:
                if await ensure_tsa(tx, self._authority_key, x509.load_pem_x509_certificate(row.cert_pem),
                                    self.sealed.at_rest_key(), self.clock.now()):
                    await audit.record(tx, self.clock.now(), SystemActor(login="seals"), "seal.tsa_init",
                                       "seal_authority")

    async def unlock_from_config(self) -> bool:
        """At start: unlock with seals.authority_passphrase_file or seals.authority_passphrase, if set.
        A wrong passphrase or a missing authority is logged and leaves the authority locked."""
        cfg = self.config.seals
        if cfg.authority_passphrase_file:
            path = Path(cfg.authority_passphrase_file)
            if not path.exists():
                log.warning("seals.authority_passphrase_file %s does not exist; the seal authority stays locked",
                            path)
                return False
            passphrase = path.read_text(encoding="utf-8").strip()
        else:
            passphrase = cfg.authority_passphrase
        if not passphrase or not await self.has_authority():
            return False
        try:
            await self.unlock(passphrase)
        except XietongError as e:
            log.error("the seal authority stays locked: %s", e.message("en"))
            return False
        log.info("seal authority unlocked")
        return True

    async def has_authority(self) -> bool:
        async with self.store.read() as tx:
            return await tx.seals.authority() is not None

    async def authority_pem(self) -> bytes:
        async with self.store.read() as tx:
            row = await tx.seals.authority()
        if row is None:
            raise XietongError("seal.no_authority")
        return row.cert_pem

    async def crl_der(self) -> bytes:
        """The latest revocation list; a fresh one when it has lapsed and the authority is unlocked."""
        async with self.store.read() as tx:
            row = await tx.seals.authority()
        if row is None:
            raise XietongError("seal.no_authority")
        if row.crl_next_update > self.clock.now() or self._authority_key is None:
            return row.crl_der
        async with self.store.write() as tx:
            return await self._publish_crl(tx, self.clock.now())

    # -- a seal's life ------------------------------------------------------------------------

    async def make_seal(self, who: Who, unit_id: int, kind: str | SealKind, name: str, valid_days: int) -> Seal:
        """制作: a new seal of a unit (state made until its keeper sets the seal password)."""
        self._require_manage(who)
        seal_kind, name, days = check_kind(kind), check_seal_name(name), check_valid_days(valid_days)
        now = self.clock.now()
        async with self.store.write() as tx:
            seal_id = await self._issue(tx, who, unit_id, seal_kind, name, now, now + timedelta(days=days), None, "")
            seal = await tx.seals.get(seal_id)
        assert seal is not None
        return seal

    async def set_seal_password(self, keeper: Who, seal_id: int, new_password: str,
                                old_password: str | None = None) -> Seal:
        """The keeper's seal password: the first time (made → active) no old password is needed;
        to change it, the old one is."""
        seal = await self.seal(keeper, seal_id)
        if isinstance(keeper, Actor):
            require(keeper, Action.USE_SEAL, seal.unit_id)
        if len(new_password) < self.config.passwords.min_length:
            raise XietongError("user.weak_password", min=self.config.passwords.min_length)
        first = seal.state is SealState.MADE
        if first:
            key = await self._open_made(seal)
        elif seal.state in (SealState.ACTIVE, SealState.SUSPENDED):
            if not old_password:
                raise XietongError("seal.old_password_required")
            key = await self._open_with_password(keeper, seal, old_password, "password_change")
        else:
            raise _no_password_now(seal.state)
        kdf = self._new_kdf()
        key_enc = crypto.encrypt_key(key, await asyncio.to_thread(kdf.stretch, new_password))
        now = self.clock.now()
        async with self.store.write() as tx:
            current = await self._get(tx, seal_id)
            if current.state is not seal.state:
                raise _no_password_now(current.state)
            await tx.seals.set_key(seal_id, key_enc, kdf.to_json(), now)
            if first:
                after = transition(seal.state, SealEvent.ACTIVATE)
                await tx.seals.set_state(seal_id, after, now)
                await self._history(tx, now, keeper, seal, SealEvent.ACTIVATE.value, after, "")
                await audit.record(tx, now, keeper, "seal.activate", f"seal:{seal_id}")
            else:
                await self._history(tx, now, keeper, seal, "password", seal.state, "")
                await audit.record(tx, now, keeper, "seal.password_change", f"seal:{seal_id}")
            await tx.seals.clear_failures(seal_id)
            result = await self._get(tx, seal_id)
        return result

    async def suspend(self, who: Who, seal_id: int, reason: str) -> Seal:
        return await self._change(who, seal_id, SealEvent.SUSPEND, reason)

    async def resume(self, who: Who, seal_id: int, reason: str) -> Seal:
        return await self._change(who, seal_id, SealEvent.RESUME, reason)

    async def revoke(self, who: Who, seal_id: int, reason: str) -> Seal:
        """注销: from any state; the certificate goes on a fresh revocation list."""
        return await self._change(who, seal_id, SealEvent.REVOKE, reason)

    async def destroy(self, who: Who, seal_id: int, reason: str) -> Seal:
        """销毁 a revoked seal: its key material is wiped, its record and history kept."""
        return await self._change(who, seal_id, SealEvent.DESTROY, reason)

    async def replace(self, who: Who, seal_id: int, reason: str) -> Seal:
        """更换: the seal becomes replaced (listed as superseded) and a new seal like it is made."""
        self._require_manage(who)
        reason = check_reason(reason)
        now = self.clock.now()
        async with self.store.write() as tx:
            old = await self._get(tx, seal_id)
            after = transition(old.state, SealEvent.REPLACE)
            new_id = await self._successor(tx, who, old, now, reason)
            await tx.seals.set_state(seal_id, after, now)
            await tx.seals.mark_revoked(seal_id, revocation_time(now), CRL_REASON[SealEvent.REPLACE])
            await self._history(tx, now, who, old, SealEvent.REPLACE.value, after, reason)
            await audit.record(tx, now, who, "seal.replace", f"seal:{seal_id}", reason=reason, new_seal=new_id)
            await self._publish_crl(tx, now)
            new = await self._get(tx, new_id)
        return new

    async def reset_keeper_password(self, who: Who, seal_id: int, reason: str) -> Seal:
        """A forgotten seal password cannot be reset, only the seal: revoked and destroyed (its key
        wiped), and a replacement made whose keeper sets a new password. Returns the replacement."""
        self._require_manage(who)
        reason = check_reason(reason)
        now = self.clock.now()
        async with self.store.write() as tx:
            old = await self._get(tx, seal_id)
            new_id = await self._successor(tx, who, old, now, reason)
            if old.state is not SealState.REVOKED:
                old = await self._apply(tx, who, old, SealEvent.REVOKE, reason, now)
            await self._apply(tx, who, old, SealEvent.DESTROY, reason, now)
            await audit.record(tx, now, who, "seal.reset_keeper_password", f"seal:{seal_id}", reason=reason,
                               new_seal=new_id)
            await self._publish_crl(tx, now)
            new = await self._get(tx, new_id)
        return new

    # -- reading ------------------------------------------------------------------------------

    async def seals(self, who: Who, unit_id: int | None = None) -> list[Seal]:
        """The seal authority sees every unit's seals; others their own unit's."""
        if isinstance(who, Actor) and not can(who, Action.MANAGE_SEALS):
            unit_id = who.unit_id if unit_id is None else unit_id
            if unit_id != who.unit_id or not can(who, Action.VIEW_ITEM, unit_id):
                raise XietongError("perm.denied")
        async with self.store.read() as tx:
            return await tx.seals.find(unit_id)

    async def seal(self, who: Who, seal_id: int) -> Seal:
        async with self.store.read() as tx:
            seal = await tx.seals.get(seal_id)
        if seal is None or not self._may_see(who, seal):
            raise XietongError("seal.not_found")
        return seal

    async def history(self, seal_id: int) -> list[SealHistoryEntry]:
        """Every change of the seal's life, oldest first (the caller checks who may read it)."""
        async with self.store.read() as tx:
            return await tx.seals.history(seal_id)

    async def picture_svg(self, seal_id: int) -> str:
        async with self.store.read() as tx:
            seal = await self._get(tx, seal_id)
        return picture_of(seal)

    # -- helpers ------------------------------------------------------------------------------

    def _require_manage(self, who: Who) -> None:
        if isinstance(who, Actor):
            require(who, Action.MANAGE_SEALS)

    def _may_see(self, who: Who, seal: Seal) -> bool:
        return not isinstance(who, Actor) or can(who, Action.MANAGE_SEALS) or (
            who.unit_id == seal.unit_id and can(who, Action.VIEW_ITEM, seal.unit_id))

    def _new_kdf(self) -> crypto.Kdf:
        p = self.config.passwords
        return crypto.Kdf.new(p.argon2_time_cost, p.argon2_memory_kib, p.argon2_parallelism)

    def _authority(self) -> PrivateKey:
        if self._authority_key is None:
            raise XietongError("seal.authority_locked")
        return self._authority_key

    async def _open_made(self, seal: Seal) -> PrivateKey:
        """A new seal's key, opened with the secret derived from the (unlocked) authority's key."""
        authority_key = self._authority()
        async with self.store.read() as tx:
            stored = await tx.seals.key(seal.id)
        if stored.key_enc is None or stored.key_wrap != "authority":
            raise _no_password_now(seal.state)
        try:
            return crypto.decrypt_key(stored.key_enc, crypto.authority_wrap_secret(authority_key, seal.serial))
        except crypto.WrongSecret:
            raise XietongError("seal.bad_passphrase") from None

    async def _get(self, tx: Tx, seal_id: int) -> Seal:
        seal = await tx.seals.get(seal_id)
        if seal is None:
            raise XietongError("seal.not_found")
        return seal

    async def _issue(self, tx: Tx, who: Who, unit_id: int, kind: SealKind, name: str, not_before: datetime,
                     not_after: datetime, replaces_id: int | None, reason: str) -> int:
        """A new key pair and certificate; the key kept under the authority-derived secret."""
        authority_key = self._authority()
        row = await tx.seals.authority()
        unit = await tx.units.get(unit_id)
        if row is None:
            raise XietongError("seal.no_authority")
        if unit is None:
            raise XietongError("unit.not_found")
        alg = by_name(row.algorithm)
        authority_cert = x509.load_pem_x509_certificate(row.cert_pem)
        key = alg.new_key()
        cert = crypto.issue_seal_cert(authority_key, authority_cert, key.public_key(),
                                      crypto.SealSubject(unit.name, KIND_LABELS[kind], name),
                                      not_before, not_after, alg)
        serial = crypto.serial_hex(cert)
        key_enc = crypto.encrypt_key(key, crypto.authority_wrap_secret(authority_key, serial))
        seal_id = await tx.seals.add(unit_id, kind, name, alg.name, serial,
                                     cert.public_bytes(Encoding.PEM),
                                     cert.not_valid_before_utc, cert.not_valid_after_utc, key_enc, replaces_id,
                                     not_before)
        await tx.seals.add_history(seal_id, not_before, who.user_id, who.login, _name(who), SealEvent.MAKE.value,
                                   "", SealState.MADE.value, reason)
        await audit.record(tx, not_before, who, "seal.make", f"seal:{seal_id}", unit_id=unit_id, kind=kind.value,
                           name=name, serial=serial, not_after=cert.not_valid_after_utc.isoformat(),
                           replaces=replaces_id)
        return seal_id

    async def _successor(self, tx: Tx, who: Who, old: Seal, now: datetime, reason: str) -> int:
        """A new seal like `old` (same unit, kind, name and length of validity) that replaces it."""
        new_id = await self._issue(tx, who, old.unit_id, old.kind, old.name, now,
                                   now + (old.not_after - old.not_before), old.id, reason)
        await tx.seals.set_replaced_by(old.id, new_id)
        return new_id

    async def _change(self, who: Who, seal_id: int, event: SealEvent, reason: str) -> Seal:
        self._require_manage(who)
        reason = check_reason(reason)
        if event is SealEvent.REVOKE:
            self._authority()                   # the revocation list must be signed in the same transaction
        now = self.clock.now()
        async with self.store.write() as tx:
            seal = await self._apply(tx, who, await self._get(tx, seal_id), event, reason, now)
            await audit.record(tx, now, who, f"seal.{event.value}", f"seal:{seal_id}", reason=reason)
            if event is SealEvent.REVOKE:
                await self._publish_crl(tx, now)
        return seal

    async def _apply(self, tx: Tx, who: Who, seal: Seal, event: SealEvent, reason: str, now: datetime) -> Seal:
        after = transition(seal.state, event)
        await tx.seals.set_state(seal.id, after, now)
        if event is SealEvent.REVOKE:
            await tx.seals.mark_revoked(seal.id, revocation_time(now), CRL_REASON[event])
        if event is SealEvent.DESTROY:
            await tx.seals.wipe_key(seal.id, now)
        await self._history(tx, now, who, seal, event.value, after, reason)
        return await self._get(tx, seal.id)

    async def _history(self, tx: Tx, now: datetime, who: Who, seal: Seal, event: str, after: SealState,
                       reason: str) -> None:
        await tx.seals.add_history(seal.id, now, who.user_id, who.login, _name(who), event, seal.state.value,
                                   after.value, reason)

    async def _publish_crl(self, tx: Tx, now: datetime) -> bytes:
        """A new revocation list, numbered one higher, listing every revoked or superseded seal."""
        authority_key = self._authority()
        row = await tx.seals.authority()
        if row is None:
            raise XietongError("seal.no_authority")
        revoked = [crypto.Revoked(int(serial, 16), at, reason) for serial, at, reason in await tx.seals.revoked()]
        number = await tx.seals.next_crl_number()
        next_update = now + timedelta(days=self.config.seals.crl_days)
        der = crypto.make_crl(authority_key, x509.load_pem_x509_certificate(row.cert_pem), revoked, number, now,
                              next_update, by_name(row.algorithm))
        await tx.seals.set_crl(der, next_update)
        return der


def _no_password_now(state: SealState) -> XietongError:
    return XietongError("seal.bad_state", event="set password", event_zh="设置密码", state=state.value,
                        state_zh=STATE_LABELS[state])

