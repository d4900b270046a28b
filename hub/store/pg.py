"""The store on PostgreSQL (asyncpg): the same `write()` / `read()` as the SQLite store.

Writes: a use-case is `async with store.write() as tx:`, one transaction on a pooled connection
that commits when the block ends or rolls back whole if it raises. Its first statement takes one
transaction-scoped advisory lock (per schema), so write transactions run one at a time across
every process on the database, as SQLite's one writer does: the gapless numbers (receipt
numbers, 文号, 收文编号), read-and-incremented inside a write, stay gapless and unique. This
lock is the first thing to refine for speed (per-counter locks or rows locked FOR UPDATE).

Reads: `async with store.read() as tx:` is a read-only REPEATABLE READ transaction (one
snapshot), or with snapshot=False single statements each seeing the latest commit.

The URL is asyncpg's: postgresql://user@host:port/database; query parameters other than
asyncpg's own are server settings, e.g. `?search_path=xietong` to keep the tables in a schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from hub.errors import XietongError
from hub.store.db import Tx
from hub.store.pg_connection import PgConnection
from hub.store.pg_schema import id_tables, migrate

WRITE_LOCK = "SELECT pg_advisory_xact_lock(1482905943, hashtext(current_schema()))"   # 'XTMW'


async def _init_connection(conn: asyncpg.Connection) -> None:
    # numeric comes only from sum()/avg() over integers (the schema has no NUMERIC column): read
    # it as SQLite gives it, an int when whole, else a float
    await conn.set_type_codec("numeric", schema="pg_catalog", format="text", encoder=str,
                              decoder=lambda v: int(v) if v.lstrip("-").isdigit() else float(v))


class PgStore:
    """The database on PostgreSQL: a pool of connections, writes serialised by an advisory lock."""

    dialect = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool, ids: frozenset[str], schema_version: int) -> None:
        self.url = url
        self._pool = pool
        self._id_tables = ids
        self.schema_version = schema_version
        self.commits = 0                    # COMMITs and the use-cases they carried (metrics, tests)
        self.committed_use_cases = 0

    @classmethod
    async def open(cls, url: str, readers: int = 4, create: bool = True) -> PgStore:
        """Connect, and migrate the schema to this code (unless `create` is false and it is empty)."""
        pool = await asyncpg.create_pool(url, min_size=1, max_size=readers + 2, init=_init_connection)
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
        """One use-case, one transaction: it commits whole when the block ends, or rolls back."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(WRITE_LOCK)
            yield Tx(PgConnection(conn, self._id_tables))
        self.commits += 1
        self.committed_use_cases += 1

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
        await asyncio.shield(self._pool.close())

    def __repr__(self) -> str:
        return f"PgStore({self.url!r})"
