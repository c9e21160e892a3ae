"""`chainwatch run [STAGE...]`: run the pipeline, or chosen stages of it."""

from __future__ import annotations

import time

import typer

from chainwatch.cli.output import console, print_json, progress_bar
from chainwatch.engines import ENGINES
from chainwatch.errors import ValidationError
from chainwatch.pipeline import missing_inputs, select, stage_names
from chainwatch.store.db import ensure_database


def run(
    stages: list[str] = typer.Argument(None, help="Stages to run (default: all, in order)."),
    engine: str = typer.Option(
        "duckdb", "--engine", help="Compute engine: duckdb, or spark for links and atlas."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the summaries as JSON."),
) -> None:
    """Run pipeline stages (links → atlas → risk → monitor, as far as they exist)."""
    if engine not in ENGINES:
        raise ValidationError(
            f"--engine {engine!r} is not known; available: {', '.join(ENGINES)} "
            f"(未知计算引擎 {engine!r})."
        )
    ensure_database()
    chosen = select(stages)
    summaries: dict[str, dict[str, object]] = {}
    produced: set[str] = set()
    with progress_bar("pipeline", total=len(chosen)) as advance:
        for stage in chosen:
            absent = missing_inputs(stage, produced)
            if absent and not stages:
                # A whole run does what the loaded data allows; a stage asked for by name runs
                # and says precisely what it lacks.
                summaries[stage.name] = {"skipped": "missing " + ", ".join(absent)}
                advance(1)
                continue
            advance(0, description=f"{stage.name}: {stage.label}")
            started = time.perf_counter()
            summary = stage.run(engine)
            summary["seconds"] = round(time.perf_counter() - started, 2)
            summaries[stage.name] = summary
            produced.add(stage.name)
            advance(1)
    if json_:
        print_json(summaries)
        return
    for name, summary in summaries.items():
        details = ", ".join(f"{k}={v}" for k, v in summary.items() if k != "path")
        console.print(f"[bold]{name}[/]: {details}")


run.__doc__ = (run.__doc__ or "") + f"\n\nStages: {', '.join(stage_names())}."
