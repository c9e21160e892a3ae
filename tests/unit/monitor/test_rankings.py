"""Known-answer tests of the regional rankings (赛马) on a hand-made province.

Seven firms in four counties of two cities, January 2020 to March 2021. Every firm keeps a round
daily rate (kWh per day; sales are 10 × its usual rate every day, so every sales index is 100)
except in the months listed:

  firm county           usual   changes                                   notes
  A    330106 西湖区    1000    2021-02: 1100, 2021-03: 500
  B    330106 西湖区     500    2021-03: 460
  C    330108 滨江区    2000    2021-02: 2200, 2021-03: 1600              1600 = 80 % exactly
  D    330211 镇海区    1000    2021-03: reading 0 (sales go on)
  E    330211 镇海区     400    2021-03: no row at all
  F    330205 江北区     300    only from 2020-10 (never 6 months before a ranked month here)
  G    330205 江北区     800    2020-06: 1300, 2021-02: 720, 2021-03: 880

西湖区 and 滨江区 are in 杭州市 (330100), 镇海区 and 江北区 in 宁波市 (330200).

Hand figures, 2021-03 (baseline = median of the previous 12 months, peak = their maximum):
  西湖区  electricity index (500+460)/(1000+500) = 64 → 税电 (100+64)/2 = 82.0, growth −18.0;
          A 500 < 0.8 × 1000, B 460 ≥ 0.8 × 500 → 复工率 1/2; utilisation (500+460)/(1100+500) = 0.6
  滨江区  index 80 → 90.0, growth −10.0; C 1600 ≥ 0.8 × 2000 → 1.0; 1600/2200 = 0.7273
  镇海区  no electricity matched (D 0, E nothing) → no 税电指数, no growth rank; D and E not
          resumed → 0.0; utilisation D 0/1000 = 0.0 (E has no reading: left out)
  江北区  G 880/800 = 110 → 105.0, growth 5.0; F has no baseline → 1/1; 880/1300 = 0.6769
  ranks   growth 江北 1, 滨江 2, 西湖 3; 复工率 滨江 = 江北 = 1, 西湖 3, 镇海 4;
          utilisation 滨江 1, 江北 2, 西湖 3, 镇海 4
  overall 江北 (1+1+2)/3 = 滨江 (2+1+1)/3 = 4/3 → 江北 first on 税电 105.0 > 90.0; 西湖 3;
          镇海 (4+4)/2 = 4
2021-02: 西湖 103.3 (+3.3), 滨江 105.0 (+5.0), 镇海 100.0, 江北 95.0; 复工率 all 1.0;
  utilisation 西湖 1600/1500, 滨江 1.1, 镇海 1.0, 江北 720/1300 → overall 滨江, 西湖, 镇海, 江北.
2021-01: everything 100 and 复工率 1.0; utilisation 1.0 but 江北 800/1300 → 西湖, 滨江, 镇海 tie
  on mean rank 1 and 税电 100.0 and are ordered by code; 江北 4.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chainwatch.config import reset_settings
from chainwatch.errors import ConfigError, DataMissingError, NotFoundError, ValidationError
from chainwatch.ingest.load import ingest_file
from chainwatch.monitor import rankings
from chainwatch.monitor.indices import compute_indices
from chainwatch.store import lake
from tests.unit.monitor.sample import credit_code

FIRMS: dict[str, tuple[str, float, dict[str, float | None]]] = {
    "A": ("330106", 1000.0, {"2021-02": 1100.0, "2021-03": 500.0}),
    "B": ("330106", 500.0, {"2021-03": 460.0}),
    "C": ("330108", 2000.0, {"2021-02": 2200.0, "2021-03": 1600.0}),
    "D": ("330211", 1000.0, {"2021-03": 0.0}),
    "E": ("330211", 400.0, {"2021-03": None}),
    "F": ("330205", 300.0, {}),
    "G": ("330205", 800.0, {"2020-06": 1300.0, "2021-02": 720.0, "2021-03": 880.0}),
}
MONTHS = [f"{y}-{m:02d}" for y in (2020, 2021) for m in range(1, 13)][:15]
FIRST = {"F": "2020-10"}


def uscc_of(firm: str) -> str:
    return credit_code(FIRMS[firm][0], f"MA3R0000{ord(firm) - 64}")


def write_files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    enterprises = folder / "enterprises.csv"
    with enterprises.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
        for firm, (region, _, _) in FIRMS.items():
            writer.writerow([uscc_of(firm), f"{firm}测试有限公司", region, "3484"])
    indicators = folder / "indicators.csv"
    with indicators.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "月份", "销售额", "用电量"])
        for firm, (_, usual, changes) in FIRMS.items():
            for month in MONTHS:
                if month < FIRST.get(firm, MONTHS[0]):
                    continue
                rate = changes.get(month, usual)
                if rate is None:
                    continue
                days = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
                writer.writerow([uscc_of(firm), month, 10 * usual * days, rate * days])
    return enterprises, indicators


@pytest.fixture(scope="module")
def ranked_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("rankings")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(folder / "home"))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        enterprises, indicators = write_files(folder / "files")
        ingest_file("enterprises", enterprises)
        ingest_file("indicators", indicators)
        compute_indices()
        summary = rankings.compute_rankings()
        assert summary == {"ranking_rows": 9 * 4 + 9 * 2, "ranking_periods": 9}
        yield folder / "home"
    reset_settings()


def by_code(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in table["rows"]}


def test_march_2021_every_metric_and_rank(ranked_home: Path) -> None:
    table = rankings.ranking_table()  # county, the latest month
    assert table["level"] == "county" and table["period"] == "2021-03"
    assert table["periods"] == [f"2020-{m:02d}" for m in range(7, 13)] + [
        "2021-01",
        "2021-02",
        "2021-03",
    ]
    assert table["threshold"] == 0.8
    assert [r["code"] for r in table["rows"]] == ["330205", "330108", "330106", "330211"]
    assert all(list(r) == list(rankings.ROW_KEYS) for r in table["rows"])
    rows = by_code(table)
    xihu, binjiang, zhenhai, jiangbei = (rows[c] for c in ("330106", "330108", "330211", "330205"))
    assert (xihu["name"], xihu["parent_code"], xihu["parent_name"]) == (
        "西湖区",
        "330100",
        "杭州市",
    )
    assert (jiangbei["name"], jiangbei["parent_name"]) == ("江北区", "宁波市")

    assert (xihu["sales_index"], xihu["electricity_index"], xihu["composite_index"]) == (
        100.0,
        64.0,
        82.0,
    )
    assert (xihu["index_growth"], xihu["firms"]) == (-18.0, 2)
    assert (xihu["resumption_rate"], xihu["capacity_utilisation"]) == (0.5, 0.6)
    assert (binjiang["composite_index"], binjiang["index_growth"]) == (90.0, -10.0)
    assert (binjiang["resumption_rate"], binjiang["capacity_utilisation"]) == (1.0, 0.7273)
    assert binjiang["firms"] == 1
    assert (zhenhai["sales_index"], zhenhai["electricity_index"]) == (100.0, None)
    assert (zhenhai["composite_index"], zhenhai["index_growth"]) == (None, None)
    assert (zhenhai["firms"], zhenhai["resumption_rate"], zhenhai["capacity_utilisation"]) == (
        2,
        0.0,
        0.0,
    )
    assert (jiangbei["composite_index"], jiangbei["index_growth"]) == (105.0, 5.0)
    assert (jiangbei["firms"], jiangbei["resumption_rate"]) == (1, 1.0)
    assert jiangbei["capacity_utilisation"] == 0.6769

    def ranks(row: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("rank_growth", "rank_resumption", "rank_utilisation", "rank", "previous_rank")
        return (*(row[k] for k in keys), row["change"])

    assert ranks(jiangbei) == (1, 1, 2, 1, 4, 3)
    assert ranks(binjiang) == (2, 1, 1, 2, 1, -1)
    assert ranks(xihu) == (3, 3, 3, 3, 2, -1)
    assert ranks(zhenhai) == (None, 4, 4, 4, 3, -1)


def test_february_and_january_2021(ranked_home: Path) -> None:
    february = by_code(rankings.ranking_table("county", "2021-02"))
    assert {c: r["composite_index"] for c, r in february.items()} == {
        "330106": 103.3,
        "330108": 105.0,
        "330211": 100.0,
        "330205": 95.0,
    }
    assert {c: r["index_growth"] for c, r in february.items()} == {
        "330106": 3.3,
        "330108": 5.0,
        "330211": 0.0,
        "330205": -5.0,
    }
    assert {c: r["resumption_rate"] for c, r in february.items()} == dict.fromkeys(february, 1.0)
    assert {c: r["rank_resumption"] for c, r in february.items()} == dict.fromkeys(february, 1)
    assert {c: r["capacity_utilisation"] for c, r in february.items()} == {
        "330106": 1.0667,
        "330108": 1.1,
        "330211": 1.0,
        "330205": 0.5538,
    }
    assert {c: (r["rank"], r["previous_rank"], r["change"]) for c, r in february.items()} == {
        "330108": (1, 2, 1),
        "330106": (2, 1, -1),
        "330211": (3, 3, 0),
        "330205": (4, 4, 0),
    }
    january = rankings.ranking_table("county", "2021-01")
    assert [
        (r["code"], r["rank"], r["rank_growth"], r["rank_utilisation"]) for r in january["rows"]
    ] == [
        ("330106", 1, 1, 1),
        ("330108", 2, 1, 1),
        ("330211", 3, 1, 1),
        ("330205", 4, 1, 4),
    ]
    assert by_code(january)["330205"]["capacity_utilisation"] == 0.6154


def test_first_month_has_no_index_and_no_previous_rank(ranked_home: Path) -> None:
    first = rankings.ranking_table("county", "2020-07")
    assert all(r["rank_growth"] is None and r["previous_rank"] is None for r in first["rows"])
    assert all(r["change"] is None for r in first["rows"])
    assert by_code(first)["330205"]["firms"] == 1  # F reports only from October


def test_cities_and_city_filter(ranked_home: Path) -> None:
    cities = rankings.ranking_table("city", "2021-03")
    hangzhou, ningbo = cities["rows"]
    assert (hangzhou["code"], hangzhou["parent_code"], hangzhou["parent_name"]) == (
        "330100",
        "330000",
        "浙江省",
    )
    # 杭州市: (500 + 460 + 1600) / (1000 + 500 + 2000) = 73.14 → (100 + 73.14) / 2 = 86.6
    assert (hangzhou["composite_index"], hangzhou["index_growth"]) == (86.6, -13.4)
    assert (hangzhou["firms"], hangzhou["resumption_rate"]) == (3, 0.6667)
    assert hangzhou["capacity_utilisation"] == 0.6737  # 2560 / 3800
    # 宁波市: only G matched for electricity (110); D and G for sales (100)
    assert (ningbo["composite_index"], ningbo["firms"], ningbo["resumption_rate"]) == (
        105.0,
        3,
        0.3333,
    )
    assert ningbo["capacity_utilisation"] == 0.3826  # 880 / (1000 + 1300)
    assert [(r["rank"], r["previous_rank"], r["change"]) for r in cities["rows"]] == [
        (1, 1, 0),
        (2, 2, 0),
    ]
    # The filter keeps a city's counties; their ranks stay province-wide.
    ningbo_counties = rankings.ranking_table("county", "2021-03", city="330200")
    assert [(r["code"], r["rank"]) for r in ningbo_counties["rows"]] == [
        ("330205", 1),
        ("330211", 4),
    ]
    only = rankings.ranking_table("city", "2021-03", city="330100")
    assert [r["code"] for r in only["rows"]] == ["330100"]


def test_series_of_one_region(ranked_home: Path) -> None:
    series = rankings.ranking_series("county", "330205")
    assert [s["period"] for s in series][-3:] == ["2021-01", "2021-02", "2021-03"]
    assert [s["rank"] for s in series][-3:] == [4, 4, 1]
    with pytest.raises(NotFoundError):
        rankings.ranking_series("city", "330205")


def test_stored_and_on_the_fly_agree(ranked_home: Path) -> None:
    stored = rankings.ranking_table("county", "2021-03")
    meta = lake.result_path(rankings.RESULT).with_suffix(".json")
    saved = meta.read_text(encoding="utf-8")
    meta.unlink()
    try:
        assert rankings.ranking_table("county", "2021-03") == stored
    finally:
        meta.write_text(saved, encoding="utf-8")


def test_threshold_from_monitor_yaml(ranked_home: Path) -> None:
    settings = ranked_home / "monitor.yaml"
    settings.write_text("rankings:\n  resumption_threshold: 0.95\n", encoding="utf-8")
    try:
        table = rankings.ranking_table("county", "2021-03")
        assert table["threshold"] == 0.95
        rows = by_code(table)
        # B at 92 % and C at 80 % of their baselines no longer count as resumed.
        assert (rows["330106"]["resumption_rate"], rows["330108"]["resumption_rate"]) == (0.0, 0.0)
        assert rows["330205"]["resumption_rate"] == 1.0  # G at 110 %
        settings.write_text("rankings:\n  resumption_threshold: 80\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="resumption_threshold"):
            rankings.ranking_table()
    finally:
        settings.unlink()


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"level": "x"}, ValidationError, "level 'x'"),
        ({"period": "2021-3"}, ValidationError, "YYYY-MM"),
        ({"period": "2021-01+02"}, ValidationError, "YYYY-MM"),
        ({"period": "2099-01"}, NotFoundError, "2020-07 to 2021-03"),
        ({"city": "33020"}, ValidationError, "6 digits"),
        ({"city": "330211"}, ValidationError, "not a city"),
    ],
)
def test_mistakes(ranked_home: Path, kwargs: dict[str, str], error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        rankings.ranking_table(**kwargs)


def test_nothing_computed_yet(home: Path) -> None:
    with pytest.raises(DataMissingError, match="chainwatch run monitor"):
        rankings.ranking_table()


def test_workbook(ranked_home: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    table = rankings.ranking_table("county", "2021-03")
    path = rankings.write_workbook(table, tmp_path / "r.xlsx")
    sheet = load_workbook(path).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["排名", "地区代码", "地区", "所属地市", "企业数"]
    assert [sheet.cell(row=i, column=2).value for i in (2, 3, 4, 5)] == [
        "330205",
        "330108",
        "330106",
        "330211",
    ]
    assert sheet.cell(row=2, column=header.index("复工率") + 1).value == 1.0
