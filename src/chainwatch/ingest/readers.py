"""Readers: any accepted file → chunks of text columns with canonical names and row numbers.

CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected), XLSX (first sheet or a named one) and
Parquet. Every value arrives as text (or None) so validation sees exactly what the user wrote;
``row`` is the line a person sees in Excel or an editor (the header is row 1).

pyarrow's streaming CSV reader keeps memory flat for files of hundreds of millions of lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chainwatch.errors import InputFileError
from chainwatch.ingest.schemas import Kind, header_key

CHUNK_ROWS = 500_000
ROW = "__row"


@dataclass
class Source:
    path: Path
    format: str  # csv | xlsx | parquet
    encoding: str | None
    mapping: dict[str, str]  # file header -> canonical column name
    ignored: list[str]  # headers that matched no column


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".xls":
        raise InputFileError(
            f"{path.name}: the old Excel format .xls is not read; open it in Excel or WPS and "
            "save it as .xlsx (or CSV)."
        )
    raise InputFileError(
        f"{path.name}: unknown file type {suffix or '(none)'!r}; expected .csv, .xlsx or .parquet."
    )


def _samples(path: Path, size: int = 1 << 20) -> list[bytes]:
    total = path.stat().st_size
    with path.open("rb") as fh:
        offsets = sorted({0, max(0, total // 2 - size // 2), max(0, total - size)})
        out = []
        for offset in offsets:
            fh.seek(offset)
            out.append(fh.read(size))
        return out


def _decodes(sample: bytes, encoding: str, at_start: bool) -> bool:
    # A sample cut mid-character fails at its ends; trim up to 3 bytes there.
    for head in (0,) if at_start else (0, 1, 2, 3):
        for tail in (0, 1, 2, 3):
            try:
                sample[head : len(sample) - tail].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) unless the bytes only make sense as GB18030 (a GBK superset)."""
    samples = _samples(path)
    if samples[0].startswith(b"\xef\xbb\xbf"):
        return "utf-8"  # pyarrow skips the BOM itself
    if all(_decodes(s, "utf-8", i == 0) for i, s in enumerate(samples)):
        return "utf-8"
    if all(_decodes(s, "gb18030", i == 0) for i, s in enumerate(samples)):
        return "gb18030"
    raise InputFileError(
        f"{path.name}: the text is neither UTF-8 nor GBK/GB18030; save the file as UTF-8 CSV "
        "(Excel: 另存为 → CSV UTF-8) and load it again."
    )


def map_headers(path: Path, kind: Kind, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    lookup: dict[str, str] = {}
    for column in kind.columns:
        for alias in column.headers():
            lookup.setdefault(header_key(alias), column.name)
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        name = lookup.get(header_key(header))
        if name is None:
            ignored.append(header)
            continue
        if name in seen:
            raise InputFileError(
                f"{path.name}: columns {seen[name]!r} and {header!r} both mean "
                f"{kind.column(name).label}; keep one of them."
            )
        seen[name] = header
        mapping[header] = name
    missing = [c for c in kind.columns if c.required and c.name not in seen]
    if missing:
        wanted = ", ".join(f"{c.label} (or {c.name})" for c in missing)
        found = ", ".join(repr(h) for h in headers) or "no header"
        raise InputFileError(
            f"{path.name}: missing required column(s) {wanted} for {kind.name}; the file has "
            f"{found}. Rename the header or see `chainwatch ingest {kind.name} --help`."
        )
    if kind.at_least_one_of and not any(n in seen for n in kind.at_least_one_of):
        labels = ", ".join(kind.column(n).label for n in kind.at_least_one_of)
        raise InputFileError(f"{path.name}: no indicator column found; expected any of {labels}.")
    return mapping, ignored


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _frame(columns: dict[str, list[str | None]], rows: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype="string[pyarrow]") for name, values in columns.items()}
    )
    frame[ROW] = rows
    return frame


def _read_csv(source: Source, chunk_rows: int) -> Iterator[pd.DataFrame]:
    path = source.path
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    # Our own header parse (trimmed) names the columns, so pyarrow's names match the mapping.
    names = _unique_names(_csv_headers(path, source.encoding or "utf-8"))
    read = pacsv.ReadOptions(
        encoding=source.encoding or "utf-8", block_size=32 << 20, column_names=names, skip_rows=1
    )
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    wanted = list(source.mapping)
    convert = pacsv.ConvertOptions(
        column_types={h: pa.string() for h in wanted},
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        reader = pacsv.open_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
    except pa.ArrowInvalid as exc:
        raise InputFileError(f"{path.name}: cannot be read as CSV: {exc}") from exc
    next_row = 2
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise InputFileError(
                f"{path.name}: broken CSV after line {next_row + pending_rows - 1}: {exc}. "
                "Check for a stray quote or a row with too many fields."
            ) from exc
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows >= chunk_rows:
            yield _arrow_chunk(pending, source.mapping, next_row)
            next_row += pending_rows
            pending, pending_rows = [], 0
    if pending_rows:
        yield _arrow_chunk(pending, source.mapping, next_row)


def _unique_names(headers: list[str]) -> list[str]:
    seen: set[str] = set()
    names = []
    for i, header in enumerate(headers):
        name = header if header and header not in seen else f"__column_{i + 1}"
        seen.add(name)
        names.append(name)
    return names


def _arrow_chunk(
    batches: list[pa.RecordBatch], mapping: dict[str, str], first_row: int
) -> pd.DataFrame:
    table = pa.Table.from_batches(batches)
    frame = pd.DataFrame(
        {
            mapping[h]: pd.Series(pd.arrays.ArrowStringArray(table.column(h).combine_chunks()))
            for h in mapping
        }
    )
    frame[ROW] = range(first_row, first_row + table.num_rows)
    return frame


def _read_xlsx(source: Source, sheet: str | None, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(source.path, read_only=True, data_only=True)
    try:
        ws = _sheet(book, source.path, sheet)
        rows = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        index = {h: i for i, h in enumerate(header) if h in source.mapping}
        columns: dict[str, list[str | None]] = {source.mapping[h]: [] for h in index}
        numbers: list[int] = []
        for number, values in enumerate(rows, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            for h, i in index.items():
                columns[source.mapping[h]].append(
                    _cell_text(values[i]) if i < len(values) else None
                )
            numbers.append(number)
            if len(numbers) >= chunk_rows:
                yield _frame(columns, numbers)
                columns = {k: [] for k in columns}
                numbers = []
        if numbers:
            yield _frame(columns, numbers)
    finally:
        book.close()


def _sheet(book, path: Path, sheet: str | None):  # type: ignore[no-untyped-def]
    if sheet is None:
        return book.worksheets[0]
    if sheet not in book.sheetnames:
        raise InputFileError(
            f"{path.name}: no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}."
        )
    return book[sheet]


def _read_parquet(source: Source, chunk_rows: int) -> Iterator[pd.DataFrame]:
    pf = pq.ParquetFile(source.path)
    next_row = 2
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=list(source.mapping)):
        frame = pd.DataFrame(
            {
                source.mapping[h]: pd.Series(
                    [_cell_text(v) for v in batch.column(h).to_pylist()], dtype="string[pyarrow]"
                )
                for h in source.mapping
            }
        )
        frame[ROW] = range(next_row, next_row + batch.num_rows)
        next_row += batch.num_rows
        yield frame


def open_source(path: Path, kind: Kind, sheet: str | None = None) -> Source:
    if not path.exists():
        raise InputFileError(f"{path}: no such file.")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; name the files to load.")
    fmt = detect_format(path)
    if path.stat().st_size == 0:
        raise InputFileError(f"{path.name}: the file is empty.")
    encoding = None
    if fmt == "csv":
        encoding = detect_encoding(path)
        headers = _csv_headers(path, encoding)
    elif fmt == "xlsx":
        headers = _xlsx_headers(path, sheet)
    else:
        try:
            headers = pq.ParquetFile(path).schema_arrow.names
        except Exception as exc:
            raise InputFileError(f"{path.name}: not a readable Parquet file ({exc}).") from exc
    mapping, ignored = map_headers(path, kind, headers)
    return Source(path, fmt, encoding, mapping, ignored)


def _csv_headers(path: Path, encoding: str) -> list[str]:
    import csv
    import io

    with path.open("rb") as fh:
        raw = fh.read(1 << 16)
    text = raw.decode(encoding, errors="ignore").lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    return [h.strip() for h in next(csv.reader(io.StringIO(first), delimiter=delimiter), [])]


def _xlsx_headers(path: Path, sheet: str | None) -> list[str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputFileError(f"{path.name}: not a readable .xlsx workbook ({exc}).") from exc
    try:
        ws = _sheet(book, path, sheet)
        first = next(ws.iter_rows(values_only=True, max_row=1), ())
        return [str(h).strip() for h in first if h is not None]
    finally:
        book.close()


def read_chunks(
    source: Source, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Chunks with one text column per mapped header (canonical names) and ``__row``."""
    if source.format == "csv":
        yield from _read_csv(source, chunk_rows)
    elif source.format == "xlsx":
        yield from _read_xlsx(source, sheet, chunk_rows)
    else:
        yield from _read_parquet(source, chunk_rows)
