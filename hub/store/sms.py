"""SQL for SMS: messages sent through the gateway, the outbox rows they carry, replies, opt-outs."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.sms import FINAL
from hub.store.connection import Connection


@dataclass(frozen=True)
class SmsMessage:
    id: int
    phone: str
    body: str
    segments: int
    state: str
    sid: str | None
    error_code: int | None
    attempts: int
    created_at: datetime
    attempted_at: datetime | None
    status_at: datetime | None
    token: str = ""                  # in its StatusCallback URL: how we know it at the gateway
    checks: int = 0                  # times its status was fetched from the gateway


def _msg(r: sqlite3.Row) -> SmsMessage:
    return SmsMessage(r["id"], r["phone"], r["body"], r["segments"], r["state"], r["sid"], r["error_code"],
                      r["attempts"], parse_utc(r["created_at"]),
                      parse_utc(r["attempted_at"]) if r["attempted_at"] else None,
                      parse_utc(r["status_at"]) if r["status_at"] else None, r["token"] or "", r["checks"])


def _not_theirs(others: list[int]) -> str:
    """A message no live other process is waiting for (`others`: their ids, as parameters)."""
    return f"(owner_id IS NULL OR owner_id NOT IN ({', '.join('?' * len(others))}))" if others else "1 = 1"

_FINAL = "(" + ", ".join(f"'{s}'" for s in sorted(FINAL)) + ")"


@dataclass(frozen=True)
class QueuedNotice:
    outbox_id: int
    phone: str
    body: str
    delivery_id: int | None
    created_at: datetime


class SmsQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the queue: outbox rows not yet carried by any message ---------------------------
    # ('queued' with a message_id is Twilio's own state: queued at the gateway)

    async def queued(self, now: datetime, limit: int = 200) -> list[QueuedNotice]:
        async with self.conn.execute(
                "SELECT id, phone, body, delivery_id, created_at FROM outbox WHERE state = 'queued'"
                " AND message_id IS NULL AND channel = 'sms' AND (not_before IS NULL OR not_before <= ?)"
                " ORDER BY id LIMIT ?",
                (utc_iso(now), limit)) as cur:
            return [QueuedNotice(r[0], r[1], r[2], r[3], parse_utc(r[4])) for r in await cur.fetchall()]

    async def next_not_before(self) -> datetime | None:
        async with self.conn.execute(
                "SELECT min(not_before) FROM outbox WHERE state = 'queued' AND message_id IS NULL"
                " AND not_before IS NOT NULL") as cur:
            row = await cur.fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    async def hold(self, outbox_ids: list[int], until: datetime) -> None:
        await self.conn.executemany("UPDATE outbox SET not_before = ? WHERE id = ?",
                                    [(utc_iso(until), i) for i in outbox_ids])

    async def last_sent_to(self, phone: str) -> datetime | None:
        async with self.conn.execute("SELECT max(created_at) FROM sms_messages WHERE phone = ?", (phone,)) as cur:
            row = await cur.fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    # -- messages --------------------------------------------------------------------

    async def still_queued(self, outbox_ids: list[int]) -> set[int]:
        """Which of these notices, read before the write began, no message carries yet (another
        process may have sent them meanwhile: write transactions run one at a time, so what this
        one reads stays true until it commits)."""
        if not outbox_ids:
            return set()
        marks = ", ".join("?" * len(outbox_ids))
        async with self.conn.execute(
                f"SELECT id FROM outbox WHERE id IN ({marks}) AND state = 'queued' AND message_id IS NULL",
                outbox_ids) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def add_message(self, phone: str, body: str, segments: int, outbox_ids: list[int], at: datetime,
                          retry_at: datetime, token: str, owner_id: int | None = None) -> int:
        """A message about to be sent, committed before the API call ('sending', no SID yet), by the
        process `owner_id` (None on SQLite, where there is one)."""
        cur = await self.conn.execute(
            "INSERT INTO sms_messages (phone, body, segments, state, attempts, created_at, attempted_at, retry_at,"
            " token, owner_id) VALUES (?, ?, ?, 'sending', 1, ?, ?, ?, ?, ?)",
            (phone, body, segments, utc_iso(at), utc_iso(at), utc_iso(retry_at), token, owner_id))
        assert cur.lastrowid is not None
        await self.conn.executemany("UPDATE outbox SET state = 'sending', message_id = ? WHERE id = ?",
                                    [(cur.lastrowid, i) for i in outbox_ids])
        return cur.lastrowid

    async def get(self, message_id: int) -> SmsMessage | None:
        async with self.conn.execute("SELECT * FROM sms_messages WHERE id = ?", (message_id,)) as cur:
            r = await cur.fetchone()
        return _msg(r) if r else None

    async def by_sid(self, sid: str) -> SmsMessage | None:
        async with self.conn.execute("SELECT * FROM sms_messages WHERE sid = ?", (sid,)) as cur:
            r = await cur.fetchone()
        return _msg(r) if r else None

    async def unanswered(self, now: datetime, others: list[int], limit: int = 50) -> list[SmsMessage]:
        """Messages whose API call may have reached the gateway without an answer, except those of
        the live processes `others` (each looks after its own)."""
        async with self.conn.execute(
                "SELECT * FROM sms_messages WHERE state = 'sending' AND sid IS NULL AND retry_at <= ?"
                f" AND {_not_theirs(others)} ORDER BY id LIMIT ?",
                (utc_iso(now), *others, limit)) as cur:
            return [_msg(r) for r in await cur.fetchall()]

    async def claim_unanswered(self, message_id: int, now: datetime, until: datetime, me: int | None,
                               others: list[int]) -> bool:
        """Take an unanswered message to look it up (and maybe send it again) until `until`; False if
        another process took it first or its answer came meanwhile."""
        cur = await self.conn.execute(
            "UPDATE sms_messages SET owner_id = ?, retry_at = ? WHERE id = ? AND state = 'sending'"
            f" AND sid IS NULL AND retry_at <= ? AND {_not_theirs(others)}",
            (me, utc_iso(until), message_id, utc_iso(now), *others))
        return cur.rowcount == 1

    async def next_retry(self) -> datetime | None:
        async with self.conn.execute(
                "SELECT min(retry_at) FROM sms_messages WHERE state = 'sending' AND sid IS NULL") as cur:
            row = await cur.fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    async def retry_all_now(self, now: datetime, others: list[int]) -> None:
        """At start this process has no call in flight: every message without an answer is looked at
        now, except those of the live processes `others`."""
        await self.conn.execute(
            "UPDATE sms_messages SET retry_at = ? WHERE state = 'sending' AND sid IS NULL"
            f" AND {_not_theirs(others)}", (utc_iso(now), *others))

    async def attempt(self, message_id: int, at: datetime, retry_at: datetime, owner_id: int | None = None) -> None:
        await self.conn.execute(
            "UPDATE sms_messages SET attempts = attempts + 1, attempted_at = ?, retry_at = ?, owner_id = ?"
            " WHERE id = ?", (utc_iso(at), utc_iso(retry_at), owner_id, message_id))

    async def postpone(self, message_id: int, retry_at: datetime) -> None:
        await self.conn.execute("UPDATE sms_messages SET retry_at = ? WHERE id = ?", (utc_iso(retry_at), message_id))

    async def known_sids(self, sids: list[str]) -> set[str]:
        """Which of these SIDs are already some message's of ours."""
        known: set[str] = set()
        for i in range(0, len(sids), 500):
            chunk = sids[i:i + 500]
            async with self.conn.execute(
                    f"SELECT sid FROM sms_messages WHERE sid IN ({', '.join('?' * len(chunk))})", chunk) as cur:
                known |= {r[0] for r in await cur.fetchall()}
        return known

    async def set_sid(self, message_id: int, sid: str, state: str, at: datetime, check_at: datetime) -> None:
        """The gateway took it; its status is fetched at `check_at` unless a final one came by then."""
        await self.conn.execute(
            "UPDATE sms_messages SET sid = ?, state = ?, status_at = ?, retry_at = NULL, check_at = ?"
            " WHERE id = ? AND sid IS NULL", (sid, state, utc_iso(at), utc_iso(check_at), message_id))
        await self.conn.execute("UPDATE outbox SET state = ?, provider_id = ?, sent_at = ? WHERE message_id = ?",
                                (state, sid, utc_iso(at), message_id))

    async def set_state(self, message_id: int, state: str, error_code: int | None, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE sms_messages SET state = ?, error_code = coalesce(?, error_code), status_at = ?,"
            f" retry_at = NULL, check_at = CASE WHEN ? IN {_FINAL} THEN NULL ELSE check_at END WHERE id = ?",
            (state, error_code, utc_iso(at), state, message_id))
        await self.conn.execute(
            "UPDATE outbox SET state = ?, error = coalesce(?, error) WHERE message_id = ?",
            (state, None if error_code is None else str(error_code), message_id))

    # -- statuses fetched from the gateway (a callback may have been lost) -----------------

    async def due_checks(self, now: datetime, limit: int = 50) -> list[SmsMessage]:
        async with self.conn.execute(
                "SELECT * FROM sms_messages WHERE check_at <= ? AND sid IS NOT NULL ORDER BY check_at, id LIMIT ?",
                (utc_iso(now), limit)) as cur:
            return [_msg(r) for r in await cur.fetchall()]

    async def claim_checks(self, message_ids: list[int], now: datetime, until: datetime) -> list[int]:
        """Take these messages' status checks until `until` (another process may be fetching some:
        those are left out); the ids taken."""
        if not message_ids:
            return []
        marks = ", ".join("?" * len(message_ids))
        async with self.conn.execute(
                f"SELECT id FROM sms_messages WHERE id IN ({marks}) AND check_at <= ? ORDER BY id",
                (*message_ids, utc_iso(now))) as cur:
            taken = [r[0] for r in await cur.fetchall()]
        await self.conn.executemany("UPDATE sms_messages SET check_at = ? WHERE id = ?",
                                    [(utc_iso(until), i) for i in taken])
        return taken

    async def next_check(self) -> datetime | None:
        async with self.conn.execute("SELECT min(check_at) FROM sms_messages WHERE check_at IS NOT NULL") as cur:
            row = await cur.fetchone()
        return parse_utc(row[0]) if row and row[0] else None

    async def checked(self, message_id: int, check_at: datetime | None) -> None:
        """Fetched once more; asked again at `check_at` (None: no more)."""
        await self.conn.execute(
            "UPDATE sms_messages SET checks = checks + 1, check_at = ? WHERE id = ?",
            (utc_iso(check_at) if check_at else None, message_id))

    async def check_all_now(self, now: datetime) -> None:
        """At start any status may have been missed while we were down: every message still asked about, now."""
        await self.conn.execute("UPDATE sms_messages SET check_at = ? WHERE check_at IS NOT NULL", (utc_iso(now),))

    async def skip_settled_reminders(self, outbox_ids: list[int]) -> set[int]:
        """Escalation SMS among these whose delivery is no longer open (signed for, returned,
        withdrawn): marked 'skipped', never sent; their ids."""
        if not outbox_ids:
            return set()
        marks = ", ".join("?" * len(outbox_ids))
        async with self.conn.execute(
                f"SELECT o.id FROM outbox o JOIN events e ON e.id = o.event_id JOIN deliveries d ON d.id = o.delivery_id"
                f" WHERE o.id IN ({marks}) AND e.type = 'item.escalated' AND d.state NOT IN ('pending', 'read')",
                outbox_ids) as cur:
            settled = [r[0] for r in await cur.fetchall()]
        await self.conn.executemany("UPDATE outbox SET state = 'skipped' WHERE id = ?", [(i,) for i in settled])
        return set(settled)

    async def outbox_of(self, message_id: int) -> list[tuple[int, int | None, int | None]]:
        """(outbox id, delivery id, user id) carried by a message."""
        async with self.conn.execute("SELECT id, delivery_id, user_id FROM outbox WHERE message_id = ?",
                                     (message_id,)) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def recent(self, limit: int = 100) -> list[SmsMessage]:
        async with self.conn.execute("SELECT * FROM sms_messages ORDER BY id DESC LIMIT ?", (limit,)) as cur:
            return [_msg(r) for r in await cur.fetchall()]

    async def count_by_state(self) -> dict[str, int]:
        async with self.conn.execute("SELECT state, count(*) FROM sms_messages GROUP BY state") as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def keep_early_status(self, sid: str, status: str, error_code: int | None, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO sms_early_status (sid, status, error_code, received_at) VALUES (?, ?, ?, ?)",
            (sid, status, error_code, utc_iso(at)))

    async def take_early_statuses(self, sid: str) -> list[tuple[str, int | None]]:
        async with self.conn.execute("SELECT status, error_code FROM sms_early_status WHERE sid = ? ORDER BY id",
                                     (sid,)) as cur:
            rows = [(r[0], r[1]) for r in await cur.fetchall()]
        await self.conn.execute("DELETE FROM sms_early_status WHERE sid = ?", (sid,))
        return rows

    # -- replies and opt-outs ----------------------------------------------------------

    async def inbound(self, sid: str) -> tuple[str, int | None] | None:
        async with self.conn.execute("SELECT reply, delivery_id FROM sms_inbound WHERE sid = ?", (sid,)) as cur:
            r = await cur.fetchone()
        return (r[0], r[1]) if r else None

    async def add_inbound(self, sid: str, phone: str, body: str, at: datetime, reply: str = "",
                          delivery_id: int | None = None) -> None:
        """The MessageSid is recorded first (UNIQUE): a repeat of the same reply finds it."""
        await self.conn.execute(
            "INSERT INTO sms_inbound (sid, phone, body, received_at, reply, delivery_id) VALUES (?, ?, ?, ?, ?, ?)",
            (sid, phone, body[:500], utc_iso(at), reply, delivery_id))

    async def answer_inbound(self, sid: str, reply: str, delivery_id: int | None) -> None:
        await self.conn.execute("UPDATE sms_inbound SET reply = ?, delivery_id = ? WHERE sid = ?",
                                (reply, delivery_id, sid))

    async def latest_open_delivery_sent_to(self, phone: str, unit_id: int) -> int | None:
        """The most recent open delivery of the unit that an SMS went to this phone for."""
        async with self.conn.execute(
                "SELECT o.delivery_id FROM outbox o JOIN deliveries d ON d.id = o.delivery_id"
                " WHERE o.phone = ? AND d.unit_id = ? AND d.state IN ('pending', 'read')"
                " ORDER BY o.id DESC LIMIT 1", (phone, unit_id)) as cur:
            r = await cur.fetchone()
        return int(r[0]) if r else None

    async def open_delivery_by_code(self, code: str, unit_id: int) -> int | None:
        async with self.conn.execute(
                "SELECT d.id FROM deliveries d JOIN items i ON i.id = d.item_id"
                " WHERE i.short_code = ? AND d.unit_id = ? AND d.state IN ('pending', 'read')"
                " ORDER BY d.id DESC LIMIT 1", (code, unit_id)) as cur:
            r = await cur.fetchone()
        return int(r[0]) if r else None

    async def signed_delivery_by_code(self, code: str, unit_id: int) -> int | None:
        """The unit's delivery, already signed for, of the item with this code (a reply that came late)."""
        async with self.conn.execute(
                "SELECT d.id FROM deliveries d JOIN items i ON i.id = d.item_id"
                " WHERE i.short_code = ? AND d.unit_id = ? AND d.state = 'acked' ORDER BY d.id DESC LIMIT 1",
                (code, unit_id)) as cur:
            r = await cur.fetchone()
        return int(r[0]) if r else None

    async def opt_out(self, phone: str, at: datetime, error_code: int) -> None:
        await self.conn.execute(
            "INSERT INTO sms_optouts (phone, at, error_code) VALUES (?, ?, ?) ON CONFLICT (phone) DO NOTHING",
            (phone, utc_iso(at), error_code))

    async def opted_out(self) -> dict[str, datetime]:
        async with self.conn.execute("SELECT phone, at FROM sms_optouts") as cur:
            return {r[0]: parse_utc(r[1]) for r in await cur.fetchall()}

    async def pull_step_forward(self, delivery_id: int, now: datetime) -> bool:
        """Bring the delivery's next ladder step forward to now (an SMS never arrived)."""
        cur = await self.conn.execute(
            "UPDATE timers SET due_at = ? WHERE delivery_id = ? AND kind = 'step' AND due_at > ?",
            (utc_iso(now), delivery_id, utc_iso(now)))
        return cur.rowcount > 0
