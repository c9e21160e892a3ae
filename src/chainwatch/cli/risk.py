"""`chainwatch risk`: firm-level economic systemic risk (ESRI) and related risk tools."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import numpy as np
import typer

from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.config import get_settings
from chainwatch.errors import InputFileError, ValidationError
from chainwatch.risk.esri import DEFAULT_TOL
from chainwatch.risk.fast import DEFAULT_DELTA, DEFAULT_MAX_ERROR, ScenarioESRI, firm_esri
from chainwatch.risk.files import load_inputs, write_results

app = typer.Typer(
    help="系统性风险 / systemic risk: firm-level ESRI (Diem et al. 2022).", no_args_is_help=True
)


class Weights(StrEnum):
    out = "out"
    in_ = "in"
    total = "total"


LINKS_HELP = (
    "Supplier–customer links: columns supplier, customer, amount (repeated pairs add "
    "up). CSV (UTF-8, BOM, GBK), XLSX or Parquet."
)
FIRMS_HELP = (
    "Firms: columns firm, sector and optionally market_sector (present: a failed "
    "supplier can be replaced within its market sector)."
)
E_HELP = (
    "Sector essentiality: columns supplier_sector, customer_sector, level (2 essential, "
    "1 non-essential, 0 negligible; pairs not listed are 0). Default: every pair 1."
)


@app.command("esri")
def esri(
    links: Path = typer.Option(..., "--links", help=LINKS_HELP),
    firms: Path = typer.Option(..., "--firms", help=FIRMS_HELP),
    out: Path = typer.Option(
        ...,
        "--out",
        help="Result file (CSV, or Parquet by suffix): firm, esri, esri_downstream, esri_upstream.",
    ),
    essentiality: Path | None = typer.Option(None, "--essentiality", help=E_HELP),
    tol: float = typer.Option(
        DEFAULT_TOL,
        "--tol",
        help="ε: stop when no firm's production drops by more than this in a round.",
    ),
    exact: bool = typer.Option(
        False, "--exact", help="Exact mode: the reference iteration (to rounding)."
    ),
    delta: float = typer.Option(
        DEFAULT_DELTA, "--delta", help="Fast mode: first δ; smaller changes are not propagated."
    ),
    max_error: float = typer.Option(
        DEFAULT_MAX_ERROR,
        "--max-error",
        help="Fast mode: largest allowed |ESRI − exact ESRI|; "
        "firms that would exceed it are computed again.",
    ),
    weights: Weights = typer.Option(
        Weights.out,
        "--weights",
        help="ESRI weights: out-strength (sales, default), in-strength or their sum.",
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        help="Threads to use (with --engine spark: threads inside each Spark task, default 1).",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="Where the cascades run: local, or spark (batches of firms as Spark tasks on "
        "CHAINWATCH_SPARK_MASTER; docs/spark-esri.md). Same results either way.",
    ),
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        help="--engine spark: firms per Spark task (default: about 8 tasks per core, "
        "at most 20,000 firms each).",
    ),
    top: int = typer.Option(10, "--top", min=0, help="Firms to show, by ESRI."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON summary instead."),
) -> None:
    """Economic systemic risk index of every firm: the share of the network's production lost
    if that firm fails, downstream (suppliers → customers) and upstream (lost demand)."""
    if engine not in ("local", "spark"):
        raise ValidationError(f"--engine {engine!r}: choose local or spark.")
    if threads is not None and threads < 1:
        raise ValidationError(f"--threads {threads}: give 1 or more.")
    compute: Callable[..., ScenarioESRI] = firm_esri
    if engine == "spark":
        from chainwatch.risk.spark_esri import spark_firm_esri

        compute = functools.partial(spark_firm_esri, batch_size=batch_size)
    elif batch_size is not None:
        raise ValidationError("--batch-size goes with --engine spark.")
    if out.is_dir():
        raise InputFileError(f"--out {out}: is a folder; give a file name such as esri.csv.")
    started = time.perf_counter()
    inputs = load_inputs(links, firms, essentiality)
    network = inputs.network
    w = {
        Weights.out: network.out_strength,
        Weights.in_: network.in_strength,
        Weights.total: network.out_strength + network.in_strength,
    }[weights]
    with progress_bar("ESRI 计算 / computing ESRI", total=network.size) as advance:
        result = compute(
            network,
            exact=exact,
            tol=tol,
            delta=delta,
            max_error=max_error,
            weights=w,
            threads=threads,
            progress=advance,
        )
    write_results(out, inputs.firms, result.esri, result.esri_down, result.esri_up)
    seconds = time.perf_counter() - started
    order = np.argsort(-result.esri, kind="stable")[:top]
    bound = result.largest_error_bound
    top_firms = [
        {
            "firm": inputs.firms[i],
            "esri": float(result.esri[i]),
            "esri_downstream": float(result.esri_down[i]),
            "esri_upstream": float(result.esri_up[i]),
        }
        for i in order
    ]
    summary = {
        "firms": network.size,
        "links": network.links,
        "sectors": len(inputs.sectors),
        "replaceability": inputs.markets is not None,
        "engine": engine,
        "mode": result.mode,
        "tol": tol,
        "delta": result.delta,
        "max_error": max_error if not exact else 0.0,
        "error_bound": bound,
        "weights": weights.value,
        "seconds": round(seconds, 3),
        "out": str(out),
        "top": top_firms,
    }
    if json_:
        print_json(summary)
        return
    where = f"Spark {get_settings().spark_master}; " if engine == "spark" else ""
    console.print(
        f"{network.size:,} firms, {network.links:,} links, "
        f"{len(inputs.sectors)} sectors, replaceability "
        f"{'on' if inputs.markets is not None else 'off'}; {where}{seconds:.1f} s → {out}"
    )
    if exact:
        console.print("exact mode: the reference iteration; results agree with it to rounding.")
    else:
        console.print(
            f"fast mode: every ESRI (and its down/upstream parts) is within "
            f"±{bound:.1e} of the exact value (certified; δ={result.delta:g}, "
            f"max error {max_error:g})."
        )
    if top:
        print_table(
            "ESRI 最高的企业 / firms with the highest ESRI",
            ["firm", "esri", "esri_downstream", "esri_upstream"],
            [
                [
                    t["firm"],
                    f"{t['esri']:.4f}",
                    f"{t['esri_downstream']:.4f}",
                    f"{t['esri_upstream']:.4f}",
                ]
                for t in top_firms
            ],
        )


from chainwatch.cli import risk_list as _risk_list  # noqa: E402,F401  (adds the risk-list commands)
from chainwatch.cli import risk_scenarios as _scenarios  # noqa: E402,F401  (adds its commands)
