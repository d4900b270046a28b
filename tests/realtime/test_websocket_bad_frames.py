"""Bad values on the realtime channel: an `error` frame, and the socket stays open (real `websockets` client)."""

import json

import pytest
import websockets

from tests.realtime.conftest import recv_json
from tests.service.test_urgent_items import issue_extra_urgent

HUGE = "99999999999999999999"        # beyond SQLite's integers (2**63 - 1)


async def pending_delivery(live, unit: str = "DHZ"):
    item = await issue_extra_urgent(live.hub, unit)
    async with live.hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
    return d


async def next_answer(ws) -> dict:
    """The next answer to a client frame (event frames of the feed are skipped)."""
    while True:
        frame = await recv_json(ws)
        if frame["type"] in ("error", "ack.ok", "read.ok", "pong"):
            return frame


async def still_open(ws) -> None:
    await ws.send('{"type": "ping", "ref": "still-there"}')
    pong = await next_answer(ws)
    assert pong["type"] == "pong" and pong["ref"] == "still-there"


@pytest.mark.parametrize("frame", [
    '{"type": "ack", "delivery": ' + HUGE + ', "ref": 1}',
    '{"type": "read", "item": ' + HUGE + ', "ref": 1}',
    '{"type": "ack", "delivery": -3, "ref": 1}',
    '{"type": "ack", "delivery": 0, "ref": 1}',
    "[" * 10_000 + "]" * 10_000,                  # nested 10,000 deep
    '{"type": "ack", "delivery": [[[[[[1]]]]]], "ref": 1}',
    "not json at all",
    '["ack", 1]',
    '{"type": "dance", "ref": 1}',
], ids=["huge-delivery", "huge-item", "negative", "zero", "nested-10000", "nested-id", "not-json", "array",
        "unknown-type"])
async def test_a_frame_with_a_bad_value_gets_an_error_frame_and_the_socket_stays_open(live, frame):
    ws = await live.connect("dhz.clerk1", max_size=None)
    await recv_json(ws)                                  # hello
    await ws.send(frame)
    reply = await next_answer(ws)
    assert reply["type"] == "error" and reply["code"] == "input.invalid", reply
    assert reply["message_zh"].startswith("输入有误") and reply["message_en"].startswith("Invalid input")
    await still_open(ws)
    await ws.close()


@pytest.mark.parametrize("value", ["1.5", "true", '"1"', "1.0"])
async def test_an_id_is_checked_not_coerced_nothing_is_signed_for(live, value):
    d = await pending_delivery(live)
    ws = await live.connect("dhz.clerk1")
    await recv_json(ws)
    # e.g. {"delivery": 1.5} was read as int(1.5) == 1, and `true` as 1: it signed for delivery 1
    bogus = {"1.5": f"{d.id}.5", "true": "true" if d.id == 1 else f"{d.id}.5", '"1"': f'"{d.id}"',
             "1.0": f"{d.id}.0"}[value]
    await ws.send('{"type": "ack", "delivery": ' + bogus + ', "ref": "r"}')
    reply = await next_answer(ws)
    assert reply["type"] == "error" and reply["code"] == "input.invalid" and reply["ref"] == "r"
    assert "delivery" in reply["message_en"]                # names the field
    async with live.hub.store.read() as tx:
        assert (await tx.deliveries.get(d.id)).state.value in ("pending", "read")
    await still_open(ws)
    await ws.send(json.dumps({"type": "ack", "delivery": d.id, "ref": "ok"}))    # a real id still works
    assert (await next_answer(ws))["type"] == "ack.ok"
    await ws.close()


async def test_a_ref_that_is_not_a_plain_value_is_not_echoed(live):
    ws = await live.connect("dhz.clerk1")
    await recv_json(ws)
    await ws.send('{"type": "ping", "ref": {"deep": [[[1]]]}}')
    assert (await next_answer(ws)) == {"v": 1, "type": "pong", "ref": None}
    await ws.close()


@pytest.mark.parametrize("since", [HUGE, "-1", "1.5", "abc", "١٢"])
async def test_a_bad_since_is_refused_with_400_naming_it_before_the_upgrade(live, since):
    token = await live.token("dhz.clerk1")
    with pytest.raises(websockets.InvalidStatus) as e:
        await websockets.connect(live.ws_url + "?since=" + since,
                                 additional_headers={"Authorization": f"Bearer {token}"})
    assert e.value.response.status_code == 400
    body = json.loads(e.value.response.body)
    assert body["error"]["code"] == "input.invalid" and "since" in body["error"]["message_en"]


async def test_since_zero_replays_from_the_first_event(live):
    await issue_extra_urgent(live.hub, "DHZ", title="第一件")
    ws = await live.connect("dhz.clerk1", since=0)
    hello = await recv_json(ws)
    assert hello["resumed_from"] == 0
    first = await recv_json(ws)
    assert first["type"] == "item.issued" and first["item"]["title"] == "第一件"
    await ws.close()
