"""The analytical lake: Parquet files under CHAINWATCH_HOME/lake, queried with DuckDB.

Layout:
  lake/<kind>/batch=<id>/part-<n>.parquet   loaded data (invoices, customs, indicators)
  lake/results/<name>.parquet              computed results (links, atlas, risk, indices …)
  lake/enterprises.parquet                 snapshot of the registry for analytical joins
  lake/_staging/                           work in progress; never read by queries

A batch directory appears by an atomic rename once complete, and queries read only batches the
database marks as loaded, so a load killed halfway is never half visible.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.config import get_settings
from chainwatch.errors import DataMissingError


def lake_path() -> Path:
    path = get_settings().lake_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def staging_path() -> Path:
    path = lake_path() / "_staging"
    path.mkdir(parents=True, exist_ok=True)
    return path


def batch_path(kind: str, batch_id: int) -> Path:
    return lake_path() / kind / f"batch={batch_id}"


def result_path(name: str) -> Path:
    return lake_path() / "results" / f"{name}.parquet"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB bounded in memory and threads, spilling to the home folder."""
    settings = get_settings()
    spill = settings.home_path / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": settings.duckdb_memory_limit,
            "threads": settings.duckdb_threads,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        }
    )
    con.execute("SET enable_progress_bar = false")
    return con


@contextmanager
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """:func:`connect`, closed when the block ends."""
    con = connect()
    try:
        yield con
    finally:
        con.close()


def rows(
    con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of ``query`` as dictionaries keyed by column name."""
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def dataset_sql(kind: str, batch_ids: list[int]) -> str:
    """SQL for a loaded dataset restricted to the given (loaded) batches."""
    if not batch_ids:
        raise DataMissingError(
            f"no {kind} loaded yet; load files with `chainwatch ingest {kind} FILE` "
            "or run `chainwatch demo`."
        )
    files = [p for b in batch_ids for p in sorted(batch_path(kind, b).glob("*.parquet"))]
    if not files:
        raise DataMissingError(
            f"the {kind} batches {batch_ids} have no files in the lake; reload them."
        )
    listing = ", ".join(_quote(p) for p in files)
    return f"read_parquet([{listing}], union_by_name=true)"


def result_sql(name: str) -> str:
    path = result_path(name)
    if not path.exists():
        raise DataMissingError(f"{name} has not been computed yet; run `chainwatch run`.")
    return f"read_parquet({_quote(path)})"


def has_result(name: str) -> bool:
    return result_path(name).exists()


def publish(staged: Path, final: Path) -> None:
    """Move a finished staging folder or file into place atomically."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        if final.is_dir():
            shutil.rmtree(final)
        else:
            final.unlink()
    os.replace(staged, final)


def write_result_query(con: duckdb.DuckDBPyConnection, name: str, query: str) -> Path:
    """Run ``query`` and store it as result ``name`` (written aside, then renamed)."""
    final = result_path(name)
    tmp = staging_path() / f"{name}.parquet"
    con.execute(f"COPY ({query}) TO {_quote(tmp)} (FORMAT parquet, COMPRESSION zstd)")
    publish(tmp, final)
    return final


def write_result_table(name: str, table: pa.Table) -> Path:
    final = result_path(name)
    tmp = staging_path() / f"{name}.parquet"
    pq.write_table(table, tmp, compression="zstd")
    publish(tmp, final)
    return final


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
