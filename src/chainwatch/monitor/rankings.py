"""Regional rankings (赛马): counties and cities ranked month by month.

Three metrics per region and calendar month (combined January–February periods are not ranked):

  index_growth          composite 税电指数 − 100, from the stored ``indices``;
  resumption_rate       复工率: among the region's firms with an electricity baseline that month,
                        the share whose daily electricity reached ``threshold`` (0.80) × baseline;
                        a zero or missing reading counts as not resumed;
  capacity_utilisation  产能利用率 (electricity proxy): Σ daily electricity this month / Σ peak
                        daily electricity of the previous 12 months, over the firms with a
                        baseline and a reading this month.

A firm's baseline is the rule of the 停产/减产 alert (:mod:`chainwatch.monitor.alerts`): the
median daily electricity of its previous ``baseline_months`` calendar months, counting readings
above zero, at least ``baseline_min_months`` of them; both numbers are read from the
``electricity_drop`` rule in effect, so alerts and rankings agree on what "normal" is.

Each metric is ranked within (level, month) across the province, 1 = highest, ties sharing the
smaller rank, on the rounded values that are shown. The overall (综合) rank orders the regions by
the mean of the metric ranks they have, ties broken by composite index (higher first), then
code. The per-region counts and sums behind the two electricity metrics come from the indicator
cube when one is stored (:func:`cube_sums`, a compiled pass over each firm's months) and
otherwise from the stored ``index_panel`` (:func:`panel_sums_sql`, the SQL reference); either
way the rest is one DuckDB query with the stored ``indices``. The monitor stage stores its
answer as result ``rankings`` and reads fall back to computing it when that result is missing or
older than its inputs. docs/monitoring.md has a worked example.

The cube pass reproduces the SQL exactly: a firm's reading in a month is its raw figure when
above zero, 0.0 when zero or less (the panel's value coalesced with the ``zeros`` relation) and
none when the cell is empty; the baseline frame is the previous ``baseline_months`` calendar
columns (the SQL's grid of consecutive months, which only starts at a firm's first reading,
before which nothing counts anyway); DuckDB's ``median`` of an even count is (lo + hi) / 2, and
the threshold product is formed in the SQL's order, so the same firm-months count as resumed.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numba
import numpy as np
import pyarrow as pa
import yaml
from numba import njit, prange

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError, DataMissingError, NotFoundError, ValidationError
from chainwatch.monitor import cube as cubes
from chainwatch.monitor.alerts import Sources, month_sql, panel_readings, zeros_sql
from chainwatch.monitor.cube import BoolArray, Cube, FloatArray, IntArray
from chainwatch.monitor.index_sql import fetch_dicts
from chainwatch.monitor.rules import ElectricityDropRule, load_rules
from chainwatch.monitor.scopes import REGION_MAP, register_region_map
from chainwatch.monitor.settings import OVERRIDE_NAME
from chainwatch.store import datasets, lake

RESULT = "rankings"
LEVELS = ("county", "city")
LEVEL_NAMES = {"county": "区县", "city": "地市"}
# 复工: daily electricity at least this share of the firm's baseline. An analyst may change it in
# CHAINWATCH_HOME/monitor.yaml under `rankings: {resumption_threshold: 0.7}`.
RESUMPTION_THRESHOLD = 0.8
ROW_KEYS = (
    "code",
    "name",
    "parent_code",
    "parent_name",
    "firms",
    "sales_index",
    "electricity_index",
    "composite_index",
    "index_growth",
    "resumption_rate",
    "capacity_utilisation",
    "rank_growth",
    "rank_resumption",
    "rank_utilisation",
    "rank",
    "previous_rank",
    "change",
)
_MONTH = re.compile(r"\d{4}-\d{2}")
_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class RankingSettings:
    threshold: float = RESUMPTION_THRESHOLD
    baseline_months: int = 12
    baseline_min_months: int = 6

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _threshold() -> float:
    path = get_settings().home_path / OVERRIDE_NAME
    if not path.is_file():
        return RESUMPTION_THRESHOLD
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    section = data.get("rankings") if isinstance(data, dict) else None
    if section is None:
        return RESUMPTION_THRESHOLD
    if not isinstance(section, dict) or set(section) - {"resumption_threshold"}:
        raise ConfigError(
            f"{path}: the 'rankings:' section takes one key, resumption_threshold (e.g. 0.8)."
        )
    value = section.get("resumption_threshold", RESUMPTION_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(
            f"{path}: rankings.resumption_threshold is {value!r}; expected a share of the "
            "baseline above 0 and at most 1, such as 0.8 (80 %)."
        )
    return float(value)


def load_ranking_settings() -> RankingSettings:
    """The 复工 threshold and the baseline of the electricity_drop alert rule in effect."""
    rules = [r for r in load_rules().all if isinstance(r, ElectricityDropRule)]
    rules.sort(key=lambda r: not r.enabled)  # an enabled rule first
    defaults = ElectricityDropRule.model_fields
    months = rules[0].baseline_months if rules else defaults["baseline_months"].default
    least = rules[0].baseline_min_months if rules else defaults["baseline_min_months"].default
    return RankingSettings(_threshold(), int(months), int(least))


# --- the query ----------------------------------------------------------------------------------


def _firm_metrics_sql(readings: str, settings: RankingSettings) -> str:
    """Per firm and month with a baseline: resumed, daily (NULL without a reading) and peak."""
    months, least = settings.baseline_months, settings.baseline_min_months
    # One row for every calendar month from a firm's first reading until its baseline runs out,
    # so a ROWS frame is exactly the previous N calendar months and a month without any reading
    # still has its row (not resumed).
    return f"""
readings AS (SELECT code, m, value, value / days AS daily FROM ({readings})),
electricity_months AS (SELECT DISTINCT m FROM readings WHERE value IS NOT NULL),
spans AS (
  SELECT code, min(m) AS lo, max(m) AS hi FROM readings WHERE value IS NOT NULL GROUP BY code
),
grid AS (
  SELECT s.code, unnest(range(s.lo, least(s.hi + {months}, b.last) + 1)) AS m
  FROM spans s, (SELECT max(m) AS last FROM readings) b
),
windowed AS (
  SELECT g.code, g.m, r.value, r.daily,
         median(CASE WHEN r.daily > 0 THEN r.daily END) OVER w AS baseline,
         count(CASE WHEN r.daily > 0 THEN 1 END) OVER w AS baseline_n,
         max(CASE WHEN r.daily > 0 THEN r.daily END) OVER w AS peak
  FROM grid g LEFT JOIN readings r ON r.code = g.code AND r.m = g.m
  WINDOW w AS (PARTITION BY g.code ORDER BY g.m ROWS BETWEEN {months} PRECEDING AND 1 PRECEDING)
),
firm_months AS (
  SELECT code, m, value IS NOT NULL AS has_reading, daily, peak,
         -- at or above the threshold, to within floating-point rounding
         coalesce(daily >= {settings.threshold!r} * baseline * (1 - 1e-9), false) AS resumed
  FROM windowed
  WHERE baseline_n >= {least} AND baseline > 0 AND m IN (SELECT m FROM electricity_months)
)"""


def _level_sums(level: str, enterprises: str) -> str:
    return f"""
SELECT '{level}' AS level, r.{level}_code AS code, f.m, count(*) AS firms,
       count(*) FILTER (WHERE f.resumed) AS resumed,
       sum(f.daily) FILTER (WHERE f.has_reading) AS daily_sum,
       sum(f.peak) FILTER (WHERE f.has_reading) AS peak_sum
FROM firm_months f
JOIN (SELECT uscc, region_code FROM {enterprises}) e ON e.uscc = f.code
JOIN {REGION_MAP} r ON r.region_code = e.region_code
WHERE r.{level}_code IS NOT NULL
GROUP BY r.{level}_code, f.m"""


def panel_sums_sql(
    panel: str, zeros: str | None, enterprises: str, settings: RankingSettings
) -> str:
    """The region sums from the firm panel: one row per level, region and month with firms
    (those with a baseline), resumed, daily_sum and peak_sum (over the firms with a reading;
    NULL when none has one). Needs REGION_MAP on the connection."""
    readings = panel_readings(Sources(panel=panel, zeros=zeros), "electricity")
    sums = " UNION ALL ".join(_level_sums(level, enterprises) for level in LEVELS)
    return f"WITH {_firm_metrics_sql(readings, settings)}\n{sums}"


def rankings_sql(sums: str, indices: str, settings: RankingSettings) -> str:
    """Every ranked row of every level and month from the region ``sums`` (a relation or a
    parenthesised query with the columns of :func:`panel_sums_sql`). Needs REGION_MAP on the
    connection."""
    levels = ", ".join(f"'{level}'" for level in LEVELS)
    metrics = (
        ("growth", "index_growth"),
        ("resumption", "resumption_rate"),
        ("utilisation", "capacity_utilisation"),
    )
    ranks = ", ".join(
        f"CASE WHEN {column} IS NOT NULL THEN rank() OVER (PARTITION BY level, m "
        f"ORDER BY {column} DESC NULLS LAST) END AS rank_{name}"
        for name, column in metrics
    )
    rank_columns = [f"rank_{name}" for name, _ in metrics]
    have = " + ".join(f"CASE WHEN {c} IS NULL THEN 0 ELSE 1 END" for c in rank_columns)
    total = " + ".join(f"coalesce({c}, 0)" for c in rank_columns)
    return f"""
WITH sums AS (SELECT * FROM {sums}),
stored AS (
  SELECT scope AS level, code, name, {month_sql("period")} AS m,
         sales_index, electricity_index, composite_index
  FROM {indices} WHERE scope IN ({levels}) AND period NOT LIKE '%+%'
),
places AS (
  SELECT DISTINCT 'county' AS level, county_code AS code, county_name AS name,
         city_code AS parent_code, city_name AS parent_name
  FROM {REGION_MAP} WHERE county_code IS NOT NULL
  UNION
  SELECT DISTINCT 'city', city_code, city_name, province_code, province_name
  FROM {REGION_MAP} WHERE city_code IS NOT NULL
),
joined AS (
  SELECT coalesce(i.level, s.level) AS level, coalesce(i.code, s.code) AS code,
         coalesce(i.m, s.m) AS m, i.name AS stored_name,
         coalesce(s.firms, 0) AS firms, coalesce(s.resumed, 0) AS resumed,
         round(i.sales_index, 1) AS sales_index,
         round(i.electricity_index, 1) AS electricity_index,
         round(i.composite_index, 1) AS composite_index,
         round(round(i.composite_index, 1) - 100, 1) AS index_growth,
         round(CASE WHEN s.firms > 0 THEN s.resumed / s.firms END, 4) AS resumption_rate,
         round(CASE WHEN s.peak_sum > 0 THEN s.daily_sum / s.peak_sum END, 4)
           AS capacity_utilisation
  FROM stored i FULL JOIN sums s ON s.level = i.level AND s.code = i.code AND s.m = i.m
),
ranked AS (SELECT *, {ranks} FROM joined),
scored AS (
  SELECT *, CASE WHEN {have} > 0 THEN ({total}) / ({have}) END AS mean_rank FROM ranked
),
overall AS (
  SELECT *, CASE WHEN mean_rank IS NOT NULL THEN row_number() OVER (PARTITION BY level, m
           ORDER BY mean_rank NULLS LAST, composite_index DESC NULLS LAST, code) END AS rank
  FROM scored
  -- rankable: some region of the level has some metric that month
  QUALIFY count(mean_rank) OVER (PARTITION BY level, m) > 0
)
SELECT o.level, {month_sql_label("o.m")} AS period, o.code,
       coalesce(p.name, o.stored_name) AS name, p.parent_code, p.parent_name,
       CAST(o.firms AS BIGINT) AS firms, CAST(o.resumed AS BIGINT) AS resumed,
       o.sales_index, o.electricity_index, o.composite_index, o.index_growth,
       o.resumption_rate, o.capacity_utilisation,
       {", ".join(f"CAST(o.{c} AS BIGINT) AS {c}" for c in rank_columns)},
       o.mean_rank, CAST(o.rank AS BIGINT) AS rank, CAST(b.rank AS BIGINT) AS previous_rank,
       CAST(b.rank - o.rank AS BIGINT) AS change,
       {settings.threshold!r} AS threshold, {settings.baseline_months} AS baseline_months,
       {settings.baseline_min_months} AS baseline_min_months
FROM overall o
LEFT JOIN overall b ON b.level = o.level AND b.code = o.code AND b.m = o.m - 1
LEFT JOIN places p ON p.level = o.level AND p.code = o.code
"""


def month_sql_label(ordinal: str) -> str:
    """SQL for the 'YYYY-MM' label of a month ordinal (year × 12 + month − 1)."""
    return f"printf('%04d-%02d', ({ordinal}) // 12, ({ordinal}) % 12 + 1)"


# --- the region sums from the cube ---------------------------------------------------------------

SUMS = "cw_ranking_sums"  # DuckDB relation of the cube's region sums in the ranking query
CUBE_CODES = "cw_ranking_codes"  # (row, code) of the cube's firms, for the registry join
REGION_GROUPS = "cw_ranking_groups"  # region_code → the number of its county and city
CHUNK = 4096  # firms per parallel task
# Integer and float accumulators of :func:`_region_sums`.
FIRMS, RESUMED, READINGS = range(3)
DAILY, PEAK = range(2)
# 1 − 1e−9 as the SQL writes it: resumed at the threshold to within floating-point rounding.
TOLERANCE = 1 - 1e-9


@njit(cache=True)
def _firm_months(
    daily: FloatArray,
    groups: IntArray,
    window: int,
    least: int,
    threshold: float,
    frame: FloatArray,
    counts: IntArray,
    sums: FloatArray,
) -> None:
    """Add one firm's months with a baseline to the rows ``groups`` of counts and sums.

    ``daily`` holds the firm's daily readings (NaN: none). ``frame[:size]`` holds, sorted, the
    daily values above zero of the previous ``window`` columns; sliding it by one column removes
    at most one value and inserts at most one.
    """
    size = 0
    for t in range(daily.shape[0]):
        if size >= least and size > 0:
            half = size // 2
            # DuckDB's median of an even count: (lo + hi) / 2, the same double.
            baseline = frame[half] if size % 2 == 1 else (frame[half - 1] + frame[half]) / 2
            if baseline > 0:
                value = daily[t]
                has_reading = not np.isnan(value)
                resumed = has_reading and value >= threshold * baseline * TOLERANCE
                for g in groups:
                    counts[FIRMS, g, t] += 1
                    if resumed:
                        counts[RESUMED, g, t] += 1
                    if has_reading:
                        counts[READINGS, g, t] += 1
                        sums[DAILY, g, t] += value
                        sums[PEAK, g, t] += frame[size - 1]
        if t >= window:
            gone = daily[t - window]
            if gone > 0:
                at = 0
                while at < size - 1 and frame[at] != gone:
                    at += 1
                for k in range(at, size - 1):
                    frame[k] = frame[k + 1]
                size -= 1
        value = daily[t]
        if value > 0:
            at = size
            while at > 0 and frame[at - 1] > value:
                frame[at] = frame[at - 1]
                at -= 1
            frame[at] = value
            size += 1


@njit(cache=True, parallel=True)
def _region_sums(
    electricity: FloatArray,
    days: FloatArray,
    start: IntArray,
    groups: IntArray,
    window: int,
    least: int,
    threshold: float,
    seen: BoolArray,
    counts: IntArray,
    sums: FloatArray,
) -> None:
    """Every firm, in chunks over ``counts.shape[0]`` tasks; task i writes only ``seen[i]``,
    ``counts[i]`` and ``sums[i]``.

    ``seen[i, t]``: some firm of task i has a reading in column t. Firms with a region (their
    groups ``groups[start[f]:start[f + 1]]``) are counted in every column where they have a
    baseline; the caller then drops columns without any reading (the SQL's electricity_months),
    which saves a second pass over the cube.
    """
    firms, months = electricity.shape
    tasks = counts.shape[0]
    chunks = (firms + CHUNK - 1) // CHUNK
    for task in prange(tasks):
        daily = np.empty(months)
        frame = np.empty(max(window, 1))
        task_seen, task_counts, task_sums = seen[task], counts[task], sums[task]
        for chunk in range(task, chunks, tasks):
            for firm in range(chunk * CHUNK, min(firms, (chunk + 1) * CHUNK)):
                for t in range(months):
                    raw = electricity[firm, t]
                    if np.isnan(raw):
                        daily[t] = np.nan
                    else:
                        daily[t] = (raw if raw > 0 else 0.0) / days[t]
                        task_seen[t] = True
                a, b = start[firm], start[firm + 1]
                if a == b:
                    continue
                _firm_months(
                    daily,
                    groups[a:b],
                    window,
                    least,
                    threshold,
                    frame,
                    task_counts,
                    task_sums,
                )


def _firm_groups(
    con: duckdb.DuckDBPyConnection, cube: Cube, enterprises: str
) -> tuple[IntArray, IntArray, list[tuple[str, list[str]]]]:
    """Each cube row's regions, as in the SQL's join through the registry and REGION_MAP.

    Returns ``start`` and ``groups`` (row f belongs to groups[start[f]:start[f + 1]]) and, per
    level, the region codes its groups stand for, levels numbered consecutively. The regions are
    numbered in Python (a few thousand at most), so the join over the firms carries integers.
    """
    columns = ", ".join(f"{level}_code" for level in LEVELS)
    regions = con.execute(f"SELECT region_code, {columns} FROM {REGION_MAP}").fetchall()
    names: list[tuple[str, list[str]]] = []
    numbered: dict[str, pa.Array] = {"region_code": pa.array([r[0] for r in regions], pa.string())}
    offset = 0
    for i, level in enumerate(LEVELS):
        codes = sorted({r[i + 1] for r in regions if r[i + 1] is not None})
        number = {code: offset + k for k, code in enumerate(codes)}
        numbered[f"g{i}"] = pa.array([number.get(r[i + 1]) for r in regions], pa.int64())
        names.append((level, codes))
        offset += len(codes)
    con.register(CUBE_CODES, pa.table({"row": pa.array(np.arange(cube.firms)), "code": cube.codes}))
    con.register(REGION_GROUPS, pa.table(numbered))
    try:
        picked = ", ".join(f"g.g{i}" for i in range(len(LEVELS)))
        table = con.sql(
            f"SELECT c.row, {picked} FROM {CUBE_CODES} c "
            f"JOIN (SELECT uscc, region_code FROM {enterprises}) e ON e.uscc = c.code "
            f"JOIN {REGION_GROUPS} g ON g.region_code = e.region_code"
        ).to_arrow_table()
    finally:
        con.unregister(CUBE_CODES)
        con.unregister(REGION_GROUPS)
    rows = np.asarray(table.column("row").to_numpy(), dtype=np.int64)
    pair_rows: list[IntArray] = []
    pair_groups: list[IntArray] = []
    for i in range(len(LEVELS)):
        column = table.column(f"g{i}")
        present = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
        pair_rows.append(rows[present])
        pair_groups.append(np.asarray(column.drop_null().to_numpy(), dtype=np.int64))
    firm_of = np.concatenate(pair_rows)
    group = np.concatenate(pair_groups)
    order = np.argsort(firm_of, kind="stable")
    start = np.zeros(cube.firms + 1, dtype=np.int64)
    np.cumsum(np.bincount(firm_of, minlength=cube.firms), out=start[1:])
    return start, np.ascontiguousarray(group[order]), names


def cube_sums(
    con: duckdb.DuckDBPyConnection, cube: Cube, enterprises: str, settings: RankingSettings
) -> pa.Table:
    """The rows of :func:`panel_sums_sql` (same columns, same values) from the indicator cube.

    Needs REGION_MAP on the connection; firms are placed by ``enterprises`` (uscc,
    region_code), so firms outside the registry count nowhere, as in the SQL.
    """
    start, groups, names = _firm_groups(con, cube, enterprises)
    regions = sum(len(codes) for _, codes in names)
    tasks = max(1, min(numba.get_num_threads(), (cube.firms + CHUNK - 1) // CHUNK))
    seen = np.zeros((tasks, cube.months), dtype=np.bool_)
    counts = np.zeros((tasks, 3, regions, cube.months), dtype=np.int64)
    sums = np.zeros((tasks, 2, regions, cube.months), dtype=np.float64)
    if cube.months and regions:
        _region_sums(
            cube.electricity,
            cube.month_days(),
            start,
            groups,
            settings.baseline_months,
            settings.baseline_min_months,
            float(settings.threshold),
            seen,
            counts,
            sums,
        )
    count, total = counts.sum(axis=0), sums.sum(axis=0)
    count[:, :, ~seen.any(axis=0)] = 0  # months without any reading are not ranked
    parts = []
    offset = 0
    for level, codes in names:
        block = slice(offset, offset + len(codes))
        offset += len(codes)
        region, column = np.nonzero(count[FIRMS, block] > 0)
        read = count[READINGS, block][region, column] > 0
        parts.append(
            pa.table(
                {
                    "level": pa.array([level] * len(region), type=pa.string()),
                    "code": pa.array(np.asarray(codes, dtype=object)[region], type=pa.string()),
                    "m": pa.array(cube.first_month + column, type=pa.int64()),
                    "firms": pa.array(count[FIRMS, block][region, column], type=pa.int64()),
                    "resumed": pa.array(count[RESUMED, block][region, column], type=pa.int64()),
                    "daily_sum": pa.array(total[DAILY, block][region, column], mask=~read),
                    "peak_sum": pa.array(total[PEAK, block][region, column], mask=~read),
                }
            )
        )
    return pa.concat_tables(parts)


# --- stored result and on-the-fly computation -----------------------------------------------------


def _meta_path() -> Path:
    return lake.result_path(RESULT).with_suffix(".json")


def _inputs(settings: RankingSettings) -> dict[str, Any]:
    from chainwatch.monitor.indices import PANEL
    from chainwatch.monitor.indices import RESULT as INDICES

    def stamp(path: Path) -> int | None:
        return path.stat().st_mtime_ns if path.exists() else None

    return {
        "indices": stamp(lake.result_path(INDICES)),
        "panel": stamp(lake.result_path(PANEL)),
        # cube.json is written last and the cube is replaced whole, so its time stamps the cube.
        "cube": stamp(cubes.cube_path() / "cube.json"),
        "settings": settings.as_dict(),
    }


def _require_inputs() -> tuple[str, str | None]:
    """The stored indices and the firm panel, or None for the panel when the cube is stored
    (it is read instead)."""
    from chainwatch.monitor.indices import PANEL
    from chainwatch.monitor.indices import RESULT as INDICES

    with_cube = cubes.has_cube()
    if not (lake.has_result(INDICES) and (with_cube or lake.has_result(PANEL))):
        raise DataMissingError(
            "还没有监测指数，无法排名 / no stored monitoring indices to rank; run "
            "`chainwatch run monitor` (or `chainwatch run`) first."
        )
    return lake.result_sql(INDICES), None if with_cube else lake.result_sql(PANEL)


def _query(con: duckdb.DuckDBPyConnection, settings: RankingSettings) -> str:
    """The ranking query on ``con``, its region sums from the cube when one is stored (then
    registered on ``con`` as SUMS) and from the firm panel otherwise."""
    indices, panel = _require_inputs()
    try:
        enterprises = datasets.enterprises_sql()
    except DataMissingError:
        raise DataMissingError(
            "排名需要企业名录（企业所在地区） / rankings need the enterprise registry; load it "
            "with `chainwatch ingest enterprises FILE`, then run `chainwatch run monitor`."
        ) from None
    register_region_map(con, enterprises)
    if panel is None:
        con.register(SUMS, cube_sums(con, cubes.load_cube(), enterprises, settings))
        return rankings_sql(SUMS, indices, settings)
    sums = panel_sums_sql(panel, zeros_sql(), enterprises, settings)
    return rankings_sql(f"({sums})", indices, settings)


def compute_rankings(settings: RankingSettings | None = None) -> dict[str, Any]:
    """Compute every level and month and store result ``rankings`` (the monitor stage)."""
    settings = settings or load_ranking_settings()
    meta = _meta_path()
    meta.unlink(missing_ok=True)
    con = lake.connect()
    try:
        lake.write_result_query(con, RESULT, _query(con, settings))
        row = con.execute(
            f"SELECT count(*), count(DISTINCT period) FROM {lake.result_sql(RESULT)}"
        ).fetchone()
    finally:
        con.close()
    meta.write_text(json.dumps(_inputs(settings)), encoding="utf-8")
    rows, months = row if row else (0, 0)
    return {"ranking_rows": int(rows), "ranking_periods": int(months)}


def _stored_is_current(settings: RankingSettings) -> bool:
    path = _meta_path()
    if not path.exists() or not lake.has_result(RESULT):
        return False
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")) == _inputs(settings))
    except (OSError, ValueError):
        return False


def _select(where: str, order: str) -> list[dict[str, Any]]:
    """Ranking rows matching ``where``: stored when current, otherwise computed now."""
    settings = load_ranking_settings()
    con = lake.connect()
    try:
        if _stored_is_current(settings):
            relation = lake.result_sql(RESULT)
        else:
            _require_inputs()
            con.execute(f"CREATE TEMP TABLE cw_rankings AS {_query(con, settings)}")
            relation = "cw_rankings"
        return fetch_dicts(con, f"SELECT * FROM {relation} WHERE {where} ORDER BY {order}")
    finally:
        con.close()


# --- what callers ask ---------------------------------------------------------------------------


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_level(level: str) -> str:
    text = level.strip().lower()
    if text not in LEVELS:
        raise ValidationError(
            f"排名级别 {level!r} 无效，应为 county（区县）或 city（地市） / "
            f"level {level!r} is not known; expected county or city."
        )
    return text


def check_month(month: str) -> str:
    text = month.strip()
    if not _MONTH.fullmatch(text) or not 1 <= int(text[5:]) <= 12:
        raise ValidationError(
            f"月份 {month!r} 格式不对，应为 YYYY-MM，如 2021-03 / month {month!r} is not a "
            "month; expected YYYY-MM such as 2021-03 (January and February are ranked "
            "separately)."
        )
    return text


def check_city(city: str) -> str:
    from chainwatch.reference import regions

    text = city.strip()
    if not _CODE.fullmatch(text):
        raise ValidationError(
            f"地市代码 {city!r} 格式不对，应为 6 位数字，如 330200 / city {city!r} is not a "
            "region code; expected 6 digits such as 330200."
        )
    region = regions.get_region(text)
    if region.level != "city":
        raise ValidationError(
            f"{region.code}（{region.name}）不是地市 / {region.code} ({region.name}) is a "
            f"{region.level}, not a city; give a city code such as 330200."
        )
    return region.code


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _clean(row[key]) for key in ROW_KEYS}


def ranking_table(
    level: str = "county", period: str | None = None, city: str | None = None
) -> dict[str, Any]:
    """One month's ranking of counties or cities (default: the latest ranked month).

    ``city`` keeps only that city's counties (or the city itself); ranks stay province-wide.
    """
    level = check_level(level)
    month = check_month(period) if period is not None else None
    city_code = check_city(city) if city is not None else None
    rows = _select(f"level = {_quote(level)}", "period, rank NULLS LAST, code")
    months = sorted({r["period"] for r in rows})
    if not months:
        raise NotFoundError(
            f"没有可排名的月份 / no month can be ranked at {level} level yet: rankings need "
            "a year of sales and electricity figures (or six months of electricity); load more "
            "months and run `chainwatch run monitor`."
        )
    chosen = month or months[-1]
    if chosen not in months:
        raise NotFoundError(
            f"{chosen} 没有排名数据，可选 {months[0]} 至 {months[-1]} / no rankings for "
            f"{chosen}; months with rankings run from {months[0]} to {months[-1]}."
        )
    threshold = float(rows[0]["threshold"])
    picked = [r for r in rows if r["period"] == chosen]
    if city_code is not None:
        column = "parent_code" if level == "county" else "code"
        picked = [r for r in picked if r[column] == city_code]
    return {
        "level": level,
        "period": chosen,
        "periods": months,
        "threshold": threshold,
        "rows": [_row(r) for r in picked],
    }


def ranking_series(level: str, code: str) -> list[dict[str, Any]]:
    """One region's ranks and metrics month by month (every ranked month, oldest first)."""
    level = check_level(level)
    text = code.strip()
    if not _CODE.fullmatch(text):
        raise ValidationError(
            f"地区代码 {code!r} 格式不对，应为 6 位数字 / region code {code!r} is not a region "
            "code; expected 6 digits such as 330211."
        )
    rows = _select(f"level = {_quote(level)} AND code = {_quote(text)}", "period")
    if not rows:
        raise NotFoundError(
            f"{text} 没有{LEVEL_NAMES[level]}排名 / no {level} rankings for {text}; check the "
            "code and the level (a county code with level county, a city code with city)."
        )
    return [{"period": r["period"], **_row(r)} for r in rows]


# --- Excel --------------------------------------------------------------------------------------


def write_workbook(table: dict[str, Any], path: Path) -> Path:
    """The ranking table as an Excel workbook with Chinese headers."""
    from openpyxl import Workbook

    from chainwatch.atlas.exports import NUMBER, Column, save, write_sheet

    percent, index = "0.0%", "0.0"
    parent = "所属地市" if table["level"] == "county" else "所属省份"
    columns = (
        Column("排名", lambda r: r["rank"], NUMBER, 6),
        Column("地区代码", lambda r: r["code"], None, 10),
        Column("地区", lambda r: r["name"], None, 14),
        Column(parent, lambda r: r["parent_name"], None, 12),
        Column("企业数", lambda r: r["firms"], NUMBER, 8),
        Column("销售指数", lambda r: r["sales_index"], index, 10),
        Column("用电指数", lambda r: r["electricity_index"], index, 10),
        Column("税电指数", lambda r: r["composite_index"], index, 10),
        Column("指数增长", lambda r: r["index_growth"], index, 10),
        Column("复工率", lambda r: r["resumption_rate"], percent, 10),
        Column("产能利用率", lambda r: r["capacity_utilisation"], percent, 12),
        Column("增长排名", lambda r: r["rank_growth"], NUMBER, 10),
        Column("复工率排名", lambda r: r["rank_resumption"], NUMBER, 10),
        Column("产能利用率排名", lambda r: r["rank_utilisation"], NUMBER, 14),
        Column("上月排名", lambda r: r["previous_rank"], NUMBER, 10),
        Column("排名变化", lambda r: r["change"], "+0;-0;0", 10),
    )
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    sheet = write_sheet(
        book, f"{LEVEL_NAMES[table['level']]}赛马 {table['period']}", columns, table["rows"]
    )
    sheet.append([])
    sheet.append([f"复工：日均用电达到自身基线的 {table['threshold']:.0%} 及以上"])
    return save(book, path)


def workbook_bytes(table: dict[str, Any]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_workbook(table, Path(folder) / "rankings.xlsx").read_bytes()
