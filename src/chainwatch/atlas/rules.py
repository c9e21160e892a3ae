"""Chain definitions turned into small rule tables that DuckDB joins against the firms.

One row per (chain, segment, rule value): industry codes, keywords (the segment's keywords and
the names of its key products), exclude keywords and HS codes (the segment's and its key
products'). The segment table keeps the display order of chains and segments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import duckdb
import pyarrow as pa

from chainwatch.atlas.chains import Chain

STAGE_ORDER = {"上游": 0, "中游": 1, "下游": 2}
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


def core_name(name: str) -> str:
    """A key product's name without its bracketed detail: '光刻胶（ArF/EUV）' → '光刻胶', the
    form in which it appears on invoices."""
    return _BRACKETS.sub("", name).strip() or name


def _table(rows: list[tuple[str, str, str]], value: str) -> pa.Table:
    return pa.table(
        {
            "chain_id": pa.array([r[0] for r in rows], pa.string()),
            "segment_id": pa.array([r[1] for r in rows], pa.string()),
            value: pa.array([r[2] for r in rows], pa.string()),
        }
    )


def segment_table(chains: Mapping[str, Chain]) -> pa.Table:
    chain_ids, segment_ids, stages, chain_orders, segment_orders = [], [], [], [], []
    for chain_order, chain in enumerate(chains.values()):
        for segment_order, segment in enumerate(chain.segments):
            chain_ids.append(chain.id)
            segment_ids.append(segment.id)
            stages.append(segment.stage)
            chain_orders.append(chain_order)
            segment_orders.append(STAGE_ORDER.get(segment.stage, 3) * 1000 + segment_order)
    return pa.table(
        {
            "chain_id": pa.array(chain_ids, pa.string()),
            "segment_id": pa.array(segment_ids, pa.string()),
            "stage": pa.array(stages, pa.string()),
            "chain_order": pa.array(chain_orders, pa.int32()),
            "segment_order": pa.array(segment_orders, pa.int32()),
        }
    )


def register_rules(con: duckdb.DuckDBPyConnection, chains: Mapping[str, Chain]) -> None:
    """Register rule_segments, rule_industries(code), rule_keywords(keyword),
    rule_excludes(keyword), rule_hs(hs) and rule_flows(chain_id, source, target)."""
    industries: list[tuple[str, str, str]] = []
    keywords: set[tuple[str, str, str]] = set()
    excludes: list[tuple[str, str, str]] = []
    hs_codes: set[tuple[str, str, str]] = set()
    flows: list[tuple[str, str, str]] = []
    for chain in chains.values():
        for segment in chain.segments:
            key = (chain.id, segment.id)
            industries.extend((*key, code) for code in segment.industry_codes)
            keywords.update((*key, word) for word in segment.keywords)
            keywords.update((*key, core_name(product.name)) for product in segment.key_products)
            excludes.extend((*key, word) for word in segment.exclude_keywords)
            hs_codes.update((*key, code) for code in segment.hs_codes)
            for product in segment.key_products:
                hs_codes.update((*key, code) for code in product.hs_codes)
        flows.extend((chain.id, flow.source, flow.target) for flow in chain.flows)
    con.register("rule_segments", segment_table(chains))
    con.register("rule_industries", _table(industries, "code"))
    con.register("rule_keywords", _table(sorted(keywords), "keyword"))
    con.register("rule_excludes", _table(excludes, "keyword"))
    con.register("rule_hs", _table(sorted(hs_codes), "hs"))
    flow_table = pa.table(
        {
            "chain_id": pa.array([f[0] for f in flows], pa.string()),
            "source": pa.array([f[1] for f in flows], pa.string()),
            "target": pa.array([f[2] for f in flows], pa.string()),
        }
    )
    con.register("rule_flows", flow_table)
