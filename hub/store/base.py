"""What the services see of a store, whichever database is behind it, and how one is opened."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hub.store.db import Tx


class Store(Protocol):
    """`write()`: one use-case, one transaction, committed whole or rolled back whole. `read()`: a
    consistent snapshot. SqliteStore (hub/store/db.py) and PgStore (hub/store/pg.py) are the two."""

    dialect: str
    schema_version: int
    commits: int
    committed_use_cases: int

    def write(self) -> AbstractAsyncContextManager[Tx]: ...

    def read(self, snapshot: bool = True) -> AbstractAsyncContextManager[Tx]: ...

    async def backup(self, dest: str | Path) -> None: ...

    async def close(self) -> None: ...


def sqlite_path(url: str) -> str | None:
    """The file of a sqlite:///path URL (sqlite:////abs/path for an absolute one); None otherwise."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None


async def open_store(url: str, readers: int = 4, synchronous: str = "FULL", create: bool = True) -> Store:
    """The store a URL names: sqlite:///path or postgresql://user@host:port/database[?search_path=s]."""
    path = sqlite_path(url)
    if path is not None:
        from hub.store.db import SqliteStore
        return await SqliteStore.open(path, readers=readers, synchronous=synchronous, create=create)
    if url.startswith(("postgresql://", "postgres://")):
        from hub.store.pg import PgStore
        return await PgStore.open(url, readers=readers, create=create)
    raise ValueError(f"store.url must be sqlite:///path or postgresql://..., not {url!r}")
