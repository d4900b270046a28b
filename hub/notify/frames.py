"""Realtime protocol v1: how an event becomes a JSON frame (see docs/realtime-protocol.md)."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any, Protocol

from hub.clock import parse_utc
from hub.domain.items import Item

PROTOCOL_VERSION = 1


_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_str = json.encoder.encode_basestring    # a JSON string, as _to_json writes it


def _iso(t: Any) -> Any:
    return t.isoformat() if t is not None else None


class FeedRow(Protocol):
    """An event with its delivery's columns as stored (EventQueries.feed_after): a sqlite3.Row."""

    def __getitem__(self, key: str) -> Any: ...


def event_frames(rows: Sequence[FeedRow], items: dict[int, Item]) -> list[tuple[int, str]]:
    """The one encoding of each event, shared by every connection that may see it: (id, JSON text).

    The text is that of one compact JSON object {v, id, type, at, data, board, item?, delivery?};
    it is joined from parts straight from the stored columns: each item's part encoded once per
    call (a fan-out is one item and many deliveries), each distinct stored time and data text
    converted once.
    """
    item_parts = {item_id: _item_json(item) for item_id, item in items.items()}
    times: dict[str | None, str] = {None: "null"}
    datas: dict[str, str] = {}

    def iso(stored: str | None) -> str:
        text = times.get(stored)
        if text is None:
            assert stored is not None
            text = times[stored] = _str(parse_utc(stored).isoformat())
        return text

    out = []
    for r in rows:
        data = datas.get(r["data"])
        if data is None:
            data = datas[r["data"]] = _to_json(json.loads(r["data"]))
        level = r["d_level"]
        parts = [f'{{"v":{PROTOCOL_VERSION},"id":{r["id"]},"type":{_str(r["type"])},"at":{iso(r["at"])},'
                 f'"data":{data},"board":{"true" if level else "false"}']
        item_part = item_parts.get(r["item_id"])
        if item_part is not None:
            parts += (',"item":', item_part)
        if r["d_id"] is not None:
            receipt_no = r["d_receipt_no"]
            parts.append(f',"delivery":{{"id":{r["d_id"]},"unit_id":{r["d_unit_id"]},"state":{_str(r["d_state"])},'
                         f'"due_at":{iso(r["d_due_at"])},'
                         f'"receipt_no":{"null" if receipt_no is None else _str(receipt_no)},"level":{level},'
                         f'"escalated_at":{iso(r["d_escalated_at"])}}}')
        parts.append("}")
        out.append((r["id"], "".join(parts)))
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
