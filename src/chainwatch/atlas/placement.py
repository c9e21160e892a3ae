"""Placing firms in chain segments: rule points, thresholds, then the manual overrides.

Every firm earns points towards every segment (see docs/atlas.md for the weights):

  industry   its GB/T 4754 code against the segment's codes: same class, group or division
             (whichever level the segment lists), or a neighbouring class of the same group;
  scope      keywords of the segment (and names of its key products) in its 经营范围;
  products   the share of its own invoiced sales whose product names carry such a keyword;
  exports    the share of its exports whose HS codes are the segment's;
  imports    the share of its imports whose HS codes belong to a segment that supplies this
             one (weak evidence of what it makes from them).

An exclude keyword of the segment in the firm's scope or product names costs
``exclude_penalty`` points, unless the firm's industry code falls under one the segment
lists: exclude keywords keep traders and retailers of the segment's products out, and a firm
registered in the segment's own industry is neither. A firm sits in a segment when its points
reach ``min_score`` and ``relative_score`` times its best points in any segment, so a firm
belongs to several segments or chains only where the evidence for them is comparably strong.
Firms of the trade divisions (批发业 51, 零售业 52) resell what they invoice, so the rules put
them only in segments that list a code of those divisions (e.g. 医药流通). Then the override
list applies: 排除 removes, 加入 adds, 主环节 adds and makes the segment the
firm's main one. Each firm has one main segment per chain (``chain_main``) and one overall
(``main``). Everything runs as set-based DuckDB SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from chainwatch.atlas.chains import Chain
from chainwatch.atlas.overrides import OverrideList
from chainwatch.atlas.rules import register_rules
from chainwatch.atlas.settings import PlacementSettings

EVIDENCE = ("industry", "scope", "products", "exports", "imports")
# An invoice product name is written *简称*品名; keywords are matched against the 品名 so that
# the tax category (e.g. *集成电路*) does not place every seller of the category everywhere.
# [*] rather than \* so the same text works in Spark SQL, whose string literals treat the
# backslash as an escape.
ITEM_NAME = "regexp_replace(product, '^[*][^*]*[*]', '')"


@dataclass(frozen=True)
class Sources:
    """SQL of the inputs: the registry snapshot, and invoices and customs when loaded."""

    enterprises: str
    invoices: str | None = None
    customs: str | None = None


# The evidence queries (industry_sql, scope_sql, products_sql, trade_sql) are written in SQL
# that DuckDB and Spark both read (explicit GROUP BY lists, ON joins, prefixes compared with
# substr), so the Spark engine runs the very same queries.


def _starts(text: str, prefix: str) -> str:
    return f"substr({text}, 1, length({prefix})) = {prefix}"


def industry_sql(s: PlacementSettings) -> str:
    def level_points(code: str) -> str:
        return (
            f"CASE length({code}) WHEN 4 THEN {s.industry_class} WHEN 3 THEN {s.industry_group} "
            f"ELSE {s.industry_division} END"
        )

    return f"""
        SELECT f.uscc, r.chain_id, r.segment_id, 'industry' AS kind,
               max(CASE
                   WHEN {_starts("f.code", "r.code")} THEN {level_points("r.code")}
                   WHEN {_starts("r.code", "f.code")} THEN {level_points("f.code")}
                   WHEN length(r.code) = 4 AND length(f.code) = 4
                        AND substr(f.code, 1, 3) = substr(r.code, 1, 3)
                   THEN {s.industry_neighbour}
                   ELSE 0 END) AS points,
               bool_or({_starts("f.code", "r.code")} OR {_starts("r.code", "f.code")})
                   AS direct
        FROM atlas_candidates f
        JOIN rule_industries r ON substr(f.code, 1, 2) = substr(r.code, 1, 2)
        GROUP BY f.uscc, r.chain_id, r.segment_id
    """


def scope_sql(s: PlacementSettings) -> str:
    return f"""
        SELECT f.uscc, k.chain_id, k.segment_id, 'scope' AS kind,
               least({s.scope_cap}, count(DISTINCT k.keyword) * {s.scope_keyword}) AS points
        FROM atlas_candidates f JOIN rule_keywords k ON contains(f.scope, k.keyword)
        GROUP BY f.uscc, k.chain_id, k.segment_id
    """


def _register_sales(con: duckdb.DuckDBPyConnection, invoices: str | None) -> None:
    if invoices is None:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE atlas_sales "
            "(uscc VARCHAR, product VARCHAR, item VARCHAR, amount DOUBLE)"
        )
        return
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE atlas_sales AS
        SELECT seller AS uscc, product, {ITEM_NAME} AS item, sum(amount) AS amount
        FROM {invoices}
        WHERE seller IN (SELECT uscc FROM atlas_candidates) AND product IS NOT NULL
        GROUP BY ALL HAVING sum(amount) > 0
        """
    )


def products_sql(s: PlacementSettings) -> str:
    return f"""
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


def trade_sql(s: PlacementSettings, customs: str | None) -> list[str]:
    if customs is None:
        return []
    trade = f"""
        (SELECT uscc, direction, hs_code, sum(amount) AS amount FROM {customs}
         WHERE uscc IN (SELECT uscc FROM atlas_candidates) AND amount > 0
         GROUP BY uscc, direction, hs_code)
    """
    exports = f"""
        WITH trade AS (SELECT * FROM {trade} WHERE direction = 'export'),
        totals AS (SELECT uscc, sum(amount) AS total FROM trade GROUP BY uscc),
        matched AS (
            SELECT DISTINCT t.uscc, t.hs_code, t.amount, h.chain_id, h.segment_id
            FROM trade t JOIN rule_hs h ON {_starts("t.hs_code", "h.hs")}
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
            FROM trade t JOIN rule_hs h ON {_starts("t.hs_code", "h.hs")}
            JOIN rule_flows f ON f.chain_id = h.chain_id AND f.source = h.segment_id
        )
        SELECT m.uscc, m.chain_id, m.segment_id, 'imports' AS kind,
               {s.imports} * sum(m.amount) / any_value(o.total) AS points
        FROM matched m JOIN totals o ON o.uscc = m.uscc
        GROUP BY m.uscc, m.chain_id, m.segment_id
    """
    return [exports, imports]


def register_overrides(con: duckdb.DuckDBPyConnection, overrides: OverrideList) -> None:
    rows = overrides.rows
    con.register(
        "atlas_overrides",
        pa.table(
            {
                "row": pa.array([r.row for r in rows], pa.int64()),
                "uscc": pa.array([r.uscc for r in rows], pa.string()),
                "chain_id": pa.array([r.chain_id for r in rows], pa.string()),
                "segment_id": pa.array([r.segment_id for r in rows], pa.string()),
                "action": pa.array([r.action for r in rows], pa.string()),
            }
        ),
    )


def place_firms(
    con: duckdb.DuckDBPyConnection,
    chains: Mapping[str, Chain],
    sources: Sources,
    settings: PlacementSettings,
    overrides: OverrideList,
) -> dict[str, int]:
    """Create the temp tables ``firm_segments`` and ``unplaced``; return counts."""
    register_rules(con, chains)
    register_overrides(con, overrides)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE atlas_candidates AS
        SELECT uscc, coalesce(industry_code, '') AS code, coalesce(business_scope, '') AS scope
        FROM {sources.enterprises}
        """
    )
    _register_sales(con, sources.invoices)
    con.execute(f"CREATE OR REPLACE TEMP TABLE atlas_industry AS {industry_sql(settings)}")
    parts = [
        "SELECT uscc, chain_id, segment_id, kind, points FROM atlas_industry",
        scope_sql(settings),
        products_sql(settings),
    ]
    parts += trade_sql(settings, sources.customs)
    points = ",\n".join(
        f"sum(points) FILTER (WHERE kind = '{kind}') AS {kind}_points" for kind in EVIDENCE
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE atlas_scores AS
        WITH evidence AS ({" UNION ALL ".join(f"({p})" for p in parts)}),
        excluded AS (
            SELECT DISTINCT f.uscc, x.chain_id, x.segment_id
            FROM atlas_candidates f JOIN rule_excludes x ON contains(f.scope, x.keyword)
            UNION
            SELECT DISTINCT a.uscc, x.chain_id, x.segment_id
            FROM atlas_sales a JOIN rule_excludes x ON contains(a.item, x.keyword)
        ), scored AS (
            SELECT uscc, chain_id, segment_id, sum(points) AS points, {points}
            FROM evidence WHERE points > 0 GROUP BY ALL
        )
        SELECT s.* EXCLUDE (points),
               s.points - CASE WHEN penalised THEN {settings.exclude_penalty} ELSE 0 END
                   AS score,
               penalised AS excluded_by_keyword
        FROM (
            SELECT s.*, x.uscc IS NOT NULL AND NOT coalesce(i.direct, FALSE) AS penalised
            FROM scored s LEFT JOIN excluded x USING (uscc, chain_id, segment_id)
            LEFT JOIN atlas_industry i USING (uscc, chain_id, segment_id)
        ) s
        """
    )
    _combine(con, settings)
    return placement_counts(con, overrides)


def _combine(con: duckdb.DuckDBPyConnection, s: PlacementSettings) -> None:
    trade = ", ".join(f"'{d}'" for d in s.trade_divisions) or "NULL"
    columns = ", ".join(f"coalesce(s.{k}_points, 0) AS {k}_points" for k in EVIDENCE)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE firm_segments AS
        WITH traders AS (
            SELECT uscc FROM atlas_candidates WHERE substr(code, 1, 2) IN ({trade})
        ), trading_segments AS (
            SELECT DISTINCT chain_id, segment_id FROM rule_industries
            WHERE substr(code, 1, 2) IN ({trade})
        ), eligible AS (
            SELECT s.*, max(s.score) OVER (PARTITION BY s.uscc) AS best FROM atlas_scores s
            WHERE s.uscc NOT IN (SELECT uscc FROM traders)
               OR (s.chain_id, s.segment_id) IN (SELECT * FROM trading_segments)
        ), by_rules AS (
            SELECT uscc, chain_id, segment_id FROM eligible
            WHERE score >= {s.min_score} AND score >= {s.relative_score} * best
        ), added AS (
            SELECT o.uscc, o.chain_id, o.segment_id, min(o.row) AS row,
                   bool_or(o.action = 'main') AS main_override
            FROM atlas_overrides o JOIN atlas_candidates f USING (uscc)
            WHERE o.action IN ('add', 'main') GROUP BY ALL
        ), removed AS (
            SELECT uscc, chain_id, segment_id FROM atlas_overrides WHERE action = 'exclude'
        ), placed AS (
            SELECT uscc, chain_id, segment_id FROM by_rules UNION SELECT uscc, chain_id, segment_id
            FROM added
        ), kept AS (
            SELECT p.* FROM placed p
            WHERE NOT EXISTS (
                SELECT 1 FROM removed r
                WHERE r.uscc = p.uscc AND r.chain_id = p.chain_id
                  AND (r.segment_id IS NULL OR r.segment_id = p.segment_id)
            )
        ), ranked AS (
            SELECT k.uscc, k.chain_id, k.segment_id, coalesce(s.score, 0) AS score, {columns},
                   CASE WHEN a.uscc IS NULL THEN 'rules' ELSE 'override' END AS source,
                   coalesce(a.main_override, FALSE) AS main_override, a.row AS override_row,
                   g.chain_order, g.segment_order
            FROM kept k
            JOIN rule_segments g USING (chain_id, segment_id)
            LEFT JOIN atlas_scores s USING (uscc, chain_id, segment_id)
            LEFT JOIN added a USING (uscc, chain_id, segment_id)
        )
        SELECT uscc, chain_id, segment_id, score,
               {", ".join(f"{k}_points" for k in EVIDENCE)}, source,
               row_number() OVER (
                   PARTITION BY uscc, chain_id
                   ORDER BY main_override DESC, score DESC, segment_order
               ) = 1 AS chain_main,
               row_number() OVER (
                   PARTITION BY uscc
                   ORDER BY main_override DESC, override_row NULLS LAST, score DESC,
                            chain_order, segment_order
               ) = 1 AS main
        FROM ranked
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE unplaced AS
        WITH industrial AS (
            SELECT DISTINCT uscc, chain_id FROM atlas_industry WHERE direct
        ), open AS (
            SELECT i.* FROM industrial i
            WHERE NOT EXISTS (SELECT 1 FROM firm_segments f
                              WHERE f.uscc = i.uscc AND f.chain_id = i.chain_id)
              AND NOT EXISTS (SELECT 1 FROM atlas_overrides o WHERE o.action = 'exclude'
                              AND o.uscc = i.uscc AND o.chain_id = i.chain_id)
        )
        SELECT s.uscc, s.chain_id, s.segment_id, s.score,
               {", ".join(f"coalesce(s.{k}_points, 0) AS {k}_points" for k in EVIDENCE)},
               s.excluded_by_keyword
        FROM open o JOIN atlas_scores s USING (uscc, chain_id)
        JOIN rule_segments g USING (chain_id, segment_id)
        QUALIFY row_number() OVER (
            PARTITION BY s.uscc, s.chain_id ORDER BY s.score DESC, g.segment_order
        ) = 1
        """
    )


def placement_counts(con: duckdb.DuckDBPyConnection, overrides: OverrideList) -> dict[str, int]:
    placed, firms, by_override = con.execute(
        "SELECT count(*), count(DISTINCT uscc), count(*) FILTER (WHERE source = 'override') "
        "FROM firm_segments"
    ).fetchall()[0]
    unplaced = con.execute("SELECT count(*) FROM unplaced").fetchall()[0][0]
    unknown = con.execute(
        "SELECT count(DISTINCT uscc) FROM atlas_overrides "
        "WHERE uscc NOT IN (SELECT uscc FROM atlas_candidates)"
    ).fetchall()[0][0]
    return {
        "placements": int(placed),
        "placed_firms": int(firms),
        "override_placements": int(by_override),
        "unplaced": int(unplaced),
        "overrides": len(overrides.rows),
        "override_firms_not_in_registry": int(unknown),
    }
