"""Recipient groups of the issue form, as JSON: the built-in ones and one's own saved groups.
(The issue form itself handles them without script: see `pick_recipients` in routes/items.py.)"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.domain.permissions import Action
from hub.domain.recipient_groups import MAX_NAME, GroupChoice, RecipientGroup
from hub.errors import XietongError
from webapp.context import actor_of, hub_of, is_id, json_body, json_response, path_id
from webapp.routing import api
from webapp.schemas import ID

_IDS = {"type": "array", "items": ID}
GROUP = {"type": "object", "required": ["key", "name", "unit_ids"],
         "properties": {"key": {"type": "string", "description": "townships | departments | saved-<id>"},
                        "id": {"type": ["integer", "null"], "description": "a saved group's id; null: built in"},
                        "name": {"type": "string", "description": "a saved group's name; empty: built in"},
                        "unit_ids": _IDS}}
SAVE_BODY = {"type": "object", "required": ["name", "unit_ids"],
             "properties": {"name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME, "pattern": r"\S"},
                            "unit_ids": {**_IDS, "minItems": 1}}}


def choice_json(c: GroupChoice) -> dict[str, Any]:
    return {"key": c.key, "id": c.saved_id, "name": c.name, "unit_ids": list(c.unit_ids)}


def group_json(g: RecipientGroup) -> dict[str, Any]:
    return {"key": f"saved-{g.id}", "id": g.id, "name": g.name, "unit_ids": list(g.unit_ids)}


@api("GET", "/api/recipient-groups", action=Action.ISSUE_ITEM,
     summary="The issue form's recipient groups: all townships, all departments (from the unit tree), "
             "and your own saved groups",
     response={"type": "object", "required": ["builtin", "saved"],
               "properties": {"builtin": {"type": "array", "items": GROUP},
                              "saved": {"type": "array", "items": GROUP}}})
async def list_groups(request: web.Request) -> web.Response:
    choices = await hub_of(request).recipient_groups.choices(actor_of(request))
    return json_response({"builtin": [choice_json(c) for c in choices.builtin],
                          "saved": [choice_json(c) for c in choices.saved]})


@api("POST", "/api/recipient-groups", action=Action.ISSUE_ITEM,
     summary="Save a recipient group of your own (a name and its units)", body=SAVE_BODY,
     response={"type": "object", "required": ["group"], "properties": {"group": GROUP}})
async def save_group(request: web.Request) -> web.Response:
    body = await json_body(request)
    ids = body.get("unit_ids")
    if not isinstance(ids, list) or not all(is_id(v) for v in ids):
        raise XietongError("input.invalid", field="unit_ids")
    group = await hub_of(request).recipient_groups.save(actor_of(request), str(body.get("name", "")), ids)
    return json_response({"group": group_json(group)})


@api("POST", "/api/recipient-groups/{group_id}/delete", action=Action.ISSUE_ITEM,
     summary="Delete one of your saved recipient groups",
     response={"type": "object", "required": ["deleted"], "properties": {"deleted": GROUP}})
async def delete_group(request: web.Request) -> web.Response:
    group = await hub_of(request).recipient_groups.delete(actor_of(request), path_id(request, "group_id"))
    return json_response({"deleted": group_json(group)})
