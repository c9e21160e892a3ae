"""GET /batches: the files loaded so far (ingest batches), newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from chainwatch.web.api.schemas import ERRORS, BatchList

router = APIRouter(tags=["data loads"])


def newest_batches(kind: str | None = None) -> list[dict[str, Any]]:
    # Imported on first use: the ingest package pulls in DuckDB and PyArrow, which pages that
    # never show batches need not load.
    from chainwatch.ingest.batches import list_batches

    return sorted(list_batches(kind), key=lambda batch: batch["id"], reverse=True)


@router.get(
    "/batches", response_model=BatchList, responses=ERRORS, summary="Data loads (ingest batches)"
)
async def batches(
    kind: Annotated[
        str | None,
        Query(max_length=32, description=("Only batches of this kind, e.g. enterprises.")),
    ] = None,
) -> Any:
    return {"items": await run_in_threadpool(newest_batches, kind)}
