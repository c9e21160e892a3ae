"""Plausibility of a monthly report against the firm's own history (合理性校验).

A value is flagged for the firm to confirm or correct, never refused. The history of a figure is
the firm's own months over the 12 months before the report: its earlier direct reports and,
for months it did not report directly, the monthly indicators loaded into the lake (营业收入 ←
sales, 税收 ← tax_paid, 用电量 ← electricity_kwh, 工业总产值 ← output_value, 增加值 ←
value_added). Product quantities and input prices compare with the same product or material in
the same unit in earlier reports.

Two tests, both robust to a single odd month:
- level: with at least ``min_months`` months of history, the value must lie within
  median ± ``z_limit`` × s, where s = 1.4826 × MAD (the median absolute deviation scaled to a
  standard deviation; z_limit 3.5 is the modified z-score cut-off of Iglewicz and Hoaglin,
  "How to Detect and Handle Outliers", 1993). Where MAD is 0, s = 1.2533 × mean absolute
  deviation (their fallback), and s is never below ``floor`` × |median| so that a very steady
  history still allows ordinary movement;
- year on year: against the same month last year (when it was positive), the change must lie
  within ``yoy_low`` … ``yoy_high`` (−50 % … +100 %).

Seasonal months (the Spring Festival) fall outside a 12-month level band but not outside the
year-on-year range, and a last-year month that was itself odd fails year on year but not the
level test; so where both tests can be made a value is flagged only when both fail, and where
only one can be made, when that one fails. With neither (a new firm) nothing is flagged.
Within the report: 增加值 above 工业总产值, 税收 above 营业收入 or 利润 above 营业收入 are
flagged too.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chainwatch.monitor.periods import Month
from chainwatch.monitor.report_schema import FIGURE_NAMES, LABELS, UNITS, MonthlyReport

LAKE_METRICS = {
    "output": "output_value",
    "value_added": "value_added",
    "revenue": "sales",
    "taxes": "tax_paid",
    "electricity_kwh": "electricity_kwh",
}
WINDOW = 12


@dataclass(frozen=True)
class Rules:
    min_months: int = 6
    z_limit: float = 3.5
    floor: float = 0.05
    yoy_low: float = -0.5
    yoy_high: float = 1.0


RULES = Rules()

Series = dict[str, float]  # period -> value


@dataclass
class History:
    """A firm's months before a report: figures, product quantities and input prices."""

    figures: dict[str, Series] = field(default_factory=dict)
    products: dict[tuple[str, str], Series] = field(default_factory=dict)
    prices: dict[tuple[str, str], Series] = field(default_factory=dict)

    def add_figure(self, name: str, period: str, value: float, *, replace: bool) -> None:
        series = self.figures.setdefault(name, {})
        if replace or period not in series:
            series[period] = value


def window(period: Month) -> list[str]:
    """The 12 months before ``period``, oldest first (the first is the same month last year)."""
    return [period.shifted(-k).label for k in range(WINDOW, 0, -1)]


def _number(value: float, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


@dataclass(frozen=True)
class Band:
    median: float
    low: float
    high: float
    months: int


def level_band(values: list[float], rules: Rules = RULES) -> Band | None:
    if len(values) < rules.min_months:
        return None
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    spread = 1.4826 * mad if mad > 0 else 1.2533 * statistics.fmean(abs(v - median) for v in values)
    spread = max(spread, rules.floor * abs(median))
    width = rules.z_limit * spread
    return Band(median, median - width, median + width, len(values))


def _check(
    key: str,
    label: str,
    unit: str,
    value: float,
    series: Series,
    period: Month,
    rules: Rules,
) -> dict[str, Any] | None:
    months = window(period)
    band = level_band([series[p] for p in months if p in series], rules)
    last_year = series.get(months[0])
    level_fails = None if band is None else not band.low <= value <= band.high
    change = value / last_year - 1 if last_year is not None and last_year > 0 else None
    yoy_fails = None if change is None else not rules.yoy_low <= change <= rules.yoy_high
    outcomes = [fails for fails in (level_fails, yoy_fails) if fails is not None]
    if not outcomes or not all(outcomes):
        return None
    reasons = []
    if band is not None:
        reasons.append(
            f"近{band.months}个月中位数 {_number(band.median, unit)}，合理区间 "
            f"{_number(band.low if key == 'profit' else max(band.low, 0.0), unit)}～"
            f"{_number(band.high, unit)}（中位数 ± {rules.z_limit:g} 倍稳健标准差）"
        )
    if change is not None and last_year is not None:
        reasons.append(
            f"去年同月 {_number(last_year, unit)}，同比 {change:+.1%}，超出 "
            f"{rules.yoy_low:+.0%}～{rules.yoy_high:+.0%}"
        )
    return {
        "field": key,
        "label": label,
        "value": value,
        "unit": unit,
        "kind": "history",
        "median": band.median if band else None,
        "low": band.low if band else None,
        "high": band.high if band else None,
        "months": band.months if band else 0,
        "last_year": last_year,
        "yoy_change": change,
        "message": f"{label} {_number(value, unit)} 与本企业历史不符：{'；'.join(reasons)}。"
        "请核实后确认或更正。",
    }


def _consistency(report: MonthlyReport) -> list[dict[str, Any]]:
    pairs = (("value_added", "output"), ("taxes", "revenue"), ("profit", "revenue"))
    flags = []
    for part, whole in pairs:
        value, limit = float(getattr(report, part)), float(getattr(report, whole))
        if value > limit:
            flags.append(
                {
                    "field": part,
                    "label": LABELS[part],
                    "value": value,
                    "unit": UNITS[part],
                    "kind": "consistency",
                    "compared_with": whole,
                    "limit": limit,
                    "message": f"{LABELS[part]} {_number(value, UNITS[part])} 大于{LABELS[whole]} "
                    f"{_number(limit, UNITS[whole])}，通常不应如此。请核实后确认或更正。",
                }
            )
    return flags


def check_report(
    report: MonthlyReport, history: History, rules: Rules = RULES
) -> list[dict[str, Any]]:
    """Flags for the values of ``report`` that its firm's history makes implausible."""
    period = report.month
    flags = _consistency(report)
    for name in FIGURE_NAMES:
        flag = _check(
            name,
            LABELS[name],
            UNITS[name],
            float(getattr(report, name)),
            history.figures.get(name, {}),
            period,
            rules,
        )
        if flag:
            flags.append(flag)
    flags += _line_flags("products", report, history.products, period, rules)
    flags += _line_flags("prices", report, history.prices, period, rules)
    return flags


def _line_flags(
    kind: str,
    report: MonthlyReport,
    known: Mapping[tuple[str, str], Series],
    period: Month,
    rules: Rules,
) -> list[dict[str, Any]]:
    flags = []
    lines: list[Any] = report.products if kind == "products" else report.prices
    for index, line in enumerate(lines):
        name = line.name if kind == "products" else line.material
        value = float(line.quantity if kind == "products" else line.price)
        what = "产量" if kind == "products" else "价格"
        key = f"{kind}.{index}.{'quantity' if kind == 'products' else 'price'}"
        series = known.get((name, line.unit), {})
        flag = _check(key, f"{name}{what}", line.unit, value, series, period, rules)
        if flag:
            flags.append(flag)
    return flags
