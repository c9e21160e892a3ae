"""Error reports and quarantine files, written as a load goes so memory stays flat.

Every batch keeps its report (reports/batch-<id>-errors.csv) and its rejected rows exactly as
they were written (quarantine/batch-<id>-<kind>.csv) in CHAINWATCH_HOME: nothing is lost.
CSV files carry a UTF-8 BOM so Excel and WPS open the Chinese text correctly.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path
from typing import IO

import pandas as pd

from chainwatch.config import get_settings
from chainwatch.errors import InputFileError
from chainwatch.ingest.readers import ROW
from chainwatch.ingest.validation import Problem

REPORT_COLUMNS = ["file", "row", "column", "value", "problem"]


class ProblemLog:
    """Collects problems of one batch: all to disk, the first few and counts in memory."""

    def __init__(self, batch_id: int, kind: str, keep: int = 200) -> None:
        home = get_settings().home_path
        (home / "reports").mkdir(parents=True, exist_ok=True)
        (home / "quarantine").mkdir(parents=True, exist_ok=True)
        self.report_path = home / "reports" / f"batch-{batch_id}-errors.csv"
        self.quarantine_path = home / "quarantine" / f"batch-{batch_id}-{kind}.csv"
        self._report: IO[str] = self.report_path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._report)
        self._writer.writerow(REPORT_COLUMNS)
        self._quarantine_header = False
        self.first: list[Problem] = []
        self.counts: Counter[tuple[str, str]] = Counter()
        self.bad_rows: set[int] = set()
        self.total = 0
        self._keep = keep

    def add(self, problems: list[Problem]) -> None:
        for p in problems:
            self._writer.writerow([p.file, p.row, p.column, p.value, p.problem])
            if len(self.first) < self._keep:
                self.first.append(p)
            self.counts[(p.column, _problem_kind(p.problem))] += 1
            self.bad_rows.add(p.row)
        self.total += len(problems)

    def quarantine(self, rows: pd.DataFrame, problems: list[Problem]) -> None:
        if rows.empty:
            return
        by_row: dict[int, list[str]] = {}
        for p in problems:
            by_row.setdefault(p.row, []).append(f"{p.column}: {p.problem}")
        out = rows.copy()
        out.insert(0, "行号", out.pop(ROW))
        out["问题"] = ["; ".join(by_row.get(int(r), [])) for r in out["行号"]]
        out.to_csv(
            self.quarantine_path,
            mode="a",
            index=False,
            header=not self._quarantine_header,
            encoding="utf-8-sig" if not self._quarantine_header else "utf-8",
        )
        self._quarantine_header = True

    def close(self) -> None:
        self._report.close()
        if not self._quarantine_header and self.quarantine_path.exists():
            self.quarantine_path.unlink()

    @property
    def rejected(self) -> int:
        return len(self.bad_rows)


def _problem_kind(problem: str) -> str:
    return problem.split(";")[0].split("(")[0].strip()


def export_report(report: Path, target: Path) -> Path:
    """Copy a batch report to the user's path: .csv as is, .xlsx as a workbook."""
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        frame = pd.read_csv(report, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name="errors")
    elif suffix in (".csv", ".txt", ""):
        shutil.copyfile(report, target)
    else:
        raise InputFileError(f"--errors {target.name}: write the report as .csv or .xlsx.")
    return target
