"""Regional rankings (赛马) end to end on a small demo province (300 firms × 24 months): the
monitor stage stores them, `chainwatch monitor rank` and /api/v1/monitor/rankings read them.

The demo plants an electricity collapse in one county (planted.json, county_electricity_collapse:
its firms at 10–25 % of normal for four months, then recovering), which must come last on 复工率
and overall while it lasts and climb back afterwards.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainwatch.cli.main import app, main
from chainwatch.config import reset_settings
from chainwatch.demo import prepare_demo
from chainwatch.web.app import create_app

FIRMS, MONTHS, SEED = 300, 24, 11
runner = CliRunner()
KEYS = {"level", "period", "periods", "threshold", "rows"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("rankings-home")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            summary = prepare_demo(FIRMS, MONTHS, SEED)
            planted = json.loads((Path(summary["folder"]) / "planted.json").read_text("utf-8"))
            (collapse,) = [
                w for w in planted["weaknesses"] if w["id"] == "county_electricity_collapse"
            ]
            yield {"summary": summary, "collapse": collapse}
        finally:
            reset_settings()


def cli_json(*args: str) -> Any:
    out = runner.invoke(app, ["monitor", "rank", *args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The real entry point (user errors → one message, exit status 2)."""
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


def test_the_stage_stores_rankings(demo: dict[str, Any]) -> None:
    monitor = demo["summary"]["stages"]["monitor"]
    assert monitor["ranking_rows"] > 0 and monitor["ranking_periods"] > 0
    table = cli_json()
    assert set(table) == KEYS and table["level"] == "county"
    assert table["period"] == table["periods"][-1] == "2020-12"
    assert table["threshold"] == 0.8
    ranks = [r["rank"] for r in table["rows"]]
    assert ranks == list(range(1, len(ranks) + 1))  # every county ranked, sorted
    assert all(r["parent_code"] and r["name"] for r in table["rows"])


def test_collapsed_county_comes_last_then_recovers(demo: dict[str, Any]) -> None:
    collapse = demo["collapse"]
    county = collapse["county_code"]
    middle = collapse["months"][1]
    during = cli_json("--month", middle)
    rows = during["rows"]
    (hit,) = [r for r in rows if r["code"] == county]
    assert hit["name"] == collapse["county_name"] and hit["parent_code"] == collapse["city_code"]
    assert hit["rank"] == len(rows)
    assert hit["resumption_rate"] == min(r["resumption_rate"] for r in rows) < 0.5
    assert hit["composite_index"] < 50 and hit["capacity_utilisation"] < 0.5
    assert hit["rank_resumption"] == max(r["rank_resumption"] for r in rows)
    after = cli_json("--month", collapse["recovery_month"])
    (back,) = [r for r in after["rows"] if r["code"] == county]
    assert back["previous_rank"] == len(rows) and back["change"] > 0
    assert back["resumption_rate"] > hit["resumption_rate"]
    # The city filter keeps the city's counties with their province-wide ranks.
    city = cli_json("--month", middle, "--city", collapse["city_code"])
    assert {r["parent_code"] for r in city["rows"]} == {collapse["city_code"]}
    assert [r for r in city["rows"] if r["code"] == county] == [hit]
    # Cities: the collapse pulls its city's 复工率 below every other city's.
    cities = cli_json("--level", "city", "--month", middle)
    (own,) = [r for r in cities["rows"] if r["code"] == collapse["city_code"]]
    assert own["resumption_rate"] == min(r["resumption_rate"] for r in cities["rows"])


def test_table_and_excel(demo: dict[str, Any], tmp_path: Path) -> None:
    collapse = demo["collapse"]
    target = tmp_path / "赛马.xlsx"
    out = runner.invoke(
        app, ["monitor", "rank", "--month", collapse["months"][1], "--excel", str(target)]
    )
    assert out.exit_code == 0, out.output
    # Headers of number columns fold in a narrow terminal; names stay whole.
    for text in (
        "区县赛马",
        "排名",
        "地区",
        "复工：日均用电 ≥ 自身基线的 80%",
        collapse["county_name"],
    ):
        assert text in out.stdout, text
    sheet = load_workbook(target).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["排名", "地区代码", "地区"] and "复工率" in header
    assert sheet.cell(row=2, column=1).value == 1


def test_api_matches_the_cli(demo: dict[str, Any]) -> None:
    client = TestClient(create_app())
    month = demo["collapse"]["months"][1]
    got = client.get("/api/v1/monitor/rankings", params={"period": month})
    assert got.status_code == 200
    assert got.json() == cli_json("--month", month)
    cities = client.get("/api/v1/monitor/rankings", params={"level": "city"}).json()
    assert cities["level"] == "city" and len(cities["rows"]) == 11
    sheet = client.get("/api/v1/monitor/rankings.xlsx", params={"period": month, "city": "330100"})
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "rankings-county-" in sheet.headers["content-disposition"]
    book = load_workbook(io.BytesIO(sheet.content)).active
    assert book is not None and book.cell(row=1, column=1).value == "排名"


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"level": "x"}, 422, "level 'x'"),
        ({"period": "2020-7"}, 422, "YYYY-MM"),
        ({"period": "2099-01"}, 404, "2099-01"),
        ({"city": "330110"}, 422, "not a city"),
    ],
)
def test_api_mistakes(demo: dict[str, Any], params: dict[str, str], status: int, text: str) -> None:
    client = TestClient(create_app())
    for path in ("/api/v1/monitor/rankings", "/api/v1/monitor/rankings.xlsx"):
        got = client.get(path, params=params)
        assert got.status_code == status, got.text
        body = got.json()
        assert body["ok"] is False and body["status"] == status and text in body["error"]


def test_cli_mistakes(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, text in (
        (["--level", "x"], "county"),
        (["--month", "2099-01"], "2019-07"),
        (["--month", "2020-7"], "YYYY-MM"),
        (["--city", "abc"], "6"),
    ):
        assert run_main(monkeypatch, "monitor", "rank", *args) == 2
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err, err


def test_before_the_monitor_stage(home: Path) -> None:
    out = runner.invoke(app, ["monitor", "rank"])
    assert out.exit_code != 0
    got = TestClient(create_app()).get("/api/v1/monitor/rankings")
    assert got.status_code == 409 and "chainwatch run monitor" in got.json()["error"]
