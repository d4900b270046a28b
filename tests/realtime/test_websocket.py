"""The realtime channel with the real `websockets` client against a real server on 127.0.0.1."""

import asyncio
from datetime import timedelta

import pytest
import websockets

from hub.domain.items import ItemDraft, ItemKind, Urgency
from tests.realtime.conftest import free_port, recv_json, start_server
from tests.service.test_urgent_items import actor, issue_extra_urgent, unit_ids


async def frames_until(ws, predicate, limit: int = 50) -> list[dict]:
    got = []
    for _ in range(limit):
        frame = await recv_json(ws)
        got.append(frame)
        if predicate(frame):
            return got
    raise AssertionError(f"never saw the frame; got {got}")


async def test_a_clerk_sees_a_new_extra_urgent_notice_live(live):
    ws = await live.connect("dhz.clerk1")
    hello = await recv_json(ws)
    assert hello["type"] == "hello" and hello["v"] == 1
    item = await issue_extra_urgent(live.hub, "DHZ")
    frame = await recv_json(ws)
    assert frame["type"] == "item.issued" and frame["item"]["title"] == item.title
    assert frame["item"]["urgency"] == "extra_urgent" and frame["delivery"]["state"] == "pending"
    assert frame["id"] > hello["last_id"]
    await ws.close()


async def test_a_clerk_who_connects_while_the_feed_skips_ahead_still_gets_the_next_notice(live, monkeypatch):
    # with nobody connected the feed skips to the newest event; a clerk who connects (and an item
    # issued) while it reads that head must not be skipped past (seen on a busy PostgreSQL)
    from contextlib import asynccontextmanager
    hub, gate, entered = live.hub, asyncio.Event(), asyncio.Event()
    real_read = hub.store.read

    @asynccontextmanager
    async def read(snapshot=True):
        if asyncio.current_task().get_name() == "xietong-feed" and not gate.is_set():
            entered.set()
            await gate.wait()              # the feed's read is held until the clerk is connected
        async with real_read(snapshot) as tx:
            yield tx

    monkeypatch.setattr(hub.store, "read", read)
    hub.feed.poke()
    await asyncio.wait_for(entered.wait(), 5)
    ws = await live.connect("dhz.clerk1")
    await recv_json(ws)
    item = await issue_extra_urgent(hub, "DHZ")
    gate.set()
    frame = await recv_json(ws)
    assert frame["type"] == "item.issued" and frame["item"]["title"] == item.title
    await ws.close()


async def test_the_answer_to_issuing_comes_once_the_recipients_frames_are_out(live):
    ws = await live.connect("dhz.clerk1")
    await recv_json(ws)
    sender = await actor(live.hub, "bgs.clerk1")
    draft = ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.EXTRA_URGENT, title="关于做好寒潮防御工作的紧急通知",
                      body="各镇：请立即部署。", main_units=tuple(await unit_ids(live.hub, "DHZ", "XSZ")))
    item, deliveries = await live.hub.items.issue_with_deliveries(sender, draft)
    async with live.hub.store.read() as tx:
        newest = await tx.events.last_id()
        stored = await tx.deliveries.for_item(item.id)
    assert live.hub.feed.last_id == newest          # handed to the connections before the answer
    assert deliveries == stored
    frame = await recv_json(ws)
    assert frame["type"] == "item.issued" and frame["item"]["id"] == item.id
    await ws.close()


async def test_a_user_with_two_connections_gets_the_event_on_both_and_others_do_not(live):
    phone, desktop = await live.connect("dhz.clerk1"), await live.connect("dhz.clerk1")
    other_unit = await live.connect("xsz.clerk1")
    for ws in (phone, desktop, other_unit):
        await recv_json(ws)
    await issue_extra_urgent(live.hub, "DHZ")
    assert (await recv_json(phone))["type"] == "item.issued"
    assert (await recv_json(desktop))["type"] == "item.issued"
    await other_unit.send('{"type": "ping", "ref": 1}')
    assert (await recv_json(other_unit))["type"] == "pong"       # nothing about DHZ's item came first
    for ws in (phone, desktop, other_unit):
        await ws.close()


async def test_the_sender_gets_the_receipt_when_a_clerk_signs_for_over_the_socket(live):
    sender = await live.connect("bgs.clerk1")
    clerk = await live.connect("dhz.clerk2")
    await recv_json(sender)
    await recv_json(clerk)
    await issue_extra_urgent(live.hub, "DHZ")
    issued = await recv_json(clerk)
    await clerk.send(f'{{"type": "ack", "delivery": {issued["delivery"]["id"]}, "ref": "a1"}}')
    replies = await frames_until(clerk, lambda f: f["type"] == "ack.ok")
    assert replies[-1]["ref"] == "a1" and replies[-1]["receipt_no"].startswith("HZ")
    seen = await frames_until(sender, lambda f: f["type"] == "receipt")
    assert seen[-1]["data"]["receipt_no"] == replies[-1]["receipt_no"]
    assert [f["type"] for f in seen] == ["item.issued", "item.acked", "receipt"]
    await clerk.send(f'{{"type": "ack", "delivery": {issued["delivery"]["id"]}, "ref": "a2"}}')  # answer lost: retry
    again = await frames_until(clerk, lambda f: f["type"] in ("ack.ok", "error"))
    assert again[-1]["type"] == "ack.ok" and again[-1]["ref"] == "a2"
    assert again[-1]["receipt_no"] == replies[-1]["receipt_no"]        # the original receipt
    other = await live.connect("dhz.clerk1")
    await recv_json(other)
    await other.send(f'{{"type": "ack", "delivery": {issued["delivery"]["id"]}}}')
    refused = await frames_until(other, lambda f: f["type"] == "error")
    assert refused[-1]["code"] == "delivery.already_acked"
    name = (await live.hub.identity.user_by_login("dhz.clerk2")).name
    assert f"已由{name}于 2026-11-24 09:00 签收" in refused[-1]["message_zh"]      # who, and when (Beijing time)
    assert f"signed for by {name} at 2026-11-24 09:00" in refused[-1]["message_en"]
    for ws in (sender, clerk, other):
        await ws.close()


async def test_acknowledging_another_units_delivery_over_the_socket_is_refused(live):
    outsider = await live.connect("xsz.clerk1")
    await recv_json(outsider)
    item = await issue_extra_urgent(live.hub, "DHZ")
    async with live.hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
    await outsider.send(f'{{"type": "ack", "delivery": {d.id}}}')
    reply = await recv_json(outsider)
    assert reply["type"] == "error" and reply["code"] == "item.not_found"
    await outsider.close()


async def test_a_reconnecting_client_gets_what_it_missed_in_order_without_duplicates(live):
    ws = await live.connect("dhz.clerk1")
    hello = await recv_json(ws)
    first = await issue_extra_urgent(live.hub, "DHZ", title="第一件")
    seen = await recv_json(ws)
    await ws.close()                                   # the phone goes into a lift
    await issue_extra_urgent(live.hub, "DHZ", title="第二件")
    await issue_extra_urgent(live.hub, "XSZ", title="别的单位的")
    await issue_extra_urgent(live.hub, "DHZ", title="第三件")
    ws = await live.connect("dhz.clerk1", since=seen["id"])
    frames = await frames_until(ws, lambda f: f["type"] == "replayed")
    titles = [f["item"]["title"] for f in frames if f["type"] == "item.issued"]
    assert titles == ["第二件", "第三件"]
    ids = [f["id"] for f in frames if "id" in f]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    await issue_extra_urgent(live.hub, "DHZ", title="第四件")   # and then live, no gap at the seam
    assert (await recv_json(ws))["item"]["title"] == "第四件"
    assert hello["last_id"] < seen["id"] and first.title == "第一件"
    await ws.close()


async def test_resume_across_a_server_restart_replays_events_issued_while_it_was_down(demo_hub, config, clock):
    from hub.app import Hub
    port = free_port()
    live = await start_server(demo_hub, port)
    ws = await live.connect("nqz.clerk1")
    hello = await recv_json(ws)
    token = await live.token("nqz.clerk1")
    await live.runner.cleanup()
    await demo_hub.close()
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    offline = await Hub.start(config, clock)              # e.g. the CLI or another process writes
    await issue_extra_urgent(offline, "NQZ", title="停机期间发出的通知")
    await offline.close()
    hub = await Hub.start(config, clock)
    live = await start_server(hub, port)
    try:
        ws = await websockets.connect(live.ws_url + f"?since={hello['last_id']}",
                                      additional_headers={"Authorization": f"Bearer {token}"})
        frames = await frames_until(ws, lambda f: f["type"] == "replayed")
        assert [f["item"]["title"] for f in frames if f["type"] == "item.issued"] == ["停机期间发出的通知"]
        await ws.close()
    finally:
        await live.runner.cleanup()
        await hub.close()


async def test_a_client_whose_last_id_is_older_than_what_is_kept_is_told_to_reload(live, clock):
    ws = await live.connect("dhz.clerk1")
    await recv_json(ws)
    await issue_extra_urgent(live.hub, "DHZ", title="很久以前的")
    old = await recv_json(ws)
    await ws.close()
    clock.advance(timedelta(days=8))
    await issue_extra_urgent(live.hub, "DHZ", title="最近的")
    ws = await live.connect("dhz.clerk1", since=old["id"] - 1)
    await recv_json(ws)                                           # hello
    reset = await recv_json(ws)
    assert reset["type"] == "reset" and reset["reason"] == "too_old"
    await ws.close()


async def test_a_foreign_origin_and_a_missing_login_are_refused_before_any_data(live):
    with pytest.raises(websockets.InvalidStatus) as e:
        await websockets.connect(live.ws_url)
    assert e.value.response.status_code == 401
    token = await live.token("dhz.clerk1")
    with pytest.raises(websockets.InvalidStatus) as e:
        await websockets.connect(live.ws_url, origin="http://evil.example",
                                 additional_headers={"Authorization": f"Bearer {token}"})
    assert e.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus) as e:
        await websockets.connect(live.ws_url, additional_headers={"Authorization": "Bearer xt_forged"})
    assert e.value.response.status_code == 401


async def test_the_browser_session_cookie_opens_the_socket_from_the_same_origin(live):
    from tests.realtime.conftest import cookie_login
    session, _ = await cookie_login(live.url, "dhz.clerk1")
    try:
        cookie = next(c for c in session.cookie_jar if c.key == "xt_session")
        ws = await websockets.connect(live.ws_url, origin=live.url,
                                      additional_headers={"Cookie": f"xt_session={cookie.value}"})
        assert (await recv_json(ws))["type"] == "hello"
        await ws.close()
    finally:
        await session.close()


async def test_a_slow_client_is_dropped_without_delaying_the_others(demo_hub, config):
    from hub.app import Hub
    await demo_hub.close()
    hub = await Hub.start(config.with_overrides(realtime={"queue_frames": 8}), demo_hub.clock)
    live = await start_server(hub, free_port())
    try:
        slow = await live.connect("dhz.clerk1", max_size=None, max_queue=1)   # a phone that stopped reading
        fast = await live.connect("dhz.clerk2")
        await recv_json(fast)
        item = await issue_extra_urgent(hub, "DHZ", title="大量更新")
        async with hub.store.read() as tx:
            (d,) = await tx.deliveries.for_item(item.id)
        assert (await recv_json(fast))["type"] == "item.issued"
        for i in range(60):          # big frames fill the slow phone's socket buffers, then its queue
            async with hub.store.write() as tx:
                await tx.events.add(hub.clock.now(), "item.resent", item.id, item.sender_unit_id, d.id,
                                    d.unit_id, None, n=i, note="长" * 100_000)
            hub.feed.poke()
            frame = await recv_json(fast)        # the reading phone gets each one at once
            assert frame["data"]["n"] == i
        assert await _closed_code(slow) == 4008
        assert hub.feed.subscribers == 1
    finally:
        await live.runner.cleanup()
        await hub.close()


async def test_a_phone_that_stops_reading_for_a_while_then_gets_every_frame_in_order(live):
    hub = live.hub
    phone = await live.connect("dhz.clerk1", max_size=None, max_queue=1)
    await recv_json(phone)
    item = await issue_extra_urgent(hub, "DHZ", title="大量更新")
    async with hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
    for i in range(40):        # big frames: its socket backs up, and the rest wait in its queue
        async with hub.store.write() as tx:
            await tx.events.add(hub.clock.now(), "item.resent", item.id, item.sender_unit_id, d.id,
                                d.unit_id, None, n=i, note="长" * 100_000)
        hub.feed.poke()
        await hub.feed.caught_up()
    (sub,) = hub.feed._by_unit[d.unit_id]
    assert sub.pending and not sub.overflowed     # some were queued, not written straight away
    frames = [await recv_json(phone) for _ in range(41)]
    assert frames[0]["type"] == "item.issued"
    assert [f["data"]["n"] for f in frames[1:]] == list(range(40))
    assert [f["id"] for f in frames] == list(range(frames[0]["id"], frames[0]["id"] + 41))
    await phone.close()


async def test_a_compressed_connection_gets_the_same_frames(demo_hub, config):
    from hub.app import Hub
    await demo_hub.close()
    hub = await Hub.start(config.with_overrides(realtime={"compress": True}), demo_hub.clock)
    live = await start_server(hub, free_port())
    try:
        ws = await live.connect("dhz.clerk1")          # the websockets client offers permessage-deflate
        assert [e.name for e in ws.protocol.extensions] == ["permessage-deflate"]
        await recv_json(ws)
        items = [await issue_extra_urgent(hub, "DHZ", title=f"第{n}号紧急通知") for n in range(3)]
        frames = [await recv_json(ws) for _ in items]
        assert [f["item"]["title"] for f in frames] == [i.title for i in items]
        assert [f["id"] for f in frames] == sorted(f["id"] for f in frames)
        await ws.close()
    finally:
        await live.runner.cleanup()
        await hub.close()


async def _closed_code(ws) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 15)
    except websockets.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else -1
