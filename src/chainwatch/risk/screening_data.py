"""The tables the risk screens read, built once per run as DuckDB temp tables over the lake.

All figures cover the atlas window (its latest months of links) and the firms of the home
province, as the atlas does:

  screen_firms      firms of the province: uscc, name, region_code, city_code
  screen_members    atlas_firms (one row per chain and firm, main segment of that chain)
  screen_trade      customs lines in the window: uscc, direction, country, hs_code, month, amount
  screen_products   key products: chain_id, segment_id, product, core, bottleneck, hs (NULL if
                    none), stage, segment_name
  product_imports   imports of key products by the province's firms, per firm and country
  product_sales     invoiced sales of key products (item names) with seller and buyer and
                    whether each is in the province
  product_exports   exports of key products' HS codes by the province's firms
  screen_links      links in the window: supplier, customer, amount
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from chainwatch.atlas import results as atlas_results
from chainwatch.atlas.chains import Chain
from chainwatch.atlas.gaps import register_products
from chainwatch.atlas.places import register_places
from chainwatch.atlas.window import Window
from chainwatch.ingest import batches
from chainwatch.risk.screening_settings import ScreeningSettings
from chainwatch.store import datasets, lake
from chainwatch.store.lake import rows as rows  # shared with the other result readers

ITEM_NAME = r"regexp_replace(product, '^\*[^*]*\*', '')"


@dataclass(frozen=True)
class ScreenContext:
    con: duckdb.DuckDBPyConnection
    province: str
    window: Window
    settings: ScreeningSettings
    chains: dict[str, Chain]
    has_customs: bool
    has_invoices: bool


def _segment_table(chains: dict[str, Chain]) -> pa.Table:
    records: list[tuple[str, str, str, str, str, bool, int, int]] = []
    for c_order, chain in enumerate(chains.values()):
        for s_order, segment in enumerate(chain.segments):
            records.append(
                (
                    chain.id,
                    segment.id,
                    chain.name,
                    segment.name,
                    segment.stage,
                    segment.bottleneck,
                    c_order,
                    s_order,
                )
            )
    names = ("chain_id", "segment_id", "chain_name", "segment_name", "stage", "bottleneck")
    columns: dict[str, Any] = {name: [r[i] for r in records] for i, name in enumerate(names)}
    columns["chain_order"] = [r[6] for r in records]
    columns["segment_order"] = [r[7] for r in records]
    return pa.table(columns)


def _flow_table(chains: dict[str, Chain]) -> pa.Table:
    flows = [(c.id, f.source, f.target) for c in chains.values() for f in c.flows]
    return pa.table(
        {
            "chain_id": pa.array([f[0] for f in flows], pa.string()),
            "source": pa.array([f[1] for f in flows], pa.string()),
            "target": pa.array([f[2] for f in flows], pa.string()),
        }
    )


def _country_table(settings: ScreeningSettings, codes: list[str]) -> pa.Table:
    codes = sorted(set(codes) | set(settings.countries))
    return pa.table(
        {
            "country": codes,
            "level": [settings.country_level(c) for c in codes],
            "weight": [settings.country_weight(c) for c in codes],
        }
    )


def prepare(
    con: duckdb.DuckDBPyConnection, settings: ScreeningSettings, chains: dict[str, Chain]
) -> ScreenContext:
    """Register the temp tables; the atlas must have been computed."""
    info = atlas_results.meta()
    window = Window(str(info["window"]["from"]), str(info["window"]["to"]))
    province = str(info["province"])
    enterprises = datasets.enterprises_sql()
    register_places(con, enterprises)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE screen_firms AS
        SELECT p.uscc, e.name, p.region_code, p.city_code
        FROM places p JOIN {enterprises} e USING (uscc)
        WHERE p.province_code = '{province}'
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE screen_members AS "
        f"SELECT * FROM {atlas_results.result('atlas_firms')}"
    )
    con.register("screen_segments", _segment_table(chains))
    con.register("screen_flows", _flow_table(chains))
    register_products(con, chains)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE screen_products AS
        SELECT r.*, s.stage, s.segment_name, s.chain_name, s.chain_order, s.segment_order
        FROM rule_products r JOIN screen_segments s USING (chain_id, segment_id)
        """
    )
    links = lake.result_sql("links")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE screen_links AS
        SELECT supplier, customer, sum(amount) AS amount FROM {links}
        WHERE {window.period_condition()} AND supplier <> customer
        GROUP BY ALL HAVING sum(amount) > 0
        """
    )
    has_customs = bool(batches.loaded_batch_ids("customs"))
    trade = (
        f"""SELECT c.uscc, c.direction, c.country, c.hs_code,
                   strftime(c.date, '%Y-%m') AS month, sum(c.amount) AS amount
            FROM {datasets.customs_sql()} c JOIN screen_firms f USING (uscc)
            WHERE c.amount > 0 AND c.date <= last_day(strptime('{window.end}-01', '%Y-%m-%d'))
            GROUP BY ALL"""
        if has_customs
        else "SELECT NULL::VARCHAR AS uscc, NULL::VARCHAR AS direction, NULL::VARCHAR AS country,"
        " NULL::VARCHAR AS hs_code, NULL::VARCHAR AS month, NULL::DOUBLE AS amount WHERE FALSE"
    )
    # All months up to the window's end: the interruption screen looks back before the window.
    con.execute(f"CREATE OR REPLACE TEMP TABLE screen_trade_all AS {trade}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE screen_trade AS SELECT * FROM screen_trade_all "
        f"WHERE month BETWEEN '{window.start}' AND '{window.end}'"
    )
    countries = [r[0] for r in con.execute("SELECT DISTINCT country FROM screen_trade").fetchall()]
    con.register("screen_countries", _country_table(settings, [c for c in countries if c]))
    _product_trade(con)
    has_invoices = bool(batches.loaded_batch_ids("invoices"))
    _product_sales(con, window, has_invoices)
    return ScreenContext(con, province, window, settings, chains, has_customs, has_invoices)


def _product_trade(con: duckdb.DuckDBPyConnection) -> None:
    # A trade line counts once per product even when two HS codes of the product overlap.
    matched = """
        SELECT DISTINCT p.chain_id, p.segment_id, p.product, t.uscc, t.direction, t.country,
               t.hs_code, t.month, t.amount
        FROM screen_trade t
        JOIN (SELECT DISTINCT chain_id, segment_id, product, hs FROM screen_products
              WHERE hs IS NOT NULL) p ON starts_with(t.hs_code, p.hs)
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE product_trade AS {matched};
        CREATE OR REPLACE TEMP TABLE product_imports AS
        SELECT chain_id, segment_id, product, uscc, country, sum(amount) AS amount,
               count(DISTINCT month) AS months
        FROM product_trade WHERE direction = 'import' GROUP BY ALL;
        CREATE OR REPLACE TEMP TABLE product_exports AS
        SELECT chain_id, segment_id, product, uscc, sum(amount) AS amount
        FROM product_trade WHERE direction = 'export' GROUP BY ALL;
        """
    )


def _product_sales(con: duckdb.DuckDBPyConnection, window: Window, has_invoices: bool) -> None:
    if not has_invoices:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE product_sales (chain_id VARCHAR, segment_id VARCHAR, "
            "product VARCHAR, seller VARCHAR, buyer VARCHAR, seller_home BOOLEAN, "
            "buyer_home BOOLEAN, amount DOUBLE)"
        )
        return
    invoices = datasets.invoices_sql()
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE product_sales AS
        WITH sold AS (
            SELECT seller, buyer, {ITEM_NAME} AS item, sum(amount) AS amount FROM {invoices}
            WHERE {window.date_condition()} AND product IS NOT NULL AND amount > 0
            GROUP BY ALL
        ), items AS (SELECT DISTINCT item FROM sold),
        matched AS (
            SELECT DISTINCT i.item, p.chain_id, p.segment_id, p.product
            FROM items i
            JOIN (SELECT DISTINCT chain_id, segment_id, product, core FROM screen_products) p
              ON contains(i.item, p.core)
        )
        SELECT m.chain_id, m.segment_id, m.product, s.seller, s.buyer,
               s.seller IN (SELECT uscc FROM screen_firms) AS seller_home,
               s.buyer IN (SELECT uscc FROM screen_firms) AS buyer_home,
               sum(s.amount) AS amount
        FROM sold s JOIN matched m USING (item)
        GROUP BY ALL
        """
    )
