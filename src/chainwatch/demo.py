"""The demo province: generate (unless present), load through the ingest path, run the pipeline.

The demo uses exactly what a department would do with its own files, so the demo exercises the
same code: `chainwatch demo-data` files → `chainwatch ingest` → `chainwatch run`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chainwatch.config import get_settings
from chainwatch.errors import ConflictError
from chainwatch.ingest.load import IngestResult, ingest_file

# Load order matters: the registry first, then what refers to it.
FILES = (
    ("enterprises", "enterprises.csv"),
    ("invoices", "invoices.csv"),
    ("customs", "customs.csv"),
    ("indicators", "indicators.csv"),
)
MARKER = "demo.json"

Step = Callable[[str], None]


def demo_folder(firms: int, months: int, seed: int) -> Path:
    return get_settings().home_path / "demo-province" / f"f{firms}-m{months}-s{seed}"


def _check_home(params: dict[str, Any], reset: bool) -> None:
    """One CHAINWATCH_HOME holds one province: refuse to mix two demos (or a demo and real
    data) unless the user asks for a reset."""
    home = get_settings().home_path
    marker = home / MARKER
    if reset and home.exists():
        shutil.rmtree(home)
    if marker.exists():
        existing = json.loads(marker.read_text(encoding="utf-8"))
        if existing == params:
            return
        raise ConflictError(
            f"{home} already holds the demo province {existing}; this demo would be {params}. "
            "Use `chainwatch demo --reset` to replace it, or set CHAINWATCH_HOME to another "
            "folder."
        )
    if (home / "chainwatch.db").exists() or (home / "lake").exists():
        from chainwatch.ingest.batches import list_batches

        if list_batches():
            raise ConflictError(
                f"{home} already holds loaded data that is not a demo province; set "
                "CHAINWATCH_HOME to another folder for the demo (or `chainwatch demo --reset` "
                "to delete what is there)."
            )


def prepare_demo(
    firms: int, months: int, seed: int, *, reset: bool = False, step: Step | None = None
) -> dict[str, Any]:
    """Generate, load and run; returns a summary. Re-running with the same options is cheap:
    files are generated once and loads of unchanged files are skipped."""
    from chainwatch.pipeline import select
    from chainwatch.store.db import ensure_database
    from chainwatch.synth.province import ProvinceOptions, generate_province

    report = step or (lambda _: None)
    params = {"firms": firms, "months": months, "seed": seed}
    _check_home(params, reset)
    ensure_database()
    folder = demo_folder(firms, months, seed)
    if not (folder / "planted.json").exists():
        report(f"generating the demo province ({firms:,} firms × {months} months)")
        generate_province(folder, ProvinceOptions(firms=firms, months=months, seed=seed))
    home = get_settings().home_path
    (home / MARKER).write_text(json.dumps(params), encoding="utf-8")
    loads: list[IngestResult] = []
    for kind, name in FILES:
        report(f"loading {name}")
        loads.append(ingest_file(kind, folder / name))
    stages = {}
    for stage in select(None):
        report(f"running {stage.name}")
        stages[stage.name] = stage.run("duckdb")
    return {
        "folder": str(folder),
        "params": params,
        "loads": [
            {
                "kind": r.kind,
                "file": r.file,
                "rows": r.rows,
                "loaded": r.loaded,
                "rejected": r.rejected,
                "already_loaded": r.already_loaded,
            }
            for r in loads
        ],
        "stages": stages,
    }
