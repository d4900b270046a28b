"""Working time by China's arrangement, with the 2025 National Day holiday and its 调休."""

from datetime import UTC, date, datetime, time, timedelta

from hub.calendar_source import china_calendar
from hub.domain.calendar import CST, WorkCalendar

CAL = china_calendar()


def bj(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def test_weekends_holidays_and_adjusted_working_sundays():
    assert CAL.is_working_day(date(2025, 9, 26))        # Friday
    assert not CAL.is_working_day(date(2025, 9, 27))    # Saturday
    assert CAL.is_working_day(date(2025, 9, 28))        # Sunday, but 调休: a working day
    assert not CAL.is_working_day(date(2025, 10, 1))    # National Day
    assert not CAL.is_working_day(date(2025, 10, 8))    # last day off
    assert CAL.is_working_day(date(2025, 10, 9))
    assert CAL.is_working_day(date(2025, 10, 11))       # Saturday, 调休


def test_24_working_hours_from_the_friday_before_national_day_end_on_the_adjusted_sunday():
    issued = bj(2025, 9, 26, 10, 0)            # Friday 10:00; Saturday is off; Sunday the 28th is worked
    due = CAL.add_working_time(issued, timedelta(hours=24))
    assert due == bj(2025, 9, 28, 10, 0).astimezone(UTC)


def test_24_working_hours_from_the_eve_of_the_holiday_skip_all_eight_days_off():
    issued = bj(2025, 9, 30, 16, 0)            # Tuesday 16:00, the last working day before 1–8 October
    due = CAL.add_working_time(issued, timedelta(hours=24))
    assert due == bj(2025, 10, 9, 16, 0).astimezone(UTC)
    assert CAL.working_time_between(issued, due) == timedelta(hours=24)


def test_office_hours_calendar_counts_only_the_hours_of_the_working_day():
    office = WorkCalendar(CAL.holidays, CAL.workdays, time(9, 0), time(17, 0))
    due = office.add_working_time(bj(2025, 9, 30, 16, 0), timedelta(hours=8))
    assert due == bj(2025, 10, 9, 16, 0).astimezone(UTC)   # 1 h on the 30th, 7 h on the 9th
    evening = office.add_working_time(bj(2025, 9, 26, 20, 0), timedelta(hours=1))
    assert evening == bj(2025, 9, 28, 10, 0).astimezone(UTC)


def test_config_overrides_add_a_year_the_library_does_not_know():
    cal = china_calendar(extra_holidays=["2099-01-02"], extra_workdays=["2099-01-04"])
    assert not cal.is_working_day(date(2099, 1, 2))     # a Friday made a holiday
    assert cal.is_working_day(date(2099, 1, 4))         # a Sunday made a working day
