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
