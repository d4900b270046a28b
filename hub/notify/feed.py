"""The realtime feed: every event a user may see, in id order, live and on resume.

Services poke the feed after they commit; the feed reads the new events from
the store (the source of truth), encodes each once (the JSON text and the
websocket frame's bytes), and hands it to every subscriber who may see it
(the one permission rule, `VIEW_ITEM`, decides). A subscriber whose
connection can take the bytes at once (nothing queued before them, its
socket not backed up) gets them written straight to its socket, as
`websockets.broadcast()` does; otherwise the frame goes into its bounded
queue, and everything after it too until the queue is drained, so frames
stay in id order. A subscriber whose queue is full is dropped: its client
resumes by id. A client that resumes gets the events after its last id from
the store first; live frames that arrive meanwhile are queued and the ones
already replayed are skipped, so there is no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from hub.clock import Clock
from hub.domain.identity import Actor
from hub.domain.permissions import Action, can
from hub.notify.frames import FeedRow, event_frames, websocket_text_frame
from hub.notify.worker import Worker, wait_for_work
from hub.store import Store

log = logging.getLogger(__name__)

BATCH = 500
REPLAY_SLOTS = 2   # replays running at once; the others wait their turn, leaving readers for logins


SIGNAL = -1                     # the "event id" of a queued frame outside the event order
TODO_FRAME = '{"v": 1, "type": "todo"}'  # a unit's to-do lists changed without an event (a document moved)


class TooOld(Exception):
    """The client's last id is older than the replay window: it must reload its inbox."""


class DirectWrite(Protocol):
    def __call__(self, frame_bytes: bytes, /) -> bool:
        """Write a whole websocket frame to the connection now if it can take it without waiting; False if not."""


@dataclass(eq=False)
class Subscriber:
    """One connection's share of the feed: its frames, written at once or queued (at most `limit`)."""

    actor: Actor
    on_overflow: Callable[[], None]
    sees_all: bool
    limit: int
    write_now: DirectWrite | None = None     # None: every frame goes through the queue (e.g. compressed)
    session_key: str = ""                    # the hash of the session cookie or bearer token it opened with
    on_session_ended: Callable[[], None] | None = None   # closes the connection (4001)
    pending: deque[tuple[int, str]] = field(default_factory=deque)   # the head stays until it is sent
    overflowed: bool = False
    ended: bool = False                # its session ended: nothing more is sent
    replayed_upto: int | None = None   # None until the replay has been sent: until then everything queues
    _waiter: asyncio.Future[None] | None = None

    def offer(self, event_id: int, frame: str, frame_bytes: bytes) -> None:
        if self.overflowed or self.ended:
            return
        upto = self.replayed_upto
        if upto is not None:
            if event_id <= upto:
                return                     # the replay sent it already
            if not self.pending and self.write_now is not None and self.write_now(frame_bytes):
                return
        if len(self.pending) >= self.limit:
            self.overflowed = True
            self.on_overflow()
            return
        self.pending.append((event_id, frame))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def signal(self, frame: str, frame_bytes: bytes) -> None:
        """A frame outside the event order (no id, not stored: e.g. "your to-do list changed"): written
        now if nothing waits before it, else queued behind; dropped rather than overflow a full queue."""
        if self.overflowed or self.ended:
            return
        if (self.replayed_upto is not None and not self.pending and self.write_now is not None
                and self.write_now(frame_bytes)):
            return
        if len(self.pending) >= self.limit:
            return
        self.pending.append((SIGNAL, frame))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def go_live(self, replayed_upto: int) -> None:
        """The replay is sent: skip live frames up to `replayed_upto`, write the rest (once the queue is empty)."""
        self.replayed_upto = replayed_upto

    async def wait_for_frames(self) -> None:
        """Return when a frame is queued."""
        while not self.pending:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


class EventFeed:
    def __init__(self, store: Store, clock: Clock, retention: timedelta, queue_frames: int = 512,
                 poll_seconds: float = 1.0) -> None:
        self.store, self.clock, self.retention = store, clock, retention
        self.queue_frames, self.poll_seconds = queue_frames, poll_seconds
        self._by_unit: dict[int, set[Subscriber]] = {}
        self._all: set[Subscriber] = set()
        self._by_user: dict[int, set[Subscriber]] = {}
        self._poked = asyncio.Event()
        self._replay_slots = asyncio.Semaphore(REPLAY_SLOTS)
        self._worker = Worker("xietong-feed", self._loop)
        self.last_id = 0            # the newest event distributed
        self.primed = False         # last_id was read from the store (see `prime`)
        self.distributed = asyncio.Event()   # set after each pass that sent something (tests, benchmarks)
        self._after_next_pass: list[asyncio.Future[None]] = []

    # -- subscribers -----------------------------------------------------------------

    def subscribe(self, actor: Actor, on_overflow: Callable[[], None],
                  write_now: DirectWrite | None = None, *, session_key: str = "",
                  on_session_ended: Callable[[], None] | None = None) -> Subscriber | None:
        """Start receiving live frames; None if the actor may see no items at all.

        `write_now` writes a frame's bytes straight to the connection (see `DirectWrite`); without it,
        or while it declines, frames are queued for the connection's writer. `on_session_ended` is
        called (once) when `end_sessions` ends the session `session_key` or every session of the user.
        """
        if not can(actor, Action.VIEW_ITEM):
            return None
        sub = Subscriber(actor, on_overflow, sees_all=can(actor, Action.VIEW_ITEM, ()), limit=self.queue_frames,
                         write_now=write_now, session_key=session_key, on_session_ended=on_session_ended)
        if sub.sees_all:
            self._all.add(sub)
        else:
            self._by_unit.setdefault(actor.unit_id, set()).add(sub)
        self._by_user.setdefault(actor.user_id, set()).add(sub)
        return sub

    def end_sessions(self, user_id: int, session_key: str | None = None) -> int:
        """A session ended (logout, a revoked token) or all of a user's did (disabled, new roles, new
        password): their connections get nothing more and are closed now. Returns how many."""
        subs = [s for s in self._by_user.get(user_id, ()) if session_key is None or s.session_key == session_key]
        for sub in subs:
            sub.ended = True
            self.unsubscribe(sub)
            if sub.on_session_ended is not None:
                sub.on_session_ended()
        return len(subs)

    def todo_changed(self, unit_id: int) -> None:
        """Something waiting for people of the unit changed that the feed has no event for (a document
        moved a step, a seal use was asked for or approved): their connections get a `todo` frame,
        and their badges ask again. Not stored: a phone that reconnects asks for its badges anyway."""
        subs = self._by_unit.get(unit_id)
        if subs:
            frame_bytes = websocket_text_frame(TODO_FRAME)
            for sub in subs:
                sub.signal(TODO_FRAME, frame_bytes)

    def unsubscribe(self, sub: Subscriber) -> None:
        self._all.discard(sub)
        mine = self._by_user.get(sub.actor.user_id)
        if mine is not None:
            mine.discard(sub)
            if not mine:
                del self._by_user[sub.actor.user_id]
        subs = self._by_unit.get(sub.actor.unit_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._by_unit[sub.actor.unit_id]

    @property
    def subscribers(self) -> int:
        return len(self._all) + sum(len(s) for s in self._by_unit.values())

    # -- replay ----------------------------------------------------------------------

    async def replay(self, sub: Subscriber, since: int, upto: int | None = None) -> list[tuple[int, str]]:
        """Frames after `since` that the subscriber may see, oldest first (raises TooOld).

        After an outage thousands of clients resume at once: at most REPLAY_SLOTS replays run at
        a time (in arrival order), so that the reader connections stay free for the logins and
        hellos of the others, whose handshakes would otherwise time out and be retried.
        """
        async with self._replay_slots:
            return await self._replay(sub, since)

    async def _replay(self, sub: Subscriber, since: int) -> list[tuple[int, str]]:
        async with self.store.read() as tx:
            floor = await tx.events.first_id_since(self.clock.now() - self.retention)
            head = await tx.events.last_id()
        if floor is None:
            floor = head + 1
        if since + 1 < floor and since < head:
            raise TooOld()
        out: list[tuple[int, str]] = []
        after = since
        unit = None if sub.sees_all else sub.actor.unit_id
        while True:
            async with self.store.read() as tx:
                events = await tx.events.feed_after(after, unit, BATCH)
                frames = await self._encode(tx, events)
            out.extend(frames)
            if len(events) < BATCH:
                return out
            after = events[-1]["id"]

    # -- distribution ----------------------------------------------------------------

    def poke(self) -> None:
        """New events were committed: distribute them now."""
        self._poked.set()

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def prime(self) -> None:
        """Start after the newest event already stored: those are for replay, not live.

        The hub primes the feed when it starts, before it accepts connections: primed later (in the
        feed's task, which a busy database may hold up) it could skip past an event committed after
        a client's hello, which that client then never gets live."""
        async with self.store.read() as tx:
            self.last_id = await tx.events.last_id()
        self.primed = True

    async def caught_up(self, timeout: float = 1.0) -> None:
        """Return once the events committed before the call have been handed to the connections.

        For an answer that can wait for the fan-out, such as the list of thousands of deliveries
        in the answer to issuing an item: building it meanwhile would delay the recipients' frames.
        Returns at once if the feed is not running, and after `timeout` seconds at most.
        """
        if not self._worker.running:
            return
        done = asyncio.get_running_loop().create_future()
        self._after_next_pass.append(done)
        self.poke()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, timeout)

    async def _loop(self) -> None:
        if not self.primed:
            await self.prime()
        while True:
            await wait_for_work(self._poked, self.clock, poll_seconds=self.poll_seconds)
            self._poked.clear()
            waiting, self._after_next_pass = self._after_next_pass, []   # this pass reads all they wait for
            try:
                await self.distribute()
            except Exception:
                log.exception("feed distribution failed; retrying")
            finally:
                for done in waiting:
                    if not done.done():
                        done.set_result(None)

    async def distribute(self) -> int:
        """Send every event after `last_id` to the subscribers who may see it; returns how many."""
        if not self.subscribers:            # nobody to tell: skip to the newest event, encode nothing
            async with self.store.read(snapshot=False) as tx:
                head = await tx.events.last_id()
            if not self.subscribers:
                self.last_id = head
                return 0
            # someone connected while the head was read: its hello may be older than `head`, so the
            # events after `last_id` are sent as usual (it skips those up to its hello itself)
        sent = 0
        chunk = max(1, min(64, self.queue_frames // 4))   # a queue gets at most this many between yields
        while True:
            async with self.store.read() as tx:
                events = await tx.events.feed_after(self.last_id, None, BATCH)
                frames = await self._encode(tx, events)
            for n, (event, (event_id, frame)) in enumerate(zip(events, frames), 1):
                frame_bytes = websocket_text_frame(frame)
                for sub in self._audience(event):
                    sub.offer(event_id, frame, frame_bytes)
                self.last_id = event_id
                if n % chunk == 0:
                    await asyncio.sleep(0)   # let connection writers send what was queued before the next
            sent += len(events)
            if len(events) < BATCH:
                if sent:
                    self.distributed.set()
                return sent

    def _audience(self, e: FeedRow) -> Iterator[Subscriber]:
        # each subscriber is in `_all` or in its own unit's set only, so these never overlap
        sender, unit = e["sender_unit_id"], e["unit_id"]
        yield from self._all
        yield from self._by_unit.get(sender, ())
        if unit is not None and unit != sender:
            yield from self._by_unit.get(unit, ())

    async def _encode(self, tx: object, events: Sequence[FeedRow]) -> list[tuple[int, str]]:
        from hub.store import Tx
        assert isinstance(tx, Tx)
        items = await tx.items.many(sorted({e["item_id"] for e in events}))
        return event_frames(events, items)
