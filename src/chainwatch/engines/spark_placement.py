"""Placing firms in chain segments on Spark: the rules of chainwatch.atlas.placement written in
Spark SQL (the points, thresholds, overrides and main segments are the same; docs/atlas.md).

Reads the temp views ``enterprises``, ``invoices`` and ``customs`` (where loaded), the rule
views (``rule_*``) and ``atlas_overrides``; leaves the view ``atlas_candidates`` and the
materialised tables ``atlas_sales``, ``atlas_industry``, ``atlas_scores``, ``firm_segments``
and ``unplaced`` (chainwatch.engines.spark_engine.Workspace) for the metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainwatch.atlas.placement import EVIDENCE
from chainwatch.atlas.settings import PlacementSettings

if TYPE_CHECKING:
    from chainwatch.engines.spark_engine import Workspace

# The 品名 after the tax category *简称* (see chainwatch.atlas.placement.ITEM_NAME); [*] instead
# of \* because Spark SQL string literals treat the backslash as an escape.
ITEM_NAME = "regexp_replace(product, '^[*][^*]*[*]', '')"


def _in_list(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values) or "NULL"


def _industry_sql(s: PlacementSettings) -> str:
    def level_points(code: str) -> str:
        return (
            f"CASE length({code}) WHEN 4 THEN {s.industry_class} WHEN 3 THEN {s.industry_group} "
            f"ELSE {s.industry_division} END"
        )

    return f"""
        SELECT f.uscc, r.chain_id, r.segment_id, 'industry' AS kind,
               max(CASE
                   WHEN startswith(f.code, r.code) THEN {level_points("r.code")}
                   WHEN startswith(r.code, f.code) THEN {level_points("f.code")}
                   WHEN length(r.code) = 4 AND length(f.code) = 4
                        AND substr(f.code, 1, 3) = substr(r.code, 1, 3)
                   THEN {s.industry_neighbour}
                   ELSE 0 END) AS points,
               bool_or(startswith(f.code, r.code) OR startswith(r.code, f.code)) AS direct
        FROM atlas_candidates f
        JOIN rule_industries r ON substr(f.code, 1, 2) = substr(r.code, 1, 2)
        GROUP BY f.uscc, r.chain_id, r.segment_id
    """


def _evidence_sql(s: PlacementSettings, has_customs: bool) -> list[str]:
    scope = f"""
        SELECT f.uscc, k.chain_id, k.segment_id, 'scope' AS kind,
               least({s.scope_cap}, count(DISTINCT k.keyword) * {s.scope_keyword}) AS points
        FROM atlas_candidates f JOIN rule_keywords k ON contains(f.scope, k.keyword)
        GROUP BY f.uscc, k.chain_id, k.segment_id
    """
    products = f"""
        WITH items AS (SELECT DISTINCT item FROM atlas_sales),
        matched AS (
            SELECT DISTINCT i.item, k.chain_id, k.segment_id
            FROM items i JOIN rule_keywords k ON contains(i.item, k.keyword)
        ), totals AS (SELECT uscc, sum(amount) AS total FROM atlas_sales GROUP BY uscc)
        SELECT a.uscc, m.chain_id, m.segment_id, 'products' AS kind,
               {s.products} * sum(a.amount) / any_value(t.total) AS points
        FROM atlas_sales a JOIN matched m ON m.item = a.item JOIN totals t ON t.uscc = a.uscc
        GROUP BY a.uscc, m.chain_id, m.segment_id
    """
    parts = ["SELECT uscc, chain_id, segment_id, kind, points FROM atlas_industry", scope, products]
    if not has_customs:
        return parts
    trade = """
        (SELECT uscc, direction, hs_code, sum(amount) AS amount FROM customs
         WHERE uscc IN (SELECT uscc FROM atlas_candidates) AND amount > 0
         GROUP BY uscc, direction, hs_code)
    """
    exports = f"""
        WITH trade AS (SELECT * FROM {trade} WHERE direction = 'export'),
        totals AS (SELECT uscc, sum(amount) AS total FROM trade GROUP BY uscc),
        matched AS (
            SELECT DISTINCT t.uscc, t.hs_code, t.amount, h.chain_id, h.segment_id
            FROM trade t JOIN rule_hs h ON startswith(t.hs_code, h.hs)
        )
        SELECT m.uscc, m.chain_id, m.segment_id, 'exports' AS kind,
               {s.exports} * sum(m.amount) / any_value(o.total) AS points
        FROM matched m JOIN totals o ON o.uscc = m.uscc
        GROUP BY m.uscc, m.chain_id, m.segment_id
    """
    imports = f"""
        WITH trade AS (SELECT * FROM {trade} WHERE direction = 'import'),
        totals AS (SELECT uscc, sum(amount) AS total FROM trade GROUP BY uscc),
        matched AS (
            SELECT DISTINCT t.uscc, t.hs_code, t.amount, f.chain_id, f.target AS segment_id
            FROM trade t JOIN rule_hs h ON startswith(t.hs_code, h.hs)
            JOIN rule_flows f ON f.chain_id = h.chain_id AND f.source = h.segment_id
        )
        SELECT m.uscc, m.chain_id, m.segment_id, 'imports' AS kind,
               {s.imports} * sum(m.amount) / any_value(o.total) AS points
        FROM matched m JOIN totals o ON o.uscc = m.uscc
        GROUP BY m.uscc, m.chain_id, m.segment_id
    """
    return [*parts, exports, imports]


def _scores_sql(s: PlacementSettings, parts: list[str]) -> str:
    points = ",\n".join(
        f"sum(points) FILTER (WHERE kind = '{kind}') AS {kind}_points" for kind in EVIDENCE
    )
    evidence_columns = ", ".join(f"s.{kind}_points" for kind in EVIDENCE)
    return f"""
        WITH evidence AS ({" UNION ALL ".join(f"({p})" for p in parts)}),
        excluded AS (
            SELECT DISTINCT f.uscc, x.chain_id, x.segment_id
            FROM atlas_candidates f JOIN rule_excludes x ON contains(f.scope, x.keyword)
            UNION
            SELECT DISTINCT a.uscc, x.chain_id, x.segment_id
            FROM atlas_sales a JOIN rule_excludes x ON contains(a.item, x.keyword)
        ), scored AS (
            SELECT uscc, chain_id, segment_id, sum(points) AS points, {points}
            FROM evidence WHERE points > 0 GROUP BY uscc, chain_id, segment_id
        ), flagged AS (
            SELECT s.*, x.uscc IS NOT NULL AND NOT coalesce(i.direct, FALSE) AS penalised
            FROM scored s
            LEFT JOIN excluded x
                   ON x.uscc = s.uscc AND x.chain_id = s.chain_id AND x.segment_id = s.segment_id
            LEFT JOIN atlas_industry i
                   ON i.uscc = s.uscc AND i.chain_id = s.chain_id AND i.segment_id = s.segment_id
        )
        SELECT s.uscc, s.chain_id, s.segment_id, {evidence_columns},
               s.points - CASE WHEN s.penalised THEN {s.exclude_penalty} ELSE 0 END AS score,
               s.penalised AS excluded_by_keyword
        FROM flagged s
    """


def _firm_segments_sql(s: PlacementSettings) -> str:
    trade = _in_list(s.trade_divisions)
    columns = ", ".join(f"coalesce(s.{k}_points, 0) AS {k}_points" for k in EVIDENCE)
    return f"""
        WITH traders AS (
            SELECT uscc FROM atlas_candidates WHERE substr(code, 1, 2) IN ({trade})
        ), trading_segments AS (
            SELECT DISTINCT chain_id, segment_id FROM rule_industries
            WHERE substr(code, 1, 2) IN ({trade})
        ), eligible AS (
            SELECT s.*, max(s.score) OVER (PARTITION BY s.uscc) AS best FROM atlas_scores s
            WHERE s.uscc NOT IN (SELECT uscc FROM traders)
               OR (s.chain_id, s.segment_id) IN (SELECT chain_id, segment_id
                                                 FROM trading_segments)
        ), by_rules AS (
            SELECT uscc, chain_id, segment_id FROM eligible
            WHERE score >= {s.min_score} AND score >= {s.relative_score} * best
        ), added AS (
            SELECT o.uscc, o.chain_id, o.segment_id, min(o.line) AS line,
                   bool_or(o.action = 'main') AS main_override
            FROM atlas_overrides o JOIN atlas_candidates f ON f.uscc = o.uscc
            WHERE o.action IN ('add', 'main') GROUP BY o.uscc, o.chain_id, o.segment_id
        ), removed AS (
            SELECT uscc, chain_id, segment_id FROM atlas_overrides WHERE action = 'exclude'
        ), placed AS (
            SELECT uscc, chain_id, segment_id FROM by_rules UNION SELECT uscc, chain_id, segment_id
            FROM added
        ), kept AS (
            SELECT p.* FROM placed p
            LEFT ANTI JOIN removed r
                 ON r.uscc = p.uscc AND r.chain_id = p.chain_id
                AND (r.segment_id IS NULL OR r.segment_id = p.segment_id)
        ), ranked AS (
            SELECT k.uscc, k.chain_id, k.segment_id, coalesce(s.score, 0) AS score, {columns},
                   CASE WHEN a.uscc IS NULL THEN 'rules' ELSE 'override' END AS source,
                   coalesce(a.main_override, FALSE) AS main_override, a.line AS override_row,
                   g.chain_order, g.segment_order
            FROM kept k
            JOIN rule_segments g ON g.chain_id = k.chain_id AND g.segment_id = k.segment_id
            LEFT JOIN atlas_scores s
                   ON s.uscc = k.uscc AND s.chain_id = k.chain_id AND s.segment_id = k.segment_id
            LEFT JOIN added a
                   ON a.uscc = k.uscc AND a.chain_id = k.chain_id AND a.segment_id = k.segment_id
        )
        SELECT uscc, chain_id, segment_id, score,
               {", ".join(f"{k}_points" for k in EVIDENCE)}, source,
               row_number() OVER (
                   PARTITION BY uscc, chain_id
                   ORDER BY main_override DESC, score DESC, segment_order
               ) = 1 AS chain_main,
               row_number() OVER (
                   PARTITION BY uscc
                   ORDER BY main_override DESC, override_row ASC NULLS LAST, score DESC,
                            chain_order, segment_order
               ) = 1 AS main
        FROM ranked
    """


UNPLACED_SQL = f"""
    WITH industrial AS (
        SELECT DISTINCT uscc, chain_id FROM atlas_industry WHERE direct
    ), open AS (
        SELECT i.* FROM industrial i
        LEFT ANTI JOIN firm_segments f ON f.uscc = i.uscc AND f.chain_id = i.chain_id
        LEFT ANTI JOIN (SELECT * FROM atlas_overrides WHERE action = 'exclude') o
             ON o.uscc = i.uscc AND o.chain_id = i.chain_id
    ), candidates AS (
        SELECT s.uscc, s.chain_id, s.segment_id, s.score,
               {", ".join(f"coalesce(s.{k}_points, 0) AS {k}_points" for k in EVIDENCE)},
               s.excluded_by_keyword,
               row_number() OVER (
                   PARTITION BY s.uscc, s.chain_id ORDER BY s.score DESC, g.segment_order
               ) AS position
        FROM open o
        JOIN atlas_scores s ON s.uscc = o.uscc AND s.chain_id = o.chain_id
        JOIN rule_segments g ON g.chain_id = s.chain_id AND g.segment_id = s.segment_id
    )
    SELECT uscc, chain_id, segment_id, score,
           {", ".join(f"{k}_points" for k in EVIDENCE)}, excluded_by_keyword
    FROM candidates WHERE position = 1
"""


def place_firms(
    work: Workspace, settings: PlacementSettings, has_invoices: bool, has_customs: bool
) -> None:
    """Materialise ``atlas_sales``, ``atlas_industry``, ``atlas_scores``, ``firm_segments`` and
    ``unplaced`` in ``work``; the driver counts them (chainwatch.atlas.placement)."""
    work.view(
        "atlas_candidates",
        "SELECT uscc, coalesce(industry_code, '') AS code, coalesce(business_scope, '') AS scope "
        "FROM enterprises",
    )
    sales = (
        f"""SELECT seller AS uscc, product, {ITEM_NAME} AS item, sum(amount) AS amount
            FROM invoices
            WHERE seller IN (SELECT uscc FROM atlas_candidates) AND product IS NOT NULL
            GROUP BY seller, product HAVING sum(amount) > 0"""
        if has_invoices
        else "SELECT CAST(NULL AS STRING) AS uscc, CAST(NULL AS STRING) AS product, "
        "CAST(NULL AS STRING) AS item, CAST(NULL AS DOUBLE) AS amount WHERE FALSE"
    )
    work.materialise("atlas_sales", sales)
    work.materialise("atlas_industry", _industry_sql(settings))
    work.materialise("atlas_scores", _scores_sql(settings, _evidence_sql(settings, has_customs)))
    work.materialise("firm_segments", _firm_segments_sql(settings))
    work.materialise("unplaced", UNPLACED_SQL)
