"""What the gateway tells us about our messages: status callbacks, and statuses fetched by SID.

One forward-only rule for both (never back; a repeat changes nothing), with
the same effects: a message that never arrived shows `sms.failed` on the item's
timeline and brings the delivery's next ladder step forward to now; `delivered`
shows `sms.delivered`. A message still not final `reconcile_after_minutes`
after it was handed over is fetched by SID (the gateway does not retry a
callback that found the hub down), then after twice as long each time, at a
bounded rate, until `reconcile_give_up_hours`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.identity import SystemActor
from hub.domain.sms import FINAL, NOT_ARRIVED, OPTED_OUT, moves_forward, next_check
from hub.notify.gateway import Gateway, GatewayError, GatewayUnanswered
from hub.services import audit
from hub.store import Store, Tx
from hub.store.sms import SmsMessage

log = logging.getLogger(__name__)

CHECK_CLAIM = timedelta(seconds=60)   # a status fetch taken by a process that died is taken again after this


class RateLimiter:
    """Paces calls to at most `rate` per second (real time: it paces I/O, not business)."""

    def __init__(self, rate: float, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], asyncio.Future[None] | object] = asyncio.sleep) -> None:
        self.rate, self.interval, self._now, self._sleep = rate, 1 / rate, now, sleep
        self._next = 0.0

    def share(self, senders: int) -> None:
        """`senders` processes send through the same number: each takes its share of the rate."""
        self.interval = max(1, senders) / self.rate

    async def acquire(self) -> None:
        now = self._now()
        wait = self._next - now
        self._next = max(now, self._next) + self.interval
        if wait > 0:
            await self._sleep(wait)  # type: ignore[misc]


class SmsStatuses:
    def __init__(self, store: Store, clock: Clock, config: Config, gateway: Gateway | None,
                 published: Callable[[], None], wake_steps: Callable[[datetime], None]) -> None:
        self.store, self.clock, self.config, self.gateway = store, clock, config, gateway
        self._published, self._wake_steps = published, wake_steps
        self.check_rate = RateLimiter(config.sms.reconcile_per_second)

    async def status_callback(self, sid: str, status: str, error_code: int | None) -> bool:
        """A delivery status from the gateway; True if it changed anything."""
        now = self.clock.now()
        async with self.store.write() as tx:
            if await tx.sms.by_sid(sid) is None:       # faster than our own record of the SID
                await tx.sms.keep_early_status(sid, status, error_code, now)
                return False
            changed = await self.apply(tx, sid, status, error_code, now)
        if changed:
            self._published()
        return changed

    async def reconcile(self) -> int:
        """Fetch, by SID and at a bounded rate, the messages whose final status is overdue."""
        assert self.gateway is not None
        async with self.store.read() as tx:
            # about a second's worth per pass, so that sending is never held up behind a backlog
            due = await tx.sms.due_checks(self.clock.now(), max(1, round(self.config.sms.reconcile_per_second)))
        if not due:
            return 0
        now = self.clock.now()
        async with self.store.write() as tx:    # another process on the database may be fetching some
            taken = set(await tx.sms.claim_checks([m.id for m in due], now, now + CHECK_CLAIM))
        due = [m for m in due if m.id in taken]
        for m in due:
            await self.check_rate.acquire()
            try:
                await self._reconcile_one(m)
            except Exception:
                log.exception("sms %s: could not fetch its status; asking again later", m.id)
                async with self.store.write() as tx:
                    await tx.sms.checked(m.id, self._next_check(m, self.clock.now()))
        return len(due)

    def _next_check(self, m: SmsMessage, now: datetime) -> datetime | None:
        s = self.config.sms
        return next_check(m.attempted_at or m.created_at, m.checks + 1, now,
                          timedelta(minutes=s.reconcile_after_minutes), timedelta(hours=s.reconcile_give_up_hours))

    async def _reconcile_one(self, m: SmsMessage) -> None:
        assert self.gateway is not None and m.sid is not None
        try:
            got = await self.gateway.fetch(m.sid)
        except (GatewayUnanswered, GatewayError) as e:
            log.warning("sms %s: status fetch failed (%s); asking again later", m.id, e)
            async with self.store.write() as tx:
                await tx.sms.checked(m.id, self._next_check(m, self.clock.now()))
            return
        now = self.clock.now()
        async with self.store.write() as tx:
            changed = await self.apply(tx, m.sid, got.status, got.error_code, now)
            current = await tx.sms.get(m.id)
            if current is not None and current.state not in FINAL:
                await tx.sms.checked(m.id, self._next_check(m, now))
        if changed:
            log.info("sms %s: status %s fetched from the gateway (no callback had told us)", m.id, got.status)
            self._published()

    async def apply(self, tx: Tx, sid: str, status: str, error_code: int | None, now: datetime) -> bool:
        """The one forward-only rule, for a callback and a fetched status alike."""
        m = await tx.sms.by_sid(sid)
        if m is None or not moves_forward(m.state, status):
            return False
        await tx.sms.set_state(m.id, status, error_code, now)
        if status in NOT_ARRIVED:
            await self.not_arrived(tx, m.id, m.phone, status, error_code, now)
        elif status == "delivered":
            await self._sms_events(tx, m.id, m.phone, "sms.delivered", now, status=status)
        return True

    async def not_arrived(self, tx: Tx, message_id: int, phone: str, status: str, error_code: int | None,
                           now: datetime) -> None:
        """The SMS never reached the handset: say so in the timeline, and stop waiting for it."""
        deliveries = await self._sms_events(tx, message_id, phone, "sms.failed", now, status=status,
                                            error_code=error_code)
        for delivery_id in deliveries:
            if await tx.sms.pull_step_forward(delivery_id, now):
                self._wake_steps(now)
        if error_code == OPTED_OUT:
            await tx.sms.opt_out(phone, now, error_code)
            await audit.record(tx, now, _gateway_actor(), "sms.opted_out", f"phone:{phone}", error_code=error_code)

    async def _sms_events(self, tx: Tx, message_id: int, phone: str, type_: str, now: datetime,
                          **data: object) -> list[int]:
        done = []
        for _, delivery_id, user_id in await tx.sms.outbox_of(message_id):
            if delivery_id is None or delivery_id in done:
                continue
            d = await tx.deliveries.get(delivery_id)
            item = await tx.items.get(d.item_id) if d else None
            if d is None or item is None:
                continue
            user = await tx.users.get(user_id) if user_id else None
            await tx.events.add(now, type_, item.id, item.sender_unit_id, d.id, d.unit_id, None, phone=phone,
                                to=user.name if user else "", **data)
            done.append(delivery_id)
        return done


def _gateway_actor() -> SystemActor:
    return SystemActor(login="sms-gateway", ip="gateway")
