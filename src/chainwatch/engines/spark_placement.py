"""Placing firms in chain segments on Spark: the rules of chainwatch.atlas.placement written in
Spark SQL (the points, thresholds, overrides and main segments are the same; docs/atlas.md).

Reads the temp views ``enterprises``, ``invoices`` and ``customs`` (where loaded), the rule
views (``rule_*``) and ``atlas_overrides``; leaves the view ``atlas_candidates`` and the
materialised tables ``atlas_sales``, ``atlas_industry``, ``atlas_scores``, ``firm_segments``
and ``unplaced`` (chainwatch.engines.spark_engine.Workspace) for the metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainwatch.atlas.placement import (
    EVIDENCE,
    ITEM_NAME,
    industry_sql,
    products_sql,
    scope_sql,
    trade_sql,
)
from chainwatch.atlas.settings import PlacementSettings

if TYPE_CHECKING:
    from chainwatch.engines.spark_engine import Workspace


def _in_list(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values) or "NULL"


def _evidence_sql(s: PlacementSettings, has_customs: bool) -> list[str]:
    """The evidence queries of chainwatch.atlas.placement (written for both dialects)."""
    industry = "SELECT uscc, chain_id, segment_id, kind, points FROM atlas_industry"
    return [
        industry,
        scope_sql(s),
        products_sql(s),
        *trade_sql(s, "customs" if has_customs else None),
    ]


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
    work.materialise("atlas_industry", industry_sql(settings))
    work.materialise("atlas_scores", _scores_sql(settings, _evidence_sql(settings, has_customs)))
    work.materialise("firm_segments", _firm_segments_sql(settings))
    work.materialise("unplaced", UNPLACED_SQL)
