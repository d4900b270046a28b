"""The store: every SQL statement of Xietong lives in this package.

`Store.write()` is the one writer: an `asyncio.Lock` around one connection and
`BEGIN IMMEDIATE`, so a service's whole use-case commits or rolls back at
once. `Store.read()` lends one of several read-only connections, each read in
its own snapshot. Query groups (`tx.users`, `tx.audit`, ...) hold the SQL; a
PostgreSQL backend would be another implementation of the same groups.
"""

from hub.store.db import Store, Tx

__all__ = ["Store", "Tx"]
