"""The indicator cube: every firm's monthly sales and electricity as two dense firm × month
arrays, the form the province-scale monitoring steps work on.

A province has a few million firms and three years of months, so the firm-month cells number
about a hundred million, but each firm has at most one value per month: a dense array holds them
in 8 bytes a cell with no keys at all, and the year-on-year comparison becomes a shift by twelve
columns instead of a self-join of a hundred million rows. The monitor stage builds the cube once
from the indicator rows (one DuckDB scan that also numbers the firms), computes the indices
from it (:mod:`chainwatch.monitor.dense`) and keeps it in the lake as plain ``.npy`` files that
the alert rules memory-map (:mod:`chainwatch.monitor.dense_alerts`).

Rows are firms: first the registry in credit-code order (row i is the firm numbered i + 1 by
:func:`chainwatch.monitor.scopes.register_firm_ids`), then firms with indicators but no
registry entry, in code order. Columns are consecutive calendar months from ``first_month`` (an
ordinal, year × 12 + month − 1). A cell is NaN where the firm has no reading; values are as
loaded (merged over batches by the largest value, like
:func:`chainwatch.store.datasets.indicators_sql`), so zero and negative readings are kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit
from pyarrow import feather

from chainwatch.monitor import periods as pd_
from chainwatch.monitor.scopes import FIRM_IDS
from chainwatch.store import lake

CUBE = "index_cube"  # lake results folder
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass
class Cube:
    """Dense monthly indicators; see the module docstring for the layout."""

    codes: pa.Array  # credit code of each row (string)
    registered: int  # rows [0, registered) are registry firms, fid = row + 1
    first_month: int  # ordinal of column 0
    sales: FloatArray  # (rows, months), NaN = no reading
    electricity: FloatArray  # (rows, months), NaN = no reading
    has_row: BoolArray  # (rows, months): a row with a sales or electricity figure
    data_months: BoolArray  # (months,): some firm has a figure that month

    @property
    def firms(self) -> int:
        return int(self.sales.shape[0])

    @property
    def months(self) -> int:
        return int(self.sales.shape[1])

    def month_days(self, years_back: int = 0) -> FloatArray:
        """Days of each column's month (of the same month ``years_back`` years earlier)."""
        ordinals = self.first_month + np.arange(self.months)
        return np.array(
            [pd_.days_in_period(int(o) // 12 - years_back, int(o) % 12 + 1) for o in ordinals],
            dtype=np.float64,
        )


def _scan_sql(rows: str, first: int) -> str:
    """Indicator rows as (fid, column, sales, electricity) numbers — fid 0 for firms outside the
    registry, whose code is then in ``stray``; NaN for a missing figure — so the batches arrive
    in NumPy without conversion. FIRM_IDS must be on the connection."""
    return f"""
SELECT coalesce(f.fid, 0) AS fid, CASE WHEN f.fid IS NULL THEN s.uscc END AS stray,
       CAST(CAST(substr(s.period, 1, 4) AS INTEGER) * 12
            + CAST(substr(s.period, 6, 2) AS INTEGER) - 1 - {first} AS INTEGER) AS c,
       coalesce(CAST(s.sales AS DOUBLE), 'NaN'::DOUBLE) AS sales,
       coalesce(CAST(s.electricity_kwh AS DOUBLE), 'NaN'::DOUBLE) AS electricity
FROM {rows} s LEFT JOIN {FIRM_IDS} f USING (uscc)
WHERE {PRESENT}
"""


PRESENT = "(s.sales IS NOT NULL OR s.electricity_kwh IS NOT NULL)"
BATCH_ROWS = 1 << 20


@njit(cache=True)
def _scatter(
    row: npt.NDArray[np.int32],
    column: npt.NDArray[np.int32],
    sales: FloatArray,
    electricity: FloatArray,
    sales_out: FloatArray,
    electricity_out: FloatArray,
    has_row: BoolArray,
) -> None:
    """Put rows into the cube; a cell given twice keeps its larger figure (NaN = none)."""
    for r in range(row.shape[0]):
        i, c = row[r], column[r]
        has_row[i, c] = True
        value = sales[r]
        if not np.isnan(value):
            old = sales_out[i, c]
            if np.isnan(old) or value > old:
                sales_out[i, c] = value
        value = electricity[r]
        if not np.isnan(value):
            old = electricity_out[i, c]
            if np.isnan(old) or value > old:
                electricity_out[i, c] = value


def _numbers(batch: pa.RecordBatch, name: str) -> npt.NDArray[Any]:
    return batch.column(name).to_numpy(zero_copy_only=False)


def build_cube(con: duckdb.DuckDBPyConnection, rows: str, folder: Path | None = None) -> Cube:
    """Read indicator rows (columns uscc, period 'YYYY-MM', sales, electricity_kwh; a firm and
    month may repeat, as in unmerged batches) into a cube.

    The rows stream through in batches straight into the preallocated arrays (a compiled
    scatter), so the hundred million rows of a province are never held at once. With
    ``folder`` (:func:`staging_folder`) the arrays are .npy files there, mapped into memory, so
    :func:`save_cube` has nothing left to write. Needs FIRM_IDS on ``con``
    (:func:`chainwatch.monitor.scopes.register_firm_ids`).
    """
    registry = con.sql(f"SELECT uscc FROM {FIRM_IDS} ORDER BY fid").to_arrow_table()
    codes: pa.Array = registry.column("uscc").combine_chunks()
    registered = len(codes)
    span = con.execute(f"SELECT min(period), max(period) FROM {rows} s WHERE {PRESENT}").fetchall()
    low, high = span[0] if span else (None, None)
    first = _ordinal(low) if low else 0
    months = _ordinal(high) - first + 1 if high else 0
    shape = (registered, months)
    sales = _array(folder, "sales", shape, np.float64, np.nan)
    electricity = _array(folder, "electricity", shape, np.float64, np.nan)
    has_row = _array(folder, "has_row", shape, np.bool_, False)
    strays: list[pa.RecordBatch] = []
    reader = con.sql(_scan_sql(rows, first)).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        fid = np.asarray(_numbers(batch, "fid"), dtype=np.int32)
        inside = fid > 0
        if not inside.all():
            strays.append(batch.filter(pa.array(~inside)))
            batch = batch.filter(pa.array(inside))
            fid = fid[inside]
        _scatter(
            fid - 1,
            _numbers(batch, "c"),
            _numbers(batch, "sales"),
            _numbers(batch, "electricity"),
            sales,
            electricity,
            has_row,
        )
    if strays:
        extra = pa.Table.from_batches(strays)
        names, position = np.unique(
            np.asarray(extra.column("stray").to_pylist(), dtype=object).astype(str),
            return_inverse=True,
        )
        more = (len(names), months)
        stray_cube = (np.full(more, np.nan), np.full(more, np.nan), np.zeros(more, np.bool_))
        _scatter(
            position.astype(np.int32),
            extra.column("c").to_numpy(),
            extra.column("sales").to_numpy(),
            extra.column("electricity").to_numpy(),
            *stray_cube,
        )
        sales = np.concatenate([sales, stray_cube[0]])
        electricity = np.concatenate([electricity, stray_cube[1]])
        has_row = np.concatenate([has_row, stray_cube[2]])
        codes = pa.concat_arrays([codes, pa.array(names.tolist(), type=pa.string())])
    return Cube(
        codes=codes,
        registered=registered,
        first_month=first,
        sales=sales,
        electricity=electricity,
        has_row=has_row,
        data_months=np.asarray(has_row.any(axis=0), dtype=np.bool_),
    )


def _ordinal(label: str) -> int:
    return int(label[:4]) * 12 + int(label[5:7]) - 1


def cube_path() -> Path:
    return lake.lake_path() / "results" / CUBE


def staging_folder() -> Path:
    """A new folder to build a cube in (see :func:`build_cube`'s ``folder``)."""
    staged = lake.staging_path() / f"{CUBE}-{time.time_ns()}"
    staged.mkdir(parents=True)
    return staged


def _array(
    folder: Path | None, name: str, shape: tuple[int, int], dtype: type, fill: float | bool
) -> npt.NDArray[Any]:
    """A cube array: in memory, or an .npy file in ``folder`` mapped into memory."""
    if folder is None:
        return np.full(shape, fill, dtype=dtype)
    array = np.lib.format.open_memmap(folder / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)
    array[...] = fill
    return array


def save_cube(cube: Cube, staged: Path | None = None) -> Path:
    """Store the cube as .npy files (written aside, then moved into place). Arrays already
    mapped from files in ``staged`` (built there by :func:`build_cube`) are not written again:
    the operating system writes their pages back while the stage goes on."""
    staged = staged or staging_folder()
    for name in ("sales", "electricity", "has_row", "data_months"):
        array = getattr(cube, name)
        target = staged / f"{name}.npy"
        if not (
            isinstance(array, np.memmap) and Path(str(array.filename)).resolve() == target.resolve()
        ):
            np.save(target, array)
    feather.write_feather(
        pa.table({"code": cube.codes}), staged / "codes.arrow", compression="uncompressed"
    )
    (staged / "cube.json").write_text(
        json.dumps({"registered": cube.registered, "first_month": cube.first_month}),
        encoding="utf-8",
    )
    final = cube_path()
    lake.remove(final)
    lake.publish(staged, final)
    return final


def has_cube() -> bool:
    return (cube_path() / "cube.json").exists()


def load_cube(path: Path | None = None) -> Cube:
    """The stored cube, its arrays memory-mapped (read-only)."""
    folder = path or cube_path()
    meta = json.loads((folder / "cube.json").read_text(encoding="utf-8"))
    arrays = {
        name: np.load(folder / f"{name}.npy", mmap_mode="r")
        for name in ("sales", "electricity", "has_row", "data_months")
    }
    codes = feather.read_table(folder / "codes.arrow").column("code").combine_chunks()
    return Cube(
        codes=codes,
        registered=int(meta["registered"]),
        first_month=int(meta["first_month"]),
        **arrays,
    )
