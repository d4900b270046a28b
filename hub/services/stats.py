"""Statistics for the circular (通报) and the Prometheus metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hub.clock import Clock, parse_utc
from hub.domain.identity import Actor
from hub.domain.permissions import Action, can, require
from hub.domain.stats import ACK_BUCKETS, DeliveryFacts, UnitFigures, unit_figures
from hub.store import Store


class StatsService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def units(self, actor: Actor, since: datetime, until: datetime) -> list[UnitFigures]:
        """Figures of every unit (or, for a leader, their own) for deliveries sent in [since, until)."""
        require(actor, Action.VIEW_STATS)
        async with self.store.read() as tx:
            rows = await tx.deliveries.for_stats(since, until)
        facts = [DeliveryFacts(u, parse_utc(s), parse_utc(d), parse_utc(a) if a else None, st, n)
                 for u, s, d, a, st, n in rows if can(actor, Action.VIEW_STATS, u)]
        return unit_figures(facts, self.clock.now())


@dataclass
class Metrics:
    """Counters and the time-to-sign-for histogram, read from the store when scraped."""
    issued: int = 0
    acknowledged: int = 0
    escalated: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(ACK_BUCKETS) + 1))
    ack_seconds_sum: float = 0.0

    def render(self) -> str:
        lines = [
            "# HELP xietong_items_issued_total Urgent items issued.",
            "# TYPE xietong_items_issued_total counter",
            f"xietong_items_issued_total {self.issued}",
            "# HELP xietong_deliveries_acknowledged_total Deliveries signed for (签收).",
            "# TYPE xietong_deliveries_acknowledged_total counter",
            f"xietong_deliveries_acknowledged_total {self.acknowledged}",
            "# HELP xietong_escalations_total Escalation ladder steps that acted.",
            "# TYPE xietong_escalations_total counter",
            f"xietong_escalations_total {self.escalated}",
            "# HELP xietong_time_to_acknowledge_seconds Time from issue to signing for.",
            "# TYPE xietong_time_to_acknowledge_seconds histogram",
        ]
        running = 0
        for bound, n in zip([*map(str, ACK_BUCKETS), "+Inf"], self.buckets):
            running += n
            lines.append(f'xietong_time_to_acknowledge_seconds_bucket{{le="{bound}"}} {running}')
        lines.append(f"xietong_time_to_acknowledge_seconds_sum {self.ack_seconds_sum:.3f}")
        lines.append(f"xietong_time_to_acknowledge_seconds_count {running}")
        return "\n".join(lines) + "\n"


async def read_metrics(store: Store) -> Metrics:
    """Aggregates from the store; scrapes are rare, so nothing is kept in memory between them."""
    m = Metrics()
    async with store.read() as tx:
        m.issued = await tx.items.count()
        m.escalated = (await tx.events.counts_by_type()).get("item.escalated", 0)
        m.acknowledged, m.ack_seconds_sum, cumulative = await tx.deliveries.ack_time_histogram(ACK_BUCKETS)
    previous = 0
    for i, c in enumerate(cumulative):
        m.buckets[i] = c - previous
        previous = c
    m.buckets[-1] = m.acknowledged - previous
    return m
