"""The store: every SQL statement of Xietong lives in this package.

`Store.write()` is the one writer: a service's whole use-case commits or rolls back at once.
`Store.read()` lends a read-only connection, each read in its own snapshot. Query groups
(`tx.users`, `tx.audit`, ...) hold the SQL, written once for both backends: SQLite
(`SqliteStore`, hub/store/db.py: one writer with group commit, readers on threads) and
PostgreSQL (`PgStore`, hub/store/pg.py: asyncpg, writes serialised by an advisory lock).
`open_store(url)` opens the one the config names.
"""

import sqlite3

import asyncpg

from hub.store.base import Store, open_store
from hub.store.db import SqliteStore, Tx

# a constraint refused a write, on either backend (a unique key, a foreign key, an append-only table)
IntegrityError = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)

__all__ = ["IntegrityError", "SqliteStore", "Store", "Tx", "open_store"]
