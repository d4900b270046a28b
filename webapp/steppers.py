"""Progress steppers: an outgoing document's road (拟稿 → 审核 → 签发 → 复核 → 登记编号 → 用印 → 核发) and a
delivery's sign-for road (发出 → 阅读 → 签收), each step done / current / waiting with who and when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.domain.documents import DocState
from hub.domain.items import Delivery, DeliveryState, Item
from hub.store.documents import HistoryEntry
from hub.store.items import Event


@dataclass(frozen=True)
class Step:
    key: str                   # catalog key docstep.<key> / itemstep.<key>
    state: str                 # done | current | waiting | returned
    who: str = ""
    at: datetime | None = None
    note: str = ""

# (step, the history move that completes it: op and the state it leads to)
DOC_ROAD = (("draft", "submit", "review"), ("review", "approve", "signoff"), ("signoff", "sign", "signed"),
            ("recheck", "register", "registered"), ("register", "register", "registered"),
            ("seal", "seal", "sealed"), ("dispatch", "dispatch", "dispatched"))
# the step a document in each state waits at (len(DOC_ROAD): all done)
CURRENT = {DocState.DRAFT: 0, DocState.RETURNED: 0, DocState.REVIEW: 1, DocState.SIGNOFF: 2, DocState.SIGNED: 3,
           DocState.REGISTERED: 5, DocState.SEALED: 6, DocState.DISPATCHED: 7, DocState.WITHDRAWN: 7}


def document_steps(state: DocState, history: Sequence[HistoryEntry]) -> list[Step]:
    current = CURRENT[state]
    steps = []
    for i, (key, op, to_state) in enumerate(DOC_ROAD):
        done = next((h for h in reversed(history) if h.op == op and h.to_state == to_state), None)
        if i < current:
            steps.append(Step(key, "done", done.actor_name if done else "", done.at if done else None))
        elif i == current:
            back = history[-1] if state is DocState.RETURNED and history else None
            steps.append(Step(key, "returned" if back else "current", back.actor_name if back else "",
                              back.at if back else None, back.comment if back else ""))
        else:
            steps.append(Step(key, "waiting"))
    return steps


def delivery_steps(item: Item, sender_name: str, delivery: Delivery, events: Sequence[Event]) -> list[Step]:
    """发出 → 阅读 → 签收 for one unit's delivery (names from its events: of its current round, for
    a delivery its sender corrected and sent again)."""
    mine = [e for e in events if e.delivery_id == delivery.id]
    again = [i for i, e in enumerate(mine) if e.type == "item.reissued"]
    mine = mine[again[-1]:] if again else mine
    read = next((e for e in mine if e.type == "item.read"), None)
    acked = next((e for e in mine if e.type == "item.acked"), None)
    is_acked = delivery.state is DeliveryState.ACKED
    was_read = delivery.read_at is not None or is_acked
    return [
        Step("issued", "done", sender_name, delivery.sent_at if again else item.issued_at),
        Step("read", "done" if was_read else "current",
             str(read.data.get("by", "")) if read else "", delivery.read_at),
        Step("acked", "done" if is_acked else "current" if was_read else "waiting",
             str(acked.data.get("by", "")) if acked else "", delivery.acked_at,
             delivery.receipt_no or ""),
    ]
