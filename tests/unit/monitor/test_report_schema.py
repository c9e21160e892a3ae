"""Validation of a monthly direct report: every problem at once, field by field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chainwatch.errors import ValidationError
from chainwatch.monitor.report_schema import parse_report
from tests.unit.monitor.report_cases import FIRM, report_data

TODAY = dt.date(2025, 10, 5)


def _errors(data: Any) -> dict[str, dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        parse_report(data, TODAY)
    assert caught.value.status == 422
    return {e["field"]: e for e in caught.value.errors}


def test_a_valid_report() -> None:
    report = parse_report(report_data(uscc=FIRM.lower(), output="1000000.5"), TODAY)
    assert report.uscc == FIRM  # upper-cased, check character verified
    assert report.period == "2025-09" and report.month.label == "2025-09"
    assert float(report.output) == 1_000_000.5
    assert report.products[0].name == "晶圆" and report.prices[0].price == 65.5


def test_a_loss_is_a_negative_profit_but_other_figures_cannot_be_negative() -> None:
    assert float(parse_report(report_data(profit=-12_000), TODAY).profit) == -12_000
    errors = _errors(report_data(output=-1, electricity_kwh=-5))
    assert errors["output"]["type"] == "negative" and errors["output"]["got"] == -1
    assert errors["electricity_kwh"]["label"] == "用电量"


def test_every_missing_field_is_listed() -> None:
    data = report_data()
    for name in ("output", "value_added", "revenue", "taxes", "profit"):
        del data[name]
    data["electricity_kwh"] = None  # an empty form field
    data["products"] = []
    errors = _errors(data)
    assert set(errors) == {
        "output",
        "value_added",
        "revenue",
        "taxes",
        "profit",
        "electricity_kwh",
        "products",
    }
    assert {e["type"] for e in errors.values()} == {"required"}


def test_period_must_be_a_month_that_has_ended() -> None:
    assert _errors(report_data(period="2025-10"))["period"]["type"] == "period_not_ended"
    assert _errors(report_data(period="2026-01"))["period"]["type"] == "period_not_ended"
    for bad in ("2025-9", "2025-13", "202509", "2025年9月"):
        assert _errors(report_data(period=bad))["period"]["type"] == "period_format", bad


def test_credit_code_check_character() -> None:
    wrong = FIRM[:-1] + ("0" if FIRM[-1] != "0" else "1")
    error = _errors(report_data(uscc=wrong))["uscc"]
    assert error["type"] == "uscc_invalid" and "check character" in error["problem"]


def test_lines_numbers_and_unknown_fields() -> None:
    errors = _errors(
        report_data(
            revenue="abc",
            products=[{"name": "", "unit": "片", "quantity": -3}],
            prices=[{"material": "铜", "unit": "元/吨"}],
            bonus=1,
        )
    )
    assert errors["revenue"]["type"] == "not_a_number"
    assert errors["products.0.name"]["type"] == "required"
    assert errors["products.0.name"]["label"] == "主要产品产量 第1行 产品名称"
    assert errors["products.0.quantity"]["type"] == "negative"
    assert errors["prices.0.price"]["type"] == "required"
    assert errors["bonus"]["type"] == "unknown_field"


def test_the_message_names_each_field() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_report(report_data(taxes=-1, period="2025-13"), TODAY)
    assert "taxes (税收): must not be negative (got -1)" in caught.value.message
    assert "period (报告期)" in caught.value.message


def test_not_an_object() -> None:
    with pytest.raises(ValidationError, match="JSON object"):
        parse_report([report_data()], TODAY)
