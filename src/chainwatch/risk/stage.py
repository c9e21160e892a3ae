"""The risk stage (`chainwatch run risk`): ESRI of every node of the province network.

Results in the lake (lake/results/<name>.parquet), which the CLI, API and pages only read:

  risk_nodes         the network's nodes (firms, firms outside the registry, foreign suppliers)
  risk_edges         its links (node indices, amount over the window); risk_essentiality: E
  risk_esri          per node: ESRI, its downstream and upstream parts, the fast mode's error
                     bound, output (ESRI weight) and rank among the province's firms
  risk_hits          for the firms with the highest ESRI: the chains and segments their failure
                     would hit (lost output and share of the chain's or segment's output)
  risk_meta          window, province, settings, counts, timings (JSON); written last
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from chainwatch.risk.esri import cascade, failure_psi
from chainwatch.risk.fast import firm_esri
from chainwatch.risk.losses import Groups, build_groups, firm_losses
from chainwatch.risk.pipeline_settings import RiskSettings, load_risk_settings
from chainwatch.risk.province import ProvinceNetwork, build_province_network, save_network
from chainwatch.store import lake

HITS_CAP = 5  # at most this many times hits_firms firms get their hits computed
HITS_PER_FIRM = 8  # chains or segments kept per firm and level


def hit_candidates(esri: np.ndarray, settings: RiskSettings) -> np.ndarray:
    """Nodes whose hits are computed, highest ESRI first."""
    order = np.argsort(-esri, kind="stable")
    wanted = max(settings.hits_firms, int((esri >= settings.hits_min_esri).sum()))
    wanted = min(wanted, settings.hits_firms * HITS_CAP, esri.size)
    chosen = order[:wanted]
    return chosen[esri[chosen] > 0]


def _hit_rows(
    node: str, loss: np.ndarray, groups: Groups, settings: RiskSettings
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for level, group in (("chain", groups.chains), ("segment", groups.segments)):
        if not group.keys:
            continue
        lost = group.totals(loss)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(group.output > 0, lost / group.output, 0.0)
        picked = np.flatnonzero(share >= max(settings.hit_share, 1e-12))
        picked = picked[np.argsort(-share[picked], kind="stable")][:HITS_PER_FIRM]
        for g in picked:
            key = group.keys[g]
            found.append(
                {
                    "node": node,
                    "level": level,
                    "chain_id": key[0],
                    "segment_id": key[1] if len(key) > 1 else None,
                    "loss": float(lost[g]),
                    "output": float(group.output[g]),
                    "share": float(share[g]),
                }
            )
    return found


def compute_hits(
    province: ProvinceNetwork, candidates: np.ndarray, groups: Groups, settings: RiskSettings
) -> pd.DataFrame:
    """One exact cascade per candidate; the chains and segments each would hit."""
    rows: list[dict[str, Any]] = []
    net = province.network
    names = province.nodes["node"].astype(str).to_numpy()
    for k in candidates:
        result = cascade(net, failure_psi(net, int(k)), tol=settings.tol, weights=province.weights)
        loss = firm_losses(province, result.h_down, result.h_up)
        rows.extend(_hit_rows(str(names[k]), loss, groups, settings))
    columns = ["node", "level", "chain_id", "segment_id", "loss", "output", "share"]
    return pd.DataFrame(rows, columns=columns)


def esri_table(province: ProvinceNetwork, values: Any, computed: np.ndarray) -> pd.DataFrame:
    nodes = province.nodes
    table = nodes[
        ["node", "kind", "uscc", "country", "hs_code", "sector", "region_code", "city_code", "home"]
    ].copy()
    table["output"] = province.weights
    table["esri"] = values.esri
    table["esri_downstream"] = values.esri_down
    table["esri_upstream"] = values.esri_up
    table["error_bound"] = values.error_bound
    table["rank"] = pd.array([None] * len(table), dtype="Int64")
    home = table["home"].to_numpy(bool)
    ranked = table.loc[home, "esri"].rank(method="min", ascending=False).astype("Int64")
    table.loc[home, "rank"] = ranked
    table["hits_computed"] = False
    table.loc[computed, "hits_computed"] = True
    return table


def build_risk(engine: str = "duckdb") -> dict[str, Any]:
    """Compute and store ESRI for the province; returns a summary for `chainwatch run`.

    The cascades run in this process (compiled, multi-threaded) whatever ``engine`` reads the
    lake; ``engine`` is recorded in the summary.
    """
    settings = load_risk_settings()
    started = time.perf_counter()
    province = build_province_network(settings)
    built = time.perf_counter()
    values = firm_esri(
        province.network,
        tol=settings.tol,
        delta=settings.delta,
        max_error=settings.max_error,
        weights=province.weights,
    )
    esri_done = time.perf_counter()
    groups = build_groups(province)
    candidates = hit_candidates(values.esri, settings)
    hits = compute_hits(province, candidates, groups, settings)
    hits_done = time.perf_counter()
    table = esri_table(province, values, candidates)
    save_network(province)
    lake.write_result_table("risk_esri", pa.Table.from_pandas(table, preserve_index=False))
    lake.write_result_table("risk_hits", pa.Table.from_pandas(hits, preserve_index=False))
    kinds = province.nodes["kind"].value_counts()
    home = table["home"].to_numpy(bool)
    top = table[home].sort_values("esri", ascending=False).head(1)
    summary: dict[str, Any] = {
        "nodes": province.size,
        "firms": int(home.sum()),
        "outside_firms": int(kinds.get("outside", 0)),
        "foreign_nodes": int(kinds.get("foreign", 0)),
        "links": province.network.links,
        "window": f"{province.window.start}..{province.window.end}",
        "mode": values.mode,
        "error_bound": values.largest_error_bound,
        "firms_over_1pct": int((table.loc[home, "esri"] >= 0.01).sum()),
        "max_esri": float(top["esri"].iloc[0]) if len(top) else 0.0,
        "hits_firms": int(candidates.size),
        "esri_seconds": round(esri_done - built, 2),
        "hits_seconds": round(hits_done - esri_done, 2),
        "engine": engine,
    }
    meta = {
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "window": province.window.as_dict(),
        "province": province.province,
        "settings": settings.model_dump(),
        # Firms whose hits were not computed would each cost the province at most this share.
        "hits_esri_floor": float(values.esri[candidates].min()) if candidates.size else None,
        "network_seconds": round(built - started, 2),
        "summary": summary,
    }
    lake.write_result_table("risk_meta", pa.table({"meta": [json.dumps(meta, ensure_ascii=False)]}))
    return summary
