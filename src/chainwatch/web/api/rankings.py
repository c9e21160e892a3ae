"""/monitor/rankings, /monitor/rankings.xlsx: regional rankings (赛马) by month."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from chainwatch.monitor.rankings import ranking_table, workbook_bytes
from chainwatch.web.api.risk_list import XLSX
from chainwatch.web.api.schemas import ErrorBody

router = APIRouter(prefix="/monitor", tags=["rankings"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No rankings for that month (the range is given)"},
    409: {"model": ErrorBody, "description": "The indices have not been computed yet"},
    422: {"model": ErrorBody, "description": "Unknown level, or a month or city code malformed"},
}
LevelQuery = Annotated[
    str, Query(max_length=20, description="county (区县) or city (地市).", examples=["county"])
]
PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Month, YYYY-MM; default the latest ranked month.",
        examples=["2021-03"],
    ),
]
CityQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Only this city's counties (or the city itself); ranks stay province-wide.",
        examples=["330200"],
    ),
]


class RankingRow(BaseModel):
    code: str = Field(description="GB/T 2260 code of the county or city.")
    name: str | None
    parent_code: str | None = Field(description="The county's city, or the city's province.")
    parent_name: str | None
    firms: int = Field(description="Firms with an electricity baseline (denominator of 复工率).")
    sales_index: float | None = Field(description="销售指数, same month a year earlier = 100.")
    electricity_index: float | None = Field(description="用电指数.")
    composite_index: float | None = Field(description="税电指数.")
    index_growth: float | None = Field(description="税电指数 − 100.")
    resumption_rate: float | None = Field(
        description="复工率 (0–1): share of the firms at or above the threshold × baseline."
    )
    capacity_utilisation: float | None = Field(
        description="产能利用率 (electricity proxy): daily electricity against the firms' peak "
        "of the previous 12 months; may exceed 1."
    )
    rank_growth: int | None
    rank_resumption: int | None
    rank_utilisation: int | None
    rank: int | None = Field(description="Overall (综合) rank, 1 = best; null without metrics.")
    previous_rank: int | None = Field(description="Overall rank the month before.")
    change: int | None = Field(description="previous_rank − rank: positive = moved up.")


class RankingTable(BaseModel):
    level: str = Field(description="county or city.")
    period: str = Field(description="The month ranked, YYYY-MM.")
    periods: list[str] = Field(description="Every month with rankings, oldest first.")
    threshold: float = Field(description="复工 threshold as a share of the baseline (0.8).")
    rows: list[RankingRow] = Field(description="Regions, best overall rank first.")


@router.get(
    "/rankings",
    response_model=RankingTable,
    responses=RESPONSES,
    summary="Regional rankings (赛马) of one month",
)
async def rankings(
    level: LevelQuery = "county", period: PeriodQuery = None, city: CityQuery = None
) -> Any:
    return await run_in_threadpool(ranking_table, level, period, city)


def _xlsx(level: str, period: str | None, city: str | None) -> tuple[bytes, str]:
    table = ranking_table(level, period, city)
    suffix = f"-{city.strip()}" if city else ""
    return workbook_bytes(table), f"rankings-{table['level']}-{table['period']}{suffix}.xlsx"


@router.get(
    "/rankings.xlsx",
    responses=RESPONSES,
    summary="Regional rankings (赛马) of one month as Excel",
    response_class=Response,
)
async def rankings_xlsx(
    level: LevelQuery = "county", period: PeriodQuery = None, city: CityQuery = None
) -> Response:
    data, name = await run_in_threadpool(_xlsx, level, period, city)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
