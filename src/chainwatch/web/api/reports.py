"""/reports: monthly direct reporting (直联直报) — submit, confirm, read, late reporters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from chainwatch.monitor import reporting
from chainwatch.web.api.schemas import ErrorBody, UtcDatetime

router = APIRouter(prefix="/reports", tags=["direct reporting"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such firm or report"},
    409: {"model": ErrorBody, "description": "Nothing to confirm, or submitted twice at once"},
    422: {
        "model": ErrorBody,
        "description": "Invalid report: `errors` has one entry per field with `field` "
        "(e.g. `output`, `products.0.quantity`), `label` (Chinese), `type` (required, negative, "
        "not_a_number, period_not_ended, unknown_firm, …), `problem` and `got`.",
    },
}
Uscc = Annotated[str, Path(min_length=18, max_length=18, description="统一社会信用代码.")]
Period = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="报告期 YYYY-MM.")]
EXAMPLE = {
    "uscc": "91330106MA2B0Y8X39",
    "period": "2025-09",
    "output": 12500000,
    "value_added": 3100000,
    "revenue": 11800000,
    "taxes": 420000,
    "profit": 960000,
    "electricity_kwh": 186000,
    "products": [{"name": "集成电路晶圆", "unit": "片", "quantity": 1200}],
    "prices": [{"material": "电子级多晶硅", "unit": "元/千克", "price": 65.5}],
    "note": None,
}


class Flag(BaseModel):
    field: str = Field(description="Which value: output, …, products.0.quantity, prices.1.price.")
    label: str = Field(description="Its Chinese name.")
    value: float
    unit: str
    kind: str = Field(description="history (against the firm's own months) or consistency.")
    message: str = Field(description="What was expected and why (Chinese).")
    median: float | None = None
    low: float | None = None
    high: float | None = None
    months: int | None = None
    last_year: float | None = None
    yoy_change: float | None = None
    compared_with: str | None = None
    limit: float | None = None


class ReportSummary(BaseModel):
    id: int
    uscc: str
    name: str | None
    period: str
    output: float
    value_added: float
    revenue: float
    taxes: float
    profit: float
    electricity_kwh: float
    status: Literal["已提交", "待确认", "已确认"]
    flags: list[Flag]
    deadline: dt.date
    on_time: bool = Field(description="First submitted by the end of the deadline (China time).")
    days_late: int
    first_submitted_at: UtcDatetime
    submitted_at: UtcDatetime
    confirmed_at: UtcDatetime | None
    revision: int
    source: str
    note: str | None


class Revision(BaseModel):
    revision: int
    event: Literal["提交", "更正", "确认"]
    at: UtcDatetime
    source: str
    status: str
    values: dict[str, Any] = Field(description="The whole report as it stood after the event.")
    flags: list[Flag]
    note: str | None


class ReportDetail(ReportSummary):
    products: list[dict[str, Any]]
    prices: list[dict[str, Any]]
    revisions: list[Revision]


class ReportList(BaseModel):
    total: int
    items: list[ReportSummary]


class LateFirm(BaseModel):
    uscc: str
    name: str
    region_code: str
    region_name: str | None
    state: Literal["未报", "迟报"]
    days_late: int = Field(description="Calendar days after the deadline.")
    submitted_at: UtcDatetime | None


class LateList(BaseModel):
    period: str
    deadline: dt.date
    as_of: dt.date
    due: bool = Field(description="Whether the deadline has passed.")
    calendar_known: bool
    region: str | None
    expected: int = Field(description="Firms expected to report (规上, or tagged 直报).")
    submitted: int
    on_time: int
    missing: int
    submission_rate: float | None
    on_time_rate: float | None
    flagged: int = Field(description="Reports of the month waiting for confirmation.")
    reports: int
    late: list[LateFirm]


class Confirmation(BaseModel):
    note: str | None = Field(default=None, max_length=500, description="说明 (why it is right).")


@router.post(
    "",
    response_model=ReportDetail,
    status_code=201,
    responses=RESPONSES,
    summary="Submit (or correct) a firm's monthly report; implausible values come back as flags",
)
async def submit(
    report: Annotated[
        dict[str, Any],
        Body(
            description="uscc, period (YYYY-MM, ended), output, value_added, revenue, taxes, "
            "profit (元; profit may be negative), electricity_kwh (千瓦时), products "
            "[{name, unit, quantity}] (at least one), prices [{material, unit, price}], note.",
            examples=[EXAMPLE],
        ),
    ],
    source: Annotated[Literal["api", "page"], Query(description="Where it came from.")] = "api",
) -> Any:
    return await run_in_threadpool(reporting.submit_report, report, source=source)


@router.get("", response_model=ReportList, responses=RESPONSES, summary="Reports, newest first")
async def reports(
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    uscc: Annotated[str | None, Query(max_length=18, description="One firm's reports.")] = None,
    status: Annotated[Literal["已提交", "待确认", "已确认"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Any:
    items = await run_in_threadpool(
        reporting.list_reports, period=period, uscc=uscc, status=status, limit=limit
    )
    return {"total": len(items), "items": items}


@router.get(
    "/late", response_model=LateList, responses=RESPONSES, summary="Late reporters of a month"
)
async def late(
    period: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM.")],
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> Any:
    return await run_in_threadpool(reporting.late_reporters, period, region=region)


@router.get(
    "/{uscc}/{period}",
    response_model=ReportDetail,
    responses=RESPONSES,
    summary="One report with its lines and every revision",
)
async def report(uscc: Uscc, period: Period) -> Any:
    return await run_in_threadpool(reporting.get_report, uscc, period)


@router.post(
    "/{uscc}/{period}/confirm",
    response_model=ReportDetail,
    responses=RESPONSES,
    summary="The firm confirms its flagged values (待确认 → 已确认)",
)
async def confirm(
    uscc: Uscc,
    period: Period,
    body: Annotated[Confirmation | None, Body()] = None,
    source: Annotated[Literal["api", "page"], Query()] = "api",
) -> Any:
    note = body.note if body else None
    return await run_in_threadpool(reporting.confirm_report, uscc, period, note, source=source)
