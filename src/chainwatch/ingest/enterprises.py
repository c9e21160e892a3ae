"""Storing validated enterprise rows in the database.

Duplicates: the same credit code twice in one file with identical values is loaded once (the
repeat is counted as skipped); with different values every occurrence is rejected, because we
cannot know which one is right. A code already in the database with identical values is
skipped; with different values it is rejected as a conflict unless --update is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import insert, select, update

from chainwatch.ingest import batches
from chainwatch.ingest import schemas as s
from chainwatch.ingest.readers import ROW
from chainwatch.ingest.reports import ProblemLog
from chainwatch.ingest.validation import Problem
from chainwatch.store import lake
from chainwatch.store.db import session_scope
from chainwatch.store.models import Enterprise, IngestBatch

FIELDS = (
    "name",
    "region_code",
    "industry_code",
    "scale",
    "land_area_mu",
    "employees",
    "founded_on",
    "tags",
    "business_scope",
    "longitude",
    "latitude",
)


def _value(name: str, value: Any) -> Any:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if name == "land_area_mu":
        return Decimal(str(round(float(value), 2)))
    if name == "employees":
        return int(value)
    if name in ("longitude", "latitude"):
        return round(float(value), 6)
    if name == "tags":
        return list(value)
    if name == "founded_on":
        return pd.Timestamp(value).date()
    return value


def _record(row: dict[str, Any]) -> dict[str, Any]:
    record = {"uscc": row["uscc"]}
    for name in FIELDS:
        record[name] = _value(name, row.get(name))
    if record["tags"] is None:
        record["tags"] = []
    return record


def _comparable(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(str(record.get(n)) for n in FIELDS)


def _differences(new: dict[str, Any], old: Enterprise, kind: s.Kind) -> list[str]:
    diffs = []
    for name in FIELDS:
        incoming = new.get(name)
        if incoming is None or (name == "tags" and not incoming):
            continue  # a value not given does not contradict what is stored
        stored = getattr(old, name)
        if isinstance(stored, Decimal):
            stored = Decimal(str(round(float(stored), 2)))
        if isinstance(stored, float):
            stored = round(stored, 6)
        if name == "tags":
            stored = sorted(stored or [])
        if incoming != stored:
            diffs.append(f"{kind.column(name).label} {incoming!s} here vs {stored!s} loaded")
    return diffs


@dataclass
class EnterprisePlan:
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]
    skipped: int


def plan_enterprises(
    kind: s.Kind,
    good: pd.DataFrame,
    log: ProblemLog,
    headers: dict[str, str],
    file_name: str,
    update_existing: bool,
) -> EnterprisePlan:
    """Sort validated rows into inserts, updates and skips; log every conflict."""
    code_label = headers.get("uscc", "统一社会信用代码")
    records: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    conflicts: dict[str, list[int]] = {}
    skipped = 0
    for row in good.to_dict("records"):
        record = _record({str(k): v for k, v in row.items()})
        code = record["uscc"]
        if code in records or code in conflicts:
            if code in records and _comparable(records[code]) == _comparable(record):
                skipped += 1
                continue
            conflicts.setdefault(code, [first_row[code]]).append(int(row[ROW]))
            records.pop(code, None)
            continue
        records[code] = record
        first_row[code] = int(row[ROW])
    problems = []
    for code, row_numbers in conflicts.items():
        for r in row_numbers:
            others = ", ".join(str(x) for x in row_numbers if x != r)
            problems.append(
                Problem(
                    file_name,
                    r,
                    code_label,
                    code,
                    f"appears again in row(s) {others} with different values; "
                    "keep one correct row per code",
                )
            )
    inserts, updates = [], []
    with session_scope() as session:
        codes = list(records)
        for start in range(0, len(codes), 5000):
            part = codes[start : start + 5000]
            for old in session.scalars(select(Enterprise).where(Enterprise.uscc.in_(part))):
                new = records[old.uscc]
                diffs = _differences(new, old, kind)
                if not diffs:
                    skipped += 1
                elif update_existing:
                    updates.append(new)
                else:
                    problems.append(
                        Problem(
                            file_name,
                            first_row[old.uscc],
                            code_label,
                            old.uscc,
                            f"is already loaded (batch {old.batch_id}) with other values: "
                            f"{'; '.join(diffs)}; use --update to replace the loaded record",
                        )
                    )
                records.pop(old.uscc)
        inserts = list(records.values())
    if problems:
        log.add(problems)
        bad = good[good[ROW].isin({p.row for p in problems})]
        log.quarantine(
            bad[[c for c in good.columns if c in (ROW, *[k.name for k in kind.columns])]], problems
        )
    return EnterprisePlan(inserts, updates, skipped)


def write_enterprises(plan: EnterprisePlan, batch_id: int, rows: int, rejected: int) -> int:
    """Insert and update in one transaction that also marks the batch loaded."""
    inserts, updates = plan.inserts, plan.updates
    with session_scope() as session:
        for start in range(0, len(inserts), 10_000):
            part = [dict(r, batch_id=batch_id) for r in inserts[start : start + 10_000]]
            session.execute(insert(Enterprise), part)
        for record in updates:
            changes = {k: v for k, v in record.items() if v is not None and k != "uscc"}
            session.execute(
                update(Enterprise)
                .where(Enterprise.uscc == record["uscc"])
                .values(**changes, batch_id=batch_id)
            )
        values = batches.finish_values(
            rows, len(inserts) + len(updates), rejected, plan.skipped, batches.LOADED
        )
        session.execute(update(IngestBatch).where(IngestBatch.id == batch_id).values(**values))
    refresh_snapshot()
    return len(inserts) + len(updates)


def refresh_snapshot() -> None:
    """Write the registry to lake/enterprises.parquet for analytical joins in DuckDB."""
    columns = ["uscc", *FIELDS]
    data: dict[str, list[Any]] = {c: [] for c in columns}
    with session_scope() as session:
        result = session.execute(select(*[getattr(Enterprise, c) for c in columns]))
        for row in result:
            for c, v in zip(columns, row, strict=True):
                data[c].append(float(v) if isinstance(v, Decimal) else v)
    types = {
        "land_area_mu": pa.float64(),
        "employees": pa.int64(),
        "founded_on": pa.date32(),
        "tags": pa.list_(pa.string()),
        "longitude": pa.float64(),
        "latitude": pa.float64(),
    }
    table = pa.table({c: pa.array(data[c], type=types.get(c, pa.string())) for c in columns})
    path = lake.lake_path() / "enterprises.parquet"
    tmp = lake.staging_path() / "enterprises.parquet"
    pq.write_table(table, tmp, compression="zstd")
    lake.publish(tmp, path)
