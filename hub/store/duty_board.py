"""SQL for the duty desk's board: which items it shows, and their rows, in a few statements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.clock import utc_iso
from hub.domain.identity import Role, User
from hub.domain.items import Delivery, Item
from hub.store.connection import Connection
from hub.store.identity import _user, _user_columns
from hub.store.items import Event, OutboxMessage, _delivery, _event, _item, _outbox

BOARD_LIMIT = 300     # items on one board: far more than a duty desk can watch at once


def _marks(n: int) -> str:
    return ",".join("?" * n)


class BoardQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def items(self, since: datetime, urgencies: Sequence[str], limit: int = BOARD_LIMIT) -> list[Item]:
        """Items not withdrawn that are (1) of an urgency the board watches and either issued since
        `since` or with a delivery still open, or (2) of any urgency with an open delivery a ladder
        step has run on."""
        u = _marks(len(urgencies))
        async with self.conn.execute(
                "SELECT * FROM items WHERE withdrawn_at IS NULL AND id IN ("
                f" SELECT id FROM items WHERE issued_at >= ? AND urgency IN ({u})"
                " UNION SELECT d.item_id FROM deliveries d JOIN items i ON i.id = d.item_id"
                f"  WHERE d.state IN ('pending', 'read') AND (i.urgency IN ({u}) OR d.level > 0))"
                " ORDER BY id DESC LIMIT ?", (utc_iso(since), *urgencies, *urgencies, limit)) as cur:
            return [_item(r) for r in await cur.fetchall()]

    async def deliveries(self, item_ids: Sequence[int]) -> list[Delivery]:
        return [_delivery(r) for r in await self._rows("deliveries", "item_id", item_ids)]

    async def people(self, unit_ids: Sequence[int], roles: Sequence[Role]) -> list[User]:
        """Active people of these units holding any of these roles."""
        if not unit_ids:
            return []
        async with self.conn.execute(
                f"SELECT {_user_columns(self.conn)} FROM users u WHERE u.disabled_at IS NULL"
                f" AND u.unit_id IN ({_marks(len(unit_ids))}) AND EXISTS (SELECT 1 FROM user_roles ur"
                f"  WHERE ur.user_id = u.id AND ur.role IN ({_marks(len(roles))})) ORDER BY u.id",
                (*unit_ids, *(r.value for r in roles))) as cur:
            return [_user(r) for r in await cur.fetchall()]

    async def users(self, user_ids: Sequence[int]) -> dict[int, User]:
        if not user_ids:
            return {}
        async with self.conn.execute(f"SELECT {_user_columns(self.conn)} FROM users u WHERE u.id IN"
                                     f" ({_marks(len(user_ids))})", tuple(user_ids)) as cur:
            return {r["id"]: _user(r) for r in await cur.fetchall()}

    async def events(self, delivery_ids: Sequence[int]) -> list[Event]:
        return [_event(r) for r in await self._rows("events", "delivery_id", delivery_ids)]

    async def sms(self, delivery_ids: Sequence[int]) -> list[OutboxMessage]:
        return [_outbox(r) for r in await self._rows("outbox", "delivery_id", delivery_ids)]

    async def _rows(self, table: str, column: str, ids: Sequence[int]) -> list[Any]:
        """The rows of `table` whose `column` is one of `ids`, in id order (one statement)."""
        if not ids:
            return []
        async with self.conn.execute(f"SELECT * FROM {table} WHERE {column} IN ({_marks(len(ids))})"
                                     " ORDER BY id", tuple(ids)) as cur:
            return list(await cur.fetchall())
