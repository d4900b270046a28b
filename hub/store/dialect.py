"""The few SQL fragments that differ between SQLite and PostgreSQL, named for what they mean.

A query module writes its SQL once; where the dialects part, it asks here with its connection
(`conn.dialect`). Everything else - placeholders aside (hub/store/pg_connection.py) - is the same
text on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.store.connection import Connection


def is_pg(conn: Connection) -> bool:
    return conn.dialect == "postgresql"


def contains(conn: Connection, column: str) -> str:
    """`column` contains the next parameter as a substring (no LIKE wildcards to escape)."""
    return f"strpos({column}, ?) > 0" if is_pg(conn) else f"instr({column}, ?) > 0"


def joined(conn: Connection, column: str, separator: str) -> str:
    """The aggregate of `column`'s values joined by `separator` (a literal)."""
    return f"string_agg({column}, '{separator}')" if is_pg(conn) else f"group_concat({column}, '{separator}')"


def json_ints(conn: Connection, expr: str, alias: str) -> str:
    """A FROM item `alias` of the integers of the JSON list in `expr` (a column or ?), as `alias.value`."""
    if is_pg(conn):
        return f"LATERAL (SELECT value::bigint AS value FROM jsonb_array_elements_text(({expr})::jsonb)) {alias}"
    return f"json_each({expr}) {alias}"


def json_int_field(conn: Connection, column: str, key: str) -> str:
    """The integer at `key` of the JSON object in `column`."""
    if is_pg(conn):
        return f"(({column})::jsonb ->> '{key}')::bigint"
    return f"json_extract({column}, '$.{key}')"


def seconds_between(conn: Connection, earlier: str, later: str) -> str:
    """Seconds from one ISO-8601 UTC text column to another, as a float."""
    if is_pg(conn):
        return f"extract(epoch FROM (({later})::timestamptz - ({earlier})::timestamptz))::float8"
    return f"(julianday({later}) - julianday({earlier})) * 86400.0"


async def reserve_ids(conn: Connection, table: str, n: int) -> int:
    """PostgreSQL: the first of `n` consecutive new ids of `table`, taken from its identity at once.

    Sound because the caller holds the write lock (hub/store/pg.py): no other insert takes an id
    between the nextval and the setval. (SQLite's callers count from max(id) under its one writer.)"""
    if n == 0:
        return 1
    async with conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" nextval(pg_get_serial_sequence('{table}', 'id')) + ? - 1)", (n,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0]) - n + 1


async def insert_rows(conn: Connection, table: str, columns: Sequence[tuple[str, str]],
                      rows: Sequence[Sequence[Any]]) -> None:
    """Many rows into `table` (`columns`: name and PostgreSQL type) in one statement.

    On PostgreSQL one INSERT from unnest() over one typed array per column: executemany binds and
    executes each row on the server (5,000 deliveries ~240 ms), the arrays travel once (~30 ms). On
    SQLite executemany, which runs in-process."""
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    if is_pg(conn):
        arrays = ", ".join(f"?::{kind}[]" for _, kind in columns)
        await conn.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})",
                           [list(column) for column in zip(*rows, strict=True)])
    else:
        await conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)


def not_indexed(conn: Connection, column: str) -> str:
    """`column`, written so that SQLite's planner uses no index of it (`+column`); PostgreSQL's
    planner chooses by its statistics and has no such hint (and no unary + on text)."""
    return column if is_pg(conn) else f"+{column}"


def page_limit(conn: Connection, limit: int) -> int | None:
    """A LIMIT parameter where -1 means every row: SQLite's negative limit, PostgreSQL's NULL."""
    return None if limit < 0 and is_pg(conn) else limit
