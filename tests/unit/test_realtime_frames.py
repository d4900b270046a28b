"""The realtime frames' text (protocol v1) and the websocket bytes written for them."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.http_websocket import WebSocketWriter

from hub.clock import utc_iso
from hub.domain.items import Item, ItemKind, Urgency
from hub.notify.frames import event_frames, websocket_text_frame

AT = datetime(2026, 11, 24, 1, 0, 0, 123456, tzinfo=UTC)


def notice(item_id: int) -> Item:
    return Item(id=item_id, kind=ItemKind.EMERGENCY_ORDER, urgency=Urgency.EXTRA_URGENT, title="寒潮大风\"紧急\"通知",
                body="", doc_number="", doc_kind="", issuing_office="", doc_date="", meeting_at=None,
                meeting_place="", sender_unit_id=1, sender_user_id=2, issued_at=AT, due_at=AT + timedelta(hours=1),
                working_time=False, ladder=[], short_code="K7Q", withdrawn_at=None)


def row(event_id: int, type_: str, item_id: int, data: dict, delivery_id: int | None = None, level: int = 0,
        receipt_no: str | None = None) -> sqlite3.Row:
    """An event joined with its delivery, as EventQueries.feed_after reads it (a real sqlite3.Row)."""
    con = sqlite3.connect(":memory:")
    con.row_factory = sqlite3.Row
    d = delivery_id is not None
    return con.execute(
        "SELECT ? AS id, ? AS type, ? AS at, ? AS data, ? AS item_id, 1 AS sender_unit_id, ? AS unit_id,"
        " ? AS d_id, ? AS d_unit_id, ? AS d_state, ? AS d_due_at, ? AS d_receipt_no, ? AS d_level,"
        " ? AS d_escalated_at",
        (event_id, type_, utc_iso(AT), json.dumps(data, ensure_ascii=False, sort_keys=True), item_id,
         100 + delivery_id if d else None, delivery_id, 100 + delivery_id if d else None,
         "pending" if d else None, utc_iso(AT + timedelta(minutes=30)) if d else None, receipt_no,
         level if d else None, utc_iso(AT) if d and level else None)).fetchone()


def test_every_frame_is_one_compact_json_object_with_the_documented_fields_in_order():
    items = {7: notice(7), 8: notice(8)}
    rows = [row(11, "item.issued", 7, {"role": "main"}, delivery_id=1),
            row(12, "item.escalated", 8, {"level": 1, "note": "已电话催办"}, delivery_id=2, level=1,
                receipt_no='回执"7"\\'),
            row(13, "item.withdrawn", 9, {})]   # item 9 no longer readable
    frames = event_frames(rows, items)
    assert [event_id for event_id, _ in frames] == [11, 12, 13]
    decoded = [json.loads(text) for _, text in frames]
    for (_, text), frame in zip(frames, decoded):
        assert text == json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    assert list(decoded[0]) == ["v", "id", "type", "at", "data", "board", "item", "delivery"]
    assert list(decoded[2]) == ["v", "id", "type", "at", "data", "board"]
    assert decoded[1]["item"]["id"] == 8 and decoded[1]["delivery"]["unit_id"] == 102 and decoded[1]["board"]
    assert not decoded[0]["board"] and not decoded[2]["board"]
    assert decoded[1]["delivery"]["receipt_no"] == '回执"7"\\' and decoded[1]["data"]["note"] == "已电话催办"
    assert decoded[0]["item"]["title"] == "寒潮大风\"紧急\"通知" and decoded[0]["at"] == AT.isoformat()
    assert decoded[0]["delivery"]["due_at"] == (AT + timedelta(minutes=30)).isoformat()
    assert decoded[1]["delivery"]["escalated_at"] == AT.isoformat() and decoded[0]["delivery"]["escalated_at"] is None
    assert list(decoded[0]["item"]) == ["id", "kind", "urgency", "title", "short_code", "sender_unit_id",
                                        "issued_at", "due_at", "meeting_at"]
    assert list(decoded[0]["delivery"]) == ["id", "unit_id", "state", "due_at", "receipt_no", "level",
                                            "escalated_at"]


class Transport:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return False


@pytest.mark.parametrize("size", [0, 41, 42, 125, 126, 21_845, 65_535, 65_536, 100_000])
async def test_the_ready_made_frame_is_what_aiohttp_would_send(size):
    text = ("特急通知ab" * size)[:size]
    transport = Transport()
    await WebSocketWriter(None, transport).send_frame(text.encode(), 0x1)   # type: ignore[arg-type]
    assert websocket_text_frame(text) == transport.data
