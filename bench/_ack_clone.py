"""What bench/ack.py works out the same way on either backend (no I/O here): the rows cloned from one
issued item, and the order the pending deliveries are signed for in."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CLONED = ("items", "deliveries", "events", "outbox", "timers")

Row = Mapping[str, Any]


def clone_rows(copies: int, cols: Mapping[str, list[str]], ids: Mapping[str, int], item: Row,
               deliveries: Sequence[Row], events: Sequence[Row], outbox: Sequence[Row],
               timers: Sequence[Row]) -> dict[str, list[tuple[object, ...]]]:
    """`copies` copies of the item and of everything `issue` wrote for it, column for column (`cols`:
    each table's columns but `id`), with fresh ids from `ids` (each table's first free id), fresh
    short codes, and the references between them following the copies."""
    rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in CLONED}
    for k in range(copies):
        item_id = ids["items"] + k
        rows["items"].append((item_id, *[(f"{(item_id * 7919) % 90000 + 10000}" if col == "short_code"
                                          else item[col]) for col in cols["items"]]))
        d_map = {}
        for j, d in enumerate(deliveries):
            new_d = ids["deliveries"] + k * len(deliveries) + j
            d_map[d["id"]] = new_d
            rows["deliveries"].append((new_d, *[item_id if col == "item_id" else d[col]
                                                for col in cols["deliveries"]]))
        e_map = {}
        for j, e in enumerate(events):
            new_e = ids["events"] + k * len(events) + j
            e_map[e["id"]] = new_e
            rows["events"].append((new_e, *[item_id if col == "item_id" else d_map.get(e[col], e[col])
                                            if col == "delivery_id" else e[col] for col in cols["events"]]))
        for j, o in enumerate(outbox):
            rows["outbox"].append((ids["outbox"] + k * len(outbox) + j,
                                   *[e_map.get(o[col], o[col]) if col == "event_id"
                                     else d_map.get(o[col], o[col]) if col == "delivery_id" else o[col]
                                     for col in cols["outbox"]]))
        for j, t in enumerate(timers):
            rows["timers"].append((ids["timers"] + k * len(timers) + j,
                                   *[d_map[t[col]] if col == "delivery_id" else t[col] for col in cols["timers"]]))
    return rows


def interleaved(rows: Iterable[tuple[int, int]], unit_ids: set[int]) -> list[tuple[int, int]]:
    """(delivery id, unit id) of the pending deliveries of `unit_ids`, taking one unit after another."""
    by_unit: dict[int, collections.deque[int]] = collections.defaultdict(collections.deque)
    for did, uid in rows:
        if uid in unit_ids:
            by_unit[uid].append(did)
    out: list[tuple[int, int]] = []
    queues = list(by_unit.items())
    while any(q for _, q in queues):
        for uid, q in queues:
            if q:
                out.append((q.popleft(), uid))
    return out
