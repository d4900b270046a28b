"""A document moving a step has no event of its own in the feed: the unit's phones get a `todo`
frame (no id) so their 待办 badges ask again at once, and the events after it keep their order."""

from hub.domain.documents import DocOp
from tests.realtime.conftest import recv_json
from tests.service.test_documents import to_signoff
from tests.service.test_urgent_items import issue_extra_urgent


async def test_the_leaders_phone_hears_of_a_sign_off_waiting_and_another_unit_hears_nothing(live):
    leader = await live.connect("bgs.leader")
    elsewhere = await live.connect("dhz.leader")
    hello = await recv_json(leader)
    await recv_json(elsewhere)

    await to_signoff(live.hub)                          # submitted, then reviewed: it waits for the leader
    assert await recv_json(leader) == {"v": 1, "type": "todo"}
    assert await recv_json(leader) == {"v": 1, "type": "todo"}  # one per step (submit, approve)

    item = await issue_extra_urgent(live.hub, "DHZ")    # the office sent it: an event the leader sees
    frame = await recv_json(leader)
    assert frame["type"] == "item.issued" and frame["id"] > hello["last_id"]
    first = await recv_json(elsewhere)    # the township's first frame is the item: the office's to-dos,
    assert first["type"] == "item.issued" and first["item"]["id"] == item.id    # sent before, never came
    await leader.close()
    await elsewhere.close()


async def test_a_step_back_to_the_drafter_reaches_the_unit_too(live):
    clerk = await live.connect("bgs.clerk1")
    await recv_json(clerk)
    doc, office = await to_signoff(live.hub)
    await recv_json(clerk)
    await recv_json(clerk)
    await live.hub.documents.act(office, doc.id, DocOp.RETURN, "请补充附件")   # sent back to the drafter
    assert await recv_json(clerk) == {"v": 1, "type": "todo"}
    await clerk.close()
