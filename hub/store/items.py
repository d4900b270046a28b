"""SQL for items, deliveries, attachments, attendance, events, the outbox and the schedule."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import parse_utc, utc_iso
from hub.domain.items import (
    AckVia,
    Attachment,
    Delivery,
    DeliveryState,
    Item,
    ItemDraft,
    ItemKind,
    RecipientRole,
    Urgency,
)
from hub.store.connection import Connection
from hub.store.dialect import insert_rows, is_pg, reserve_ids, seconds_between


def _t(v: str | None) -> datetime | None:
    return parse_utc(v) if v else None


def _item(r: sqlite3.Row) -> Item:
    return Item(id=r["id"], kind=ItemKind(r["kind"]), urgency=Urgency(r["urgency"]), title=r["title"],
                body=r["body"], doc_number=r["doc_number"], doc_kind=r["doc_kind"],
                issuing_office=r["issuing_office"], doc_date=r["doc_date"],
                meeting_at=_t(r["meeting_at"]), meeting_place=r["meeting_place"],
                sender_unit_id=r["sender_unit_id"], sender_user_id=r["sender_user_id"],
                issued_at=parse_utc(r["issued_at"]), due_at=parse_utc(r["due_at"]),
                working_time=bool(r["working_time"]), ladder=json.loads(r["ladder"]),
                short_code=r["short_code"], withdrawn_at=_t(r["withdrawn_at"]), signer=r["signer"])


def _delivery(r: sqlite3.Row) -> Delivery:
    return Delivery(id=r["id"], item_id=r["item_id"], unit_id=r["unit_id"], role=RecipientRole(r["role"]),
                    state=DeliveryState(r["state"]), sent_at=parse_utc(r["sent_at"]),
                    due_at=parse_utc(r["due_at"]), assignee_id=r["assignee_id"],
                    read_at=_t(r["read_at"]), read_by=r["read_by"], acked_at=_t(r["acked_at"]),
                    acked_by=r["acked_by"], ack_via=AckVia(r["ack_via"]) if r["ack_via"] else None,
                    ack_note=r["ack_note"], receipt_no=r["receipt_no"], returned_at=_t(r["returned_at"]),
                    return_reason=r["return_reason"], level=r["level"],
                    escalated_at=_t(r["escalated_at"]), chases=r["chases"], round=r["round"],
                    ladder=json.loads(r["ladder"]) if r["ladder"] else None)


# the columns `add_many` writes, with their PostgreSQL types (hub/store/dialect.py insert_rows)
_DELIVERY_COLUMNS = (("id", "bigint"), ("item_id", "bigint"), ("unit_id", "bigint"), ("role", "text"),
                     ("state", "text"), ("sent_at", "text"), ("due_at", "text"), ("assignee_id", "bigint"))
_EVENT_COLUMNS = (("id", "bigint"), ("at", "text"), ("type", "text"), ("item_id", "bigint"),
                  ("delivery_id", "bigint"), ("sender_unit_id", "bigint"), ("unit_id", "bigint"),
                  ("actor_id", "bigint"), ("data", "text"))

@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    item_id: int
    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    type: str
    item_id: int
    delivery_id: int | None
    sender_unit_id: int
    unit_id: int | None
    actor_id: int | None
    data: dict[str, Any]


def _event(r: sqlite3.Row) -> Event:
    return Event(r["id"], parse_utc(r["at"]), r["type"], r["item_id"], r["delivery_id"],
                 r["sender_unit_id"], r["unit_id"], r["actor_id"], json.loads(r["data"]))


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    created_at: datetime
    channel: str
    event_id: int
    delivery_id: int | None
    user_id: int | None
    phone: str
    body: str
    state: str
    provider_id: str | None
    error: str


def _outbox(r: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(r["id"], parse_utc(r["created_at"]), r["channel"], r["event_id"], r["delivery_id"],
                         r["user_id"], r["phone"], r["body"], r["state"], r["provider_id"], r["error"])



class ItemQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, d: ItemDraft, sender_unit_id: int, sender_user_id: int, issued_at: datetime,
                  due_at: datetime, working_time: bool, ladder: list[dict[str, str]], short_code: str) -> int:
        cur = await self.conn.execute(
            "INSERT INTO items (kind, urgency, title, body, doc_number, doc_kind, issuing_office, doc_date,"
            " meeting_at, meeting_place, sender_unit_id, sender_user_id, issued_at, due_at, working_time,"
            " ladder, short_code, signer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.kind.value, d.urgency.value, d.title.strip(), d.body, d.doc_number.strip(), d.doc_kind,
             d.issuing_office.strip(), d.doc_date, utc_iso(d.meeting_at) if d.meeting_at else None,
             d.meeting_place.strip(), sender_unit_id, sender_user_id, utc_iso(issued_at), utc_iso(due_at),
             int(working_time), json.dumps(ladder), short_code, d.signer))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def get(self, item_id: int) -> Item | None:
        async with self.conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)) as cur:
            row = await cur.fetchone()
        return _item(row) if row else None

    async def many(self, ids: list[int]) -> dict[int, Item]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self.conn.execute(f"SELECT * FROM items WHERE id IN ({marks})", ids) as cur:
            return {r["id"]: _item(r) for r in await cur.fetchall()}

    async def mark_withdrawn(self, item_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE items SET withdrawn_at = coalesce(withdrawn_at, ?) WHERE id = ?",
                                (utc_iso(at), item_id))

    async def open_short_codes(self) -> set[str]:
        async with self.conn.execute(
                "SELECT DISTINCT i.short_code FROM items i JOIN deliveries d ON d.item_id = i.id"
                " WHERE d.state IN ('pending', 'read')") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def add_attachment(self, item_id: int, a: Attachment) -> None:
        await self.conn.execute(
            "INSERT INTO attachments (item_id, name, content_type, size, sha256, content)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, a.name, a.content_type, len(a.content), hashlib.sha256(a.content).hexdigest(),
             a.content))

    async def attachments(self, item_id: int) -> list[AttachmentInfo]:
        async with self.conn.execute(
                "SELECT id, item_id, name, content_type, size, sha256 FROM attachments WHERE item_id = ?"
                " AND delivery_id IS NULL ORDER BY id", (item_id,)) as cur:   # a re-send's: store/resend.py
            return [AttachmentInfo(*r) for r in await cur.fetchall()]

    async def attachment_files(self, item_id: int) -> list[Attachment]:
        """The item's files with their content (re-indexing them for search)."""
        async with self.conn.execute("SELECT name, content_type, content FROM attachments WHERE item_id = ? ORDER BY id",
                                     (item_id,)) as cur:
            return [Attachment(r["name"], bytes(r["content"]), r["content_type"]) for r in await cur.fetchall()]

    async def all_ids(self) -> list[int]:
        async with self.conn.execute("SELECT id FROM items ORDER BY id") as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def attachment_content(self, attachment_id: int) -> tuple[AttachmentInfo, bytes] | None:
        async with self.conn.execute(
                "SELECT id, item_id, name, content_type, size, sha256, content FROM attachments WHERE id = ?",
                (attachment_id,)) as cur:
            r = await cur.fetchone()
        return (AttachmentInfo(*r[:6]), bytes(r[6])) if r else None

    async def count(self) -> int:
        async with self.conn.execute("SELECT count(*) FROM items") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


class DeliveryQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, item_id: int, unit_id: int, role: RecipientRole, sent_at: datetime,
                  due_at: datetime, assignee_id: int | None) -> int:
        cur = await self.conn.execute(
            "INSERT INTO deliveries (item_id, unit_id, role, state, sent_at, due_at, assignee_id)"
            " VALUES (?, ?, ?, 'pending', ?, ?, ?)",
            (item_id, unit_id, role.value, utc_iso(sent_at), utc_iso(due_at), assignee_id))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def add_many(self, item_id: int, rows: list[tuple[int, RecipientRole, int | None]], sent_at: datetime,
                       due_at: datetime) -> list[int]:
        """(unit, role, assignee) per recipient, in one statement; the ids, in order.

        Ids are given here, after the largest one: the caller holds the one writer, so no
        other insert can come between."""
        if is_pg(self.conn):
            first = await reserve_ids(self.conn, "deliveries", len(rows))
        else:
            async with self.conn.execute("SELECT coalesce(max(id), 0) FROM deliveries") as cur:
                row = await cur.fetchone()
            first = int(row[0]) + 1 if row else 1
        ids = list(range(first, first + len(rows)))
        sent, due = utc_iso(sent_at), utc_iso(due_at)
        await insert_rows(self.conn, "deliveries", _DELIVERY_COLUMNS,
                          [(i, item_id, unit, role.value, "pending", sent, due, assignee)
                           for i, (unit, role, assignee) in zip(ids, rows)])
        return ids

    async def get(self, delivery_id: int) -> Delivery | None:
        async with self.conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def many(self, ids: list[int]) -> dict[int, Delivery]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self.conn.execute(f"SELECT * FROM deliveries WHERE id IN ({marks})", ids) as cur:
            return {r["id"]: _delivery(r) for r in await cur.fetchall()}

    async def for_item(self, item_id: int) -> list[Delivery]:
        async with self.conn.execute("SELECT * FROM deliveries WHERE item_id = ? ORDER BY id", (item_id,)) as cur:
            return [_delivery(r) for r in await cur.fetchall()]

    async def of_item_for_unit(self, item_id: int, unit_id: int) -> Delivery | None:
        async with self.conn.execute("SELECT * FROM deliveries WHERE item_id = ? AND unit_id = ?",
                                     (item_id, unit_id)) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def latest_open_for_units(self, unit_ids: list[int]) -> list[Delivery]:
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        async with self.conn.execute(
                f"SELECT * FROM deliveries WHERE unit_id IN ({marks}) AND state IN ('pending', 'read')"
                " ORDER BY sent_at DESC, id DESC", unit_ids) as cur:
            return [_delivery(r) for r in await cur.fetchall()]

    async def escalated_open(self) -> list[Delivery]:
        async with self.conn.execute(
                "SELECT * FROM deliveries WHERE escalated_at IS NOT NULL AND state IN ('pending', 'read')"
                " ORDER BY escalated_at") as cur:
            return [_delivery(r) for r in await cur.fetchall()]

    async def past_a_step_open(self) -> list[Delivery]:
        """Open deliveries on which at least one ladder step has run: the duty desk's board."""
        async with self.conn.execute(
                "SELECT * FROM deliveries WHERE level > 0 AND state IN ('pending', 'read')"
                " ORDER BY escalated_at IS NULL, due_at, id") as cur:
            return [_delivery(r) for r in await cur.fetchall()]

    async def mark_read(self, delivery_id: int, user_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE deliveries SET state = 'read', read_at = ?, read_by = ? WHERE id = ? AND state = 'pending'",
            (utc_iso(at), user_id, delivery_id))

    async def mark_acked(self, delivery_id: int, user_id: int, at: datetime, via: AckVia, note: str,
                         receipt_no: str) -> Delivery | None:
        """Signed for: the delivery as it is now, or None if it was not pending or read."""
        async with self.conn.execute(
                "UPDATE deliveries SET state = 'acked', acked_at = ?, acked_by = ?, ack_via = ?, ack_note = ?,"
                " receipt_no = ?, read_at = coalesce(read_at, ?), read_by = coalesce(read_by, ?)"
                " WHERE id = ? AND state IN ('pending', 'read') RETURNING *",
                (utc_iso(at), user_id, via.value, note, receipt_no, utc_iso(at), user_id, delivery_id)) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def mark_returned(self, delivery_id: int, at: datetime, reason: str) -> bool:
        cur = await self.conn.execute(
            "UPDATE deliveries SET state = 'returned', returned_at = ?, return_reason = ?"
            " WHERE id = ? AND state IN ('pending', 'read')", (utc_iso(at), reason, delivery_id))
        return cur.rowcount == 1

    async def mark_withdrawn(self, delivery_id: int) -> None:
        await self.conn.execute(
            "UPDATE deliveries SET state = 'withdrawn' WHERE id = ? AND state IN ('pending', 'read')", (delivery_id,))

    async def set_level(self, delivery_id: int, level: int) -> None:
        await self.conn.execute("UPDATE deliveries SET level = CASE WHEN level > ? THEN level ELSE ? END WHERE id = ?",
                                (level, level, delivery_id))

    async def mark_escalated(self, delivery_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE deliveries SET escalated_at = coalesce(escalated_at, ?) WHERE id = ?",
            (utc_iso(at), delivery_id))

    async def set_assignee(self, delivery_id: int, user_id: int) -> None:
        await self.conn.execute("UPDATE deliveries SET assignee_id = ? WHERE id = ?", (user_id, delivery_id))

    async def add_attendee(self, delivery_id: int, name: str, phone: str) -> None:
        await self.conn.execute("INSERT INTO attendance (delivery_id, name, phone) VALUES (?, ?, ?)",
                                (delivery_id, name, phone))

    async def attendees(self, item_id: int) -> list[tuple[int, str, str]]:
        """(delivery id, name, phone) of everyone named to attend, in the order signed for."""
        async with self.conn.execute(
                "SELECT a.delivery_id, a.name, a.phone FROM attendance a JOIN deliveries d ON d.id = a.delivery_id"
                " WHERE d.item_id = ? ORDER BY a.id", (item_id,)) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def for_stats(self, since: datetime, until: datetime
                        ) -> list[tuple[int, str, str, str | None, str, int]]:
        """(unit id, sent_at, due_at, acked_at, state, manual chases) of deliveries sent in the period."""
        async with self.conn.execute(
                "SELECT unit_id, sent_at, due_at, acked_at, state, chases FROM deliveries"
                " WHERE sent_at >= ? AND sent_at < ?", (utc_iso(since), utc_iso(until))) as cur:
            return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in await cur.fetchall()]

    async def ack_time_histogram(self, buckets: tuple[int, ...]) -> tuple[int, float, list[int]]:
        """(signed-for count, total seconds, cumulative count at or under each bucket bound)."""
        cases = ", ".join(f"sum(CASE WHEN s <= {int(b)} THEN 1 ELSE 0 END)" for b in buckets)
        async with self.conn.execute(
                f"SELECT count(*), coalesce(sum(s), 0), {cases} FROM ("
                f" SELECT {seconds_between(self.conn, 'sent_at', 'acked_at')} AS s"
                " FROM deliveries WHERE acked_at IS NOT NULL) AS signed") as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0]), float(row[1]), [int(v or 0) for v in row[2:]]


class EventQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, at: datetime, type_: str, item_id: int, sender_unit_id: int,
                  delivery_id: int | None = None, unit_id: int | None = None, actor_id: int | None = None,
                  **data: Any) -> int:
        cur = await self.conn.execute(
            "INSERT INTO events (at, type, item_id, delivery_id, sender_unit_id, unit_id, actor_id, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (utc_iso(at), type_, item_id, delivery_id, sender_unit_id, unit_id, actor_id,
             json.dumps(data, ensure_ascii=False, sort_keys=True)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def add_several(self, at: datetime, item_id: int, sender_unit_id: int, delivery_id: int, unit_id: int,
                          actor_id: int | None, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Events of several kinds about one delivery at one moment ((type, data) each), in order, in
        one statement (a sign-for's item.acked and receipt)."""
        stamp = utc_iso(at)
        await self.conn.execute(
            "INSERT INTO events (at, type, item_id, delivery_id, sender_unit_id, unit_id, actor_id, data) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(events)),
            [v for type_, data in events for v in (stamp, type_, item_id, delivery_id, sender_unit_id, unit_id,
                                                   actor_id, json.dumps(data, ensure_ascii=False, sort_keys=True))])

    async def add_many(self, at: datetime, type_: str, item_id: int, sender_unit_id: int,
                       rows: list[tuple[int, int, dict[str, Any]]], actor_id: int | None) -> list[int]:
        """(delivery, unit, data) per event of one kind, in one statement; the ids, in order (one writer)."""
        if is_pg(self.conn):
            first = await reserve_ids(self.conn, "events", len(rows))
        else:
            async with self.conn.execute("SELECT coalesce(max(id), 0) FROM events") as cur:
                row = await cur.fetchone()
            async with self.conn.execute("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'events'") as cur:
                seq = await cur.fetchone()
            first = max(int(row[0]) if row else 0, int(seq[0]) if seq else 0) + 1   # AUTOINCREMENT: never reuse
        ids = list(range(first, first + len(rows)))
        stamp = utc_iso(at)
        encoded: dict[int, str] = {}       # rows that share one data dict (a fan-out's) encode it once

        def dump(data: dict[str, Any]) -> str:
            text = encoded.get(id(data))
            if text is None:
                text = encoded[id(data)] = json.dumps(data, ensure_ascii=False, sort_keys=True)
            return text

        await insert_rows(self.conn, "events", _EVENT_COLUMNS,
                          [(i, stamp, type_, item_id, d, sender_unit_id, u, actor_id, dump(data))
                           for i, (d, u, data) in zip(ids, rows)])
        return ids

    async def for_delivery(self, delivery_id: int) -> list[Event]:
        async with self.conn.execute("SELECT * FROM events WHERE delivery_id = ? ORDER BY id",
                                     (delivery_id,)) as cur:
            return [_event(r) for r in await cur.fetchall()]

    async def for_item(self, item_id: int) -> list[Event]:
        async with self.conn.execute("SELECT * FROM events WHERE item_id = ? ORDER BY id", (item_id,)) as cur:
            return [_event(r) for r in await cur.fetchall()]

    async def feed_after(self, after_id: int, unit_id: int | None, limit: int) -> list[sqlite3.Row]:
        """Events after an id - those concerning a unit as sender or recipient, or all if None - each
        with its delivery's current columns, as stored: the realtime feed encodes them straight into
        frames (hub/notify/frames.py), with no objects in between. Columns: id, type, at, data,
        item_id, sender_unit_id, unit_id, and d_id, d_unit_id, d_state, d_due_at, d_receipt_no,
        d_level, d_escalated_at (NULL without a delivery)."""
        where, args = "e.id > ?", [after_id]
        if unit_id is not None:
            where += " AND (e.sender_unit_id = ? OR e.unit_id = ?)"
            args += [unit_id, unit_id]
        async with self.conn.execute(
                "SELECT e.id, e.type, e.at, e.data, e.item_id, e.sender_unit_id, e.unit_id, d.id AS d_id,"
                " d.unit_id AS d_unit_id, d.state AS d_state, d.due_at AS d_due_at, d.receipt_no AS d_receipt_no,"
                " d.level AS d_level, d.escalated_at AS d_escalated_at"
                f" FROM events e LEFT JOIN deliveries d ON d.id = e.delivery_id WHERE {where} ORDER BY e.id LIMIT ?",
                (*args, limit)) as cur:
            return await cur.fetchall()

    async def last_id(self) -> int:
        async with self.conn.execute("SELECT coalesce(max(id), 0) FROM events") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def first_id_since(self, since: datetime) -> int | None:
        """The first event at or after a time: where replay by id may start."""
        async with self.conn.execute("SELECT min(id) FROM events WHERE at >= ?", (utc_iso(since),)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row and row[0] is not None else None

    async def counts_by_type(self) -> dict[str, int]:
        async with self.conn.execute("SELECT type, count(*) FROM events GROUP BY type") as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}


class OutboxQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add_sms(self, at: datetime, event_id: int, delivery_id: int | None, user_id: int | None,
                      phone: str, body: str) -> None:
        await self.conn.execute(
            "INSERT INTO outbox (created_at, channel, event_id, delivery_id, user_id, phone, body)"
            " VALUES (?, 'sms', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", (utc_iso(at), event_id, delivery_id, user_id, phone, body))

    async def add_road_sms(self, at: datetime, history_id: int, user_id: int | None, phone: str, body: str) -> bool:
        """An SMS caused by a road move (a deadline reminder, a chase): keyed by its history row, once
        per person. False when that person was already texted for it."""
        cur = await self.conn.execute(
            "INSERT INTO outbox (created_at, channel, history_id, user_id, phone, body)"
            " VALUES (?, 'sms', ?, ?, ?, ?) ON CONFLICT DO NOTHING", (utc_iso(at), history_id, user_id, phone, body))
        return cur.rowcount == 1

    async def add_sms_to_units_people(self, at: datetime, first_event_id: int, last_event_id: int, role: str,
                                      body: str) -> int:
        """One SMS per event in an id range to each active person with `role` and a phone in the
        event's unit, all in one statement (an item to thousands of units binds no row in Python);
        how many rows were added."""
        cur = await self.conn.execute(
            "INSERT INTO outbox (created_at, channel, event_id, delivery_id, user_id, phone, body)"
            " SELECT ?, 'sms', e.id, e.delivery_id, u.id, u.phone, ? FROM events e"
            " JOIN users u ON u.unit_id = e.unit_id JOIN user_roles ur ON ur.user_id = u.id AND ur.role = ?"
            " WHERE e.id BETWEEN ? AND ? AND u.disabled_at IS NULL AND coalesce(u.phone, '') != ''"
            " ORDER BY e.id, u.id ON CONFLICT DO NOTHING", (utc_iso(at), body, role, first_event_id, last_event_id))
        return cur.rowcount

    async def for_delivery(self, delivery_id: int) -> list[OutboxMessage]:
        async with self.conn.execute("SELECT * FROM outbox WHERE delivery_id = ? ORDER BY id",
                                     (delivery_id,)) as cur:
            return [_outbox(r) for r in await cur.fetchall()]

    async def queued(self, limit: int = 100) -> list[OutboxMessage]:
        async with self.conn.execute("SELECT * FROM outbox WHERE state = 'queued' ORDER BY id LIMIT ?",
                                     (limit,)) as cur:
            return [_outbox(r) for r in await cur.fetchall()]
