"""`chainwatch risk esri-spark`: `chainwatch risk esri` with the cascades distributed over Spark
(batches of firms as tasks; docs/spark-esri.md). Same inputs, same results file."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer

from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.cli.risk import E_HELP, FIRMS_HELP, LINKS_HELP, Weights, app
from chainwatch.config import get_settings
from chainwatch.errors import InputFileError
from chainwatch.risk.esri import DEFAULT_TOL
from chainwatch.risk.fast import DEFAULT_DELTA, DEFAULT_MAX_ERROR
from chainwatch.risk.files import load_inputs, write_results
from chainwatch.risk.spark_esri import spark_firm_esri


@app.command("esri-spark")
def esri_spark(
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
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        help="Firms per Spark task (default: about 8 tasks per core of the cluster, "
        "at most 20,000 firms each).",
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        help="Compiled threads inside each Spark task (default 1; set spark.task.cpus to match).",
    ),
    top: int = typer.Option(10, "--top", min=0, help="Firms to show, by ESRI."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON summary instead."),
) -> None:
    """`risk esri` on Spark: the same results, computed by batches of firms as Spark tasks.

    Spark runs where CHAINWATCH_SPARK_MASTER says (default local[2]); the network is broadcast
    to the executors once and each task computes the ESRI of one batch of firms."""
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
    with progress_bar("ESRI 计算 (Spark) / computing ESRI on Spark", total=network.size) as advance:
        result = spark_firm_esri(
            network,
            exact=exact,
            tol=tol,
            delta=delta,
            max_error=max_error,
            weights=w,
            threads=threads,
            batch_size=batch_size,
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
    master = get_settings().spark_master
    summary = {
        "firms": network.size,
        "links": network.links,
        "sectors": len(inputs.sectors),
        "replaceability": inputs.markets is not None,
        "engine": "spark",
        "spark_master": master,
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
    console.print(
        f"{network.size:,} firms, {network.links:,} links, "
        f"{len(inputs.sectors)} sectors, replaceability "
        f"{'on' if inputs.markets is not None else 'off'}; Spark {master}; "
        f"{seconds:.1f} s → {out}"
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
