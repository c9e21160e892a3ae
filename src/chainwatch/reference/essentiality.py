"""Input essentiality between GB/T 4754-2017 divisions, derived from the IHS Markit survey.

E[k, l] is how much production in buyer division l depends on inputs from supplier division k:
2 essential (critical), 1 important but not essential, 0 negligible. The systemic-risk engine
reads E by (supplier, customer) sector.

Sources shipped in ``data/``:

- ``ess_mat_n2_ihs.csv``: the published matrix over NACE Rev.2 divisions (from the tutorial of
  Diem et al. 2022, Sci Rep 12:7719; classification of Pichler et al. 2021, arXiv 2102.09608).
  It is written by R: the header's first cell is empty and row labels sit in the first column.
  Besides the 88 NACE divisions it has a row and a column labelled ``9999``, a catch-all sector
  for firms without a known NACE code, with every entry 1. :func:`load_nace_essentiality` keeps
  it (89 × 89); the derivation never uses it because every GB/T 4754 division maps to a real
  NACE division.
- ``gbt4754_to_nace.csv``: one closest NACE division for every GB/T 4754 division.
- ``essentiality_gbt4754.csv``: the derived matrix in long format
  (``supplier_division,customer_division,level``), listing only nonzero pairs; absent pairs
  are 0. Regenerate it with ``python -m chainwatch.reference.essentiality``.

Derivation: E_gb[k, l] = E_nace[nace(k), nace(l)].
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from chainwatch.errors import ChainwatchError, ConfigError, InputFileError, ValidationError
from chainwatch.reference.industries import division_of, load_industries

DATA_DIR = Path(__file__).parent / "data"
NACE_MATRIX_FILE = DATA_DIR / "ess_mat_n2_ihs.csv"
CONCORDANCE_FILE = DATA_DIR / "gbt4754_to_nace.csv"
DERIVED_FILE = DATA_DIR / "essentiality_gbt4754.csv"
UNCLASSIFIED_NACE = "9999"
LEVELS = (0, 1, 2)

LONG_HEADER = ["supplier_division", "customer_division", "level"]
_CONCORDANCE_HEADER = ["gbt_division", "nace_division", "note"]


def read_nace_essentiality(path: Path) -> pd.DataFrame:
    """Read a square essentiality matrix written like ``ess_mat_n2_ihs.csv``.

    The first row holds the buyer codes after one empty (or label) cell; each further row holds
    a supplier code and its levels. Codes are kept as text so that ``'01'`` keeps its zero.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except OSError as exc:
        raise InputFileError(f"cannot read essentiality matrix {path}: {exc}") from exc
    if len(rows) < 2:
        raise InputFileError(f"{path.name}: expected a header row and at least one supplier row")
    buyers = [cell.strip() for cell in rows[0][1:]]
    suppliers = [row[0].strip() for row in rows[1:]]
    problems: list[str] = []
    if sorted(buyers) != sorted(suppliers) or len(set(buyers)) != len(buyers):
        problems.append(
            "row labels and column labels differ or repeat; a square matrix with the same "
            "codes on both axes is expected"
        )
    values: list[list[int]] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) != len(buyers) + 1:
            problems.append(f"row {line_number}: {len(row) - 1} values, expected {len(buyers)}")
            continue
        parsed = [_parse_level(cell, line_number, problems) for cell in row[1:]]
        values.append([level if level is not None else 0 for level in parsed])
    if problems:
        raise ValidationError(
            f"{path.name} has {len(problems)} problem(s): {'; '.join(problems[:10])}",
            errors=problems,
        )
    frame = pd.DataFrame(values, index=suppliers, columns=buyers, dtype="int64")
    frame = frame.loc[buyers, buyers]
    frame.index.name = "supplier"
    frame.columns.name = "customer"
    return frame


def _parse_level(cell: str, line_number: int, problems: list[str]) -> int | None:
    text = cell.strip()
    if text not in {"0", "1", "2"}:
        problems.append(f"row {line_number}: level {cell!r} is not 0, 1 or 2")
        return None
    return int(text)


@lru_cache(maxsize=1)
def _nace_matrix() -> pd.DataFrame:
    return read_nace_essentiality(NACE_MATRIX_FILE)


def load_nace_essentiality() -> pd.DataFrame:
    """The shipped IHS matrix over NACE Rev.2 divisions, 89 × 89 including ``'9999'``.

    Index: supplier division, columns: buyer division, both two-digit text codes.
    """
    return _nace_matrix().copy()


def read_concordance(path: Path) -> dict[str, str]:
    """Read a GB/T 4754 → NACE division table (``gbt_division,nace_division,note``)."""
    problems: list[str] = []
    concordance: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != _CONCORDANCE_HEADER:
                raise InputFileError(
                    f"{path.name}: header is {header!r}; expected {','.join(_CONCORDANCE_HEADER)}"
                )
            for line_number, row in enumerate(reader, start=2):
                if len(row) != len(_CONCORDANCE_HEADER):
                    problems.append(f"row {line_number}: {len(row)} columns, expected 3")
                    continue
                gbt, nace = row[0].strip(), row[1].strip()
                if gbt in concordance:
                    problems.append(f"row {line_number}: division {gbt} appears twice")
                    continue
                concordance[gbt] = nace
    except OSError as exc:
        raise InputFileError(f"cannot read concordance {path}: {exc}") from exc
    if problems:
        raise ValidationError(
            f"{path.name} has {len(problems)} problem(s): {'; '.join(problems[:10])}",
            errors=problems,
        )
    return concordance


def load_concordance() -> dict[str, str]:
    """The shipped concordance: every GB/T 4754-2017 division → its closest NACE division."""
    return read_concordance(CONCORDANCE_FILE)


def derive_essentiality(concordance: Mapping[str, str], nace_matrix: pd.DataFrame) -> pd.DataFrame:
    """E over GB/T 4754 divisions: E_gb[k, l] = E_nace[nace(k), nace(l)].

    Every key of ``concordance`` must be a GB/T 4754-2017 division and every value a code on
    both axes of ``nace_matrix``. The result is indexed by supplier division (rows) and buyer
    division (columns) in code order, with int levels 0/1/2.
    """
    divisions = {code for code, item in load_industries().items() if item.level == "division"}
    problems = [
        f"{gbt}: not a GB/T 4754-2017 division" for gbt in concordance if gbt not in divisions
    ]
    available = set(nace_matrix.index) & set(nace_matrix.columns)
    problems += [
        f"{gbt} → {nace}: NACE code {nace!r} is not in the matrix"
        for gbt, nace in concordance.items()
        if nace not in available
    ]
    if problems:
        raise ValidationError(
            f"cannot derive essentiality: {len(problems)} problem(s): {'; '.join(problems[:10])}",
            errors=problems,
        )
    order = sorted(concordance)
    targets = [concordance[gbt] for gbt in order]
    values = nace_matrix.loc[targets, targets].to_numpy(dtype="int64")
    frame = pd.DataFrame(values, index=order, columns=order)
    frame.index.name = "supplier_division"
    frame.columns.name = "customer_division"
    return frame


def render_essentiality_csv(matrix: pd.DataFrame) -> str:
    """The long-format CSV text of ``matrix``: nonzero pairs only, ordered by code."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LONG_HEADER)
    for supplier in sorted(matrix.index):
        row = matrix.loc[supplier]
        for customer in sorted(matrix.columns):
            level = int(row[customer])
            if level:
                writer.writerow([supplier, customer, level])
    return buffer.getvalue()


def read_essentiality(path: Path) -> pd.DataFrame:
    """Read a long-format essentiality file (``supplier_division,customer_division,level``).

    Codes of any level are accepted and reduced to their division (``C3973`` → ``39``); the
    matrix spans every GB/T 4754-2017 division and pairs not listed are 0. This is how users
    supply their own matrix.
    """
    problems: list[str] = []
    pairs: dict[tuple[str, str], int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(LONG_HEADER) - set(reader.fieldnames or [])
            if missing:
                raise InputFileError(
                    f"{path.name}: missing column(s) {', '.join(sorted(missing))}; "
                    f"expected the header {','.join(LONG_HEADER)}"
                )
            for line_number, row in enumerate(reader, start=2):
                pair = _parse_pair(row, line_number, problems)
                if pair is None:
                    continue
                key, level = pair
                if key in pairs and pairs[key] != level:
                    problems.append(
                        f"row {line_number}: pair {key[0]}→{key[1]} given again with level "
                        f"{level} (was {pairs[key]})"
                    )
                    continue
                pairs[key] = level
    except OSError as exc:
        raise InputFileError(f"cannot read essentiality file {path}: {exc}") from exc
    if problems:
        raise ValidationError(
            f"{path.name}: {len(problems)} row(s) rejected: {'; '.join(problems[:10])}",
            errors=problems,
        )
    return _matrix_from_pairs(pairs)


def _parse_pair(
    row: Mapping[str, str | None], line_number: int, problems: list[str]
) -> tuple[tuple[str, str], int] | None:
    try:
        supplier = division_of(row["supplier_division"] or "")
        customer = division_of(row["customer_division"] or "")
    except ChainwatchError as exc:
        problems.append(f"row {line_number}: {exc.message}")
        return None
    level = _parse_level(row["level"] or "", line_number, problems)
    if level is None:
        return None
    return (supplier, customer), level


def _matrix_from_pairs(pairs: Mapping[tuple[str, str], int]) -> pd.DataFrame:
    divisions = sorted(c for c, item in load_industries().items() if item.level == "division")
    position = {code: number for number, code in enumerate(divisions)}
    values = np.zeros((len(divisions), len(divisions)), dtype="int64")
    for (supplier, customer), level in pairs.items():
        values[position[supplier], position[customer]] = level
    frame = pd.DataFrame(values, index=divisions, columns=divisions)
    frame.index.name = "supplier_division"
    frame.columns.name = "customer_division"
    return frame


@lru_cache(maxsize=1)
def _default_matrix() -> pd.DataFrame:
    if not DERIVED_FILE.is_file():
        raise ConfigError(
            f"{DERIVED_FILE.name} is missing from the chainwatch package; regenerate it with "
            "`python -m chainwatch.reference.essentiality`"
        )
    return read_essentiality(DERIVED_FILE)


def default_essentiality() -> pd.DataFrame:
    """The shipped 97 × 97 matrix: index supplier division, columns buyer division, int 0/1/2."""
    return _default_matrix().copy()


def essentiality_lookup(
    supplier_code: object, customer_code: object, matrix: pd.DataFrame | None = None
) -> int:
    """Level (0/1/2) of inputs from ``supplier_code`` for ``customer_code``.

    Codes of any level (division, group, class, with or without section letter) are reduced to
    their division. ``matrix`` defaults to :func:`default_essentiality`.
    """
    table = _default_matrix() if matrix is None else matrix
    supplier, customer = division_of(supplier_code), division_of(customer_code)
    if supplier not in table.index or customer not in table.columns:
        raise ValidationError(
            f"essentiality matrix has no entry for {supplier}→{customer}; a matrix over all "
            "GB/T 4754-2017 divisions is expected"
        )
    # pandas types .at as any scalar; the matrix holds ints.
    return int(cast(int, table.at[supplier, customer]))


def regenerate(output: Path = DERIVED_FILE) -> str:
    """Derive the matrix from the shipped NACE matrix and concordance and write ``output``."""
    text = render_essentiality_csv(derive_essentiality(load_concordance(), _nace_matrix()))
    output.write_text(text, encoding="utf-8", newline="")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chainwatch.reference.essentiality",
        description="Regenerate the GB/T 4754 essentiality matrix from the IHS NACE matrix and "
        "the GB/T 4754 → NACE concordance shipped with chainwatch.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DERIVED_FILE,
        help="where to write the long-format CSV (default: the shipped file)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the shipped file differs from a fresh derivation",
    )
    args = parser.parse_args(argv)
    if args.check:
        fresh = render_essentiality_csv(derive_essentiality(load_concordance(), _nace_matrix()))
        shipped = DERIVED_FILE.read_text(encoding="utf-8") if DERIVED_FILE.is_file() else ""
        if fresh != shipped:
            print(f"{DERIVED_FILE.name} is out of date; run without --check", file=sys.stderr)
            return 1
        print(f"{DERIVED_FILE.name} matches a fresh derivation")
        return 0
    text = regenerate(args.output)
    print(f"wrote {text.count(chr(10)) - 1} nonzero pairs to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
