"""SQL for one-time passwords: enrolments, recovery codes and failed codes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection


@dataclass(frozen=True)
class OtpEnrolment:
    user_id: int
    state: str                  # "pending" | "active"
    secret_enc: bytes
    last_step: int
    created_at: datetime
    activated_at: datetime | None


def _enrolment(r: sqlite3.Row) -> OtpEnrolment:
    return OtpEnrolment(r["user_id"], r["state"], bytes(r["secret_enc"]), r["last_step"],
                        parse_utc(r["created_at"]),
                        parse_utc(r["activated_at"]) if r["activated_at"] else None)


class OtpQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, user_id: int) -> OtpEnrolment | None:
        async with self.conn.execute("SELECT * FROM otp_enrolments WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return _enrolment(row) if row else None

    async def start(self, user_id: int, secret_enc: bytes, at: datetime) -> bool:
        """A new pending enrolment, replacing a pending one; never an active one (False then)."""
        cur = await self.conn.execute(
            "INSERT INTO otp_enrolments (user_id, state, secret_enc, last_step, created_at)"
            " VALUES (?, 'pending', ?, 0, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, last_step = 0,"
            " created_at = excluded.created_at WHERE otp_enrolments.state = 'pending'",
            (user_id, secret_enc, utc_iso(at)))
        return cur.rowcount == 1

    async def activate(self, user_id: int, step: int, at: datetime) -> bool:
        """Pending → active, consuming `step`; False if not pending (any more)."""
        cur = await self.conn.execute(
            "UPDATE otp_enrolments SET state = 'active', last_step = ?, activated_at = ?"
            " WHERE user_id = ? AND state = 'pending' AND last_step < ?",
            (step, utc_iso(at), user_id, step))
        return cur.rowcount == 1

    async def use_step(self, user_id: int, step: int) -> bool:
        """Accept the code of `step` once: False if a code of this step or a later one was accepted."""
        cur = await self.conn.execute(
            "UPDATE otp_enrolments SET last_step = ?"
            " WHERE user_id = ? AND state = 'active' AND last_step < ?",
            (step, user_id, step))
        return cur.rowcount == 1

    async def delete(self, user_id: int) -> None:
        """Forget a user's enrolment, recovery codes and failures."""
        await self.conn.execute("DELETE FROM otp_recovery_codes WHERE user_id = ?", (user_id,))
        await self.conn.execute("DELETE FROM otp_failures WHERE user_id = ?", (user_id,))
        await self.conn.execute("DELETE FROM otp_enrolments WHERE user_id = ?", (user_id,))

    # -- recovery codes -------------------------------------------------------------------

    async def replace_recovery_codes(self, user_id: int, code_hashes: list[str]) -> None:
        await self.conn.execute("DELETE FROM otp_recovery_codes WHERE user_id = ?", (user_id,))
        await self.conn.executemany(
            "INSERT INTO otp_recovery_codes (user_id, code_hash) VALUES (?, ?)",
            [(user_id, h) for h in code_hashes])

    async def use_recovery_code(self, user_id: int, code_hash: str, at: datetime) -> bool:
        """Spend an unused recovery code; False if unknown or already spent."""
        cur = await self.conn.execute(
            "UPDATE otp_recovery_codes SET used_at = ?"
            " WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
            (utc_iso(at), user_id, code_hash))
        return cur.rowcount == 1

    async def recovery_code_spent(self, user_id: int, code_hash: str) -> bool:
        async with self.conn.execute(
                "SELECT 1 FROM otp_recovery_codes WHERE user_id = ? AND code_hash = ?"
                " AND used_at IS NOT NULL", (user_id, code_hash)) as cur:
            return await cur.fetchone() is not None

    async def recovery_codes_left(self, user_id: int) -> int:
        async with self.conn.execute(
                "SELECT count(*) FROM otp_recovery_codes WHERE user_id = ? AND used_at IS NULL",
                (user_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # -- failed codes (throttling) --------------------------------------------------------

    async def record_failure(self, user_id: int, at: datetime) -> None:
        await self.conn.execute("INSERT INTO otp_failures (user_id, at) VALUES (?, ?)",
                                (user_id, utc_iso(at)))

    async def failures_since(self, user_id: int, since: datetime) -> list[datetime]:
        """Times of the user's failed codes after `since` (exclusive), oldest first."""
        async with self.conn.execute(
                "SELECT at FROM otp_failures WHERE user_id = ? AND at > ? ORDER BY at",
                (user_id, utc_iso(since))) as cur:
            return [parse_utc(r[0]) for r in await cur.fetchall()]

    async def clear_failures(self, user_id: int) -> None:
        await self.conn.execute("DELETE FROM otp_failures WHERE user_id = ?", (user_id,))

    async def prune_failures(self, before: datetime) -> None:
        await self.conn.execute("DELETE FROM otp_failures WHERE at <= ?", (utc_iso(before),))
