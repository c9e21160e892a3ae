"""/batches : the data loads (ingest batches), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from chainwatch.web.api.batches import newest_batches
from chainwatch.web.pages.rendering import render

router = APIRouter()


@router.get("/batches", response_class=HTMLResponse)
async def batches_page(request: Request) -> HTMLResponse:
    items = await run_in_threadpool(newest_batches)
    return render(request, "batches.html", {"page": "batches", "batches": items})
