"""SQL for the hub processes sharing one database: registration, heartbeats, who is dead, take-over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.clock import parse_utc, utc_iso
from hub.store.connection import Connection


@dataclass(frozen=True)
class HubProcess:
    id: int
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime


class ProcessQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def register(self, host: str, pid: int, now: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO hub_processes (host, pid, started_at, seen_at) VALUES (?, ?, ?, ?)",
            (host, pid, utc_iso(now), utc_iso(now)))
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def heartbeat(self, process_id: int, now: datetime) -> None:
        await self.conn.execute("UPDATE hub_processes SET seen_at = ? WHERE id = ?", (utc_iso(now), process_id))

    async def stopped(self, process_id: int, now: datetime) -> None:
        await self.conn.execute("UPDATE hub_processes SET seen_at = ?, stopped_at = ? WHERE id = ?",
                                (utc_iso(now), utc_iso(now), process_id))

    async def running(self) -> list[HubProcess]:
        """The processes neither stopped nor taken over: live, or dead and not yet found so."""
        async with self.conn.execute(
                "SELECT id, host, pid, started_at, seen_at FROM hub_processes"
                " WHERE stopped_at IS NULL AND taken_over_by IS NULL ORDER BY id") as cur:
            return [HubProcess(r[0], r[1], r[2], parse_utc(r[3]), parse_utc(r[4])) for r in await cur.fetchall()]

    async def take_over(self, dead_id: int, by: int, now: datetime) -> bool:
        """Claim a dead process's work (once: False if another live process claimed it first): its SMS
        still waiting for a gateway answer are looked up now. (A status fetch it had taken is free again
        a minute after it took it: hub/notify/sms_status.CHECK_CLAIM.)"""
        cur = await self.conn.execute(
            "UPDATE hub_processes SET taken_over_by = ? WHERE id = ? AND taken_over_by IS NULL AND stopped_at IS NULL",
            (by, dead_id))
        if cur.rowcount != 1:
            return False
        await self.conn.execute(
            "UPDATE sms_messages SET retry_at = ? WHERE owner_id = ? AND state = 'sending' AND sid IS NULL",
            (utc_iso(now), dead_id))
        return True
