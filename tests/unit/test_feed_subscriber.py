"""One connection's share of the feed: frames written straight to its socket or queued, always in id order."""

import asyncio
import json

from hub.domain.identity import SystemActor
from hub.notify.feed import Subscriber
from hub.notify.frames import websocket_text_frame
from webapp.routes.realtime import _write


class Connection:
    """What a client would receive, in order: bytes the feed wrote directly and frames its writer sent."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.backed_up = False
        self.closed = False

    def write_now(self, frame_bytes: bytes) -> bool:
        if self.backed_up:
            return False
        self.received.append(json.loads(frame_bytes[2:])["id"])
        return True

    async def send_str(self, frame: str) -> None:
        self.received.append(json.loads(frame)["id"])


def subscriber(conn: Connection, limit: int = 8, overflows: list[int] | None = None) -> Subscriber:
    return Subscriber(SystemActor(), lambda: (overflows if overflows is not None else []).append(1),
                      sees_all=True, limit=limit, write_now=conn.write_now)


def offer(sub: Subscriber, event_id: int) -> None:
    frame = json.dumps({"id": event_id})
    sub.offer(event_id, frame, websocket_text_frame(frame))


async def test_frames_queued_behind_a_backed_up_socket_go_out_before_later_ones():
    conn = Connection()
    sub = subscriber(conn)
    writer = asyncio.create_task(_write(conn, sub, 0))      # type: ignore[arg-type]
    await asyncio.sleep(0)
    offer(sub, 1)                        # written at once
    conn.backed_up = True
    offer(sub, 2)                        # the socket is backed up: queued
    conn.backed_up = False
    offer(sub, 3)                        # the socket could take it, but 2 is waiting: queued behind it
    assert conn.received == [1] and len(sub.pending) == 2
    await asyncio.sleep(0)               # the connection's writer sends what was queued
    offer(sub, 4)                        # the queue is empty again: written at once
    assert conn.received == [1, 2, 3, 4]
    conn.closed = True
    writer.cancel()


async def test_live_frames_wait_for_the_replay_and_the_replayed_ones_are_skipped():
    conn = Connection()
    sub = subscriber(conn)
    for event_id in (5, 6):              # live while the replay (up to 6) is still being sent
        offer(sub, event_id)
    assert conn.received == []
    conn.received += [4, 5, 6]           # the replay
    writer = asyncio.create_task(_write(conn, sub, 6))      # type: ignore[arg-type]
    await asyncio.sleep(0)
    offer(sub, 6)                        # the feed catches up with what the replay read from the store
    offer(sub, 7)
    assert conn.received == [4, 5, 6, 7]
    conn.closed = True
    writer.cancel()


async def test_a_connection_that_cannot_keep_up_is_dropped_once_its_queue_is_full():
    conn, overflows = Connection(), []
    conn.backed_up = True
    sub = subscriber(conn, limit=3, overflows=overflows)
    sub.go_live(0)
    for event_id in range(1, 7):
        offer(sub, event_id)
    assert overflows == [1] and sub.overflowed and len(sub.pending) == 3
