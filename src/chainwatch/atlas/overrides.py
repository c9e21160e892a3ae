"""The manual override list: an analyst's corrections that always win over the rules.

CHAINWATCH_HOME/atlas/overrides.csv (UTF-8 or GBK) or overrides.xlsx (first sheet), columns:

  统一社会信用代码 (uscc)   the firm
  产业链 (chain)            chain id or name, e.g. ic or 集成电路
  环节 (segment)            segment id or name; may be empty with 排除 (the whole chain)
  操作 (action)             加入 (add) · 排除 (exclude) · 主环节 (main: add, and make it the
                            firm's main segment in the chain)

Every row is checked and all problems are reported together, with their row numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from chainwatch.atlas.settings import atlas_folder
from chainwatch.errors import ConfigError, InputFileError, ValidationError
from chainwatch.ingest.readers import detect_encoding
from chainwatch.ingest.validation import check_uscc

Action = Literal["add", "exclude", "main"]
FILE_NAMES = ("overrides.csv", "overrides.xlsx")

_HEADERS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码", "uscc", "credit_code"),
    "chain": ("产业链", "chain"),
    "segment": ("环节", "segment"),
    "action": ("操作", "action"),
}
_ACTIONS: dict[str, Action] = {
    "加入": "add",
    "添加": "add",
    "add": "add",
    "排除": "exclude",
    "剔除": "exclude",
    "exclude": "exclude",
    "主环节": "main",
    "main": "main",
}


@dataclass(frozen=True)
class Override:
    row: int
    uscc: str
    chain_id: str
    segment_id: str | None  # None: the whole chain (exclude only)
    action: Action


@dataclass
class OverrideList:
    path: Path | None = None
    rows: list[Override] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        counts = {action: 0 for action in ("add", "exclude", "main")}
        for row in self.rows:
            counts[row.action] += 1
        return {"file": self.path.name if self.path else None, **counts}


def find_override_file() -> Path | None:
    folder = atlas_folder()
    present = [folder / name for name in FILE_NAMES if (folder / name).is_file()]
    if len(present) > 1:
        raise ConfigError(
            f"{folder} holds both overrides.csv and overrides.xlsx; keep one of them so that it "
            "is clear which list applies."
        )
    return present[0] if present else None


def _read_rows(path: Path) -> list[list[str]]:
    try:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows = [
                ["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
            book.close()
            return rows
        text = path.read_bytes().decode(detect_encoding(path)).lstrip("\ufeff")
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except (OSError, ValueError, KeyError) as exc:
        raise InputFileError(f"{path.name}: cannot be read ({exc}).") from exc


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        for key, aliases in _HEADERS.items():
            if name.strip().lower() in aliases:
                found.setdefault(key, index)
    missing = [_HEADERS[key][0] for key in _HEADERS if key not in found]
    if missing:
        raise InputFileError(
            f"{path.name}: missing column(s) {', '.join(missing)}; expected the header "
            f"统一社会信用代码,产业链,环节,操作 (got {', '.join(header) or 'an empty first row'})."
        )
    return found


def _lookup(chains: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chain in chains.values():
        found[chain.id] = chain
        found.setdefault(chain.name, chain)
    return found


def _segment_id(chain: Any, text: str) -> str | None:
    for segment in chain.segments:
        if text in (segment.id, segment.name):
            return str(segment.id)
    return None


def parse_overrides(path: Path, rows: list[list[str]], chains: Mapping[str, Any]) -> list[Override]:
    """Check every row against the chains; all problems raise one ValidationError."""
    if not rows:
        raise InputFileError(f"{path.name}: the file is empty; expected a header row.")
    columns = _columns(path, rows[0])
    by_name = _lookup(chains)
    problems: list[str] = []
    parsed: list[Override] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {key: (row[i] if i < len(row) else "") for key, i in columns.items()}
        if not any(cells.values()):
            continue
        before = len(problems)
        uscc, problem = check_uscc(cells["uscc"].upper()) if cells["uscc"] else (None, "is empty")
        if uscc is None:
            problems.append(f"row {number}, 统一社会信用代码 {cells['uscc']!r} {problem}")
        action = _ACTIONS.get(cells["action"].lower())
        if action is None:
            problems.append(
                f"row {number}, 操作 {cells['action']!r} is not one of 加入, 排除, 主环节"
            )
        chain = by_name.get(cells["chain"])
        segment_id: str | None = None
        if chain is None:
            problems.append(
                f"row {number}, 产业链 {cells['chain']!r} is not a known chain; "
                f"expected one of {', '.join(sorted(chains))} (id or name)"
            )
        elif cells["segment"]:
            segment_id = _segment_id(chain, cells["segment"])
            if segment_id is None:
                problems.append(
                    f"row {number}, 环节 {cells['segment']!r} is not a segment of {chain.name}; "
                    f"expected one of {', '.join(s.id for s in chain.segments)} (id or name)"
                )
        elif action in ("add", "main"):
            problems.append(f"row {number}, 环节 is empty; 加入 and 主环节 need a segment")
        if len(problems) == before and uscc is not None and chain is not None:
            parsed.append(Override(number, str(uscc), str(chain.id), segment_id, action))  # type: ignore[arg-type]
    problems.extend(_conflicts(parsed))
    if problems:
        raise ValidationError(
            f"{path.name}: {len(problems)} problem(s) in the override list; fix them and run "
            f"`chainwatch run atlas` again. First: {problems[0]}",
            errors=problems,
        )
    return parsed


def _conflicts(rows: list[Override]) -> list[str]:
    problems: list[str] = []
    seen: dict[tuple[str, str, str | None], Override] = {}
    mains: dict[tuple[str, str], Override] = {}
    for row in rows:
        kind = "exclude" if row.action == "exclude" else "add"
        key = (row.uscc, row.chain_id, row.segment_id)
        earlier = seen.get(key)
        if (
            earlier is not None
            and earlier.action != row.action
            and (kind == "exclude" or earlier.action == "exclude")
        ):
            problems.append(
                f"rows {earlier.row} and {row.row} both name {row.uscc} in {row.chain_id}/"
                f"{row.segment_id}, one to add and one to exclude; keep one of them"
            )
        seen.setdefault(key, row)
        if row.action == "main":
            other = mains.get((row.uscc, row.chain_id))
            if other is not None and other.segment_id != row.segment_id:
                problems.append(
                    f"rows {other.row} and {row.row} give {row.uscc} two main segments in "
                    f"{row.chain_id} ({other.segment_id}, {row.segment_id}); keep one"
                )
            mains.setdefault((row.uscc, row.chain_id), row)
    for row in rows:
        if row.action != "exclude" and (row.uscc, row.chain_id, None) in seen:
            whole = seen[(row.uscc, row.chain_id, None)]
            problems.append(
                f"rows {whole.row} and {row.row}: {row.uscc} is excluded from the whole chain "
                f"{row.chain_id} but added to its segment {row.segment_id}"
            )
    return problems


def load_overrides(chains: Mapping[str, Any], path: Path | None = None) -> OverrideList:
    """The override list of CHAINWATCH_HOME (or ``path``), checked; empty when there is none."""
    path = path or find_override_file()
    if path is None:
        return OverrideList()
    return OverrideList(path, parse_overrides(path, _read_rows(path), chains))
