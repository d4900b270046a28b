"""A retried acknowledgement gets its receipt, not an error; someone else is told who signed for it and when."""

import pytest

from hub.domain.items import AckVia, DeliveryState
from hub.errors import XietongError
from tests.service.test_urgent_items import actor, issue_extra_urgent


async def open_delivery(hub, unit: str = "DHZ"):
    item = await issue_extra_urgent(hub, unit)
    async with hub.store.read() as tx:
        (d,) = await tx.deliveries.for_item(item.id)
    return item, d


async def test_the_same_clerk_signing_for_again_gets_the_original_receipt_and_nothing_is_written(demo_hub):
    item, d = await open_delivery(demo_hub)
    clerk = await actor(demo_hub, "dhz.clerk2")
    first = await demo_hub.items.acknowledge(clerk, d.id)
    async with demo_hub.store.read() as tx:
        events_before = await tx.events.for_item(item.id)
    demo_hub.clock.advance(minutes=2)                    # the answer was lost on a bad link: the phone retries
    again = await demo_hub.items.acknowledge(clerk, d.id)
    assert again == first and again.receipt_no == first.receipt_no and again.acked_at == first.acked_at
    by_sms = await demo_hub.items.acknowledge(clerk, d.id, via=AckVia.SMS)   # or the same person by SMS
    assert by_sms.receipt_no == first.receipt_no and by_sms.ack_via is AckVia.WEB
    async with demo_hub.store.read() as tx:
        assert await tx.events.for_item(item.id) == events_before     # one receipt to the sender, not two


async def test_another_clerk_is_told_who_signed_for_it_and_when(demo_hub):
    _, d = await open_delivery(demo_hub)
    first = await actor(demo_hub, "dhz.clerk2")
    await demo_hub.items.acknowledge(first, d.id)
    demo_hub.clock.advance(minutes=10)
    with pytest.raises(XietongError) as e:
        await demo_hub.items.acknowledge(await actor(demo_hub, "dhz.clerk1"), d.id)
    assert e.value.code == "delivery.already_acked" and e.value.status == 409
    assert e.value.message("zh") == f"该事项已由{first.name}于 2026-11-24 09:00 签收。"
    assert e.value.message("en") == f"This item was already signed for by {first.name} at 2026-11-24 09:00 (Beijing time)."


async def test_returning_what_was_signed_for_says_who_signed_for_it(demo_hub):
    _, d = await open_delivery(demo_hub)
    first = await actor(demo_hub, "dhz.clerk2")
    await demo_hub.items.acknowledge(first, d.id)
    with pytest.raises(XietongError) as e:
        await demo_hub.items.return_item(first, d.id, "不属于本单位")
    assert e.value.code == "delivery.already_acked" and first.name in e.value.message("zh")


async def test_the_duty_desk_signing_for_again_gets_the_same_delivery(demo_hub):
    _, d = await open_delivery(demo_hub)
    duty = await actor(demo_hub, "duty")
    done = await demo_hub.duty.acknowledge_on_behalf(duty, d.id, "电话确认")
    again = await demo_hub.duty.acknowledge_on_behalf(duty, d.id, "电话确认")
    assert again.receipt_no == done.receipt_no and again.state is DeliveryState.ACKED
