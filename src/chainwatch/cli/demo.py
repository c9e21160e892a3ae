"""`chainwatch demo`: the demo province, loaded, computed and served."""

from __future__ import annotations

import typer

from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.config import get_settings


def demo(
    no_serve: bool = typer.Option(False, "--no-serve", help="Prepare everything, do not serve."),
    firms: int = typer.Option(None, "--firms", help="Firms (default 20000)."),
    months: int = typer.Option(None, "--months", help="Months from 2019-01 (default 36)."),
    seed: int = typer.Option(None, "--seed", help="Random seed (default 2020)."),
    reset: bool = typer.Option(False, "--reset", help="Delete CHAINWATCH_HOME's data first."),
    host: str = typer.Option(None, "--host", help="Address to serve on (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port to serve on (default 8000)."),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate the demo province unless it exists, load it through the ingest path, run every
    pipeline stage and serve the web app on http://127.0.0.1:8000."""
    from chainwatch.demo import prepare_demo

    settings = get_settings()
    firms = settings.demo_firms if firms is None else firms
    months = settings.demo_months if months is None else months
    seed = settings.demo_seed if seed is None else seed
    with progress_bar("demo", total=None) as advance:
        summary = prepare_demo(
            firms, months, seed, reset=reset, step=lambda text: advance(1, description=text)
        )
    if json_:
        print_json(summary)
    else:
        print_table(
            "演示省份 / demo province",
            ["file", "rows", "loaded", "rejected", "note"],
            [
                [
                    r["file"],
                    r["rows"],
                    r["loaded"],
                    r["rejected"],
                    "already loaded" if r["already_loaded"] else "",
                ]
                for r in summary["loads"]
            ],
        )
        for name, stage in summary["stages"].items():
            details = ", ".join(f"{k}={v}" for k, v in stage.items() if k != "path")
            console.print(f"[bold]{name}[/]: {details}")
    if no_serve:
        return
    from chainwatch.cli.serve import serve

    serve(host=host or settings.host, port=port or settings.port)
