"""SQL for the filtered inbox and sent list (state, urgency, words of the title)."""

from __future__ import annotations

from hub.domain.item_filters import ListFilter, ListState, like_pattern
from hub.domain.items import Delivery, Item
from hub.store.connection import Connection
from hub.store.items import _delivery, _item

_INBOX_STATES = {ListState.OPEN: ("pending", "read"), ListState.ACKED: ("acked",),
                 ListState.RETURNED: ("returned",), ListState.WITHDRAWN: ("withdrawn",)}
_SENT_STATES = {
    ListState.OPEN: "i.withdrawn_at IS NULL AND EXISTS (SELECT 1 FROM deliveries d WHERE d.item_id = i.id"
                    " AND d.state IN ('pending', 'read'))",
    ListState.ACKED: "i.withdrawn_at IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.item_id = i.id"
                     " AND d.state != 'acked')",
    ListState.RETURNED: "EXISTS (SELECT 1 FROM deliveries d WHERE d.item_id = i.id AND d.state = 'returned')",
    ListState.WITHDRAWN: "i.withdrawn_at IS NOT NULL",
}


def _item_conditions(f: ListFilter) -> tuple[str, list[object]]:
    sql = ""
    args: list[object] = []
    if f.urgency:
        sql += " AND i.urgency = ?"
        args.append(f.urgency.value)
    for word in f.q.split():
        sql += " AND i.title LIKE ? ESCAPE '\\'"
        args.append(like_pattern(word))
    return sql, args


class ItemListQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def inbox(self, unit_id: int, f: ListFilter, limit: int = 100) -> list[Delivery]:
        """The unit's deliveries that match, open ones first, newest first."""
        sql = "SELECT d.* FROM deliveries d JOIN items i ON i.id = d.item_id WHERE d.unit_id = ?"
        args: list[object] = [unit_id]
        if f.state:
            states = _INBOX_STATES[f.state]
            sql += f" AND d.state IN ({','.join('?' * len(states))})"
            args += states
        more, more_args = _item_conditions(f)
        async with self.conn.execute(sql + more + " ORDER BY d.state NOT IN ('pending', 'read'), d.id DESC"
                                     " LIMIT ?", (*args, *more_args, limit)) as cur:
            return [_delivery(r) for r in await cur.fetchall()]

    async def sent(self, unit_id: int, f: ListFilter, limit: int = 50) -> list[Item]:
        """Items the unit sent that match, newest first."""
        sql = "SELECT i.* FROM items i WHERE i.sender_unit_id = ?"
        if f.state:
            sql += " AND " + _SENT_STATES[f.state]
        more, more_args = _item_conditions(f)
        async with self.conn.execute(sql + more + " ORDER BY i.id DESC LIMIT ?",
                                     (unit_id, *more_args, limit)) as cur:
            return [_item(r) for r in await cur.fetchall()]
