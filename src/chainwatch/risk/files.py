"""Files for ``chainwatch risk esri``: LINKS, FIRMS and the essentiality table E.

- LINKS: supplier, customer, amount (repeated pairs add up; amount ≥ 0)
- FIRMS: firm, sector and optionally market_sector (present: replaceability within markets)
- E: supplier_sector, customer_sector, level ∈ {0, 1, 2}; pairs not listed are 0. Without E
  every pair is 1 (all inputs non-essential).

Ids are any text. CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX and Parquet are read. Problems
are collected for the whole file and reported together with file, row, column and value; for CSV
and XLSX ``row`` is the line a person sees in an editor or Excel (the header is row 1), for
Parquet it is the record number (the first record is 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chainwatch.errors import InputFileError, ValidationError
from chainwatch.risk.network import SupplyNetwork, build_network, links_matrix

MAX_REPORTED = 200

# Accepted headers (compared trimmed and case-insensitively) for each canonical column.
ALIASES: dict[str, tuple[str, ...]] = {
    "supplier": ("supplier", "供应商", "供方", "销方"),
    "customer": ("customer", "buyer", "客户", "购方"),
    "amount": ("amount", "金额", "交易额"),
    "firm": ("firm", "企业"),
    "sector": ("sector", "行业"),
    "market_sector": ("market_sector", "市场行业"),
    "supplier_sector": ("supplier_sector", "供方行业"),
    "customer_sector": ("customer_sector", "购方行业"),
    "level": ("level", "重要性"),
}


@dataclass(frozen=True)
class Table:
    """Columns as text, plus how to turn a 0-based position into the row a person sees."""

    path: Path
    frame: pd.DataFrame
    first_row: int  # row number of position 0

    def where(self, position: int, column: str, value: object) -> str:
        return f"{self.path.name} row {self.first_row + position}, column {column}: {value!r}"


@dataclass(frozen=True)
class ESRIInputs:
    firms: list[str]
    network: SupplyNetwork
    sectors: list[str]
    markets: list[str] | None


def _header_key(text: str) -> str:
    return text.replace("\ufeff", "").strip().lower()


def _csv_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for tail in range(4):  # the sample may end inside a character
        try:
            head[: len(head) - tail].decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            continue
    try:
        head[: len(head) - 1].decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path.name}: the text is neither UTF-8 nor GBK/GB18030; save it as UTF-8 CSV "
            "(Excel: 另存为 → CSV UTF-8) and try again."
        ) from exc
    return "gb18030"


def _read_csv(path: Path) -> pd.DataFrame:
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        header = next(csv.reader(io.StringIO(fh.readline())), [])
    if not [h for h in header if h.strip()]:
        raise InputFileError(f"{path.name}: the first line is empty; expected a header row.")
    repeated = sorted({h for i, h in enumerate(header) if h.strip() and h in header[:i]})
    if repeated:
        raise InputFileError(
            f"{path.name}: column(s) {', '.join(map(repr, repeated))} appear twice in the "
            "header; keep one of each."
        )
    names = [h if h else f"column {i + 1}" for i, h in enumerate(header)]
    read = pacsv.ReadOptions(
        encoding="utf-8" if encoding == "utf-8-sig" else encoding,
        column_names=names,
        skip_rows=1,
        block_size=16 << 20,
    )
    convert = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in names}, strings_can_be_null=False
    )
    try:
        table = pacsv.read_csv(path, read_options=read, convert_options=convert)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"{path.name}: cannot be read as CSV ({exc}). Check for a stray "
            "quote or a row with too many fields."
        ) from exc
    return table.to_pandas()


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(f"{path.name}: cannot be read as Parquet ({exc}).") from exc
    return table.to_pandas()


def read_table(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Table:
    """Read a file and return its required/optional columns under canonical names."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file.")
    if path.stat().st_size == 0:
        raise InputFileError(
            f"{path.name}: the file is empty; expected a header row with "
            f"{', '.join(required)} and data rows."
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        frame, first_row = _read_csv(path), 2
    elif suffix in (".parquet", ".pq"):
        frame, first_row = _read_parquet(path), 1
    elif suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, dtype=object)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise InputFileError(f"{path.name}: cannot be read as XLSX ({exc}).") from exc
        first_row = 2
    else:
        raise InputFileError(
            f"{path.name}: unknown file type {suffix or '(none)'!r}; expected "
            ".csv, .xlsx or .parquet."
        )
    lookup = {
        _header_key(alias): name
        for name in (*required, *optional)
        for alias in ALIASES.get(name, (name,))
    }
    chosen: dict[str, str] = {}
    for header in frame.columns:
        name = lookup.get(_header_key(str(header)))
        if name is None:
            continue
        if name in chosen:
            raise InputFileError(
                f"{path.name}: columns {chosen[name]!r} and {header!r} both "
                f"mean {name}; keep one of them."
            )
        chosen[name] = str(header)
    missing = [name for name in required if name not in chosen]
    if missing:
        found = ", ".join(repr(str(h)) for h in frame.columns) or "none"
        raise InputFileError(
            f"{path.name}: missing column(s) {', '.join(missing)}; the file "
            f"has {found}. Expected columns: {', '.join(required)}"
            f"{' (optional: ' + ', '.join(optional) + ')' if optional else ''}."
        )
    if len(frame) == 0:
        raise InputFileError(f"{path.name}: has a header but no data rows.")
    out = pd.DataFrame({name: frame[header] for name, header in chosen.items()})
    return Table(path=path, frame=out.reset_index(drop=True), first_row=first_row)


def _as_text(raw: pd.Series) -> pd.Series:
    """Cell values as trimmed text ('' for missing); 12.0 from a spreadsheet reads as '12'."""
    if pd.api.types.is_string_dtype(raw.dtype) and raw.dtype != object:
        return raw.fillna("").str.strip()  # Arrow-backed text stays compact
    if raw.dtype == object or pd.api.types.is_float_dtype(raw.dtype):
        return pd.Series([_cell(v) for v in raw], dtype=object)
    return raw.astype(str).str.strip()


def _text(table: Table, column: str, problems: list[str]) -> pd.Series:
    """Trimmed text; empty cells are problems."""
    raw = table.frame[column]
    values = _as_text(raw)
    for pos in np.flatnonzero((values == "").to_numpy(dtype=bool, na_value=False)):
        problems.append(
            f"{table.where(int(pos), column, raw.iloc[pos])} is empty; "
            "every row needs a value here."
        )
    return values


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _numbers(table: Table, column: str, problems: list[str]) -> np.ndarray:
    raw = table.frame[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    else:
        values = np.array(pd.to_numeric(_as_text(raw), errors="coerce"), dtype=np.float64)
    bad = ~np.isfinite(values)
    for pos in np.flatnonzero(bad):
        problems.append(f"{table.where(int(pos), column, raw.iloc[pos])} is not a number.")
    values[bad] = 0.0
    return values


def _raise(path: Path, problems: list[str]) -> None:
    if len(problems) == 1:
        raise ValidationError(f"{problems[0]} Fix the file and run again.")
    if problems:
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        raise ValidationError(
            f"{path.name}: {len(problems)} problems; fix the file and run again. First: "
            f"{problems[0]}",
            errors=shown + ([f"… and {more} more"] if more else []),
        )


def read_firms(path: Path) -> tuple[list[str], list[str], list[str] | None]:
    table = read_table(path, ("firm", "sector"), ("market_sector",))
    problems: list[str] = []
    firms = _text(table, "firm", problems)
    sectors = _text(table, "sector", problems)
    markets = _text(table, "market_sector", problems) if "market_sector" in table.frame else None
    first: dict[str, int] = {}
    for pos, firm in enumerate(firms):
        if firm == "":
            continue
        if firm in first:
            problems.append(
                f"{table.where(pos, 'firm', firm)} appears again (first at row "
                f"{table.first_row + first[firm]}); list every firm once."
            )
        else:
            first[firm] = pos
    _raise(path, problems)
    return list(firms), list(sectors), None if markets is None else list(markets)


def read_links(
    path: Path, firms: list[str], firms_name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = read_table(path, ("supplier", "customer", "amount"))
    problems: list[str] = []
    index = pd.Index(firms)
    ends = []
    for column in ("supplier", "customer"):
        ids = _text(table, column, problems)
        codes = index.get_indexer(pd.Index(ids))
        for pos in np.flatnonzero((codes < 0) & (ids != "").to_numpy()):
            problems.append(
                f"{table.where(int(pos), column, ids.iloc[pos])} is not a firm in "
                f"{firms_name}; add it there (with its sector) or fix the id."
            )
        ends.append(codes)
    amounts = _numbers(table, "amount", problems)
    for pos in np.flatnonzero(amounts < 0):
        problems.append(
            f"{table.where(int(pos), 'amount', table.frame['amount'].iloc[pos])} "
            "is negative; amounts are sales and must be ≥ 0."
        )
    _raise(path, problems)
    return ends[0], ends[1], amounts


def read_essentiality(path: Path, sectors: list[str]) -> np.ndarray:
    """The K x K level matrix for ``sectors``; pairs not listed are 0."""
    table = read_table(path, ("supplier_sector", "customer_sector", "level"))
    problems: list[str] = []
    sup = _text(table, "supplier_sector", problems)
    cus = _text(table, "customer_sector", problems)
    raw = table.frame["level"]
    levels = np.array(pd.to_numeric(_as_text(raw), errors="coerce"), dtype=np.float64)
    for pos in np.flatnonzero(~np.isin(levels, (0.0, 1.0, 2.0))):
        problems.append(
            f"{table.where(int(pos), 'level', raw.iloc[pos])} is not a level; "
            "expected 0 (negligible), 1 (non-essential) or 2 (essential)."
        )
    index = {s: k for k, s in enumerate(sectors)}
    matrix = np.zeros((len(sectors), len(sectors)), dtype=np.int8)
    seen: dict[tuple[str, str], tuple[int, float]] = {}
    for row, (a, b, level) in enumerate(zip(sup, cus, levels.tolist(), strict=True)):
        if (a, b) in seen and seen[(a, b)][1] != level:
            problems.append(
                f"{table.where(row, 'level', raw.iloc[row])} contradicts row "
                f"{table.first_row + seen[(a, b)][0]} for the pair ({a}, {b}); "
                "keep one level per pair."
            )
            continue
        seen[(a, b)] = (row, level)
        # Sectors that no firm has do not matter for this network.
        if a in index and b in index and level in (0.0, 1.0, 2.0):
            matrix[index[a], index[b]] = int(level)
    _raise(path, problems)
    return matrix


def load_inputs(links: Path, firms: Path, essentiality: Path | None = None) -> ESRIInputs:
    """Read and check the three files and build the network."""
    firm_ids, sector_text, market_text = read_firms(firms)
    sectors, sector_codes = np.unique(
        np.asarray(sector_text, dtype=object).astype(str), return_inverse=True
    )
    sector_labels = [str(s) for s in sectors]
    suppliers, customers, amounts = read_links(links, firm_ids, firms.name)
    if amounts.sum() <= 0:
        raise ValidationError(f"{links.name}: every amount is 0; ESRI needs some sales.")
    ess = (
        np.ones((len(sector_labels), len(sector_labels)), dtype=np.int8)
        if essentiality is None
        else read_essentiality(essentiality, sector_labels)
    )
    market_labels = None
    market_codes = None
    if market_text is not None:
        uniq, market_codes = np.unique(
            np.asarray(market_text, dtype=object).astype(str), return_inverse=True
        )
        market_labels = [str(m) for m in uniq]
    matrix = links_matrix(suppliers, customers, amounts, len(firm_ids))
    network = build_network(matrix, sector_codes, ess, market_codes)
    return ESRIInputs(firms=firm_ids, network=network, sectors=sector_labels, markets=market_labels)


def write_results(
    path: Path, firms: list[str], esri: np.ndarray, down: np.ndarray, up: np.ndarray
) -> None:
    """firm, esri, esri_downstream, esri_upstream as CSV (UTF-8 with BOM) or Parquet."""
    frame = pd.DataFrame(
        {"firm": firms, "esri": esri, "esri_downstream": down, "esri_upstream": up}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8-sig", float_format="%.15g")
