"""Known-answer tests on the sample province (tests/unit/monitor/sample.py, docs/monitoring.md).

Every expected value is written as the hand computation from the sample's figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chainwatch.errors import DataMissingError, NotFoundError, ValidationError
from chainwatch.ingest.load import ingest_file
from chainwatch.monitor.indices import compute_indices, index_series, stored_is_current
from chainwatch.monitor.scopes import Grouping
from chainwatch.monitor.settings import IndexSettings
from tests.unit.monitor.sample import load_sample, uscc_of, write_files

approx = pytest.approx


def by_period(scope: str, code: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {r["period"]: r for r in index_series(scope, code, source="compute", **kwargs)}


def test_county_indices_match_the_panel_of_firms_in_both_years(sample_home: Path) -> None:
    rows = by_period("county", "330106", start="2021-01", end="2021-03")
    assert list(rows) == ["2021-01", "2021-02", "2021-01+02", "2021-03"]
    jan, mar = rows["2021-01"], rows["2021-03"]
    # A and B are matched; C (new in 2021) is an entry and does not move the index.
    assert jan["sales_matched"] == 2 and jan["sales_now"] == 341 + 558
    assert jan["sales_before"] == 310 + 558
    assert jan["sales_index"] == approx(100 * (341 + 558) / (310 + 558))  # 103.57
    assert jan["electricity_index"] == approx(100 * (3410 + 6200) / (3100 + 6200))  # 103.33
    assert jan["composite_index"] == approx(0.5 * 100 * 899 / 868 + 0.5 * 100 * 9610 / 9300)
    assert (jan["sales_entries"], jan["sales_entry_amount"]) == (1, 1000)
    assert (jan["electricity_entries"], jan["electricity_entry_amount"]) == (1, 500)
    assert (jan["sales_exits"], jan["sales_exit_amount"]) == (0, None)
    assert mar["sales_index"] == approx(100 * (372 + 620) / (310 + 682))  # 100.0
    assert mar["electricity_index"] == approx(100 * (3410 + 6820) / (3100 + 6200))  # 110.0
    assert mar["composite_index"] == approx(105.0)
    assert jan["name"] == "西湖区" and jan["days"] == 31 and jan["days_before"] == 31


def test_an_entering_firm_moves_only_the_entries(tmp_path: Path, home: Path) -> None:
    load_sample(tmp_path, firms="ABD")
    without = by_period("county", "330106", start="2021-01", end="2021-01")["2021-01"]
    enterprises, indicators = write_files(tmp_path, firms="C")
    ingest_file("enterprises", enterprises)
    ingest_file("indicators", indicators)
    with_c = by_period("county", "330106", start="2021-01", end="2021-01")["2021-01"]
    for column in ("sales_index", "electricity_index", "composite_index", "sales_matched"):
        assert with_c[column] == without[column]
    assert (without["sales_entries"], with_c["sales_entries"]) == (0, 1)
    assert with_c["sales_entry_amount"] == 1000


def test_leap_february_compares_daily_averages(sample_home: Path) -> None:
    feb = by_period("county", "330106", start="2021-02", end="2021-02")["2021-02"]
    assert (feb["days"], feb["days_before"]) == (28, 29)
    # Sales per day: (308 + 504) / 28 = 29 against (290 + 580) / 29 = 30.
    assert feb["sales_index"] == approx(100 * 29 / 30)  # 96.67, not 812 / 870 = 93.33
    # Electricity per day: (3080 + 5600) / 28 = 310 against (2900 + 5800) / 29 = 300.
    assert feb["electricity_index"] == approx(100 * 310 / 300)
    assert feb["sales_now"] == 812 and feb["sales_before"] == 870  # amounts stay unadjusted


def test_january_and_february_combined(sample_home: Path) -> None:
    county = by_period("county", "330106", start="2021-01", end="2021-02")["2021-01+02"]
    assert (county["days"], county["days_before"]) == (59, 60)
    assert county["first_month"] == "2021-01" and county["last_month"] == "2021-02"
    # (341 + 558 + 308 + 504) / 59 = 29 per day against (310 + 558 + 290 + 580) / 60.
    assert county["sales_index"] == approx(100 * 29 / (1738 / 60))  # 100.12
    assert county["electricity_index"] == approx(100 * (18290 / 59) / (18000 / 60))  # 103.33
    assert county["sales_entry_amount"] == 2000  # C's January and February
    # D stops in February 2021 (zero sales) but its January keeps it in the combined panel.
    binjiang = by_period("county", "330108", start="2021-01", end="2021-02")
    assert binjiang["2021-02"]["sales_index"] is None
    assert binjiang["2021-02"]["sales_matched"] == 0
    assert (binjiang["2021-02"]["sales_exits"], binjiang["2021-02"]["sales_exit_amount"]) == (
        1,
        145,
    )
    assert binjiang["2021-01+02"]["sales_index"] == approx(100 * (186 / 59) / (300 / 60))  # 63.05
    assert binjiang["2021-01+02"]["sales_matched"] == 1


def test_a_firm_without_a_row_is_an_exit(sample_home: Path) -> None:
    march = by_period("county", "330108", start="2021-03", end="2021-03")["2021-03"]
    assert (march["sales_exits"], march["sales_exit_amount"]) == (1, 155)
    assert march["sales_index"] is None and march["composite_index"] is None
    # D has no electricity feed: not matched, not entering, not leaving.
    assert (march["electricity_matched"], march["electricity_entries"]) == (0, 0)
    assert march["electricity_exits"] == 0


def test_city_and_province_sum_their_counties(sample_home: Path) -> None:
    city = by_period("city", "330100", start="2021-01", end="2021-03")
    assert city["2021-01"]["name"] == "杭州市"
    assert city["2021-01"]["sales_index"] == approx(100 * (899 + 186) / (868 + 155))  # 106.06
    assert city["2021-01"]["sales_matched"] == 3
    assert city["2021-02"]["sales_index"] == approx(100 * 29 / 30)  # D left: A and B only
    assert city["2021-02"]["sales_exits"] == 1
    assert city["2021-01+02"]["sales_index"] == approx(100 * (1897 / 59) / (2038 / 60))
    province = by_period("province", "330000", start="2021-01", end="2021-03")
    jan, feb, mar = province["2021-01"], province["2021-02"], province["2021-03"]
    assert jan["sales_index"] == approx(100 * (341 + 558 + 186 + 1240) / (310 + 558 + 155 + 930))
    assert jan["electricity_index"] == approx(100 * (9610 + 1550) / (9300 + 1550))  # 102.86
    # February per day: A 11 + B 18 + E 40 = 69 against 10 + 20 + 30 = 60.
    assert feb["sales_index"] == approx(115.0)
    assert feb["electricity_index"] == approx(100 * (110 + 200 + 50) / (100 + 200 + 50))
    assert mar["composite_index"] == approx(0.5 * 100 + 0.5 * 100 * 11780 / 10850)
    assert (jan["sales_entries"], feb["sales_exits"], mar["sales_exits"]) == (1, 1, 1)


def test_composite_weights(sample_home: Path) -> None:
    settings = IndexSettings(sales_weight=0.7, electricity_weight=0.3)
    rows = by_period("county", "330106", start="2021-03", end="2021-03", settings=settings)
    assert rows["2021-03"]["composite_index"] == approx(0.7 * 100 + 0.3 * 110)  # 103
    assert rows["2021-03"]["sales_weight"] == 0.7
    sales_only = IndexSettings(sales_weight=1.0, electricity_weight=0.0)
    binjiang = by_period("county", "330108", start="2021-01", end="2021-01", settings=sales_only)
    assert binjiang["2021-01"]["composite_index"] == approx(120.0)  # no electricity needed


def test_fixed_base_divides_by_the_base_years_average_day(sample_home: Path) -> None:
    # Base-year daily averages over the 91 reported days of 2020: A 910/91 = 10, B 1820/91 = 20.
    rows = by_period("county", "330106")
    assert rows["2020-01"]["fixed_base_sales"] == approx(100 * ((310 + 558) / 31) / 30)
    assert rows["2021-01"]["fixed_base_sales"] == approx(100 * 29 / 30)
    assert rows["2021-03"]["fixed_base_sales"] == approx(100 * 32 / 30)
    assert rows["2021-03"]["fixed_base_electricity"] == approx(100 * (10230 / 31) / 300)
    assert rows["2021-03"]["sales_fixed_firms"] == 2  # C has no base year
    # The base year averages 100 when weighted by days (the panel is the same all year).
    base = [rows[p] for p in ("2020-01", "2020-02", "2020-03")]
    assert sum(r["fixed_base_sales"] * r["days"] for r in base) / 91 == approx(100.0)
    # First year of data: no year-on-year comparison, so those columns are empty.
    assert rows["2020-01"]["sales_index"] is None and rows["2020-01"]["sales_entries"] is None
    province = by_period("province", "330000", start="2021-01", end="2021-01")
    assert province["2021-01"]["fixed_base_sales"] == approx(100 * (2325 / 31) / 65)


def test_fixed_base_year_is_configurable(sample_home: Path) -> None:
    settings = IndexSettings(base_year=2021)
    rows = by_period("county", "330106", start="2020-01", end="2020-01", settings=settings)
    # 2021 bases over 90 days: A (341 + 308 + 372) / 90, B (558 + 504 + 620) / 90.
    expected = 100 * ((310 + 558) / 31) / ((1021 + 1682) / 90)
    assert rows["2020-01"]["fixed_base_sales"] == approx(expected)
    assert rows["2020-01"]["base_year"] == 2021


def test_firm_scope(sample_home: Path) -> None:
    rows = by_period("firm", uscc_of("E"), start="2021-01", end="2021-03")
    assert rows["2021-02"]["name"] == "戊汽车零部件有限公司"
    assert rows["2021-02"]["sales_index"] == approx(100 * 40 / 30)
    assert rows["2021-01+02"]["sales_index"] == approx(100 * (2360 / 59) / (1800 / 60))
    assert rows["2021-02"]["electricity_index"] == approx(100.0)  # 1400/28 = 1450/29 = 50


def test_stored_result_equals_on_the_fly(sample_home: Path) -> None:
    summary = compute_indices()
    assert summary["county_rows"] == 3 * 8 and summary["province_rows"] == 8
    assert summary["firm_rows"] == 36  # periods with data × firms, exits included
    assert stored_is_current(IndexSettings())
    assert not stored_is_current(IndexSettings(0.6, 0.4))
    for scope, code in (("province", "330000"), ("city", "330200"), ("firm", uscc_of("D"))):
        stored = index_series(scope, code, "2020-01", "2021-03", source="stored")
        computed = index_series(scope, code, "2020-01", "2021-03", source="compute")
        assert stored == computed
    every_county = index_series("county", None, "2021-03", "2021-03", source="stored")
    assert [r["code"] for r in every_county] == ["330106", "330108", "330205"]


def test_sql_engine_without_the_panel_computes_firms_on_demand(tmp_path: Path, home: Path) -> None:
    load_sample(tmp_path)
    summary = compute_indices(firm_panel=False, engine="sql")
    assert summary["firm_rows"] == 0 and summary["province_rows"] == 8
    stored = index_series("city", "330100", "2021-01", "2021-03", source="stored")
    assert stored == index_series("city", "330100", "2021-01", "2021-03", source="compute")
    firm = index_series("firm", uscc_of("A"), "2021-03", "2021-03")  # auto: on the fly
    assert firm[0]["sales_index"] == approx(100 * 372 / 310)
    with pytest.raises(DataMissingError, match="no stored firm indices"):
        index_series("firm", uscc_of("A"), source="stored")


def test_a_firm_missing_from_the_registry_counts_only_for_itself(
    tmp_path: Path, home: Path
) -> None:
    load_sample(tmp_path, firms="AB")
    _, indicators = write_files(tmp_path, firms="E")  # E's indicators, not its registry entry
    ingest_file("indicators", indicators)
    firm = by_period("firm", uscc_of("E"), start="2021-02", end="2021-02")["2021-02"]
    assert firm["name"] is None
    assert firm["sales_index"] == approx(100 * 40 / 30)
    province = by_period("province", "330000", start="2021-02", end="2021-02")["2021-02"]
    assert province["sales_index"] == approx(100 * 29 / 30)  # A and B only
    compute_indices()
    stored = index_series("firm", uscc_of("E"), "2021-02", "2021-02", source="stored")
    assert stored[0]["sales_index"] == approx(100 * 40 / 30)


def test_grouping_hook_for_segments(sample_home: Path) -> None:
    members = f"VALUES ('{uscc_of('A')}', 'S1', '精密零件'), ('{uscc_of('E')}', 'S1', '精密零件')"
    segment = Grouping("segment", f"SELECT * FROM ({members}) t(uscc, code, name)")
    compute_indices(groupings=[segment])
    rows = {r["period"]: r for r in index_series("segment", "S1", "2021-01", "2021-01")}
    assert rows["2021-01"]["name"] == "精密零件"
    assert rows["2021-01"]["sales_index"] == approx(100 * (341 + 1240) / (310 + 930))
    with pytest.raises(ValidationError, match="new identifier"):
        Grouping("county", "SELECT 1")


def test_errors_say_what_to_do(sample_home: Path) -> None:
    with pytest.raises(ValidationError, match="is a city, not a county"):
        index_series("county", "330100")
    with pytest.raises(NotFoundError, match="county 330110"):
        index_series("county", "330110", source="compute")
    with pytest.raises(ValidationError, match="needs --code"):
        index_series("firm")
    with pytest.raises(ValidationError, match="scope 'chain' is not known"):
        index_series("chain", "C1")


def test_no_indicators_loaded(home: Path) -> None:
    with pytest.raises(DataMissingError, match="chainwatch ingest indicators"):
        index_series("province", "330000")
