"""China's holiday arrangement from the `holidays` package, plus config overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

from hub.domain.calendar import WorkCalendar, parse_hours

YEARS = range(2020, 2041)


def china_calendar(extra_holidays: Iterable[str] = (), extra_workdays: Iterable[str] = (),
                   hours: str = "00:00-24:00") -> WorkCalendar:
    cn = holidays.country_holidays("CN", years=YEARS)
    days_off = set(cn.keys())
    worked = {d for d in getattr(cn, "weekend_workdays", set()) if d.year in YEARS}
    added_off = {date.fromisoformat(s) for s in extra_holidays}
    added_work = {date.fromisoformat(s) for s in extra_workdays}
    start, end = parse_hours(hours)
    return WorkCalendar(frozenset((days_off | added_off) - added_work),
                        frozenset((worked | added_work) - added_off), start, end)
