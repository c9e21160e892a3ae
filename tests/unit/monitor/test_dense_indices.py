"""The dense engine against the SQL reference on random data with every awkward case.

The data has firms entering and leaving, gaps, readings of zero and below, a sales-only batch,
a second batch repeating some firm-months with other values (merged by the largest), firms
missing from the registry, a firm registered at city level, a leap February, a base year
partly outside the data, and a grouping with a firm in two groups and one outside the registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainwatch.errors import ValidationError
from chainwatch.monitor.cube import has_cube, load_cube
from chainwatch.monitor.dense import firm_rows, panel_table
from chainwatch.monitor.index_sql import panel_sql
from chainwatch.monitor.indices import compute_indices, stored_panel
from chainwatch.monitor.scopes import Grouping, register_firm_ids, register_region_map
from chainwatch.monitor.settings import IndexSettings
from chainwatch.store import lake

COUNTIES = ["330102", "330106", "330108", "330212", "330302"]
KEYS = ["scope", "code", "period"]


def _code(i: int, county: str) -> str:
    return f"91{county}{i:09d}X"


def write_data(folder: Path, seed: int = 7, firms: int = 120) -> tuple[str, str, list[str]]:
    """Registry and two indicator files; returns (enterprises, rows, registered codes)."""
    rng = np.random.default_rng(seed)
    county = [COUNTIES[i % len(COUNTIES)] for i in range(firms)]
    codes = [_code(i, c) for i, c in enumerate(county)]
    region = list(county)
    region[3] = "330100"  # registered at city level: counts for the city, not a county
    registered = codes[:-6]  # the last six report but are missing from the registry
    pq.write_table(
        pa.table(
            {
                "uscc": registered,
                "name": [f"企业{i}" for i in range(len(registered))],
                "region_code": region[: len(registered)],
            }
        ),
        folder / "enterprises.parquet",
    )
    rows: dict[str, list[Any]] = {"uscc": [], "period": [], "sales": [], "electricity_kwh": []}
    repeat: dict[str, list[Any]] = {"uscc": [], "period": [], "sales": [], "electricity_kwh": []}
    for i, code in enumerate(codes):
        first = int(rng.integers(0, 10)) if i % 4 == 0 else 0
        last = int(rng.integers(20, 38)) if i % 5 == 0 else 38
        level = float(rng.lognormal(6, 1))
        for m in range(first, last):
            if rng.random() < 0.08:
                continue  # a gap
            period = f"{2019 + m // 12:04d}-{m % 12 + 1:02d}"  # 2019-01 … 2022-02
            sales = level * float(rng.lognormal(0, 0.3))
            kwh: float | None = sales * 3
            if rng.random() < 0.05:
                sales = 0.0
            if rng.random() < 0.02:
                sales = -5.0
            if rng.random() < 0.07:
                kwh = None
            elif rng.random() < 0.03:
                kwh = 0.0
            rows["uscc"].append(code)
            rows["period"].append(period)
            rows["sales"].append(sales)
            rows["electricity_kwh"].append(kwh)
            if rng.random() < 0.05:
                repeat["uscc"].append(code)
                repeat["period"].append(period)
                repeat["sales"].append(sales * float(rng.choice([0.5, 2.0])))
                repeat["electricity_kwh"].append(None if rng.random() < 0.5 else 10.0)
    pq.write_table(pa.table(rows), folder / "batch1.parquet")
    pq.write_table(pa.table(repeat), folder / "batch2.parquet")
    files = f"read_parquet(['{folder / 'batch1.parquet'}', '{folder / 'batch2.parquet'}'])"
    return f"read_parquet('{folder / 'enterprises.parquet'}')", files, codes


def _merged(rows: str) -> str:
    return (
        "(SELECT uscc, period, max(sales) AS sales, max(electricity_kwh) AS electricity_kwh "
        f"FROM {rows} GROUP BY uscc, period)"
    )


def _grouping(codes: list[str]) -> Grouping:
    members = [(codes[i], "g1", "组一") for i in range(0, 40)]
    members += [(codes[i], "g2", "组二") for i in range(30, 70)]  # 30–39 in both
    members += [(codes[-1], "g2", "组二")]  # outside the registry
    values = ", ".join(f"('{u}', '{g}', '{n}')" for u, g, n in members)
    return Grouping("segment", f"SELECT * FROM (VALUES {values}) v(uscc, code, name)")


def _result(settings: IndexSettings, engine: str, **kwargs: Any) -> list[dict[str, Any]]:
    summary = compute_indices(settings=settings, engine=engine, **kwargs)  # type: ignore[arg-type]
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{summary['path']}') ORDER BY ALL")
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()] + [
        {"firm_rows": summary["firm_rows"], "periods": summary["periods"]}
    ]


def _same(sql: list[dict[str, Any]], dense: list[dict[str, Any]]) -> None:
    assert len(sql) == len(dense)
    for a, b in zip(sql, dense, strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            other = b[key]
            if isinstance(value, float) and isinstance(other, float):
                assert other == pytest.approx(value, rel=1e-12, abs=1e-9), (a["code"], key)
            else:
                assert other == value, (a.get("scope"), a.get("code"), a.get("period"), key)


@pytest.mark.parametrize(
    "settings",
    [IndexSettings(), IndexSettings(sales_weight=1.0, electricity_weight=0.0, base_year=2018)],
)
def test_dense_engine_equals_the_sql_engine(
    tmp_path: Path, home: Path, settings: IndexSettings
) -> None:
    enterprises, rows, codes = write_data(tmp_path)
    common = {"enterprises": enterprises, "groupings": [_grouping(codes)]}
    sql = _result(settings, "sql", indicators=_merged(rows), periods_from=rows, **common)
    dense = _result(settings, "dense", indicators=_merged(rows), periods_from=rows, **common)
    _same(sql, dense)
    scopes = {r.get("scope") for r in dense}
    assert {"county", "city", "province", "segment"} <= scopes
    assert any(r.get("period", "").endswith("01+02") for r in dense)


def test_panel_rows_built_from_the_cube_equal_the_sql_panel(tmp_path: Path, home: Path) -> None:
    enterprises, rows, codes = write_data(tmp_path, seed=11)
    settings = IndexSettings()
    compute_indices(
        settings=settings,
        indicators=_merged(rows),
        periods_from=rows,
        enterprises=enterprises,
        engine="dense",
    )
    assert has_cube()
    cube = load_cube()
    chosen = [codes[0], codes[3], codes[50], codes[-1], "91330000NOTTHERE0X"]
    built = panel_table(cube, settings.base_year, firm_rows(cube, chosen))
    con = lake.connect()
    register_firm_ids(con, enterprises)
    register_region_map(con, enterprises)
    query = panel_sql(settings, indicators=_merged(rows), periods_from=rows)
    listed = ", ".join(f"'{c}'" for c in chosen)
    expected = con.execute(
        f"SELECT * FROM ({query}) WHERE code IN ({listed}) ORDER BY code, period"
    ).fetchall()
    con.register("built", built)
    got = con.execute("SELECT * FROM built ORDER BY code, period").fetchall()
    assert len(got) == len(expected) > 0
    for a, b in zip(expected, got, strict=True):
        assert a[:4] == b[:4]
        for x, y in zip(a[4:], b[4:], strict=True):
            assert (x is None and y is None) or y == pytest.approx(x, rel=1e-12)
    one = stored_panel(con, settings.base_year, [codes[50]], "2021-06")
    assert con.execute(f"SELECT count(*), min(period) FROM {one}").fetchall() == [(1, "2021-06")]
    con.close()


def test_an_unknown_engine_is_refused(tmp_path: Path, home: Path) -> None:
    enterprises, rows, _ = write_data(tmp_path, firms=10)
    with pytest.raises(ValidationError, match="dense or sql"):
        compute_indices(indicators=rows, enterprises=enterprises, engine="pandas")  # type: ignore[arg-type]


def test_a_failed_build_leaves_neither_a_cube_nor_its_files(tmp_path: Path, home: Path) -> None:
    enterprises, rows, _ = write_data(tmp_path, firms=10)
    compute_indices(indicators=rows, periods_from=rows, enterprises=enterprises)
    assert has_cube()
    broken = f"(SELECT uscc, period, sales, no_such_column AS electricity_kwh FROM {rows})"
    with pytest.raises(Exception, match="no_such_column"):
        compute_indices(indicators=broken, periods_from=broken, enterprises=enterprises)
    assert not has_cube()  # the old cube is stale once a new computation starts
    assert not list((lake.lake_path() / "_staging").glob("index_cube-*"))
