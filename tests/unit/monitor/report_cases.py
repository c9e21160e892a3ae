"""A valid direct report to start test cases from (figures in 元, electricity in 千瓦时)."""

from __future__ import annotations

from typing import Any

from stdnum.cn import uscc


def credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


FIRM = credit_code("91330106MA2R00001")


def report_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uscc": FIRM,
        "period": "2025-09",
        "output": 1_000_000,
        "value_added": 250_000,
        "revenue": 950_000,
        "taxes": 40_000,
        "profit": 60_000,
        "electricity_kwh": 20_000,
        "products": [{"name": "晶圆", "unit": "片", "quantity": 1000}],
        "prices": [{"material": "多晶硅", "unit": "元/千克", "price": 65.5}],
        "note": None,
    }
    data.update(changes)
    return data
