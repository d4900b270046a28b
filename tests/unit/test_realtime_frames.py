"""The realtime frames' text (protocol v1) and the websocket bytes written for them."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.http_websocket import WebSocketWriter

from hub.domain.items import Delivery, DeliveryState, Item, ItemKind, RecipientRole, Urgency
from hub.notify.frames import event_frames, websocket_text_frame
from hub.store.items import Event

AT = datetime(2026, 11, 24, 1, 0, 0, 123456, tzinfo=UTC)


def notice(item_id: int) -> Item:
    return Item(id=item_id, kind=ItemKind.EMERGENCY_ORDER, urgency=Urgency.EXTRA_URGENT, title="寒潮大风\"紧急\"通知",
                body="", doc_number="", doc_kind="", issuing_office="", doc_date="", meeting_at=None,
                meeting_place="", sender_unit_id=1, sender_user_id=2, issued_at=AT, due_at=AT + timedelta(hours=1),
                working_time=False, ladder=[], short_code="K7Q", withdrawn_at=None)


def delivery(delivery_id: int, item_id: int, level: int = 0) -> Delivery:
    return Delivery(id=delivery_id, item_id=item_id, unit_id=100 + delivery_id, role=RecipientRole.MAIN,
                    state=DeliveryState.PENDING, sent_at=AT, due_at=AT + timedelta(minutes=30), assignee_id=None,
                    read_at=None, read_by=None, acked_at=None, acked_by=None, ack_via=None, ack_note="",
                    receipt_no=None, returned_at=None, return_reason="", level=level,
                    escalated_at=AT if level else None)


def test_every_frame_is_one_compact_json_object_with_the_documented_fields_in_order():
    items = {7: notice(7), 8: notice(8)}
    deliveries = {1: delivery(1, 7), 2: replace(delivery(2, 8, level=1), receipt_no='回执"7"\\')}
    events = [Event(11, AT, "item.issued", 7, 1, 1, 101, 2, {"role": "main"}),
              Event(12, AT, "item.escalated", 8, 2, 1, 102, None, {"level": 1, "note": "已电话催办"}),
              Event(13, AT, "item.withdrawn", 9, None, 1, None, 2, {})]   # item 9 no longer readable
    frames = event_frames(events, items, deliveries)
    assert [event_id for event_id, _ in frames] == [11, 12, 13]
    decoded = [json.loads(text) for _, text in frames]
    for (_, text), frame in zip(frames, decoded):
        assert text == json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    assert list(decoded[0]) == ["v", "id", "type", "at", "data", "board", "item", "delivery"]
    assert list(decoded[2]) == ["v", "id", "type", "at", "data", "board"]
    assert decoded[1]["item"]["id"] == 8 and decoded[1]["delivery"]["unit_id"] == 102 and decoded[1]["board"]
    assert decoded[1]["delivery"]["receipt_no"] == '回执"7"\\' and decoded[1]["data"]["note"] == "已电话催办"
    assert decoded[0]["item"]["title"] == "寒潮大风\"紧急\"通知" and decoded[0]["at"] == AT.isoformat()
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
