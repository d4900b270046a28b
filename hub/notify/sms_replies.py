"""A clerk's SMS reply (短信回复签收), acted on once per MessageSid.

A reply signs for the most recent open item sent to that phone (or the one with
the code given) if the number is a clerk's of the recipient unit; an unknown
number learns nothing. The same clerk sending "签收 <code>" again for an item they
already signed for gets the receipt they got the first time; another clerk of the
unit is told who signed for it and when. The reply's MessageSid is recorded first, in the same
transaction as the sign-for: a repeat of the same webhook, even posted at the
same moment, waits for that transaction and finds it, so it answers the same
and signs for nothing more.
"""

from __future__ import annotations

import logging

from hub.clock import Clock
from hub.domain.identity import Actor, Role
from hub.domain.items import AckVia, Delivery, Item
from hub.domain.sms import (
    HELP_TEXT,
    UNKNOWN_TEXT,
    acked_text,
    nothing_open_text,
    parse_reply,
    signed_by_another_text,
)
from hub.errors import XietongError
from hub.services.identity import IdentityService
from hub.services.items import ItemService
from hub.store import IntegrityError, Store, Tx

log = logging.getLogger(__name__)


class SmsReplies:
    def __init__(self, store: Store, clock: Clock, items: ItemService, identity: IdentityService) -> None:
        self.store, self.clock, self.items, self.identity = store, clock, items, identity

    async def reply(self, sid: str, phone: str, body: str) -> str:
        """The text to answer with ('' for none)."""
        async with self.store.read() as tx:
            seen = await tx.sms.inbound(sid)
            clerks = [u for u in await tx.users.with_role(Role.CLERK) if u.phone == phone]
        if seen is not None:
            return seen[0]
        actors = [await self.identity.actor(c.id, ip="sms") for c in clerks]
        signed: tuple[Delivery, Item] | None = None
        try:
            async with self.store.write() as tx:
                seen = await tx.sms.inbound(sid)
                if seen is not None:                   # the same webhook, a moment earlier
                    return seen[0]
                await tx.sms.add_inbound(sid, phone, body, self.clock.now())
                answer, delivery_id, signed = await self._answer(tx, body, phone, actors)
                await tx.sms.answer_inbound(sid, answer, delivery_id)
        except IntegrityError:                         # recorded by another process first
            log.info("sms reply %s recorded elsewhere first; answering as a repeat", sid)
            async with self.store.read() as tx:
                seen = await tx.sms.inbound(sid)
            return seen[0] if seen is not None else ""
        if signed is not None:
            self.items.acknowledged(*signed)
        return answer

    async def _answer(self, tx: Tx, body: str, phone: str, actors: list[Actor]
                      ) -> tuple[str, int | None, tuple[Delivery, Item] | None]:
        """(answer, the delivery it is about, the sign-for made) inside the reply's transaction."""
        if not actors:
            return UNKNOWN_TEXT, None, None
        reply = parse_reply(body)
        if reply.kind == "help":
            return HELP_TEXT, None, None
        for actor in actors:
            delivery_id = (await tx.sms.latest_open_delivery_sent_to(phone, actor.unit_id)
                           if reply.kind == "ack_latest" else
                           await tx.sms.open_delivery_by_code(reply.code, actor.unit_id))
            if delivery_id is None and reply.kind == "ack_code":
                signed_id = await tx.sms.signed_delivery_by_code(reply.code, actor.unit_id)
                d = await tx.deliveries.get(signed_id) if signed_id else None
                if d is not None and d.acked_by != actor.user_id:      # someone else: who and when
                    return await self._signed_by_another(tx, d), None, None
                delivery_id = signed_id   # the same person again (the first answer lost): their receipt
            if delivery_id is None:
                continue
            signed: tuple[Delivery, Item] | None = None
            try:
                signed = await self.items.acknowledge_in_tx(tx, actor, delivery_id, AckVia.SMS,
                                                            note=f"短信回复“{body.strip()[:20]}”")
                done = signed[0]
            except XietongError as e:
                if e.code != "delivery.already_acked":
                    raise
                found = await tx.deliveries.get(delivery_id)     # signed for meanwhile: the same answer
                assert found is not None
                done = found
            item = await tx.items.get(done.item_id)
            assert item is not None
            return acked_text(item.title, done.receipt_no or ""), delivery_id, signed
        return nothing_open_text(), None, None

    async def _signed_by_another(self, tx: Tx, d: Delivery) -> str:
        item = await tx.items.get(d.item_id)
        by = await tx.users.get(d.acked_by) if d.acked_by else None
        assert item is not None
        return signed_by_another_text(item.title, by.name if by else "", d.acked_at)
