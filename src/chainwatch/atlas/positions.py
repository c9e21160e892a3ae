"""A firm's places in the chains (产业链位置), and the firms waiting for review (未归链)."""

from __future__ import annotations

from typing import Any

from chainwatch.atlas import labels
from chainwatch.atlas.chains import get_chain, load_chains
from chainwatch.atlas.results import computed, connection, enterprises, result, rows
from chainwatch.atlas.supplier_lists import normalise_uscc

EVIDENCE_COLUMNS = (
    "industry_points",
    "scope_points",
    "products_points",
    "exports_points",
    "imports_points",
)


def firm_positions(credit_code: str, lang: str = "zh-CN") -> list[dict[str, Any]]:
    """Every segment the firm sits in, its main ones first, with its figures in each chain.
    Empty when the atlas has not been computed (the enterprise page then shows no panel)."""
    uscc = normalise_uscc(credit_code)
    if not computed():
        return []
    chains = load_chains()
    with connection() as con:
        found = rows(
            con,
            f"""
            SELECT s.chain_id, s.segment_id, s.score, s.source, s.chain_main, s.main,
                   {", ".join(f"s.{c}" for c in EVIDENCE_COLUMNS)},
                   f.output, f.output_rank, f.network_rank, f.pagerank, f.key_firm,
                   (SELECT count(*) FROM {result("atlas_firms")} c
                    WHERE c.chain_id = s.chain_id) AS chain_firms
            FROM {result("firm_segments")} s
            LEFT JOIN {result("atlas_firms")} f
              ON f.uscc = s.uscc AND f.chain_id = s.chain_id AND s.chain_main
            WHERE s.uscc = ?
            ORDER BY s.main DESC, s.chain_main DESC, s.score DESC
            """,
            [uscc],
        )
    out = []
    for row in found:
        chain = chains.get(row["chain_id"])
        if chain is None:  # a chain removed since the atlas was computed
            continue
        segment = next((s for s in chain.segments if s.id == row["segment_id"]), None)
        if segment is None:
            continue
        row["chain_name"] = labels.chain_name(chain, lang)
        row["segment_name"] = labels.segment_name(segment, lang)
        row["stage"] = segment.stage
        out.append(row)
    return out


def unplaced_firms(chain_id: str | None = None, lang: str = "zh-CN") -> list[dict[str, Any]]:
    """Firms of a chain's industries that no segment of it took, with their best candidate
    segment and points, for an analyst to place (override list) or dismiss."""
    chains = load_chains()
    chain = get_chain(chain_id) if chain_id else None
    condition = "WHERE u.chain_id = ?" if chain else ""
    with connection() as con:
        found = rows(
            con,
            f"""
            SELECT u.chain_id, u.uscc, e.name, e.region_code, e.industry_code, u.segment_id,
                   u.score, {", ".join(f"u.{c}" for c in EVIDENCE_COLUMNS)},
                   u.excluded_by_keyword
            FROM {result("atlas_unplaced")} u LEFT JOIN {enterprises()} e USING (uscc)
            {condition}
            ORDER BY u.chain_id, u.score DESC, u.uscc
            """,
            [chain.id] if chain else [],
        )
    out = []
    for row in found:
        owner = chains.get(row["chain_id"])
        if owner is None:
            continue
        segment = next((s for s in owner.segments if s.id == row["segment_id"]), None)
        row["chain_name"] = labels.chain_name(owner, lang)
        row["segment_name"] = labels.segment_name(segment, lang) if segment else None
        row["region_name"] = labels.region_name(row["region_code"])
        row["industry_name"] = labels.industry_name(row["industry_code"], lang)
        out.append(row)
    return out
