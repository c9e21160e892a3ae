"""GET /overview: the province's firms by region, industry, scale and tag."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from chainwatch import registry
from chainwatch.web.api.schemas import ERRORS, Overview
from chainwatch.web.language import api_language

router = APIRouter(tags=["overview"])


@router.get(
    "/overview",
    response_model=Overview,
    responses=ERRORS,
    summary="Province overview (counts by city, county, industry, scale, tag)",
)
async def overview(
    lang: Annotated[str, Depends(api_language)],
    province: Annotated[
        str | None,
        Query(
            pattern=r"^\d{2}0000$",
            description=("Province code; by default the province holding most firms."),
        ),
    ] = None,
) -> Any:
    return await run_in_threadpool(registry.province_overview, province, lang=lang)
