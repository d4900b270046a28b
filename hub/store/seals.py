"""SQL for electronic seals: the authority, seals, their history, use requests and the usage register."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.seals import SealKind, SealState, UseState
from hub.store.connection import Connection


def _when(text: str | None) -> datetime | None:
    return parse_utc(text) if text else None


@dataclass(frozen=True)
class AuthorityRow:
    name: str
    algorithm: str
    cert_pem: bytes
    key_enc: bytes
    key_kdf: str
    crl_number: int
    crl_der: bytes
    crl_next_update: datetime
    created_at: datetime


@dataclass(frozen=True)
class Seal:
    id: int
    unit_id: int
    unit_name: str
    kind: SealKind
    name: str
    state: SealState
    algorithm: str
    serial: str                  # the certificate's serial number, hex
    cert_pem: bytes
    not_before: datetime
    not_after: datetime
    key_wrap: str                # authority | keeper | wiped
    replaces_id: int | None
    replaced_by_id: int | None
    revoked_at: datetime | None
    crl_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def has_key(self) -> bool:
        return self.key_wrap != "wiped"


@dataclass(frozen=True)
class SealKey:
    """The encrypted key of a seal (never leaves the service)."""
    key_enc: bytes | None
    key_wrap: str
    key_kdf: str | None


@dataclass(frozen=True)
class SealHistoryEntry:
    at: datetime
    actor_id: int | None
    actor_login: str
    actor_name: str
    event: str
    from_state: str
    to_state: str
    reason: str


@dataclass(frozen=True)
class UseRequest:
    id: int
    document_id: int
    seal_id: int
    unit_id: int
    state: UseState
    requested_by: int
    requester_name: str
    requested_at: datetime
    approved_by: int | None
    approver_name: str
    approved_at: datetime | None


@dataclass(frozen=True)
class Stamping:
    """One line of the usage register (使用登记)."""
    id: int
    request_id: int
    seal_id: int
    document_id: int
    keeper_id: int | None
    keeper_name: str
    approver_id: int | None
    approver_name: str
    at: datetime
    digest: str
    signature: bytes             # detached CMS, DER
    has_pdf: bool = False        # the signed PDF (PAdES) was kept with it


_SEAL_COLUMNS = ("s.id, s.unit_id, u.name AS unit_name, s.kind, s.name, s.state, s.algorithm, s.serial, s.cert_pem,"
                 " s.not_before, s.not_after, s.key_wrap, s.replaces_id, s.replaced_by_id, s.revoked_at,"
                 " s.crl_reason, s.created_at, s.updated_at")
_SEAL_FROM = f"SELECT {_SEAL_COLUMNS} FROM seals s JOIN units u ON u.id = s.unit_id"


def _seal(r: sqlite3.Row) -> Seal:
    return Seal(r["id"], r["unit_id"], r["unit_name"], SealKind(r["kind"]), r["name"], SealState(r["state"]),
                r["algorithm"], r["serial"], bytes(r["cert_pem"]), parse_utc(r["not_before"]),
                parse_utc(r["not_after"]), r["key_wrap"], r["replaces_id"], r["replaced_by_id"],
                _when(r["revoked_at"]), r["crl_reason"], parse_utc(r["created_at"]), parse_utc(r["updated_at"]))


def _request(r: sqlite3.Row) -> UseRequest:
    return UseRequest(r["id"], r["document_id"], r["seal_id"], r["unit_id"], UseState(r["state"]),
                      r["requested_by"], r["requester_name"], parse_utc(r["requested_at"]), r["approved_by"],
                      r["approver_name"], _when(r["approved_at"]))


def _stamping(r: sqlite3.Row) -> Stamping:
    return Stamping(r["id"], r["request_id"], r["seal_id"], r["document_id"], r["keeper_id"], r["keeper_name"],
                    r["approver_id"], r["approver_name"], parse_utc(r["at"]), r["digest"], bytes(r["signature"]),
                    bool(r["has_pdf"]))


# a stamping without its PDF (read only when it is asked for)
_STAMPING = ("SELECT id, request_id, seal_id, document_id, keeper_id, keeper_name, approver_id, approver_name, at,"
             " digest, signature, pdf IS NOT NULL AS has_pdf FROM seal_stampings")


class SealQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the authority --------------------------------------------------------------------

    async def authority(self) -> AuthorityRow | None:
        async with self.conn.execute("SELECT * FROM seal_authority WHERE id = 1") as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        return AuthorityRow(r["name"], r["algorithm"], bytes(r["cert_pem"]), bytes(r["key_enc"]), r["key_kdf"],
                            r["crl_number"], bytes(r["crl_der"]), parse_utc(r["crl_next_update"]),
                            parse_utc(r["created_at"]))

    async def add_authority(self, name: str, algorithm: str, cert_pem: bytes, key_enc: bytes, key_kdf: str,
                            crl_der: bytes, crl_next_update: datetime, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO seal_authority (id, name, algorithm, cert_pem, key_enc, key_kdf, crl_number, crl_der,"
            " crl_next_update, created_at) VALUES (1, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (name, algorithm, cert_pem, key_enc, key_kdf, crl_der, utc_iso(crl_next_update), utc_iso(at)))

    async def next_crl_number(self) -> int:
        await self.conn.execute("UPDATE seal_authority SET crl_number = crl_number + 1 WHERE id = 1")
        async with self.conn.execute("SELECT crl_number FROM seal_authority WHERE id = 1") as cur:
            r = await cur.fetchone()
        assert r is not None
        return int(r[0])

    async def set_crl(self, crl_der: bytes, next_update: datetime) -> None:
        await self.conn.execute("UPDATE seal_authority SET crl_der = ?, crl_next_update = ? WHERE id = 1",
                                (crl_der, utc_iso(next_update)))

    # -- seals ----------------------------------------------------------------------------

    async def add(self, unit_id: int, kind: SealKind, name: str, algorithm: str, serial: str, cert_pem: bytes,
                  not_before: datetime, not_after: datetime, key_enc: bytes, replaces_id: int | None,
                  at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO seals (unit_id, kind, name, state, algorithm, serial, cert_pem, not_before, not_after,"
            " key_enc, key_wrap, replaces_id, created_at, updated_at)"
            " VALUES (?, ?, ?, 'made', ?, ?, ?, ?, ?, ?, 'authority', ?, ?, ?)",
            (unit_id, kind.value, name, algorithm, serial, cert_pem, utc_iso(not_before), utc_iso(not_after),
             key_enc, replaces_id, utc_iso(at), utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, seal_id: int) -> Seal | None:
        async with self.conn.execute(f"{_SEAL_FROM} WHERE s.id = ?", (seal_id,)) as cur:
            r = await cur.fetchone()
        return _seal(r) if r else None

    async def find(self, unit_id: int | None = None) -> list[Seal]:
        """Every seal, or one unit's."""
        args: tuple[int, ...] = () if unit_id is None else (unit_id,)
        sql = f"{_SEAL_FROM} ORDER BY s.unit_id, s.id" if unit_id is None else \
            f"{_SEAL_FROM} WHERE s.unit_id = ? ORDER BY s.id"
        async with self.conn.execute(sql, args) as cur:
            return [_seal(r) for r in await cur.fetchall()]

    async def key(self, seal_id: int) -> SealKey:
        async with self.conn.execute("SELECT key_enc, key_wrap, key_kdf FROM seals WHERE id = ?", (seal_id,)) as cur:
            r = await cur.fetchone()
        assert r is not None
        return SealKey(bytes(r[0]) if r[0] is not None else None, r[1], r[2])

    async def set_state(self, seal_id: int, state: SealState, at: datetime) -> None:
        await self.conn.execute("UPDATE seals SET state = ?, updated_at = ? WHERE id = ?",
                                (state.value, utc_iso(at), seal_id))

    async def set_key(self, seal_id: int, key_enc: bytes, key_kdf: str, at: datetime) -> None:
        await self.conn.execute("UPDATE seals SET key_enc = ?, key_wrap = 'keeper', key_kdf = ?, updated_at = ?"
                                " WHERE id = ?", (key_enc, key_kdf, utc_iso(at), seal_id))

    async def wipe_key(self, seal_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE seals SET key_enc = NULL, key_kdf = NULL, key_wrap = 'wiped',"
                                " updated_at = ? WHERE id = ?", (utc_iso(at), seal_id))

    async def mark_revoked(self, seal_id: int, at: datetime, reason: str) -> None:
        """On the revocation list from `at` (kept if already listed, e.g. replaced then revoked)."""
        await self.conn.execute("UPDATE seals SET revoked_at = ?, crl_reason = ? WHERE id = ? AND revoked_at IS NULL",
                                (utc_iso(at), reason, seal_id))

    async def set_replaced_by(self, seal_id: int, new_id: int) -> None:
        await self.conn.execute("UPDATE seals SET replaced_by_id = ? WHERE id = ?", (new_id, seal_id))

    async def revoked(self) -> list[tuple[str, datetime, str]]:
        """(serial hex, revoked at, reason) of every certificate on the revocation list."""
        async with self.conn.execute("SELECT serial, revoked_at, crl_reason FROM seals WHERE revoked_at IS NOT NULL"
                                     " ORDER BY revoked_at, id") as cur:
            return [(r[0], parse_utc(r[1]), r[2]) for r in await cur.fetchall()]

    # -- history --------------------------------------------------------------------------

    async def add_history(self, seal_id: int, at: datetime, actor_id: int | None, actor_login: str,
                          actor_name: str, event: str, from_state: str, to_state: str, reason: str) -> None:
        await self.conn.execute(
            "INSERT INTO seal_history (seal_id, at, actor_id, actor_login, actor_name, event, from_state, to_state,"
            " reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seal_id, utc_iso(at), actor_id, actor_login, actor_name, event, from_state, to_state, reason))

    async def history(self, seal_id: int) -> list[SealHistoryEntry]:
        async with self.conn.execute(
                "SELECT at, actor_id, actor_login, actor_name, event, from_state, to_state, reason"
                " FROM seal_history WHERE seal_id = ? ORDER BY id", (seal_id,)) as cur:
            return [SealHistoryEntry(parse_utc(r[0]), *r[1:]) for r in await cur.fetchall()]

    # -- seal-use requests ----------------------------------------------------------------

    async def add_request(self, document_id: int, seal_id: int, unit_id: int, requested_by: int,
                          requester_name: str, at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO seal_use_requests (document_id, seal_id, unit_id, state, requested_by, requester_name,"
            " requested_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
            (document_id, seal_id, unit_id, requested_by, requester_name, utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def request(self, request_id: int) -> UseRequest | None:
        async with self.conn.execute("SELECT * FROM seal_use_requests WHERE id = ?", (request_id,)) as cur:
            r = await cur.fetchone()
        return _request(r) if r else None

    async def requests_for_document(self, document_id: int) -> list[UseRequest]:
        async with self.conn.execute("SELECT * FROM seal_use_requests WHERE document_id = ? ORDER BY id",
                                     (document_id,)) as cur:
            return [_request(r) for r in await cur.fetchall()]

    async def requests_for_unit(self, unit_id: int, state: UseState) -> list[UseRequest]:
        async with self.conn.execute("SELECT * FROM seal_use_requests WHERE unit_id = ? AND state = ? ORDER BY id",
                                     (unit_id, state.value)) as cur:
            return [_request(r) for r in await cur.fetchall()]

    async def approve(self, request_id: int, leader_id: int, leader_name: str, at: datetime) -> bool:
        cur = await self.conn.execute(
            "UPDATE seal_use_requests SET state = 'approved', approved_by = ?, approver_name = ?, approved_at = ?"
            " WHERE id = ? AND state = 'pending'", (leader_id, leader_name, utc_iso(at), request_id))
        return cur.rowcount == 1

    async def mark_used(self, request_id: int) -> bool:
        cur = await self.conn.execute(
            "UPDATE seal_use_requests SET state = 'used' WHERE id = ? AND state = 'approved'", (request_id,))
        return cur.rowcount == 1

    # -- the usage register ---------------------------------------------------------------

    async def add_stamping(self, request: UseRequest, keeper_id: int | None, keeper_name: str, at: datetime,
                           digest: str, signature: bytes, pdf: bytes | None = None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO seal_stampings (request_id, seal_id, document_id, keeper_id, keeper_name, approver_id,"
            " approver_name, at, digest, signature, pdf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (request.id, request.seal_id, request.document_id, keeper_id, keeper_name, request.approved_by,
             request.approver_name, utc_iso(at), digest, signature, pdf))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def stamping(self, stamping_id: int) -> Stamping | None:
        async with self.conn.execute(f"{_STAMPING} WHERE id = ?", (stamping_id,)) as cur:
            r = await cur.fetchone()
        return _stamping(r) if r else None

    async def stampings_for_document(self, document_id: int) -> list[Stamping]:
        async with self.conn.execute(f"{_STAMPING} WHERE document_id = ? ORDER BY id", (document_id,)) as cur:
            return [_stamping(r) for r in await cur.fetchall()]

    async def sealed_pdf(self, document_id: int) -> bytes | None:
        """The signed PDF of the document's latest stamping, if it has one."""
        async with self.conn.execute("SELECT pdf FROM seal_stampings WHERE document_id = ? AND pdf IS NOT NULL"
                                     " ORDER BY id DESC LIMIT 1", (document_id,)) as cur:
            r = await cur.fetchone()
        return bytes(r[0]) if r else None

    # -- the authority's time-stamp service ------------------------------------------------

    async def tsa(self) -> tuple[bytes, bytes] | None:
        """(certificate PEM, encrypted key) of the time-stamp service, if it was set up."""
        async with self.conn.execute("SELECT cert_pem, key_enc FROM seal_tsa WHERE id = 1") as cur:
            r = await cur.fetchone()
        return (bytes(r[0]), bytes(r[1])) if r else None

    async def add_tsa(self, cert_pem: bytes, key_enc: bytes, at: datetime) -> None:
        await self.conn.execute("INSERT INTO seal_tsa (id, cert_pem, key_enc, created_at) VALUES (1, ?, ?, ?)",
                                (cert_pem, key_enc, utc_iso(at)))

    async def stampings_for_seal(self, seal_id: int, limit: int = 200) -> list[Stamping]:
        async with self.conn.execute(f"{_STAMPING} WHERE seal_id = ? ORDER BY id DESC LIMIT ?",
                                     (seal_id, limit)) as cur:
            return [_stamping(r) for r in await cur.fetchall()]

    # -- wrong seal passwords -------------------------------------------------------------

    async def record_failure(self, seal_id: int, actor_id: int | None, at: datetime) -> None:
        await self.conn.execute("INSERT INTO seal_password_failures (seal_id, actor_id, at) VALUES (?, ?, ?)",
                                (seal_id, actor_id, utc_iso(at)))

    async def failures_since(self, seal_id: int, since: datetime) -> list[datetime]:
        async with self.conn.execute("SELECT at FROM seal_password_failures WHERE seal_id = ? AND at > ?"
                                     " ORDER BY at", (seal_id, utc_iso(since))) as cur:
            return [parse_utc(r[0]) for r in await cur.fetchall()]

    async def prune_failures(self, before: datetime) -> None:
        await self.conn.execute("DELETE FROM seal_password_failures WHERE at <= ?", (utc_iso(before),))

    async def clear_failures(self, seal_id: int) -> None:
        await self.conn.execute("DELETE FROM seal_password_failures WHERE seal_id = ?", (seal_id,))
