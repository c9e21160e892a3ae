"""The atlas stage (`chainwatch run atlas`): place firms, compute the metrics, store the results.

Results in the lake (lake/results/<name>.parquet), which the CLI, API and pages only read:

  firm_segments       uscc, chain_id, segment_id, score and its parts, source, chain_main, main
  atlas_unplaced      firms of a chain's industries that no segment of it took, best candidate
  atlas_firms         per chain and firm (main segment of the chain): region, output, inputs,
                      local supply, weighted degree, PageRank, ranks, key_firm
  atlas_segments      per segment: firms, output, inputs, 本地配套率, status (缺链/弱链) and reasons
  atlas_regions       per chain (× segment) × county and city
  atlas_flows         Σ link amounts between segments of a chain; defined flows kept
  atlas_partners      suppliers and customers of each segment, grouped
  atlas_key_products  imports, source countries and local makers of each key product
  atlas_meta          window, home province, settings, overrides and counts (JSON)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from chainwatch.atlas.chains import load_chains
from chainwatch.atlas.gaps import key_products_sql, register_products, segment_status_sql
from chainwatch.atlas.metrics import (
    build_firm_metrics,
    flow_metrics_sql,
    partner_metrics_sql,
    region_metrics_sql,
    register_window,
    segment_metrics_sql,
)
from chainwatch.atlas.network import network_positions
from chainwatch.atlas.overrides import load_overrides
from chainwatch.atlas.placement import Sources, place_firms
from chainwatch.atlas.places import home_province, links_parties_sql, register_places
from chainwatch.atlas.results import fingerprint
from chainwatch.atlas.settings import load_atlas_settings
from chainwatch.atlas.window import latest_period, resolve_window
from chainwatch.engines import get_engine
from chainwatch.engines.base import AtlasInputs, AtlasJob, AtlasOutcome
from chainwatch.errors import DataMissingError
from chainwatch.ingest import batches
from chainwatch.store import datasets, lake

RESULTS = (
    "firm_segments",
    "atlas_unplaced",
    "atlas_firms",
    "atlas_segments",
    "atlas_regions",
    "atlas_flows",
    "atlas_partners",
    "atlas_key_products",
    "atlas_meta",
)


def _batch_files(kind: str) -> tuple[Path, ...]:
    ids = batches.loaded_batch_ids(kind)
    files = tuple(p for b in ids for p in sorted(lake.batch_path(kind, b).glob("*.parquet")))
    if ids and not files:
        raise DataMissingError(f"the {kind} batches {ids} have no files in the lake; reload them.")
    return files


def atlas_inputs() -> AtlasInputs:
    """The lake files the atlas reads; stops with a hint when the registry or links are
    missing."""
    datasets.enterprises_sql()  # raises, with the hint, when no registry is loaded
    if not lake.has_result("links"):
        raise DataMissingError(
            "the atlas needs the supply links, which have not been computed yet; run "
            "`chainwatch run links atlas` (or `chainwatch run`, or `chainwatch demo`)."
        )
    return AtlasInputs(
        enterprises=lake.lake_path() / "enterprises.parquet",
        links=lake.result_path("links"),
        invoices=_batch_files("invoices"),
        customs=_batch_files("customs"),
    )


def _read_sql(files: tuple[Path, ...]) -> str:
    listing = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    return f"read_parquet([{listing}], union_by_name=true)"


def compute_atlas(job: AtlasJob) -> AtlasOutcome:
    """The DuckDB engine's atlas: set-based SQL over the lake files, results to the lake."""
    chains, settings, overrides = job.chains, job.settings, job.overrides
    inputs = job.inputs
    links = _read_sql((inputs.links,))
    sources = Sources(
        _read_sql((inputs.enterprises,)),
        _read_sql(inputs.invoices) if inputs.invoices else None,
        _read_sql(inputs.customs) if inputs.customs else None,
    )
    con = lake.connect()
    try:
        register_places(con, sources.enterprises, links_parties_sql(sources.enterprises, links))
        province = home_province(con)
        counts = place_firms(con, chains, sources, settings.placement, overrides)
        window = resolve_window(latest_period(con, links), settings.metrics.months, None, None)
        register_window(con, links, sources.customs, window)
        build_firm_metrics(con, sources.enterprises, province, settings.metrics)
        partners = partner_metrics_sql(sources.enterprises)
        gaps, candidates = write_results(con, job, province, partners)
    finally:
        con.close()
    return AtlasOutcome(
        counts=counts,
        province=province,
        window=window,
        statuses=gaps,
        import_only_products=candidates,
    )


def write_results(
    con: duckdb.DuckDBPyConnection, job: AtlasJob, province: str, partners: str
) -> tuple[dict[str, int], int]:
    """Where every engine ends: from the placement (temp tables ``firm_segments``,
    ``unplaced``) and the firm figures (``atlas_firms``, ``atlas_links`` …) on ``con``, the
    network positions, ranks and key firms, then every atlas result but ``atlas_meta`` written
    to the lake; ``partners`` is the query of ``atlas_partners``. Returns the segments per
    status and the number of import-only key products."""
    settings = job.settings
    con.register("atlas_network", network_positions(con, settings.metrics.pagerank_damping))
    key = settings.metrics.key_firms
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE atlas_ranked AS
        SELECT f.*, coalesce(n.weighted_degree, 0) AS weighted_degree,
               coalesce(n.pagerank, 0) AS pagerank,
               rank() OVER (PARTITION BY f.chain_id ORDER BY f.output DESC) AS output_rank,
               rank() OVER (PARTITION BY f.chain_id ORDER BY n.pagerank DESC NULLS LAST)
                   AS network_rank
        FROM atlas_firms f LEFT JOIN atlas_network n USING (chain_id, uscc)
        """
    )
    register_products(con, job.chains)
    queries = {
        "firm_segments": "SELECT * FROM firm_segments",
        "atlas_unplaced": "SELECT * FROM unplaced",
        "atlas_firms": f"""SELECT *, (output_rank <= {key} AND output > 0)
                                OR (network_rank <= {key} AND weighted_degree > 0)
                                AS key_firm FROM atlas_ranked""",
        "atlas_segments": segment_status_sql(segment_metrics_sql(province), settings.gaps),
        "atlas_regions": region_metrics_sql(),
        "atlas_flows": flow_metrics_sql(),
        "atlas_partners": partners,
        "atlas_key_products": key_products_sql(province),
    }
    for name, query in queries.items():
        lake.write_result_query(con, name, query)
    statuses = con.execute(
        f"SELECT status, count(*) FROM {lake.result_sql('atlas_segments')} GROUP BY 1"
    ).fetchall()
    import_only = con.execute(
        f"SELECT count(*) FROM {lake.result_sql('atlas_key_products')} WHERE import_only"
    ).fetchall()[0][0]
    return {str(k): int(v) for k, v in statuses}, int(import_only)


def build_atlas(engine: str = "duckdb") -> dict[str, Any]:
    """Compute and store the whole atlas with ``engine``; returns a summary for
    `chainwatch run`."""
    chains = load_chains()
    settings = load_atlas_settings()
    overrides = load_overrides(chains)
    job = AtlasJob(chains, settings, overrides, atlas_inputs())
    outcome = get_engine(engine).build_atlas(job)
    counts, province, window = outcome.counts, outcome.province, outcome.window
    gaps = outcome.statuses
    candidates = outcome.import_only_products
    summary: dict[str, Any] = {
        "chains": len(chains),
        **counts,
        "missing_segments": int(gaps.get("missing", 0)),
        "weak_segments": int(gaps.get("weak", 0)),
        "import_only_products": int(candidates),
        "window": f"{window.start}..{window.end}",
        "province": province,
    }
    meta = {
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "window": window.as_dict(),
        "province": province,
        "chains": list(chains),
        "fingerprints": {chain_id: fingerprint(chain) for chain_id, chain in chains.items()},
        "settings": settings.model_dump(),
        "overrides": overrides.summary(),
        "summary": summary,
    }
    lake.write_result_table(
        "atlas_meta", pa.table({"meta": [json.dumps(meta, ensure_ascii=False)]})
    )
    return summary
