"""GET /enterprises (search) and GET /enterprises/{uscc} (one firm's profile)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool

from chainwatch import registry
from chainwatch.web.api.schemas import ERRORS, EnterpriseDetail, EnterprisePage
from chainwatch.web.language import api_language

router = APIRouter(tags=["enterprises"])


@router.get(
    "/enterprises",
    response_model=EnterprisePage,
    responses=ERRORS,
    summary="Search the enterprise registry",
)
async def search(
    lang: Annotated[str, Depends(api_language)],
    q: Annotated[
        str | None,
        Query(
            max_length=100, description=("Part of the name, or the start of the 统一社会信用代码.")
        ),
    ] = None,
    region: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description=(
                "GB/T 2260 code: a province (330000), city (330100) or county (330106); "
                "firms in it or below it."
            ),
        ),
    ] = None,
    industry: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Ta-t]?\d{0,4}$",
            min_length=1,
            description=(
                "GB/T 4754-2017: section letter (C), division (39), group (391) or class (3911)."
            ),
        ),
    ] = None,
    tag: Annotated[str | None, Query(max_length=50, description="A tag, e.g. 专精特新.")] = None,
    scale: Annotated[Literal["规上", "规下"] | None, Query(description="规上 or 规下.")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=registry.MAX_PER_PAGE)] = 50,
) -> Any:
    return await run_in_threadpool(
        registry.search_enterprises,
        query=q,
        region=region,
        industry=industry,
        tag=tag,
        scale=scale,
        page=page,
        per_page=per_page,
        lang=lang,
    )


@router.get(
    "/enterprises/{uscc}",
    response_model=EnterpriseDetail,
    responses=ERRORS,
    summary="One enterprise's profile",
)
async def detail(
    lang: Annotated[str, Depends(api_language)],
    uscc: Annotated[str, Path(description="统一社会信用代码; lower case is accepted.")],
) -> Any:
    return await run_in_threadpool(registry.get_enterprise, uscc, lang=lang)
