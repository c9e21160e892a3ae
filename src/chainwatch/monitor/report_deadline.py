"""When a monthly direct report is due, and how late a report is.

The report of month M is due on the 8th of month M + 1 (the practice of the seed reports). When
the 8th is not a working day the deadline moves to the next working day, the way the Civil Code
counts periods (《民法典》第二百零三条: a period whose last day is a statutory holiday ends on
the day after the holiday). Working days follow China's official calendar with its make-up
workdays (the chinese-calendar package): the September 2025 report is due on 9 October 2025
because 8 October is the last day of the National Day holiday, and the January 2025 report stays
due on Saturday 8 February 2025, a make-up workday. For a year the package does not cover yet
only weekends count as days off, and ``calendar_known`` says so.

A report is on time when it is first submitted by the end of the deadline, China Standard Time
(UTC+8; China has no daylight saving). Days late are calendar days after the deadline.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from chainwatch.monitor.periods import Month

DUE_DAY = 8
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


@lru_cache(maxsize=64)
def calendar_known(year: int) -> bool:
    """Whether the official holiday calendar of ``year`` is known (else weekends only)."""
    import chinese_calendar

    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    if not calendar_known(day.year):
        return day.weekday() < 5
    import chinese_calendar

    return bool(chinese_calendar.is_workday(day))


def deadline_of(period: Month) -> dt.date:
    """The last day to report ``period``: the 8th of the next month, or the next working day."""
    following = period.shifted(1)
    day = dt.date(following.year, following.month, DUE_DAY)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def china_date(moment: dt.datetime) -> dt.date:
    """The calendar day in China of a moment (naive moments are UTC, as the database keeps)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).date()


def is_on_time(period: Month, submitted_at: dt.datetime) -> bool:
    return china_date(submitted_at) <= deadline_of(period)


def days_late(period: Month, moment: dt.datetime) -> int:
    """Calendar days after the deadline at ``moment`` (0 while the deadline has not passed)."""
    return max(0, (china_date(moment) - deadline_of(period)).days)
