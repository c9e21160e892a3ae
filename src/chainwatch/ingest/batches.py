"""Ingest batches: one per loaded file, with counts and a status.

Only one ingest runs at a time per CHAINWATCH_HOME (a file lock); a batch left `running` by a
killed process is marked `failed` and its partial files removed before the next load starts, so
the same command can simply be run again.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from chainwatch.config import get_settings
from chainwatch.errors import ConflictError
from chainwatch.store import lake
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import IngestBatch

RUNNING, LOADED, FAILED, REJECTED = "running", "loaded", "failed", "rejected"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def ingest_lock() -> Iterator[None]:
    home = get_settings().home_path
    home.mkdir(parents=True, exist_ok=True)
    with (home / "ingest.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConflictError(
                "another ingest is running on this data folder; wait for it "
                "to finish and try again."
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def recover_interrupted() -> list[int]:
    """Mark batches a killed process left running as failed and remove their partial files."""
    ensure_database()
    with session_scope() as session:
        stale = session.scalars(select(IngestBatch).where(IngestBatch.status == RUNNING)).all()
        for batch in stale:
            batch.status = FAILED
            batch.message = "interrupted before it finished; nothing of it was kept"
            batch.finished_at = dt.datetime.now(dt.UTC)
            lake.remove(lake.batch_path(batch.kind, batch.id))
        ids = [b.id for b in stale]
    for leftover in lake.staging_path().iterdir():
        lake.remove(leftover)
    return ids


def find_loaded(kind: str, sha256: str) -> IngestBatch | None:
    ensure_database()
    with session_scope() as session:
        return session.scalars(
            select(IngestBatch).where(
                IngestBatch.kind == kind, IngestBatch.sha256 == sha256, IngestBatch.status == LOADED
            )
        ).first()


def start_batch(kind: str, file: str, sha256: str) -> int:
    with session_scope() as session:
        batch = IngestBatch(
            kind=kind,
            file=file,
            sha256=sha256,
            rows=0,
            loaded=0,
            rejected=0,
            skipped=0,
            status=RUNNING,
        )
        session.add(batch)
        session.flush()
        return batch.id


def finish_values(
    rows: int, loaded: int, rejected: int, skipped: int, status: str, message: str | None = None
) -> dict[str, Any]:
    return {
        "rows": rows,
        "loaded": loaded,
        "rejected": rejected,
        "skipped": skipped,
        "status": status,
        "message": message,
        "finished_at": dt.datetime.now(dt.UTC),
    }


def finish_batch(batch_id: int, **values: Any) -> None:
    with session_scope() as session:
        session.execute(update(IngestBatch).where(IngestBatch.id == batch_id).values(**values))


def as_dict(batch: IngestBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "kind": batch.kind,
        "file": batch.file,
        "sha256": batch.sha256,
        "rows": batch.rows,
        "loaded": batch.loaded,
        "rejected": batch.rejected,
        "skipped": batch.skipped,
        "status": batch.status,
        "message": batch.message,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
    }


def list_batches(kind: str | None = None) -> list[dict[str, Any]]:
    ensure_database()
    with session_scope() as session:
        query = select(IngestBatch).order_by(IngestBatch.id)
        if kind:
            query = query.where(IngestBatch.kind == kind)
        return [as_dict(b) for b in session.scalars(query)]


def loaded_batch_ids(kind: str) -> list[int]:
    ensure_database()
    with session_scope() as session:
        return list(
            session.scalars(
                select(IngestBatch.id)
                .where(IngestBatch.kind == kind, IngestBatch.status == LOADED)
                .order_by(IngestBatch.id)
            )
        )


def dataset_sql(kind: str) -> str:
    """DuckDB SQL reading every loaded batch of a lake kind."""
    return lake.dataset_sql(kind, loaded_batch_ids(kind))
