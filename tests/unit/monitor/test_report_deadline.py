"""Deadlines of the monthly direct report: the 8th of the next month, moved to the next
working day by China's official calendar (holidays and make-up workdays)."""

from __future__ import annotations

import datetime as dt

import pytest

from chainwatch.monitor.periods import Month
from chainwatch.monitor.report_deadline import (
    calendar_known,
    days_late,
    deadline_of,
    is_on_time,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("period", "deadline", "why"),
    [
        (Month(2025, 6), dt.date(2025, 7, 8), "an ordinary Tuesday"),
        (Month(2025, 9), dt.date(2025, 10, 9), "8 October 2025 ends the National Day holiday"),
        (Month(2020, 9), dt.date(2020, 10, 9), "8 October 2020 is in the National Day holiday"),
        (Month(2025, 2), dt.date(2025, 3, 10), "8 March 2025 is a Saturday"),
        (Month(2025, 1), dt.date(2025, 2, 8), "Saturday 8 February 2025 is a make-up workday"),
        (Month(2024, 12), dt.date(2025, 1, 8), "December reports are due in January"),
    ],
)
def test_deadline(period: Month, deadline: dt.date, why: str) -> None:
    assert deadline_of(period) == deadline, why


def test_a_year_without_official_calendar_moves_only_past_weekends() -> None:
    assert not calendar_known(2031)
    assert calendar_known(2025)
    # 8 June 2031 is a Sunday; 8 July 2031 a Tuesday.
    assert deadline_of(Month(2031, 5)) == dt.date(2031, 6, 9)
    assert deadline_of(Month(2031, 6)) == dt.date(2031, 7, 8)


def test_on_time_until_the_end_of_the_deadline_in_china_time() -> None:
    period = Month(2025, 9)  # due 2025-10-09
    last_minute = dt.datetime(2025, 10, 9, 15, 59, tzinfo=UTC)  # 23:59 in Beijing
    after_midnight = dt.datetime(2025, 10, 9, 16, 1, tzinfo=UTC)  # 00:01 on the 10th
    assert is_on_time(period, last_minute)
    assert not is_on_time(period, after_midnight)
    assert days_late(period, last_minute) == 0
    assert days_late(period, after_midnight) == 1
    assert days_late(period, dt.datetime(2025, 10, 20, 3, 0)) == 11  # naive = UTC
    assert days_late(period, dt.datetime(2025, 9, 30, tzinfo=UTC)) == 0
