"""The SMS channel of the urgent-item engine.

Sending, exactly once: the outbox rows that services wrote with their change
are picked up here; a message is committed ('sending', no SID) *before* the
gateway is called, and its SID stored as soon as the gateway answers. A
message left without an answer (a crash, a timeout) is first looked for in
the gateway's message list for that number, and only re-sent if not found.
Notices for one phone within `digest_seconds` go out as one digest, the first
at once; sends are paced per sender number.

Status callbacks move a message forward only (never back, a repeat changes
nothing); a message that never arrived is a fact the escalation sees: the
delivery's next ladder step is brought forward to now. A reply signs for the
most recent open item sent to that phone (or the one with the code given) if
the number is a clerk's of the recipient unit; an unknown number learns
nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.identity import Actor, Role, SystemActor, User
from hub.domain.items import AckVia, Delivery
from hub.domain.permissions import Action, require
from hub.domain.sms import (
    HELP_TEXT,
    NOT_ARRIVED,
    OPTED_OUT,
    UNKNOWN_TEXT,
    acked_text,
    digest_text,
    moves_forward,
    nothing_open_text,
    parse_reply,
)
from hub.domain.sms_text import KIND_LABEL, URGENCY_LABEL, segments
from hub.errors import XietongError
from hub.notify.gateway import Gateway, GatewayError, GatewayUnanswered
from hub.notify.worker import Worker, wait_for_work
from hub.services import audit
from hub.services.identity import IdentityService
from hub.services.items import ItemService
from hub.store import Store, Tx
from hub.store.sms import QueuedNotice, SmsMessage

log = logging.getLogger(__name__)

CALL_TIMEOUT = timedelta(seconds=60)   # a message 'sending' this long without an answer is looked for


class RateLimiter:
    """Paces calls to at most `rate` per second (real time: it paces I/O, not business)."""

    def __init__(self, rate: float, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], asyncio.Future[None] | object] = asyncio.sleep) -> None:
        self.interval, self._now, self._sleep = 1 / rate, now, sleep
        self._next = 0.0

    async def acquire(self) -> None:
        now = self._now()
        wait = self._next - now
        self._next = max(now, self._next) + self.interval
        if wait > 0:
            await self._sleep(wait)  # type: ignore[misc]


class SmsService:
    def __init__(self, store: Store, clock: Clock, config: Config, gateway: Gateway | None,
                 items: ItemService, identity: IdentityService, published: Callable[[], None],
                 wake_steps: Callable[[datetime], None]) -> None:
        self.store, self.clock, self.config, self.gateway = store, clock, config, gateway
        self.items, self.identity = items, identity
        self._published, self._wake_steps = published, wake_steps
        self.rate = RateLimiter(config.sms.rate_per_second)
        self._poked = asyncio.Event()
        self._worker = Worker("xietong-sms", self._loop)
        self.idle = asyncio.Event()     # set while nothing is left to send now (tests, health)

    # -- the background sender ----------------------------------------------------------

    def poke(self) -> None:
        self._poked.set()

    def start(self) -> None:
        if self.gateway is not None:
            self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()
        if self.gateway is not None:
            await self.gateway.close()

    async def _loop(self) -> None:
        async with self.store.write() as tx:          # no call is in flight in a new process
            await tx.sms.retry_all_now(self.clock.now())
        while True:
            try:
                await self.run_once()
                async with self.store.read() as tx:
                    due = [t for t in (await tx.sms.next_not_before(), await tx.sms.next_retry()) if t]
                self._poked.clear()
                self.idle.set()
                try:
                    await wait_for_work(self._poked, self.clock, min(due) if due else None, poll_seconds=5)
                finally:
                    self.idle.clear()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sms pass failed; retrying")
                await asyncio.sleep(1)

    async def run_once(self) -> int:
        """Resolve unanswered messages, then send what is queued; returns gateway calls made."""
        if self.gateway is None:
            return 0
        calls = await self._resolve_unanswered()
        now = self.clock.now()
        async with self.store.read() as tx:
            queued = await tx.sms.queued(now)
        by_phone: dict[str, list[QueuedNotice]] = {}
        for n in queued:
            by_phone.setdefault(n.phone, []).append(n)
        window = timedelta(seconds=self.config.sms.digest_seconds)
        for phone, notices in by_phone.items():
            async with self.store.write() as tx:
                last = await tx.sms.last_sent_to(phone)
                if last is not None and window and now < last + window:
                    await tx.sms.hold([n.outbox_id for n in notices], last + window)
                    continue
                first, rest = (notices, []) if last is not None or not window else (notices[:1], notices[1:])
                if rest:                                   # the first at once, the others in a digest
                    await tx.sms.hold([n.outbox_id for n in rest], now + window)
                body = first[0].body if len(first) == 1 else digest_text(await self._digest_lines(tx, first))
                message_id = await tx.sms.add_message(phone, body, segments(body), [n.outbox_id for n in first],
                                                      now, now + CALL_TIMEOUT)
            await self._send(message_id, phone, body)
            calls += 1
        return calls

    async def _digest_lines(self, tx: Tx, notices: list[QueuedNotice]) -> list[str]:
        lines = []
        for n in notices:
            d = await tx.deliveries.get(n.delivery_id) if n.delivery_id else None
            item = await tx.items.get(d.item_id) if d else None
            if item is None:
                lines.append(n.body.replace("【协同】", "")[:30])
                continue
            title = item.title if len(item.title) <= 16 else item.title[:15] + "…"
            lines.append(f"{URGENCY_LABEL[item.urgency]}{KIND_LABEL[item.kind]}《{title}》(编号{item.short_code})")
        return lines

    async def _send(self, message_id: int, phone: str, body: str) -> None:
        assert self.gateway is not None
        await self.rate.acquire()
        try:
            sent = await self.gateway.send(phone, body)
        except GatewayError as e:
            now = self.clock.now()
            async with self.store.write() as tx:
                if e.permanent:
                    await tx.sms.set_state(message_id, "failed", e.code, now)
                    await self._not_arrived(tx, message_id, phone, "failed", e.code, now)
                else:
                    await self._backoff(tx, message_id, now)
            if e.permanent:
                self._published()
            return
        except GatewayUnanswered as e:
            log.warning("sms %s unanswered (%s); will check the gateway's list before any retry", message_id, e)
            async with self.store.write() as tx:
                await self._backoff(tx, message_id, self.clock.now())
            return
        await self._store_sid(message_id, sent.sid, sent.status)

    async def _store_sid(self, message_id: int, sid: str, status: str) -> None:
        """The gateway took the message: keep its SID, and apply any status that came first."""
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.sms.set_sid(message_id, sid, status, now)
            early = await tx.sms.take_early_statuses(sid)
            changed = [await self._apply_status(tx, sid, s, code, now) for s, code in early]
        if any(changed):
            self._published()

    async def _backoff(self, tx: Tx, message_id: int, now: datetime) -> None:
        m = await tx.sms.get(message_id)
        attempts = m.attempts if m else 1
        await tx.sms.postpone(message_id, now + timedelta(seconds=self.config.sms.retry_seconds * 2 ** (attempts - 1)))

    async def _resolve_unanswered(self) -> int:
        assert self.gateway is not None
        calls = 0
        async with self.store.read() as tx:
            pending = await tx.sms.unanswered(self.clock.now())
        for m in pending:
            try:
                found = await self.gateway.find(m.phone, m.body, m.attempted_at or m.created_at)
            except GatewayUnanswered:
                async with self.store.write() as tx:
                    await self._backoff(tx, m.id, self.clock.now())
                continue
            now = self.clock.now()
            if found is not None:                       # it did reach the gateway: never send it twice
                await self._store_sid(m.id, found.sid, found.status)
                continue
            if m.attempts >= self.config.sms.max_attempts:
                async with self.store.write() as tx:
                    await tx.sms.set_state(m.id, "failed", None, now)
                    await self._not_arrived(tx, m.id, m.phone, "failed", None, now)
                self._published()
                continue
            async with self.store.write() as tx:
                await tx.sms.attempt(m.id, now, now + CALL_TIMEOUT)
            await self._send(m.id, m.phone, m.body)
            calls += 1
        return calls

    # -- what the gateway tells us ------------------------------------------------------

    async def status_callback(self, sid: str, status: str, error_code: int | None) -> bool:
        """A delivery status from the gateway; True if it changed anything."""
        now = self.clock.now()
        async with self.store.write() as tx:
            if await tx.sms.by_sid(sid) is None:       # faster than our own record of the SID
                await tx.sms.keep_early_status(sid, status, error_code, now)
                return False
            changed = await self._apply_status(tx, sid, status, error_code, now)
        if changed:
            self._published()
        return changed

    async def _apply_status(self, tx: Tx, sid: str, status: str, error_code: int | None, now: datetime) -> bool:
        m = await tx.sms.by_sid(sid)
        if m is None or not moves_forward(m.state, status):
            return False
        await tx.sms.set_state(m.id, status, error_code, now)
        if status in NOT_ARRIVED:
            await self._not_arrived(tx, m.id, m.phone, status, error_code, now)
        elif status == "delivered":
            await self._sms_events(tx, m.id, m.phone, "sms.delivered", now, status=status)
        return True

    async def _not_arrived(self, tx: Tx, message_id: int, phone: str, status: str, error_code: int | None,
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

    async def recent(self, actor: Actor, limit: int = 100) -> tuple[list[SmsMessage], dict[str, int]]:
        """The latest messages sent through the gateway, and how many are in each state."""
        require(actor, Action.VIEW_SMS)
        async with self.store.read() as tx:
            return await tx.sms.recent(limit), await tx.sms.count_by_state()

    async def reply(self, sid: str, phone: str, body: str) -> str:
        """A clerk's SMS reply; returns the text to answer with ('' for none). Acts once per SID."""
        async with self.store.read() as tx:
            seen = await tx.sms.inbound(sid)
            clerks = [u for u in await tx.users.with_role(Role.CLERK) if u.phone == phone]
        if seen is not None:
            return seen[0]
        answer, delivery_id = await self._answer(phone, body, clerks)
        async with self.store.write() as tx:
            if await tx.sms.inbound(sid) is None:
                await tx.sms.add_inbound(sid, phone, body, self.clock.now(), answer, delivery_id)
        return answer

    async def _answer(self, phone: str, body: str, clerks: list[User]) -> tuple[str, int | None]:
        if not clerks:
            return UNKNOWN_TEXT, None
        reply = parse_reply(body)
        if reply.kind == "help":
            return HELP_TEXT, None
        for clerk in clerks:
            async with self.store.read() as tx:
                delivery_id = (await tx.sms.latest_open_delivery_sent_to(phone, clerk.unit_id)
                               if reply.kind == "ack_latest" else
                               await tx.sms.open_delivery_by_code(reply.code, clerk.unit_id))
            if delivery_id is None:
                continue
            actor = await self.identity.actor(clerk.id, ip="sms")
            done: Delivery | None
            try:
                done = await self.items.acknowledge(actor, delivery_id, via=AckVia.SMS,
                                                    note=f"短信回复“{body.strip()[:20]}”")
            except XietongError as e:
                if e.code != "delivery.already_acked":
                    raise
                async with self.store.read() as tx:
                    done = await tx.deliveries.get(delivery_id)   # a repeated reply: same answer
            assert done is not None
            async with self.store.read() as tx:
                item = await tx.items.get(done.item_id)
            assert item is not None
            return acked_text(item.title, done.receipt_no or ""), delivery_id
        return nothing_open_text(), None


def _gateway_actor() -> SystemActor:
    return SystemActor(login="sms-gateway", ip="gateway")
