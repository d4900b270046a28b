"""The store on PostgreSQL (asyncpg): the same `write()` / `read()` as the SQLite store.

Writes: a use-case is `async with store.write() as tx:`; it returns once the COMMIT that holds
it has returned, and rolls back whole if its block raises. As on SQLite (hub/store/db.py), the
process has one writer: use-cases that queue for it while one runs join the same transaction, each
under its own SAVEPOINT (one that fails rolls back to it, the others stand), and share one COMMIT.
The transaction's first statement takes one transaction-scoped advisory lock (per schema), so
write transactions run one at a time across every process on the database: the gapless numbers
(receipt numbers, 文号, 收文编号), read-and-incremented inside a write, stay gapless and unique, and
"read inside a write, then act" holds across processes. Under load a transaction carries many
use-cases, so the lock and the COMMIT's flush are paid once for all of them.

Reads: `async with store.read() as tx:` is a read-only REPEATABLE READ transaction (one
snapshot), or with snapshot=False single statements each seeing the latest commit.

The URL is asyncpg's: postgresql://user@host:port/database; query parameters other than
asyncpg's own are server settings, e.g. `?search_path=xietong` to keep the tables in a schema.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import asyncpg

from hub.errors import XietongError
from hub.store.audit import ChainHead
from hub.store.db import Tx
from hub.store.pg_connection import PgConnection
from hub.store.pg_schema import id_tables, migrate

T = TypeVar("T")

IDLE_IN_WRITE_MS = 30_000   # ?idle_in_transaction_session_timeout=MS in the URL sets another
WRITE_LOCK = "SELECT pg_advisory_xact_lock(1482905943, hashtext(current_schema()))"   # 'XTMW'


async def _init_connection(conn: asyncpg.Connection) -> None:
    # numeric comes only from sum()/avg() over integers (the schema has no NUMERIC column): read
    # it as SQLite gives it, an int when whole, else a float
    await conn.set_type_codec("numeric", schema="pg_catalog", format="text", encoder=str,
                              decoder=lambda v: int(v) if v.lstrip("-").isdigit() else float(v))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A connection going back to the pool keeps its session: the store never sets a session
    setting, takes a session-level lock, opens a cursor or LISTENs on one (the signals' listener has
    its own connection), and asyncpg has already rolled back a transaction left open. asyncpg's
    default reset query would cost a round trip per read and per write transaction."""


@dataclass(eq=False)
class _Group:
    """Use-cases sharing one transaction and one COMMIT (group commit)."""

    conn: asyncpg.pool.PoolConnectionProxy
    committed: asyncio.Future[None]
    size: int = 0              # use-cases that ended well (they commit with it)
    used: int = 0              # use-cases that began in it
    closing: bool = False      # its COMMIT is queued
    aborted: bool = False      # its first use-case failed: rolled back, nothing to commit
    lost: BaseException | None = None   # a savepoint could not be rolled back to: the whole group fails
    head: ChainHead = field(default_factory=ChainHead)   # the audit chain's head inside it


class PgStore:
    """The database on PostgreSQL: a pool of connections, one writer per process (group commit),
    write transactions serialised across processes by an advisory lock."""

    dialect = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool, ids: frozenset[str], schema_version: int) -> None:
        self.url = url
        self._pool = pool
        self._id_tables = ids
        self.schema_version = schema_version
        self.commits = 0                    # COMMITs and the use-cases they carried (metrics, tests)
        self.committed_use_cases = 0
        self._lock = asyncio.Lock()         # the writer: one use-case at a time in this process
        self._group: _Group | None = None

    @classmethod
    async def open(cls, url: str, readers: int = 4, create: bool = True) -> PgStore:
        """Connect, and migrate the schema to this code (unless `create` is false and it is empty)."""
        # a process frozen inside a write (stopped, its VM paused) would hold every process's writes up
        # behind the advisory lock: the server ends such a session after this, and the lock with it
        settings = {} if "idle_in_transaction_session_timeout=" in url else {
            "idle_in_transaction_session_timeout": str(IDLE_IN_WRITE_MS)}
        pool = await asyncpg.create_pool(url, min_size=1, max_size=readers + 2, init=_init_connection,
                                         reset=_keep_session, server_settings=settings)
        try:
            async with pool.acquire() as conn:
                if not create and not await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL"):
                    raise XietongError("db.not_initialised", path=url)
                version = await migrate(conn)
                ids = await id_tables(conn)
        except BaseException:
            await pool.close()
            raise
        return cls(url, pool, ids, version)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One use-case: it commits whole, with the others of its group, or not at all (see the module).

        Round trips are what a use-case pays for here (a statement is ~0.25 ms on a small VM), so the
        group's first use-case runs without a savepoint (if it fails the transaction is rolled back and
        the next use-case begins another), and a later one's savepoint also releases the one before."""
        async with self._lock:
            group = self._group
            if group is None:
                group = self._group = await self._begin()
            conn, first = group.conn, group.used == 0
            group.used += 1
            if not first:
                await _to_the_end(conn.execute(
                    "RELEASE SAVEPOINT use_case; SAVEPOINT use_case" if group.used > 2 else "SAVEPOINT use_case"))
            try:
                yield Tx(PgConnection(conn, self._id_tables), group.head)
            except BaseException:
                group.head.forget()
                if first:       # nothing else is in the transaction yet: roll it back whole
                    group.aborted, self._group = True, None
                    with contextlib.suppress(Exception):
                        await _to_the_end(conn.execute("ROLLBACK"))
                else:
                    try:
                        await _to_the_end(conn.execute("ROLLBACK TO SAVEPOINT use_case"))
                    except BaseException as lost:  # noqa: BLE001 - the connection is gone: nothing in the group can commit
                        group.lost = lost
                raise
            else:
                group.size += 1
            finally:
                if not group.closing:
                    # it queues for the writer behind the use-cases waiting now: they join this group
                    group.closing = True
                    asyncio.get_running_loop().create_task(self._commit(group))
        await asyncio.shield(group.committed)

    async def _begin(self) -> _Group:
        conn = await self._pool.acquire()
        try:   # one round trip; the lock waits while another process writes
            await _to_the_end(conn.execute(f"BEGIN; {WRITE_LOCK}"))
        except BaseException:
            await self._pool.release(conn)     # the pool resets it (rolls back) on release
            raise
        return _Group(conn, asyncio.get_running_loop().create_future())

    async def _commit(self, group: _Group) -> None:
        async with self._lock:
            if self._group is group:
                self._group = None
            try:
                if group.aborted:               # its only use-case failed and rolled it back
                    group.committed.set_result(None)
                    return
                if group.lost is not None:
                    raise ConnectionError(f"the write transaction was lost: {group.lost}") from group.lost
                await group.conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    await group.conn.execute("ROLLBACK")
                group.committed.set_exception(exc)
                group.committed.exception()     # retrieved: the use-cases waiting re-raise it
                if not isinstance(exc, Exception):
                    raise
                return
            finally:
                await self._pool.release(group.conn)
            self.commits += 1
            self.committed_use_cases += group.size
            group.committed.set_result(None)

    @asynccontextmanager
    async def read(self, snapshot: bool = True) -> AsyncIterator[Tx]:
        """A consistent read-only snapshot (or, snapshot=False, each statement its own)."""
        async with self._pool.acquire() as conn:
            if snapshot:
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    yield Tx(PgConnection(conn, self._id_tables))
            else:
                yield Tx(PgConnection(conn, self._id_tables))

    async def backup(self, dest: str | Path) -> None:
        raise XietongError("db.backup_pg_dump", path=str(dest))

    async def close(self) -> None:
        """Wait for the open group's COMMIT, then close every connection."""
        while self._group is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._group.committed)
        await asyncio.shield(self._pool.close())

    def __repr__(self) -> str:
        return f"PgStore({self.url!r})"


async def _to_the_end(work: Awaitable[T]) -> T:
    """Await a statement on the writer; if the caller is cancelled meanwhile, still wait for it to end
    (the connection is shared by the group: the next use-case's statement must not overlap it), then re-raise."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
        raise
