"""SQL for the to-do list (待办) and its badges: what waits for a unit, read in few statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection


@dataclass(frozen=True)
class WaitingDelivery:
    """A delivery of the unit, with what its list line shows."""
    delivery_id: int
    item_id: int
    title: str
    urgency: str
    kind: str
    sender_name: str
    state: str
    sent_at: datetime
    due_at: datetime
    escalated: bool


@dataclass(frozen=True)
class WaitingSealUse:
    """A seal-use request with the document it is for."""
    request_id: int
    document_id: int
    state: str
    title: str
    doc_number: str
    urgency: str
    unit_name: str
    requester_name: str
    approver_name: str
    requested_at: datetime


class TodoQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def open_deliveries(self, unit_id: int, limit: int = 200) -> list[WaitingDelivery]:
        """The unit's deliveries not yet signed for, the earliest deadline first."""
        async with self.conn.execute(
                "SELECT d.id, d.item_id, i.title, i.urgency, i.kind, u.name AS sender_name, d.state, d.sent_at,"
                " d.due_at, d.escalated_at FROM deliveries d JOIN items i ON i.id = d.item_id"
                " JOIN units u ON u.id = i.sender_unit_id"
                " WHERE d.unit_id = ? AND d.state IN ('pending', 'read')"
                " ORDER BY d.due_at, d.id LIMIT ?", (unit_id, limit)) as cur:
            rows = await cur.fetchall()
        return [WaitingDelivery(r["id"], r["item_id"], r["title"], r["urgency"], r["kind"], r["sender_name"],
                                r["state"], parse_utc(r["sent_at"]), parse_utc(r["due_at"]),
                                r["escalated_at"] is not None) for r in rows]

    async def signed_unregistered(self, unit_id: int, since: datetime, limit: int = 200) -> list[WaitingDelivery]:
        """Documents the unit signed for as a main recipient since `since` (not withdrawn) that are not
        in its 收文登记簿 yet: what its clerks still have to register (登记), the earliest signed first."""
        async with self.conn.execute(
                "SELECT d.id, d.item_id, i.title, i.urgency, i.kind, u.name AS sender_name, d.state, d.acked_at,"
                " d.due_at, d.escalated_at FROM deliveries d JOIN items i ON i.id = d.item_id"
                " JOIN units u ON u.id = i.sender_unit_id LEFT JOIN incoming r ON r.delivery_id = d.id"
                " WHERE d.unit_id = ? AND d.state = 'acked' AND d.role = 'main' AND d.acked_at >= ?"
                " AND i.kind = 'document' AND i.withdrawn_at IS NULL AND r.id IS NULL"
                " ORDER BY d.acked_at, d.id LIMIT ?", (unit_id, utc_iso(since), limit)) as cur:
            rows = await cur.fetchall()
        return [WaitingDelivery(r["id"], r["item_id"], r["title"], r["urgency"], r["kind"], r["sender_name"],
                                r["state"], parse_utc(r["acked_at"]), parse_utc(r["due_at"]),
                                r["escalated_at"] is not None) for r in rows]

    async def done_counts(self, user_id: int, reading_kinds: tuple[str, ...]) -> tuple[int, int]:
        """How many road steps this person did: (other work 已办, reading 已阅)."""
        marks = ",".join("?" * len(reading_kinds))
        async with self.conn.execute(
                f"SELECT count(*) - coalesce(sum(CASE WHEN kind IN ({marks}) THEN 1 ELSE 0 END), 0),"
                f" coalesce(sum(CASE WHEN kind IN ({marks}) THEN 1 ELSE 0 END), 0)"
                " FROM road_steps WHERE done_by = ? AND state = 'done'",
                (*reading_kinds, *reading_kinds, user_id)) as cur:
            r = await cur.fetchone()
        return (int(r[0]), int(r[1])) if r else (0, 0)

    async def unread_count(self, unit_id: int) -> int:
        """Deliveries of the unit nobody has opened yet (the messages badge)."""
        async with self.conn.execute(
                "SELECT count(*) FROM deliveries WHERE unit_id = ? AND state = 'pending'", (unit_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def seal_uses(self, unit_id: int, state: str) -> list[WaitingSealUse]:
        """The unit's seal-use requests in one state, with the document's title, number and unit."""
        async with self.conn.execute(
                "SELECT r.id, r.document_id, r.state, d.title, d.doc_number, d.urgency,"
                " COALESCE(NULLIF(d.issuing_office, ''), u.name) AS unit_name, r.requester_name,"
                " r.approver_name, r.requested_at FROM seal_use_requests r"
                " JOIN documents d ON d.id = r.document_id JOIN units u ON u.id = d.unit_id"
                " WHERE r.unit_id = ? AND r.state = ? ORDER BY CASE d.urgency WHEN 'extra_urgent' THEN 0"
                " WHEN 'urgent' THEN 1 ELSE 2 END, r.id", (unit_id, state)) as cur:
            rows = await cur.fetchall()
        return [WaitingSealUse(r["id"], r["document_id"], r["state"], r["title"], r["doc_number"] or "",
                               r["urgency"], r["unit_name"], r["requester_name"], r["approver_name"] or "",
                               parse_utc(r["requested_at"])) for r in rows]

    async def registered_without_seal_request(self, unit_id: int) -> list[tuple[int, str, str, str, datetime]]:
        """Registered documents of the unit with no open seal-use request:
        (id, title, number, urgency, registered at)."""
        async with self.conn.execute(
                "SELECT d.id, d.title, d.doc_number, d.urgency, d.updated_at FROM documents d"
                " WHERE d.unit_id = ? AND d.state = 'registered' AND NOT EXISTS (SELECT 1 FROM seal_use_requests r"
                " WHERE r.document_id = d.id AND r.state IN ('pending', 'approved')) ORDER BY d.id",
                (unit_id,)) as cur:
            return [(r[0], r[1], r[2] or "", r[3], parse_utc(r[4])) for r in await cur.fetchall()]
