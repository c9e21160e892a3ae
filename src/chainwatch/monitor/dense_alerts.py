"""The firm early warnings 停产/减产 and 销售断崖 from the indicator cube, for a whole province.

The rules are those of :func:`chainwatch.monitor.alerts.electricity_drop` and
:func:`~chainwatch.monitor.alerts.sales_drop` (semantics in that module's docstring and
docs/monitoring.md), which stay the reference: the tests evaluate both on the same data and
compare every finding. In SQL each rule is a chain of window queries over the firm panel (a
median over a sliding frame of every firm's months, then the passes that find the runs), which
at a few million firms × three years takes over a minute per rule. The cube
(:mod:`chainwatch.monitor.cube`) already holds each firm's months side by side, so one compiled
loop visits each firm once, keeps its baseline frame sorted as it slides (the median is then
read off, not sorted out, for every month), flags its months and walks its runs.

Firms with a finding are few; the loop first only counts each firm's findings, then visits
those firms again to write them out, so nothing firm-sized is allocated besides the counts.

Equivalences with the SQL (the panel of :func:`chainwatch.monitor.index_sql.panel_sql`):

* a firm has a panel row in calendar month t when t has data at all and the firm has an
  indicator row in t or t − 12 (as in :func:`chainwatch.monitor.dense.panel_table`); the
  baseline frame is the firm's previous ``baseline_months`` panel rows, so a month with a
  reading only a year earlier takes a place in it without a value;
* a reading is the raw value when above zero, 0.0 when zero or less (what the panel's value
  coalesced with the ``zeros`` relation gives), none when the cell is NaN;
* DuckDB's ``median`` of an even count is the mean of the two middle values, computed here as
  (lo + hi) / 2, the same floating-point result;
* every quotient is formed in the same order as in the SQL, so ratios, thresholds and rounded
  figures agree to the bit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from numba import njit, prange

from chainwatch.monitor import alerts
from chainwatch.monitor.cube import BoolArray, Cube, FloatArray, IntArray
from chainwatch.monitor.rules import ElectricityDropRule, SalesDropRule

# code → (name, region_code) of the firms asked about; codes missing from the registry are left
# out of the answer.
NameLookup = Callable[[Sequence[str]], Mapping[str, tuple[str | None, str | None]]]

CHUNK = 4096  # firms per parallel task
# Integer columns of a found run (cube columns, level index), then the figures of its grade month.
FIRM, START, LAST, RAISED, LEVEL, GRADE = range(6)
INTS = 6
# Figures: electricity daily, baseline, baseline count, ratio; sales value, year-ago, change.
FLOATS = 4


# --- compiled per-firm passes -----------------------------------------------------------------


@njit(cache=True)
def _runs(
    firm: int,
    hit: BoolArray,
    levels: BoolArray,
    figures: FloatArray,
    months: int,
    first: IntArray,
    streak: IntArray,
    ints: IntArray,
    floats: FloatArray,
    at: int,
) -> int:
    """Runs of one firm (as alerts._episodes_sql): write them at row ``at`` of ints/floats
    when those have rows, and return how many there are.

    ``hit[t]``: the firm is flagged in column t with some level holding; ``levels[t, i]``:
    level i holds (levels most severe first); ``figures[t]``: the values shown for column t.
    """
    columns, count = levels.shape
    write = ints.shape[0] > 0
    found = 0
    t = 0
    while t < columns:
        if not hit[t]:
            t += 1
            continue
        start = t
        for i in range(count):
            first[i] = -1
            streak[i] = 0
        while t < columns and hit[t]:
            for i in range(count):
                if levels[t, i]:
                    streak[i] += 1
                    if streak[i] >= months and first[i] < 0:
                        first[i] = t
                else:
                    streak[i] = 0
            t += 1
        level = -1
        for i in range(count):
            if first[i] >= 0:
                level = i
                break
        if level < 0:
            continue
        raised = first[level]
        for i in range(count):
            if 0 <= first[i] < raised:
                raised = first[i]
        if write:
            row = at + found
            ints[row, FIRM] = firm
            ints[row, START] = start
            ints[row, LAST] = t - 1
            ints[row, RAISED] = raised
            ints[row, LEVEL] = level
            ints[row, GRADE] = first[level]
            for k in range(figures.shape[1]):
                floats[row, k] = figures[first[level], k]
        found += 1
    return found


@njit(cache=True)
def _electricity_flags(
    electricity: FloatArray,
    has_row: BoolArray,
    data_months: BoolArray,
    days: FloatArray,
    firm: int,
    window: int,
    least: int,
    below: FloatArray,
    recent: FloatArray,
    frame: FloatArray,
    hit: BoolArray,
    levels: BoolArray,
    figures: FloatArray,
) -> bool:
    """Flag one firm's months against its baseline; True when some month has a level.

    ``recent[k]`` is the daily value of the firm's k-th panel row (NaN: no reading);
    ``frame[:n]`` holds the values above zero of the baseline frame (the previous ``window``
    rows) in ascending order, updated as the frame slides, so the median is read off it.
    """
    columns = electricity.shape[1]
    rows = 0  # the firm's panel rows so far
    n = 0
    flagged = False
    for t in range(columns):
        hit[t] = False
        if not data_months[t]:
            continue
        if not (has_row[firm, t] or (t >= 12 and has_row[firm, t - 12])):
            continue
        row = rows
        rows += 1
        if row > window and recent[row - window - 1] > 0:  # leaves the frame
            n = _remove(frame, n, recent[row - window - 1])
        raw = electricity[firm, t]
        daily = np.nan
        if not np.isnan(raw):
            daily = (raw if raw > 0 else 0.0) / days[t]
        recent[row] = daily
        if not np.isnan(daily) and n >= least and n > 0:
            half = n // 2
            # DuckDB's median: the mean of the two middle values for an even count.
            baseline = frame[half] if n % 2 == 1 else (frame[half - 1] + frame[half]) / 2.0
            if baseline > 0:
                ratio = daily / baseline
                for i in range(below.shape[0]):
                    levels[t, i] = ratio < below[i]
                    hit[t] = hit[t] or levels[t, i]
                if hit[t]:
                    flagged = True
                    figures[t, 0] = daily
                    figures[t, 1] = baseline
                    figures[t, 2] = n
                    figures[t, 3] = ratio
        if daily > 0:  # joins the frame of the next rows
            n = _insert(frame, n, daily)
    return flagged


@njit(cache=True, inline="always")
def _insert(frame: FloatArray, n: int, value: float) -> int:
    """Put ``value`` into the ascending frame[:n]; return the new size."""
    b = n - 1
    while b >= 0 and frame[b] > value:
        frame[b + 1] = frame[b]
        b -= 1
    frame[b + 1] = value
    return n + 1


@njit(cache=True, inline="always")
def _remove(frame: FloatArray, n: int, value: float) -> int:
    """Take one ``value`` out of the ascending frame[:n]; return the new size."""
    at = 0
    while at < n - 1 and frame[at] != value:  # it is there: it joined and has not left
        at += 1
    for k in range(at, n - 1):
        frame[k] = frame[k + 1]
    return n - 1


@njit(cache=True)
def _sales_flags(
    sales: FloatArray,
    data_months: BoolArray,
    days: FloatArray,
    days_before: FloatArray,
    firm: int,
    below: FloatArray,
    hit: BoolArray,
    levels: BoolArray,
    figures: FloatArray,
) -> bool:
    """Flag one firm's months against the same months a year earlier."""
    columns = sales.shape[1]
    flagged = False
    for t in range(columns):
        hit[t] = False
        # A reading now implies a panel row; a year-ago value above zero implies data then.
        if t < 12 or not data_months[t] or not data_months[t - 12]:
            continue
        raw, year_ago = sales[firm, t], sales[firm, t - 12]
        if np.isnan(raw) or not year_ago > 0:
            continue
        value = raw if raw > 0 else 0.0
        change = (value / days[t]) / (year_ago / days_before[t]) - 1
        for i in range(below.shape[0]):
            levels[t, i] = change < below[i]
            hit[t] = hit[t] or levels[t, i]
        if hit[t]:
            flagged = True
            figures[t, 0] = value
            figures[t, 1] = year_ago
            figures[t, 2] = change
    return flagged


ELECTRICITY, SALES = 0, 1  # the rule a call of _rule_runs evaluates


@njit(cache=True, parallel=True)
def _rule_runs(
    rule: int,
    values: FloatArray,
    has_row: BoolArray,
    data_months: BoolArray,
    days: FloatArray,
    days_before: FloatArray,
    window: int,
    least: int,
    below: FloatArray,
    months: int,
    firms: IntArray,
    offsets: IntArray,
    counts: IntArray,
    ints: IntArray,
    floats: FloatArray,
) -> None:
    """counts[j] = runs of firm firms[j] under ``rule`` (ELECTRICITY: values are electricity,
    ``window``/``least`` its baseline; SALES: values are sales, ``days_before`` the days a year
    earlier); with rows in ints/floats, the runs are written at offsets[j]."""
    columns = values.shape[1]
    count = below.shape[0]
    tasks = (firms.shape[0] + CHUNK - 1) // CHUNK
    for task in prange(tasks):
        recent = np.empty(columns)
        frame = np.empty(columns)
        hit = np.zeros(columns, dtype=np.bool_)
        levels = np.zeros((columns, count), dtype=np.bool_)
        figures = np.zeros((columns, FLOATS))
        first = np.empty(count, dtype=np.int64)
        streak = np.empty(count, dtype=np.int64)
        for j in range(task * CHUNK, min(firms.shape[0], (task + 1) * CHUNK)):
            firm = firms[j]
            counts[j] = 0
            if rule == ELECTRICITY:
                flagged = _electricity_flags(
                    values,
                    has_row,
                    data_months,
                    days,
                    firm,
                    window,
                    least,
                    below,
                    recent,
                    frame,
                    hit,
                    levels,
                    figures,
                )
            else:
                flagged = _sales_flags(
                    values, data_months, days, days_before, firm, below, hit, levels, figures
                )
            if flagged:
                at = offsets[j] if offsets.shape[0] else 0
                counts[j] = _runs(
                    firm, hit, levels, figures, months, first, streak, ints, floats, at
                )


# --- Python side ------------------------------------------------------------------------------


def _below(rule: ElectricityDropRule | SalesDropRule) -> FloatArray:
    return np.array([float(level.below) for level in rule.levels], dtype=np.float64)


def _collect(what: tuple[Any, ...], firms: int) -> tuple[IntArray, FloatArray]:
    """Count every firm's runs, then write those of the firms that have any; ``what`` are the
    leading arguments of :func:`_rule_runs` (the rule and its data)."""

    def run(
        chosen: IntArray, offsets: IntArray, counts: IntArray, ints: IntArray, floats: FloatArray
    ) -> None:
        _rule_runs(*what, chosen, offsets, counts, ints, floats)  # type: ignore[call-arg]

    every = np.arange(firms, dtype=np.int64)
    counts = np.zeros(firms, dtype=np.int64)
    no_ints = np.zeros((0, INTS), dtype=np.int64)
    no_floats = np.zeros((0, FLOATS))
    run(every, np.zeros(0, dtype=np.int64), counts, no_ints, no_floats)
    chosen = np.flatnonzero(counts).astype(np.int64)
    found = counts[chosen]
    offsets = np.concatenate(([0], np.cumsum(found)[:-1])).astype(np.int64)
    total = int(found.sum())
    ints = np.zeros((total, INTS), dtype=np.int64)
    floats = np.zeros((total, FLOATS))
    if total:
        run(chosen, offsets, np.zeros(len(chosen), dtype=np.int64), ints, floats)
    return ints, floats


def _last_month(cube: Cube) -> int | None:
    """Latest month with data (the SQL rules read it from the panel)."""
    columns = np.flatnonzero(cube.data_months)
    return cube.first_month + int(columns[-1]) if len(columns) else None


def _findings(
    cube: Cube,
    rule: Any,
    ints: IntArray,
    floats: FloatArray,
    names: NameLookup | None,
    values: Callable[[Any, FloatArray], dict[str, Any]],
    last_month: int | None,
) -> list[alerts.Finding]:
    if last_month is None:
        last_month = _last_month(cube)
    rows = ints[:, FIRM]
    codes = [str(c) for c in cube.codes.take(pa.array(rows)).to_pylist()] if len(rows) else []
    known = names(sorted(set(codes))) if names is not None and codes else {}
    findings = []
    for k, code in enumerate(codes):
        level = rule.levels[int(ints[k, LEVEL])]
        name, region = known.get(code, (None, None))
        row = {
            "start_m": cube.first_month + int(ints[k, START]),
            "last_m": cube.first_month + int(ints[k, LAST]),
            "raised_m": cube.first_month + int(ints[k, RAISED]),
            "grade_m": cube.first_month + int(ints[k, GRADE]),
        }
        findings.append(
            alerts._finding(
                rule,
                scope="firm",
                code=code,
                name=name,
                row=row,
                grade=level.grade,
                values=values(level, floats[k]),
                last_month=last_month,
                region_code=region,
            )
        )
    return findings


def electricity_drop(
    cube: Cube,
    rule: ElectricityDropRule,
    names: NameLookup | None = None,
    last_month: int | None = None,
) -> list[alerts.Finding]:
    """The findings of :func:`chainwatch.monitor.alerts.electricity_drop` on this cube's data.

    ``names`` gives the registry name and region of the firms with findings (None: none);
    ``last_month`` (an ordinal) is the latest month of data, by default the cube's.
    """
    below = _below(rule)
    days = cube.month_days()

    what = (
        ELECTRICITY,
        cube.electricity,
        cube.has_row,
        cube.data_months,
        days,
        days,  # unused by this rule
        rule.baseline_months,
        rule.baseline_min_months,
        below,
        rule.months,
    )

    def values(level: Any, figures: FloatArray) -> dict[str, Any]:
        daily, baseline, count, ratio = (float(x) for x in figures)
        return {
            "months": rule.months,
            "threshold_pct": round(100 * level.below, 2),
            "ratio_pct": alerts._round(100 * ratio, 2),
            "value": alerts._round(daily, 2),
            "baseline": alerts._round(baseline, 2),
            "baseline_months": int(count),
        }

    ints, floats = _collect(what, cube.firms)
    return _findings(cube, rule, ints, floats, names, values, last_month)


def sales_drop(
    cube: Cube,
    rule: SalesDropRule,
    names: NameLookup | None = None,
    last_month: int | None = None,
) -> list[alerts.Finding]:
    """The findings of :func:`chainwatch.monitor.alerts.sales_drop` on this cube's data."""
    below = _below(rule)
    days, days_before = cube.month_days(), cube.month_days(1)

    what = (SALES, cube.sales, cube.has_row, cube.data_months, days, days_before, 0, 0, below,
            rule.months)  # fmt: skip

    def values(level: Any, figures: FloatArray) -> dict[str, Any]:
        sales, year_ago, change = (float(x) for x in figures[:3])
        change_pct = alerts._round(100 * change, 2)
        return {
            "months": rule.months,
            "threshold_pct": round(100 * level.below, 2),
            "threshold_drop_pct": round(-100 * level.below, 2),
            "change_pct": change_pct,
            "drop_pct": None if change_pct is None else -change_pct,
            "sales": alerts._round(sales, 2),
            "sales_year_ago": alerts._round(year_ago, 2),
        }

    ints, floats = _collect(what, cube.firms)
    return _findings(cube, rule, ints, floats, names, values, last_month)


def registry_names(con: duckdb.DuckDBPyConnection, enterprises: str | None) -> NameLookup | None:
    """A lookup of names and region codes in the registry relation ``enterprises`` (one query
    for all the codes asked about); None without a registry."""
    if enterprises is None:
        return None

    def lookup(codes: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        if not codes:
            return {}
        table = pa.table({"code": pa.array(list(codes), type=pa.string())})
        view = "cw_alert_codes"
        con.register(view, table)
        try:
            rows = con.execute(
                f"SELECT uscc, name, region_code FROM {enterprises} "
                f"WHERE uscc IN (SELECT code FROM {view})"
            ).fetchall()
        finally:
            con.unregister(view)
        return {str(code): (name, region) for code, name, region in rows}

    return lookup
