"""SQL of delegation (代理): the delegations, and which one a session acts under (sessions.acting_for)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.delegation import Delegation
from hub.store.connection import Connection


def _row(r: sqlite3.Row) -> Delegation:
    return Delegation(r["id"], r["unit_id"], r["principal_id"], r["delegate_id"], parse_utc(r["starts_at"]),
                      parse_utc(r["ends_at"]), r["reason"], r["state"], r["requested_by"],
                      parse_utc(r["requested_at"]), r["decided_by"],
                      parse_utc(r["decided_at"]) if r["decided_at"] else None, r["decision_note"])


class DelegationQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, unit_id: int, principal_id: int, delegate_id: int, starts_at: datetime,
                  ends_at: datetime, reason: str, by: int, at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO delegations (unit_id, principal_id, delegate_id, starts_at, ends_at, reason, state,"
            " requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?)",
            (unit_id, principal_id, delegate_id, utc_iso(starts_at), utc_iso(ends_at), reason, by, utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, delegation_id: int) -> Delegation | None:
        async with self.conn.execute("SELECT * FROM delegations WHERE id = ?", (delegation_id,)) as cur:
            row = await cur.fetchone()
        return _row(row) if row else None

    async def many(self, ids: list[int]) -> dict[int, Delegation]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self.conn.execute(f"SELECT * FROM delegations WHERE id IN ({marks})", ids) as cur:
            return {r["id"]: _row(r) for r in await cur.fetchall()}

    async def decide(self, delegation_id: int, state: str, by: int, at: datetime, note: str,
                     from_states: tuple[str, ...]) -> bool:
        marks = ",".join("?" * len(from_states))
        cur = await self.conn.execute(
            f"UPDATE delegations SET state = ?, decided_by = ?, decided_at = ?, decision_note = ?"
            f" WHERE id = ? AND state IN ({marks})", (state, by, utc_iso(at), note, delegation_id, *from_states))
        return cur.rowcount == 1

    async def of_principal(self, principal_id: int, since: datetime | None = None,
                           limit: int = 200) -> list[Delegation]:
        """Someone's delegations as principal, the latest first (with `since`: those ending after it)."""
        async with self.conn.execute(
                "SELECT * FROM delegations WHERE principal_id = ? AND ends_at > ? ORDER BY starts_at DESC, id DESC"
                " LIMIT ?", (principal_id, utc_iso(since) if since else "", limit)) as cur:
            return [_row(r) for r in await cur.fetchall()]

    async def of_delegate(self, delegate_id: int, limit: int = 200) -> list[Delegation]:
        async with self.conn.execute(
                "SELECT * FROM delegations WHERE delegate_id = ? ORDER BY starts_at DESC, id DESC LIMIT ?",
                (delegate_id, limit)) as cur:
            return [_row(r) for r in await cur.fetchall()]

    async def current_for_delegate(self, delegate_id: int, now: datetime) -> list[Delegation]:
        """The approved delegations whose period holds `now`: whom this person may act for."""
        n = utc_iso(now)
        async with self.conn.execute(
                "SELECT * FROM delegations WHERE delegate_id = ? AND ends_at > ? AND state = 'approved'"
                " AND starts_at <= ? ORDER BY ends_at, id", (delegate_id, n, n)) as cur:
            return [_row(r) for r in await cur.fetchall()]

    async def of_unit(self, unit_id: int | None, limit: int = 500) -> list[Delegation]:
        """A unit's register (None: every unit), the latest first."""
        where, args = ("WHERE unit_id = ?", (unit_id,)) if unit_id is not None else ("", ())
        async with self.conn.execute(
                f"SELECT * FROM delegations {where} ORDER BY starts_at DESC, id DESC LIMIT ?",
                (*args, limit)) as cur:
            return [_row(r) for r in await cur.fetchall()]

    # -- the session acting under one --------------------------------------------------------------

    async def acting(self, session_key: str) -> Delegation | None:
        """The delegation a session acts under, or None (acting as oneself)."""
        async with self.conn.execute(
                "SELECT d.* FROM sessions s JOIN delegations d ON d.id = s.acting_for WHERE s.id_hash = ?",
                (session_key,)) as cur:
            row = await cur.fetchone()
        return _row(row) if row else None

    async def set_acting(self, session_key: str, delegation_id: int | None) -> bool:
        cur = await self.conn.execute("UPDATE sessions SET acting_for = ? WHERE id_hash = ?",
                                      (delegation_id, session_key))
        return cur.rowcount == 1

    async def end_acting(self, session_key: str, notice: bool) -> bool:
        """The session acts as its own person again; `notice`: its next page is still to say so."""
        cur = await self.conn.execute("UPDATE sessions SET acting_for = NULL, acting_ended_notice = ?"
                                      " WHERE id_hash = ?", (int(notice), session_key))
        return cur.rowcount == 1

    async def stop_acting_under(self, delegation_id: int) -> int:
        """Every session acting under a delegation goes back to its own person (cancelled)."""
        cur = await self.conn.execute("UPDATE sessions SET acting_for = NULL WHERE acting_for = ?",
                                      (delegation_id,))
        return cur.rowcount

    async def sessions_acting_under(self, delegation_id: int) -> list[str]:
        async with self.conn.execute("SELECT id_hash FROM sessions WHERE acting_for = ?",
                                     (delegation_id,)) as cur:
            return [r[0] for r in await cur.fetchall()]
