"""The atlas on Spark: the computation of chainwatch.atlas.stage, split where the data shrinks.

On Spark (executors), every join and aggregation over all firms, invoice lines, customs records
or links: where every firm and link party is (``places``), the placement of every firm
(chainwatch.engines.spark_placement), the window's links and customs records, each placed
firm's output, purchases, imports and local supply (``atlas_firms``), the links inside each
chain, the partners of each segment, and the customs records and invoice lines that mention a
key product.

On the driver, with the DuckDB engine's own code over the tables Spark made: the counts of
placement, the home province and the window, PageRank (the chains' internal links are a small
part of the province's), the ranks and key firms, the segment, region and flow figures,
缺链/弱链 status and the key products. Running the same code on the same tables is what makes
both engines give the same atlas (docs/spark.md).

Spark hands its tables over as Parquet files in the lake's staging area
(chainwatch.engines.spark_engine.Workspace); the results are written to the lake as DuckDB
writes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from chainwatch.atlas.gaps import register_products
from chainwatch.atlas.metrics import (
    firm_metrics_sql,
    partner_metrics_sql,
)
from chainwatch.atlas.placement import placement_counts, register_overrides
from chainwatch.atlas.places import MUNICIPALITY_PREFIXES, home_province, region_table
from chainwatch.atlas.rules import register_rules
from chainwatch.atlas.stage import write_results
from chainwatch.atlas.window import Window, latest_period, resolve_window
from chainwatch.engines.base import AtlasJob, AtlasOutcome
from chainwatch.engines.duckdb_engine import quote
from chainwatch.engines.spark_engine import Workspace, from_arrow, read_parquet
from chainwatch.engines.spark_placement import place_firms
from chainwatch.store import lake

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from chainwatch.atlas.overrides import OverrideList

RULE_VIEWS = (
    "rule_segments",
    "rule_industries",
    "rule_keywords",
    "rule_excludes",
    "rule_hs",
    "rule_flows",
    "rule_products",
)
# The driver's DuckDB view → the Spark table it reads. The driver needs only the links inside
# the chains, and only the customs records and invoice lines that mention a key product; the
# DuckDB queries that read them look at nothing else, so they give what they give over the
# full tables.
HANDED_OVER = {
    "places": "places",
    "firm_segments": "firm_segments",
    "unplaced": "unplaced",
    "atlas_firms": "atlas_firms",
    "atlas_links": "atlas_chain_links",
    "atlas_trade": "atlas_product_trade",
    "atlas_sales": "atlas_product_sales",
    "atlas_partners": "atlas_partners",
}


def _register_inputs(work: Workspace, job: AtlasJob) -> None:
    """The lake files as views, and the small tables built in Python: the rule tables (by the
    code that registers them for DuckDB; an in-memory connection hands them over), the region
    lookup and the override list."""
    spark, inputs = work.spark, job.inputs
    work.register("enterprises", read_parquet(spark, [inputs.enterprises]))
    work.register("links", read_parquet(spark, [inputs.links]))
    if inputs.invoices:
        work.register("invoices", read_parquet(spark, inputs.invoices))
    if inputs.customs:
        work.register("customs", read_parquet(spark, inputs.customs))
    con = duckdb.connect()
    try:
        register_rules(con, job.chains)
        register_products(con, job.chains)
        for name in RULE_VIEWS:
            work.register(
                name, from_arrow(spark, con.sql(f"SELECT * FROM {name}").to_arrow_table())
            )
    finally:
        con.close()
    work.register("region_lookup", from_arrow(spark, region_table()))
    work.register("atlas_overrides", from_arrow(spark, _overrides_table(job.overrides)))


def _overrides_table(overrides: OverrideList) -> pa.Table:
    """The override list; the row number is ``line`` (ROW is a keyword in Spark SQL)."""
    rows = overrides.rows
    return pa.table(
        {
            "line": pa.array([r.row for r in rows], pa.int64()),
            "uscc": pa.array([r.uscc for r in rows], pa.string()),
            "chain_id": pa.array([r.chain_id for r in rows], pa.string()),
            "segment_id": pa.array([r.segment_id for r in rows], pa.string()),
            "action": pa.array([r.action for r in rows], pa.string()),
        }
    )


def _places_sql() -> str:
    """chainwatch.atlas.places.register_places over the registry and every party of a link."""
    prefixes = ", ".join(f"'{p}'" for p in MUNICIPALITY_PREFIXES)
    return f"""
        WITH parties AS (
            SELECT uscc FROM enterprises
            UNION SELECT supplier FROM links
            UNION SELECT customer FROM links
        ), chosen AS (
            SELECT p.uscc, coalesce(e.region_code, substr(p.uscc, 3, 6)) AS region_code,
                   e.uscc IS NOT NULL AS registered
            FROM parties p LEFT JOIN enterprises e ON e.uscc = p.uscc
        )
        SELECT c.uscc, c.region_code,
               coalesce(r.city_code,
                        CASE WHEN substr(c.region_code, 1, 2) IN ({prefixes})
                             THEN substr(c.region_code, 1, 2) || '0000'
                             ELSE substr(c.region_code, 1, 4) || '00' END) AS city_code,
               coalesce(r.province_code, substr(c.region_code, 1, 2) || '0000')
                   AS province_code,
               c.registered
        FROM chosen c LEFT JOIN region_lookup r ON r.code = c.region_code
    """


def _window_sql(period_condition: str, start: str, end: str) -> tuple[str, str]:
    """``atlas_links`` and, where customs are loaded, ``atlas_trade``, as
    chainwatch.atlas.metrics.register_window."""
    links = f"""
        SELECT supplier, customer, sum(amount) AS amount, sum(invoice_count) AS invoices,
               count(DISTINCT period) AS months
        FROM links WHERE {period_condition} AND supplier <> customer
        GROUP BY supplier, customer HAVING sum(amount) > 0
    """
    trade = f"""
        SELECT uscc, direction, country, hs_code, sum(amount) AS amount, count(*) AS records
        FROM customs
        WHERE date_format(date, 'yyyy-MM') BETWEEN '{start}' AND '{end}' AND amount > 0
        GROUP BY uscc, direction, country, hs_code
    """
    return links, trade


NO_TRADE = (
    "SELECT CAST(NULL AS STRING) AS uscc, CAST(NULL AS STRING) AS direction, "
    "CAST(NULL AS STRING) AS country, CAST(NULL AS STRING) AS hs_code, "
    "CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS BIGINT) AS records WHERE FALSE"
)


# The window's links between two firms of the same chain (each link once, however many chains
# hold both firms): all that PageRank, weighted degree and the segment flows read.
CHAIN_LINKS_SQL = """
    SELECT DISTINCT l.supplier, l.customer, l.amount, l.invoices, l.months
    FROM atlas_links l
    JOIN atlas_firms s ON s.uscc = l.supplier
    JOIN atlas_firms c ON c.uscc = l.customer AND c.chain_id = s.chain_id
"""


def _product_sql(province: str) -> tuple[str, str]:
    """The home province's customs records whose HS code starts with a key product's, and its
    invoice lines whose name holds a key product's: all that the key-product query reads of
    ``atlas_trade`` and ``atlas_sales``."""
    home = f"LEFT SEMI JOIN places p ON p.uscc = t.uscc AND p.province_code = '{province}'"
    trade = f"""
        SELECT t.* FROM atlas_trade t {home}
        LEFT SEMI JOIN (SELECT DISTINCT hs FROM rule_products WHERE hs IS NOT NULL) r
             ON startswith(t.hs_code, r.hs)
    """
    sales = f"""
        SELECT t.* FROM atlas_sales t {home}
        LEFT SEMI JOIN (SELECT DISTINCT core FROM rule_products) r ON contains(t.item, r.core)
    """
    return trade, sales


def _on_spark(work: Workspace, job: AtlasJob, con: duckdb.DuckDBPyConnection) -> tuple[str, Window]:
    """The Spark part; the home province and the window (returned) come from the driver's
    DuckDB, by the DuckDB engine's own functions."""
    inputs, settings = job.inputs, job.settings
    _register_inputs(work, job)
    work.materialise("places", _places_sql())
    con.execute(f"CREATE OR REPLACE TEMP VIEW places AS SELECT * FROM {work.duckdb_sql('places')}")
    province = home_province(con)
    links = f"read_parquet({quote(inputs.links)})"
    window = resolve_window(latest_period(con, links), settings.metrics.months, None, None)
    place_firms(work, settings.placement, bool(inputs.invoices), bool(inputs.customs))
    links_sql, trade_sql = _window_sql(window.period_condition(), window.start, window.end)
    work.materialise("atlas_links", links_sql)
    work.materialise("atlas_trade", trade_sql if inputs.customs else NO_TRADE)
    work.materialise("atlas_firms", firm_metrics_sql("enterprises", province, settings.metrics))
    work.materialise("atlas_chain_links", CHAIN_LINKS_SQL)
    product_trade, product_sales = _product_sql(province)
    work.materialise("atlas_product_trade", product_trade)
    work.materialise("atlas_product_sales", product_sales)
    work.materialise("atlas_partners", partner_metrics_sql("enterprises"))
    return province, window


def _on_driver(
    work: Workspace, job: AtlasJob, con: duckdb.DuckDBPyConnection, province: str
) -> tuple[dict[str, int], dict[str, int], int]:
    """The DuckDB part over the tables Spark handed over: the placement counts, then the
    results as chainwatch.atlas.stage.compute_atlas writes them. Returns the counts, the
    segments per status and the import-only key products."""
    for view, table in HANDED_OVER.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {work.duckdb_sql(table)}")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW atlas_candidates AS "
        f"SELECT uscc FROM read_parquet({quote(job.inputs.enterprises)})"
    )
    register_rules(con, job.chains)
    register_overrides(con, job.overrides)
    counts = placement_counts(con, job.overrides)
    statuses, import_only = write_results(con, job, province, "SELECT * FROM atlas_partners")
    return counts, statuses, import_only


def compute_atlas(spark: SparkSession, job: AtlasJob) -> AtlasOutcome:
    """Compute the atlas with Spark and write its results (all but ``atlas_meta``) to the
    lake."""
    work = Workspace(spark, lake.staging_path() / "atlas-spark")
    con = lake.connect()
    try:
        province, window = _on_spark(work, job, con)
        counts, statuses, import_only = _on_driver(work, job, con, province)
    finally:
        con.close()
        work.close()
    return AtlasOutcome(
        counts=counts,
        province=province,
        window=window,
        statuses=statuses,
        import_only_products=import_only,
    )
