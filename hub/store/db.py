"""Connections, transactions and numbered migrations on SQLite (WAL)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from hub.errors import XietongError
from hub.store.audit import AuditQueries, ChainHead
from hub.store.cabinet import CabinetQueries
from hub.store.chases import ChaseQueries
from hub.store.circulars import CircularQueries, UsageQueries
from hub.store.circulations import CirculationQueries
from hub.store.connection import Connection, LoopConnection, ReaderConnection
from hub.store.delegations import DelegationQueries
from hub.store.documents import DocumentQueries
from hub.store.duty_board import BoardQueries
from hub.store.duty_log import DutyLogQueries
from hub.store.identity import LoginQueries, SessionQueries, TokenQueries, UnitQueries, UserQueries
from hub.store.incoming import IncomingQueries
from hub.store.item_lists import ItemListQueries
from hub.store.items import DeliveryQueries, EventQueries, ItemQueries, OutboxQueries
from hub.store.meeting_attendance import MeetingAttendanceQueries
from hub.store.meetings import MeetingQueries
from hub.store.otp import OtpQueries
from hub.store.phonebook import PhonebookQueries
from hub.store.processes import ProcessQueries
from hub.store.public_services import PublicServiceQueries
from hub.store.recipient_groups import RecipientGroupQueries
from hub.store.registers import RegisterQueries
from hub.store.reports import ReportQueries
from hub.store.resend import RoundQueries
from hub.store.roads import RoadQueries
from hub.store.seals import SealQueries
from hub.store.search import SearchQueries
from hub.store.sms import SmsQueries
from hub.store.supervision import SupervisionQueries
from hub.store.timers import TimerQueries

log = logging.getLogger(__name__)
T = TypeVar("T")

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

    def __init__(self, conn: Connection, head: ChainHead | None = None) -> None:
        """`head`: in a write transaction, the audit chain's head as that transaction left it."""
        self.conn = conn
        self.units = UnitQueries(conn)
        self.users = UserQueries(conn)
        self.sessions = SessionQueries(conn)
        self.logins = LoginQueries(conn)
        self.tokens = TokenQueries(conn)
        self.audit = AuditQueries(conn, head)
        self.items = ItemQueries(conn)
        self.deliveries = DeliveryQueries(conn)
        self.events = EventQueries(conn)
        self.outbox = OutboxQueries(conn)
        self.timers = TimerQueries(conn)
        self.sms = SmsQueries(conn)
        self.documents = DocumentQueries(conn)
        self.otp = OtpQueries(conn)
        self.seals = SealQueries(conn)
        self.board = BoardQueries(conn)          # the duty desk's board
        self.duty_log = DutyLogQueries(conn)     # shifts, handovers, the duty log
        self.chases = ChaseQueries(conn)         # the sender's manual reminders (催办)
        self.lists = ItemListQueries(conn)       # the filtered inbox and sent list
        self.recipient_groups = RecipientGroupQueries(conn)   # each sender's saved groups
        self.roads = RoadQueries(conn)           # the office roads' open steps and history
        self.incoming = IncomingQueries(conn)    # the incoming road (收文): register, numbers, scans
        self.supervision = SupervisionQueries(conn)   # 督办, and the SMS of road moves (催办) by history row
        self.registers = RegisterQueries(conn)   # the 发文登记簿, and the units the registers name
        self.rounds = RoundQueries(conn)         # a delivery's rounds: returned after review, re-sent
        self.circulations = CirculationQueries(conn)   # 传阅: circulations and their readers
        self.meetings = MeetingQueries(conn)     # 会议管理: meetings, invitees, replies, attendees
        self.meeting_attendance = MeetingAttendanceQueries(conn)   # 签到 and the attendance lists
        self.circulars = CircularQueries(conn)   # 通报: the office's circulars of a period
        self.usage = UsageQueries(conn)          # logins, active users, reports: the circular's usage figures
        self.delegations = DelegationQueries(conn)   # 代理: delegations, and the session acting under one
        self.reports = ReportQueries(conn)       # 信息报送: reports sent up and their receipt numbers
        self.processes = ProcessQueries(conn)    # the hub processes sharing a PostgreSQL database
        self.search = SearchQueries(conn)        # 公文检索: the searchable documents and their index
        self.cabinet = CabinetQueries(conn)      # 文件柜: drawers, folders, places, uploaded files, the bin
        self.phonebook = PhonebookQueries(conn)  # 通讯录 entries the unit admins keep, and duty phones
        self.public_services = PublicServiceQueries(conn)   # 公共服务: links, forms, reference information


class TransactionLost(sqlite3.OperationalError):
    """SQLite aborted the whole group transaction (disk full, I/O error): nothing in it was kept."""


@dataclass(eq=False)
class _Group:
    """Use-cases sharing one transaction and one COMMIT (group commit)."""

    committed: asyncio.Future[None]
    size: int = 0
    closing: bool = False      # its COMMIT is queued
    lost: BaseException | None = None
    head: ChainHead = field(default_factory=ChainHead)   # the audit chain's head inside it


class SqliteStore:
    """The database: one writer (group commit, statements on the loop), a pool of readers.

    Writes: a use-case is `async with store.write() as tx:`; it returns only after the COMMIT
    that holds it has returned (synchronous=FULL by default: durable). Use-cases that queue for the
    writer while one runs join the same transaction, each under its own SAVEPOINT - a use-case that
    fails rolls back to its savepoint, the others stand - and share one COMMIT, one fsync. Under
    load a commit carries many use-cases; alone, a use-case commits at once.
    """

    dialect = "sqlite"

    def __init__(self, path: str | Path, readers: int = 4, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self._synchronous = synchronous
        self._raw: sqlite3.Connection | None = None
        self._writer: LoopConnection | None = None
        self._thread: ThreadPoolExecutor | None = None   # BEGIN IMMEDIATE and COMMIT: the waits
        self._lock = asyncio.Lock()
        self._group: _Group | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self.schema_version = 0
        self.commits = 0                    # COMMITs and the use-cases they carried (metrics, tests)
        self.committed_use_cases = 0

    @classmethod
    async def open(cls, path: str | Path, readers: int = 4, synchronous: str = "FULL",
                   create: bool = True) -> SqliteStore:
        """Open (and create, unless `create` is false) a database, migrating it to this code."""
        store = cls(path, readers, synchronous)
        if not create and not store.path.exists():
            raise XietongError("db.not_initialised", path=str(store.path))
        store.path.parent.mkdir(parents=True, exist_ok=True)
        store._thread = ThreadPoolExecutor(1, thread_name_prefix="xietong-writer")
        store._raw = await store._in_thread(store._connect_writer)
        store._writer = LoopConnection(store._raw)
        try:
            store._migrate()
        except BaseException:
            await store.close()
            raise
        for _ in range(readers):
            conn = await store._connect_reader()
            store._all_readers.append(conn)
            store._readers.put_nowait(conn)
        return store

    def _connect_writer(self) -> sqlite3.Connection:
        # used from the loop thread and the writer's thread, never both at once (the write lock)
        raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute(f"PRAGMA synchronous = {self._synchronous}")
        _configure(raw)
        return raw

    async def _connect_reader(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        await conn.execute("PRAGMA query_only = ON")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        conn.row_factory = sqlite3.Row
        return conn

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._thread is not None, "store is closed"
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _migrate(self) -> None:
        """At start-up, before anything else runs: on the loop thread, each migration in one transaction."""
        raw = self._raw
        assert raw is not None
        shipped = migrations()
        current = int(raw.execute("PRAGMA user_version").fetchone()[0])
        if current > len(shipped):
            raise XietongError("db.too_new", found=current, known=len(shipped))
        for number, name, sql in shipped[current:]:
            log.info("applying migration %s", name)
            # executescript commits first; run the statements ourselves inside one transaction
            raw.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(sql):
                    raw.execute(statement)
                raw.execute(f"PRAGMA user_version = {number}")
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
        self.schema_version = len(shipped)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """The one writer: a whole use-case commits together or not at all (see the class)."""
        raw, writer = self._raw, self._writer
        assert raw is not None and writer is not None, "store is closed"
        async with self._lock:
            group = self._group
            if group is None:
                try:
                    await _to_the_end(self._in_thread(raw.execute, "BEGIN IMMEDIATE"))
                except asyncio.CancelledError:
                    # the caller went away (a client hung up) while BEGIN ran on the writer's thread:
                    # it ran to its end all the same; leave no transaction open without a group
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
                    raise
                group = self._group = _Group(asyncio.get_running_loop().create_future())
            raw.execute("SAVEPOINT use_case")
            try:
                yield Tx(writer, group.head)
            except BaseException:
                group.head.forget()
                self._undo_use_case(raw, group)
                raise
            else:
                raw.execute("RELEASE use_case")
                group.size += 1
            finally:
                if not group.closing:
                    # it queues for the writer behind the use-cases waiting now: they join this group
                    group.closing = True
                    asyncio.get_running_loop().create_task(self._commit(group))
        await asyncio.shield(group.committed)

    @staticmethod
    def _undo_use_case(raw: sqlite3.Connection, group: _Group) -> None:
        try:
            raw.execute("ROLLBACK TO use_case")
            raw.execute("RELEASE use_case")
        except sqlite3.Error as exc:      # SQLite already rolled the whole transaction back
            group.lost = exc

    async def _commit(self, group: _Group) -> None:
        raw = self._raw
        assert raw is not None
        async with self._lock:
            self._group = None
            try:
                if group.lost is not None or not raw.in_transaction:
                    raise TransactionLost(f"the transaction was rolled back by SQLite: {group.lost}")
                await self._in_thread(raw.execute, "COMMIT")
            except BaseException as exc:
                if raw.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        raw.execute("ROLLBACK")
                group.committed.set_exception(exc)
                group.committed.exception()     # retrieved: the use-cases waiting re-raise it
                if not isinstance(exc, Exception):
                    raise
                return
            self.commits += 1
            self.committed_use_cases += group.size
            group.committed.set_result(None)

    @asynccontextmanager
    async def read(self, snapshot: bool = True) -> AsyncIterator[Tx]:
        """A consistent read-only snapshot on one of the reader connections.

        A use-case that reads with ONE statement may pass snapshot=False: a statement is its own
        snapshot, and it saves the two hand-offs of BEGIN and COMMIT (the per-request lookups)."""
        conn = await self._readers.get()
        try:
            if snapshot:
                await _to_the_end(conn.execute("BEGIN"))
            yield Tx(ReaderConnection(conn))
        finally:
            # also when the caller was cancelled: its BEGIN ran to its end on the connection's thread,
            # and a connection goes back to the pool with no transaction open
            if conn.in_transaction:
                await _to_the_end(conn.execute("COMMIT"))
            self._readers.put_nowait(conn)

    async def backup(self, dest: str | Path) -> None:
        """A consistent copy of the live database (SQLite's online backup, in one step, from a
        snapshot of its own: writers go on meanwhile)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)

        def copy() -> None:
            source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()

        await asyncio.to_thread(copy)
        tmp.replace(dest)

    async def close(self) -> None:
        """Wait for the open group's COMMIT, then close every connection."""
        while self._group is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._group.committed)
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        if self._raw is not None:
            async with self._lock:
                raw, self._raw, self._writer = self._raw, None, None
                await asyncio.get_running_loop().run_in_executor(self._thread, raw.close)
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None


async def _to_the_end(work: Awaitable[T]) -> T:
    """Await `work`; if the caller is cancelled meanwhile, still wait for it to end, then re-raise.

    For statements handed to a thread: the thread runs them whatever happens to the caller, and
    the caller must know how they ended (e.g. that a transaction is now open) before it goes.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
        raise


def _configure(raw: sqlite3.Connection) -> None:
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("PRAGMA busy_timeout = 5000")


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
