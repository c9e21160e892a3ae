"""The rankings' region sums from the indicator cube against the SQL over the firm panel.

:func:`chainwatch.monitor.rankings.cube_sums` replaces the SQL of
:func:`~chainwatch.monitor.rankings.panel_sums_sql` at province scale, so both run here on the
same random province and must give the same rows: counts exactly, sums to rounding. The data
has what the rules treat specially: firms entering and leaving, months without a row, rows with
sales only, zero and negative readings, readings at 80 % of the usual rate, a month no firm
reported, a month with sales only, firms outside the registry, a registry firm without figures,
a firm registered at city level and a small county whose firms stop reporting (so some of its
months have firms with a baseline but no reading at all).
"""

from __future__ import annotations

import calendar
import csv
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainwatch.ingest import batches
from chainwatch.ingest.load import ingest_file
from chainwatch.monitor import cube as cubes
from chainwatch.monitor import rankings
from chainwatch.monitor.index_sql import panel_sql
from chainwatch.monitor.indices import PANEL, compute_indices
from chainwatch.monitor.rankings import RankingSettings, cube_sums, panel_sums_sql
from chainwatch.monitor.scopes import register_firm_ids, register_region_map
from chainwatch.monitor.settings import IndexSettings, load_index_settings
from chainwatch.store import datasets, lake
from tests.unit.monitor.sample import credit_code

FIRST_YEAR = 2019
MONTHS = 30  # 2019-01 … 2021-06
NOBODY = 9  # 2019-10: no firm reports
SALES_ONLY = 20  # 2020-09: sales, but no electricity anywhere
COUNTIES = ("330106", "330108", "330205", "330211")
SMALL = "330302"  # two firms that stop reporting in 2020-11
CITY_LEVEL = "330100"  # registered at city level: no county
SETTINGS = (RankingSettings(), RankingSettings(0.65, 5, 2), RankingSettings(0.9, 4, 4))

Row = tuple[str, str, float | None, float | None]  # uscc, period, sales, electricity_kwh


def period(column: int) -> str:
    return f"{FIRST_YEAR + column // 12}-{column % 12 + 1:02d}"


def province(firms: int = 200, seed: int = 7) -> tuple[list[tuple[str, str]], list[Row]]:
    """(registry rows (uscc, region_code), indicator rows)."""
    rng = np.random.default_rng(seed)
    registry: list[tuple[str, str]] = []
    rows: list[Row] = []
    for i in range(firms + 3):
        if i < 2:
            region, start, end = SMALL, 0, 23
        elif i < 5:
            region, start, end = CITY_LEVEL, int(rng.integers(0, 6)), MONTHS
        else:
            region = COUNTIES[int(rng.integers(len(COUNTIES)))]
            start = int(rng.integers(0, 14))
            end = min(MONTHS, start + int(rng.integers(4, 40)))
        code = credit_code(region, f"MA{i:07d}")
        if i < firms:  # the last three are not in the registry
            registry.append((code, region))
        rate = float(rng.integers(50, 3000))
        for column in range(start, end):
            days = calendar.monthrange(FIRST_YEAR + column // 12, column % 12 + 1)[1]
            draw = rng.random()
            if column == NOBODY or draw < 0.08:
                continue
            sales = None if rng.random() < 0.05 else rate * days * 10 * rng.uniform(0.5, 1.5)
            if column == SALES_ONLY or draw < 0.12:
                electricity = None
            elif draw < 0.16:
                electricity = 0.0
            elif draw < 0.18:
                electricity = -float(rng.integers(1, 100))
            elif draw < 0.26:
                electricity = rate * days * 0.8  # at the default threshold of a steady firm
            elif draw < 0.45:
                electricity = rate * days  # steady
            else:
                electricity = rate * days * rng.uniform(0.3, 1.4)
            if sales is None and electricity is None:
                sales = rate * days * 10
            rows.append((code, period(column), sales, electricity))
    registry.append((credit_code(COUNTIES[0], "MA9999999"), COUNTIES[0]))  # no figures
    return registry, rows


def write_parquet(folder: Path) -> tuple[str, str]:
    registry, rows = province()
    enterprises, indicators = folder / "enterprises.parquet", folder / "indicators.parquet"
    pq.write_table(
        pa.table(
            {
                "uscc": [u for u, _ in registry],
                "name": [f"企业{i}" for i in range(len(registry))],
                "region_code": [r for _, r in registry],
            }
        ),
        enterprises,
    )
    columns = list(zip(*rows, strict=True))
    pq.write_table(
        pa.table(
            {
                "uscc": pa.array(columns[0], type=pa.string()),
                "period": pa.array(columns[1], type=pa.string()),
                "sales": pa.array(columns[2], type=pa.float64()),
                "electricity_kwh": pa.array(columns[3], type=pa.float64()),
            }
        ),
        indicators,
    )
    return f"read_parquet('{enterprises}')", f"read_parquet('{indicators}')"


Key = tuple[str, str, int]
Both = tuple[duckdb.DuckDBPyConnection, cubes.Cube, str]  # panel and zeros on it, cube, registry


def keyed(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    out = {(r["level"], r["code"], int(r["m"])): r for r in rows}
    assert len(out) == len(rows)
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Both:
    """A connection holding the panel (table ``panel``) and zeros, the cube, the registry."""
    enterprises, indicators = write_parquet(tmp_path_factory.mktemp("dense_rankings"))
    con = duckdb.connect()
    register_firm_ids(con, enterprises)
    register_region_map(con, enterprises)
    con.execute(f"CREATE TABLE panel AS {panel_sql(IndexSettings(), indicators=indicators)}")
    con.execute(
        "CREATE TABLE zeros AS SELECT uscc AS code, period, bool_or(sales <= 0) AS zero_sales, "
        f"bool_or(electricity_kwh <= 0) AS zero_electricity FROM {indicators} "
        "WHERE sales <= 0 OR electricity_kwh <= 0 GROUP BY ALL"
    )
    return con, cubes.build_cube(con, indicators), enterprises


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"{s.threshold}-{s.baseline_months}")
def test_cube_sums_equal_panel_sums(both: Both, settings: RankingSettings) -> None:
    con, cube, enterprises = both
    expected = keyed(lake.rows(con, panel_sums_sql("panel", "zeros", enterprises, settings)))
    table = cube_sums(con, cube, enterprises, settings)
    assert table.column_names == ["level", "code", "m", "firms", "resumed", "daily_sum", "peak_sum"]
    found = keyed(table.to_pylist())
    assert sorted(found) == sorted(expected)
    for key, want in expected.items():
        got = found[key]
        assert (got["firms"], got["resumed"]) == (want["firms"], want["resumed"]), key
        for column in ("daily_sum", "peak_sum"):
            if want[column] is None:
                assert got[column] is None, (key, column)
            else:
                assert math.isclose(got[column], want[column], rel_tol=1e-9), (key, column)
    # The data reach every case the comparison is about.
    months = {m for _, _, m in expected}
    first = FIRST_YEAR * 12
    assert first + SALES_ONLY not in months and first + NOBODY not in months
    assert {level for level, _, _ in expected} == {"county", "city"}
    assert CITY_LEVEL in {code for level, code, _ in expected if level == "city"}
    assert CITY_LEVEL not in {code for level, code, _ in expected if level == "county"}
    assert any(r["daily_sum"] is None and r["code"] == SMALL for r in expected.values())
    assert any(0 < r["resumed"] < r["firms"] for r in expected.values())


def test_no_firm_in_the_registry_gives_no_rows(
    both: Both,
) -> None:
    con, cube, _ = both
    nobody = "(SELECT NULL::VARCHAR AS uscc, NULL::VARCHAR AS region_code WHERE false)"
    table = cube_sums(con, cube, nobody, RankingSettings())
    assert table.num_rows == 0
    assert table.column_names == ["level", "code", "m", "firms", "resumed", "daily_sum", "peak_sum"]


def write_csv(folder: Path) -> tuple[Path, Path]:
    registry, rows = province(firms=60, seed=11)
    folder.mkdir(parents=True, exist_ok=True)
    enterprises, indicators = folder / "enterprises.csv", folder / "indicators.csv"
    with enterprises.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
        for i, (code, region) in enumerate(registry):
            writer.writerow([code, f"测试{i}有限公司", region, "3484"])
    with indicators.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "月份", "销售额", "用电量"])
        for code, month, sales, electricity in rows:
            figures = ["" if v is None else v for v in (sales, electricity)]
            writer.writerow([code, month, *figures])
    return enterprises, indicators


def stored_rankings() -> list[dict[str, Any]]:
    with lake.connection() as con:
        return lake.rows(
            con, f"SELECT * FROM {lake.result_sql(rankings.RESULT)} ORDER BY level, period, code"
        )


def test_rankings_from_cube_equal_rankings_from_panel(home: Path, tmp_path: Path) -> None:
    """The whole ranking, stored by the monitor stage, from each source in turn."""
    enterprises, indicators = write_csv(tmp_path / "files")
    ingest_file("enterprises", enterprises)
    ingest_file("indicators", indicators)
    compute_indices()
    # Both sources in the lake, whatever the index engine keeps.
    with lake.connection() as con:
        register_firm_ids(con, datasets.enterprises_sql())
        panel = panel_sql(
            load_index_settings(),
            indicators=datasets.indicators_sql(),
            periods_from=batches.dataset_sql("indicators"),
        )
        lake.write_result_query(con, PANEL, panel)
        cubes.save_cube(cubes.build_cube(con, batches.dataset_sql("indicators")))

    settings = rankings.load_ranking_settings()
    rankings.compute_rankings()  # from the cube
    from_cube = stored_rankings()
    assert rankings._stored_is_current(settings)
    lake.remove(cubes.cube_path())
    assert not rankings._stored_is_current(settings)  # the cube is one of its inputs
    rankings.compute_rankings()  # from the panel
    from_panel = stored_rankings()

    assert from_cube == from_panel
    assert len(from_cube) > 20
    assert any(0 < (row["resumption_rate"] or 0) < 1 for row in from_cube)
    assert any(row["capacity_utilisation"] is not None for row in from_cube)
