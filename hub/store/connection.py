"""The connection the query classes talk to: `execute` and `executemany`, with whole results.

Two kinds sit behind the one interface:

* `LoopConnection`, the writer's: statements run on the event-loop thread, straight on a
  `sqlite3` connection. A write statement here takes 5-30 us, less than handing it to a thread
  and back (~60 us of CPU per hand-off on this hardware, and an acknowledgement runs ~20
  statements). Only the two statements that can wait on something else - BEGIN IMMEDIATE (another
  process may hold the write lock) and COMMIT (the fsync) - go to the writer's thread (see
  `Store.write`).
* `ReaderConnection`, the readers': statements run on aiosqlite's thread for that connection,
  because a read may be long (a report, a search, a replay) and must not stall the loop; each
  statement is ONE hand-off, its rows fetched whole (`execute_fetchall`), where an aiosqlite
  cursor costs three (execute, fetch, close).

Either way the query code reads the same: `async with conn.execute(sql, args) as cur: row =
await cur.fetchone()`, or `cur = await conn.execute(...)` then `cur.lastrowid` / `cur.rowcount`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from typing import Any, Protocol

import aiosqlite

Params = Sequence[Any] | dict[str, Any]


class Rows:
    """A statement's whole result: its rows, and for a write the last row id and rows changed."""

    __slots__ = ("_next", "_rows", "lastrowid", "rowcount")

    def __init__(self, rows: list[sqlite3.Row], lastrowid: int | None = None, rowcount: int = -1) -> None:
        self._rows, self._next = rows, 0
        self.lastrowid, self.rowcount = lastrowid, rowcount

    async def fetchone(self) -> sqlite3.Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[sqlite3.Row]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest


class Result:
    """What `execute` returns: await it for the `Rows`, or use it with `async with`."""

    __slots__ = ("_run",)

    def __init__(self, run: Callable[[], Awaitable[Rows]]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, Rows]:
        return self._run().__await__()

    async def __aenter__(self) -> Rows:
        return await self._run()

    async def __aexit__(self, *exc: object) -> None:
        return None


class Connection(Protocol):
    dialect: str    # 'sqlite' or 'postgresql': where a query module needs the other dialect's SQL

    def execute(self, sql: str, parameters: Params = ()) -> Result: ...

    def executemany(self, sql: str, seq: Iterable[Params]) -> Result: ...


class LoopConnection:
    """A `sqlite3` connection whose statements run right here, on the calling (loop) thread."""

    dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Params = ()) -> Result:
        async def run() -> Rows:
            cur = self.raw.execute(sql, parameters)
            try:
                return Rows(cur.fetchall(), cur.lastrowid, cur.rowcount)
            finally:
                cur.close()
        return Result(run)

    def executemany(self, sql: str, seq: Iterable[Params]) -> Result:
        async def run() -> Rows:
            cur = self.raw.executemany(sql, seq)
            try:
                return Rows([], cur.lastrowid, cur.rowcount)
            finally:
                cur.close()
        return Result(run)


class ReaderConnection:
    """An aiosqlite connection: one thread hand-off per statement, the rows fetched in it."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Params = ()) -> Result:
        async def run() -> Rows:
            return Rows(list(await self.conn.execute_fetchall(sql, parameters)))
        return Result(run)

    def executemany(self, sql: str, seq: Iterable[Params]) -> Result:
        async def run() -> Rows:
            await self.conn.executemany(sql, seq)
            return Rows([])
        return Result(run)
