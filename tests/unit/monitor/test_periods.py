from __future__ import annotations

import duckdb
import pytest

from chainwatch.errors import ValidationError
from chainwatch.monitor import periods
from chainwatch.monitor.periods import JAN_FEB, Month


def test_parse_month_accepts_only_yyyy_mm() -> None:
    assert periods.parse_month("2021-03") == Month(2021, 3)
    for bad in ("2021-13", "2021-3", "202103", "2021/03", "March"):
        with pytest.raises(ValidationError, match="expected YYYY-MM"):
            periods.parse_month(bad, "--from")


def test_range_must_run_forwards() -> None:
    periods.check_range(Month(2021, 1), Month(2021, 1))
    with pytest.raises(ValidationError, match="--from 2021-03 is after --to 2021-01"):
        periods.check_range(Month(2021, 3), Month(2021, 1))


def test_shifting_a_year_back_crosses_the_year() -> None:
    assert Month(2021, 1).shifted(-12) == Month(2020, 1)
    assert Month(2021, 1).shifted(-1) == Month(2020, 12)
    assert Month(2020, 12).shifted(1) == Month(2021, 1)


def test_period_labels_round_trip() -> None:
    assert periods.period_label(2021, JAN_FEB) == "2021-01+02"
    assert periods.period_label(2021, 3) == "2021-03"
    assert periods.parse_period("2021-01+02") == (2021, JAN_FEB)
    assert periods.parse_period("2021-11") == (2021, 11)
    with pytest.raises(ValidationError):
        periods.parse_period("2021-03+04")


@pytest.mark.parametrize(
    ("year", "slot", "days"),
    [
        (2020, 2, 29),
        (2021, 2, 28),
        (2000, 2, 29),
        (2100, 2, 28),  # Gregorian leap rules
        (2020, JAN_FEB, 60),
        (2021, JAN_FEB, 59),
        (2021, 4, 30),
        (2021, 12, 31),
    ],
)
def test_days_in_period_in_python_and_sql(year: int, slot: int, days: int) -> None:
    assert periods.days_in_period(year, slot) == days
    con = duckdb.connect()
    values = f"(SELECT {year} AS y, {slot} AS s)"
    sql_days = con.execute(f"SELECT {periods.days_sql('y', 's')} FROM {values}").fetchone()
    assert sql_days == (days,)
    label = con.execute(f"SELECT {periods.label_sql('y', 's')} FROM {values}").fetchone()
    assert label == (periods.period_label(year, slot),)
