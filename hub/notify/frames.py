"""Realtime protocol v1: how an event becomes a JSON frame (see docs/realtime-protocol.md)."""

from __future__ import annotations

import json
import struct
from datetime import datetime
from typing import Any

from hub.domain.items import Delivery, Item
from hub.store.items import Event

PROTOCOL_VERSION = 1


_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_str = json.encoder.encode_basestring    # a JSON string, as _to_json writes it


def _iso(t: Any) -> Any:
    return t.isoformat() if t is not None else None


def event_frames(events: list[Event], items: dict[int, Item],
                 deliveries: dict[int, Delivery]) -> list[tuple[int, str]]:
    """The one encoding of each event, shared by every connection that may see it: (id, JSON text).

    The text is that of one compact JSON object {v, id, type, at, data, board, item?, delivery?};
    it is joined from parts, each item's part encoded once per call (a fan-out is one item and many
    deliveries), each distinct time formatted once.
    """
    item_parts = {item_id: _item_json(item) for item_id, item in items.items()}
    times: dict[datetime, str] = {}

    def iso(t: datetime | None) -> str:
        if t is None:
            return "null"
        text = times.get(t)
        if text is None:
            text = times[t] = _str(t.isoformat())
        return text

    out = []
    for e in events:
        d = deliveries.get(e.delivery_id or 0)
        parts = [f'{{"v":{PROTOCOL_VERSION},"id":{e.id},"type":{_str(e.type)},"at":{iso(e.at)},'
                 f'"data":{_to_json(e.data)},"board":{"true" if d is not None and d.level > 0 else "false"}']
        item_part = item_parts.get(e.item_id)
        if item_part is not None:
            parts += (',"item":', item_part)
        if d is not None:
            parts.append(f',"delivery":{{"id":{d.id},"unit_id":{d.unit_id},"state":{_str(d.state.value)},'
                         f'"due_at":{iso(d.due_at)},"receipt_no":{_to_json(d.receipt_no)},"level":{d.level},'
                         f'"escalated_at":{iso(d.escalated_at)}}}')
        parts.append("}")
        out.append((e.id, "".join(parts)))
    return out


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
