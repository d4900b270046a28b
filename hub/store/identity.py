"""SQL for units, users, roles, sessions and failed logins."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.identity import Role, Unit, UnitKind, User
from hub.store.connection import Connection
from hub.store.dialect import joined


def _unit(row: sqlite3.Row) -> Unit:
    return Unit(id=row["id"], code=row["code"], name=row["name"], kind=UnitKind(row["kind"]),
                parent_id=row["parent_id"], duty_phone=row["duty_phone"])


class UnitQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, code: str, name: str, kind: UnitKind, parent_id: int | None,
                  duty_phone: str, at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO units (code, name, kind, parent_id, duty_phone, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code, name, kind.value, parent_id, duty_phone, utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, unit_id: int) -> Unit | None:
        async with self.conn.execute("SELECT * FROM units WHERE id = ?", (unit_id,)) as cur:
            row = await cur.fetchone()
        return _unit(row) if row else None

    async def by_code(self, code: str) -> Unit | None:
        async with self.conn.execute("SELECT * FROM units WHERE code = ?", (code,)) as cur:
            row = await cur.fetchone()
        return _unit(row) if row else None

    async def all(self) -> list[Unit]:
        async with self.conn.execute("SELECT * FROM units ORDER BY parent_id IS NOT NULL, parent_id, id") as cur:
            return [_unit(r) for r in await cur.fetchall()]

    async def missing(self, unit_ids: list[int]) -> set[int]:
        """Which of these ids are no unit."""
        wanted = set(unit_ids)
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        async with self.conn.execute(f"SELECT id FROM units WHERE id IN ({marks})", list(wanted)) as cur:
            return wanted - {r[0] for r in await cur.fetchall()}

    async def count(self) -> int:
        async with self.conn.execute("SELECT count(*) FROM units") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


@dataclass(frozen=True)
class Credentials:
    user: User
    password_hash: str


def _user_columns(conn: Connection) -> str:
    return ("u.id, u.login, u.name, u.unit_id, u.phone, u.allowed_ips, u.disabled_at,"
            f" u.password_hash, (SELECT {joined(conn, 'role', ' ')} FROM user_roles r"
            " WHERE r.user_id = u.id) AS roles")


def _user(row: sqlite3.Row) -> User:
    return User(id=row["id"], login=row["login"], name=row["name"], unit_id=row["unit_id"],
                roles=frozenset(Role(r) for r in (row["roles"] or "").split()),
                phone=row["phone"], allowed_ips=tuple(row["allowed_ips"].split()),
                disabled=row["disabled_at"] is not None)


# a user's unit in the same row: one statement for the per-request lookups of sessions and tokens
def _holder_columns(conn: Connection) -> str:
    return (_user_columns(conn) + ", un.code AS unit_code, un.name AS unit_name, un.kind AS unit_kind,"
            " un.parent_id AS unit_parent_id, un.duty_phone AS unit_duty_phone")
_HOLDER_JOIN = "JOIN users u ON u.id = {table}.user_id LEFT JOIN units un ON un.id = u.unit_id"


def _holder(row: sqlite3.Row) -> tuple[User, Unit | None]:
    unit = None if row["unit_code"] is None else Unit(
        id=row["unit_id"], code=row["unit_code"], name=row["unit_name"], kind=UnitKind(row["unit_kind"]),
        parent_id=row["unit_parent_id"], duty_phone=row["unit_duty_phone"])
    return _user(row), unit


class UserQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, login: str, name: str, unit_id: int, password_hash: str,
                  roles: frozenset[Role], phone: str, allowed_ips: tuple[str, ...],
                  at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO users (login, name, unit_id, password_hash, phone, allowed_ips,"
            " created_at, password_set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (login, name, unit_id, password_hash, phone, " ".join(allowed_ips),
             utc_iso(at), utc_iso(at)))
        assert cur.lastrowid is not None
        await self.set_roles(cur.lastrowid, roles)
        return cur.lastrowid

    async def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        await self.conn.execute("DELETE FROM user_roles WHERE user_id = ?", (user_id,))
        await self.conn.executemany("INSERT INTO user_roles (user_id, role) VALUES (?, ?)",
                                    [(user_id, r.value) for r in sorted(roles)])

    async def update_profile(self, user_id: int, name: str, phone: str,
                             allowed_ips: tuple[str, ...]) -> None:
        await self.conn.execute("UPDATE users SET name = ?, phone = ?, allowed_ips = ? WHERE id = ?",
                                (name, phone, " ".join(allowed_ips), user_id))

    async def get(self, user_id: int) -> User | None:
        async with self.conn.execute(f"SELECT {_user_columns(self.conn)} FROM users u WHERE u.id = ?",
                                     (user_id,)) as cur:
            row = await cur.fetchone()
        return _user(row) if row else None

    async def many(self, user_ids: list[int]) -> dict[int, User]:
        """These people by id, in one statement (a page that names many people: a timeline, readers)."""
        if not user_ids:
            return {}
        marks = ",".join("?" * len(user_ids))
        async with self.conn.execute(f"SELECT {_user_columns(self.conn)} FROM users u WHERE u.id IN ({marks})",
                                     list(user_ids)) as cur:
            return {u.id: u for u in (_user(r) for r in await cur.fetchall())}

    async def by_login(self, login: str) -> User | None:
        creds = await self.credentials(login)
        return creds.user if creds else None

    async def credentials(self, login: str) -> Credentials | None:
        async with self.conn.execute(f"SELECT {_user_columns(self.conn)} FROM users u WHERE u.login = ?",
                                     (login.lower(),)) as cur:
            row = await cur.fetchone()
        return Credentials(_user(row), row["password_hash"]) if row else None

    async def in_unit(self, unit_id: int | None = None) -> list[User]:
        """People of one unit, or everybody."""
        sql = f"SELECT {_user_columns(self.conn)} FROM users u"
        args: tuple[int, ...] = ()
        if unit_id is not None:
            sql += " WHERE u.unit_id = ?"
            args = (unit_id,)
        async with self.conn.execute(sql + " ORDER BY u.unit_id, u.id", args) as cur:
            return [_user(r) for r in await cur.fetchall()]

    async def with_role(self, role: Role, unit_id: int | None = None) -> list[User]:
        sql = (f"SELECT {_user_columns(self.conn)} FROM users u JOIN user_roles ur ON ur.user_id = u.id"
               " WHERE ur.role = ? AND u.disabled_at IS NULL")
        args: tuple[object, ...] = (role.value,)
        if unit_id is not None:
            sql += " AND u.unit_id = ?"
            args += (unit_id,)
        async with self.conn.execute(sql + " ORDER BY u.id", args) as cur:
            return [_user(r) for r in await cur.fetchall()]

    async def with_role_by_unit(self, role: Role, unit_ids: list[int]) -> dict[int, list[User]]:
        """unit -> its active people with a role, for several units in one query (a meeting's silent units)."""
        if not unit_ids:
            return {}
        marks = ",".join("?" * len(unit_ids))
        async with self.conn.execute(
                f"SELECT {_user_columns(self.conn)} FROM users u JOIN user_roles ur ON ur.user_id = u.id"
                f" WHERE ur.role = ? AND u.disabled_at IS NULL AND u.unit_id IN ({marks}) ORDER BY u.id",
                (role.value, *unit_ids)) as cur:
            out: dict[int, list[User]] = {}
            for r in await cur.fetchall():
                user = _user(r)
                out.setdefault(user.unit_id, []).append(user)
            return out

    async def first_with_role_by_unit(self, role: Role, unit_ids: list[int]) -> dict[int, int]:
        """unit -> the first (lowest id) active person with a role there, for several units in one query."""
        if not unit_ids:
            return {}
        marks = ",".join("?" * len(unit_ids))
        async with self.conn.execute(
                "SELECT u.unit_id, min(u.id) FROM users u JOIN user_roles ur ON ur.user_id = u.id"
                f" WHERE ur.role = ? AND u.disabled_at IS NULL AND u.unit_id IN ({marks}) GROUP BY u.unit_id",
                (role.value, *unit_ids)) as cur:
            return {unit_id: user_id for unit_id, user_id in await cur.fetchall()}

    async def set_password(self, user_id: int, password_hash: str, at: datetime) -> None:
        await self.conn.execute("UPDATE users SET password_hash = ?, password_set_at = ? WHERE id = ?",
                                (password_hash, utc_iso(at), user_id))

    async def set_disabled(self, user_id: int, at: datetime | None) -> None:
        await self.conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?",
                                (utc_iso(at) if at else None, user_id))

    async def count(self) -> int:
        async with self.conn.execute("SELECT count(*) FROM users") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


@dataclass(frozen=True)
class SessionRow:
    id_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    ip: str
    acting_for: int | None = None      # the delegation (代理) the session acts under
    ended_notice: bool = False         # its period ended in a request that was not a page (not told yet)


class SessionQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, id_hash: str, user_id: int, csrf_token: str, at: datetime,
                  ip: str, user_agent: str) -> None:
        await self.conn.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (id_hash, user_id, csrf_token, utc_iso(at), utc_iso(at), ip, user_agent[:200]))

    async def get(self, id_hash: str) -> SessionRow | None:
        async with self.conn.execute("SELECT * FROM sessions WHERE id_hash = ?", (id_hash,)) as cur:
            row = await cur.fetchone()
        if not row:
            return None
        return SessionRow(row["id_hash"], row["user_id"], row["csrf_token"],
                          parse_utc(row["created_at"]), parse_utc(row["last_seen_at"]), row["ip"],
                          row["acting_for"], bool(row["acting_ended_notice"]))

    async def with_holder(self, id_hash: str) -> tuple[SessionRow, User, Unit | None] | None:
        """The session (with the delegation it acts under), its user and the user's unit, in one statement."""
        async with self.conn.execute(
                f"SELECT s.id_hash, s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.ip AS s_ip,"
                f" s.acting_for, s.acting_ended_notice,"
                f" {_holder_columns(self.conn)} FROM sessions s {_HOLDER_JOIN.format(table='s')} WHERE s.id_hash = ?",
                (id_hash,)) as cur:
            row = await cur.fetchone()
        if not row:
            return None
        session = SessionRow(row["id_hash"], row["id"], row["csrf_token"], parse_utc(row["s_created_at"]),
                             parse_utc(row["last_seen_at"]), row["s_ip"], row["acting_for"],
                             bool(row["acting_ended_notice"]))
        return (session, *_holder(row))

    async def touch(self, id_hash: str, at: datetime) -> None:
        await self.conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?",
                                (utc_iso(at), id_hash))

    async def delete(self, id_hash: str) -> None:
        await self.conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    async def delete_for_user(self, user_id: int) -> int:
        cur = await self.conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        return cur.rowcount

    async def delete_older_than(self, created_before: datetime, seen_before: datetime) -> int:
        cur = await self.conn.execute(
            "DELETE FROM sessions WHERE created_at < ? OR last_seen_at < ?",
            (utc_iso(created_before), utc_iso(seen_before)))
        return cur.rowcount


class LoginQueries:
    """Failed logins, counted per account and per address for throttling."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def record_failure(self, account: str, ip: str, at: datetime) -> None:
        await self.conn.execute("INSERT INTO login_failures (account, ip, at) VALUES (?, ?, ?)",
                                (account, ip, utc_iso(at)))

    async def failures_since(self, account: str, ip: str, since: datetime) -> tuple[int, int]:
        """(failures for this account, failures from this address) since `since`."""
        s = utc_iso(since)
        async with self.conn.execute(
                "SELECT (SELECT count(*) FROM login_failures WHERE account = ? AND at >= ?),"
                " (SELECT count(*) FROM login_failures WHERE ip = ? AND at >= ?)",
                (account, s, ip, s)) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    async def oldest_since(self, account: str, ip: str, since: datetime) -> datetime | None:
        async with self.conn.execute(
                "SELECT min(at) FROM login_failures WHERE (account = ? OR ip = ?) AND at >= ?",
                (account, ip, utc_iso(since))) as cur:
            row = await cur.fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    async def clear_account(self, account: str) -> None:
        await self.conn.execute("DELETE FROM login_failures WHERE account = ?", (account,))

    async def prune(self, before: datetime) -> None:
        await self.conn.execute("DELETE FROM login_failures WHERE at < ?", (utc_iso(before),))


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_id: int
    name: str
    created_at: datetime
    revoked: bool


class TokenQueries:
    """Bearer tokens for bots and tools; only a SHA-256 of the token is stored."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, token_hash: str, user_id: int, name: str, at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?)",
            (token_hash, user_id, name, utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def with_holder(self, token_hash: str) -> tuple[TokenRow, User, Unit | None] | None:
        """The token, its user and the user's unit, in one statement."""
        async with self.conn.execute(
                f"SELECT t.id AS t_id, t.name AS t_name, t.created_at AS t_created_at, t.revoked_at,"
                f" {_holder_columns(self.conn)} FROM api_tokens t {_HOLDER_JOIN.format(table='t')} WHERE t.token_hash = ?",
                (token_hash,)) as cur:
            r = await cur.fetchone()
        if not r:
            return None
        token = TokenRow(r["t_id"], r["id"], r["t_name"], parse_utc(r["t_created_at"]), r["revoked_at"] is not None)
        return (token, *_holder(r))

    async def for_user(self, user_id: int | None = None) -> list[TokenRow]:
        sql, args = "SELECT * FROM api_tokens", tuple[int, ...]()
        if user_id is not None:
            sql, args = sql + " WHERE user_id = ?", (user_id,)
        async with self.conn.execute(sql + " ORDER BY id", args) as cur:
            return [TokenRow(r["id"], r["user_id"], r["name"], parse_utc(r["created_at"]),
                             r["revoked_at"] is not None) for r in await cur.fetchall()]

    async def revoke(self, token_id: int, at: datetime) -> bool:
        cur = await self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (utc_iso(at), token_id))
        return cur.rowcount == 1
