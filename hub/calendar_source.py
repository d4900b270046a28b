"""China's holiday arrangement from the `holidays` package, plus config overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

import holidays

from hub.domain.calendar import WorkCalendar, parse_hours

YEARS = range(2020, 2041)


@cache
def china_days() -> tuple[frozenset[date], frozenset[date]]:
    """The package's days off and 调休 working weekends of YEARS: worked out once per process (~3 ms, 60 ms the first time;
    every hub start asks, and the test suite starts a hub per test)."""
    cn = holidays.country_holidays("CN", years=YEARS)
    worked = {d for d in getattr(cn, "weekend_workdays", set()) if d.year in YEARS}
    return frozenset(cn.keys()), frozenset(worked)


def china_calendar(extra_holidays: Iterable[str] = (), extra_workdays: Iterable[str] = (),
                   hours: str = "00:00-24:00") -> WorkCalendar:
    days_off, worked = china_days()
    added_off = {date.fromisoformat(s) for s in extra_holidays}
    added_work = {date.fromisoformat(s) for s in extra_workdays}
    start, end = parse_hours(hours)
    return WorkCalendar(frozenset((days_off | added_off) - added_work),
                        frozenset((worked | added_work) - added_off), start, end)
