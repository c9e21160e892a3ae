"""Reading reports from JSON, CSV and XLSX files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from chainwatch.errors import InputFileError
from chainwatch.monitor.report_files import read_reports
from tests.unit.monitor.report_cases import FIRM, report_data

CHINA = dt.timezone(dt.timedelta(hours=8))


def test_xlsx_rows_make_one_report_with_several_lines(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "uscc",
            "period",
            "output",
            "value_added",
            "revenue",
            "taxes",
            "profit",
            "electricity",
            "product_name",
            "product_unit",
            "quantity",
            "material",
            "price_unit",
            "price",
            "submitted_at",
        ]
    )
    sheet.append(
        [
            FIRM,
            "2025-09",
            1000000.5,
            250000,
            950000,
            40000,
            -3000,
            20000,
            "晶圆",
            "片",
            1000,
            "多晶硅",
            "元/千克",
            65.5,
            dt.datetime(2025, 10, 7, 10, 0),
        ]
    )
    sheet.append(
        [
            FIRM,
            "2025-09",
            1000000.5,
            None,
            None,
            None,
            None,
            None,
            "掩模",
            "块",
            12,
            None,
            None,
            None,
            None,
        ]
    )
    path = tmp_path / "reports.xlsx"
    book.save(path)
    (item,) = read_reports(path)
    assert item.where == "reports.xlsx row 2"
    assert item.data["output"] == "1000000.5" and item.data["profit"] == "-3000"
    assert [p["name"] for p in item.data["products"]] == ["晶圆", "掩模"]
    assert item.data["prices"] == [{"material": "多晶硅", "unit": "元/千克", "price": "65.5"}]
    assert item.submitted_at == dt.datetime(2025, 10, 7, 10, 0, tzinfo=CHINA)


def test_figures_that_disagree_between_rows_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    path.write_text(
        "统一社会信用代码,报告期,工业总产值,产品名称,计量单位,产量\n"
        f"{FIRM},2025-09,100,晶圆,片,1\n{FIRM},2025-09,200,掩模,块,2\n",
        encoding="gbk",
    )
    with pytest.raises(InputFileError, match="row 3: 工业总产值 '200' differs from '100'"):
        read_reports(path)


def test_json_object_or_list(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(report_data()), encoding="utf-8")
    assert [r.data["period"] for r in read_reports(one)] == ["2025-09"]
    many = tmp_path / "many.json"
    many.write_text(
        json.dumps(
            [report_data(), {**report_data(period="2025-08"), "submitted_at": "2025-09-05"}]
        ),
        encoding="utf-8",
    )
    items = read_reports(many)
    assert [r.where for r in items] == ["many.json report 1", "many.json report 2"]
    assert items[1].submitted_at == dt.datetime(2025, 9, 5, tzinfo=CHINA)
    assert "submitted_at" not in items[1].data
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(InputFileError, match="not valid UTF-8 JSON"):
        read_reports(broken)


def test_missing_key_columns(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    path.write_text("企业名称,工业总产值\n甲,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="missing required column"):
        read_reports(path)
