"""Duplicate keys in lake kinds (indicators: one row per firm and month), checked in DuckDB.

Within a file, repeats of a key with identical values load once; repeats with different values
are all rejected. Against earlier batches, a key conflicts only where both give a value for the
same column and the values differ — an electricity file and a sales file for the same months
complement each other and both load.
"""

from __future__ import annotations

from pathlib import Path

from chainwatch.ingest import batches
from chainwatch.ingest import schemas as s
from chainwatch.ingest.readers import ROW
from chainwatch.ingest.reports import ProblemLog
from chainwatch.ingest.validation import Problem
from chainwatch.store import lake

TOLERANCE = 1e-6


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def drop_duplicate_keys(
    kind: s.Kind, staging: Path, log: ProblemLog, headers: dict[str, str], file_name: str
) -> tuple[int, int]:
    """Remove duplicate and conflicting keys from the staged file; returns (loaded, skipped)."""
    part = staging / "part-0.parquet"
    keys = list(kind.key)
    values = [c.name for c in kind.columns if c.name not in keys and c.name in headers]
    key_sql = ", ".join(keys)
    value_sql = ", ".join(values) if values else "1"
    label = " + ".join(headers.get(k, kind.column(k).label) for k in keys)
    con = lake.connect()
    con.execute(f"CREATE TEMP TABLE staged AS SELECT * FROM read_parquet({_q(part)})")
    problems: list[Problem] = []
    drop: set[int] = set()
    # Within the file.
    groups = con.execute(f"""
        SELECT {key_sql}, list({ROW} ORDER BY {ROW}) AS rows_,
               count(DISTINCT ({value_sql})) AS variants
        FROM staged GROUP BY {key_sql} HAVING count(*) > 1""").fetchall()
    skipped = 0
    for *key, rows_, variants in groups:
        key_text = " / ".join(str(k) for k in key)
        if variants > 1:
            for r in rows_:
                others = ", ".join(str(x) for x in rows_ if x != r)
                problems.append(
                    Problem(
                        file_name,
                        int(r),
                        label,
                        key_text,
                        f"appears again in row(s) {others} with different "
                        "values; keep one correct row",
                    )
                )
                drop.add(int(r))
        else:
            drop.update(int(r) for r in rows_[1:])
            skipped += len(rows_) - 1
    # Against earlier batches.
    loaded_ids = batches.loaded_batch_ids(kind.name)
    if loaded_ids and values:
        differs = " OR ".join(
            f"(n.{v} IS NOT NULL AND o.{v} IS NOT NULL AND "
            f"abs(n.{v} - o.{v}) > {TOLERANCE} * greatest(1, abs(o.{v})))"
            if kind.column(v).type in (s.AMOUNT, s.COUNT)
            else f"(n.{v} IS NOT NULL AND o.{v} IS NOT NULL AND n.{v} <> o.{v})"
            for v in values
        )
        news = " OR ".join(f"(n.{v} IS NOT NULL AND o.{v} IS NULL)" for v in values)
        rows = con.execute(f"""
            WITH o AS (SELECT {key_sql}, any_value(batch) AS batch,
                              {", ".join(f"max({v}) AS {v}" for v in values)}
                       FROM read_parquet([{", ".join(_q(p) for p in _files(kind, loaded_ids))}],
                                         hive_partitioning = true)
                       GROUP BY {key_sql})
            SELECT n.{ROW}, o.batch, ({differs}) AS conflict, ({news}) AS adds
            FROM staged n JOIN o USING ({key_sql})""").fetchall()
        for row, batch, conflict, adds in rows:
            if int(row) in drop:
                continue
            if conflict:
                problems.append(
                    Problem(
                        file_name,
                        int(row),
                        label,
                        "",
                        f"is already loaded (batch {batch}) with other values; correct this file, "
                        f"or take the old batch out with `chainwatch ingest remove {batch}`",
                    )
                )
                drop.add(int(row))
            elif not adds:
                drop.add(int(row))
                skipped += 1
    if problems:
        log.add(problems)
        bad = con.execute(
            f"SELECT * FROM staged WHERE {ROW} IN (SELECT unnest(?))", [[p.row for p in problems]]
        ).df()
        raw_cols = [ROW, *[c.name for c in kind.columns if c.name in headers]]
        log.quarantine(bad[raw_cols].astype(object), problems)
    if drop:
        tmp = staging / "part-0.tmp.parquet"
        con.execute(
            f"""COPY (SELECT * FROM staged WHERE {ROW} NOT IN (SELECT unnest(?)))
                        TO {_q(tmp)} (FORMAT parquet, COMPRESSION zstd)""",
            [sorted(drop)],
        )
        tmp.replace(part)
    loaded = con.execute(f"SELECT count(*) FROM read_parquet({_q(part)})").fetchone()
    con.close()
    return int(loaded[0]) if loaded else 0, skipped


def _files(kind: s.Kind, batch_ids: list[int]) -> list[Path]:
    return [p for b in batch_ids for p in sorted(lake.batch_path(kind.name, b).glob("*.parquet"))]
