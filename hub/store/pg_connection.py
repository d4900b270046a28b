"""The `Connection` the query classes talk to, on PostgreSQL (asyncpg).

The query modules are written once, with `?` placeholders, and read rows as `r["col"]` or `r[0]`.
Here each statement is translated once (and cached) for asyncpg:

* `?` outside string literals, quoted names and comments becomes `$1`, `$2`, ...;
* `lastrowid`: PostgreSQL has none. A single `INSERT INTO t ...` into a table with an `id`
  column (the tables known when the store opened) gets ` RETURNING id` appended, and `lastrowid`
  is the id returned, `rowcount` the rows inserted - nothing else is ever rewritten. A statement
  that already has a RETURNING clause is left alone and gives its rows.
* asyncpg's `Record` supports `r["col"]`, `r[0]`, iteration and slicing, like `sqlite3.Row`.

Statements run on the event loop: asyncpg's protocol is asynchronous, so there is no thread to
hand off to (unlike aiosqlite), and one round trip per statement.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, cast

import asyncpg

from hub.store.connection import Params, Result, Rows

_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_GIVES_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|TABLE)\b", re.IGNORECASE)
# string literals, quoted names and comments are copied as they are; a `?` elsewhere is a parameter
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?", re.DOTALL)


@functools.lru_cache(maxsize=4096)
def placeholders(sql: str) -> str:
    """`?` placeholders as PostgreSQL's numbered `$n`."""
    n = 0

    def number(m: re.Match[str]) -> str:
        nonlocal n
        if m.group(0) != "?":
            return m.group(0)
        n += 1
        return f"${n}"
    return _TOKENS.sub(number, sql)


@functools.lru_cache(maxsize=4096)
def _plan(sql: str, id_tables: frozenset[str]) -> tuple[str, str]:
    """(statement for asyncpg, how to run it: 'id' | 'rows' | 'status')."""
    text = placeholders(sql)
    if _RETURNING.search(text):
        return text, "rows"
    m = _INSERT_INTO.match(text)
    if m and m.group(1).lower() in id_tables:
        return text.rstrip().rstrip(";") + " RETURNING id", "id"
    if _GIVES_ROWS.match(text):
        return text, "rows"
    return text, "status"


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as 'UPDATE 3' or 'INSERT 0 1'; -1 if it has none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() and " " in status else -1


def _args(parameters: Params) -> Sequence[Any]:
    if isinstance(parameters, dict):
        raise TypeError("named parameters are not supported on PostgreSQL; use ? placeholders")
    return parameters


class PgConnection:
    """An asyncpg connection behind the one `Connection` interface (see the module)."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection, id_tables: frozenset[str]) -> None:
        self.conn = conn
        self.id_tables = id_tables

    def execute(self, sql: str, parameters: Params = ()) -> Result:
        async def run() -> Rows:
            text, how = _plan(sql, self.id_tables)
            args = _args(parameters)
            if how == "status":
                return Rows([], None, _changed(await self.conn.execute(text, *args)))
            rows = await self.conn.fetch(text, *args)
            if how == "id":
                return Rows([], rows[-1][0] if rows else None, len(rows))
            # an asyncpg Record reads as a sqlite3.Row does: by name, by index, iterated, sliced
            return Rows(cast(list[sqlite3.Row], rows), None, len(rows))
        return Result(run)

    def executemany(self, sql: str, seq: Iterable[Params]) -> Result:
        async def run() -> Rows:
            await self.conn.executemany(placeholders(sql), [_args(p) for p in seq])
            return Rows([])
        return Result(run)
