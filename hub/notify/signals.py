"""What a hub process tells the other processes on its PostgreSQL database, the moment it commits.

Each process's background work learns of a commit from the process that made it: the service calls
`published()` (new events or SMS rows), `todo_changed(unit)` (a unit's to-do lists moved),
`end_sessions(user, key)` (a logout, a disabled user) or `wake(due)` (a step was scheduled). Here
each of those does what it always did in this process and, on PostgreSQL, is also sent to every
other process on the database (LISTEN/NOTIFY on a channel of the schema), which does the same
locally: its feed reads the new events *from the table* and hands them to its websockets, its SMS
sender looks at the outbox, its scheduler at the earliest timer, its sockets of an ended session
close. A notification carries only what to look at, never rows, so NOTIFY's 8000-byte payload is
never a limit for the data: signals waiting to go are joined into one notification (split at 7900
bytes), which also keeps the notifications few under load.

The NOTIFY is sent after the commit, from a connection of its own, rather than inside the write
transaction: the services learn that they committed only once the COMMIT returned, and a NOTIFY in
the transaction would take PostgreSQL's notification-queue lock during every COMMIT. What a
process that dies between its COMMIT and its NOTIFY leaves unsaid, the others find by themselves:
the feed looks for new events every `[realtime] poll_ms`, the scheduler reads its earliest timer
every `[cluster] heartbeat_seconds`, and the others take over a dead process's SMS
(hub/services/processes.py). A listener that loses its connection reconnects and then looks at
everything once, since it may have missed notifications meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hub.notify.worker import Worker

log = logging.getLogger(__name__)

PAYLOAD_BYTES = 7900          # under NOTIFY's 8000-byte limit
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


@dataclass
class Local:
    """What each signal does in a process (the feed's, scheduler's and SMS sender's own methods)."""

    published: Callable[[], None]
    todo_changed: Callable[[int], None]
    end_sessions: Callable[[int, str | None], int]
    wake: Callable[[datetime | None], None]


class Signals:
    def __init__(self, local: Local, url: str | None = None) -> None:
        self.local = local
        self.url = url                      # the PostgreSQL database; None: one process (SQLite)
        self.token = secrets.token_hex(4)   # this process's notifications carry it: it ignores its own
        self._pending: dict[str, None] = {}   # signals to send, in order, once each
        self._wake_due: datetime | None = None
        self._wake_now = False
        self._queued = asyncio.Event()
        self.channel = ""
        self.listening = asyncio.Event()   # set while the listener is connected (tests, health)
        self.sent = self.heard = 0         # notifications sent and heard from others (metrics, tests)
        self._sender = Worker("xietong-signals-send", self._send_loop)
        self._listener = Worker("xietong-signals-listen", self._listen_loop)

    # -- what services call, after they commit -------------------------------------------

    def published(self) -> None:
        self.local.published()
        self._queue("p")

    def todo_changed(self, unit_id: int) -> None:
        self.local.todo_changed(unit_id)
        self._queue(f"t{unit_id}")

    def end_sessions(self, user_id: int, session_key: str | None = None) -> int:
        ended = self.local.end_sessions(user_id, session_key)
        self._queue(f"x{user_id}" + (f":{session_key}" if session_key else ""))
        return ended

    def wake(self, due: datetime | None = None) -> None:
        self.local.wake(due)
        if self.url is None:
            return
        if due is None:
            self._wake_now = True
        elif self._wake_due is None or due < self._wake_due:
            self._wake_due = due
        self._queued.set()

    def _queue(self, signal: str) -> None:
        if self.url is not None:
            self._pending[signal] = None
            self._queued.set()

    # -- sending and hearing -------------------------------------------------------------

    def start(self) -> None:
        """Listen and send (nothing on SQLite). Once listening, the process looks at everything once:
        what others committed before it listened is read from the tables like the rest."""
        if self.url is not None:
            self._listener.start()
            self._sender.start()

    async def stop(self) -> None:
        await self._sender.stop()
        await self._listener.stop()

    def _take(self) -> list[str]:
        signals = list(self._pending)
        self._pending.clear()
        if self._wake_now:
            signals.append("w")
        elif self._wake_due is not None:
            signals.append("w" + self._wake_due.isoformat())
        self._wake_now, self._wake_due = False, None
        return signals

    async def _send_loop(self) -> None:
        import asyncpg
        conn: asyncpg.Connection | None = None
        failures = 0
        try:
            while True:
                await self._queued.wait()
                self._queued.clear()
                signals = self._take()
                if not signals:
                    continue
                try:
                    if conn is None or conn.is_closed():
                        conn = await asyncpg.connect(self.url, server_settings={"application_name": "xietong-signals"})
                        self.channel = _channel(await conn.fetchval("SELECT current_schema()"))
                    for payload in _payloads(self.token, signals):
                        await conn.execute("SELECT pg_notify($1, $2)", self.channel, payload)
                        self.sent += 1
                    failures = 0
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                    log.warning("could not notify the other hub processes (%s); they poll meanwhile", e)
                    if conn is not None:
                        conn.terminate()
                    conn = None
                    for s in signals:       # said again once connected (wake: "look now")
                        if not s.startswith("w"):
                            self._pending.setdefault(s)
                    self._wake_now = self._wake_now or any(s.startswith("w") for s in signals)
                    self._queued.set()
                    await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
                    failures += 1
        finally:
            if conn is not None:
                await asyncio.shield(conn.close())

    async def _listen_loop(self) -> None:
        import asyncpg
        attempt = 0
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(self.url, server_settings={"application_name": "xietong-listen"})
            except (OSError, asyncpg.PostgresError) as e:
                log.warning("cannot listen to the other hub processes (%s); trying again", e)
                await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
                attempt += 1
                continue
            try:
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                channel = _channel(await conn.fetchval("SELECT current_schema()"))
                await conn.add_listener(channel, self._heard)
                self._act(["p", "w"])    # notifications may have gone by while it was not listening
                attempt = 0
                self.listening.set()
                await lost.wait()
                log.warning("lost the connection that listens to the other hub processes; reconnecting")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.warning("listening to the other hub processes failed (%s); reconnecting", e)
            finally:
                self.listening.clear()
                if not conn.is_closed():
                    await asyncio.shield(conn.close())
            attempt += 1
            await asyncio.sleep(RECONNECT_SECONDS[0])

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        token, _, rest = payload.partition(" ")
        if token == self.token:
            return
        self.heard += 1
        self._act(rest.split())

    def _act(self, signals: list[str]) -> None:
        """Do here what the other process did at home (local only: never sent on again)."""
        woken = False
        for s in signals:
            try:
                kind, arg = s[0], s[1:]
                if kind == "p":
                    self.local.published()
                elif kind == "t":
                    self.local.todo_changed(int(arg))
                elif kind == "x":
                    user, _, key = arg.partition(":")
                    self.local.end_sessions(int(user), key or None)
                elif kind == "w" and not woken:
                    self.local.wake(datetime.fromisoformat(arg) if arg else None)
                    woken = not arg
            except (ValueError, IndexError):
                log.warning("ignoring a notification signal we cannot read: %r", s)


def _channel(schema: str) -> str:
    return f"xietong:{schema}"[:63]


def _payloads(token: str, signals: list[str]) -> list[str]:
    """The signals joined into notifications of at most PAYLOAD_BYTES, each starting with the token."""
    out: list[str] = []
    current = token
    for s in signals:
        if len(current) + 1 + len(s) > PAYLOAD_BYTES and current != token:
            out.append(current)
            current = token
        current += " " + s
    if current != token:
        out.append(current)
    return out
