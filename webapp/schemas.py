"""JSON shapes of the API, shared by handlers and the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

from hub.domain.identity import Role, Unit, User
from hub.domain.items import DOC_KINDS, ItemKind, Urgency
from hub.store.audit import AuditRow

# an id as the server checks it (webapp.context.is_id): a JSON integer 1 .. 2**63-1
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}

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
                   "escalated_at": {"type": ["string", "null"]},
                   "chases": {"type": "integer", "description": "manual reminders by the sender (催办)"},
                   "round": {"type": "integer",
                             "description": "1; 2, 3… once its sender corrected a returned delivery and sent it again"}},
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
            "escalated_at": _iso(d.escalated_at), "chases": d.chases, "round": d.round}


def item_json(i: Any) -> dict[str, Any]:
    return {"id": i.id, "kind": i.kind.value, "urgency": i.urgency.value, "title": i.title, "body": i.body,
            "doc_number": i.doc_number, "doc_kind": i.doc_kind, "issuing_office": i.issuing_office,
            "doc_date": i.doc_date, "meeting_at": _iso(i.meeting_at), "meeting_place": i.meeting_place,
            "sender_unit_id": i.sender_unit_id, "issued_at": _iso(i.issued_at), "due_at": _iso(i.due_at),
            "short_code": i.short_code}


# -- request bodies: the checks the server makes on the shape of its input --------------------
# "Valid per the schema" means the server takes the input; what depends on the data (a unit that
# exists, a login not yet taken, a meeting still ahead) is answered with a 4xx error of its own.

def _text(max_length: int, nonblank: bool = False, **more: Any) -> dict[str, Any]:
    """A text field; `nonblank`: at least one character that is not a space (the server strips)."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, **more}
    if nonblank:
        schema.update(minLength=1, pattern=r"\S")
    return schema


# documents carrying a classification mark are refused (the network carries non-classified only)
_UNCLASSIFIED = {"not": {"pattern": "绝密|机密|秘密"}}
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_RULE = rf"{_OCTET}(\.{_OCTET}){{3}}(/(3[0-2]|[12]?[0-9]))?"
_BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"

LOGIN_BODY = {"type": "object", "required": ["login", "password"],
              "properties": {"login": _text(200), "password": _text(1024)}}

NEW_USER_BODY = {
    "type": "object", "required": ["login", "name", "unit_id", "password", "roles"],
    "properties": {
        "login": {"type": "string", "pattern": r"^[A-Za-z0-9._-]{3,32}$"},
        "name": _text(40, nonblank=True),
        "unit_id": ID,
        "password": {"type": "string", "minLength": 8, "maxLength": 1024,
                     "description": "at least passwords.min_length characters (8 by default)"},
        "roles": {"type": "array", "minItems": 1, "items": {"enum": [r.value for r in Role]}},
        "phone": {"type": "string", "pattern": r"^((\+86|0086)?1[3-9][0-9]{9})?$",
                  "description": "a mainland mobile number; empty: none"},
        "allowed_ips": {"type": "string", "pattern": rf"^({_IPV4_RULE}([ ,]+{_IPV4_RULE})*)?$",
                        "description": "addresses or ranges an administrator may log in from "
                                       "(IPv6 too); empty: anywhere"},
    },
}

_ID_LIST = {"type": "array", "items": ID}
ISSUE_BODY = {
    "type": "object", "required": ["kind", "urgency", "title", "main_units"],
    "properties": {
        "kind": {"enum": [k.value for k in ItemKind]}, "urgency": {"enum": [u.value for u in Urgency]},
        "title": _text(200, nonblank=True, **_UNCLASSIFIED),
        "body": _text(100_000, **_UNCLASSIFIED),
        "main_units": {**_ID_LIST, "minItems": 1, "uniqueItems": True},
        "copy_units": {**_ID_LIST, "uniqueItems": True},
        "doc_number": {"type": "string", "pattern": r"^([\u4e00-\u9fffA-Za-z]{1,16}〔[0-9]{4}〕[1-9][0-9]{0,5}号)?$",
                       "description": "发文字号 like 示政办发〔2026〕56号; empty: none"},
        "doc_kind": {"enum": ["", *DOC_KINDS]},
        "issuing_office": _text(200, **_UNCLASSIFIED),
        "doc_date": _text(40),
        "meeting_at": {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"},
        "meeting_place": _text(200, **_UNCLASSIFIED),
        "attachments": {"type": "array", "items": {
            "type": "object", "required": ["name", "content_base64"],
            "properties": {"name": _text(120, nonblank=True, **_UNCLASSIFIED)
                           | {"pattern": r"^[^/\\]*[^/\\\s][^/\\]*$"},     # a file name, not a path
                           "content_base64": {"type": "string", "pattern": _BASE64,
                                              "contentEncoding": "base64"}}}},
    },
    # a meeting notice names when and where (and the meeting is still ahead)
    "if": {"required": ["kind"], "properties": {"kind": {"const": ItemKind.MEETING_NOTICE.value}}},
    "then": {"required": ["meeting_at", "meeting_place"],
             "properties": {"meeting_place": {"minLength": 1, "pattern": r"\S"}}},
}

ACK_BODY = {"type": "object", "properties": {"attendees": {"type": "array", "items": {
    "type": "object", "required": ["name"], "properties": {"name": _text(40), "phone": _text(40)}}}}}

REASON_BODY = {"type": "object", "required": ["reason"], "properties": {"reason": _text(500, nonblank=True)}}
