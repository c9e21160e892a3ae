"""Reading the shipped code tables: one strict reader that collects every problem.

Regions, industries and countries share the same checks (exact header, column count, unique
codes, a readable file); each table supplies only its own row parser and whole-table checks.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from chainwatch.errors import ConfigError

T = TypeVar("T")


def read_table(
    path: Path,
    header: list[str],
    parse_row: Callable[[list[str], int, list[str]], tuple[str, T] | None],
    what: str,
    check: Callable[[dict[str, T], list[str]], None] | None = None,
) -> dict[str, T]:
    """Rows keyed by code; ``parse_row(cells, line, problems)`` returns (code, record) or None
    after noting a problem; ``check(records, problems)`` adds whole-table problems."""
    problems: list[str] = []
    records: dict[str, T] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            found = next(reader, None)
            if found != header:
                raise ConfigError(
                    f"{path.name}: header is {found!r}; expected {','.join(header)}. "
                    "Restore the file from the chainwatch package."
                )
            for line_number, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    problems.append(
                        f"row {line_number}: {len(row)} columns, expected {len(header)}"
                    )
                    continue
                parsed = parse_row([cell.strip() for cell in row], line_number, problems)
                if parsed is None:
                    continue
                code, record = parsed
                if code in records:
                    problems.append(f"row {line_number}: code {code} appears twice")
                    continue
                records[code] = record
    except OSError as exc:
        raise ConfigError(f"cannot read {what} table {path}: {exc}") from exc
    if check is not None:
        check(records, problems)
    if problems:
        raise ConfigError(
            f"{path.name} has {len(problems)} problem(s): {'; '.join(problems[:10])}",
            errors=problems,
        )
    return records
