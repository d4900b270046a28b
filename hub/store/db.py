"""Connections, transactions and numbered migrations on SQLite (WAL)."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

from hub.errors import XietongError
from hub.store.audit import AuditQueries
from hub.store.documents import DocumentQueries
from hub.store.identity import LoginQueries, SessionQueries, TokenQueries, UnitQueries, UserQueries
from hub.store.items import DeliveryQueries, EventQueries, ItemQueries, OutboxQueries, TimerQueries
from hub.store.otp import OtpQueries
from hub.store.seals import SealQueries
from hub.store.sms import SmsQueries

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, file name, SQL) of every migration shipped, in order."""
    found = []
    for entry in resources.files("hub.store").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def schema_version_known() -> int:
    return len(migrations())


class Tx:
    """One transaction's view of the store: the query groups on one connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.units = UnitQueries(conn)
        self.users = UserQueries(conn)
        self.sessions = SessionQueries(conn)
        self.logins = LoginQueries(conn)
        self.tokens = TokenQueries(conn)
        self.audit = AuditQueries(conn)
        self.items = ItemQueries(conn)
        self.deliveries = DeliveryQueries(conn)
        self.events = EventQueries(conn)
        self.outbox = OutboxQueries(conn)
        self.timers = TimerQueries(conn)
        self.sms = SmsQueries(conn)
        self.documents = DocumentQueries(conn)
        self.otp = OtpQueries(conn)
        self.seals = SealQueries(conn)


class Store:
    def __init__(self, path: str | Path, readers: int = 4, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self._readers_wanted = readers
        self._synchronous = synchronous
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self.schema_version = 0

    @classmethod
    async def open(cls, path: str | Path, readers: int = 4, synchronous: str = "FULL",
                   create: bool = True) -> Store:
        """Open (and create, unless `create` is false) a database, migrating it to this code."""
        store = cls(path, readers, synchronous)
        if not create and not store.path.exists():
            raise XietongError("db.not_initialised", path=str(store.path))
        store.path.parent.mkdir(parents=True, exist_ok=True)
        store._writer = await store._connect(readonly=False)
        await store._migrate()
        for _ in range(readers):
            conn = await store._connect(readonly=True)
            store._all_readers.append(conn)
            store._readers.put_nowait(conn)
        return store

    async def _connect(self, readonly: bool) -> aiosqlite.Connection:
        if readonly:
            conn = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            await conn.execute("PRAGMA query_only = ON")
        else:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        return conn

    async def _migrate(self) -> None:
        assert self._writer is not None
        shipped = migrations()
        async with self._writer.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        current = int(row[0]) if row else 0
        if current > len(shipped):
            await self.close()
            raise XietongError("db.too_new", found=current, known=len(shipped))
        for number, name, sql in shipped[current:]:
            log.info("applying migration %s", name)
            # executescript commits first; run the statements ourselves inside one transaction
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(sql):
                    await self._writer.execute(statement)
                await self._writer.execute(f"PRAGMA user_version = {number}")
                await self._writer.execute("COMMIT")
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
        self.schema_version = len(shipped)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """The one writer: a whole use-case commits together or not at all."""
        assert self._writer is not None, "store is closed"
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._writer)
            except BaseException:
                await asyncio.shield(self._writer.execute("ROLLBACK"))
                raise
            await asyncio.shield(self._writer.execute("COMMIT"))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A consistent read-only snapshot on one of the reader connections."""
        conn = await self._readers.get()
        try:
            await conn.execute("BEGIN")
            try:
                yield Tx(conn)
            finally:
                await conn.execute("COMMIT")
        finally:
            self._readers.put_nowait(conn)

    async def backup(self, dest: str | Path) -> None:
        """A consistent copy of the live database (SQLite's online backup)."""
        assert self._writer is not None
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        async with aiosqlite.connect(tmp) as target, self._write_lock:
            await self._writer.backup(target)
        tmp.replace(dest)

    async def close(self) -> None:
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
