"""退文 after sign-for and the sender's correction and re-send: two rounds of one delivery."""

import pytest

from hub.domain.items import DeliveryState
from hub.errors import XietongError
from hub.services.resend import return_delivery_in
from tests.service.test_urgent_items import actor, issue_extra_urgent


async def signed_for(hub, code: str = "DHZ", login: str = "dhz.clerk1"):
    item = await issue_extra_urgent(hub, code)
    clerk = await actor(hub, login)
    mine = (await hub.items.view(clerk, item.id)).mine
    done = await hub.items.acknowledge(clerk, mine.id)
    return item, clerk, done


async def return_after_review(hub, clerk, delivery_id: int, reason: str = "缺少附件：实施方案") -> None:
    async with hub.store.write() as tx:
        await return_delivery_in(tx, hub.clock.now(), clerk, delivery_id, reason)
    hub.items.published()


async def test_a_signed_for_delivery_goes_back_with_the_reason_and_keeps_its_first_receipt(demo_hub):
    item, clerk, done = await signed_for(demo_hub)
    demo_hub.clock.advance(minutes=5)
    await return_after_review(demo_hub, clerk, done.id)
    async with demo_hub.store.read() as tx:
        d = await tx.deliveries.get(done.id)
        events = await tx.events.for_item(item.id)
        (row,) = await tx.audit.page(None, 5, "delivery.return_after_review")
    assert d.state is DeliveryState.RETURNED and d.return_reason == "缺少附件：实施方案"
    assert d.receipt_no == done.receipt_no and d.acked_at == done.acked_at      # the first sign-for stays
    last = events[-1]
    assert last.type == "item.returned" and last.data["after_review"] is True and last.data["round"] == 1
    assert last.data["receipt_no"] == done.receipt_no and last.data["by"] == clerk.name
    assert row.target == f"delivery:{done.id}"


async def test_only_a_signed_for_delivery_is_returned_at_review_and_a_reason_is_needed(demo_hub):
    item = await issue_extra_urgent(demo_hub, "DHZ")
    clerk = await actor(demo_hub, "dhz.clerk1")
    mine = (await demo_hub.items.view(clerk, item.id)).mine
    with pytest.raises(XietongError) as e:
        await return_after_review(demo_hub, clerk, mine.id)
    assert e.value.code == "resend.not_signed_for" and e.value.status == 409
    await demo_hub.items.acknowledge(clerk, mine.id)
    with pytest.raises(XietongError) as e:
        await return_after_review(demo_hub, clerk, mine.id, "  ")
    assert e.value.code == "delivery.reason_required"
    with pytest.raises(XietongError) as e:
        await return_after_review(demo_hub, await actor(demo_hub, "xsz.clerk1"), mine.id)
    assert e.value.code == "item.not_found"
