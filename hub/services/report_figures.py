"""The office's per-unit figures of reports upward (信息报送考核) for a period: reports sent and
adopted (the same query the circular and /metrics read: `tx.usage.reports`), 请示 answered on time,
late, and open past their due time, and the score from `[reports] weight_*`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.config import Config
from hub.domain.identity import UnitKind
from hub.domain.reports import UnitFigures, Weights
from hub.store import Tx


def weights_of(config: Config) -> Weights:
    c = config.reports
    return Weights(sent=c.weight_sent, adopted=c.weight_adopted, on_time=c.weight_on_time, late=c.weight_late,
                   overdue=c.weight_overdue)


@dataclass(frozen=True)
class FigureRow:
    unit_id: int
    unit: str
    figures: UnitFigures
    score: float

    def as_json(self) -> dict[str, object]:
        f = self.figures
        return {"unit_id": self.unit_id, "unit": self.unit, "sent": f.sent, "adopted": f.adopted,
                "on_time": f.on_time, "late": f.late, "overdue": f.overdue, "score": self.score}


async def reporting_units(tx: Tx, office_id: int) -> dict[int, str]:
    """The units whose reports go up to this office by default (its nearest OFFICE ancestor)."""
    units = {u.id: u for u in await tx.units.all()}

    def office_of(unit_id: int) -> int | None:
        seen: set[int] = set()
        parent = units[unit_id].parent_id
        while parent is not None and parent in units and parent not in seen:
            seen.add(parent)
            if units[parent].kind is UnitKind.OFFICE:
                return parent
            parent = units[parent].parent_id
        return None
    return {u.id: u.name for u in units.values()
            if u.kind is not UnitKind.DUTY_DESK and office_of(u.id) == office_id}


async def unit_figures(tx: Tx, office_id: int, since: datetime, until: datetime, now: datetime,
                       weights: Weights) -> list[FigureRow]:
    """Every unit reporting to the office (and any other that sent in the period), best score first."""
    sent = await tx.usage.reports(since, until)
    answers = await tx.reports.answer_figures(since, until, min(until, now))
    units = {u.id: u.name for u in await tx.units.all()}
    shown = await reporting_units(tx, office_id) | {u: units.get(u, "") for u in set(sent) | set(answers)}
    rows = []
    for unit_id, name in shown.items():
        f = UnitFigures(*sent.get(unit_id, (0, 0)), *answers.get(unit_id, (0, 0, 0)))
        rows.append(FigureRow(unit_id, name, f, round(f.score(weights), 2)))
    rows.sort(key=lambda r: (-r.score, r.unit_id))
    return rows
