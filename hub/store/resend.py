"""SQL of a delivery's rounds: returned after sign-for (退文 at 初审), the sender's re-send, the
files added on re-sending, and what each earlier round was (hub/services/resend.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.domain.items import Attachment
from hub.store.connection import Connection
from hub.store.items import AttachmentInfo


def _t(v: str | None) -> datetime | None:
    return parse_utc(v) if v else None


@dataclass(frozen=True)
class DeliveryRound:
    """An earlier round of a delivery, as it ended when its sender sent the next one."""
    delivery_id: int
    round: int
    sent_at: datetime
    due_at: datetime
    read_at: datetime | None
    acked_at: datetime | None
    acked_by: int | None
    ack_via: str | None
    receipt_no: str | None
    returned_at: datetime | None
    return_reason: str
    level: int
    chases: int
    resent_at: datetime
    resent_by: int
    resend_note: str


@dataclass(frozen=True)
class RoundAttachment:
    """A file the sender added when re-sending to one unit (and the item's file it replaces)."""
    info: AttachmentInfo
    delivery_id: int
    round: int
    replaces_id: int | None


def files_for_unit(own: list[AttachmentInfo], extra: list[RoundAttachment],
                   delivery_id: int) -> list[AttachmentInfo]:
    """What one recipient unit receives: the item's files but those replaced for it, then its own."""
    mine = [r for r in extra if r.delivery_id == delivery_id]
    gone = {r.replaces_id for r in mine}
    return [a for a in own if a.id not in gone] + [r.info for r in mine if r.info.id not in gone]


class RoundQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def mark_returned_after_ack(self, delivery_id: int, at: datetime, reason: str) -> bool:
        """A signed-for delivery goes back (its sign-for and receipt stay on the row for the round)."""
        cur = await self.conn.execute(
            "UPDATE deliveries SET state = 'returned', returned_at = ?, return_reason = ?"
            " WHERE id = ? AND state = 'acked'", (utc_iso(at), reason, delivery_id))
        return cur.rowcount == 1

    async def start_next_round(self, delivery_id: int, now: datetime, due_at: datetime,
                               ladder: list[dict[str, Any]], by: int, note: str,
                               from_states: tuple[str, ...] = ("returned",)) -> bool:
        """Keep the ended round in delivery_rounds, then the row is the next round's: pending again,
        sent now, nothing read, signed for, returned or escalated. False if it was not in one of
        `from_states` (a re-send: returned; a changed item's reissue: pending, read or signed for)."""
        stamp = utc_iso(now)
        marks = ",".join("?" * len(from_states))
        cur = await self.conn.execute(
            "INSERT INTO delivery_rounds (delivery_id, round, sent_at, due_at, read_at, acked_at, acked_by,"
            " ack_via, receipt_no, returned_at, return_reason, level, chases, resent_at, resent_by, resend_note)"
            " SELECT id, round, sent_at, due_at, read_at, acked_at, acked_by, ack_via, receipt_no, returned_at,"
            f" return_reason, level, chases, ?, ?, ? FROM deliveries WHERE id = ? AND state IN ({marks})",
            (stamp, by, note, delivery_id, *from_states))
        if cur.rowcount != 1:
            return False
        await self.conn.execute(
            "UPDATE deliveries SET state = 'pending', round = round + 1, sent_at = ?, due_at = ?, ladder = ?,"
            " read_at = NULL, read_by = NULL, acked_at = NULL, acked_by = NULL, ack_via = NULL, ack_note = '',"
            " receipt_no = NULL, returned_at = NULL, return_reason = '', level = 0, escalated_at = NULL,"
            " chases = 0 WHERE id = ?", (stamp, utc_iso(due_at), json.dumps(ladder), delivery_id))
        return True

    async def of_item(self, item_id: int) -> list[DeliveryRound]:
        """The earlier rounds of an item's deliveries, by delivery and round."""
        async with self.conn.execute(
                "SELECT r.* FROM delivery_rounds r JOIN deliveries d ON d.id = r.delivery_id"
                " WHERE d.item_id = ? ORDER BY r.delivery_id, r.round", (item_id,)) as cur:
            rows = await cur.fetchall()
        return [DeliveryRound(r["delivery_id"], r["round"], parse_utc(r["sent_at"]), parse_utc(r["due_at"]),
                              _t(r["read_at"]), _t(r["acked_at"]), r["acked_by"], r["ack_via"], r["receipt_no"],
                              _t(r["returned_at"]), r["return_reason"], r["level"], r["chases"],
                              parse_utc(r["resent_at"]), r["resent_by"], r["resend_note"]) for r in rows]

    async def add_attachment(self, item_id: int, delivery_id: int, round_: int, a: Attachment,
                             replaces_id: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO attachments (item_id, name, content_type, size, sha256, content, delivery_id, round,"
            " replaces_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, a.name, a.content_type, len(a.content), hashlib.sha256(a.content).hexdigest(), a.content,
             delivery_id, round_, replaces_id))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def attachments(self, item_id: int) -> list[RoundAttachment]:
        """Every file added on re-sending the item's deliveries, in order."""
        async with self.conn.execute(
                "SELECT id, item_id, name, content_type, size, sha256, delivery_id, round, replaces_id"
                " FROM attachments WHERE item_id = ? AND delivery_id IS NOT NULL ORDER BY id", (item_id,)) as cur:
            return [RoundAttachment(AttachmentInfo(*r[:6]), r[6], r[7], r[8]) for r in await cur.fetchall()]

    async def attachment_delivery(self, attachment_id: int) -> int | None:
        """The delivery a re-send's file is for (None: the item's own file, or no such file)."""
        async with self.conn.execute("SELECT delivery_id FROM attachments WHERE id = ?", (attachment_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row and row[0] is not None else None
