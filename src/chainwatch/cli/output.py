"""Shared output helpers: tables or JSON, progress bars, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def print_json(data: Any) -> None:
    """Machine-readable output for scripts: plain JSON on stdout, UTF-8, nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=_default, indent=2) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


@contextmanager
def progress_bar(description: str, total: float | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields a callback ``advance(n=1, total=None)``."""
    quiet = not err_console.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=quiet,
    ) as progress:
        task = progress.add_task(description, total=total)

        def advance(
            n: float = 1, total: float | None = None, description: str | None = None
        ) -> None:
            if total is not None:
                progress.update(task, total=total)
            if description is not None:
                progress.update(task, description=description)
            progress.advance(task, n)

        yield advance
