"""Indices of every scope from the indicator cube, in one compiled pass over the firms.

This is the province-scale engine of :func:`chainwatch.monitor.indices.compute_indices`; the
formulas are those of :mod:`chainwatch.monitor.index_sql` (and docs/monitoring.md), which stays
the reference: the tests compute both on the same data and compare every column.

The SQL engine pairs each firm-period with the same period a year earlier through a FULL
self-join of the panel (about a hundred million rows for a province) and sums the parts with
GROUP BYs; here the cube (:mod:`chainwatch.monitor.cube`) already holds a firm's months side by
side, so one Numba loop visits each firm once, forms for every period the parts of
:data:`~chainwatch.monitor.index_sql.PARTS` (matched, entering, leaving, fixed base) and adds
them to every group the firm belongs to (its county, city and province, and its chains and
segments). The small table of sums then goes through the same SQL projection
(:func:`~chainwatch.monitor.index_sql.finish_sql`) as the SQL engine's, so indices, weights and
column names cannot drift apart. The firm panel is not stored: :func:`panel_table` builds the
rows of the firms and periods asked for from the cube.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit, prange

from chainwatch.monitor import periods as pd_
from chainwatch.monitor.cube import Cube, FloatArray, IntArray
from chainwatch.monitor.index_sql import COUNT_COLUMNS, NAMES, PART_NAMES, YOY_COLUMNS
from chainwatch.monitor.scopes import FIRM_IDS, REGION_MAP, REGION_SCOPES, Grouping

# Parts per metric in the order of index_sql._parts: matched, now, before, entries,
# entry_amount, exits, exit_amount, fixed_firms, fixed_now, fixed_base.
PARTS_PER_METRIC = 10
ROWS = 2 * PARTS_PER_METRIC  # extra column: panel rows of the group (whether it has a row)


@dataclass(frozen=True)
class Periods:
    """The periods with data: calendar months and combined January–February, as cube columns.

    For period p: ``now_a``/``now_b`` are the cube columns summed for it (``now_b`` = −1 for a
    calendar month; January and February for the combined period; −1 outside the cube), ``ago_a``/
    ``ago_b`` the same a year earlier, ``have_before`` whether that earlier period has data.
    """

    labels: list[str]
    now_a: IntArray
    now_b: IntArray
    ago_a: IntArray
    ago_b: IntArray
    have_before: npt.NDArray[np.bool_]


def cube_periods(cube: Cube) -> Periods:
    months = [cube.first_month + int(c) for c in np.flatnonzero(cube.data_months)]
    keys = {(m // 12, m % 12 + 1) for m in months}
    keys |= {(y, pd_.JAN_FEB) for y, s in list(keys) if s <= 2}
    ordered = sorted(keys)

    def column(year: int, month: int) -> int:
        c = year * 12 + month - 1 - cube.first_month
        return c if 0 <= c < cube.months else -1

    def columns(year: int, slot: int) -> tuple[int, int]:
        if slot == pd_.JAN_FEB:
            return column(year, 1), column(year, 2)
        return column(year, slot), -1

    now = [columns(y, s) for y, s in ordered]
    ago = [columns(y - 1, s) for y, s in ordered]
    return Periods(
        labels=[pd_.period_label(y, s) for y, s in ordered],
        now_a=np.array([a for a, _ in now], dtype=np.int64),
        now_b=np.array([b for _, b in now], dtype=np.int64),
        ago_a=np.array([a for a, _ in ago], dtype=np.int64),
        ago_b=np.array([b for _, b in ago], dtype=np.int64),
        have_before=np.array([(y - 1, s) in keys for y, s in ordered], dtype=np.bool_),
    )


def base_daily(
    cube: Cube, values: FloatArray, base_year: int, firms: IntArray | None = None
) -> FloatArray:
    """Each firm's base-year daily average: the base-year total over the days of the months it
    reported (NaN without a base-year reading); readings of zero or less count, as in SQL.
    All firms, or the given cube rows."""
    size = cube.firms if firms is None else len(firms)
    total = np.zeros(size)
    days = np.zeros(size)
    for month in range(1, 13):
        c = base_year * 12 + month - 1 - cube.first_month
        if not 0 <= c < cube.months:
            continue
        column = np.asarray(values[:, c] if firms is None else values[firms, c])
        seen = ~np.isnan(column)
        total += np.where(seen, column, 0.0)
        days += seen * pd_.days_in_period(base_year, month)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(days > 0, total / days, np.nan)


@njit(cache=True, inline="always")
def _value(values: FloatArray, firm: int, a: int, b: int) -> float:
    """Raw value (NaN: none) of a period made of columns a and b (−1 = none)."""
    value = np.nan
    if a >= 0 and not np.isnan(values[firm, a]):
        value = values[firm, a]
    if b >= 0 and not np.isnan(values[firm, b]):
        value = values[firm, b] if np.isnan(value) else value + values[firm, b]
    return value


@njit(cache=True, inline="always")
def _row(has_row: npt.NDArray[np.bool_], firm: int, a: int, b: int) -> bool:
    return (a >= 0 and has_row[firm, a]) or (b >= 0 and has_row[firm, b])


@njit(cache=True, parallel=True)
def _sum_parts(
    sales: FloatArray,
    electricity: FloatArray,
    has_row: npt.NDArray[np.bool_],
    base: FloatArray,
    group_ptr: IntArray,
    group_ids: IntArray,
    now_a: IntArray,
    now_b: IntArray,
    ago_a: IntArray,
    ago_b: IntArray,
    out: FloatArray,
    panel_rows: IntArray,
) -> None:
    """Add every firm's parts of every period to out[chunk, group, period, part] (see ROWS;
    one slice of out and panel_rows per chunk of firms, run in parallel, summed by the caller)
    and count the firm panel's rows of each period in panel_rows[chunk]."""
    firms = sales.shape[0]
    periods = now_a.shape[0]
    chunks = out.shape[0]
    for chunk in prange(chunks):
        parts = np.zeros(ROWS + 1)
        mine = out[chunk]
        counted = panel_rows[chunk]
        for i in range(chunk * firms // chunks, (chunk + 1) * firms // chunks):
            first, last = group_ptr[i], group_ptr[i + 1]
            for p in range(periods):
                if not (
                    _row(has_row, i, now_a[p], now_b[p]) or _row(has_row, i, ago_a[p], ago_b[p])
                ):
                    continue
                counted[p] += 1
                if first == last:
                    continue
                for k in range(2):
                    values = sales if k == 0 else electricity
                    now = _value(values, i, now_a[p], now_b[p])
                    ago = _value(values, i, ago_a[p], ago_b[p])
                    has_now = now > 0  # False for NaN
                    has_ago = ago > 0
                    o = k * PARTS_PER_METRIC
                    for j in range(PARTS_PER_METRIC):
                        parts[o + j] = 0.0
                    if has_now and has_ago:
                        parts[o] = 1.0
                        parts[o + 1] = now
                        parts[o + 2] = ago
                    elif has_now:
                        parts[o + 3] = 1.0
                        parts[o + 4] = now
                    elif has_ago:
                        parts[o + 5] = 1.0
                        parts[o + 6] = ago
                    b = base[i, k]
                    if has_now and b > 0:
                        parts[o + 7] = 1.0
                        parts[o + 8] = now
                        parts[o + 9] = b
                parts[ROWS] = 1.0
                for g in range(first, last):
                    row = mine[group_ids[g], p]
                    for j in range(ROWS + 1):
                        row[j] += parts[j]


@dataclass(frozen=True)
class Groups:
    """Every group a firm counts in, as CSR (firm → group ids), with each group's labels."""

    ptr: IntArray
    ids: IntArray
    scopes: list[str]
    codes: list[str]
    names: list[str | None]


def _groups(con: duckdb.DuckDBPyConnection, cube: Cube, groupings: Sequence[Grouping]) -> Groups:
    """Membership pairs (firm row, group) for the region scopes and the groupings.

    Needs FIRM_IDS and REGION_MAP on ``con``. A firm outside the registry has no region; it
    counts in a grouping that names its code, like in SQL.
    """
    con.register("cw_cube_codes", pa.table({"code": cube.codes}))
    queries = [
        f"""SELECT i.fid - 1 AS firm, '{level}' AS scope, m.{level}_code AS code,
                   m.{level}_name AS name
            FROM {FIRM_IDS} i JOIN {REGION_MAP} m USING (region_code)
            WHERE m.{level}_code IS NOT NULL"""
        for level in REGION_SCOPES
    ]
    for grouping in groupings:
        scope = "'" + grouping.scope.replace("'", "''") + "'"
        queries.append(
            f"""SELECT c.firm, {scope} AS scope, CAST(g.code AS VARCHAR) AS code,
                       CAST(g.name AS VARCHAR) AS name
                FROM ({grouping.sql}) g
                JOIN (SELECT code, CAST(row_number() OVER () - 1 AS BIGINT) AS firm
                      FROM cw_cube_codes) c ON c.code = g.uscc"""
        )
    pairs = con.sql(" UNION ALL ".join(f"({q})" for q in queries)).to_arrow_table()
    con.unregister("cw_cube_codes")
    con.register("cw_group_pairs", pairs)
    labels = con.sql(
        "SELECT scope, code, name, CAST(row_number() OVER (ORDER BY scope, code) - 1 AS BIGINT)"
        " AS gid FROM (SELECT scope, code, any_value(name) AS name FROM cw_group_pairs "
        "GROUP BY scope, code) ORDER BY gid"
    ).to_arrow_table()
    con.register("cw_group_labels", labels)
    gid = con.sql(
        "SELECT p.firm, l.gid FROM cw_group_pairs p JOIN cw_group_labels l USING (scope, code) "
        "ORDER BY p.firm"
    ).to_arrow_table()
    con.unregister("cw_group_pairs")
    con.unregister("cw_group_labels")
    firm = np.asarray(gid.column("firm").to_numpy(), dtype=np.int64)
    ptr = np.zeros(cube.firms + 1, dtype=np.int64)
    np.cumsum(np.bincount(firm, minlength=cube.firms), out=ptr[1:])
    return Groups(
        ptr=ptr,
        ids=np.asarray(gid.column("gid").to_numpy(), dtype=np.int64),
        scopes=labels.column("scope").to_pylist(),  # rows in gid order
        codes=labels.column("code").to_pylist(),
        names=labels.column("name").to_pylist(),
    )


def sums_table(
    con: duckdb.DuckDBPyConnection, cube: Cube, base_year: int, groupings: Sequence[Grouping]
) -> tuple[pa.Table, int]:
    """Rows (scope, code, name, period, parts…) of every group and period with a panel row —
    the relation :func:`~chainwatch.monitor.index_sql.finish_sql` turns into indices — and the
    number of rows of the firm panel."""
    groups = _groups(con, cube, groupings)
    periods = cube_periods(cube)
    base = np.stack(
        [base_daily(cube, cube.sales, base_year), base_daily(cube, cube.electricity, base_year)],
        axis=1,
    )
    chunks = numba.get_num_threads()
    out = np.zeros((chunks, len(groups.codes), len(periods.labels), ROWS + 1))
    panel_rows = np.zeros((chunks, len(periods.labels)), dtype=np.int64)
    _sum_parts(
        cube.sales,
        cube.electricity,
        cube.has_row,
        base,
        groups.ptr,
        groups.ids,
        periods.now_a,
        periods.now_b,
        periods.ago_a,
        periods.ago_b,
        out,
        panel_rows,
    )
    out = out.sum(axis=0)
    group, period = np.nonzero(out[:, :, ROWS] > 0)
    sums = out[group, period]
    columns: dict[str, pa.Array] = {
        "scope": pa.array([groups.scopes[g] for g in group], pa.string()),
        "code": pa.array([groups.codes[g] for g in group], pa.string()),
        "name": pa.array([groups.names[g] for g in group], pa.string()),
        "period": pa.array([periods.labels[p] for p in period], pa.string()),
    }
    before = periods.have_before[period]
    for j, name in enumerate(PART_NAMES):
        values = sums[:, j]
        if name in COUNT_COLUMNS:
            counts = np.rint(values).astype(np.int64)
            mask = ~before if name in YOY_COLUMNS else None
            columns[name] = pa.array(counts, pa.int64(), mask=mask)
        else:
            count = sums[:, _count_of(j)]
            mask = count == 0
            if name in YOY_COLUMNS:
                mask |= ~before
            columns[name] = pa.array(values, pa.float64(), mask=mask)
    return pa.table(columns), int(panel_rows.sum())


def _count_of(part: int) -> int:
    """Column of the 0/1 count that goes with amount column ``part``."""
    offset = part % PARTS_PER_METRIC
    start = part - offset
    return start + {1: 0, 2: 0, 4: 3, 6: 5, 8: 7, 9: 7}[offset]


PANEL_SCHEMA = pa.schema(
    [
        ("fid", pa.int32()),
        ("code", pa.string()),
        ("period", pa.string()),
        ("have_before", pa.bool_()),
    ]
    + [(f"{m}{s}", pa.float64()) for m in NAMES for s in ("", "_year_ago", "_base_daily")]
)


def panel_table(cube: Cube, base_year: int, firms: IntArray, period: str | None = None) -> pa.Table:
    """Rows of the firm panel (the columns of :func:`~chainwatch.monitor.index_sql.panel_sql`)
    for some firms (cube rows) and one period or all of them.

    The dense engine does not store the panel — a province's is a hundred million rows that
    would take longer to write than every index to compute — so the firm scope and the pages'
    firm lists build the few rows they show from the cube when asked."""
    periods = cube_periods(cube)
    firms = np.asarray(firms, dtype=np.int64)
    bases = [
        base_daily(cube, cube.sales, base_year, firms),
        base_daily(cube, cube.electricity, base_year, firms),
    ]
    tables = []
    for p, label in enumerate(periods.labels):
        if period is not None and label != period:
            continue
        keep = _rows(cube, firms, periods.now_a[p], periods.now_b[p]) | _rows(
            cube, firms, periods.ago_a[p], periods.ago_b[p]
        )
        index = firms[keep]
        columns: dict[str, pa.Array] = {
            "fid": pa.array((index + 1).astype(np.int32), mask=index >= cube.registered),
            "code": cube.codes.take(pa.array(index)),
            "period": pa.array([label] * len(index), pa.string()),
            "have_before": pa.array(np.full(len(index), periods.have_before[p])),
        }
        for k, metric in enumerate(NAMES):
            values = cube.sales if k == 0 else cube.electricity
            for suffix, (a, b) in (
                ("", (periods.now_a[p], periods.now_b[p])),
                ("_year_ago", (periods.ago_a[p], periods.ago_b[p])),
            ):
                column = _column(values, index, a, b)
                columns[f"{metric}{suffix}"] = pa.array(column, mask=~(column > 0))
            daily = bases[k][keep]
            columns[f"{metric}_base_daily"] = pa.array(daily, mask=np.isnan(daily))
        tables.append(pa.table(columns, schema=PANEL_SCHEMA))
    return pa.concat_tables(tables) if tables else PANEL_SCHEMA.empty_table()


def firm_rows(cube: Cube, codes: Sequence[str]) -> IntArray:
    """Cube rows of the given credit codes (codes not in the cube are left out)."""
    found = pc.is_in(cube.codes, value_set=pa.array(list(codes), pa.string()))
    return np.flatnonzero(found.to_numpy(zero_copy_only=False))


def _rows(cube: Cube, firms: IntArray, a: int, b: int) -> npt.NDArray[np.bool_]:
    keep = np.zeros(len(firms), dtype=np.bool_)
    for c in (a, b):
        if c >= 0:
            keep |= cube.has_row[firms, c]
    return keep


def _column(values: FloatArray, index: IntArray, a: int, b: int) -> FloatArray:
    """Raw values of the given firms in a period of columns a and b (NaN where none)."""
    if a < 0 and b < 0:
        return np.full(len(index), np.nan)
    if b < 0 or a < 0:
        return np.asarray(values[index, max(a, b)], dtype=np.float64)
    first, second = values[index, a], values[index, b]
    both = np.isnan(first) & np.isnan(second)
    return np.where(both, np.nan, np.nan_to_num(first) + np.nan_to_num(second))
