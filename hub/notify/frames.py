"""Realtime protocol v1: how an event becomes a JSON frame (see docs/realtime-protocol.md)."""

from __future__ import annotations

import json
import struct
from typing import Any

from hub.domain.items import Delivery, Item
from hub.store.items import Event

PROTOCOL_VERSION = 1


_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _iso(t: Any) -> Any:
    return t.isoformat() if t is not None else None


def event_frames(events: list[Event], items: dict[int, Item],
                 deliveries: dict[int, Delivery]) -> list[tuple[int, str]]:
    """The one encoding of each event, shared by every connection that may see it: (id, JSON text).

    Each item's part is encoded once per call (a fan-out is one item and many deliveries).
    """
    item_parts = {item_id: _item_json(item) for item_id, item in items.items()}
    return [(e.id, _event_frame(e, item_parts.get(e.item_id), deliveries.get(e.delivery_id or 0)))
            for e in events]


def _event_frame(e: Event, item_part: str | None, delivery: Delivery | None) -> str:
    # the same text as one json encoding of {v, id, type, at, data, board, item?, delivery?}
    head = _to_json({"v": PROTOCOL_VERSION, "id": e.id, "type": e.type, "at": _iso(e.at), "data": e.data,
                     "board": bool(delivery is not None and delivery.level > 0)})
    parts = [head[:-1]]
    if item_part is not None:
        parts += (',"item":', item_part)
    if delivery is not None:
        parts += (',"delivery":', _to_json({
            "id": delivery.id, "unit_id": delivery.unit_id, "state": delivery.state.value,
            "due_at": _iso(delivery.due_at), "receipt_no": delivery.receipt_no, "level": delivery.level,
            "escalated_at": _iso(delivery.escalated_at)}))
    parts.append("}")
    return "".join(parts)


def _item_json(item: Item) -> str:
    return _to_json({"id": item.id, "kind": item.kind.value, "urgency": item.urgency.value, "title": item.title,
                     "short_code": item.short_code, "sender_unit_id": item.sender_unit_id,
                     "issued_at": _iso(item.issued_at), "due_at": _iso(item.due_at),
                     "meeting_at": _iso(item.meeting_at)})


def control_frame(type_: str, **fields: Any) -> str:
    return json.dumps({"v": PROTOCOL_VERSION, "type": type_, **fields}, ensure_ascii=False,
                      separators=(",", ":"))


def websocket_text_frame(text: str) -> bytes:
    """`text` as one whole, unmasked, uncompressed websocket text frame (RFC 6455 5.2), as a server sends it.

    Built once per event and written as is to every connection that can take it at once.
    """
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload
