"""Benchmark: monitoring indices for N firms × M months, against a plain pandas baseline.

    python benchmarks/monitor.py                          # 260,000 firms × 36 months
    python benchmarks/monitor.py --firms 2600000 --alerts # the province-scale goal: 60 s
    python benchmarks/monitor.py --firms 100000 --keep monitor-bench/

Writes a synthetic indicator Parquet file with numpy (one row group per month; not through
ingest) and a registry of firms spread over the counties of Zhejiang, then measures in the same
run, each in its own child process (so its peak memory is its own):

  chainwatch  compute_indices() with the default dense engine: every scope (firm, county, city,
              province) and period (36 months + the combined January–February), year-on-year,
              entries/exits and fixed base. Reads the indicator rows as the pipeline reads the
              loaded batches (unmerged; the cube merges repeated firm-months) and stores the
              indicator cube, from which firm indices are read.
  sql         the same with the SQL reference engine (engine="sql"): the indicator relation
              wrapped in the GROUP BY (uscc, period) that merges batches
              (chainwatch.store.datasets.indicators_sql); stores the firm panel (one row per
              firm and period) and sums the region indices from it.
  pandas      baseline: plain pandas merge of each month with the month a year earlier and a
              groupby to counties — county scope and calendar months only (less work than the
              others); skipped above --pandas-limit rows because it holds everything in memory.

Prints wall time, rows per second and peak resident memory of each, the largest difference
between the county indices of the two engines, and between chainwatch's county sales indices and
the baseline's.

With --alerts, the data also gets planted production stops (1 % of firms at 10 % of their usual
level for three months of the last year) and each chainwatch mode then evaluates the default
alert rules (all but import interruption: the data has no customs) on its results — the firm
rules from the cube (chainwatch) or from the firm panel (sql) — and stores the alerts (SQLite),
timed apart; the mode pandas-alerts is the baseline for the 停产 rule alone (a grouped rolling
12-month median in pandas), and the firms with a red 停产 alert are compared.

Firms: lognormal daily sales with seasonality, growth and noise; 10 % enter after the first
month and 8 % leave before the last; 3 % of electricity figures missing, 1 % of sales zero.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START_YEAR = 2020


def generate(folder: Path, firms: int, months: int, seed: int, stops: bool = False) -> int:
    """Write indicators.parquet and enterprises.parquet; return the indicator row count.

    With ``stops``, 1 % of the firms run at 10 % of their level for three months of the last
    year (planted production stops for the alert rules)."""
    from chainwatch.reference.regions import counties_of

    rng = np.random.default_rng(seed)
    counties = np.array([c.code for c in counties_of("330000")])
    region = counties[rng.integers(0, len(counties), firms)]
    serial = np.char.zfill(np.arange(firms).astype(str), 9)
    uscc = np.char.add(np.char.add(np.char.add("91", region), serial), "0")
    pq.write_table(
        pa.table(
            {
                "uscc": uscc.astype(object),
                "name": uscc.astype(object),
                "region_code": region.astype(object),
            }
        ),
        folder / "enterprises.parquet",
    )
    start = np.where(rng.random(firms) < 0.10, rng.integers(1, months, firms), 0)
    end = np.where(rng.random(firms) < 0.08, rng.integers(1, months, firms), months)
    daily_sales = rng.lognormal(8.0, 1.5, firms)
    kwh_per_yuan = rng.lognormal(-1.0, 0.5, firms)
    growth = rng.normal(0.03, 0.10, firms)
    stop_at = np.where(
        stops & (rng.random(firms) < 0.01), rng.integers(max(0, months - 12), months - 2, firms), -9
    )
    uscc_array = pa.array(uscc.astype(object), type=pa.string())
    schema = pa.schema(
        [
            ("uscc", pa.string()),
            ("period", pa.string()),
            ("sales", pa.float64()),
            ("electricity_kwh", pa.float64()),
        ]
    )
    rows = 0
    with pq.ParquetWriter(folder / "indicators.parquet", schema, compression="zstd") as writer:
        for m in range(months):
            year, month = START_YEAR + m // 12, m % 12 + 1
            days = calendar.monthrange(year, month)[1]
            present = np.flatnonzero((start <= m) & (m < end))
            season = 0.6 if month == 2 else 1.0 + 0.1 * np.sin(month)
            level = daily_sales[present] * days * season * (1 + growth[present]) ** (m / 12)
            sales = level * rng.lognormal(0.0, 0.2, len(present))
            stopped = (stop_at[present] <= m) & (m < stop_at[present] + 3)
            sales[stopped] *= 0.1
            sales[rng.random(len(present)) < 0.01] = 0.0
            kwh = sales * kwh_per_yuan[present] * rng.lognormal(0.0, 0.1, len(present))
            kwh[rng.random(len(present)) < 0.03] = np.nan
            writer.write_table(
                pa.table(
                    {
                        "uscc": uscc_array.take(pa.array(present)),
                        "period": pa.array(
                            np.full(len(present), f"{year:04d}-{month:02d}", object)
                        ),
                        "sales": pa.array(sales),
                        "electricity_kwh": pa.array(kwh, from_pandas=True),
                    },
                    schema=schema,
                )
            )
            rows += len(present)
    return rows


def run_alerts(folder: Path, enterprises: str, mode: str) -> dict[str, object]:
    """Evaluate the default rules on the stored cube or panel and indices, then store the
    alerts."""
    from chainwatch.monitor.alert_store import record_findings
    from chainwatch.monitor.alerts import Sources, evaluate
    from chainwatch.monitor.cube import load_cube
    from chainwatch.monitor.indices import PANEL, RESULT
    from chainwatch.monitor.rules import DEFAULTS_FILE, read_rules
    from chainwatch.store import lake

    rules = [r for r in read_rules(DEFAULTS_FILE).enabled if r.kind != "import_stop"]
    raw = f"read_parquet('{folder / 'indicators.parquet'}')"
    started = time.perf_counter()
    sources = Sources(
        cube=load_cube() if mode == "chainwatch" else None,
        panel=lake.result_sql(PANEL) if mode == "sql" else None,
        zeros=(
            "(SELECT uscc AS code, period, bool_or(sales <= 0) AS zero_sales, "
            "bool_or(electricity_kwh <= 0) AS zero_electricity "
            f"FROM {raw} WHERE sales <= 0 OR electricity_kwh <= 0 GROUP BY ALL)"
        ),
        indices=lake.result_sql(RESULT),
        enterprises=enterprises,
    )
    con = lake.connect()
    try:
        findings = evaluate(rules, sources, con)
    finally:
        con.close()
    evaluated = time.perf_counter() - started
    started = time.perf_counter()
    summary = record_findings(findings)
    recorded = time.perf_counter() - started
    red_stops = sorted(
        {f.code for f in findings if f.rule == "production_stop" and f.grade == "红"}
    )
    (folder / f"red_stops_{mode}.txt").write_text("\n".join(red_stops), encoding="utf-8")
    return {
        "alert_seconds": evaluated,
        "record_seconds": recorded,
        "findings": len(findings),
        "alerts_new": summary["new"],
        "red_stop_firms": len(red_stops),
    }


def run_pandas_alerts(folder: Path) -> dict[str, object]:
    """Baseline for the 停产 rule: daily electricity against the median of the firm's previous
    12 months in the data (readings above zero, at least 6), red when below 30 % two months
    running."""
    import pandas as pd

    started = time.perf_counter()
    df = pd.read_parquet(
        folder / "indicators.parquet", columns=["uscc", "period", "electricity_kwh"]
    )
    year = df["period"].str[:4].astype(int)
    month = df["period"].str[5:7].astype(int)
    df["m"] = year * 12 + month - 1
    days = np.array([calendar.monthrange(y, mo)[1] for y, mo in zip(year, month, strict=True)])
    df["daily"] = df["electricity_kwh"] / days
    df = df.sort_values(["uscc", "m"]).reset_index(drop=True)
    positive = df["daily"].where(df["daily"] > 0)
    window = positive.groupby(df["uscc"]).rolling(12, min_periods=1, closed="left")
    df["baseline"] = window.median().to_numpy()
    df["count"] = window.count().to_numpy()
    red = (df["count"] >= 6) & (df["daily"] < 0.3 * df["baseline"])
    same_firm = df["uscc"].eq(df["uscc"].shift())
    next_month = df["m"].eq(df["m"].shift() + 1)
    twice = red & red.shift(fill_value=False) & same_firm & next_month
    firms = sorted(set(df.loc[twice, "uscc"]))
    seconds = time.perf_counter() - started
    (folder / "red_stops_pandas.txt").write_text("\n".join(firms), encoding="utf-8")
    return {"seconds": seconds, "rows": len(df), "red_stop_firms": len(firms), "result": ""}


def run_chainwatch(folder: Path, mode: str) -> dict[str, object]:
    os.environ["CHAINWATCH_HOME"] = str(folder / f"home-{mode}")
    from chainwatch.monitor.indices import compute_indices

    rows = f"read_parquet('{folder / 'indicators.parquet'}')"
    # The same merge of batches that chainwatch.store.datasets.indicators_sql() does; the dense
    # engine reads the unmerged rows (periods_from) instead, as it does in the pipeline.
    indicators = (
        f"(SELECT uscc, period, max(sales) AS sales, max(electricity_kwh) AS "
        f"electricity_kwh FROM {rows} GROUP BY uscc, period)"
    )
    enterprises = f"read_parquet('{folder / 'enterprises.parquet'}')"
    started = time.perf_counter()
    summary = compute_indices(
        indicators=indicators,
        enterprises=enterprises,
        periods_from=rows,
        engine="dense" if mode == "chainwatch" else "sql",
    )
    data: dict[str, object] = {
        "seconds": time.perf_counter() - started,
        "rows": summary["firm_rows"],
        "result": str(folder / f"home-{mode}" / "lake" / "results" / "indices.parquet"),
    }
    if os.environ.get("BENCH_ALERTS") == "1":
        data.update(run_alerts(folder, enterprises, mode))
    return data


def run_pandas(folder: Path) -> dict[str, object]:
    import pandas as pd

    started = time.perf_counter()
    df = pd.read_parquet(folder / "indicators.parquet")
    firms = pd.read_parquet(folder / "enterprises.parquet", columns=["uscc", "region_code"])
    df["year"] = df["period"].str[:4].astype(int)
    df["month"] = df["period"].str[5:7].astype(int)
    df = df.drop(columns="period")
    for column in ("sales", "electricity_kwh"):
        df[column] = df[column].where(df[column] > 0)
    before = df.assign(year=df["year"] + 1)
    pairs = df.merge(
        before, on=["uscc", "year", "month"], how="outer", suffixes=("_now", "_before")
    )
    pairs = pairs.merge(firms, on="uscc")
    out = {}
    for column in ("sales", "electricity_kwh"):
        now, prev = pairs[f"{column}_now"], pairs[f"{column}_before"]
        matched = now.notna() & prev.notna()
        pairs[f"{column}_m_now"] = now.where(matched)
        pairs[f"{column}_m_before"] = prev.where(matched)
        pairs[f"{column}_entry"] = now.notna() & prev.isna()
        pairs[f"{column}_exit"] = prev.notna() & now.isna()
    grouped = pairs.groupby(["region_code", "year", "month"]).sum(numeric_only=True)
    days = np.array([calendar.monthrange(y, m)[1] for y, m in grouped.index.droplevel(0)])
    days_before = np.array(
        [calendar.monthrange(y - 1, m)[1] for y, m in grouped.index.droplevel(0)]
    )
    for column in ("sales", "electricity_kwh"):
        out[column] = (
            100
            * (grouped[f"{column}_m_now"] / days)
            / (grouped[f"{column}_m_before"] / days_before)
        )
    seconds = time.perf_counter() - started
    result = folder / "pandas_county.parquet"
    frame = out["sales"].rename("sales_index").reset_index()
    frame.to_parquet(result)
    return {"seconds": seconds, "rows": len(df), "result": str(result)}


def child(mode: str, folder: Path) -> None:
    if mode == "pandas":
        data = run_pandas(folder)
    elif mode == "pandas-alerts":
        data = run_pandas_alerts(folder)
    else:
        data = run_chainwatch(folder, mode)
    data["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(data))


def compare(chainwatch: str, baseline: str) -> float:
    import duckdb

    con = duckdb.connect()
    diff = con.execute(f"""
        SELECT max(abs(c.sales_index - b.sales_index))
        FROM read_parquet('{chainwatch}') c
        JOIN read_parquet('{baseline}') b
          ON c.code = b.region_code AND c.period = printf('%04d-%02d', b.year, b.month)
        WHERE c.scope = 'county' AND b.sales_index < 1e300""").fetchone()
    return float(diff[0]) if diff and diff[0] is not None else float("nan")


def compare_engines(dense: str, sql: str) -> float:
    """Largest difference of any index of any scope and period between the two engines."""
    import duckdb

    con = duckdb.connect()
    columns = ("sales_index", "electricity_index", "composite_index", "fixed_base_composite")
    largest = ", ".join(f"max(abs(d.{c} - s.{c}))" for c in columns)
    row = con.execute(f"""
        SELECT greatest({largest})
        FROM read_parquet('{dense}') d JOIN read_parquet('{sql}') s USING (scope, code, period)
        """).fetchone()
    return float(row[0]) if row and row[0] is not None else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=260_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--pandas-limit",
        type=int,
        default=30_000_000,
        help="skip the pandas baseline above this many indicator rows",
    )
    parser.add_argument("--keep", type=Path, help="write the data here and keep it")
    parser.add_argument(
        "--modes",
        default="chainwatch,sql,pandas",
        help="comma-separated subset of chainwatch, sql, pandas",
    )
    parser.add_argument(
        "--alerts",
        action="store_true",
        help="plant production stops, evaluate and store the alerts, add the pandas-alerts mode",
    )
    parser.add_argument(
        "--child",
        choices=("chainwatch", "sql", "pandas", "pandas-alerts"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="chainwatch-monitor-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = generate(folder, args.firms, args.months, args.seed, stops=args.alerts)
    print(
        f"data: {args.firms:,} firms × {args.months} months = {rows:,} indicator rows, "
        f"generated in {time.perf_counter() - started:.1f} s"
    )
    modes = [m for m in args.modes.split(",") if m != "pandas" or rows <= args.pandas_limit]
    if args.alerts and rows <= args.pandas_limit:
        modes.append("pandas-alerts")
    env = {**os.environ, "BENCH_ALERTS": "1" if args.alerts else "0"}
    results = {}
    for mode in modes:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--data", str(folder)],
            capture_output=True,
            text=True,
            env=env,
        )
        if proc.returncode != 0:
            print(f"{mode}: failed\n{proc.stderr[-2000:]}")
            continue
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    labels = {
        "chainwatch": "chainwatch (dense engine, all scopes)",
        "sql": "chainwatch (SQL engine, all scopes)",
        "pandas": "baseline pandas (county, months only)",
        "pandas-alerts": "baseline pandas (停产 rule only)",
    }
    threads = os.environ.get("CHAINWATCH_DUCKDB_THREADS", "2")
    print(f"DuckDB threads: {threads}, CPU cores: {os.cpu_count()}")
    print(f"{'':44} {'seconds':>9} {'rows/s':>12} {'peak MiB':>9}")
    for mode, data in results.items():
        seconds = float(data["seconds"])  # type: ignore[arg-type]
        print(
            f"{labels[mode]:44} {seconds:9.1f} {rows / seconds:12,.0f} "
            f"{float(data['peak_mib']):9.0f}"
        )  # type: ignore[arg-type]
    if args.alerts:
        print(
            f"{'alerts (all rules but imports)':44} {'evaluate s':>10} {'store s':>9} "
            f"{'findings':>9} {'red 停产 firms':>15}"
        )
        for mode, data in results.items():
            if "alert_seconds" in data:
                print(
                    f"{labels[mode]:44} {float(data['alert_seconds']):10.1f} "  # type: ignore[arg-type]
                    f"{float(data['record_seconds']):9.1f} {data['findings']:>9} "  # type: ignore[arg-type]
                    f"{data['red_stop_firms']:>15}"
                )
        if "pandas-alerts" in results:
            base = results["pandas-alerts"]
            print(
                f"{labels['pandas-alerts']:44} {float(base['seconds']):10.1f} {'':>9} {'':>9} "  # type: ignore[arg-type]
                f"{base['red_stop_firms']:>15}"
            )
            for mode in ("chainwatch", "sql"):
                ours = folder / f"red_stops_{mode}.txt"
                if ours.exists():
                    same = ours.read_text() == (folder / "red_stops_pandas.txt").read_text()
                    print(f"red 停产 firms identical in {labels[mode]} and pandas: {same}")
    if "chainwatch" in results and "sql" in results:
        diff = compare_engines(str(results["chainwatch"]["result"]), str(results["sql"]["result"]))
        print(f"largest |index, dense engine − SQL engine| over every scope: {diff:.2e}")
    if "chainwatch" in results and "pandas" in results:
        diff = compare(str(results["chainwatch"]["result"]), str(results["pandas"]["result"]))
        print(f"largest |county sales index, chainwatch − pandas|: {diff:.2e}")
    if args.keep is None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
