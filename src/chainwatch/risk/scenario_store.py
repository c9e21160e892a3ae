"""Saved scenario results: lake/scenarios/<id>/ with scenario.json and nodes.parquet.

A result is written into a staging folder and renamed into place, so a reader sees a whole
result or none. The id is derived from the name: saving under a name already used replaces that
result (the summary says so). Results survive re-runs of the pipeline; each records the window
and the time it was computed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.errors import NotFoundError, ValidationError
from chainwatch.risk.scenario_spec import ScenarioSpec
from chainwatch.risk.scenarios import run_spec
from chainwatch.store import lake

SUMMARY = "scenario.json"
NODES = "nodes.parquet"
MAX_COMPARE = 6


def scenarios_path() -> Path:
    path = lake.lake_path() / "scenarios"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scenario_id(name: str) -> str:
    return "s" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:11]


def save_result(summary: dict[str, Any], table: Any) -> dict[str, Any]:
    name = summary["name"]
    ident = scenario_id(name)
    final = scenarios_path() / ident
    summary = {**summary, "id": ident, "replaced": final.exists()}
    staged = lake.staging_path() / f"scenario-{ident}-{uuid.uuid4().hex[:8]}"
    staged.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), staged / NODES)
    (staged / SUMMARY).write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    lake.publish(staged, final)
    return summary


def default_name(spec: ScenarioSpec, fallback: str | None = None) -> str:
    return spec.name or fallback or "情景"


def run_and_save(spec: ScenarioSpec, name: str | None = None) -> dict[str, Any]:
    """Run ``spec`` and save it under ``name`` (default: the spec's name)."""
    chosen = (name or "").strip() or default_name(spec)
    if len(chosen) > 80:
        raise ValidationError(f"scenario name is {len(chosen)} characters long; at most 80.")
    summary, table = run_spec(spec.model_copy(update={"name": chosen}))
    return save_result(summary, table)


def _read(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    return data


def list_results() -> list[dict[str, Any]]:
    """Saved scenarios, newest first: id, name, description, created_at, window, totals."""
    found = []
    for folder in scenarios_path().iterdir():
        if not (folder / SUMMARY).is_file():
            continue
        data = _read(folder)
        found.append(
            {
                key: data.get(key)
                for key in ("id", "name", "description", "created_at", "window", "totals")
            }
        )
    return sorted(found, key=lambda s: s["created_at"] or "", reverse=True)


def get_result(key: str) -> dict[str, Any]:
    """A saved scenario by id or name."""
    for ident in (key, scenario_id(key)):
        folder = scenarios_path() / ident
        if ident.isalnum() and (folder / SUMMARY).is_file():
            return _read(folder)
    names = ", ".join(s["name"] for s in list_results()[:10]) or "none yet"
    raise NotFoundError(
        f"no saved scenario {key!r}; saved scenarios: {names}. Run one with "
        "`chainwatch risk scenario FILE.yaml`."
    )


def _side_by_side(
    results: list[dict[str, Any]], part: str, keys: list[str]
) -> list[dict[str, Any]]:
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for position, result in enumerate(results):
        for row in result[part]:
            key = tuple(str(row[k]) for k in keys)
            entry = rows.setdefault(
                key,
                {
                    **{k: row[k] for k in keys},
                    "output": row["output"],
                    "loss": [0.0] * len(results),
                    "share": [0.0] * len(results),
                },
            )
            entry["loss"][position] = row["loss"]
            entry["share"][position] = row["share"]
    return sorted(rows.values(), key=lambda r: -max(r["loss"], default=0.0))


def compare_results(keys: list[str]) -> dict[str, Any]:
    """Several saved scenarios side by side: totals, and losses by chain, segment and region."""
    if not 2 <= len(keys) <= MAX_COMPARE:
        raise ValidationError(f"compare 2 to {MAX_COMPARE} scenarios; got {len(keys)}.")
    results = [get_result(k) for k in keys]
    windows = {json.dumps(r["window"], sort_keys=True) for r in results}
    return {
        "scenarios": [
            {k: r.get(k) for k in ("id", "name", "created_at", "window", "totals", "applied")}
            for r in results
        ],
        "same_window": len(windows) == 1,
        "chains": _side_by_side(results, "chains", ["chain_id"]),
        "segments": _side_by_side(results, "segments", ["chain_id", "segment_id"]),
        "counties": _side_by_side(results, "counties", ["code"]),
        "cities": _side_by_side(results, "cities", ["code"]),
    }
