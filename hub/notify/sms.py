"""The SMS channel of the urgent-item engine.

Sending, exactly once: the outbox rows that services wrote with their change
are picked up here; a message is committed ('sending', no SID, a random token
of its own) *before* the gateway is called, and its SID stored as soon as the
gateway answers. A message left without an answer (a crash, a timeout) is
first looked for among the gateway's messages to that number, and only re-sent
if not found there. The look-up does not trust clocks: a gateway record that
shows the StatusCallback is ours when it carries our token; otherwise it is
one with our text whose SID is not already one of ours. The time window only
bounds how far back the list is read (`sms.lookup_hours`). One message's
trouble never stops the others: it is logged and tried again later.
Notices for one phone within `digest_seconds` go out as one digest, the first
at once; sends are paced per sender number. A reminder (an escalation step's
SMS) whose delivery is signed for by the time it would go out is skipped.

Status callbacks move a message forward only (never back, a repeat changes
nothing); a message that never arrived is a fact the escalation sees: the
delivery's next ladder step is brought forward to now. A message not final
`reconcile_after_minutes` after it was handed over is fetched by SID (a
callback lost while the hub was down is not retried by the gateway) and the
answer applied by the same rule, with the same effects; at start, every such
message is fetched (`hub.notify.sms_status`). Replies: `hub.notify.sms_replies`.

Several processes on one PostgreSQL database share the outbox. Write transactions run one at a time
across them, and each claim is made inside one: composing re-reads which notices are still queued;
a message 'sending' belongs to the process calling the gateway (`owner_id`) while that process lives,
and is looked up by another only once it is dead (`hub.services.processes`) or its call timed out; a
status fetch is taken for a minute before the call. The sending rate is shared by the live processes.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from hub.clock import Clock
from hub.config import Config
from hub.domain.identity import Actor
from hub.domain.permissions import Action, require
from hub.domain.sms import clock_skew_warning, digest_text, our_message
from hub.domain.sms_text import KIND_LABEL, URGENCY_LABEL, segments
from hub.notify.gateway import Gateway, GatewayError, GatewayUnanswered
from hub.notify.sms_replies import SmsReplies
from hub.notify.sms_status import RateLimiter, SmsStatuses
from hub.notify.worker import Worker, wait_for_work
from hub.services.identity import IdentityService
from hub.services.items import ItemService
from hub.services.processes import ProcessRegistry
from hub.store import Store, Tx
from hub.store.sms import QueuedNotice, SmsMessage

log = logging.getLogger(__name__)

CALL_TIMEOUT = timedelta(seconds=60)   # a message 'sending' this long without an answer is looked for


class SmsService:
    def __init__(self, store: Store, clock: Clock, config: Config, gateway: Gateway | None,
                 items: ItemService, identity: IdentityService, published: Callable[[], None],
                 wake_steps: Callable[[datetime], None], processes: ProcessRegistry | None = None) -> None:
        self.store, self.clock, self.config, self.gateway = store, clock, config, gateway
        self.processes = processes or ProcessRegistry(store, clock, config)   # whose calls are in flight
        self.items, self.identity = items, identity
        self._published, self._wake_steps = published, wake_steps
        self.rate = RateLimiter(config.sms.rate_per_second)
        self.statuses = SmsStatuses(store, clock, config, gateway, published, wake_steps)
        self.replies = SmsReplies(store, clock, items, identity)
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

    async def recover(self) -> None:
        """What a new process does first: none of its calls is in flight, and any status may have been
        missed while it was down, so every message without an answer (but those another live process
        is waiting for) is looked for and every one not final is fetched, now."""
        await self.processes.ready()
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.sms.retry_all_now(now, self.processes.live_others())
            await tx.sms.check_all_now(now)

    async def _loop(self) -> None:
        recovered = False
        while True:
            try:
                if not recovered:
                    await self.recover()
                    recovered = True
                await self.run_once()
                async with self.store.read() as tx:
                    due = [t for t in (await tx.sms.next_not_before(), await tx.sms.next_retry(),
                                       await tx.sms.next_check()) if t]
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
        """Resolve unanswered messages, send what is queued, fetch statuses due; returns gateway calls made."""
        if self.gateway is None:
            return 0
        calls = await self._resolve_unanswered()
        calls += await self._send_queued()
        return calls + await self.statuses.reconcile()

    async def _send_queued(self) -> int:
        calls = 0
        now = self.clock.now()
        async with self.store.read() as tx:
            queued = await tx.sms.queued(now)
        by_phone: dict[str, list[QueuedNotice]] = {}
        for n in queued:
            by_phone.setdefault(n.phone, []).append(n)
        for phone, notices in by_phone.items():
            try:
                message = await self._compose(phone, notices, now)
            except Exception:                   # this phone's notices wait; the others go on
                log.exception("sms to %s could not be composed; holding it", phone)
                async with self.store.write() as tx:
                    await tx.sms.hold([n.outbox_id for n in notices],
                                      now + timedelta(seconds=self.config.sms.retry_seconds))
                continue
            if message is not None:
                await self._send(*message)
                calls += 1
        return calls

    async def _compose(self, phone: str, notices: list[QueuedNotice], now: datetime
                       ) -> tuple[int, str, str, str] | None:
        """Commit the message for this phone's due notices (or hold them for a digest)."""
        window = timedelta(seconds=self.config.sms.digest_seconds)
        async with self.store.write() as tx:
            queued = await tx.sms.still_queued([n.outbox_id for n in notices])   # not sent by another process
            skipped = await tx.sms.skip_settled_reminders([n.outbox_id for n in notices if n.outbox_id in queued])
            notices = [n for n in notices if n.outbox_id in queued and n.outbox_id not in skipped]
            if not notices:
                return None
            last = await tx.sms.last_sent_to(phone)
            if last is not None and window and now < last + window:
                await tx.sms.hold([n.outbox_id for n in notices], last + window)
                return None
            first, rest = (notices, []) if last is not None or not window else (notices[:1], notices[1:])
            if rest:                                   # the first at once, the others in a digest
                await tx.sms.hold([n.outbox_id for n in rest], now + window)
            body = first[0].body if len(first) == 1 else digest_text(await self._digest_lines(tx, first))
            token = secrets.token_urlsafe(12)
            message_id = await tx.sms.add_message(phone, body, segments(body), [n.outbox_id for n in first],
                                                  now, now + CALL_TIMEOUT, token, self.processes.id)
        return message_id, phone, body, token

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

    async def _send(self, message_id: int, phone: str, body: str, token: str) -> None:
        assert self.gateway is not None
        self.rate.share(self.processes.live)
        await self.rate.acquire()
        try:
            sent = await self.gateway.send(phone, body, token)
        except GatewayError as e:
            now = self.clock.now()
            async with self.store.write() as tx:
                if e.permanent:
                    await tx.sms.set_state(message_id, "failed", e.code, now)
                    await self.statuses.not_arrived(tx, message_id, phone, "failed", e.code, now)
                else:
                    await self._backoff(tx, message_id, now)
            if e.permanent:
                self._published()
            return
        except Exception as e:      # no answer, or one we cannot read: it may have arrived
            if isinstance(e, GatewayUnanswered):
                log.warning("sms %s unanswered (%s); will look for it at the gateway before any retry",
                            message_id, e)
            else:
                log.exception("sms %s: the call failed; will look for it at the gateway before any retry",
                              message_id)
            async with self.store.write() as tx:
                await self._backoff(tx, message_id, self.clock.now())
            return
        await self._store_sid(message_id, sent.sid, sent.status)

    async def _store_sid(self, message_id: int, sid: str, status: str) -> None:
        """The gateway took the message: keep its SID, and apply any status that came first."""
        now = self.clock.now()
        check_at = now + timedelta(minutes=self.config.sms.reconcile_after_minutes)
        try:
            async with self.store.write() as tx:
                await tx.sms.set_sid(message_id, sid, status, now, check_at)
                early = await tx.sms.take_early_statuses(sid)
                changed = [await self.statuses.apply(tx, sid, s, code, now) for s, code in early]
        except Exception:           # never again and again: this one waits, the others go on
            log.exception("sms %s: could not store its SID %s; looking again later", message_id, sid)
            async with self.store.write() as tx:
                await self._backoff(tx, message_id, self.clock.now())
            return
        if any(changed):
            self._published()

    async def _backoff(self, tx: Tx, message_id: int, now: datetime) -> None:
        m = await tx.sms.get(message_id)
        attempts = m.attempts if m else 1
        await tx.sms.postpone(message_id, now + timedelta(seconds=self.config.sms.retry_seconds * 2 ** (attempts - 1)))

    async def _resolve_unanswered(self) -> int:
        calls = 0
        others = self.processes.live_others()
        async with self.store.read() as tx:
            pending = await tx.sms.unanswered(self.clock.now(), others)
        for m in pending:
            try:
                now = self.clock.now()
                async with self.store.write() as tx:   # taken: no other process looks it up meanwhile
                    if not await tx.sms.claim_unanswered(m.id, now, now + CALL_TIMEOUT, self.processes.id, others):
                        continue
                calls += await self._resolve(m)
            except Exception:       # one message's trouble: it waits, the others go on
                log.exception("sms %s: could not resolve an unanswered call; looking again later", m.id)
                async with self.store.write() as tx:
                    await self._backoff(tx, m.id, self.clock.now())
        return calls

    async def _resolve(self, m: SmsMessage) -> int:
        """Did this unanswered message reach the gateway? Keep its SID if so, else send it again."""
        assert self.gateway is not None
        since = (m.attempted_at or m.created_at) - timedelta(hours=self.config.sms.lookup_hours)
        try:
            listed = await self.gateway.listed(m.phone, since)
        except GatewayUnanswered:
            async with self.store.write() as tx:
                await self._backoff(tx, m.id, self.clock.now())
            return 0
        async with self.store.read() as tx:
            known = await tx.sms.known_sids([x.sid for x in listed])
        found = our_message(listed, m.body, m.token, known)
        now = self.clock.now()
        if found is not None:                       # it did reach the gateway: never send it twice
            await self._store_sid(m.id, found.sid, found.status or "queued")
            return 0
        if m.attempts >= self.config.sms.max_attempts:
            async with self.store.write() as tx:
                await tx.sms.set_state(m.id, "failed", None, now)
                await self.statuses.not_arrived(tx, m.id, m.phone, "failed", None, now)
            self._published()
            return 0
        async with self.store.write() as tx:
            await tx.sms.attempt(m.id, now, now + CALL_TIMEOUT, self.processes.id)
        await self._send(m.id, m.phone, m.body, m.token)
        return 1

    # -- what the gateway tells us ------------------------------------------------------

    async def status_callback(self, sid: str, status: str, error_code: int | None) -> bool:
        """A delivery status from the gateway; True if it changed anything."""
        return await self.statuses.status_callback(sid, status, error_code)

    async def recent(self, actor: Actor, limit: int = 100) -> tuple[list[SmsMessage], dict[str, int]]:
        """The latest messages sent through the gateway, and how many are in each state."""
        require(actor, Action.VIEW_SMS)
        async with self.store.read() as tx:
            return await tx.sms.recent(limit), await tx.sms.count_by_state()

    async def reply(self, sid: str, phone: str, body: str) -> str:
        """A clerk's SMS reply; returns the text to answer with ('' for none). Acts once per SID."""
        return await self.replies.reply(sid, phone, body)

    # -- health ---------------------------------------------------------------------------

    def warnings(self) -> list[dict[str, object]]:
        """What the person on call should know, from what the gateway last told us (no call made)."""
        skew = self.gateway.clock_skew() if self.gateway is not None else None
        if skew is None or not clock_skew_warning(skew, timedelta(seconds=self.config.sms.clock_warn_seconds)):
            return []
        seconds = round(skew.total_seconds())
        return [{"code": "sms.gateway_clock_skew", "skew_seconds": seconds,
                 "message": f"The SMS gateway's clock differs from ours by {abs(seconds)} s "
                            f"({'ahead' if seconds > 0 else 'behind'}); check NTP on both.",
                 "message_zh": f"短信网关时钟与本机相差 {abs(seconds)} 秒（网关{'快' if seconds > 0 else '慢'}），"
                               "请检查两端的时间同步（NTP）。"}]

