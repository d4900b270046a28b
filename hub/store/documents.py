"""SQL for outgoing documents, their attachments, history and numbering."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.domain.documents import DocState
from hub.domain.items import Attachment
from hub.store.connection import Connection


@dataclass(frozen=True)
class Document:
    id: int
    unit_id: int
    drafter_id: int
    state: DocState
    title: str
    body: str
    doc_kind: str
    urgency: str
    issuing_office: str
    main_units: tuple[int, ...]
    copy_units: tuple[int, ...]
    signed_digest: str | None
    signed_by: int | None
    signer_name: str
    signed_at: datetime | None
    doc_number: str | None
    item_id: int | None
    created_at: datetime
    updated_at: datetime


def _doc(r: sqlite3.Row) -> Document:
    return Document(r["id"], r["unit_id"], r["drafter_id"], DocState(r["state"]), r["title"], r["body"],
                    r["doc_kind"], r["urgency"], r["issuing_office"], tuple(json.loads(r["main_units"])),
                    tuple(json.loads(r["copy_units"])), r["signed_digest"], r["signed_by"], r["signer_name"],
                    parse_utc(r["signed_at"]) if r["signed_at"] else None, r["doc_number"], r["item_id"],
                    parse_utc(r["created_at"]), parse_utc(r["updated_at"]))


@dataclass(frozen=True)
class DocAttachment:
    id: int
    document_id: int
    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor_name: str
    op: str
    from_state: str
    to_state: str
    comment: str


@dataclass(frozen=True)
class DocFields:
    title: str
    body: str
    doc_kind: str
    urgency: str
    issuing_office: str
    main_units: tuple[int, ...]
    copy_units: tuple[int, ...]


class DocumentQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, unit_id: int, drafter_id: int, f: DocFields, at: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO documents (unit_id, drafter_id, state, title, body, doc_kind, urgency, issuing_office,"
            " main_units, copy_units, created_at, updated_at) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (unit_id, drafter_id, f.title, f.body, f.doc_kind, f.urgency, f.issuing_office,
             json.dumps(list(f.main_units)), json.dumps(list(f.copy_units)), utc_iso(at), utc_iso(at)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def update_content(self, doc_id: int, f: DocFields, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE documents SET title = ?, body = ?, doc_kind = ?, urgency = ?, issuing_office = ?,"
            " main_units = ?, copy_units = ?, updated_at = ? WHERE id = ?",
            (f.title, f.body, f.doc_kind, f.urgency, f.issuing_office, json.dumps(list(f.main_units)),
             json.dumps(list(f.copy_units)), utc_iso(at), doc_id))

    async def get(self, doc_id: int) -> Document | None:
        async with self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)) as cur:
            r = await cur.fetchone()
        return _doc(r) if r else None

    async def by_item(self, item_id: int) -> Document | None:
        async with self.conn.execute("SELECT * FROM documents WHERE item_id = ?", (item_id,)) as cur:
            r = await cur.fetchone()
        return _doc(r) if r else None

    async def for_unit(self, unit_id: int, limit: int = 100) -> list[Document]:
        async with self.conn.execute("SELECT * FROM documents WHERE unit_id = ? ORDER BY id DESC LIMIT ?",
                                     (unit_id, limit)) as cur:
            return [_doc(r) for r in await cur.fetchall()]

    async def in_state(self, unit_id: int, state: DocState) -> list[Document]:
        async with self.conn.execute(
                "SELECT * FROM documents WHERE unit_id = ? AND state = ? ORDER BY CASE urgency"
                " WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, id", (unit_id, state.value)) as cur:
            return [_doc(r) for r in await cur.fetchall()]

    async def set_state(self, doc_id: int, state: DocState, at: datetime) -> None:
        await self.conn.execute("UPDATE documents SET state = ?, updated_at = ? WHERE id = ?",
                                (state.value, utc_iso(at), doc_id))

    async def sign(self, doc_id: int, digest: str, leader_id: int, leader_name: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE documents SET state = 'signed', signed_digest = ?, signed_by = ?, signer_name = ?,"
            " signed_at = ?, updated_at = ? WHERE id = ?",
            (digest, leader_id, leader_name, utc_iso(at), utc_iso(at), doc_id))

    async def next_number(self, doc_code: str, year: int) -> int:
        """The next sequence number for a 机关代字 and year (inside the one writer: no gaps, no reuse)."""
        await self.conn.execute(
            "INSERT INTO document_numbers (doc_code, year, last) VALUES (?, ?, 1)"
            " ON CONFLICT (doc_code, year) DO UPDATE SET last = document_numbers.last + 1", (doc_code, year))
        async with self.conn.execute("SELECT last FROM document_numbers WHERE doc_code = ? AND year = ?",
                                     (doc_code, year)) as cur:
            r = await cur.fetchone()
        assert r is not None
        return int(r[0])

    async def register(self, doc_id: int, doc_code: str, year: int, seq: int, number: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE documents SET state = 'registered', doc_code = ?, doc_year = ?, doc_seq = ?, doc_number = ?,"
            " updated_at = ? WHERE id = ?", (doc_code, year, seq, number, utc_iso(at), doc_id))

    async def seal(self, doc_id: int, keeper_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE documents SET state = 'sealed', sealed_by = ?, sealed_at = ?, updated_at = ? WHERE id = ?",
            (keeper_id, utc_iso(at), utc_iso(at), doc_id))

    async def dispatched(self, doc_id: int, item_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE documents SET state = 'dispatched', item_id = ?, updated_at = ? WHERE id = ?",
            (item_id, utc_iso(at), doc_id))

    async def add_attachment(self, doc_id: int, a: Attachment) -> None:
        await self.conn.execute(
            "INSERT INTO document_attachments (document_id, name, content_type, size, sha256, content)"
            " VALUES (?, ?, ?, ?, ?, ?)", (doc_id, a.name, a.content_type, len(a.content),
                                           hashlib.sha256(a.content).hexdigest(), a.content))

    async def attachments(self, doc_id: int) -> list[DocAttachment]:
        async with self.conn.execute(
                "SELECT id, document_id, name, content_type, size, sha256 FROM document_attachments"
                " WHERE document_id = ? ORDER BY id", (doc_id,)) as cur:
            return [DocAttachment(*r) for r in await cur.fetchall()]

    async def attachment_content(self, attachment_id: int) -> tuple[DocAttachment, bytes] | None:
        async with self.conn.execute(
                "SELECT id, document_id, name, content_type, size, sha256, content FROM document_attachments"
                " WHERE id = ?", (attachment_id,)) as cur:
            r = await cur.fetchone()
        return (DocAttachment(*r[:6]), bytes(r[6])) if r else None

    async def attachment_files(self, doc_id: int) -> list[Attachment]:
        async with self.conn.execute(
                "SELECT name, content, content_type FROM document_attachments WHERE document_id = ? ORDER BY id",
                (doc_id,)) as cur:
            return [Attachment(r[0], bytes(r[1]), r[2]) for r in await cur.fetchall()]

    async def add_history(self, doc_id: int, at: datetime, actor_id: int | None, actor_name: str, op: str,
                          from_state: str, to_state: str, comment: str) -> None:
        await self.conn.execute(
            "INSERT INTO document_history (document_id, at, actor_id, actor_name, op, from_state, to_state,"
            " comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, utc_iso(at), actor_id, actor_name, op, from_state, to_state, comment))

    async def history(self, doc_id: int) -> list[HistoryEntry]:
        async with self.conn.execute(
                "SELECT at, actor_name, op, from_state, to_state, comment FROM document_history"
                " WHERE document_id = ? ORDER BY id", (doc_id,)) as cur:
            return [HistoryEntry(parse_utc(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in await cur.fetchall()]

    async def unit_doc_code(self, unit_id: int) -> str:
        async with self.conn.execute("SELECT doc_code FROM units WHERE id = ?", (unit_id,)) as cur:
            r = await cur.fetchone()
        return str(r[0]) if r else ""

    async def set_unit_doc_code(self, unit_id: int, doc_code: str) -> None:
        await self.conn.execute("UPDATE units SET doc_code = ? WHERE id = ?", (doc_code, unit_id))
