"""Early warnings (预警): evaluate the rules over the stored monitoring results.

Each rule kind is one set-based DuckDB query over whole relations (never a loop over firms);
the two firm rules run from the indicator cube instead when the index stage stored one
(:mod:`chainwatch.monitor.dense_alerts`, same findings, compiled loops over firms), and the
queries here stay their reference:

  electricity_drop  firm panel (``index_panel``): daily electricity against the firm's own
                    baseline, the median daily electricity of its previous ``baseline_months``
                    months in the data (the firm's panel rows: every month it or its year-ago
                    month reported), counting readings above zero (at least
                    ``baseline_min_months`` of them).
                    The median of the firm's own recent months, rather than the same month a
                    year earlier, because one odd month (a holiday, a fault, last year's shock)
                    must not become the yardstick, and because it needs no full year of history.
  sales_yoy         firm panel: daily invoiced sales against the same month a year earlier.
  import_stop       customs: monthly imports per firm, HS code and country; key products and
                    chains from the chain definitions and the atlas (firm → chain).
  index_below       ``indices`` of regions, chains or segments, calendar months.
  change_point      ``indices`` series, one detector run per series in Python (a few hundred
                    short series; :mod:`chainwatch.monitor.changepoints`).

A *condition* is a rule holding for one subject (a firm, a region, a chain; for imports a firm,
product and country). It holds over a *run* of consecutive calendar months; the alert is raised
in the month the run first meets the rule (e.g. the 2nd month below 30 % for a 2-month rule)
and its grade is the most severe level met anywhere in the run. A run is still open when it
reaches the latest month of data; otherwise it ended the month after its last month. A month
without any reading is a gap in the data, not a zero, and ends a run; a reading of zero (kept
apart from the panel, which only holds positive values) counts as zero.

:func:`evaluate` returns one :class:`Finding` per run; :mod:`chainwatch.monitor.alert_store`
turns findings into alerts (raised once per run, with a lifecycle).
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from chainwatch.errors import DataMissingError
from chainwatch.monitor import periods as pd_
from chainwatch.monitor.changepoints import detect_changes
from chainwatch.monitor.cube import Cube
from chainwatch.monitor.index_sql import fetch_dicts
from chainwatch.monitor.rules import (
    INDEX_COLUMNS,
    ChangePointRule,
    ElectricityDropRule,
    ImportStopRule,
    IndexBelowRule,
    SalesDropRule,
)
from chainwatch.store import lake


@dataclass(frozen=True)
class KeyProductCode:
    """One HS code of a chain's key product."""

    chain_id: str
    chain_name: str
    product: str
    hs: str


@dataclass(frozen=True)
class Sources:
    """DuckDB relations the rules read; a rule whose source is None is skipped.

    panel        the firm panel (code, period, have_before, sales, sales_year_ago,
                 electricity, …) as written by the index stage
    zeros        (code, period, zero_sales, zero_electricity): readings of zero or less, which
                 the panel drops
    indices      the ``indices`` result (scope, code, name, period, *_index)
    customs      loaded customs rows (uscc, direction, date, hs_code, country, amount)
    enterprises  the registry (uscc, name, region_code) for names and regions of firms
    memberships  (uscc, chain_id): firms placed in chains; None = every importer counts for
                 every chain that has the product as a key product
    cube         the indicator cube; when set, the two firm rules read it instead of the panel
                 (:mod:`chainwatch.monitor.dense_alerts`, same findings, province scale)
    """

    panel: str | None = None
    zeros: str | None = None
    indices: str | None = None
    customs: str | None = None
    enterprises: str | None = None
    memberships: str | None = None
    key_products: tuple[KeyProductCode, ...] = ()
    cube: Cube | None = field(default=None, compare=False, repr=False)


@dataclass
class Finding:
    """One run of one condition, ready to be stored as an alert."""

    rule: str
    rule_name: str
    kind: str
    grade: str
    scope: str
    code: str
    name: str | None
    key: str  # rule|scope|code[|detail]: the condition
    start: str  # first month of the run
    period: str  # month the alert is raised (the rule first met)
    grade_period: str  # month the final grade was first met
    last: str  # latest month the condition held
    ended: str | None  # first month it no longer held; None while open
    values: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    region_code: str | None = None
    chain_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def month_sql(column: str) -> str:
    """Month ordinal (year × 12 + month − 1) of a 'YYYY-MM' column."""
    return (
        f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + "
        f"CAST(substr({column}, 6, 2) AS INTEGER) - 1)"
    )


def month_label(ordinal: int) -> str:
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def _days(column: str, years_back: int = 0) -> str:
    year = f"(CAST(substr({column}, 1, 4) AS INTEGER) - {years_back})"
    return pd_.days_sql(year, f"CAST(substr({column}, 6, 2) AS INTEGER)")


def _episodes_sql(flagged: str, keys: Sequence[str], levels: int, months: int) -> str:
    """Runs of consecutive months in ``flagged`` (columns keys…, m, l0…l{levels-1}, values)
    where some level holds, with the month each level first held ``months`` months running.

    Levels are ordered most severe first. Returns every column of the row at the month the
    final grade was met, plus start_m, last_m, raised_m, level, grade_m.
    """
    part = ", ".join(keys)
    hit = " OR ".join(f"l{i}" for i in range(levels))
    level_runs = ", ".join(
        f"CASE WHEN l{i} THEN m - row_number() OVER (PARTITION BY {part}, l{i} ORDER BY m) END "
        f"AS r{i}"
        for i in range(levels)
    )
    streaks = ", ".join(
        f"CASE WHEN l{i} THEN m - min(m) OVER (PARTITION BY {part}, l{i}, r{i}) + 1 END AS s{i}"
        for i in range(levels)
    )
    firsts = ", ".join(f"min(m) FILTER (WHERE s{i} >= {months}) AS q{i}" for i in range(levels))
    qualified = " OR ".join(f"q{i} IS NOT NULL" for i in range(levels))
    level = " ".join(f"WHEN q{i} IS NOT NULL THEN {i}" for i in range(levels))
    grade_m = " ".join(f"WHEN q{i} IS NOT NULL THEN q{i}" for i in range(levels))
    raised = f"least({', '.join(f'q{i}' for i in range(levels))})" if levels > 1 else "q0"
    joins = " AND ".join(f"v.{k} = e.{k}" for k in keys)
    return f"""
WITH runs AS (
  SELECT *, m - row_number() OVER (PARTITION BY {part} ORDER BY m) AS run
  FROM {flagged} WHERE {hit}
),
level_runs AS (SELECT *, {level_runs} FROM runs),
streaks AS (SELECT * EXCLUDE ({", ".join(f"r{i}" for i in range(levels))}), {streaks}
            FROM level_runs),
episodes AS (
  SELECT * FROM (
    SELECT {part}, run, min(m) AS start_m, max(m) AS last_m, {firsts}
    FROM streaks GROUP BY {part}, run
  ) WHERE {qualified}
),
graded AS (
  SELECT {part}, start_m, last_m, {raised} AS raised_m,
         CASE {level} END AS level, CASE {grade_m} END AS grade_m
  FROM episodes
)
SELECT e.start_m, e.last_m, e.raised_m, e.level, e.grade_m,
       v.* EXCLUDE (run, {", ".join(f"s{i}" for i in range(levels))})
FROM graded e JOIN streaks v ON {joins} AND v.m = e.grade_m
"""


def _last_month(con: duckdb.DuckDBPyConnection, query: str) -> int | None:
    row = con.execute(query).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _firm_names(sources: Sources, alias: str = "x") -> tuple[str, str]:
    """(join clause, columns) adding name and region_code of firms from the registry."""
    if sources.enterprises is None:
        return "", "NULL::VARCHAR AS firm_name, NULL::VARCHAR AS region_code"
    return (
        f"LEFT JOIN (SELECT uscc, name, region_code FROM {sources.enterprises}) f "
        f"ON f.uscc = {alias}.code",
        "f.name AS firm_name, f.region_code",
    )


def panel_readings(sources: Sources, metric: str) -> str:
    """Panel rows of calendar months with ``value`` (NULL where there was no reading)."""
    assert sources.panel is not None
    zero = f"zero_{metric}"
    if sources.zeros is None:
        value = f"p.{metric}"
        join = ""
    else:
        value = f"coalesce(p.{metric}, CASE WHEN z.{zero} THEN 0.0 END)"
        join = f"LEFT JOIN {sources.zeros} z ON z.code = p.code AND z.period = p.period"
    return f"""
SELECT p.code, p.period, {month_sql("p.period")} AS m, {_days("p.period")} AS days,
       {_days("p.period", 1)} AS days_before, p.have_before, {value} AS value,
       p.{metric}_year_ago AS year_ago
FROM {sources.panel} p {join}
WHERE p.period NOT LIKE '%+%'
"""


def _levels_sql(levels: Sequence[Any], expression: str) -> str:
    return ", ".join(f"{expression} < {float(lv.below)!r} AS l{i}" for i, lv in enumerate(levels))


def _fmt_name(name: Any, code: str) -> str:
    return str(name) if name else code


class _Template(string.Formatter):
    """str.format that shows a missing value as — whatever its format."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        return "—" if value is None else super().format_field(value, format_spec)


def _message(rule: Any, context: dict[str, Any]) -> str:
    return _Template().format(rule.message, **context)


def _finding(
    rule: Any,
    *,
    scope: str,
    code: str,
    name: Any,
    row: dict[str, Any],
    grade: str,
    values: dict[str, Any],
    last_month: int | None,
    key_detail: str = "",
    region_code: str | None = None,
    chain_id: str | None = None,
) -> Finding:
    start, last = int(row["start_m"]), int(row["last_m"])
    ended = month_label(last + 1) if last_month is not None and last < last_month else None
    finding = Finding(
        rule=rule.id,
        rule_name=rule.name,
        kind=rule.kind,
        grade=grade,
        scope=scope,
        code=code,
        name=str(name) if name else None,
        key=f"{rule.id}|{scope}|{code}" + (f"|{key_detail}" if key_detail else ""),
        start=month_label(start),
        period=month_label(int(row["raised_m"])),
        grade_period=month_label(int(row["grade_m"])),
        last=month_label(last),
        ended=ended,
        values=values,
        region_code=region_code,
        chain_id=chain_id,
    )
    context = {
        "name": _fmt_name(name, code),
        "code": code,
        "rule": rule.name,
        "grade": grade,
        # The figures shown are those of the month the grade was reached.
        "period": finding.grade_period,
        "raised": finding.period,
        "start": finding.start,
        "last": finding.last,
        **values,
    }
    finding.message = _message(rule, context)
    return finding


def _round(value: Any, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


# --- firm rules -------------------------------------------------------------------------------


def electricity_drop(
    con: duckdb.DuckDBPyConnection, rule: ElectricityDropRule, sources: Sources
) -> list[Finding]:
    if sources.cube is not None:
        from chainwatch.monitor import dense_alerts

        names = dense_alerts.registry_names(con, sources.enterprises)
        return dense_alerts.electricity_drop(sources.cube, rule, names)
    if sources.panel is None:
        return []
    readings = panel_readings(sources, "electricity")
    flagged = f"""(
SELECT code, m, value, daily, baseline, baseline_n, daily / baseline AS ratio,
       {_levels_sql(rule.levels, "daily / baseline")}
FROM (
  SELECT *, median(CASE WHEN daily > 0 THEN daily END) OVER w AS baseline,
         count(CASE WHEN daily > 0 THEN 1 END) OVER w AS baseline_n
  FROM (SELECT code, m, value, value / days AS daily FROM ({readings}))
  -- A ROWS frame over the firm's months in the panel (a month without a reading keeps its
  -- row, with NULL) is several times faster in DuckDB than the same RANGE of months.
  WINDOW w AS (PARTITION BY code ORDER BY m
               ROWS BETWEEN {rule.baseline_months} PRECEDING AND 1 PRECEDING)
) WHERE value IS NOT NULL AND baseline_n >= {rule.baseline_min_months} AND baseline > 0
)"""
    episodes = _episodes_sql(flagged, ["code"], len(rule.levels), rule.months)
    join, columns = _firm_names(sources)
    query = f"SELECT x.*, {columns} FROM ({episodes}) x {join}"
    last_month = _last_month(
        con, f"SELECT max({month_sql('period')}) FROM {sources.panel} WHERE period NOT LIKE '%+%'"
    )
    findings = []
    for row in fetch_dicts(con, query):
        level = rule.levels[int(row["level"])]
        values = {
            "months": rule.months,
            "threshold_pct": round(100 * level.below, 2),
            "ratio_pct": _round(100 * row["ratio"], 2),
            "value": _round(row["daily"], 2),
            "baseline": _round(row["baseline"], 2),
            "baseline_months": int(row["baseline_n"]),
        }
        findings.append(
            _finding(
                rule,
                scope="firm",
                code=row["code"],
                name=row["firm_name"],
                row=row,
                grade=level.grade,
                values=values,
                last_month=last_month,
                region_code=row["region_code"],
            )
        )
    return findings


def sales_drop(
    con: duckdb.DuckDBPyConnection, rule: SalesDropRule, sources: Sources
) -> list[Finding]:
    if sources.cube is not None:
        from chainwatch.monitor import dense_alerts

        names = dense_alerts.registry_names(con, sources.enterprises)
        return dense_alerts.sales_drop(sources.cube, rule, names)
    if sources.panel is None:
        return []
    readings = panel_readings(sources, "sales")
    change = "(value / days) / (year_ago / days_before) - 1"
    flagged = f"""(
SELECT code, m, value AS sales, year_ago AS sales_year_ago, {change} AS change,
       {_levels_sql(rule.levels, change)}
FROM ({readings})
WHERE value IS NOT NULL AND year_ago IS NOT NULL AND have_before
)"""
    episodes = _episodes_sql(flagged, ["code"], len(rule.levels), rule.months)
    join, columns = _firm_names(sources)
    query = f"SELECT x.*, {columns} FROM ({episodes}) x {join}"
    last_month = _last_month(
        con, f"SELECT max({month_sql('period')}) FROM {sources.panel} WHERE period NOT LIKE '%+%'"
    )
    findings = []
    for row in fetch_dicts(con, query):
        level = rule.levels[int(row["level"])]
        change_pct = _round(100 * row["change"], 2)
        values = {
            "months": rule.months,
            "threshold_pct": round(100 * level.below, 2),
            "threshold_drop_pct": round(-100 * level.below, 2),
            "change_pct": change_pct,
            "drop_pct": None if change_pct is None else -change_pct,
            "sales": _round(row["sales"], 2),
            "sales_year_ago": _round(row["sales_year_ago"], 2),
        }
        findings.append(
            _finding(
                rule,
                scope="firm",
                code=row["code"],
                name=row["firm_name"],
                row=row,
                grade=level.grade,
                values=values,
                last_month=last_month,
                region_code=row["region_code"],
            )
        )
    return findings


def _key_products_sql(products: Iterable[KeyProductCode]) -> str | None:
    rows = ", ".join(
        f"({_quote(p.chain_id)}, {_quote(p.chain_name)}, {_quote(p.product)}, {_quote(p.hs)})"
        for p in products
    )
    return f"(VALUES {rows}) k(chain_id, chain_name, product, key_hs)" if rows else None


def import_stop(
    con: duckdb.DuckDBPyConnection, rule: ImportStopRule, sources: Sources
) -> list[Finding]:
    keys = _key_products_sql(sources.key_products)
    if sources.customs is None or keys is None:
        return []
    member_join = (
        f"JOIN (SELECT DISTINCT uscc, chain_id FROM {sources.memberships}) f "
        "ON f.uscc = i.code AND f.chain_id = k.chain_id"
        if sources.memberships is not None
        else ""
    )
    join, columns = _firm_names(sources, "r")
    query = f"""
WITH imports AS (
  SELECT uscc AS code, hs_code AS hs, upper(country) AS country,
         year(date) * 12 + month(date) - 1 AS m, sum(amount) AS amount
  FROM {sources.customs}
  WHERE lower(direction) = 'import' AND amount > 0 AND hs_code IS NOT NULL
        AND country IS NOT NULL AND uscc IS NOT NULL
  GROUP BY ALL
),
span AS (SELECT max(m) AS hi FROM imports),
chain_imports AS (
  SELECT k.chain_id, k.chain_name, k.product, i.*
  FROM imports i JOIN {keys} ON starts_with(i.hs, k.key_hs) OR starts_with(k.key_hs, i.hs)
  {member_join}
),
series AS (SELECT DISTINCT code, hs, country, m FROM chain_imports),
islands AS (
  SELECT *, m - row_number() OVER (PARTITION BY code, hs, country ORDER BY m) AS island,
         lead(m) OVER (PARTITION BY code, hs, country ORDER BY m) AS next_m
  FROM series
),
stops AS (
  SELECT code, hs, country, m AS last_import_m, next_m,
         m - min(m) OVER (PARTITION BY code, hs, country, island) + 1 AS steady
  FROM islands
),
runs AS (
  SELECT s.code, s.hs, s.country, s.last_import_m, s.steady, s.last_import_m + 1 AS start_m,
         coalesce(s.next_m, span.hi + 1) - 1 AS last_m, s.next_m
  FROM stops s, span
  WHERE s.steady >= {rule.steady_months}
    AND coalesce(s.next_m, span.hi + 1) - s.last_import_m - 1 >= {rule.months}
),
shares AS (
  SELECT r.code, r.hs, r.country, r.start_m, c.chain_id,
         any_value(c.chain_name) AS chain_name, any_value(c.product) AS product,
         sum(c.amount) FILTER (WHERE c.country = r.country) / sum(c.amount) AS share,
         sum(c.amount) FILTER (WHERE c.country = r.country AND c.code = r.code) AS amount
  FROM runs r JOIN chain_imports c
    ON c.hs = r.hs AND c.m BETWEEN r.start_m - {rule.share_months} AND r.start_m - 1
  WHERE c.chain_id IN (SELECT chain_id FROM chain_imports x
                       WHERE x.code = r.code AND x.hs = r.hs AND x.country = r.country)
  GROUP BY r.code, r.hs, r.country, r.start_m, c.chain_id
),
best AS (
  SELECT code, hs, country, start_m, arg_max(chain_id, share) AS chain_id,
         arg_max(chain_name, share) AS chain_name, arg_max(product, share) AS product,
         max(share) AS share, arg_max(amount, share) AS amount
  FROM shares GROUP BY ALL
)
SELECT r.*, b.chain_id, b.chain_name, b.product, b.share, b.amount,
       r.start_m + {rule.months} - 1 AS raised_m, r.start_m + {rule.months} - 1 AS grade_m,
       {columns}
FROM runs r JOIN best b USING (code, hs, country, start_m) {join}
"""
    rows = fetch_dicts(con, query)
    span = _last_month(
        con,
        f"SELECT max(year(date) * 12 + month(date) - 1) FROM {sources.customs} "
        "WHERE lower(direction) = 'import' AND amount > 0",
    )
    from chainwatch.reference.countries import country_name

    findings = []
    for row in rows:
        share = row["share"]
        dominant = share is not None and share >= rule.dominant_share
        grade = rule.dominant_grade if dominant else rule.grade
        try:
            country = country_name(row["country"])
        except Exception:  # a code missing from the shipped table: show the code
            country = row["country"]
        values = {
            "months": rule.months,
            "steady": int(row["steady"]),
            "product": row["product"],
            "hs": row["hs"],
            "country": row["country"],
            "country_name": country,
            "last_import": month_label(int(row["last_import_m"])),
            "chain": row["chain_name"],
            "share_pct": _round(100 * share, 2) if share is not None else None,
            "amount": _round(row["amount"], 2),
        }
        findings.append(
            _finding(
                rule,
                scope="firm",
                code=row["code"],
                name=row["firm_name"],
                row=row,
                grade=grade,
                values=values,
                last_month=span,
                key_detail=f"{row['hs']}|{row['country']}",
                region_code=row["region_code"],
                chain_id=row["chain_id"],
            )
        )
    return findings


# --- series rules -----------------------------------------------------------------------------


def _series_region(scope: str, code: str) -> tuple[str | None, str | None]:
    """(region_code, chain_id) of a series subject."""
    if scope in ("province", "city", "county"):
        return code, None
    return None, code.split("/")[0]


def index_below(
    con: duckdb.DuckDBPyConnection, rule: IndexBelowRule, sources: Sources
) -> list[Finding]:
    if sources.indices is None:
        return []
    scopes = ", ".join(_quote(s) for s in rule.scope)
    index = rule.index
    flagged = f"""(
SELECT scope, code, name, {month_sql("period")} AS m, {index} AS value,
       {_levels_sql(rule.levels, index)}
FROM {sources.indices}
WHERE scope IN ({scopes}) AND period NOT LIKE '%+%' AND {index} IS NOT NULL
)"""
    query = _episodes_sql(flagged, ["scope", "code"], len(rule.levels), rule.months)
    last_month = _last_month(
        con,
        f"SELECT max({month_sql('period')}) FROM {sources.indices} "
        f"WHERE scope IN ({scopes}) AND period NOT LIKE '%+%' AND {index} IS NOT NULL",
    )
    findings = []
    for row in fetch_dicts(con, query):
        level = rule.levels[int(row["level"])]
        region, chain = _series_region(row["scope"], row["code"])
        values = {
            "months": rule.months,
            "index": index,
            "index_name": INDEX_COLUMNS[index],
            "threshold": level.below,
            "value": _round(row["value"], 2),
        }
        findings.append(
            _finding(
                rule,
                scope=row["scope"],
                code=row["code"],
                name=row["name"],
                row=row,
                grade=level.grade,
                values=values,
                last_month=last_month,
                region_code=region,
                chain_id=chain,
            )
        )
    return findings


def change_points(
    con: duckdb.DuckDBPyConnection, rule: ChangePointRule, sources: Sources
) -> list[Finding]:
    if sources.indices is None:
        return []
    scopes = ", ".join(_quote(s) for s in rule.scope)
    series = con.execute(
        f"""SELECT scope, code, any_value(name) AS name,
                   list({month_sql("period")} ORDER BY period) AS months,
                   list({rule.index} ORDER BY period) AS values
            FROM {sources.indices}
            WHERE scope IN ({scopes}) AND period NOT LIKE '%+%' AND {rule.index} IS NOT NULL
            GROUP BY scope, code ORDER BY scope, code"""
    ).fetchall()
    findings = []
    for scope, code, name, months, values in series:
        changes = detect_changes(
            values, penalty=rule.penalty, min_segment=rule.min_segment, min_shift=rule.min_shift
        )
        region, chain = _series_region(scope, code)
        for change in changes:
            at = int(months[change.index])
            direction = "上升" if change.shift > 0 else "下降"
            row = {"start_m": at, "last_m": at, "raised_m": at, "grade_m": at}
            values_ = {
                "index": rule.index,
                "index_name": INDEX_COLUMNS[rule.index],
                "direction": direction,
                "before": _round(change.before, 2),
                "after": _round(change.after, 2),
                "shift": _round(change.shift, 2),
                "before_months": change.before_count,
                "after_months": change.after_count,
            }
            findings.append(
                _finding(
                    rule,
                    scope=scope,
                    code=code,
                    name=name,
                    row=row,
                    grade=rule.grade,
                    values=values_,
                    last_month=None,
                    key_detail="up" if change.shift > 0 else "down",
                    region_code=region,
                    chain_id=chain,
                )
            )
    return findings


EVALUATORS: dict[str, Any] = {
    "electricity_drop": electricity_drop,
    "sales_yoy": sales_drop,
    "import_stop": import_stop,
    "index_below": index_below,
    "change_point": change_points,
}


def evaluate(
    rules: Sequence[Any], sources: Sources, con: duckdb.DuckDBPyConnection
) -> list[Finding]:
    """Every run of every enabled rule, over the given relations."""
    findings: list[Finding] = []
    for rule in rules:
        if rule.enabled:
            findings += EVALUATORS[rule.kind](con, rule, sources)
    return findings


# --- the stored data --------------------------------------------------------------------------


def zeros_sql() -> str | None:
    """Firm-months whose sales or electricity reading is zero or less (the panel drops them)."""
    from chainwatch.ingest import batches

    try:
        source = batches.dataset_sql("indicators")
    except DataMissingError:
        return None
    return (
        "(SELECT uscc AS code, period, bool_or(sales <= 0) AS zero_sales, "
        "bool_or(electricity_kwh <= 0) AS zero_electricity "
        f"FROM {source} WHERE sales <= 0 OR electricity_kwh <= 0 GROUP BY ALL)"
    )


def key_products() -> tuple[KeyProductCode, ...]:
    from chainwatch.atlas.chains import load_chains

    codes = []
    for chain in load_chains().values():
        for segment in chain.segments:
            for product in segment.key_products:
                for hs in product.hs_codes:
                    codes.append(KeyProductCode(chain.id, chain.name, product.name, hs))
    return tuple(dict.fromkeys(codes))


def stored_sources() -> Sources:
    """The relations of the current CHAINWATCH_HOME (what is missing stays None)."""
    from chainwatch.monitor.indices import PANEL, RESULT
    from chainwatch.store import datasets

    def optional(read: Any) -> str | None:
        try:
            return str(read())
        except DataMissingError:
            return None

    from chainwatch.monitor.cube import has_cube, load_cube

    return Sources(
        cube=load_cube() if has_cube() else None,
        panel=lake.result_sql(PANEL) if lake.has_result(PANEL) else None,
        zeros=zeros_sql(),
        indices=lake.result_sql(RESULT) if lake.has_result(RESULT) else None,
        customs=optional(datasets.customs_sql),
        enterprises=optional(datasets.enterprises_sql),
        memberships=(
            lake.result_sql("firm_segments") if lake.has_result("firm_segments") else None
        ),
        key_products=key_products(),
    )


def evaluate_stored(rules: Sequence[Any]) -> list[Finding]:
    """Evaluate ``rules`` over the stored results; the indices must have been computed."""
    sources = stored_sources()
    if sources.indices is None and sources.panel is None and sources.cube is None:
        raise DataMissingError(
            "alerts need the monitoring indices; run `chainwatch run monitor` (or "
            "`chainwatch monitor compute`) first."
        )
    con = lake.connect()
    try:
        return evaluate(rules, sources, con)
    finally:
        con.close()
