"""Per-unit figures for the office's circular (通报) on slow or idle units, and metric buckets."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# Prometheus histogram buckets of time to sign for, in seconds
ACK_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800)


@dataclass(frozen=True)
class DeliveryFacts:
    unit_id: int
    sent_at: datetime
    due_at: datetime
    acked_at: datetime | None
    state: str
    chases: int = 0                  # the sender's manual reminders (催办)


@dataclass(frozen=True)
class UnitUsage:
    """How much a unit's people used the system in the period."""
    unit_id: int
    people: int = 0                  # enabled accounts of the unit
    logins: int = 0                  # successful logins
    active_users: int = 0            # distinct people who logged in or did anything audited
    reports_sent: int = 0            # reports sent up (信息报送)
    reports_adopted: int = 0         # of those, adopted (采用)


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int
    received: int
    acknowledged: int
    median_minutes: float | None     # time to sign for
    p90_minutes: float | None
    overdue: int                     # signed for late, or still open past the window
    chased: int = 0                  # manual reminders by senders (催办), all deliveries together
    people: int = 0
    logins: int = 0
    active_users: int = 0
    reports_sent: int = 0
    reports_adopted: int = 0


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0–100) of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def unit_figures(facts: Iterable[DeliveryFacts], now: datetime, usage: Iterable[UnitUsage] = (),
                 units: Iterable[int] = ()) -> list[UnitFigures]:
    """The figures of every unit named in `units`, with deliveries or with usage, by unit id."""
    by_unit: dict[int, list[DeliveryFacts]] = {u: [] for u in units}
    for f in facts:
        by_unit.setdefault(f.unit_id, []).append(f)
    used = {u.unit_id: u for u in usage}
    for unit_id in used:
        by_unit.setdefault(unit_id, [])
    out = []
    for unit_id, rows in sorted(by_unit.items()):
        minutes = sorted((f.acked_at - f.sent_at).total_seconds() / 60 for f in rows if f.acked_at)
        overdue = sum(1 for f in rows if (f.acked_at and f.acked_at > f.due_at)
                      or (f.acked_at is None and f.state in ("pending", "read") and now > f.due_at))
        med = percentile(minutes, 50)
        p90 = percentile(minutes, 90)
        u = used.get(unit_id, UnitUsage(unit_id))
        out.append(UnitFigures(unit_id, len(rows), len(minutes),
                               round(med, 1) if med is not None else None,
                               round(p90, 1) if p90 is not None else None, overdue,
                               sum(f.chases for f in rows), u.people, u.logins, u.active_users,
                               u.reports_sent, u.reports_adopted))
    return out
