"""The common monthly pattern: Spring Festival profile and 2020 shock, computed by hand."""

from __future__ import annotations

import pytest

from chainwatch.synth import seasons


def test_spring_festival_dates_used_by_the_brief() -> None:
    assert [seasons.SPRING_FESTIVAL[y].isoformat() for y in range(2019, 2024)] == [
        "2019-02-05",
        "2020-01-25",
        "2021-02-12",
        "2022-02-01",
        "2023-01-22",
    ]


def test_festival_factor_february_2019_by_hand() -> None:
    # 春节 2019-02-05: Feb 1–3 at 0.7, Feb 4–11 at 0.3, Feb 12–19 at 0.7, Feb 20–26 at 0.9,
    # Feb 27–28 at 1: (2.1 + 2.4 + 5.6 + 6.3 + 2) / 28.
    assert seasons.festival_factor((2019, 2)) == pytest.approx(18.4 / 28)


def test_festival_factor_january_2019_by_hand() -> None:
    # Jan 24–28 (days −12…−8) at 0.9, Jan 29–31 (−7…−5) at 0.7, the other 23 days at 1.
    assert seasons.festival_factor((2019, 1)) == pytest.approx(29.6 / 31)


def test_months_far_from_the_festival_are_untouched() -> None:
    assert seasons.festival_factor((2019, 6)) == 1.0
    assert seasons.festival_factor((2021, 10)) == 1.0


def test_macro_factor_february_2020_by_hand() -> None:
    # 春节 2020-01-25: Feb 1–8 at 0.7, Feb 9–15 at 0.9, Feb 16–29 at 1 → 25.9/29;
    # × 29/30.44 days × 0.5 epidemic shock × month profile 1.0, first month so no growth.
    value = seasons.macro_factors([(2020, 2)])[0]
    assert value == pytest.approx(25.9 / 30.44 * 0.5)


def test_growth_compounds_by_month() -> None:
    two = seasons.macro_factors([(2019, 6), (2019, 7)])
    profile = seasons.MONTH_PROFILE
    assert two[1] / two[0] == pytest.approx(
        (31 * profile[6]) / (30 * profile[5]) * 1.06 ** (1 / 12)
    )


def test_month_list_crosses_years() -> None:
    assert seasons.month_labels(seasons.month_list((2019, 11), 3)) == [
        "2019-11",
        "2019-12",
        "2020-01",
    ]
