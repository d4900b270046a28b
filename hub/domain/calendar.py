"""Working days and working time, by China's official arrangement (no I/O).

A `WorkCalendar` is given the year's public holidays and the adjusted working
weekends (调休) as data; `hub.calendar_source` fills it from the `holidays`
package plus config overrides. Business time is China Standard Time
(UTC+8, no daylight saving).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")   # 北京时间


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]          # 法定节假日 and their days off, on whatever weekday
    workdays: frozenset[date]          # 调休: weekend days that are working days
    day_start: time = time(0, 0)       # working hours on a working day; the default counts
    day_end: time | None = None        # the whole day (None = midnight at the end)

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def _hours(self, d: date) -> tuple[datetime, datetime]:
        start = datetime.combine(d, self.day_start, CST)
        end = (datetime.combine(d, self.day_end, CST) if self.day_end
               else datetime.combine(d + timedelta(days=1), time(0, 0), CST))
        return start, end

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of working time has passed after `start`."""
        if duration <= timedelta(0):
            return start
        left = duration
        cursor = start.astimezone(CST)
        day = cursor.date()
        for _ in range(3660):   # ten years of days: a calendar can't be that empty
            if self.is_working_day(day):
                open_, close = self._hours(day)
                begin = max(cursor, open_)
                if begin < close:
                    available = close - begin
                    if left <= available:
                        return (begin + left).astimezone(UTC)
                    left -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time(0, 0), CST)
        raise ValueError("no working time found within ten years")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero if end is not after start)."""
        total = timedelta(0)
        cursor = start.astimezone(CST)
        stop = end.astimezone(CST)
        day = cursor.date()
        while cursor < stop:
            if self.is_working_day(day):
                open_, close = self._hours(day)
                a, b = max(cursor, open_), min(stop, close)
                if a < b:
                    total += b - a
            day += timedelta(days=1)
            cursor = datetime.combine(day, time(0, 0), CST)
        return total


def parse_hours(text: str) -> tuple[time, time | None]:
    """'09:00-17:00' → (09:00, 17:00); '00:00-24:00' → whole days."""
    try:
        a, b = text.split("-")
        start = time.fromisoformat(a.strip())
        end = None if b.strip() == "24:00" else time.fromisoformat(b.strip())
    except ValueError:
        raise ValueError(f"working hours must look like 09:00-17:00, got {text!r}") from None
    if end is not None and end <= start:
        raise ValueError(f"working hours must end after they start: {text!r}")
    return start, end
