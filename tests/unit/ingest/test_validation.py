from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainwatch.ingest import schemas as s
from chainwatch.ingest.validation import check_column, check_uscc


def test_uscc_wrong_check_character_names_the_expected_one() -> None:
    value, problem = check_uscc("91330100MA2XXXXXX1")
    assert value is None
    assert problem is not None and "expected '2'" in problem


def test_uscc_normalised_to_upper_case() -> None:
    assert check_uscc("91110000600037341l") == ("91110000600037341L", None)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("9111000060003734", "has 16 characters"),
        ("ABCDEFGH600037341L", "first 8 characters must be digits"),
    ],
)
def test_uscc_other_problems(raw: str, fragment: str) -> None:
    value, problem = check_uscc(raw)
    assert value is None and problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2015-03-08", dt.date(2015, 3, 8)),
        ("2015/3/8", dt.date(2015, 3, 8)),
        ("2015年3月8日", dt.date(2015, 3, 8)),
        ("20150308", dt.date(2015, 3, 8)),
        ("2015-03-08 00:00:00", dt.date(2015, 3, 8)),
        ("2015.3.8", dt.date(2015, 3, 8)),
    ],
)
def test_dates(raw: str, expected: dt.date) -> None:
    values, problems = check_column(pd.Series([raw]), s.DATE)
    assert values.iloc[0] == pd.Timestamp(expected) and problems.iloc[0] is None


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("2015-02-30", "not a real calendar date"),
        ("8/3/2015", "is not a date"),
        ("1850-01-01", "outside 1900"),
    ],
)
def test_bad_dates(raw: str, fragment: str) -> None:
    values, problems = check_column(pd.Series([raw]), s.DATE)
    assert pd.isna(values.iloc[0]) and fragment in problems.iloc[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-03", "2021-03"),
        ("2021/3", "2021-03"),
        ("202103", "2021-03"),
        ("2021年3月", "2021-03"),
        ("2021-03-01", "2021-03"),
    ],
)
def test_months(raw: str, expected: str) -> None:
    values, problems = check_column(pd.Series([raw]), s.MONTH)
    assert values.iloc[0] == expected and problems.iloc[0] is None


def test_month_out_of_range() -> None:
    _, problems = check_column(pd.Series(["2021-13"]), s.MONTH)
    assert "1–12" in problems.iloc[0]


def test_amounts() -> None:
    values, problems = check_column(pd.Series(["1,234.50", "¥20", "-1", "abc"]), s.AMOUNT)
    assert values.iloc[0] == 1234.5 and values.iloc[1] == 20
    assert problems.iloc[0] is None and problems.iloc[1] is None
    assert "negative" in problems.iloc[2]
    assert "not a number" in problems.iloc[3]


def test_counts_must_be_whole() -> None:
    _, problems = check_column(pd.Series(["3", "2.5"]), s.COUNT)
    assert problems.iloc[0] is None and "whole number" in problems.iloc[1]


def test_tags_split_on_both_separators() -> None:
    values, _ = check_column(pd.Series(["专精特新;小巨人、上市"]), s.TAGS)
    assert values.iloc[0] == ["上市", "专精特新", "小巨人"]


def test_directions_and_hs_codes() -> None:
    values, problems = check_column(pd.Series(["进口", "E", "x"]), s.DIRECTION)
    assert values.tolist()[:2] == ["import", "export"] and problems.iloc[2] is not None
    values, problems = check_column(pd.Series(["8542.31", "85", "3707901000"]), s.HS_CODE)
    assert values.iloc[0] == "854231" and problems.iloc[1] is not None
    assert values.iloc[2] == "3707901000"


@given(st.text(max_size=30))
def test_uscc_checker_never_crashes(raw: str) -> None:
    value, problem = check_uscc(raw)
    assert (value is None) != (problem is None)


@given(st.text(max_size=20))
def test_date_checker_never_crashes(raw: str) -> None:
    values, problems = check_column(pd.Series([raw]), s.DATE)
    assert pd.isna(values.iloc[0]) != (problems.iloc[0] is None)
