"""Plausibility flags on a hand-made history (every band below is worked out in the comments)."""

from __future__ import annotations

from typing import Any

import pytest

from chainwatch.monitor.report_checks import History, check_report, level_band
from chainwatch.monitor.report_schema import MonthlyReport
from tests.unit.monitor.report_cases import report_data

# output of 2024-01 … 2024-12: median 100; |deviations| 0,2,2,1,1,0,3,3,0,0,1,1 → MAD 1,
# 1.4826 × 1 is below the floor 5 % × 100 = 5, so s = 5 and the band is 100 ± 3.5 × 5.
STEADY = [100, 102, 98, 101, 99, 100, 103, 97, 100, 100, 101, 99]
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def _report(**changes: Any) -> MonthlyReport:
    return MonthlyReport.model_validate(report_data(period="2025-01", **changes))


def _history(values: list[float], months: list[str] = MONTHS) -> History:
    history = History()
    for period, value in zip(months, values, strict=True):
        history.add_figure("output", period, value, replace=True)
    return history


def _output_flags(value: float, history: History) -> list[dict[str, Any]]:
    flags = check_report(_report(output=value, value_added=0), history)
    return [f for f in flags if f["field"] == "output"]


def test_steady_history_band() -> None:
    band = level_band(STEADY)
    assert band is not None
    assert (band.median, band.low, band.high, band.months) == (100, 82.5, 117.5, 12)


def test_spread_history_band_uses_the_scaled_mad() -> None:
    # sorted 70 80 90 95 100 100 100 100 105 110 120 130 → median 100; deviations sorted
    # 0 0 0 0 5 5 10 10 20 20 30 30 → MAD 7.5; s = 1.4826 × 7.5 = 11.1195; width 38.91825.
    band = level_band([100, 120, 80, 110, 90, 100, 130, 70, 100, 105, 95, 100])
    assert band is not None
    assert band.low == pytest.approx(100 - 38.91825)
    assert band.high == pytest.approx(100 + 38.91825)


def test_constant_history_falls_back_to_the_floor() -> None:
    band = level_band([200.0] * 8)
    assert band is not None and (band.low, band.high) == (165.0, 235.0)


@pytest.mark.parametrize(
    ("value", "flagged", "why"),
    [
        (110, False, "inside the band"),
        (118, False, "outside the band, but +18 % on the same month last year"),
        (60, False, "outside the band, but −40 % year on year is within −50 %"),
        (250, True, "outside the band and +150 % year on year"),
        (45, True, "outside the band and −55 % year on year"),
        (0, True, "a month without output against a steady history"),
    ],
)
def test_both_tests_must_fail_when_both_can_be_made(value: float, flagged: bool, why: str) -> None:
    assert bool(_output_flags(value, _history(STEADY))) is flagged, why


def test_flag_says_which_value_what_was_expected_and_why() -> None:
    (flag,) = _output_flags(250, _history(STEADY))
    assert flag["label"] == "工业总产值" and flag["value"] == 250 and flag["kind"] == "history"
    assert (flag["median"], flag["low"], flag["high"]) == (100, 82.5, 117.5)
    assert flag["last_year"] == 100 and flag["yoy_change"] == pytest.approx(1.5)
    for part in (
        "工业总产值 250 元",
        "中位数 100 元",
        "82.5 元～117.5 元",
        "去年同月 100 元",
        "+150.0%",
    ):
        assert part in flag["message"], part


def test_level_alone_without_last_year() -> None:
    history = _history(STEADY[1:], MONTHS[1:])  # no 2024-01
    (flag,) = _output_flags(118, history)
    assert flag["last_year"] is None and flag["yoy_change"] is None
    assert "去年同月" not in flag["message"]


def test_year_on_year_alone_with_a_short_history() -> None:
    history = _history([100], ["2024-01"])
    assert _output_flags(150, history) == []  # +50 %
    (flag,) = _output_flags(250, history)
    assert flag["median"] is None and flag["yoy_change"] == pytest.approx(1.5)


def test_nothing_to_compare_with_flags_nothing() -> None:
    history = _history([100, 100, 100, 100, 100], MONTHS[7:])  # five months, no 2024-01
    assert _output_flags(1_000_000, history) == []


def test_consistency_within_the_report() -> None:
    flags = check_report(
        _report(output=100, value_added=150, revenue=100, taxes=120, profit=-20), History()
    )
    assert [(f["field"], f["compared_with"]) for f in flags] == [
        ("value_added", "output"),
        ("taxes", "revenue"),
    ]
    assert "增加值 150 元 大于工业总产值 100 元" in flags[0]["message"]


def test_product_lines_compare_with_the_same_product_and_unit() -> None:
    history = History()
    for period in MONTHS:
        history.products.setdefault(("晶圆", "片"), {})[period] = 1000
    report = _report(
        products=[
            {"name": "晶圆", "unit": "片", "quantity": 9000},
            {"name": "晶圆", "unit": "千片", "quantity": 9},  # another unit: no history
        ]
    )
    flags = [f for f in check_report(report, history) if f["field"].startswith("products")]
    assert [f["field"] for f in flags] == ["products.0.quantity"]
    assert flags[0]["label"] == "晶圆产量" and flags[0]["unit"] == "片"


def test_profit_may_be_negative_and_has_no_year_on_year_against_a_loss() -> None:
    history = History()
    for period in MONTHS:
        history.add_figure("profit", period, -50, replace=True)
    report = _report(profit=-52)
    assert [f for f in check_report(report, history) if f["field"] == "profit"] == []


def test_history_prefers_direct_reports_over_lake_values() -> None:
    history = History()
    history.add_figure("output", "2024-05", 10, replace=True)  # a direct report
    history.add_figure("output", "2024-05", 99, replace=False)  # the lake's figure
    assert history.figures["output"] == {"2024-05": 10}
