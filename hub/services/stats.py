"""Statistics: the per-unit figures of a period — the one source the /stats page, the circular (通报)
and /metrics read — and the Prometheus metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from hub.clock import Clock, parse_utc
from hub.domain.calendar import CST
from hub.domain.identity import Actor
from hub.domain.permissions import Action, can, require
from hub.domain.stats import ACK_BUCKETS, DeliveryFacts, UnitFigures, UnitUsage, unit_figures
from hub.store import Store, Tx


async def period_figures(tx: Tx, since: datetime, until: datetime, now: datetime) -> list[UnitFigures]:
    """THE per-unit figures of [since, until): deliveries sent in it (received, signed for, median and
    p90 minutes to sign for, overdue as of `now`, chases), logins, active users (people who logged in
    or did anything audited in it), people, reports sent up in it and adopted. Every unit with people
    or deliveries, by id."""
    rows = await tx.deliveries.for_stats(since, until)
    facts = [DeliveryFacts(u, parse_utc(s), parse_utc(d), parse_utc(a) if a else None, st, n)
             for u, s, d, a, st, n in rows]
    people = await tx.usage.people()
    logins = await tx.usage.logins(since, until)
    active = await tx.usage.active_users(since, until)
    reports = await tx.usage.reports(since, until)
    usage = [UnitUsage(u, people.get(u, 0), logins.get(u, 0), active.get(u, 0), *reports.get(u, (0, 0)))
             for u in set(people) | set(logins) | set(active) | set(reports)]
    return unit_figures(facts, now, usage)


def day_span(since: date, until: date) -> tuple[datetime, datetime]:
    """Beijing days `since` to `until`, both included, as the instants [since 00:00, until+1 00:00)."""
    return (datetime.combine(since, time(0), CST), datetime.combine(until + timedelta(days=1), time(0), CST))


def month_span(year: int, month: int) -> tuple[datetime, datetime]:
    """A calendar month in Beijing time, as [first day 00:00, next month's first day 00:00)."""
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return datetime.combine(start, time(0), CST), datetime.combine(end, time(0), CST)


def this_month(now: datetime) -> tuple[datetime, datetime]:
    today = now.astimezone(CST).date()
    return month_span(today.year, today.month)


def last_month(now: datetime) -> tuple[datetime, datetime]:
    first = now.astimezone(CST).date().replace(day=1) - timedelta(days=1)
    return month_span(first.year, first.month)


class StatsService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def period(self, since: datetime, until: datetime) -> list[UnitFigures]:
        """`period_figures` in a read of its own (no permission: for the circular and /metrics)."""
        async with self.store.read() as tx:
            return await period_figures(tx, since, until, self.clock.now())

    async def units(self, actor: Actor, since: datetime, until: datetime) -> list[UnitFigures]:
        """Figures of every unit (or, for a leader, their own) for [since, until)."""
        require(actor, Action.VIEW_STATS)
        return [f for f in await self.period(since, until) if can(actor, Action.VIEW_STATS, f.unit_id)]

    async def metrics(self) -> Metrics:
        """The counters, and the per-unit figures of this calendar month (Beijing time) so far."""
        m = await read_metrics(self.store)
        async with self.store.read() as tx:
            m.units = await period_figures(tx, *this_month(self.clock.now()), self.clock.now())
            m.unit_codes = {u.id: u.code for u in await tx.units.all()}
        return m


# per-unit series of /metrics: (name, UnitFigures attribute, help)
UNIT_SERIES = (
    ("xietong_unit_deliveries_received", "received", "Deliveries a unit received this month."),
    ("xietong_unit_deliveries_acknowledged", "acknowledged", "Of those, signed for (签收)."),
    ("xietong_unit_sign_for_median_minutes", "median_minutes", "Median minutes to sign for."),
    ("xietong_unit_sign_for_p90_minutes", "p90_minutes", "90th percentile of minutes to sign for."),
    ("xietong_unit_deliveries_overdue", "overdue", "Deliveries signed for late or open past the window."),
    ("xietong_unit_chases", "chased", "Senders' manual reminders (催办) of the unit's deliveries."),
    ("xietong_unit_logins", "logins", "Successful logins of the unit's people."),
    ("xietong_unit_active_users", "active_users", "People who logged in or acted."),
    ("xietong_unit_people", "people", "Enabled accounts of the unit."),
    ("xietong_unit_reports_sent", "reports_sent", "Reports the unit sent up (信息报送)."),
    ("xietong_unit_reports_adopted", "reports_adopted", "Of those, adopted (采用)."),
)


@dataclass
class Metrics:
    """Counters and the time-to-sign-for histogram, read from the store when scraped."""
    issued: int = 0
    acknowledged: int = 0
    escalated: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(ACK_BUCKETS) + 1))
    ack_seconds_sum: float = 0.0
    units: list[UnitFigures] = field(default_factory=list)     # this calendar month so far, per unit
    unit_codes: dict[int, str] = field(default_factory=dict)

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
        for name, attr, text in UNIT_SERIES:
            lines += [f"# HELP {name} {text} Window: this calendar month (Beijing time) so far.",
                      f"# TYPE {name} gauge"]
            for f in self.units:
                value = getattr(f, attr)
                if value is not None and f.unit_id in self.unit_codes:
                    lines.append(f'{name}{{unit="{self.unit_codes[f.unit_id]}"}} {value}')
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
