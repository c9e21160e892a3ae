"""The four data files users load, in the exact headers the ingest accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainwatch.synth.customs import CustomsRecords
from chainwatch.synth.firms import Firms
from chainwatch.synth.geography import Geography
from chainwatch.synth.indicators import Indicators
from chainwatch.synth.invoices import InvoiceLines
from chainwatch.synth.writer import fixed, pick, text, write_csv

ENTERPRISE_HEADER = (
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "行业代码",
    "规模",
    "用地面积(亩)",
    "从业人员",
    "成立日期",
    "标签",
    "经营范围",
    "经度",
    "纬度",
)
INVOICE_HEADER = ("销方税号", "购方税号", "开票日期", "金额", "税额", "商品名称", "税收分类编码")
CUSTOMS_HEADER = ("企业税号", "进出口", "日期", "HS编码", "国别", "金额")
INDICATOR_HEADER = (
    "税号",
    "月份",
    "销售额",
    "税收",
    "用电量",
    "工业总产值",
    "增加值",
    "出口额",
    "进口额",
    "从业人员",
    "能耗",
    "排放",
    "研发支出",
)


def date_table(labels: list[str]) -> pa.Array:
    """'YYYY-MM-DD' for month t and day d at index t·31 + d − 1 (invalid days never used)."""
    return pa.array(
        [f"{label}-{day:02d}" for label in labels for day in range(1, 32)], type=pa.large_string()
    )


def write_enterprises(path: Path, firms: Firms, geo: Geography) -> int:
    n = len(firms)
    region = [geo.county_codes[c] for c in firms.county]

    def columns(rows: slice) -> list[pa.Array]:
        return [
            text(firms.codes[rows]),
            text(firms.names[rows]),
            text(region[rows]),
            text(firms.industry[rows]),
            text(firms.scale[rows]),
            fixed(np.rint(firms.land[rows] * 100), 2),
            fixed(firms.employees[rows], 0),
            text(firms.established[rows]),
            text(firms.tags[rows]),
            text(firms.scope[rows]),
            fixed(np.rint(firms.lon[rows] * 1e6), 6),
            fixed(np.rint(firms.lat[rows] * 1e6), 6),
        ]

    return write_csv(path, ENTERPRISE_HEADER, columns, n)


def write_invoices(
    path: Path,
    lines: InvoiceLines,
    codes: pa.Array,
    products: pa.Array,
    tax_codes: pa.Array,
    dates: pa.Array,
) -> int:
    def columns(rows: slice) -> list[pa.Array]:
        coded = lines.coded[rows]
        tax_code = pick(tax_codes, lines.product[rows])
        return [
            pick(codes, lines.seller[rows]),
            pick(codes, lines.buyer[rows]),
            pick(dates, lines.month[rows] * 31 + lines.day[rows] - 1),
            fixed(lines.cents[rows], 2),
            fixed(lines.tax_cents[rows], 2),
            pick(products, lines.product[rows]),
            pc.if_else(pa.array(coded), tax_code, pa.scalar(None, pa.large_string())),
        ]

    return write_csv(path, INVOICE_HEADER, columns, len(lines.cents))


def write_customs(path: Path, records: CustomsRecords, codes: pa.Array, dates: pa.Array) -> int:
    direction = pa.array(["进口", "出口"], type=pa.large_string())

    def columns(rows: slice) -> list[pa.Array]:
        return [
            pick(codes, records.firm[rows]),
            pick(direction, records.is_export[rows].astype(np.int64)),
            pick(dates, records.month[rows] * 31 + records.day[rows] - 1),
            text(pa.array(records.hs[rows].tolist(), type=pa.large_string())),
            text(pa.array(records.country[rows].tolist(), type=pa.large_string())),
            fixed(records.cents[rows], 2),
        ]

    return write_csv(path, CUSTOMS_HEADER, columns, len(records.cents))


def write_indicators(path: Path, values: Indicators, codes: pa.Array, months: pa.Array) -> int:
    n, m = values.sales.shape
    firm = np.repeat(np.arange(n), m)
    month = np.tile(np.arange(m), n)
    not_industrial = np.repeat(~values.industrial, m)

    def flat(matrix: np.ndarray, rows: slice) -> np.ndarray:
        return matrix.reshape(-1)[rows]

    def columns(rows: slice) -> list[pa.Array]:
        return [
            pick(codes, firm[rows]),
            pick(months, month[rows]),
            fixed(flat(values.sales, rows), 2),
            fixed(flat(values.tax, rows), 2),
            fixed(flat(values.electricity, rows), 0),
            fixed(flat(values.output_value, rows), 2, null=not_industrial[rows]),
            fixed(flat(values.value_added, rows), 2),
            fixed(flat(values.exports, rows), 2),
            fixed(flat(values.imports, rows), 2),
            fixed(flat(values.employees, rows), 0),
            fixed(flat(values.energy, rows), 3),
            fixed(flat(values.emissions, rows), 4),
            fixed(flat(values.research, rows), 2),
        ]

    return write_csv(path, INDICATOR_HEADER, columns, n * m)
