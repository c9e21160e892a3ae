"""Reports from files (JSON, CSV, XLSX) and the late-reporter list as an Excel workbook.

JSON: one report object in the API's shape, or a list of them.
CSV / XLSX (first sheet): one row per report, or several rows per report when it has several
product or price lines: the rows of a report share 统一社会信用代码 and 报告期; its figures are
written on its first row (later rows may repeat them, but must not differ), and each row may
add one product line (产品名称, 计量单位, 产量) and one price line (原材料, 价格单位, 价格).
An optional 填报时间 column records when a report collected offline was received.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from chainwatch.errors import InputFileError
from chainwatch.ingest import readers
from chainwatch.ingest.schemas import AMOUNT, DATE, MONTH, TEXT, USCC, Column, Kind
from chainwatch.monitor.report_deadline import CHINA

REPORT_KIND = Kind(
    "direct_reports",
    "企业月度直报",
    "database",
    (
        Column("uscc", "统一社会信用代码", USCC, True, False, ("信用代码", "税号", "credit_code")),
        Column("period", "报告期", MONTH, True, False, ("月份", "所属期", "month")),
        Column("output", "工业总产值", AMOUNT, aliases=("总产值", "工业总产值(元)")),
        Column("value_added", "增加值", AMOUNT, aliases=("工业增加值", "增加值(元)")),
        Column("revenue", "营业收入", AMOUNT, aliases=("营业收入(元)", "sales")),
        Column("taxes", "税收", AMOUNT, aliases=("税收(元)", "税收总额", "tax")),
        Column("profit", "利润", TEXT, aliases=("利润总额", "利润(元)")),
        Column("electricity_kwh", "用电量", AMOUNT, aliases=("用电量(千瓦时)", "electricity")),
        Column("product_name", "产品名称", TEXT, aliases=("主要产品", "product")),
        Column("product_unit", "计量单位", TEXT, aliases=("产品单位", "unit")),
        Column("quantity", "产量", AMOUNT, aliases=("产品产量",)),
        Column("material", "原材料", TEXT, aliases=("原材料名称", "主要原材料")),
        Column("price_unit", "价格单位", TEXT, aliases=("原材料单位",)),
        Column("price", "价格", AMOUNT, aliases=("原材料价格", "采购价格")),
        Column("note", "备注", TEXT),
        Column("submitted_at", "填报时间", DATE, aliases=("提交时间",)),
    ),
)
FIGURES = ("output", "value_added", "revenue", "taxes", "profit", "electricity_kwh")


class FileReport:
    """One report read from a file, with where it came from (for messages)."""

    def __init__(self, where: str, data: Any, submitted_at: dt.datetime | None = None) -> None:
        self.where = where
        self.data = data
        self.submitted_at = submitted_at


def _number(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "").strip()
    return cleaned or None


def _moment(text: str | None, where: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise InputFileError(
            f"{where}: 填报时间 {text!r} is not a date or time; write 2025-10-08 or "
            "2025-10-08 15:30."
        ) from None
    # Times in a file are China time unless they say otherwise.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def read_reports(path: Path) -> list[FileReport]:
    if not path.is_file():
        raise InputFileError(f"{path}: no such file.")
    if path.suffix.lower() == ".json":
        return _read_json(path)
    return _read_table(path)


def _read_json(path: Path) -> list[FileReport]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path.name}: not valid UTF-8 JSON ({exc}).") from exc
    items = data if isinstance(data, list) else [data]
    out = []
    for index, item in enumerate(items, start=1):
        where = f"{path.name} report {index}"
        moment = None
        if isinstance(item, dict) and "submitted_at" in item:
            item = dict(item)
            moment = _moment(str(item.pop("submitted_at") or ""), where)
        out.append(FileReport(where, item, moment))
    return out


def _read_table(path: Path) -> list[FileReport]:
    source = readers.open_source(path, REPORT_KIND)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for chunk in readers.read_chunks(source):
        for record in chunk.to_dict("records"):
            row = int(record[readers.ROW])
            cell: dict[str, Any] = {
                str(k): None if pd.isna(v) else str(v).strip() or None
                for k, v in record.items()
                if k != readers.ROW
            }
            key = (str(cell.get("uscc") or ""), str(cell.get("period") or ""))
            entry = groups.setdefault(
                key,
                {
                    "where": f"{path.name} row {row}",
                    "data": {"uscc": key[0], "period": key[1], "products": [], "prices": []},
                    "submitted_at": None,
                },
            )
            _merge(path, row, cell, entry)
    return [FileReport(e["where"], e["data"], e["submitted_at"]) for e in groups.values()]


def _merge(path: Path, row: int, cell: dict[str, Any], entry: dict[str, Any]) -> None:
    data = entry["data"]
    for name in (*FIGURES, "note"):
        value = cell.get(name)
        value = _number(value) if name in FIGURES else value
        if value is None:
            continue
        if name in data and data[name] != value:
            label = REPORT_KIND.column(name).label
            raise InputFileError(
                f"{path.name} row {row}: {label} {value!r} differs from {data[name]!r} given "
                f"earlier for {data['uscc']} {data['period']}; write the figures once per report."
            )
        data[name] = value
    if any(cell.get(k) for k in ("product_name", "product_unit", "quantity")):
        data["products"].append(
            {
                "name": cell.get("product_name") or "",
                "unit": cell.get("product_unit") or "",
                "quantity": _number(cell.get("quantity")),
            }
        )
    if any(cell.get(k) for k in ("material", "price_unit", "price")):
        data["prices"].append(
            {
                "material": cell.get("material") or "",
                "unit": cell.get("price_unit") or "",
                "price": _number(cell.get("price")),
            }
        )
    if cell.get("submitted_at"):
        entry["submitted_at"] = _moment(cell["submitted_at"], f"{path.name} row {row}")


def late_workbook(result: dict[str, Any], path: Path) -> Path:
    """迟报未报名单 (and a summary sheet) of one month, with Chinese headers."""
    from openpyxl import Workbook

    from chainwatch.atlas.exports import NUMBER, PERCENT, save, write_sheet
    from chainwatch.atlas.exports import Column as Sheet

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    summary = [
        {"k": "报告期", "v": result["period"]},
        {"k": "报送截止日", "v": result["deadline"].isoformat()},
        {"k": "统计时点", "v": result["as_of"].isoformat()},
        {"k": "应报企业数", "v": result["expected"]},
        {"k": "已报企业数", "v": result["submitted"]},
        {"k": "按时报送数", "v": result["on_time"]},
        {"k": "未报企业数", "v": result["missing"]},
        {"k": "报送率", "v": result["submission_rate"]},
        {"k": "待确认报表数", "v": result["flagged"]},
    ]
    write_sheet(
        book,
        "概况",
        (Sheet("项目", lambda r: r["k"], None, 16), Sheet("数值", lambda r: r["v"], None, 16)),
        summary,
    )
    sheet = book["概况"]
    sheet["B9"].number_format = PERCENT
    write_sheet(
        book,
        "迟报未报名单",
        (
            Sheet("统一社会信用代码", lambda r: r["uscc"], None, 22),
            Sheet("企业名称", lambda r: r["name"], None, 30),
            Sheet("行政区划代码", lambda r: r["region_code"], None, 12),
            Sheet("所在地区", lambda r: r["region_name"], None, 12),
            Sheet("情况", lambda r: r["state"], None, 8),
            Sheet("逾期天数", lambda r: r["days_late"], NUMBER, 10),
            Sheet(
                "报送时间",
                lambda r: (
                    r["submitted_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
                    if r["submitted_at"]
                    else ""
                ),
                None,
                18,
            ),
        ),
        result["late"],
    )
    return save(book, path)
