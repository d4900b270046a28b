"""Moving an install: a live SQLite database copied into an empty PostgreSQL schema (`xietong store copy`).

How it holds together:

* The source is read from one snapshot: SQLite's online backup writes the live file to a temporary
  file first (in one step, from a read transaction of its own, so the hub may go on writing), and
  everything is read from that file. The live file is never written to.
* The snapshot is opened with SqliteStore.open, which migrates it: a source of an older schema is
  copied as this code's schema (as starting this code on it would have made it); a newer one is
  refused (db.too_new). The live file keeps its version.
* The target is migrated and filled in ONE PostgreSQL transaction (the migrations' own transactions
  become savepoints in it), under the hub's write lock, so a crash or Ctrl-C leaves it as it was. It
  must hold no rows, unless `replace`, which empties it first (TRUNCATE, which the append-only
  tables' row triggers do not refuse).
* Tables are loaded in foreign-key order with COPY (asyncpg's copy_records_to_table), ids kept;
  PostgreSQL checks every reference as rows arrive. A cycle of references (a duty shift names the
  handover it came from, the handover names its shift) is broken at a nullable column: loaded NULL,
  then set once the table it names is in, with the table's own triggers (which keep a shift as it
  was written) disabled for that one UPDATE. No `session_replication_role = replica`: that needs a
  superuser, and the database's owner is who runs this.
* Values keep their types: the PostgreSQL schema is SQLite's translated (hub/store/pg_schema.py),
  INTEGER -> BIGINT, TEXT -> TEXT, BLOB -> BYTEA, so datetimes stay ISO text, booleans 0/1, JSON text.
* Afterwards every identity is moved past the largest id, and each table's rows are counted on both
  sides before the COMMIT; a count that differs rolls everything back.

No printing here: progress goes to a callback (hub/cli_store.py draws it).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from hub.config import StoreConfig
from hub.errors import XietongError
from hub.store.db import SqliteStore
from hub.store.pg import WRITE_LOCK
from hub.store.pg_schema import identities_past_largest, migrate

# (table, rows copied so far, rows in the source's table)
Progress = Callable[[str, int, int], None]

BATCH = 2000

_PYTHON_TYPES: dict[str, type] = {"bigint": int, "text": str, "bytea": bytes}


@dataclass(frozen=True)
class Reference:
    """A foreign key of one column: `table.column` names a row of `parent`."""

    table: str
    column: str
    parent: str
    nullable: bool


@dataclass(frozen=True)
class TableCount:
    table: str
    source_rows: int
    target_rows: int

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows


@dataclass
class CopyReport:
    source_version: int          # the live file's schema version
    schema_version: int          # this code's: what the copy holds
    tables: list[TableCount] = field(default_factory=list)
    emptied: bool = False        # the target held rows and `replace` emptied it

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.target_rows for t in self.tables)


class CountsDiffer(XietongError):
    """The target's counts did not match the source's: the transaction was rolled back."""

    def __init__(self, report: CopyReport) -> None:
        bad = next(t for t in report.tables if not t.ok)
        super().__init__("copy.counts_differ", table=bad.table, source=bad.source_rows, target=bad.target_rows)
        self.report = report


def load_order(tables: Sequence[str], references: Sequence[Reference]) -> tuple[list[str], list[Reference]]:
    """The tables in an order where each comes after those it references, and the references that
    must be filled in afterwards to break a cycle (nullable ones only)."""
    edges = [r for r in references if r.table != r.parent]      # a table naming its own rows: one COPY
    pending, order, deferred = set(tables), [], []
    while pending:
        ready = sorted(t for t in pending
                       if not any(r.table == t and r.parent in pending and r not in deferred for r in edges))
        if ready:
            order += ready
            pending -= set(ready)
            continue
        breakable = sorted((r for r in edges if r.table in pending and r.parent in pending and r.nullable
                            and r not in deferred), key=lambda r: (r.table, r.column))
        if not breakable:
            raise ValueError(f"a cycle of NOT NULL references among {sorted(pending)}")
        deferred.append(breakable[0])
    return order, deferred


async def copy_sqlite_to_postgresql(source: str | Path, target_url: str, *, replace: bool = False,
                                    on_progress: Progress | None = None, batch: int = BATCH) -> CopyReport:
    """Copy the SQLite install at `source` into the PostgreSQL schema at `target_url` (see the module)."""
    source = Path(source)
    if not source.is_file():
        raise XietongError("db.not_initialised", path=str(source))
    with tempfile.TemporaryDirectory(prefix="xietong-copy-") as folder:
        snapshot = Path(folder) / "snapshot.db"
        source_version = await asyncio.to_thread(_snapshot, source, snapshot)
        if source_version == 0:
            raise XietongError("db.not_initialised", path=str(source))
        store = await SqliteStore.open(snapshot, readers=1, create=False)    # migrates the snapshot only
        version = store.schema_version
        await store.close()
        reader = sqlite3.connect(snapshot, check_same_thread=False)
        try:
            report = CopyReport(source_version, version)
            await _into_postgresql(reader, target_url, report, replace, on_progress or _quiet, batch)
            return report
        finally:
            reader.close()


def _snapshot(source: Path, dest: Path) -> int:
    """SQLite's online backup of the live file, in one step; the source's schema version."""
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    copy = sqlite3.connect(dest)
    try:
        live.execute("PRAGMA busy_timeout = 5000")
        live.backup(copy)
        return int(copy.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise XietongError("copy.source_unreadable", path=str(source), reason=str(exc)) from exc
    finally:
        copy.close()
        live.close()


def _quiet(table: str, done: int, total: int) -> None:
    return None


async def _connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=15)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        raise XietongError("copy.target_unreachable", place=_place(url), reason=str(exc) or type(exc).__name__) from exc


def _place(url: str) -> str:
    """The URL for messages: without its password."""
    return StoreConfig(url=url).place if url.startswith(("postgresql://", "postgres://")) else url


async def _into_postgresql(reader: sqlite3.Connection, url: str, report: CopyReport, replace: bool,
                           on_progress: Progress, batch: int) -> None:
    conn = await _connect(url)
    try:
        await _fill(conn, reader, url, report, replace, on_progress, batch)
    except asyncpg.PostgresError as exc:     # the target refused something (a missing schema, a privilege)
        raise XietongError("copy.target_failed", place=_place(url), reason=str(exc)) from exc
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(conn.close(timeout=5))


async def _fill(conn: asyncpg.Connection, reader: sqlite3.Connection, url: str, report: CopyReport, replace: bool,
                on_progress: Progress, batch: int) -> None:
    """Migrate, check and fill the target in one transaction (see the module)."""
    async with conn.transaction():
        await migrate(conn)                 # its transactions are savepoints in this one
        await conn.execute(WRITE_LOCK)      # a hub started on the target meanwhile waits for the copy
        tables = {t: c for t, c in (await _target_tables(conn)).items() if not derived(t)}
        _same_schema(reader, tables)
        held = [(t, n) for t in sorted(tables) if (n := await conn.fetchval(f"SELECT count(*) FROM {_q(t)}"))]
        if held and not replace:
            table, rows = held[0]
            raise XietongError("copy.target_not_empty", place=_place(url), table=table, rows=rows)
        if held:
            await conn.execute("TRUNCATE " + ", ".join(map(_q, sorted(tables))))
            report.emptied = True
        order, deferred = load_order(sorted(tables), await _references(conn))
        later: dict[Reference, list[tuple[int, int]]] = {}
        for table in order:
            later |= await _copy_table(reader, conn, table, tables[table], deferred, on_progress, batch)
        for ref, values in later.items():
            await _fill_in(conn, ref, values)
        await identities_past_largest(conn)
        for table in order:
            source_rows = reader.execute(f"SELECT count(*) FROM {_q(table)}").fetchone()[0]
            target_rows = await conn.fetchval(f"SELECT count(*) FROM {_q(table)}")
            report.tables.append(TableCount(table, source_rows, target_rows))
        if not report.ok:
            raise CountsDiffer(report)


async def _target_tables(conn: asyncpg.Connection) -> dict[str, dict[str, str]]:
    """table -> column -> data type, of the target schema (schema_version aside)."""
    tables: dict[str, dict[str, str]] = {}
    for r in await conn.fetch(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
            " AND c.table_name <> 'schema_version' ORDER BY c.table_name, c.ordinal_position"):
        tables.setdefault(r["table_name"], {})[r["column_name"]] = r["data_type"]
    return tables


def derived(table: str) -> bool:
    """The search index (search_*: its documents, access and SQLite's FTS5 tables) is not copied: each
    backend keeps it its own way, and `xietong search reindex` rebuilds it on the copy."""
    return table.startswith("search_")


def _same_schema(reader: sqlite3.Connection, tables: dict[str, dict[str, str]]) -> None:
    """Both sides at one version have the same tables and columns; anything else is a bug to stop at."""
    source = {name for (name,) in reader.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        if not derived(name)}
    for table in sorted(source ^ set(tables)):
        raise XietongError("copy.schema_differs", table=table)
    for table, columns in tables.items():
        if {r[1] for r in reader.execute(f"PRAGMA table_info({_q(table)})")} != set(columns):
            raise XietongError("copy.schema_differs", table=table)


async def _references(conn: asyncpg.Connection) -> list[Reference]:
    rows = await conn.fetch(
        "SELECT child.relname AS tab, a.attname AS col, parent.relname AS parent, NOT a.attnotnull AS nullable"
        " FROM pg_constraint k JOIN pg_class child ON child.oid = k.conrelid"
        " JOIN pg_class parent ON parent.oid = k.confrelid"
        " JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)"
        " WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace")
    return [Reference(r["tab"], r["col"], r["parent"], r["nullable"]) for r in rows]


async def _copy_table(reader: sqlite3.Connection, conn: asyncpg.Connection, table: str, columns: dict[str, str],
                      deferred: Sequence[Reference], on_progress: Progress,
                      batch: int) -> dict[Reference, list[tuple[int, int]]]:
    """COPY one table in batches, ids kept; the (id, value) of its deferred references, loaded NULL."""
    names = list(columns)
    types = [_PYTHON_TYPES.get(columns[c]) for c in names]
    later = {r: names.index(r.column) for r in deferred if r.table == table}
    if any(columns[r.column] != "bigint" for r in later) or (later and "id" not in columns):
        raise ValueError(f"{table}: only a bigint reference of a table with an id can be filled in later")
    filled: dict[Reference, list[tuple[int, int]]] = {r: [] for r in later}
    total = reader.execute(f"SELECT count(*) FROM {_q(table)}").fetchone()[0]
    on_progress(table, 0, total)
    cur = reader.execute(f"SELECT {', '.join(map(_q, names))} FROM {_q(table)} ORDER BY rowid")
    done = 0
    while rows := await asyncio.to_thread(cur.fetchmany, batch):
        records = [_fit(table, names, types, row) for row in rows]
        for ref, i in later.items():
            key = names.index("id")
            for n, rec in enumerate(records):
                if rec[i] is not None:
                    filled[ref].append((rec[key], rec[i]))
                    records[n] = (*rec[:i], None, *rec[i + 1:])
        try:
            await conn.copy_records_to_table(table, records=records, columns=names)
        except asyncpg.PostgresError as exc:
            raise XietongError("copy.table_failed", table=table, reason=str(exc)) from exc
        done += len(rows)
        on_progress(table, done, total)
    return filled


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _fill_in(conn: asyncpg.Connection, ref: Reference, values: list[tuple[int, int]]) -> None:
    """Set a column loaded NULL to break a cycle, with the table's own triggers off for this UPDATE
    (they keep a row as written: a shift's handover is never changed after it is taken)."""
    if not values:
        return
    triggers = [r[0] for r in await conn.fetch(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal AND tgenabled = 'O'",
        ref.table)]
    for name in triggers:
        await conn.execute(f"ALTER TABLE {_q(ref.table)} DISABLE TRIGGER {_q(name)}")
    await conn.execute(
        f"UPDATE {_q(ref.table)} t SET {_q(ref.column)} = v.value"
        " FROM unnest($1::bigint[], $2::bigint[]) AS v(id, value) WHERE t.id = v.id",
        [k for k, _ in values], [v for _, v in values])
    for name in triggers:
        await conn.execute(f"ALTER TABLE {_q(ref.table)} ENABLE TRIGGER {_q(name)}")


def _fit(table: str, names: list[str], types: list[type | None], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A SQLite row as the target's column types take it; SQLite's typing is loose (a BLOB column
    may hold text, an INTEGER column 2.0), so values of another type are converted where lossless."""
    if all(v is None or t is None or type(v) is t for v, t in zip(row, types, strict=True)):
        return row
    out = []
    for name, t, v in zip(names, types, row, strict=True):
        if v is None or t is None or type(v) is t:
            out.append(v)
        elif t is bytes and isinstance(v, str):
            out.append(v.encode("utf-8"))
        elif t is str and isinstance(v, int | float):
            out.append(str(v))
        elif t is str and isinstance(v, bytes) and _utf8(v):
            out.append(v.decode("utf-8"))
        elif t is int and isinstance(v, float) and v.is_integer():
            out.append(int(v))
        else:
            raise XietongError("copy.bad_value", table=table, column=name, value=repr(v)[:60])
    return tuple(out)


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
