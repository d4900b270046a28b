"""SQL for manual chases (催办): when each delivery was last chased, and counting one more."""

from __future__ import annotations

from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection


class ChaseQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def last_chased(self, item_id: int) -> dict[int, datetime | None]:
        """Delivery id -> when the sender last chased it (None: never)."""
        async with self.conn.execute("SELECT id, chased_at FROM deliveries WHERE item_id = ?",
                                     (item_id,)) as cur:
            return {r[0]: parse_utc(r[1]) if r[1] else None for r in await cur.fetchall()}

    async def count(self, delivery_id: int, at: datetime) -> None:
        await self.conn.execute("UPDATE deliveries SET chases = chases + 1, chased_at = ? WHERE id = ?",
                                (utc_iso(at), delivery_id))
