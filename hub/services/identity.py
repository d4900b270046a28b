"""Logging in and out, sessions, and the administration of units and people."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.crypto.passwords import PasswordHasher
from hub.domain.identity import (
    Actor,
    Role,
    SystemActor,
    Unit,
    UnitKind,
    User,
    check_login,
    check_person_name,
    check_unit_code,
    check_unit_name,
    ip_allowed,
    normalize_phone,
    parse_ip_rules,
)
from hub.domain.permissions import Action, grantable_roles, require
from hub.errors import XietongError
from hub.services import audit
from hub.store import Store, Tx

SESSION_TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often


def session_hash(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class LoggedIn:
    cookie_value: str   # goes to the browser only; the store keeps its hash
    csrf_token: str
    user: User


@dataclass(frozen=True)
class Session:
    actor: Actor
    csrf_token: str          # empty for bearer tokens: they are not sent by browsers on their own
    created_at: datetime
    by_token: bool = False
    key: str = ""            # the stored hash of the cookie or token: names the session's open connections
    acting_ended: bool = False   # a page of a session that acted for another until now or since its last page (代理期已结束)


def actor_for(user: User, unit: Unit | None, ip: str) -> Actor:
    return Actor(user_id=user.id, login=user.login, name=user.name, unit_id=user.unit_id,
                 roles=user.roles, ip=ip, unit_name=unit.name if unit else "")


Who = Actor | SystemActor
SessionsEnded = Callable[[int, str | None], object]   # (user id, session key; None: all the user's)
# (tx, session key, user, unit, ip, now) -> (the principal's Actor while acting for them; the principal's id
# when an acting session's delegation is over): hub.services.delegations.DelegationService.acting_actor
ActingFor = Callable[[Tx, str, User, Unit | None, str, datetime], Awaitable[tuple[Actor | None, int | None]]]


def _require(who: Who, action: Action, units: int | tuple[int, ...] | None = None) -> None:
    """The system (command line, background tasks) acts with the operator's authority."""
    if isinstance(who, Actor):
        require(who, action, units)


class IdentityService:
    def __init__(self, store: Store, clock: Clock, config: Config, hasher: PasswordHasher,
                 sessions_ended: SessionsEnded | None = None) -> None:
        self.store, self.clock, self.config, self.hasher = store, clock, config, hasher
        # after a commit that ended sessions: their open connections (the realtime feed) close at once
        self._sessions_ended = sessions_ended or (lambda _user, _key: None)
        self.acting_for: ActingFor | None = None     # set by the hub: delegation (代理)

    # -- logging in -----------------------------------------------------------------

    async def login(self, login: str, password: str, ip: str, user_agent: str = "",
                    old_cookie: str | None = None) -> LoggedIn:
        account = login.strip().lower()
        now = self.clock.now()
        cfg = self.config.login
        window_start = now - timedelta(minutes=cfg.window_minutes)
        async with self.store.read() as tx:
            by_account, by_ip = await tx.logins.failures_since(account, ip, window_start)
            creds = await tx.users.credentials(account) if account else None
        if by_account >= cfg.max_failures_per_account or by_ip >= cfg.max_failures_per_address:
            async with self.store.write() as wtx:
                oldest = await wtx.logins.oldest_since(account, ip, window_start) or now
                await audit.record(wtx, now, SystemActor(login=account or "?", ip=ip),
                                   "auth.login_throttled", f"user:{account}")
            wait = oldest + timedelta(minutes=cfg.window_minutes) - now
            raise XietongError("auth.throttled", minutes=max(1, math.ceil(wait.total_seconds() / 60)))

        good = await self.hasher.verify(creds.password_hash if creds else None, password)
        if not good or creds is None:
            async with self.store.write() as wtx:
                await wtx.logins.record_failure(account, ip, now)
                await audit.record(wtx, now, SystemActor(login=account or "?", ip=ip),
                                   "auth.login_failed", f"user:{account}")
            raise XietongError("auth.bad_credentials")
        user = creds.user
        if user.disabled:
            async with self.store.write() as wtx:
                await audit.record(wtx, now, SystemActor(login=user.login, ip=ip),
                                   "auth.login_refused_disabled", f"user:{user.id}")
            raise XietongError("auth.disabled")
        if user.is_admin and not ip_allowed(user.allowed_ips, ip):
            async with self.store.write() as wtx:
                await wtx.logins.record_failure(account, ip, now)
                await audit.record(wtx, now, SystemActor(login=user.login, ip=ip),
                                   "auth.login_refused_ip", f"user:{user.id}",
                                   allowed=list(user.allowed_ips))
            raise XietongError("auth.ip_not_allowed", ip=ip)

        cookie_value = secrets.token_urlsafe(16)    # 128 random bits
        csrf = secrets.token_urlsafe(24)
        async with self.store.write() as wtx:
            if old_cookie:   # rotation: whatever id the browser had before is dropped
                await wtx.sessions.delete(session_hash(old_cookie))
            await wtx.sessions.add(session_hash(cookie_value), user.id, csrf, now, ip, user_agent)
            await wtx.logins.clear_account(account)
            await wtx.usage.record_login(user.id, now)      # the circular's logins and active users
            await audit.record(wtx, now, SystemActor(login=user.login, ip=ip), "auth.login",
                               f"user:{user.id}")
        return LoggedIn(cookie_value, csrf, user)

    async def logout(self, cookie_value: str, ip: str) -> None:
        now = self.clock.now()
        async with self.store.write() as tx:
            row = await tx.sessions.get(session_hash(cookie_value))
            if row is None:
                return
            await tx.sessions.delete(row.id_hash)
            user = await tx.users.get(row.user_id)
            await audit.record(tx, now, SystemActor(login=user.login if user else "?", ip=ip),
                               "auth.logout", f"user:{row.user_id}")
        self._sessions_ended(row.user_id, row.id_hash)

    async def logout_token(self, token: str, ip: str) -> bool:
        """Logging out with a bearer token revokes it (it is then refused with 401); audited."""
        now = self.clock.now()
        key = session_hash(token)
        async with self.store.write() as tx:
            found = await tx.tokens.with_holder(key)
            if found is None or found[0].revoked:
                return False
            row, user, _ = found
            await tx.tokens.revoke(row.id, now)
            await audit.record(tx, now, SystemActor(login=user.login, ip=ip), "auth.logout", f"user:{user.id}",
                               token_id=row.id, token_revoked=True)
        self._sessions_ended(user.id, key)
        return True

    async def session(self, cookie_value: str, ip: str, page: bool = True) -> Session | None:
        """The live session for a cookie, or None if unknown, expired or revoked. `page`: the request
        shows a page, which says 代理期已结束 once if acting for another ended since the last page."""
        now = self.clock.now()
        key = session_hash(cookie_value)
        acting: Actor | None = None
        ended_for: int | None = None
        pending = False
        async with self.store.read(snapshot=False) as tx:     # one statement, on every request
            found = await tx.sessions.with_holder(key)
            if (found is not None and found[0].acting_for is not None and found[1] is not None
                    and self.acting_for is not None):
                acting, ended_for = await self.acting_for(tx, key, found[1], found[2], ip, now)
        if found is not None and page and ended_for is None and acting is None:
            pending = found[0].ended_notice
        if found is None:
            return None
        row, user, unit = found
        cfg = self.config.session
        expired = (now - row.created_at > timedelta(hours=cfg.absolute_hours)
                   or now - row.last_seen_at > timedelta(minutes=cfg.idle_minutes))
        if user is None or user.disabled or expired or (
                user.is_admin and not ip_allowed(user.allowed_ips, ip)):
            async with self.store.write() as wtx:
                await wtx.sessions.delete(key)
            return None
        if ended_for is not None:     # the delegation's period is over: back to oneself, its sockets close
            async with self.store.write() as wtx:
                await wtx.delegations.end_acting(key, notice=not page)     # a JSON call or a socket: tell later
                await audit.record(wtx, now, actor_for(user, unit, ip), "delegation.ended", f"session:{key[:12]}")
            self._sessions_ended(ended_for, key)
        elif pending:                 # this page says it: once
            async with self.store.write() as wtx:
                await wtx.delegations.end_acting(key, notice=False)
        if now - row.last_seen_at >= SESSION_TOUCH_EVERY:
            async with self.store.write() as wtx:
                await wtx.sessions.touch(key, now)
        return Session(acting or actor_for(user, unit, ip), row.csrf_token, row.created_at, key=key,
                       acting_ended=page and (ended_for is not None or pending))

    # -- bearer tokens (bots, tools) ---------------------------------------------------

    async def create_token(self, who: Who, login: str, name: str) -> tuple[int, str]:
        """A new bearer token for a user; the token itself is shown once and never stored."""
        user = await self.user_by_login(login)
        _require(who, Action.MANAGE_USERS, user.unit_id)
        token = "xt_" + secrets.token_urlsafe(32)
        now = self.clock.now()
        async with self.store.write() as tx:
            token_id = await tx.tokens.add(session_hash(token), user.id, name.strip()[:60] or "token", now)
            await audit.record(tx, now, who, "token.create", f"user:{user.id}", token_id=token_id, name=name)
        return token_id, token

    async def revoke_token(self, who: Who, token_id: int) -> bool:
        now = self.clock.now()
        async with self.store.write() as tx:
            done = await tx.tokens.revoke(token_id, now)
            if done:
                await audit.record(tx, now, who, "token.revoke", f"token:{token_id}")
        return done

    async def token_session(self, token: str, ip: str) -> Session | None:
        """The acting user of a bearer token, or None if unknown, revoked or the user disabled."""
        async with self.store.read(snapshot=False) as tx:     # one statement, on every request
            found = await tx.tokens.with_holder(session_hash(token))
        if found is None:
            return None
        row, user, unit = found
        if row.revoked or user.disabled or (user.is_admin and not ip_allowed(user.allowed_ips, ip)):
            return None
        return Session(actor_for(user, unit, ip), "", row.created_at, by_token=True, key=session_hash(token))

    async def actor(self, user_id: int, ip: str = "") -> Actor:
        async with self.store.read() as tx:
            user = await tx.users.get(user_id)
            if user is None:
                raise XietongError("not_found")
            unit = await tx.units.get(user.unit_id)
        return actor_for(user, unit, ip)

    # -- units ------------------------------------------------------------------------

    async def add_unit(self, who: Who, code: str, name: str, kind: UnitKind,
                       parent_id: int | None = None, duty_phone: str = "") -> Unit:
        _require(who, Action.MANAGE_UNITS)
        code, name = check_unit_code(code), check_unit_name(name)
        phone = duty_phone.strip()
        now = self.clock.now()
        async with self.store.write() as tx:
            if await tx.units.by_code(code):
                raise XietongError("unit.code_taken", code=code)
            if parent_id is not None and await tx.units.get(parent_id) is None:
                raise XietongError("unit.not_found")
            unit_id = await tx.units.add(code, name, kind, parent_id, phone, now)
            await audit.record(tx, now, who, "unit.add", f"unit:{unit_id}", code=code, name=name,
                               kind=kind.value, parent_id=parent_id)
            unit = await tx.units.get(unit_id)
        assert unit is not None
        return unit

    async def set_doc_code(self, who: Who, unit_id: int, doc_code: str) -> None:
        """机关代字: the prefix of the unit's document numbers, e.g. 示政办发."""
        _require(who, Action.MANAGE_UNITS)
        doc_code = doc_code.strip()
        if not 1 <= len(doc_code) <= 16:
            raise XietongError("input.invalid", field="doc_code")
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.documents.set_unit_doc_code(unit_id, doc_code)
            await audit.record(tx, now, who, "unit.doc_code", f"unit:{unit_id}", doc_code=doc_code)

    async def units(self) -> list[Unit]:
        async with self.store.read() as tx:
            return await tx.units.all()

    async def unit(self, unit_id: int) -> Unit:
        async with self.store.read() as tx:
            unit = await tx.units.get(unit_id)
        if unit is None:
            raise XietongError("unit.not_found")
        return unit

    # -- people -----------------------------------------------------------------------

    async def add_user(self, who: Who, login: str, name: str, unit_id: int, password: str,
                       roles: frozenset[Role], phone: str = "", allowed_ips: str = "") -> User:
        _require(who, Action.MANAGE_USERS, unit_id)
        if isinstance(who, Actor) and not roles <= grantable_roles(who):
            raise XietongError("perm.denied")
        login = check_login(login)
        name = check_person_name(name)
        phone = normalize_phone(phone)
        ips = parse_ip_rules(allowed_ips)
        self._check_password(password)
        password_hash = await self.hasher.hash(password)
        now = self.clock.now()
        async with self.store.write() as tx:
            if await tx.units.get(unit_id) is None:
                raise XietongError("unit.not_found")
            if await tx.users.by_login(login):
                raise XietongError("user.login_taken", login=login)
            user_id = await tx.users.add(login, name, unit_id, password_hash, roles, phone, ips, now)
            await audit.record(tx, now, who, "user.add", f"user:{user_id}", login=login, name=name,
                               unit_id=unit_id, roles=sorted(roles), phone=phone,
                               allowed_ips=list(ips))
            user = await tx.users.get(user_id)
        assert user is not None
        return user

    async def update_user(self, who: Who, user_id: int, name: str, phone: str,
                          roles: frozenset[Role], allowed_ips: str) -> User:
        name, phone, ips = check_person_name(name), normalize_phone(phone), parse_ip_rules(allowed_ips)
        now = self.clock.now()
        async with self.store.write() as tx:
            user = await self._target(tx, who, user_id)
            if isinstance(who, Actor):
                changed = roles ^ user.roles
                if not changed <= grantable_roles(who):
                    raise XietongError("perm.denied")
            await tx.users.update_profile(user_id, name, phone, ips)
            await tx.users.set_roles(user_id, roles)
            if roles != user.roles:
                await tx.sessions.delete_for_user(user_id)  # new rights take effect at next login
            await audit.record(tx, now, who, "user.update", f"user:{user_id}",
                               before={"name": user.name, "phone": user.phone,
                                       "roles": sorted(user.roles), "allowed_ips": list(user.allowed_ips)},
                               after={"name": name, "phone": phone, "roles": sorted(roles),
                                      "allowed_ips": list(ips)})
            updated = await tx.users.get(user_id)
        assert updated is not None
        if roles != user.roles:        # open connections carry the old rights: they log in again
            self._sessions_ended(user_id, None)
        return updated

    async def set_disabled(self, who: Who, user_id: int, disabled: bool) -> User:
        now = self.clock.now()
        async with self.store.write() as tx:
            user = await self._target(tx, who, user_id)
            if disabled and isinstance(who, Actor) and who.user_id == user_id:
                raise XietongError("user.self_disable")
            await tx.users.set_disabled(user_id, now if disabled else None)
            revoked = await tx.sessions.delete_for_user(user_id) if disabled else 0
            await audit.record(tx, now, who, "user.disable" if disabled else "user.enable",
                               f"user:{user_id}", login=user.login, sessions_revoked=revoked)
            updated = await tx.users.get(user_id)
        assert updated is not None
        if disabled:
            self._sessions_ended(user_id, None)
        return updated

    async def reset_password(self, who: Who, user_id: int, new_password: str) -> None:
        self._check_password(new_password)
        password_hash = await self.hasher.hash(new_password)
        now = self.clock.now()
        async with self.store.write() as tx:
            user = await self._target(tx, who, user_id)
            await tx.users.set_password(user_id, password_hash, now)
            await tx.sessions.delete_for_user(user_id)
            await audit.record(tx, now, who, "user.reset_password", f"user:{user_id}", login=user.login)
        self._sessions_ended(user_id, None)

    async def users(self, who: Who, unit_id: int | None) -> list[User]:
        """People of one unit (or of all units, for the super admin / system)."""
        # no unit given means every unit: only an ANY grant covers that
        _require(who, Action.VIEW_USERS, unit_id if unit_id is not None else ())
        async with self.store.read() as tx:
            return await tx.users.in_unit(unit_id)

    async def sms_opted_out(self, who: Who, unit_id: int) -> set[str]:
        """Phones of the unit's people that refused SMS at the gateway (STOP, error 21610)."""
        _require(who, Action.VIEW_USERS, unit_id)
        async with self.store.read() as tx:
            phones = {u.phone for u in await tx.users.in_unit(unit_id) if u.phone}
            return phones & set(await tx.sms.opted_out())

    async def user(self, who: Who, user_id: int) -> User:
        async with self.store.read() as tx:
            user = await tx.users.get(user_id)
        if user is None:
            raise XietongError("not_found")
        _require(who, Action.VIEW_USERS, user.unit_id)
        return user

    async def user_by_login(self, login: str) -> User:
        async with self.store.read() as tx:
            user = await tx.users.by_login(login.lower())
        if user is None:
            raise XietongError("user.not_found", login=login)
        return user

    async def _target(self, tx: Tx, who: Who, user_id: int) -> User:
        user = await tx.users.get(user_id)
        if user is None:
            raise XietongError("not_found")
        _require(who, Action.MANAGE_USERS, user.unit_id)
        if isinstance(who, Actor) and user.roles - grantable_roles(who):
            # a unit admin may not touch an admin's account (their own included)
            raise XietongError("perm.denied")
        return user

    def _check_password(self, password: str) -> None:
        if len(password) < self.config.passwords.min_length:
            raise XietongError("user.weak_password", min=self.config.passwords.min_length)
