"""Submitting, correcting and confirming reports, history from the lake, and late reporters."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from chainwatch.errors import ConflictError, NotFoundError, ValidationError
from chainwatch.ingest.load import ingest_file
from chainwatch.monitor import reporting
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import Enterprise
from tests.unit.monitor.report_cases import FIRM, credit_code, report_data

SMALL = credit_code("91330108MA2R00002")  # 规下, tagged 直报: expected
VOLUNTEER = credit_code("91330206MA2R00003")  # 规下, not tagged: not expected
NEWCOMER = credit_code("91330206MA2R00004")  # 规上, founded after September 2025
SILENT = credit_code("91330302MA2R00005")  # 规上, never reports
UTC = dt.UTC
OCT = dt.datetime(2025, 10, 20, 2, 0, tzinfo=UTC)  # after the September deadline (9 October)


def seed() -> None:
    ensure_database()
    firms = [
        (FIRM, "甲芯片有限公司", "330106", "规上", [], dt.date(2010, 1, 1)),
        (SMALL, "乙零件有限公司", "330108", "规下", ["直报"], None),
        (VOLUNTEER, "丙贸易有限公司", "330206", "规下", [], None),
        (NEWCOMER, "丁新材料有限公司", "330206", "规上", [], dt.date(2025, 10, 2)),
        (SILENT, "戊鞋业有限公司", "330302", "规上", ["专精特新"], None),
    ]
    with session_scope() as session:
        for uscc, name, region, scale, tags, founded in firms:
            session.add(
                Enterprise(
                    uscc=uscc,
                    name=name,
                    region_code=region,
                    industry_code="3973",
                    scale=scale,
                    tags=tags,
                    founded_on=founded,
                )
            )


def load_indicators(folder: Path) -> None:
    """Twelve months of sales around 950,000 元 for FIRM (October 2024 to September 2025)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "indicators.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["税号", "月份", "销售额", "用电量"])
        for k in range(12):
            year, month = (2024, 10 + k) if k < 3 else (2025, k - 2)
            writer.writerow([FIRM, f"{year}-{month:02d}", 950_000 + 1_000 * (k % 3), 20_000])
    ingest_file("indicators", path)


def test_submit_without_history_is_stored_without_flags(home: Path) -> None:
    seed()
    stored = reporting.submit_report(report_data(), now=OCT)
    assert stored["status"] == "已提交" and stored["flags"] == []
    assert stored["deadline"] == dt.date(2025, 10, 9)
    assert stored["on_time"] is False and stored["days_late"] == 11
    assert stored["products"] == [{"name": "晶圆", "unit": "片", "quantity": 1000.0}]
    assert [r["event"] for r in stored["revisions"]] == ["提交"]


def test_unknown_firm_is_a_field_error(home: Path) -> None:
    seed()
    stranger = credit_code("91330106MA2R00009")
    with pytest.raises(ValidationError) as caught:
        reporting.submit_report(report_data(uscc=stranger), now=OCT)
    assert caught.value.errors[0]["type"] == "unknown_firm"
    assert caught.value.errors[0]["field"] == "uscc"


def test_history_from_the_lake_flags_a_unit_slip(home: Path, tmp_path: Path) -> None:
    seed()
    load_indicators(tmp_path / "files")
    # 营业收入 written in 元 ×10 (a unit slip) for October 2025, against ~951,000 a month.
    stored = reporting.submit_report(
        report_data(period="2025-10", revenue=9_510_000, output=10_000_000, value_added=2_500_000),
        now=dt.datetime(2025, 11, 3, tzinfo=UTC),
    )
    assert stored["status"] == "待确认" and stored["on_time"] is True
    by_field = {f["field"]: f for f in stored["flags"]}
    assert set(by_field) == {"revenue"}  # output has no history: nothing to compare with
    assert by_field["revenue"]["median"] == 951_000 and by_field["revenue"]["last_year"] == 950_000
    # Electricity 20,000 kWh equals the history: no flag.
    assert "electricity_kwh" not in by_field


def test_correction_keeps_every_revision_and_confirmation(home: Path, tmp_path: Path) -> None:
    seed()
    load_indicators(tmp_path / "files")
    first = reporting.submit_report(
        report_data(period="2025-10", revenue=9_510_000, output=10_000_000),
        now=dt.datetime(2025, 11, 3, tzinfo=UTC),
    )
    assert first["status"] == "待确认"
    corrected = reporting.submit_report(
        report_data(period="2025-10", revenue=951_000), now=dt.datetime(2025, 11, 12, tzinfo=UTC)
    )
    assert corrected["status"] == "已提交" and corrected["flags"] == []
    assert corrected["on_time"] is True  # the first submission was on time
    assert [r["event"] for r in corrected["revisions"]] == ["提交", "更正"]
    assert corrected["revisions"][0]["values"]["revenue"] == "9510000"
    assert corrected["revisions"][0]["flags"][0]["field"] == "revenue"
    with pytest.raises(ConflictError):
        reporting.confirm_report(FIRM, "2025-10")
    again = reporting.submit_report(
        report_data(period="2025-10", revenue=9_510_000), now=dt.datetime(2025, 11, 13, tzinfo=UTC)
    )
    assert again["status"] == "待确认"
    confirmed = reporting.confirm_report(FIRM, "2025-10", "新产线投产，订单集中交付")
    assert confirmed["status"] == "已确认" and confirmed["confirmed_at"] is not None
    assert [r["event"] for r in confirmed["revisions"]] == ["提交", "更正", "更正", "确认"]
    assert confirmed["revisions"][-1]["note"] == "新产线投产，订单集中交付"
    listed = reporting.list_reports(uscc=FIRM)
    assert [(r["period"], r["status"], r["revision"]) for r in listed] == [("2025-10", "已确认", 4)]


def test_earlier_direct_reports_are_history_too(home: Path) -> None:
    seed()
    for month in range(1, 10):
        reporting.submit_report(
            report_data(period=f"2025-{month:02d}"), now=dt.datetime(2025, 10, 1, tzinfo=UTC)
        )
    stored = reporting.submit_report(
        report_data(
            period="2025-10",
            electricity_kwh=200_000,
            products=[{"name": "晶圆", "unit": "片", "quantity": 1010}],
        ),
        now=dt.datetime(2025, 11, 1, tzinfo=UTC),
    )
    assert [f["field"] for f in stored["flags"]] == ["electricity_kwh"]
    assert stored["flags"][0]["months"] == 9


def test_late_reporters(home: Path) -> None:
    seed()
    # FIRM reports on time (5 October), SMALL late (20 October), VOLUNTEER too (not expected).
    reporting.submit_report(report_data(), now=dt.datetime(2025, 10, 5, tzinfo=UTC))
    reporting.submit_report(report_data(uscc=SMALL), now=OCT)
    reporting.submit_report(report_data(uscc=VOLUNTEER), now=OCT)
    result = reporting.late_reporters("2025-09", now=dt.datetime(2025, 10, 25, 1, tzinfo=UTC))
    assert result["deadline"] == dt.date(2025, 10, 9) and result["due"] is True
    # Expected: FIRM, SMALL (直报 tag), SILENT; not VOLUNTEER (规下) nor NEWCOMER (founded later).
    assert (result["expected"], result["submitted"], result["on_time"]) == (3, 2, 1)
    assert result["missing"] == 1 and result["reports"] == 3
    assert result["submission_rate"] == pytest.approx(2 / 3)
    assert [(r["uscc"], r["state"], r["days_late"]) for r in result["late"]] == [
        (SILENT, "未报", 16),
        (SMALL, "迟报", 11),
    ]
    assert result["late"][0]["region_name"] == "鹿城区"
    hangzhou = reporting.late_reporters("2025-09", region="330100", now=OCT)
    assert [r["uscc"] for r in hangzhou["late"]] == [SMALL]
    # The October list is not due before 10 November (the 8th is a Saturday).
    october = reporting.late_reporters("2025-10", now=dt.datetime(2025, 11, 10, 3, tzinfo=UTC))
    assert october["deadline"] == dt.date(2025, 11, 10)
    assert october["due"] is False and october["late"] == []
    assert october["expected"] == 4  # NEWCOMER was founded in October


def test_reading_errors(home: Path) -> None:
    seed()
    with pytest.raises(NotFoundError):
        reporting.get_report(FIRM, "2025-09")
    with pytest.raises(ValidationError):
        reporting.list_reports(status="unknown")
    with pytest.raises(ValidationError):
        reporting.late_reporters("2025/09")
