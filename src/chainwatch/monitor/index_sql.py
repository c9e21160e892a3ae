"""SQL for the sales, electricity and composite (税电) indices of firms, regions and groups.

For a scope (one firm, a county, a city, a province, or a group such as a chain segment) and a
period t (a month, or January+February together), with d(t) the days in t:

    sales index = 100 × (Σ sales_i(t) / d(t)) / (Σ sales_i(t−12) / d(t−12))

summed over the *matched* firms i of the scope: those with sales > 0 in both t and the same
period a year earlier. Firms with sales only now are entries, firms with sales only a year ago
are exits; both are counted and summed separately and never move the index. Dividing by the
days only matters when the two periods differ in length (February of a leap year, and the
combined January–February). The electricity index is the same with electricity_kwh (matched
separately: a firm without a utility feed still counts for sales). The composite 税电指数 is
w_sales × sales index + w_electricity × electricity index. The fixed-base variant divides the
period's daily average by the base-year daily average of the same firms (those with a value > 0
in t and a base-year average > 0); a firm's base-year daily average is its base-year total over
the days of the base-year months it reported.

Two steps:

1. :func:`panel_sql` (the heavy one) — the *panel*: one row per firm and period with the firm's
   value now, a year earlier and its base-year daily average. Registered firms are numbered
   (registry order), so the large joins — each period with the same period a year earlier (a
   FULL self-join) and the base year — compare integers, not 18-character codes.
2. :func:`firm_indices_sql` and :func:`aggregate_sql` — expand each panel row into *parts*
   (matched, entering, leaving, in the fixed-base panel: 0/1 and the amounts that go with
   them) and sum them by firm, by region code (rolled up county → city → province) or by a
   :class:`~chainwatch.monitor.scopes.Grouping`. Sums and counts add up over disjoint sets of
   firms, so the roll-ups are exact; one projection (:func:`finish_sql`) turns parts into indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from chainwatch.monitor import periods as pd_
from chainwatch.monitor.scopes import FIRM_IDS, REGION_MAP, REGION_SCOPES, Grouping
from chainwatch.monitor.settings import IndexSettings

# (name in results, column of the indicators dataset)
METRICS: tuple[tuple[str, str], ...] = (("sales", "sales"), ("electricity", "electricity_kwh"))
NAMES = [m for m, _ in METRICS]
PANEL_VALUES = [f"{m}{s}" for m in NAMES for s in ("", "_year_ago", "_base_daily")]


def _parts(metric: str) -> list[tuple[str, str | None, str]]:
    """(output column, amount or None for a 0/1 count, condition) for one metric."""
    now, before, base = metric, f"{metric}_year_ago", f"{metric}_base_daily"
    matched = f"{now} IS NOT NULL AND {before} IS NOT NULL"
    entry = f"{now} IS NOT NULL AND {before} IS NULL"
    leave = f"{before} IS NOT NULL AND {now} IS NULL"
    fixed = f"{now} IS NOT NULL AND coalesce({base} > 0, false)"
    return [
        (f"{metric}_matched", None, matched),
        (f"{metric}_now", now, matched),
        (f"{metric}_before", before, matched),
        (f"{metric}_entries", None, entry),
        (f"{metric}_entry_amount", now, entry),
        (f"{metric}_exits", None, leave),
        (f"{metric}_exit_amount", before, leave),
        (f"{metric}_fixed_firms", None, fixed),
        (f"{metric}_fixed_now", now, fixed),
        (f"{metric}_fixed_base", base, fixed),
    ]


PARTS = [part for metric in NAMES for part in _parts(metric)]
PART_NAMES = [name for name, _, _ in PARTS]
COUNT_COLUMNS = [name for name, value, _ in PARTS if value is None]
# Parts comparing with a year earlier: empty where the data has no such year at all.
YOY_COLUMNS = [name for name in PART_NAMES if "_fixed_" not in name]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _present(value: str) -> str:
    return f"CASE WHEN {value} > 0 THEN {value} END"


def panel_sql(
    settings: IndexSettings,
    *,
    indicators: str,
    firm_filter: str | None = None,
    start: pd_.Month | None = None,
    end: pd_.Month | None = None,
    periods_from: str | None = None,
) -> str:
    """The panel: fid (NULL for firms missing from the registry), code, period, have_before and
    for each metric the value (> 0, else NULL), the value a year earlier and the base-year
    daily average.

    Needs table FIRM_IDS on the connection (:func:`chainwatch.monitor.scopes.register_firm_ids`).
    ``firm_filter`` is a predicate on ``uscc``; ``start`` and
    ``end`` limit the periods (the base year is read regardless). Which periods have data is
    read from ``periods_from`` when given: a relation with the same columns that is cheaper to
    scan, such as the unmerged batches.
    """
    present = " OR ".join(f"{column} IS NOT NULL" for _, column in METRICS)
    where = [f"({present})"]
    if firm_filter:
        where.append(f"({firm_filter})")
    in_range = ["TRUE"]  # on year * 100 + slot, months only (slot 1–12)
    if start is not None:
        first = start.shifted(-12)
        in_range.append(f"year * 100 + slot >= {first.year * 100 + first.month}")
    if end is not None:
        in_range.append(f"year * 100 + slot <= {end.year * 100 + end.month}")
    if start is not None or end is not None:
        bounds = [f"period >= {_quote(start.shifted(-12).label)}"] if start else []
        bounds += [f"period <= {_quote(end.label)}"] if end else []
        where.append(f"({' AND '.join(bounds)} OR period LIKE '{settings.base_year:04d}-%')")
    in_months = " AND ".join(in_range)
    days = pd_.days_sql("year", "slot")
    values = ", ".join(f"{column} AS {metric}" for metric, column in METRICS)
    jan_feb = ", ".join(
        f"CASE WHEN j.{m} IS NULL AND f.{m} IS NULL THEN NULL "
        f"ELSE coalesce(j.{m}, 0) + coalesce(f.{m}, 0) END AS {m}"
        for m in NAMES
    )
    base = ", ".join(
        f"sum({m}) / sum({days}) FILTER (WHERE {m} IS NOT NULL) AS {m}_base_daily" for m in NAMES
    )
    pairs = ", ".join(
        f"{_present(f'c.{m}')} AS {m}, {_present(f'p.{m}')} AS {m}_year_ago" for m in NAMES
    )
    # Whether a period has data is a property of the whole data set, not of the firms asked
    # about, so a filtered query still looks at every firm's periods.
    months = (
        "SELECT DISTINCT year, slot FROM keyed"
        if not (firm_filter or periods_from)
        else "SELECT DISTINCT CAST(substr(period, 1, 4) AS INTEGER) AS year, "
        f"CAST(substr(period, 6, 2) AS INTEGER) AS slot FROM {periods_from or indicators} "
        f"WHERE {present}"
    )
    # Registered firms are keyed by (fid, ''), firms missing from the registry by (0, uscc): no
    # extra pass over the data to number them, and the registered majority joins on integers.
    key = "c.fid = p.fid AND c.stray = p.stray"
    # One materialisation (keyed: numbers only, read once from the indicators); everything else
    # is recomputed from it where used, which is cheaper than holding more firm-month tables.
    return f"""
WITH src AS NOT MATERIALIZED (
  SELECT uscc, CAST(substr(period, 1, 4) AS INTEGER) AS year,
         CAST(substr(period, 6, 2) AS INTEGER) AS slot, {values}
  FROM {indicators} WHERE {" AND ".join(where)}
),
keyed AS MATERIALIZED (
  SELECT coalesce(f.fid, 0) AS fid, CASE WHEN f.fid IS NULL THEN s.uscc ELSE '' END AS stray,
         s.year, s.slot, {", ".join(f"s.{m}" for m in NAMES)}
  FROM src s LEFT JOIN {FIRM_IDS} f USING (uscc)
),
month_periods AS ({months}),
periods AS (
  SELECT year, slot FROM month_periods
  UNION SELECT year, {pd_.JAN_FEB} FROM month_periods WHERE slot <= 2
),
calendar AS (
  SELECT p.year, p.slot, {pd_.label_sql("p.year", "p.slot")} AS period,
         h.year IS NOT NULL AS have_before
  FROM periods p LEFT JOIN periods h ON h.year = p.year - 1 AND h.slot = p.slot
),
months AS NOT MATERIALIZED (
  SELECT fid, stray, year, slot, {", ".join(NAMES)} FROM keyed WHERE {in_months}
  UNION ALL
  SELECT coalesce(j.fid, f.fid) AS fid, coalesce(j.stray, f.stray) AS stray,
         coalesce(j.year, f.year) AS year, {pd_.JAN_FEB} AS slot, {jan_feb}
  FROM (SELECT * FROM keyed WHERE slot = 1 AND {in_months}) j
  FULL JOIN (SELECT * FROM keyed WHERE slot = 2 AND {in_months}) f
    ON j.fid = f.fid AND j.stray = f.stray AND j.year = f.year
),
base AS (
  SELECT fid, stray, {base} FROM keyed WHERE year = {settings.base_year} GROUP BY fid, stray
),
paired AS (
  SELECT coalesce(c.fid, p.fid) AS fid, coalesce(c.stray, p.stray) AS stray,
         coalesce(c.year, p.year + 1) AS year, coalesce(c.slot, p.slot) AS slot, {pairs}
  FROM months c FULL JOIN months p ON {key} AND c.slot = p.slot AND c.year = p.year + 1
)
SELECT nullif(p.fid, 0) AS fid, coalesce(i.uscc, p.stray) AS code, k.period, k.have_before,
       {", ".join(f"p.{m}, p.{m}_year_ago, b.{m}_base_daily" for m in NAMES)}
FROM paired p
JOIN calendar k ON k.year = p.year AND k.slot = p.slot
LEFT JOIN base b ON b.fid = p.fid AND b.stray = p.stray
LEFT JOIN {FIRM_IDS} i ON i.fid = p.fid
"""


def _parts_sql(panel: str, keys: str) -> str:
    """Panel rows expanded into parts; ``keys`` are the panel columns to keep."""
    parts = []
    for name, value, cond in PARTS:
        part = (
            f"CASE WHEN {cond} THEN 1 ELSE 0 END"
            if value is None
            else f"CASE WHEN {cond} THEN {value} END"
        )
        if name in YOY_COLUMNS:
            part = f"CASE WHEN have_before THEN {part} END"
        parts.append(f"{part} AS {name}")
    return f"SELECT {keys}, {', '.join(parts)} FROM {panel}"


def _period_range(start: pd_.Month | None, end: pd_.Month | None) -> str:
    """Condition on ``period`` keeping periods whose months all lie in [start, end]."""
    bounds = ["TRUE"]
    if start is not None:
        bounds.append(f"substr(period, 1, 7) >= {_quote(start.label)}")
    if end is not None:
        # 'YYYY-MM' and 'YYYY-01+02' both end in their last month's digits.
        bounds.append(f"substr(period, 1, 5) || right(period, 2) <= {_quote(end.label)}")
    return " AND ".join(bounds)


def firm_indices_sql(
    panel: str,
    settings: IndexSettings,
    enterprises: str | None,
    start: pd_.Month | None = None,
    end: pd_.Month | None = None,
) -> str:
    """Index rows of single firms (scope 'firm', name from the registry) from a panel."""
    parts = _parts_sql(f"{panel} WHERE {_period_range(start, end)}", "code, period")
    if enterprises is None:
        named = (
            f"SELECT 'firm' AS scope, code, NULL::VARCHAR AS name, * EXCLUDE (code) FROM ({parts})"
        )
    else:
        named = (
            "SELECT 'firm' AS scope, r.code, e.name, r.* EXCLUDE (code) "
            f"FROM ({parts}) r LEFT JOIN {enterprises} e ON e.uscc = r.code"
        )
    return finish_sql(named, settings)


def aggregate_sql(
    panel: str,
    scopes: Sequence[str],
    settings: IndexSettings,
    groupings: Sequence[Grouping] = (),
    start: pd_.Month | None = None,
    end: pd_.Month | None = None,
) -> str:
    """Index rows of region scopes and groupings from a panel.

    Region scopes need FIRM_IDS and REGION_MAP on the connection (see
    :mod:`chainwatch.monitor.scopes`).
    """
    sums = ", ".join(f"sum({name}) AS {name}" for name in PART_NAMES)
    parts = _parts_sql(f"{panel} WHERE {_period_range(start, end)}", "fid, code, period")
    ctes = [f"parts AS ({parts})"]
    selects = []
    levels = [s for s in scopes if s in REGION_SCOPES]
    if levels:
        ctes.append(
            f"by_region AS (SELECT i.region_code, p.period, {sums} FROM parts p "
            f"JOIN {FIRM_IDS} i ON i.fid = p.fid WHERE i.region_code IS NOT NULL "
            "GROUP BY i.region_code, p.period)"
        )
        for level in levels:
            selects.append(
                f"SELECT '{level}' AS scope, m.{level}_code AS code, "
                f"any_value(m.{level}_name) AS name, r.period, {sums} "
                f"FROM by_region r JOIN {REGION_MAP} m USING (region_code) "
                f"WHERE m.{level}_code IS NOT NULL GROUP BY m.{level}_code, r.period"
            )
    for grouping in groupings:
        selects.append(
            f"SELECT {_quote(grouping.scope)} AS scope, CAST(g.code AS VARCHAR) AS code, "
            f"any_value(CAST(g.name AS VARCHAR)) AS name, p.period, {sums} "
            f"FROM parts p JOIN ({grouping.sql}) g ON g.uscc = p.code "
            "GROUP BY g.code, p.period"
        )
    if not selects:
        raise ValueError("aggregate_sql needs a region scope or a grouping")
    return finish_sql(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", settings)


def _index(metric: str, kind: str) -> str:
    if kind == "yoy":
        return f"100 * ({metric}_now / days) / ({metric}_before / days_before)"
    return f"100 * ({metric}_fixed_now / days) / {metric}_fixed_base"


def _composite(settings: IndexSettings, sales: str, electricity: str) -> str:
    # A zero weight drops its index, so a missing electricity feed does not blank the composite
    # of an analyst who chose to weigh sales alone.
    pairs = ((settings.sales_weight, sales), (settings.electricity_weight, electricity))
    return " + ".join(f"CAST({w!r} AS DOUBLE) * {column}" for w, column in pairs if w > 0)


def finish_sql(relation: str, settings: IndexSettings) -> str:
    """Rows of (scope, code, name, period, parts…) → the documented index columns."""
    year = "CAST(substr(period, 1, 4) AS INTEGER)"
    slot = (
        f"CASE WHEN period LIKE '%+%' THEN {pd_.JAN_FEB} "
        "ELSE CAST(substr(period, 6, 2) AS INTEGER) END"
    )
    counts = ", ".join(
        f"CAST({name} AS BIGINT) AS {name}" if name in COUNT_COLUMNS else name
        for name in PART_NAMES
    )
    indices = ", ".join(
        f"{_index(m, 'yoy')} AS {m}_index, {_index(m, 'fixed')} AS fixed_base_{m}" for m in NAMES
    )
    return f"""
SELECT scope, code, name, period, first_month, last_month, days, days_before,
  sales_index, electricity_index,
  {_composite(settings, "sales_index", "electricity_index")} AS composite_index,
  fixed_base_sales, fixed_base_electricity,
  {_composite(settings, "fixed_base_sales", "fixed_base_electricity")} AS fixed_base_composite,
  {", ".join(PART_NAMES)},
  CAST({settings.sales_weight!r} AS DOUBLE) AS sales_weight,
  CAST({settings.electricity_weight!r} AS DOUBLE) AS electricity_weight,
  {settings.base_year} AS base_year
FROM (
  SELECT *, {indices} FROM (
    SELECT scope, code, name, period,
      substr(period, 1, 7) AS first_month, substr(period, 1, 5) || right(period, 2) AS last_month,
      {pd_.days_sql("y", "s")} AS days, {pd_.days_sql("y - 1", "s")} AS days_before, {counts}
    FROM (SELECT *, {year} AS y, {slot} AS s FROM ({relation}))
  )
)
"""


def fetch_dicts(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
