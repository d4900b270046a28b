"""Appending to and checking the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import utc_iso
from hub.domain.audit import GENESIS, ChainCheck, ChainChecker, canonical_json, chain_hash
from hub.domain.identity import Actor, SystemActor
from hub.store import Store, Tx
from hub.store.audit import AuditRow


async def record(tx: Tx, at: datetime, who: Actor | SystemActor, action: str, target: str = "",
                 ip: str | None = None, **detail: Any) -> AuditRow:
    """Append one row, chained to the last, inside the caller's transaction."""
    last = await tx.audit.last()
    row_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    stamp = utc_iso(at)
    actor_id = who.user_id
    login = who.login
    if isinstance(who, Actor) and who.by is not None:     # "A for B": the real person, for whom
        actor_id, login = who.by.user_id, who.by.login
        detail = {**detail, "for": who.login}
    address = ip if ip is not None else who.ip
    body = canonical_json(detail)
    digest = chain_hash(prev, row_id, stamp, actor_id, login, address, action, target, body)
    row = AuditRow(row_id, stamp, actor_id, login, address, action, target, body, prev, digest)
    await tx.audit.insert(row)
    return row


async def verify(store: Store) -> ChainCheck:
    """Walk the whole chain (streamed) and report the first broken row."""
    checker = ChainChecker()
    async with store.read() as tx:
        async for row in tx.audit.walk():
            if not checker.feed(row):
                break
    return checker.result()


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None


async def page(store: Store, before_id: int | None = None, limit: int = 50,
               action_prefix: str = "") -> AuditPage:
    async with store.read() as tx:
        rows = await tx.audit.page(before_id, limit + 1, action_prefix)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)
