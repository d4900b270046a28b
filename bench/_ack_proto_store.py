"""PROTOTYPE, bench only: two ways the Store could run the same use-cases with fewer thread hops.

Imported by bench/_ack_serve_probe.py when BENCH_PROTO is set; it replaces Store.read/Store.write
in the server process (the product code is untouched; every service, query and SQL statement
stays the same). Durability stays: synchronous=FULL, a use-case returns only after the COMMIT
that contains it has returned.

BENCH_PROTO=inline   statements run on the event-loop thread straight on a sqlite3 connection
                     (a statement here is 5-30 us; an aiosqlite hop costs more than that), and
                     only COMMIT - the fsync - goes to a worker thread: 1 hop per write instead
                     of ~19, 0 per read instead of ~11.
BENCH_PROTO=prefetch keeps aiosqlite and its threads, but every execute() runs the statement and
                     fetches all its rows in ONE hop (what `execute_fetchall` does), so a SELECT
                     costs 1 hop instead of 3 (execute, fetchone, cursor close): ~16 hops per ack
                     instead of ~30. The smallest change to the query layer.
BENCH_PROTO=group    inline + group commit: use-cases that queue up for the writer while a
                     COMMIT is in flight run one after another, each under its own SAVEPOINT,
                     in one transaction, and share one COMMIT (one fsync). A use-case that
                     fails rolls back to its savepoint only.

Extra patches, combinable with a comma (e.g. BENCH_PROTO=group,feedskip,fastparse):

feedskip   the realtime feed, when nobody is subscribed, only notes the newest event id instead
           of reading and encoding every new event after each commit.
fastparse  hub.clock.parse_utc via datetime.fromisoformat (same result; ~100x cheaper than strptime).

Not production code: no busy-timeout handling on the loop, no backup/close integration.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import hub.store.db as dbmod

MODE = os.environ.get("BENCH_PROTO", "")
batches: list[int] = []       # use-cases per COMMIT, read (and emptied) by the probe


class _Cursor:
    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    async def fetchone(self) -> Any:
        return self._cur.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cur.fetchmany(size) if size else self._cur.fetchmany()

    async def close(self) -> None:
        self._cur.close()

    def __aiter__(self) -> "_Cursor":
        return self

    async def __anext__(self) -> Any:
        row = self._cur.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class _Result:
    """What aiosqlite's execute returns: awaitable, and usable with `async with`."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._cur: _Cursor | None = None

    async def _go(self) -> _Cursor:
        self._cur = _Cursor(self._run())
        return self._cur

    def __await__(self) -> Any:
        return self._go().__await__()

    async def __aenter__(self) -> _Cursor:
        return await self._go()

    async def __aexit__(self, *exc: Any) -> None:
        if self._cur is not None:
            await self._cur.close()


class InlineConnection:
    """The subset of aiosqlite.Connection the query classes use, run synchronously on the loop."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = ()) -> _Result:
        return _Result(lambda: self.raw.execute(sql, parameters))

    def executemany(self, sql: str, seq: Any) -> _Result:
        return _Result(lambda: self.raw.executemany(sql, seq))


def _raw(path: str, readonly: bool, synchronous: str) -> sqlite3.Connection:
    if readonly:
        c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        c.execute("PRAGMA query_only = ON")
    else:
        c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        c.execute("PRAGMA journal_mode = WAL")
        c.execute(f"PRAGMA synchronous = {synchronous}")
    c.row_factory = sqlite3.Row
    c.execute("PRAGMA foreign_keys = ON")
    c.execute("PRAGMA busy_timeout = 5000")
    return c


_orig_open = dbmod.Store.open.__func__   # type: ignore[attr-defined]


async def _open(cls: type, path: Any, readers: int = 4, synchronous: str = "FULL", create: bool = True) -> Any:
    store = await _orig_open(cls, path, readers, synchronous, create)    # migrations as before
    store._raw_writer = _raw(str(store.path), False, synchronous)
    store._raw_readers = [_raw(str(store.path), True, synchronous) for _ in range(max(1, readers))]
    store._raw_free = list(store._raw_readers)
    store._committer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="xietong-commit")
    store._proto_lock = asyncio.Lock()
    store._batch = None
    return store


@contextlib.asynccontextmanager
async def _read(self: Any) -> AsyncIterator[dbmod.Tx]:
    raw = self._raw_free.pop() if self._raw_free else _raw(str(self.path), True, self._synchronous)
    try:
        raw.execute("BEGIN")
        try:
            yield dbmod.Tx(InlineConnection(raw))   # type: ignore[arg-type]
        finally:
            raw.execute("COMMIT")
    finally:
        self._raw_free.append(raw)


async def _commit(self: Any) -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(self._committer, self._raw_writer.execute, "COMMIT")


@contextlib.asynccontextmanager
async def _write_inline(self: Any) -> AsyncIterator[dbmod.Tx]:
    raw = self._raw_writer
    async with self._proto_lock:
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield dbmod.Tx(InlineConnection(raw))   # type: ignore[arg-type]
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        await asyncio.shield(_commit(self))
        batches.append(1)


async def _group_committer(self: Any) -> None:
    """Commit the open group once the use-cases already waiting for the writer have joined it."""
    async with self._proto_lock:          # FIFO: bodies queued before us run first, in this group
        batch, self._batch = self._batch, None
        fut, size = batch
        try:
            await _commit(self)
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self._raw_writer.execute("ROLLBACK")
            if not fut.done():
                fut.set_exception(exc)
            raise
        batches.append(size[0])
        fut.set_result(None)


@contextlib.asynccontextmanager
async def _write_group(self: Any) -> AsyncIterator[dbmod.Tx]:
    raw = self._raw_writer
    loop = asyncio.get_running_loop()
    async with self._proto_lock:
        if self._batch is None:
            raw.execute("BEGIN IMMEDIATE")
            self._batch = (loop.create_future(), [0])
            loop.create_task(_group_committer(self))
        fut, size = self._batch
        raw.execute("SAVEPOINT usecase")
        try:
            yield dbmod.Tx(InlineConnection(raw))   # type: ignore[arg-type]
        except BaseException:
            raw.execute("ROLLBACK TO usecase")
            raw.execute("RELEASE usecase")
            raise
        raw.execute("RELEASE usecase")
        size[0] += 1
    await asyncio.shield(fut)         # durable before the caller goes on


class _Prefetched:
    """A cursor whose rows were fetched in the same hop as the statement ran."""

    def __init__(self, rows: list[Any], lastrowid: int | None, rowcount: int) -> None:
        self._rows, self.lastrowid, self.rowcount = rows, lastrowid, rowcount
        self._i = 0

    async def fetchone(self) -> Any:
        if self._i >= len(self._rows):
            return None
        self._i += 1
        return self._rows[self._i - 1]

    async def fetchall(self) -> list[Any]:
        rows, self._i = self._rows[self._i:], len(self._rows)
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows[self._i:self._i + (size or 1)]
        self._i += len(rows)
        return rows

    async def close(self) -> None:
        return None

    def __aiter__(self) -> "_Prefetched":
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class _PrefetchResult:
    def __init__(self, conn: Any, sql: str, parameters: Any, many: bool = False) -> None:
        self._conn, self._sql, self._parameters, self._many = conn, sql, parameters, many

    def _run(self) -> _Prefetched:
        raw = self._conn._conn
        cur = (raw.executemany if self._many else raw.execute)(self._sql, self._parameters)
        try:
            return _Prefetched(cur.fetchall(), cur.lastrowid, cur.rowcount)
        finally:
            cur.close()

    async def _go(self) -> _Prefetched:
        return await self._conn._execute(self._run)

    def __await__(self) -> Any:
        return self._go().__await__()

    async def __aenter__(self) -> _Prefetched:
        return await self._go()

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _install_prefetch() -> None:
    import aiosqlite.core

    def execute(self: Any, sql: str, parameters: Any = None) -> _PrefetchResult:
        return _PrefetchResult(self, sql, parameters if parameters is not None else [])

    def executemany(self: Any, sql: str, parameters: Any) -> _PrefetchResult:
        return _PrefetchResult(self, sql, parameters, many=True)

    aiosqlite.core.Connection.execute = execute          # type: ignore[method-assign,assignment]
    aiosqlite.core.Connection.executemany = executemany  # type: ignore[method-assign,assignment]


def _install_feedskip() -> None:
    from hub.notify.feed import EventFeed
    orig = EventFeed.distribute

    async def distribute(self: Any) -> int:
        if self.subscribers:
            return await orig(self)
        async with self.store.read() as tx:
            self.last_id = max(self.last_id, await tx.events.last_id())
        return 0

    EventFeed.distribute = distribute              # type: ignore[method-assign]


def _install_fastparse() -> None:
    import importlib
    from datetime import UTC, datetime

    def parse_utc(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(UTC)

    for name in ("hub.clock", "hub.store.items", "hub.store.identity", "hub.store.sms", "hub.services.stats"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(mod, "parse_utc"):
            mod.parse_utc = parse_utc  # type: ignore[attr-defined]


def install() -> None:
    modes = set(filter(None, MODE.split(",")))
    unknown = modes - {"prefetch", "inline", "group", "feedskip", "fastparse"}
    if unknown or len(modes & {"prefetch", "inline", "group"}) > 1:
        raise SystemExit(f"BENCH_PROTO: prefetch|inline|group, plus feedskip, fastparse; not {MODE!r}")
    if "feedskip" in modes:
        _install_feedskip()
    if "fastparse" in modes:
        _install_fastparse()
    if "prefetch" in modes:
        _install_prefetch()
    if modes & {"inline", "group"}:
        dbmod.Store.open = classmethod(_open)          # type: ignore[method-assign,assignment]
        dbmod.Store.read = _read                       # type: ignore[method-assign]
        dbmod.Store.write = _write_inline if "inline" in modes else _write_group   # type: ignore[method-assign]
