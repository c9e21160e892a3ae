"""`chainwatch demo-data`: write a synthetic province in the same files users load."""

from __future__ import annotations

from pathlib import Path

import typer

from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.config import get_settings


def demo_data(
    firms: int = typer.Option(
        None,
        "--firms",
        help="Firms in the province (≥ 50; default CHAINWATCH_DEMO_FIRMS or 20000).",
    ),
    months: int = typer.Option(
        None, "--months", help="Months of data, 1–120 (default CHAINWATCH_DEMO_MONTHS or 36)."
    ),
    seed: int = typer.Option(
        None,
        "--seed",
        help="Random seed; the same seed and options give "
        "byte-identical files (default CHAINWATCH_DEMO_SEED or 2020).",
    ),
    start: str = typer.Option("2019-01", "--start", help="First month, YYYY-MM."),
    out: Path = typer.Option(
        Path("demo-data"),
        "--out",
        help="Folder to write the files to "
        "(created if missing; files of the same name are replaced).",
    ),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate a synthetic Zhejiang-like province: enterprises.csv, invoices.csv,
    customs.csv, indicators.csv, planted.json and PLANTED.md (see docs/synthetic-province.md).
    """
    from chainwatch.synth.province import STAGES, ProvinceOptions, generate_province

    settings = get_settings()
    options = ProvinceOptions(
        firms=settings.demo_firms if firms is None else firms,
        months=settings.demo_months if months is None else months,
        seed=settings.demo_seed if seed is None else seed,
        start=start,
    )
    with progress_bar("demo-data", total=STAGES) as advance:
        started = [False]

        def step(description: str) -> None:
            advance(1 if started[0] else 0, description=description)
            started[0] = True

        summary = generate_province(out, options, step)
        advance(1, description="done")
    if json_:
        print_json(summary)
        return
    print_table(
        f"synthetic province in {summary['out']}",
        ["file", "rows"],
        [(name, f"{rows:,}") for name, rows in summary["files"].items()],
    )
    console.print(
        f"{summary['firms']:,} firms, {summary['months']} months ({summary['start']} … "
        f"{summary['end']}), seed {summary['seed']}; {summary['links']:,} supply links "
        f"(mean out-degree {summary['mean_out_degree']}, max {summary['max_out_degree']}), "
        f"{summary['external_suppliers']:,} out-of-province suppliers; planted: "
        f"{', '.join(summary['planted']) or 'none'} (see PLANTED.md)."
    )
