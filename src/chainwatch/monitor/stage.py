"""The ``monitor`` pipeline stage: every index of every scope, stored in the lake, then the
early-warning rules evaluated on them (alerts in the database, raised once per condition).

Besides the region scopes, a computed atlas adds two groupings: ``chain`` (every firm placed in
the chain) and ``segment`` (every firm placed in the segment, coded ``chain_id/segment_id``), so
the indices of a chain or a segment are read like a county's.
"""

from __future__ import annotations

from typing import Any

from chainwatch.monitor.indices import compute_indices
from chainwatch.monitor.rankings import compute_rankings
from chainwatch.monitor.scopes import Grouping
from chainwatch.store import lake


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def atlas_groupings() -> list[Grouping]:
    """Chain and segment groupings from the stored atlas; none when the atlas is missing."""
    if not lake.has_result("firm_segments"):
        return []
    from chainwatch.atlas.chains import load_chains

    chains = load_chains()
    if not chains:
        return []
    chain_names = ", ".join(f"({_quote(c.id)}, {_quote(c.name)})" for c in chains.values())
    segment_names = ", ".join(
        f"({_quote(c.id)}, {_quote(s.id)}, {_quote(c.name + ' · ' + s.name)})"
        for c in chains.values()
        for s in c.segments
    )
    placed = lake.result_sql("firm_segments")
    return [
        Grouping(
            "chain",
            f"""SELECT DISTINCT p.uscc, p.chain_id AS code, n.name
                FROM {placed} p JOIN (VALUES {chain_names}) n(chain_id, name) USING (chain_id)""",
        ),
        Grouping(
            "segment",
            f"""SELECT DISTINCT p.uscc, p.chain_id || '/' || p.segment_id AS code, n.name
                FROM {placed} p
                JOIN (VALUES {segment_names}) n(chain_id, segment_id, name)
                  USING (chain_id, segment_id)""",
        ),
    ]


def build_monitor(engine: str = "duckdb") -> dict[str, Any]:
    """Compute and store the indices, then evaluate the alert rules on them (the stage runs on
    DuckDB whatever ``engine`` says)."""
    del engine
    from chainwatch.monitor.alert_store import evaluate_and_record

    summary = compute_indices(atlas_groupings())
    ranked = compute_rankings()
    alerts = evaluate_and_record()
    return {
        **{k: v for k, v in summary.items() if k != "path"},
        **ranked,
        "alerts_new": alerts["new"],
        "alerts_updated": alerts["updated"],
        "alerts_new_by_grade": alerts["new_by_grade"],
        "alerts_open_by_grade": alerts["open_by_grade"],
    }
