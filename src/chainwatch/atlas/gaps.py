"""Missing and weak segments (缺链 / 弱链) and key products bought only abroad: 补链 candidates.

A segment is
  missing (缺链)  when no firm of the province sits in it;
  weak (弱链)     when fewer than ``weak_min_firms`` firms sit in it (reason ``few_firms``), or
                  when it bought at least ``min_inputs`` yuan in the window and the province
                  supplied less than ``weak_local_supply`` of that (reason ``low_local_supply``).
A key product of a segment is a 补链 candidate when the province imports it (HS codes of the
key product) and no firm of the province makes it: none sells it under that name on its
invoices and none exports those HS codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from chainwatch.atlas.chains import Chain
from chainwatch.atlas.rules import core_name
from chainwatch.atlas.settings import GapSettings


def segment_status_sql(segments_sql: str, s: GapSettings) -> str:
    few = f"firms > 0 AND firms < {s.weak_min_firms}"
    low = (
        f"firms > 0 AND inputs >= {s.min_inputs} "
        f"AND coalesce(local_province_ratio, 0) < {s.weak_local_supply}"
    )
    return f"""
        SELECT *,
               CASE WHEN firms = 0 THEN 'missing'
                    WHEN ({few}) OR ({low}) THEN 'weak' ELSE 'ok' END AS status,
               list_filter(
                   [CASE WHEN firms = 0 THEN 'no_firms' END,
                    CASE WHEN {few} THEN 'few_firms' END,
                    CASE WHEN {low} THEN 'low_local_supply' END],
                   lambda x: x IS NOT NULL) AS reasons
        FROM ({segments_sql})
    """


def register_products(con: duckdb.DuckDBPyConnection, chains: Mapping[str, Chain]) -> None:
    """``rule_products(chain_id, segment_id, product, core, bottleneck, hs)``; ``core`` is the
    name as invoices carry it; hs NULL for a key product without HS codes."""
    rows: list[tuple[str, str, str, str, bool, str | None]] = []
    for chain in chains.values():
        for segment in chain.segments:
            for product in segment.key_products:
                for hs in product.hs_codes or (None,):
                    rows.append(
                        (
                            chain.id,
                            segment.id,
                            product.name,
                            core_name(product.name),
                            product.bottleneck,
                            hs,
                        )
                    )
    con.register(
        "rule_products",
        pa.table(
            {
                "chain_id": pa.array([r[0] for r in rows], pa.string()),
                "segment_id": pa.array([r[1] for r in rows], pa.string()),
                "product": pa.array([r[2] for r in rows], pa.string()),
                "core": pa.array([r[3] for r in rows], pa.string()),
                "bottleneck": pa.array([r[4] for r in rows], pa.bool_()),
                "hs": pa.array([r[5] for r in rows], pa.string()),
            }
        ),
    )


def key_products_sql(province: str) -> str:
    """Per key product: imports of the province's firms in the window (by HS code), the
    largest source country and its share, and how many firms of the province make it."""
    return f"""
        WITH products AS (
            SELECT chain_id, segment_id, product, bool_or(bottleneck) AS bottleneck,
                   list(hs ORDER BY hs) FILTER (WHERE hs IS NOT NULL) AS hs_codes
            FROM rule_products GROUP BY ALL
        ), home_trade AS (
            SELECT t.* FROM atlas_trade t JOIN places p USING (uscc)
            WHERE p.province_code = '{province}'
        ), matched AS (
            SELECT DISTINCT r.chain_id, r.segment_id, r.product, t.direction, t.uscc,
                   t.country, t.hs_code, t.amount
            FROM home_trade t JOIN rule_products r ON starts_with(t.hs_code, r.hs)
        ), by_country AS (
            SELECT chain_id, segment_id, product, country, sum(amount) AS amount
            FROM matched WHERE direction = 'import' GROUP BY ALL
        ), imports AS (
            SELECT chain_id, segment_id, product, sum(amount) AS imports,
                   count(*) AS countries, arg_max(country, amount) AS top_country,
                   max(amount) / sum(amount) AS top_country_share
            FROM by_country GROUP BY ALL
        ), importers AS (
            SELECT chain_id, segment_id, product, count(DISTINCT uscc) AS importers
            FROM matched WHERE direction = 'import' GROUP BY ALL
        ), makers AS (
            SELECT chain_id, segment_id, product, count(DISTINCT uscc) AS makers FROM (
                SELECT r.chain_id, r.segment_id, r.product, a.uscc
                FROM (SELECT DISTINCT chain_id, segment_id, product, core FROM rule_products) r
                JOIN atlas_sales a ON contains(a.item, r.core)
                JOIN places p ON p.uscc = a.uscc AND p.province_code = '{province}'
                UNION
                SELECT chain_id, segment_id, product, uscc FROM matched
                WHERE direction = 'export'
            ) GROUP BY ALL
        )
        SELECT p.chain_id, p.segment_id, p.product, p.bottleneck,
               coalesce(p.hs_codes, []) AS hs_codes,
               coalesce(i.imports, 0) AS imports, coalesce(n.importers, 0) AS importers,
               coalesce(i.countries, 0) AS countries, i.top_country, i.top_country_share,
               coalesce(m.makers, 0) AS makers,
               coalesce(i.imports, 0) > 0 AND coalesce(m.makers, 0) = 0 AS import_only
        FROM products p
        LEFT JOIN imports i USING (chain_id, segment_id, product)
        LEFT JOIN importers n USING (chain_id, segment_id, product)
        LEFT JOIN makers m USING (chain_id, segment_id, product)
    """
