"""Direct reporting through the API on SQLite and PostgreSQL, and through the CLI."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainwatch.cli.main import app as cli
from chainwatch.cli.main import main
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import Enterprise
from chainwatch.web.app import create_app
from tests.integration.test_postgres import pg_home  # noqa: F401  (fixture)
from tests.unit.monitor.report_cases import FIRM, credit_code, report_data

OTHER = credit_code("91330302MA2R00005")
runner = CliRunner()


def seed() -> None:
    ensure_database()
    with session_scope() as session:
        session.add(
            Enterprise(
                uscc=FIRM,
                name="甲芯片有限公司",
                region_code="330106",
                industry_code="3973",
                scale="规上",
                tags=[],
            )
        )
        session.add(
            Enterprise(
                uscc=OTHER,
                name="戊鞋业有限公司",
                region_code="330302",
                industry_code="1952",
                scale="规上",
                tags=[],
            )
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    request.getfixturevalue("home" if request.param == "sqlite" else "pg_home")
    seed()
    with TestClient(create_app()) as test_client:
        yield test_client


def _history(client: TestClient) -> None:
    for month in range(1, 13):
        answer = client.post("/api/v1/reports", json=report_data(period=f"2024-{month:02d}"))
        assert answer.status_code == 201, answer.text
        assert answer.json()["flags"] == []


def test_round_trip(client: TestClient) -> None:
    _history(client)
    data = report_data(period="2025-01", output=12_000_000)
    answer = client.post("/api/v1/reports?source=page", json=data)
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["status"] == "待确认" and report["source"] == "page"
    (flag,) = report["flags"]
    assert flag["field"] == "output" and flag["label"] == "工业总产值"
    assert flag["median"] == 1_000_000 and flag["last_year"] == 1_000_000
    assert "工业总产值 12,000,000 元" in flag["message"]

    path = f"/api/v1/reports/{FIRM}/2025-01"
    confirmed = client.post(f"{path}/confirm", json={"note": "年初大额订单"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "已确认"
    again = client.post(f"{path}/confirm")
    assert again.status_code == 409 and again.json()["ok"] is False

    detail = client.get(path).json()
    assert [r["event"] for r in detail["revisions"]] == ["提交", "确认"]
    assert detail["revisions"][0]["values"]["output"] == "12000000"
    assert detail["products"] == [{"name": "晶圆", "unit": "片", "quantity": 1000.0}]

    listed = client.get("/api/v1/reports", params={"uscc": FIRM, "period": "2025-01"}).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "甲芯片有限公司"
    pending = client.get("/api/v1/reports", params={"status": "待确认"}).json()
    assert pending["total"] == 0

    late = client.get("/api/v1/reports/late", params={"period": "2025-01"}).json()
    assert late["deadline"] == "2025-02-08" and late["expected"] == 2
    # FIRM submitted today, long after the deadline: listed as 迟报, after the missing ones.
    assert [(r["uscc"], r["state"]) for r in late["late"]] == [(OTHER, "未报"), (FIRM, "迟报")]


def test_errors_in_the_house_shape(client: TestClient) -> None:
    bad = report_data(output=-5, products=[], period="2025-13")
    del bad["taxes"]
    answer = client.post("/api/v1/reports", json=bad)
    assert answer.status_code == 422
    body = answer.json()
    assert body["ok"] is False and body["status"] == 422 and "output (工业总产值)" in body["error"]
    types = {e["field"]: e["type"] for e in body["errors"]}
    assert types == {
        "output": "negative",
        "taxes": "required",
        "products": "required",
        "period": "period_format",
    }
    unknown = client.post(
        "/api/v1/reports", json=report_data(uscc=credit_code("91110000MA2R0000X"))
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["type"] == "unknown_firm"
    missing = client.get(f"/api/v1/reports/{FIRM}/2025-02")
    assert missing.status_code == 404 and missing.json()["ok"] is False
    not_json = client.post("/api/v1/reports", json=[report_data()])
    assert not_json.status_code == 422 and not_json.json()["ok"] is False


def test_pages_render(client: TestClient) -> None:
    _history(client)
    form = client.get(f"/report/{FIRM}", params={"period": "2024-12"})
    assert form.status_code == 200
    assert "企业月度直报" in form.text and "2025-01-08" in form.text and "晶圆" in form.text
    overview = client.get("/monitor/reports", params={"period": "2024-12"})
    assert overview.status_code == 200 and "迟报未报名单" in overview.text
    assert "戊鞋业有限公司" in overview.text and "50.0%" in overview.text
    excel = client.get("/monitor/reports/late.xlsx", params={"period": "2024-12"})
    assert excel.status_code == 200 and excel.content[:2] == b"PK"


def _write_csv(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the real entry point (which turns user errors into exit status 2)."""
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


def test_cli_submit_list_and_late(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed()
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([report_data(period=f"2024-{m:02d}") for m in range(1, 13)]), encoding="utf-8"
    )
    out = runner.invoke(cli, ["monitor", "report-submit", str(history), "--json"])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["stored"]) == 12

    header = [
        "统一社会信用代码",
        "报告期",
        "工业总产值（元）",
        "增加值",
        "营业收入",
        "税收",
        "利润",
        "用电量",
        "产品名称",
        "计量单位",
        "产量",
        "原材料",
        "价格单位",
        "价格",
        "填报时间",
    ]
    sheet = _write_csv(
        tmp_path / "reports.csv",
        [
            header,
            [
                FIRM,
                "2025-01",
                "1,000,000",
                250000,
                950000,
                40000,
                -3000,
                200000,
                "晶圆",
                "片",
                1000,
                "多晶硅",
                "元/千克",
                65,
                "2025-02-07 10:00",
            ],
            [FIRM, "2025-01", "", "", "", "", "", "", "掩模", "块", 12, "", "", "", ""],
            [OTHER, "2025-01", 5, 1, 5, 0, 1, 10, "", "", "", "", "", "", ""],
        ],
    )
    # The invalid OTHER report is listed and the command exits 2; the valid one is stored.
    capsys.readouterr()
    assert run_main(monkeypatch, "monitor", "report-submit", str(sheet), "--json") == 2
    captured = capsys.readouterr()
    assert "1 of 2 report(s) in reports.csv were not stored" in captured.err
    result = json.loads(captured.out)
    (stored,) = result["stored"]
    assert stored["on_time"] is True and stored["profit"] == -3000
    assert [p["name"] for p in stored["products"]] == ["晶圆", "掩模"]
    # A loss after a steady profit of 60,000 and ten times the electricity: both flagged.
    assert [f["field"] for f in stored["flags"]] == ["profit", "electricity_kwh"]
    (rejected,) = result["rejected"]
    assert rejected["where"] == "reports.csv row 4"
    assert rejected["errors"][0]["field"] == "products"

    listed = runner.invoke(cli, ["monitor", "reports", "--period", "2025-01", "--json"])
    rows = json.loads(listed.stdout)
    assert [(r["uscc"], r["status"]) for r in rows] == [(FIRM, "待确认")]

    excel = tmp_path / "late.xlsx"
    late = runner.invoke(
        cli, ["monitor", "late", "--period", "2025-01", "--json", "--excel", str(excel)]
    )
    assert late.exit_code == 0, late.output
    data = json.loads(late.stdout)
    assert (data["expected"], data["submitted"], data["on_time"]) == (2, 1, 1)
    assert [(r["uscc"], r["state"]) for r in data["late"]] == [(OTHER, "未报")]
    book = load_workbook(excel)
    rows_ = list(book["迟报未报名单"].iter_rows(values_only=True))
    assert rows_[0][:2] == ("统一社会信用代码", "企业名称") and rows_[1][0] == OTHER


REPORT_TABLES = {
    "direct_reports",
    "direct_report_products",
    "direct_report_prices",
    "direct_report_revisions",
}


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(part, str) and part in REPORT_TABLES:
            return part
        if name in REPORT_TABLES:
            return str(name)
    return None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migration_matches_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from chainwatch.store.db import get_engine
    from chainwatch.store.models import Base

    request.getfixturevalue("home" if backend == "sqlite" else "pg_home")
    ensure_database()
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    ours = [d for d in diffs if _table_of(d) in REPORT_TABLES]
    assert ours == []
