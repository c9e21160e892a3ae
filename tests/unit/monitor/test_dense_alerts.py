"""The cube versions of the firm rules (停产/减产, 销售断崖) against the SQL ones on the panel.

Random firms with entries, exits, pauses, gaps, zero, negative and missing readings, planted
stops and sales collapses, firms outside the registry and a month without any data: both
engines must give the same findings, field by field. One firm is also worked out on paper.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chainwatch.monitor import alerts, dense_alerts, scopes
from chainwatch.monitor.cube import build_cube, load_cube, save_cube
from chainwatch.monitor.index_sql import panel_sql
from chainwatch.monitor.rules import DEFAULTS_FILE, Level, read_rules
from chainwatch.monitor.settings import IndexSettings

RULES = read_rules(DEFAULTS_FILE)
STOP = RULES.get("production_stop")
COLLAPSE = RULES.get("sales_collapse")
# Other settings: three levels, other run lengths and a shorter baseline.
STOP_OTHER = STOP.model_copy(
    update={
        "months": 3,
        "baseline_months": 5,
        "baseline_min_months": 3,
        "levels": [
            Level(grade="红", below=0.2),
            Level(grade="橙", below=0.5),
            Level(grade="黄", below=0.8),
        ],
    }
)
COLLAPSE_OTHER = COLLAPSE.model_copy(
    update={
        "months": 1,
        "levels": [
            Level(grade="红", below=-0.8),
            Level(grade="橙", below=-0.5),
            Level(grade="黄", below=-0.2),
        ],
    }
)
MONTHS = [f"{y}-{m:02d}" for y in (2019, 2020, 2021) for m in range(1, 13)][6:]  # 30 months
NO_DATA = "2020-10"  # no firm reports this month


def days(period: str) -> int:
    return calendar.monthrange(int(period[:4]), int(period[5:]))[1]


def random_firms(seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """(registry, indicators) of 300 firms with indicators (20 outside the registry) and 10
    registered firms without any."""
    rng = np.random.default_rng(seed)
    registered = [f"91330{i:013d}" for i in range(290)]
    strays = [f"92330{i:013d}" for i in range(20)]
    with_data = registered[:280] + strays
    rows: dict[str, list[Any]] = {"uscc": [], "period": [], "sales": [], "electricity_kwh": []}
    t = len(MONTHS)
    for n, code in enumerate(with_data):
        active = np.ones(t, dtype=bool)
        if rng.random() < 0.3:
            active[: rng.integers(1, 16)] = False  # enters late
        if rng.random() < 0.3:
            active[rng.integers(15, t) :] = False  # leaves
        if rng.random() < 0.15:
            start = rng.integers(3, t - 4)
            active[start : start + rng.integers(3, 15)] = False  # pauses, then returns
        active &= rng.random(t) > 0.05  # months without a row
        power = rng.lognormal(6.0, 1.0) * (1 + rng.uniform(-0.3, 0.3, t))
        sales = rng.lognormal(9.0, 1.0) * (1 + rng.uniform(-0.3, 0.3, t))
        for _ in range(rng.integers(0, 3)):  # stops and collapses of 1–5 months
            start, length = rng.integers(0, t), rng.integers(1, 6)
            power[start : start + length] *= rng.choice([0.05, 0.2, 0.4, 0.55, 0.7, 0.9])
        for _ in range(rng.integers(0, 3)):
            start, length = rng.integers(0, t), rng.integers(1, 6)
            sales[start : start + length] *= rng.choice([0.1, 0.15, 0.3, 0.45, 0.6, 0.85])
        for values in (power, sales):
            draw = rng.random(t)
            values[draw < 0.03] = 0.0
            values[(draw >= 0.03) & (draw < 0.045)] = -rng.uniform(1, 100)
            values[(draw >= 0.045) & (draw < 0.08)] = np.nan
        if n == 5:  # every reading zero
            power[:], sales[:] = 0.0, 0.0
            active[:] = True
        for c, period in enumerate(MONTHS):
            if not active[c] or period == NO_DATA:
                continue
            if np.isnan(power[c]) and np.isnan(sales[c]):
                continue
            rows["uscc"].append(code)
            rows["period"].append(period)
            d = days(period)
            rows["sales"].append(None if np.isnan(sales[c]) else float(sales[c] * d))
            rows["electricity_kwh"].append(None if np.isnan(power[c]) else float(power[c] * d))
    registry = pa.table(
        {
            "uscc": registered[::-1],  # not in code order
            "name": [f"企业{i}" for i in range(len(registered))],
            "region_code": [f"3302{i % 7:02d}" for i in range(len(registered))],
        }
    )
    indicators = pa.table(
        {
            "uscc": pa.array(rows["uscc"], type=pa.string()),
            "period": pa.array(rows["period"], type=pa.string()),
            "sales": pa.array(rows["sales"], type=pa.float64()),
            "electricity_kwh": pa.array(rows["electricity_kwh"], type=pa.float64()),
        }
    )
    return registry, indicators


class Data:
    """The same firms as SQL sources (panel, zeros, registry) and as a stored cube."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, folder: Path, registry: pa.Table, rows: pa.Table
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(registry, folder / "enterprises.parquet")
        pq.write_table(rows, folder / "indicators.parquet")
        self.enterprises = f"read_parquet('{folder / 'enterprises.parquet'}')"
        indicators = f"read_parquet('{folder / 'indicators.parquet'}')"
        scopes.register_firm_ids(con, self.enterprises)
        panel = panel_sql(IndexSettings(), indicators=indicators, periods_from=indicators)
        con.execute(f"COPY ({panel}) TO '{folder / 'panel.parquet'}' (FORMAT parquet)")
        zeros = (
            "(SELECT uscc AS code, period, bool_or(sales <= 0) AS zero_sales, "
            "bool_or(electricity_kwh <= 0) AS zero_electricity "
            f"FROM {indicators} WHERE sales <= 0 OR electricity_kwh <= 0 GROUP BY ALL)"
        )
        self.sql = alerts.Sources(
            panel=f"read_parquet('{folder / 'panel.parquet'}')",
            zeros=zeros,
            enterprises=self.enterprises,
        )
        # Stored and read back memory-mapped, as the alert stage reads it.
        self.cube = load_cube(save_cube(build_cube(con, indicators)))
        self.dense = alerts.Sources(cube=self.cube, enterprises=self.enterprises)


def dicts(findings: list[alerts.Finding]) -> list[dict[str, Any]]:
    return sorted((f.as_dict() for f in findings), key=lambda f: (f["key"], f["start"]))


@pytest.fixture()
def con(home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture()
def data(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Data:
    registry, rows = random_firms()
    return Data(con, tmp_path / "random", registry, rows)


@pytest.mark.parametrize("rule", [STOP, STOP_OTHER, COLLAPSE, COLLAPSE_OTHER], ids=lambda r: r.id)
def test_same_findings_as_sql(con: duckdb.DuckDBPyConnection, data: Data, rule: Any) -> None:
    assert not data.cube.sales.flags.writeable  # memory-mapped read-only
    expected = dicts(alerts.evaluate([rule], data.sql, con))
    got = dicts(alerts.evaluate([rule], data.dense, con))
    assert got == expected
    # The data must exercise the rule: many runs, open and ended ones, every grade, firms in
    # and outside the registry, runs raised before their final grade.
    assert len(expected) >= 20
    assert {f["grade"] for f in expected} == {level.grade for level in rule.levels}
    assert {f["ended"] is None for f in expected} == {True, False}
    assert {f["name"] is None for f in expected} == {True, False}
    assert all(f["region_code"] is not None for f in expected if f["name"] is not None)
    if len(rule.levels) > 1:
        assert any(f["period"] != f["grade_period"] for f in expected)


def test_without_registry(con: duckdb.DuckDBPyConnection, data: Data) -> None:
    """No registry: the same runs, without names or regions."""
    sql = alerts.Sources(panel=data.sql.panel, zeros=data.sql.zeros)
    dense = alerts.Sources(cube=data.cube)
    expected = dicts(alerts.evaluate([STOP, COLLAPSE], sql, con))
    assert expected and all(f["name"] is None for f in expected)
    assert dicts(alerts.evaluate([STOP, COLLAPSE], dense, con)) == expected


def test_direct_call_with_names(con: duckdb.DuckDBPyConnection, data: Data) -> None:
    names = dense_alerts.registry_names(con, data.enterprises)
    assert names is not None
    found = dense_alerts.sales_drop(data.cube, COLLAPSE, names)
    assert dicts(found) == dicts(alerts.sales_drop(con, COLLAPSE, data.sql))
    assert names(["91330" + "0" * 13, "92330" + "0" * 13]) == {
        "91330" + "0" * 13: ("企业289", "330202")
    }


def test_one_firm_on_paper(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Daily kWh 100, 200, 0, 300, 400, 100, 50, 20 (January to August 2021); baseline of the
    previous 4 months with a reading above zero, at least 3 of them:

    May  100 200 300      → 200, ratio 2
    Jun  200 300 400      → 300, ratio 1/3   橙 (below 60 %)
    Jul  300 400 100      → 300, ratio 1/6   红 and 橙: 橙 holds 2 months, raised in July
    Aug  300 400 100 50   → (100 + 300) / 2 = 200, ratio 0.1: 红 holds 2 months, graded August
    """
    code = "91330200MA2A000011"
    daily = [100.0, 200.0, 0.0, 300.0, 400.0, 100.0, 50.0, 20.0]
    periods = [f"2021-{m:02d}" for m in range(1, 9)]
    rows = pa.table(
        {
            "uscc": [code] * 8,
            "period": periods,
            "sales": [1000.0] * 8,
            "electricity_kwh": [d * days(p) for d, p in zip(daily, periods, strict=True)],
        }
    )
    registry = pa.table({"uscc": [code], "name": ["甲公司"], "region_code": ["330211"]})
    data = Data(con, tmp_path / "paper", registry, rows)
    rule = STOP.model_copy(update={"baseline_months": 4, "baseline_min_months": 3})
    for sources in (data.sql, data.dense):
        (finding,) = alerts.evaluate([rule], sources, con)
        assert (finding.grade, finding.name, finding.region_code) == ("红", "甲公司", "330211")
        assert (finding.start, finding.period, finding.grade_period, finding.last) == (
            "2021-06",
            "2021-07",
            "2021-08",
            "2021-08",
        )
        assert finding.ended is None
        assert finding.values == {
            "months": 2,
            "threshold_pct": 30.0,
            "ratio_pct": 10.0,
            "value": 20.0,
            "baseline": 200.0,
            "baseline_months": 4,
        }
        assert finding.message.startswith("甲公司用电量连续2个月低于自身基线的30%：2021-08")


def test_median_of_an_even_count(con: duckdb.DuckDBPyConnection) -> None:
    """The compiled baseline takes (lo + hi) / 2 for an even count: DuckDB's median, to the bit
    (lo + (hi − lo) / 2, say, differs in the last bit for about a quarter of pairs)."""
    rng = np.random.default_rng(3)
    pairs = rng.lognormal(5.0, 3.0, (2000, 2))
    table = pa.table({"g": np.repeat(np.arange(2000), 2), "v": pairs.ravel()})
    con.register("pairs", table)
    medians = con.execute("SELECT median(v) FROM pairs GROUP BY g ORDER BY g").fetchnumpy()
    lo, hi = pairs.min(axis=1), pairs.max(axis=1)
    assert np.array_equal(medians["median(v)"], (lo + hi) / 2.0)
    assert not np.array_equal(medians["median(v)"], lo + (hi - lo) / 2.0)
