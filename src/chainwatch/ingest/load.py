"""Loading files: read → validate → quarantine bad rows → store good rows as one batch.

Lake kinds (invoices, customs, indicators) are written to a staging folder and renamed into the
lake when complete; enterprises are written to the database in one transaction together with
the batch's final status. Either the whole batch is visible or none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.errors import ValidationError
from chainwatch.ingest import batches
from chainwatch.ingest import schemas as s
from chainwatch.ingest.readers import ROW, open_source, read_chunks
from chainwatch.ingest.reports import ProblemLog, export_report
from chainwatch.ingest.validation import Problem, validate_chunk
from chainwatch.store import lake

Progress = Callable[..., None]


@dataclass
class IngestResult:
    kind: str
    file: str
    batch_id: int | None
    status: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0
    already_loaded: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_counts: list[tuple[str, str, int]] = field(default_factory=list)
    report: str | None = None
    quarantine: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["problems"] = [p.as_dict() for p in self.problems]
        data["problem_counts"] = [
            {"column": c, "problem": p, "rows": n} for c, p, n in self.problem_counts
        ]
        return data


def _arrow_type(column: s.Column) -> pa.DataType:
    if column.type in (s.AMOUNT, s.COUNT, s.LONGITUDE, s.LATITUDE):
        return pa.float64()
    if column.type == s.DATE:
        return pa.date32()
    if column.type == s.TAGS:
        return pa.list_(pa.string())
    return pa.string()


def lake_schema(kind: s.Kind) -> pa.Schema:
    return pa.schema([(c.name, _arrow_type(c)) for c in kind.columns] + [(ROW, pa.int64())])


def _to_arrow(kind: s.Kind, good: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = []
    for f in schema:
        if f.name not in good.columns:
            arrays.append(pa.nulls(len(good), type=f.type))
        elif pa.types.is_floating(f.type) or f.name == ROW:
            arrays.append(pa.array(good[f.name].to_numpy(), type=f.type, from_pandas=True))
        elif pa.types.is_date(f.type):
            arrays.append(pa.array(good[f.name].to_numpy(dtype="datetime64[D]")).cast(f.type))
        else:
            arrays.append(pa.array(good[f.name], type=f.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def ingest_file(
    kind_name: str,
    path: Path,
    *,
    sheet: str | None = None,
    strict: bool = False,
    update: bool = False,
    errors_out: Path | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    kind = s.KINDS[kind_name]
    path = Path(path)
    source = open_source(path, kind, sheet)  # header problems fail before any batch exists
    sha = batches.file_sha256(path)
    existing = None if update else batches.find_loaded(kind.name, sha)
    if existing is not None:
        return IngestResult(
            kind.name,
            path.name,
            existing.id,
            existing.status,
            existing.rows,
            existing.loaded,
            existing.rejected,
            existing.skipped,
            already_loaded=True,
        )
    with batches.ingest_lock():
        batches.recover_interrupted()
        batch_id = batches.start_batch(kind.name, path.name, sha)
        log = ProblemLog(batch_id, kind.name)
        try:
            result = _load(kind, source, batch_id, log, sheet, strict, update, progress)
        except BaseException as exc:
            log.close()
            lake.remove(lake.staging_path() / f"batch-{batch_id}")
            batches.finish_batch(
                batch_id,
                **batches.finish_values(0, 0, 0, 0, batches.FAILED, f"failed: {exc}"[:2000]),
            )
            raise
        log.close()
    result.ignored_columns = source.ignored
    result.problems = log.first
    result.problem_counts = [(c, p, n) for (c, p), n in log.counts.most_common()]
    if log.total:
        result.report = str(log.report_path)
        result.quarantine = str(log.quarantine_path) if log.quarantine_path.exists() else None
        if errors_out is not None:
            result.report = str(export_report(log.report_path, errors_out))
    elif errors_out is not None:
        result.report = str(export_report(log.report_path, errors_out))
    if result.status == batches.REJECTED:
        raise ValidationError(
            f"{path.name}: {result.rejected} of {result.rows} rows have problems and --strict "
            f"was given, so nothing was loaded. Report: {result.report}",
            errors=[str(p) for p in log.first],
        )
    return result


def _load(
    kind: s.Kind,
    source: Any,
    batch_id: int,
    log: ProblemLog,
    sheet: str | None,
    strict: bool,
    update: bool,
    progress: Progress | None,
) -> IngestResult:
    headers = {v: k for k, v in source.mapping.items()}
    raw_columns = [ROW, *[c.name for c in kind.columns if c.name in headers]]
    staging = lake.staging_path() / f"batch-{batch_id}"
    staging.mkdir(parents=True, exist_ok=True)
    schema = lake_schema(kind)
    writer: pq.ParquetWriter | None = None
    frames: list[pd.DataFrame] = []
    rows = 0
    file_name = source.path.name
    try:
        for chunk in read_chunks(source, sheet):
            result = validate_chunk(kind, chunk, file_name, headers)
            rows += len(chunk)
            log.add(result.problems)
            log.quarantine(result.bad[raw_columns], result.problems)
            if kind.destination == "database":
                frames.append(result.good)
            elif not result.good.empty:
                if writer is None:
                    writer = pq.ParquetWriter(
                        staging / "part-0.parquet", schema, compression="zstd"
                    )
                writer.write_table(_to_arrow(kind, result.good, schema))
            if progress:
                progress(len(chunk))
    finally:
        if writer is not None:
            writer.close()
    if strict and log.total:
        lake.remove(staging)
        return _reject_whole(kind, file_name, batch_id, rows, log)
    if kind.destination == "database":
        from chainwatch.ingest.enterprises import plan_enterprises, write_enterprises

        lake.remove(staging)
        good = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=[ROW, *[c.name for c in kind.columns]])
        )
        plan = plan_enterprises(kind, good, log, headers, file_name, update)
        if strict and log.total:
            return _reject_whole(kind, file_name, batch_id, rows, log)
        loaded = write_enterprises(plan, batch_id, rows, log.rejected)
        skipped = plan.skipped
        status = batches.LOADED
    else:
        loaded, skipped = 0, 0
        if kind.key and (staging / "part-0.parquet").exists():
            from chainwatch.ingest.keys import drop_duplicate_keys

            loaded, skipped = drop_duplicate_keys(kind, staging, log, headers, file_name)
        elif (staging / "part-0.parquet").exists():
            loaded = pq.ParquetFile(staging / "part-0.parquet").metadata.num_rows
        if strict and log.total:
            lake.remove(staging)
            return _reject_whole(kind, file_name, batch_id, rows, log)
        if loaded:
            lake.publish(staging, lake.batch_path(kind.name, batch_id))
        else:
            lake.remove(staging)
        status = batches.LOADED
        batches.finish_batch(
            batch_id, **batches.finish_values(rows, loaded, log.rejected, skipped, status)
        )
    return IngestResult(kind.name, file_name, batch_id, status, rows, loaded, log.rejected, skipped)


def _reject_whole(
    kind: s.Kind, file_name: str, batch_id: int, rows: int, log: ProblemLog
) -> IngestResult:
    batches.finish_batch(
        batch_id,
        **batches.finish_values(
            rows, 0, log.rejected, 0, batches.REJECTED, "rejected whole file (--strict)"
        ),
    )
    return IngestResult(kind.name, file_name, batch_id, batches.REJECTED, rows, 0, log.rejected)


def remove_batch(batch_id: int) -> dict[str, Any]:
    """Take a loaded batch out: lake files deleted, enterprise rows of that batch deleted."""
    from sqlalchemy import delete

    from chainwatch.errors import NotFoundError
    from chainwatch.store.db import ensure_database, session_scope
    from chainwatch.store.models import Enterprise, IngestBatch

    ensure_database()
    with batches.ingest_lock(), session_scope() as session:
        batch = session.get(IngestBatch, batch_id)
        if batch is None:
            raise NotFoundError(
                f"no ingest batch {batch_id}; `chainwatch ingest --list` shows the batches."
            )
        removed = 0
        if batch.kind == "enterprises":
            result = session.execute(delete(Enterprise).where(Enterprise.batch_id == batch_id))
            removed = int(getattr(result, "rowcount", 0) or 0)
        else:
            lake.remove(lake.batch_path(batch.kind, batch_id))
            removed = batch.loaded
        batch.status = "removed"
        data = batches.as_dict(batch)
    if data["kind"] == "enterprises":
        from chainwatch.ingest.enterprises import refresh_snapshot

        refresh_snapshot()
    data["removed_rows"] = removed
    return data
