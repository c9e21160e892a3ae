"""Atlas metrics per chain, segment and region, as set-based DuckDB SQL over the window.

Within a chain every firm counts once, in its main segment of that chain (``chain_main``), so
segment figures add up to the chain's. Figures (docs/atlas.md has the formulas):

  output       Σ link amounts the firm invoiced as supplier in the window (excl. VAT)
  purchases    Σ link amounts it was invoiced as customer; ``considered`` leaves out suppliers
               of the divisions in ``local_supply_exclude_divisions`` (utilities)
  imports      Σ customs imports in the window
  local_city   considered purchases from suppliers in the firm's own city; local_province the
               same for its province
  本地配套率    local_city / (considered + imports), and local_province / (considered + imports),
               summed over the firms before dividing

Only firms of the home province (the one holding most registered firms) enter the metrics.
"""

from __future__ import annotations

import duckdb

from chainwatch.atlas.settings import MetricSettings
from chainwatch.atlas.window import Window


def register_window(
    con: duckdb.DuckDBPyConnection, links: str, customs: str | None, window: Window
) -> None:
    """Temp tables ``atlas_links`` (supplier, customer, amount, invoices, months) and
    ``atlas_trade`` (uscc, direction, country, hs_code, amount, records) for the window."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE atlas_links AS
        SELECT supplier, customer, sum(amount) AS amount, sum(invoice_count) AS invoices,
               count(DISTINCT period) AS months
        FROM {links} WHERE {window.period_condition()} AND supplier <> customer
        GROUP BY supplier, customer HAVING sum(amount) > 0
        """
    )
    source = (
        f"""SELECT uscc, direction, country, hs_code, sum(amount) AS amount,
                   count(*) AS records
            FROM {customs} WHERE {window.date_condition()} AND amount > 0 GROUP BY ALL"""
        if customs
        else "SELECT NULL::VARCHAR AS uscc, NULL::VARCHAR AS direction, NULL::VARCHAR AS country,"
        " NULL::VARCHAR AS hs_code, NULL::DOUBLE AS amount, NULL::BIGINT AS records WHERE FALSE"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE atlas_trade AS {source}")


def firm_metrics_sql(enterprises: str, province: str, settings: MetricSettings) -> str:
    """``atlas_firms``: one row per (chain, firm of the home province), from the temp tables
    ``firm_segments``, ``places``, ``atlas_links`` and ``atlas_trade``. Written in SQL that
    DuckDB and Spark both read, so both engines compute the firm figures with this query."""
    excluded = ", ".join(f"'{d}'" for d in settings.local_supply_exclude_divisions) or "NULL"
    return f"""
        WITH members AS (
            SELECT f.uscc, f.chain_id, f.segment_id, p.region_code, p.city_code
            FROM firm_segments f JOIN places p ON p.uscc = f.uscc
            WHERE f.chain_main AND p.province_code = '{province}'
        ), sold AS (
            SELECT supplier AS uscc, sum(amount) AS output FROM atlas_links GROUP BY supplier
        ), flagged AS (
            SELECT a.*, coalesce(substr(e.industry_code, 1, 2) IN ({excluded}), FALSE)
                       AS utility
            FROM atlas_links a LEFT JOIN {enterprises} e ON e.uscc = a.supplier
        ), bought AS (
            SELECT l.customer AS uscc, sum(l.amount) AS purchases,
                   sum(l.amount) FILTER (WHERE NOT l.utility) AS considered,
                   sum(l.amount) FILTER (WHERE NOT l.utility AND s.city_code = c.city_code)
                       AS local_city,
                   sum(l.amount) FILTER (WHERE NOT l.utility
                                         AND s.province_code = c.province_code)
                       AS local_province
            FROM flagged l
            JOIN places s ON s.uscc = l.supplier JOIN places c ON c.uscc = l.customer
            GROUP BY l.customer
        ), imported AS (
            SELECT uscc, sum(amount) AS imports FROM atlas_trade WHERE direction = 'import'
            GROUP BY uscc
        )
        SELECT m.chain_id, m.segment_id, m.uscc, m.region_code, m.city_code,
               coalesce(s.output, 0) AS output,
               coalesce(b.purchases, 0) AS purchases,
               coalesce(b.considered, 0) AS considered,
               coalesce(i.imports, 0) AS imports,
               coalesce(b.local_city, 0) AS local_city,
               coalesce(b.local_province, 0) AS local_province
        FROM members m
        LEFT JOIN sold s ON s.uscc = m.uscc LEFT JOIN bought b ON b.uscc = m.uscc
        LEFT JOIN imported i ON i.uscc = m.uscc
    """


def build_firm_metrics(
    con: duckdb.DuckDBPyConnection, enterprises: str, province: str, settings: MetricSettings
) -> None:
    """Temp table ``atlas_firms`` (:func:`firm_metrics_sql`)."""
    query = firm_metrics_sql(enterprises, province, settings)
    con.execute(f"CREATE OR REPLACE TEMP TABLE atlas_firms AS {query}")


_SUMS = """
    count(f.uscc) AS firms, coalesce(sum(f.output), 0) AS output,
    coalesce(sum(f.purchases), 0) AS purchases, coalesce(sum(f.imports), 0) AS imports,
    coalesce(sum(f.considered) + sum(f.imports), 0) AS inputs,
    coalesce(sum(f.local_city), 0) AS local_city,
    coalesce(sum(f.local_province), 0) AS local_province
"""
_RATIOS = """
    CASE WHEN inputs > 0 THEN local_city / inputs END AS local_city_ratio,
    CASE WHEN inputs > 0 THEN local_province / inputs END AS local_province_ratio
"""


def segment_metrics_sql(province: str) -> str:
    """One row per segment of every chain, zero firms included."""
    return f"""
        WITH members AS (
            SELECT f.chain_id, f.segment_id, count(*) AS members
            FROM firm_segments f JOIN places p USING (uscc)
            WHERE p.province_code = '{province}' GROUP BY ALL
        ), sums AS (
            SELECT g.chain_id, g.segment_id, any_value(g.stage) AS stage,
                   any_value(g.chain_order) AS chain_order,
                   any_value(g.segment_order) AS segment_order, {_SUMS}
            FROM rule_segments g
            LEFT JOIN atlas_firms f USING (chain_id, segment_id)
            GROUP BY g.chain_id, g.segment_id
        )
        SELECT s.*, coalesce(m.members, 0) AS members, {_RATIOS}
        FROM sums s LEFT JOIN members m USING (chain_id, segment_id)
    """


def region_metrics_sql() -> str:
    """Per chain × segment × county and city, and per chain × county and city (segment_id
    NULL: the whole chain)."""
    parts = []
    for level, column in (("county", "region_code"), ("city", "city_code")):
        parts.append(
            f"""
            SELECT chain_id, segment_id, '{level}' AS level, {column} AS region_code, {_SUMS}
            FROM atlas_firms f
            GROUP BY GROUPING SETS ((chain_id, segment_id, {column}), (chain_id, {column}))
            """
        )
    return f"SELECT *, {_RATIOS} FROM ({' UNION ALL '.join(parts)})"


def flow_metrics_sql() -> str:
    """Supply between the segments of each chain: Σ link amounts from firms of ``source`` to
    firms of ``target``, with the defined flows of the chain kept even where nothing flowed."""
    return """
        WITH observed AS (
            SELECT s.chain_id, s.segment_id AS source, c.segment_id AS target,
                   sum(l.amount) AS amount, count(*) AS links
            FROM atlas_links l
            JOIN atlas_firms s ON s.uscc = l.supplier
            JOIN atlas_firms c ON c.uscc = l.customer AND c.chain_id = s.chain_id
            GROUP BY ALL
        )
        SELECT coalesce(o.chain_id, d.chain_id) AS chain_id,
               coalesce(o.source, d.source) AS source, coalesce(o.target, d.target) AS target,
               coalesce(o.amount, 0) AS amount, coalesce(o.links, 0) AS links,
               d.chain_id IS NOT NULL AS defined
        FROM observed o
        FULL OUTER JOIN rule_flows d USING (chain_id, source, target)
    """


def partner_metrics_sql(enterprises: str) -> str:
    """Suppliers (direction 'in') and customers ('out') of each segment, grouped by what they
    are: a segment of the same chain ('chain'), the main segment of another chain ('segment'),
    a registered firm placed nowhere, by industry division ('industry'), a firm outside the
    registry by province ('outside'), or a country of customs imports / exports ('trade')."""
    classified = f"""
        SELECT t.chain_id, t.segment_id, t.direction, t.partner, t.amount,
               CASE WHEN same.uscc IS NOT NULL THEN 'chain'
                    WHEN main.uscc IS NOT NULL THEN 'segment'
                    WHEN e.uscc IS NOT NULL THEN 'industry'
                    ELSE 'outside' END AS kind,
               CASE WHEN same.uscc IS NOT NULL THEN same.chain_id ELSE main.chain_id END
                   AS partner_chain,
               CASE WHEN same.uscc IS NOT NULL THEN same.segment_id ELSE main.segment_id END
                   AS partner_segment,
               CASE WHEN same.uscc IS NULL AND main.uscc IS NULL AND e.uscc IS NOT NULL
                        THEN substr(e.industry_code, 1, 2)
                    WHEN same.uscc IS NULL AND main.uscc IS NULL THEN p.province_code
               END AS code
        FROM (
            SELECT f.chain_id, f.segment_id, 'in' AS direction, l.supplier AS partner, l.amount
            FROM atlas_links l JOIN atlas_firms f ON f.uscc = l.customer
            UNION ALL
            SELECT f.chain_id, f.segment_id, 'out', l.customer, l.amount
            FROM atlas_links l JOIN atlas_firms f ON f.uscc = l.supplier
        ) t
        LEFT JOIN atlas_firms same ON same.uscc = t.partner AND same.chain_id = t.chain_id
        LEFT JOIN (SELECT uscc, chain_id, segment_id FROM firm_segments WHERE main) main
               ON main.uscc = t.partner
        LEFT JOIN {enterprises} e ON e.uscc = t.partner
        LEFT JOIN places p ON p.uscc = t.partner
    """
    return f"""
        SELECT chain_id, segment_id, direction, kind, partner_chain, partner_segment, code,
               sum(amount) AS amount, count(DISTINCT partner) AS partners
        FROM ({classified}) GROUP BY ALL
        UNION ALL
        SELECT f.chain_id, f.segment_id,
               CASE t.direction WHEN 'import' THEN 'in' ELSE 'out' END, 'trade', NULL, NULL,
               t.country, sum(t.amount), count(DISTINCT t.uscc)
        FROM atlas_trade t JOIN atlas_firms f USING (uscc)
        GROUP BY ALL
    """
