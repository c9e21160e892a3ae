"""Response shapes of the JSON API (they document /docs and check what the routes return)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive times; chainwatch stores every time in UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class ErrorBody(BaseModel):
    """Every error: what went wrong, the details, and the HTTP status repeated."""

    ok: bool = Field(False, description="Always false for an error.")
    error: str = Field(description="One message for a person: what we got, what we expected.")
    errors: list[Any] = Field(
        default_factory=list, description="Details, e.g. one entry per invalid parameter."
    )
    status: int = Field(description="The HTTP status code.", examples=[422])


class Named(BaseModel):
    code: str
    name: str | None = Field(description="Name from the reference tables; null when unknown.")


class EnterpriseSummary(BaseModel):
    uscc: str = Field(
        description="统一社会信用代码 (GB 32100-2015), 18 characters.",
        examples=["91330106MA2B0Y8X39"],
    )
    name: str = Field(examples=["杭州芯微电子有限公司"])
    region_code: str = Field(description="GB/T 2260 code of the registered region.")
    region_name: str | None
    industry_code: str = Field(description="GB/T 4754-2017 class code.")
    industry_name: str | None
    scale: str | None = Field(description="规上 (above designated size) or 规下.")
    employees: int | None
    tags: list[str] = Field(description="Labels such as 专精特新, 小巨人, 单项冠军, 链主.")


class EnterprisePage(BaseModel):
    total: int = Field(description="Firms matching the filters, over all pages.")
    page: int
    per_page: int
    items: list[EnterpriseSummary]


class EnterpriseDetail(EnterpriseSummary):
    region_path: list[Named] = Field(
        description="Province, city and county, top down (the levels the reference table knows)."
    )
    city: Named | None = Field(
        description="Prefecture-level city; null for provinces and the "
        "districts of the four municipalities."
    )
    province: Named | None
    division: Named = Field(description="Industry division (大类), the first two digits.")
    section: Named | None = Field(description="Industry section (门类), a letter.")
    land_area_mu: float | None = Field(description="Land used, in mu (亩).")
    founded_on: dt.date | None
    business_scope: str | None
    longitude: float | None
    latitude: float | None
    batch_id: int | None = Field(description="The ingest batch that last loaded this firm.")
    updated_at: UtcDatetime | None


class RegionTile(BaseModel):
    code: str
    name: str
    parent_code: str | None
    longitude: float = Field(description="Approximate centroid (WGS84), for the schematic map.")
    latitude: float
    count: int


class SectionCount(BaseModel):
    code: str = Field(description="Section letter; '?' for codes outside GB/T 4754.")
    name: str | None
    count: int


class DivisionCount(BaseModel):
    code: str
    name: str | None
    section: str | None
    count: int


class ScaleCount(BaseModel):
    scale: str | None = Field(description="规上, 规下, or null where not reported.")
    count: int


class TagCount(BaseModel):
    tag: str
    count: int


class Totals(BaseModel):
    enterprises: int
    employees: int
    land_area_mu: float
    above_scale: int = Field(description="Firms above designated size (规上).")
    outside_province: int = Field(description="Firms of the registry in other provinces.")


class Overview(BaseModel):
    province: Named | None = Field(description="The province shown; null when no firm exists.")
    totals: Totals
    by_city: list[RegionTile]
    by_county: list[RegionTile]
    unplaced: int = Field(description="Firms whose region code is not a known city or county.")
    by_section: list[SectionCount]
    by_division: list[DivisionCount]
    by_scale: list[ScaleCount]
    by_tag: list[TagCount]


class Batch(BaseModel):
    id: int
    kind: str = Field(examples=["enterprises"])
    file: str
    sha256: str
    rows: int
    loaded: int
    rejected: int
    skipped: int
    status: str = Field(description="running, loaded, failed or rejected.")
    message: str | None
    created_at: UtcDatetime | None
    finished_at: UtcDatetime | None


class BatchList(BaseModel):
    items: list[Batch] = Field(description="Newest first.")


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Not found"},
    422: {"model": ErrorBody, "description": "Invalid parameters"},
}
