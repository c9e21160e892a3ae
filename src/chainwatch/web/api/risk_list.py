"""/risk/items, /risk/views, /risk/screen, /risk/export.xlsx: the chain risk lists (一链一清单),
their lifecycle and Chongqing's 四张清单."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from chainwatch.atlas.chains import get_chain
from chainwatch.risk.four_lists import build_views
from chainwatch.risk.riskitems import get_item, list_items, update_item
from chainwatch.web.api.schemas import ERRORS, ErrorBody
from chainwatch.web.language import api_language

router = APIRouter(prefix="/risk", tags=["risk list"])

Grade = Literal["高", "中", "低"]
Status = Literal["待核实", "已确认", "处置中", "已销号", "已排除"]
Kind = Literal["product", "segment", "concentration", "systemic", "interruption"]
ChainQuery = Annotated[str | None, Query(max_length=64, description="Chain id, e.g. ic.")]
UPDATE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"model": ErrorBody, "description": "No such item"},
    422: {
        "model": ErrorBody,
        "description": "A transition that is not allowed, or what it needs is missing: `errors` "
        "has `field` (status, owner, due, action, note) and `problem`.",
    },
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ItemUpdate(BaseModel):
    status: Status | None = Field(
        default=None,
        description="New status: 待核实 → 已确认 → 处置中 → 已销号, or 已排除; 已销号 and "
        "已排除 can be reopened (→ 待核实).",
    )
    owner: str | None = Field(default=None, max_length=100, description="责任人.")
    due: str | None = Field(default=None, description="完成时限, YYYY-MM-DD.")
    action: str | None = Field(default=None, max_length=2000, description="A measure taken.")
    note: str | None = Field(default=None, max_length=2000, description="Required to exclude.")
    actor: str | None = Field(default=None, max_length=100, description="Who makes the change.")


def _check_chain(chain: str | None) -> None:
    if chain:
        get_chain(chain)


def _items(chain: str | None, **filters: Any) -> dict[str, Any]:
    _check_chain(chain)
    return list_items(chain=chain, **filters)


@router.get("/items", responses=ERRORS, summary="Risk items, highest grade first")
async def items(
    chain: ChainQuery = None,
    grade: Grade | None = None,
    status: Status | None = None,
    kind: Kind | None = None,
    details: Annotated[
        bool, Query(description="Include evidence, affected firms, alternatives, history.")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    return await run_in_threadpool(
        _items,
        chain,
        grade=grade,
        status=status,
        kind=kind,
        details=details,
        limit=limit,
        offset=offset,
    )


ItemId = Annotated[int, Path(ge=1, description="Item id.")]


@router.get("/items/{item_id}", responses=UPDATE_ERRORS, summary="One item with its history")
async def item(item_id: ItemId) -> Any:
    return await run_in_threadpool(get_item, item_id)


@router.patch(
    "/items/{item_id}",
    responses=UPDATE_ERRORS,
    summary="Change status (allowed transitions only), owner, due date; record an action",
)
async def update(item_id: ItemId, change: Annotated[ItemUpdate, Body()]) -> Any:
    return await run_in_threadpool(
        update_item,
        item_id,
        status=change.status,
        owner=change.owner,
        due=change.due,
        action=change.action,
        note=change.note,
        actor=change.actor,
    )


@router.post("/screen", responses=ERRORS, summary="Run the risk screening now")
async def screen() -> Any:
    from chainwatch.risk.screening import screen_risks

    return await run_in_threadpool(screen_risks)


def _views(chain: str | None, lang: str) -> dict[str, Any]:
    _check_chain(chain)
    return build_views(chain, lang)


@router.get("/views", responses=ERRORS, summary="四张清单: views of the open risk items")
async def views(lang: Annotated[str, Depends(api_language)], chain: ChainQuery = None) -> Any:
    return await run_in_threadpool(_views, chain, lang)


def workbook_bytes(chain: str | None) -> bytes:
    from chainwatch.risk.risk_workbook import risk_workbook

    _check_chain(chain)
    with tempfile.TemporaryDirectory() as folder:
        return risk_workbook(FilePath(folder) / "risk-list.xlsx", chain).read_bytes()


def xlsx_response(data: bytes, chain: str | None) -> Response:
    name = f"risk-list-{chain}.xlsx" if chain else "risk-list.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/export.xlsx", responses=ERRORS, summary="The risk list as Excel (every view a sheet)")
async def export(chain: ChainQuery = None) -> Response:
    data = await run_in_threadpool(workbook_bytes, chain)
    return xlsx_response(data, chain)
