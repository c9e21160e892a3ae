"""What a monthly direct report (直联直报) holds, checked with Pydantic.

Figures are in 元 (electricity in 千瓦时) and must not be negative, except 利润 (a loss is
negative). Every figure is required and at least one product line is; input-price lines are
optional. The period is a month that has ended (China time): a report describes a whole month.
Problems come back all at once, one per field, each with a ``type`` a page can translate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from chainwatch.errors import ValidationError
from chainwatch.ingest.validation import check_uscc
from chainwatch.monitor.periods import Month

# canonical name, Chinese label, unit
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("output", "工业总产值", "元"),
    ("value_added", "增加值", "元"),
    ("revenue", "营业收入", "元"),
    ("taxes", "税收", "元"),
    ("profit", "利润", "元"),
    ("electricity_kwh", "用电量", "千瓦时"),
)
FIGURE_NAMES = tuple(name for name, _, _ in FIGURES)
LABELS: dict[str, str] = {
    **{name: label for name, label, _ in FIGURES},
    "uscc": "统一社会信用代码",
    "period": "报告期",
    "products": "主要产品产量",
    "prices": "主要原材料价格",
    "note": "备注",
    "name": "产品名称",
    "unit": "计量单位",
    "quantity": "产量",
    "material": "原材料名称",
    "price": "价格",
}
UNITS = {name: unit for name, _, unit in FIGURES}
MAX_LINES = 50
_LIMIT = Decimal("1e15")  # one quadrillion 元: beyond any firm, catches unit slips early

Amount = Annotated[Decimal, Field(ge=0, lt=_LIMIT, allow_inf_nan=False)]
Signed = Annotated[Decimal, Field(gt=-_LIMIT, lt=_LIMIT, allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1, max_length=100)]
UnitText = Annotated[str, Field(min_length=1, max_length=20)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProductLine(_Strict):
    """主要产品产量: product, unit (吨, 台, 件 …) and the month's quantity."""

    name: Text = Field(description="产品名称", examples=["集成电路晶圆"])
    unit: UnitText = Field(description="计量单位", examples=["片"])
    quantity: Amount = Field(description="本月产量", examples=[1200])


class PriceLine(_Strict):
    """主要原材料价格: material, price unit (元/吨 …) and the month's purchase price."""

    material: Text = Field(description="原材料名称", examples=["电子级多晶硅"])
    unit: UnitText = Field(description="价格单位", examples=["元/千克"])
    price: Amount = Field(description="本月采购均价", examples=[65.5])


class ReportFigures(_Strict):
    """The figures and lines of a report, without whose and which month it is."""

    output: Amount = Field(description="工业总产值（元）")
    value_added: Amount = Field(description="增加值（元）")
    revenue: Amount = Field(description="营业收入（元）")
    taxes: Amount = Field(description="税收（元）")
    profit: Signed = Field(description="利润（元）；亏损为负数")
    electricity_kwh: Amount = Field(description="用电量（千瓦时）")
    products: list[ProductLine] = Field(min_length=1, max_length=MAX_LINES)
    prices: list[PriceLine] = Field(default_factory=list, max_length=MAX_LINES)
    note: str | None = Field(default=None, max_length=500, description="备注")


class MonthlyReport(ReportFigures):
    """A whole report: the firm (统一社会信用代码), the month (YYYY-MM) and the figures."""

    uscc: str = Field(description="统一社会信用代码", examples=["91330106MA2B0Y8X39"])
    period: str = Field(description="报告期 YYYY-MM", examples=["2025-09"])

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        code, problem = check_uscc(value.strip().upper())
        if code is None:
            raise PydanticCustomError(
                "uscc_invalid", "{got} {problem}", {"got": repr(value), "problem": problem}
            )
        return str(code)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str, info: pydantic.ValidationInfo) -> str:
        try:
            month = month_of(value)
        except ValueError as exc:
            raise PydanticCustomError("period_format", "{problem}", {"problem": str(exc)}) from None
        today = (info.context or {}).get("today")
        if isinstance(today, dt.date) and month >= Month(today.year, today.month):
            raise PydanticCustomError(
                "period_not_ended",
                f"{month.label} has not ended yet (today is {today.isoformat()}); "
                "a report covers a whole month, so report it from the 1st of the next month",
            )
        return month.label

    @property
    def month(self) -> Month:
        return month_of(self.period)


def month_of(text: str) -> Month:
    parts = text.strip().split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not text.isascii():
        raise ValueError(f"{text!r} is not a month; expected YYYY-MM such as 2025-09")
    try:
        year, month = int(parts[0]), int(parts[1])
    except ValueError:
        raise ValueError(f"{text!r} is not a month; expected YYYY-MM such as 2025-09") from None
    if not 1 <= month <= 12 or year < 1990:
        raise ValueError(f"{text!r} is not a month; expected YYYY-MM such as 2025-09")
    return Month(year, month)


# pydantic error types → the few kinds a page explains in its own words
_TYPES = {
    "missing": "required",
    "string_too_short": "required",
    "too_short": "required",
    "greater_than_equal": "negative",
    "greater_than": "too_small",
    "less_than": "too_large",
    "decimal_parsing": "not_a_number",
    "decimal_type": "not_a_number",
    "finite_number": "not_a_number",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "extra_forbidden": "unknown_field",
    "value_error": "invalid",
}


def _label(location: list[str]) -> str:
    named = [LABELS.get(part, part) for part in location if not part.isdigit()]
    line = next((int(part) + 1 for part in location if part.isdigit()), None)
    text = named[-1] if named else "report"
    if line is not None and len(named) > 1:
        text = f"{named[0]} 第{line}行 {named[-1]}"
    return text


def _problem(kind: str, raw: str) -> str:
    return {
        "required": "is required",
        "negative": "must not be negative",
        "not_a_number": "is not a number",
    }.get(kind, raw.removeprefix("Value error, "))


def field_errors(exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    """One entry per problem: field path, its Chinese label, a type, a message and the input."""
    out = []
    for error in exc.errors():
        location = [str(part) for part in error["loc"]]
        kind = _TYPES.get(error["type"], error["type"])
        if "input" in error and error["input"] is None:
            kind = "required"  # an empty field sent as null
        entry: dict[str, Any] = {
            "field": ".".join(location) or "report",
            "label": _label(location),
            "type": kind,
            "problem": _problem(kind, str(error["msg"])),
        }
        if error["type"] != "missing" and "input" in error:
            got = error["input"]
            entry["got"] = got if isinstance(got, str | int | float | bool) or got is None else None
        out.append(entry)
    order = ["uscc", "period", *FIGURE_NAMES, "products", "prices", "note"]
    return sorted(out, key=lambda e: _position(order, str(e["field"]).split(".")[0]))


def _position(order: list[str], name: str) -> int:
    return order.index(name) if name in order else len(order)


def parse_report(data: Any, today: dt.date) -> MonthlyReport:
    """The checked report, or a ValidationError listing every problem field by field."""
    if not isinstance(data, dict):
        raise ValidationError(
            f"a report must be a JSON object with uscc, period, {', '.join(FIGURE_NAMES)} and "
            f"products; got {type(data).__name__}"
        )
    try:
        return MonthlyReport.model_validate(data, context={"today": today})
    except pydantic.ValidationError as exc:
        errors = field_errors(exc)
        raise ValidationError(report_problems(errors), errors=errors) from None


def report_problems(errors: list[dict[str, Any]]) -> str:
    parts = [
        f"{e['field']} ({e['label']}): {e['problem']}"
        + (f" (got {e['got']!r})" if e.get("got") not in (None, "") else "")
        for e in errors
    ]
    return "the report is not valid: " + "; ".join(parts)
