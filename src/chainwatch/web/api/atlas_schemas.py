"""Response shapes of the atlas API (/api/v1/atlas/...). Money in yuan, shares from 0 to 1."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    # Documented fields are checked; further fields pass through unchanged.
    model_config = ConfigDict(extra="allow")


class Window(_Open):
    from_: str = Field(alias="from", description="First month, YYYY-MM.")
    to: str = Field(description="Last month, YYYY-MM.")
    months: int


class Place(_Open):
    code: str
    name: str | None


class SegmentFigures(_Open):
    id: str
    name: str
    stage: str = Field(description="上游, 中游 or 下游.")
    bottleneck: bool = Field(description="Key core technology (卡脖子) flag of the definition.")
    firms: int | None = Field(
        description="Firms whose main segment in the chain is this one; null before the atlas "
        "is computed."
    )
    status: str | None = Field(description="missing (缺链), weak (弱链) or ok.")


class SegmentMetrics(SegmentFigures):
    members: int = Field(description="Firms sitting in the segment, main or not.")
    output: float = Field(description="Invoiced sales of the firms in the window (excl. VAT).")
    purchases: float
    imports: float
    inputs: float = Field(description="Purchases (without utilities) + imports.")
    local_city: float
    local_province: float
    local_city_ratio: float | None = Field(description="本地配套率, same city.")
    local_province_ratio: float | None = Field(description="本地配套率, same province.")
    reasons: list[str] = Field(description="no_firms, few_firms, low_local_supply.")


class ChainTotals(_Open):
    segments: int
    firms: int
    output: float
    inputs: float
    local_city_ratio: float | None
    local_province_ratio: float | None
    missing: int
    weak: int


class ChainSummary(_Open):
    id: str
    name: str
    name_zh: str
    origin: str = Field(description="shipped or user.")
    current: bool = Field(
        description="Whether the stored atlas matches this chain's definition (false for a "
        "chain added or changed since the last `chainwatch run atlas`)."
    )
    segments: list[SegmentFigures]
    totals: ChainTotals | None = None


class ChainList(BaseModel):
    computed: bool = Field(description="Whether `chainwatch run atlas` has run.")
    window: Window | None
    computed_at: str | None
    chains: list[ChainSummary]


class Flow(_Open):
    source: str
    target: str
    source_name: str
    target_name: str
    amount: float = Field(description="Σ link amounts from firms of source to firms of target.")
    links: int = Field(description="Supplier–customer pairs behind the amount.")
    defined: bool = Field(description="Whether the chain definition names this flow.")


class ChainFirm(_Open):
    uscc: str
    name: str | None
    segment_id: str
    segment_name: str
    region_code: str | None
    region_name: str | None
    output: float
    inputs: float
    local_city_ratio: float | None
    local_province_ratio: float | None
    weighted_degree: float
    pagerank: float
    output_rank: int
    network_rank: int
    key_firm: bool


class Tile(_Open):
    code: str
    name: str
    longitude: float
    latitude: float
    count: int = Field(description="Firms of the chain (or segment) in the region.")
    output: float


class Regions(_Open):
    cities: list[Tile]
    counties: list[Tile]
    table: list[dict[str, Any]]


class KeyProduct(_Open):
    segment_id: str
    product: str
    hs_codes: list[str]
    bottleneck: bool
    imports: float
    importers: int
    countries: int
    top_country: str | None
    top_country_share: float | None
    makers: int = Field(description="Firms of the province selling or exporting the product.")
    import_only: bool = Field(description="Imported and made by no firm of the province: 补链.")


class ChainDetail(_Open):
    chain: dict[str, Any]
    window: Window
    province: Place
    computed_at: str
    totals: ChainTotals
    segments: list[SegmentMetrics]
    flows: list[Flow]
    key_firms: list[ChainFirm]
    regions: Regions
    key_products: list[KeyProduct]


class FirmPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ChainFirm]


class Partner(_Open):
    kind: str = Field(description="chain, segment, industry, outside or trade.")
    label: str
    code: str | None
    amount: float
    share: float | None
    partners: int


class SegmentDetail(_Open):
    chain: dict[str, Any]
    segment: dict[str, Any]
    window: Window
    province: Place
    metrics: dict[str, Any]
    firms: list[ChainFirm]
    secondary_firms: list[dict[str, Any]]
    suppliers: list[Partner]
    customers: list[Partner]
    regions: Regions
    key_products: list[KeyProduct]


class Position(_Open):
    chain_id: str
    chain_name: str
    segment_id: str
    segment_name: str
    stage: str
    score: float
    source: str = Field(description="rules or override.")
    chain_main: bool
    main: bool


class FirmPositions(BaseModel):
    uscc: str
    computed: bool
    positions: list[Position]


class Unplaced(_Open):
    chain_id: str
    uscc: str
    name: str | None
    industry_code: str | None
    segment_id: str | None = Field(description="The closest segment.")
    score: float


class UnplacedList(BaseModel):
    total: int
    items: list[Unplaced]


class SupplierItem(_Open):
    amount: float
    share: float = Field(description="Share of all the firm's inputs in the period.")
    share_in_list: float


class SupplierList(_Open):
    key: str = Field(description="city (市内), province (省内), country (省外), foreign (境外).")
    label: str
    amount: float
    share: float
    count: int
    items: list[SupplierItem]


class SupplierLists(_Open):
    firm: dict[str, Any]
    period: Window
    total: float
    lists: list[SupplierList]
