"""The common monthly pattern of activity: calendar months, the Spring Festival, 2020, growth.

macro(t) = working_days(t) × month_profile(m) × spring_festival(t) × shock_2020(t) × (1+g)^(t/12)

* working_days: days in the month / 30.44, so February is shorter;
* month_profile: mild end-of-quarter and year-end pushes (December +10 %);
* spring_festival: the mean over the month's days of a daily activity profile around 春节
  (0.9 from day −12, 0.7 from day −7, 0.3 from the eve to day +6, 0.7 to day +14, 0.9 to
  day +21, then 1), so the dip falls in January or February as the real date moves;
* shock_2020: the early-2020 epidemic (February 0.5, March 0.86, April 0.96, May 0.99),
  exports additionally weaker in March–May 2020 (0.9, 0.85, 0.92);
* growth g = 6 % a year.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np

# 春节 (first day of the lunar year), from the official holiday notices.
SPRING_FESTIVAL = {
    2010: dt.date(2010, 2, 14),
    2011: dt.date(2011, 2, 3),
    2012: dt.date(2012, 1, 23),
    2013: dt.date(2013, 2, 10),
    2014: dt.date(2014, 1, 31),
    2015: dt.date(2015, 2, 19),
    2016: dt.date(2016, 2, 8),
    2017: dt.date(2017, 1, 28),
    2018: dt.date(2018, 2, 16),
    2019: dt.date(2019, 2, 5),
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
}
FIRST_YEAR = min(SPRING_FESTIVAL)
LAST_YEAR = max(SPRING_FESTIVAL)

MONTH_PROFILE = np.array([1.0, 1.0, 1.02, 1.0, 1.01, 1.04, 0.99, 0.99, 1.04, 1.0, 1.03, 1.10])
SHOCK_2020 = {(2020, 2): 0.5, (2020, 3): 0.86, (2020, 4): 0.96, (2020, 5): 0.99}
EXPORT_SHOCK_2020 = {(2020, 3): 0.9, (2020, 4): 0.85, (2020, 5): 0.92}
ANNUAL_GROWTH = 0.06

# (first day offset, activity) steps of the daily profile around 春节; offsets from the day.
_FESTIVAL_STEPS = ((-12, 0.9), (-7, 0.7), (-1, 0.3), (7, 0.7), (15, 0.9), (22, 1.0))


def month_list(start: tuple[int, int], months: int) -> list[tuple[int, int]]:
    year, month = start
    out = []
    for _ in range(months):
        out.append((year, month))
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def month_labels(periods: list[tuple[int, int]]) -> list[str]:
    return [f"{y:04d}-{m:02d}" for y, m in periods]


def days_in(period: tuple[int, int]) -> int:
    return calendar.monthrange(*period)[1]


def _daily_activity(day: dt.date) -> float:
    festival = SPRING_FESTIVAL.get(day.year)
    following = SPRING_FESTIVAL.get(day.year + 1)
    for date in (festival, following):
        if date is None:
            continue
        offset = (day - date).days
        if _FESTIVAL_STEPS[0][0] <= offset < _FESTIVAL_STEPS[-1][0]:
            level = 1.0
            for first, value in _FESTIVAL_STEPS:
                if offset >= first:
                    level = value
            return level
    return 1.0


def festival_factor(period: tuple[int, int]) -> float:
    """Mean daily activity of the month around the Spring Festival (1.0 when unaffected)."""
    year, month = period
    days = days_in(period)
    return float(np.mean([_daily_activity(dt.date(year, month, d)) for d in range(1, days + 1)]))


def macro_factors(periods: list[tuple[int, int]]) -> np.ndarray:
    """The province-wide activity multiplier for each month (about 1 in an ordinary month)."""
    values = []
    for t, period in enumerate(periods):
        month = period[1]
        value = days_in(period) / 30.44 * MONTH_PROFILE[month - 1]
        value *= festival_factor(period)
        value *= SHOCK_2020.get(period, 1.0)
        value *= (1 + ANNUAL_GROWTH) ** (t / 12)
        values.append(value)
    return np.array(values)


def export_factors(periods: list[tuple[int, int]]) -> np.ndarray:
    return np.array([EXPORT_SHOCK_2020.get(p, 1.0) for p in periods])
