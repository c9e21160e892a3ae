"""Each alert rule on small hand-made panels, index series and customs rows (DuckDB relations).

Firms keep a round daily rate, so every ratio is checked on paper.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from chainwatch.monitor.alerts import Finding, KeyProductCode, Sources, evaluate
from chainwatch.monitor.rules import DEFAULTS_FILE, read_rules

RULES = read_rules(DEFAULTS_FILE)


def months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def days(period: str) -> int:
    return calendar.monthrange(int(period[:4]), int(period[5:]))[1]


def panel_table(series: dict[str, dict[str, tuple[float | None, float | None]]]) -> pa.Table:
    """Panel rows as the index stage writes them: values > 0 else NULL, a year earlier too."""
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "code",
            "period",
            "have_before",
            "sales",
            "sales_year_ago",
            "electricity",
            "electricity_year_ago",
        )
    }
    every = sorted({p for firm in series.values() for p in firm})
    for code, values in series.items():
        for period in values:
            before = f"{int(period[:4]) - 1:04d}{period[4:]}"
            now, then = values[period], values.get(before, (None, None))
            rows["code"].append(code)
            rows["period"].append(period)
            rows["have_before"].append(before in every)
            for i, metric in enumerate(("sales", "electricity")):
                rows[metric].append(now[i] if now[i] and now[i] > 0 else None)
                rows[f"{metric}_year_ago"].append(then[i] if then[i] and then[i] > 0 else None)
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("code", pa.string()),
                ("period", pa.string()),
                ("have_before", pa.bool_()),
                ("sales", pa.float64()),
                ("sales_year_ago", pa.float64()),
                ("electricity", pa.float64()),
                ("electricity_year_ago", pa.float64()),
            ]
        ),
    )


def steady(rate: float, span: list[str], share: dict[str, float | None]) -> dict[str, Any]:
    """Daily ``rate`` for sales and electricity, times ``share`` in the given months (None: no
    reading that month)."""
    out: dict[str, tuple[float | None, float | None]] = {}
    for period in span:
        factor = share.get(period, 1.0)
        value = None if factor is None else rate * days(period) * factor
        out[period] = (value, value)
    return out


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def run(
    con: duckdb.DuckDBPyConnection, rule_id: str, sources: Sources, **changes: Any
) -> list[Finding]:
    rule = RULES.get(rule_id)
    if changes:
        rule = rule.model_copy(update=changes)
    return sorted(evaluate([rule], sources, con), key=lambda f: (f.code, f.start))


SPAN = months("2020-01", "2021-08")


def firm_sources(
    con: duckdb.DuckDBPyConnection, series: dict[str, Any], zeros: Any = None
) -> Sources:
    con.register("panel", panel_table(series))
    if zeros is not None:
        con.register(
            "zeros",
            pa.table(
                {
                    "code": [z[0] for z in zeros],
                    "period": [z[1] for z in zeros],
                    "zero_sales": [z[2] for z in zeros],
                    "zero_electricity": [z[3] for z in zeros],
                }
            ),
        )
    return Sources(panel="panel", zeros="zeros" if zeros is not None else None)


# --- 停产/减产 -----------------------------------------------------------------------------------


def test_production_stop_red_after_two_months_below_30_percent(con: Any) -> None:
    # 20 % in March and April 2021, 50 % in May (still 减产), normal again in June.
    series = {"X": steady(100, SPAN, {"2021-03": 0.2, "2021-04": 0.2, "2021-05": 0.5})}
    (found,) = run(con, "production_stop", firm_sources(con, series))
    assert (found.start, found.period, found.grade, found.grade_period) == (
        "2021-03",
        "2021-04",
        "红",
        "2021-04",
    )
    assert (found.last, found.ended) == ("2021-05", "2021-06")
    assert found.values["ratio_pct"] == pytest.approx(20.0)
    assert found.values["baseline"] == pytest.approx(100.0)  # median daily kWh of 12 months
    assert found.key == "production_stop|firm|X"
    assert (
        "连续2个月低于自身基线的30%" in found.message and "为基线100千瓦时的20.0%" in found.message
    )


def test_production_cut_orange_and_single_month_not_raised(con: Any) -> None:
    series = {
        "Y": steady(100, SPAN, {"2021-06": 0.5, "2021-07": 0.55}),  # 减产 two months
        "Z": steady(100, SPAN, {"2021-06": 0.1}),  # one month only
    }
    (found,) = run(con, "production_stop", firm_sources(con, series))
    assert (found.code, found.grade, found.period, found.ended) == ("Y", "橙", "2021-07", "2021-08")
    assert found.values["threshold_pct"] == 60


def test_open_run_reaching_the_last_month_has_no_end(con: Any) -> None:
    series = {"X": steady(100, SPAN, {"2021-07": 0.1, "2021-08": 0.1})}
    (found,) = run(con, "production_stop", firm_sources(con, series))
    assert (found.period, found.last, found.ended) == ("2021-08", "2021-08", None)


def test_orange_run_deepening_to_red_is_one_red_finding(con: Any) -> None:
    share = {"2021-03": 0.5, "2021-04": 0.5, "2021-05": 0.2, "2021-06": 0.2}
    (found,) = run(con, "production_stop", firm_sources(con, {"X": steady(100, SPAN, share)}))
    assert (found.start, found.period, found.grade, found.grade_period) == (
        "2021-03",
        "2021-04",
        "红",
        "2021-06",
    )


def test_a_zero_reading_counts_but_a_missing_one_is_a_gap(con: Any) -> None:
    series = {
        "W": steady(100, SPAN, {"2021-05": None, "2021-06": None}),  # read 0 kWh
        "V": steady(100, SPAN, {"2021-05": None, "2021-06": None}),  # no reading at all
    }
    zeros = [("W", "2021-05", True, True), ("W", "2021-06", True, True)]
    (found,) = run(con, "production_stop", firm_sources(con, series, zeros))
    assert (found.code, found.grade, found.period) == ("W", "红", "2021-06")
    assert found.values["ratio_pct"] == 0


def test_a_short_history_gives_no_baseline(con: Any) -> None:
    span = months("2020-12", "2021-08")  # five months before the drop, six needed
    series = {"U": steady(100, span, {"2021-05": 0.1, "2021-06": 0.1})}
    assert run(con, "production_stop", firm_sources(con, series)) == []
    found = run(con, "production_stop", firm_sources(con, series), baseline_min_months=5)
    assert [f.period for f in found] == ["2021-06"]


def test_the_baseline_follows_daily_averages_across_february(con: Any) -> None:
    # 100 kWh a day every month: February's 2,800 kWh is not a drop against January's 3,100.
    series = {"X": steady(100, SPAN, {})}
    assert run(con, "production_stop", firm_sources(con, series)) == []


def test_two_runs_of_one_firm_are_two_findings(con: Any) -> None:
    span = months("2020-01", "2021-12")
    share = {"2021-03": 0.1, "2021-04": 0.1, "2021-09": 0.1, "2021-10": 0.1}
    found = run(con, "production_stop", firm_sources(con, {"X": steady(100, span, share)}))
    assert [(f.start, f.period, f.ended) for f in found] == [
        ("2021-03", "2021-04", "2021-05"),
        ("2021-09", "2021-10", "2021-11"),
    ]
    assert found[0].key == found[1].key


# --- 销售断崖 -------------------------------------------------------------------------------------


def test_sales_collapse_year_on_year_for_two_months(con: Any) -> None:
    series = {
        "S": steady(100, SPAN, {"2021-04": 0.4, "2021-05": 0.3}),
        "T": steady(100, SPAN, {"2021-04": 0.5, "2021-05": 0.5}),  # exactly −50 %: not below
        "R": steady(100, SPAN, {"2021-04": 0.3}),  # one month
    }
    (found,) = run(con, "sales_collapse", firm_sources(con, series))
    assert (found.code, found.grade, found.start, found.period) == ("S", "橙", "2021-04", "2021-05")
    assert found.values["change_pct"] == pytest.approx(-70.0)
    assert found.values["drop_pct"] == pytest.approx(70.0)
    assert found.values["sales"] == pytest.approx(30 * 31)
    assert "同比下降70.0%" in found.message


def test_sales_compares_daily_averages_in_a_leap_february(con: Any) -> None:
    # 2020-02 has 29 days, 2021-02 has 28: the same daily rate is no change.
    series = {"S": steady(100, SPAN, {"2021-02": 0.45, "2021-03": 0.45})}
    (found,) = run(con, "sales_collapse", firm_sources(con, series))
    assert found.values["change_pct"] == pytest.approx(-55.0)


# --- 进口中断 -------------------------------------------------------------------------------------


def customs_sources(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str, float]]
) -> Sources:
    """rows: (uscc, month, hs, country, amount) imports; one export row marks the data's end."""
    table = {
        "uscc": [r[0] for r in rows] + ["E"],
        "direction": ["import"] * len(rows) + ["export"],
        "date": [dt.date(int(r[1][:4]), int(r[1][5:]), 15) for r in rows] + [dt.date(2021, 8, 1)],
        "hs_code": [r[2] for r in rows] + ["999999"],
        "country": [r[3] for r in rows] + ["US"],
        "amount": [r[4] for r in rows] + [1.0],
    }
    con.register("customs", pa.table(table))
    con.register(
        "members",
        pa.table({"uscc": ["F", "G", "H"], "chain_id": ["equipment"] * 3}),
    )
    return Sources(
        customs="customs",
        memberships="members",
        key_products=(KeyProductCode("equipment", "智能装备", "RV减速器", "848340"),),
    )


def test_import_interruption_red_when_the_country_dominates_the_chain(con: Any) -> None:
    rows = [("F", m, "848340", "JP", 300.0) for m in months("2020-09", "2021-05")]
    rows += [("G", m, "848340", "DE", 100.0) for m in months("2020-09", "2021-07")]
    (found,) = run(con, "import_interruption", customs_sources(con, rows))
    assert (found.code, found.grade, found.start, found.period) == ("F", "红", "2021-06", "2021-06")
    assert (found.last, found.ended) == ("2021-07", None)  # data run to 2021-07
    assert found.values["share_pct"] == pytest.approx(75.0)  # JP 300 of 400 a month
    assert found.values["last_import"] == "2021-05" and found.values["steady"] == 9
    assert found.chain_id == "equipment" and found.key == "import_interruption|firm|F|848340|JP"
    assert "未再从日本进口RV减速器（HS 848340）" in found.message


def test_import_interruption_orange_below_the_share_and_ended_when_imports_resume(
    con: Any,
) -> None:
    rows = [("F", m, "848340", "JP", 100.0) for m in months("2021-01", "2021-04")]
    rows += [("F", "2021-07", "848340", "JP", 100.0)]  # back after May and June
    rows += [("G", m, "848340", "DE", 200.0) for m in months("2021-01", "2021-07")]
    (found,) = run(con, "import_interruption", customs_sources(con, rows))
    assert (found.grade, found.start, found.last, found.ended) == (
        "橙",
        "2021-05",
        "2021-06",
        "2021-07",
    )
    assert found.values["share_pct"] == pytest.approx(100 / 3, abs=0.01)


def test_no_interruption_without_steady_months_or_outside_key_products(con: Any) -> None:
    rows = [("F", m, "848340", "JP", 100.0) for m in ("2021-01", "2021-02", "2021-04")]
    rows += [("G", m, "851712", "KR", 100.0) for m in months("2021-01", "2021-04")]
    rows += [("H", m, "848340", "JP", 100.0) for m in months("2021-01", "2021-07")]
    assert run(con, "import_interruption", customs_sources(con, rows)) == []


# --- index below / change points ---------------------------------------------------------------


def index_sources(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, float]]
) -> Sources:
    con.register(
        "indices",
        pa.table(
            {
                "scope": [r[0] for r in rows],
                "code": [r[1] for r in rows],
                "name": ["镇海区" if r[1] == "330211" else r[1] for r in rows],
                "period": [r[2] for r in rows],
                "composite_index": [r[3] for r in rows],
                "sales_index": [r[3] for r in rows],
                "electricity_index": [r[3] for r in rows],
            }
        ),
    )
    return Sources(indices="indices")


def test_region_index_yellow_then_orange_in_one_run(con: Any) -> None:
    values = [101.0, 95.0, 97.0, 99.0, 85.0, 88.0, 89.0, 102.0]
    span = months("2021-03", "2021-10")
    rows = [("county", "330211", p, v) for p, v in zip(span, values, strict=True)]
    rows.append(("county", "330211", "2021-01+02", 40.0))  # combined period: not a month
    rows += [("chain", "ic", p, 80.0) for p in span]  # another rule's scope
    (found,) = run(con, "region_index_low", index_sources(con, rows))
    assert (found.scope, found.code, found.name) == ("county", "330211", "镇海区")
    assert (found.start, found.period, found.grade, found.grade_period) == (
        "2021-04",
        "2021-06",
        "橙",
        "2021-09",
    )
    assert (found.last, found.ended, found.region_code) == ("2021-09", "2021-10", "330211")
    assert found.values["value"] == 89.0 and found.values["threshold"] == 90
    assert found.message == "镇海区税电指数连续3个月低于90：2021-09为89.0（自2021-04起）"


def test_chain_index_rule_reads_only_chains(con: Any) -> None:
    span = months("2021-01", "2021-04")
    rows = [("chain", "ic", p, 98.0) for p in span] + [("county", "330211", p, 80.0) for p in span]
    (found,) = run(con, "chain_index_low", index_sources(con, rows))
    assert (found.scope, found.code, found.grade, found.period) == ("chain", "ic", "黄", "2021-03")
    assert found.chain_id == "ic" and found.ended is None


def test_change_point_finding_at_the_collapse(con: Any) -> None:
    span = months("2020-01", "2021-12")
    values = [104.0 + (i % 3) for i in range(17)] + [17.0, 18.0, 16.0, 17.0] + [101.0, 103.0, 102.0]
    rows = [("county", "330211", p, v) for p, v in zip(span, values, strict=True)]
    found = run(con, "index_change_point", index_sources(con, rows))
    assert [(f.period, f.values["direction"], f.grade) for f in found] == [
        ("2021-06", "下降", "提示"),
        ("2021-10", "上升", "提示"),
    ]
    assert found[0].key == "index_change_point|county|330211|down"
    assert found[0].values["after"] == pytest.approx(17.0)


def test_disabled_rules_and_missing_sources_are_skipped(con: Any) -> None:
    rule = RULES.get("production_stop").model_copy(update={"enabled": False})
    series = {"X": steady(100, SPAN, {"2021-03": 0.1, "2021-04": 0.1})}
    assert evaluate([rule], firm_sources(con, series), con) == []
    assert evaluate(RULES.enabled, Sources(), con) == []
