"""A fresh PostgreSQL database for one benchmark run: `xt_bench_<hex>`, created through an admin URL
(used for nothing else) and dropped at the end unless the run keeps it."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PREFIX = "xt_bench_"


def with_database(url: str, name: str) -> str:
    """The same server, user and query, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def display(url: str) -> str:
    """The URL without a password."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc and ":" in netloc.split("@", 1)[0]:
        netloc = netloc.split(":", 1)[0] + "@" + netloc.split("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def create_fresh(admin_url: str) -> tuple[str, str]:
    """CREATE DATABASE xt_bench_<hex>; returns (name, its URL)."""
    name = PREFIX + secrets.token_hex(4)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, with_database(admin_url, name)


async def drop(admin_url: str, name: str) -> None:
    """DROP DATABASE (WITH FORCE: a server that did not stop must not keep it)."""
    if not name.startswith(PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a bench database")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
