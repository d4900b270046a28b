"""JSON shapes of the API, shared by handlers and the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

from hub.domain.identity import Unit, User
from hub.store.audit import AuditRow

USER = {
    "type": "object", "required": ["id", "login", "name", "unit_id", "roles", "phone", "disabled"],
    "properties": {"id": {"type": "integer"}, "login": {"type": "string"}, "name": {"type": "string"},
                   "unit_id": {"type": "integer"}, "roles": {"type": "array", "items": {"type": "string"}},
                   "phone": {"type": "string"}, "disabled": {"type": "boolean"},
                   "allowed_ips": {"type": "array", "items": {"type": "string"}}},
}

UNIT = {
    "type": "object", "required": ["id", "code", "name", "kind", "parent_id"],
    "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
                   "kind": {"type": "string"}, "parent_id": {"type": ["integer", "null"]},
                   "duty_phone": {"type": "string"}},
}

AUDIT_ROW = {
    "type": "object", "required": ["id", "at", "actor", "ip", "action", "target", "detail", "hash"],
    "properties": {"id": {"type": "integer"}, "at": {"type": "string"}, "actor": {"type": "string"},
                   "ip": {"type": "string"}, "action": {"type": "string"}, "target": {"type": "string"},
                   "detail": {"type": "object"}, "hash": {"type": "string"}},
}


def user_json(u: User) -> dict[str, Any]:
    return {"id": u.id, "login": u.login, "name": u.name, "unit_id": u.unit_id,
            "roles": sorted(r.value for r in u.roles), "phone": u.phone, "disabled": u.disabled,
            "allowed_ips": list(u.allowed_ips)}


def unit_json(u: Unit) -> dict[str, Any]:
    return {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind.value,
            "parent_id": u.parent_id, "duty_phone": u.duty_phone}


def audit_json(r: AuditRow) -> dict[str, Any]:
    return {"id": r.id, "at": r.at, "actor": r.actor_login, "ip": r.ip, "action": r.action,
            "target": r.target, "detail": json.loads(r.detail), "hash": r.hash}


DELIVERY = {
    "type": "object",
    "required": ["id", "item_id", "unit_id", "role", "state", "sent_at", "due_at", "receipt_no", "level"],
    "properties": {"id": {"type": "integer"}, "item_id": {"type": "integer"}, "unit_id": {"type": "integer"},
                   "role": {"enum": ["main", "copy"]},
                   "state": {"enum": ["pending", "read", "acked", "returned", "withdrawn"]},
                   "sent_at": {"type": "string"}, "due_at": {"type": "string"},
                   "read_at": {"type": ["string", "null"]}, "acked_at": {"type": ["string", "null"]},
                   "ack_via": {"type": ["string", "null"]}, "receipt_no": {"type": ["string", "null"]},
                   "return_reason": {"type": "string"}, "level": {"type": "integer"},
                   "escalated_at": {"type": ["string", "null"]}},
}

ITEM = {
    "type": "object",
    "required": ["id", "kind", "urgency", "title", "body", "sender_unit_id", "issued_at", "due_at", "short_code"],
    "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "urgency": {"type": "string"},
                   "title": {"type": "string"}, "body": {"type": "string"}, "doc_number": {"type": "string"},
                   "doc_kind": {"type": "string"}, "issuing_office": {"type": "string"},
                   "doc_date": {"type": "string"}, "meeting_at": {"type": ["string", "null"]},
                   "meeting_place": {"type": "string"}, "sender_unit_id": {"type": "integer"},
                   "issued_at": {"type": "string"}, "due_at": {"type": "string"}, "short_code": {"type": "string"}},
}


def _iso(t: Any) -> Any:
    return t.isoformat() if t is not None else None


def delivery_json(d: Any) -> dict[str, Any]:
    return {"id": d.id, "item_id": d.item_id, "unit_id": d.unit_id, "role": d.role.value, "state": d.state.value,
            "sent_at": _iso(d.sent_at), "due_at": _iso(d.due_at), "read_at": _iso(d.read_at),
            "acked_at": _iso(d.acked_at), "ack_via": d.ack_via.value if d.ack_via else None,
            "receipt_no": d.receipt_no, "return_reason": d.return_reason, "level": d.level,
            "escalated_at": _iso(d.escalated_at)}


def item_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "kind": i.kind.value, "urgency": i.urgency.value, "title": i.title, "body": i.body,
            "doc_number": i.doc_number, "doc_kind": i.doc_kind, "issuing_office": i.issuing_office,
            "doc_date": i.doc_date, "meeting_at": _iso(i.meeting_at), "meeting_place": i.meeting_place,
            "sender_unit_id": i.sender_unit_id, "issued_at": _iso(i.issued_at), "due_at": _iso(i.due_at),
            "short_code": i.short_code}
