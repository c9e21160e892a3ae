"""GET /atlas/...: the chain atlas (产业链图谱) — chains, segments, firms, 四清单."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool

from chainwatch.atlas import positions, results, supplier_lists, views
from chainwatch.web.api.atlas_schemas import (
    ChainDetail,
    ChainList,
    FirmPage,
    FirmPositions,
    SegmentDetail,
    SupplierLists,
    UnplacedList,
)
from chainwatch.web.api.schemas import ERRORS
from chainwatch.web.language import api_language

router = APIRouter(prefix="/atlas", tags=["atlas"])

ChainId = Annotated[str, Path(description="Chain id (e.g. ic) or its Chinese name.")]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM.")]


@router.get(
    "/chains", response_model=ChainList, responses=ERRORS, summary="Chains and their segments"
)
async def chains(lang: Annotated[str, Depends(api_language)]) -> Any:
    return await run_in_threadpool(views.chain_list, lang)


@router.get(
    "/chains/{chain_id}",
    response_model=ChainDetail,
    responses=ERRORS,
    summary="One chain: segments, flows, key firms, regions, key products",
)
async def chain(chain_id: ChainId, lang: Annotated[str, Depends(api_language)]) -> Any:
    return await run_in_threadpool(views.chain_detail, chain_id, lang)


@router.get(
    "/chains/{chain_id}/firms",
    response_model=FirmPage,
    responses=ERRORS,
    summary="Firms of a chain, largest output first",
)
async def chain_firms(
    chain_id: ChainId,
    segment: Annotated[str | None, Query(max_length=40, description="Segment id.")] = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="City or county code.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    return await run_in_threadpool(views.chain_firms, chain_id, segment, region, page, per_page)


@router.get(
    "/chains/{chain_id}/segments/{segment_id}",
    response_model=SegmentDetail,
    responses=ERRORS,
    summary="One segment: firms, suppliers and customers by segment, local supply",
)
async def segment(
    chain_id: ChainId,
    segment_id: Annotated[str, Path(description="Segment id, e.g. fab.")],
    lang: Annotated[str, Depends(api_language)],
) -> Any:
    return await run_in_threadpool(views.segment_detail, chain_id, segment_id, lang)


def _unplaced(chain_id: str | None, lang: str) -> dict[str, Any]:
    results.require_atlas()
    items = positions.unplaced_firms(chain_id, lang)
    return {"total": len(items), "items": items}


@router.get(
    "/unplaced",
    response_model=UnplacedList,
    responses=ERRORS,
    summary="Firms of a chain's industries that no segment took (for review)",
)
async def unplaced(
    lang: Annotated[str, Depends(api_language)],
    chain: Annotated[str | None, Query(max_length=40, description="Chain id.")] = None,
) -> Any:
    return await run_in_threadpool(_unplaced, chain, lang)


def _positions(uscc: str, lang: str) -> dict[str, Any]:
    code = supplier_lists.require_firm(uscc)
    return {
        "uscc": code,
        "computed": results.computed(),
        "positions": positions.firm_positions(code, lang),
    }


@router.get(
    "/firms/{uscc}",
    response_model=FirmPositions,
    responses=ERRORS,
    summary="A firm's places in the chains (产业链位置)",
)
async def firm(
    uscc: Annotated[str, Path(description="统一社会信用代码.")],
    lang: Annotated[str, Depends(api_language)],
) -> Any:
    return await run_in_threadpool(_positions, uscc, lang)


@router.get(
    "/firms/{uscc}/supplier-lists",
    response_model=SupplierLists,
    response_model_by_alias=True,
    responses=ERRORS,
    summary="四清单: suppliers 市内 / 省内 / 省外 / 境外",
)
async def firm_lists(
    uscc: Annotated[str, Path(description="统一社会信用代码.")],
    lang: Annotated[str, Depends(api_language)],
    start: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    end: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
) -> Any:
    return await run_in_threadpool(supplier_lists.supplier_lists, uscc, start, end, lang=lang)
