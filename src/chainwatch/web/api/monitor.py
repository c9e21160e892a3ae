"""/monitor/index, /monitor/map, /monitor/firms (JSON and .xlsx): what the monitoring pages show.

The readers below answer from the stored results of the monitor stage (``indices`` for
regions; for firms, the panel rows of one county and month built from the indicator cube), so a
page costs a few small scans however large the province. ``/monitor/index`` is
:func:`chainwatch.monitor.indices.index_series` (computed on the fly when the stored result is
out of date), like ``chainwatch monitor index``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from openpyxl import Workbook

from chainwatch.atlas.exports import Column, write_sheet
from chainwatch.errors import DataMissingError, NotFoundError, ValidationError
from chainwatch.monitor import indices, periods, scopes
from chainwatch.monitor.index_sql import firm_indices_sql
from chainwatch.monitor.settings import IndexSettings, load_index_settings
from chainwatch.reference import regions
from chainwatch.store import lake
from chainwatch.web.api.schemas import ERRORS
from chainwatch.web.i18n import Translator
from chainwatch.web.language import api_language

router = APIRouter(prefix="/monitor", tags=["monitor"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METRICS = ("composite", "sales", "electricity")
INDEX_FORMAT = "0.0"
MISSING = (
    "no monitoring indices yet; run `chainwatch run monitor` (after loading indicators with "
    "`chainwatch ingest indicators FILE`), or `chainwatch demo` for an example province."
)
_COLUMNS = (
    "code, name, period, first_month, last_month, sales_index, electricity_index, "
    "composite_index, sales_matched, electricity_matched, sales_entries, sales_exits, "
    "electricity_entries, electricity_exits, sales_weight, electricity_weight, base_year"
)
FIRM_SORTS = {
    "composite": "composite_index",
    "sales": "sales_index",
    "electricity": "electricity_index",
    "name": "name",
}
FIRM_LIMIT = 200


def _stored() -> str:
    if not lake.has_result(indices.RESULT):
        raise DataMissingError(MISSING)
    return lake.result_sql(indices.RESULT)


def _with_firms(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with ``firms``: the firms compared with a year earlier (either metric)."""
    row["firms"] = max(row.get("sales_matched") or 0, row.get("electricity_matched") or 0)
    return row


def _rows(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> list[dict[str, Any]]:
    query = f"SELECT {_COLUMNS} FROM {_stored()} WHERE {where} {indices.ORDER}"
    return [_with_firms(r) for r in lake.rows(con, query, params)]


def _province(con: duckdb.DuckDBPyConnection, code: str | None) -> regions.Region:
    """The province asked for, or the one whose indices cover most firms."""
    if code is not None:
        return regions.province_of(code)
    found = con.execute(
        f"SELECT code FROM {_stored()} WHERE scope = 'province' GROUP BY code ORDER BY "
        "sum(coalesce(sales_matched, 0) + coalesce(electricity_matched, 0)) DESC, code LIMIT 1"
    ).fetchone()
    if found is None:
        raise DataMissingError(MISSING)
    return regions.get_region(found[0])


def _periods(con: duckdb.DuckDBPyConnection, province: regions.Region) -> list[str]:
    """Periods of the province with an index (a year earlier to compare with), in order."""
    found = con.execute(
        f"SELECT period FROM {_stored()} WHERE scope = 'province' AND code = ? AND "
        "(sales_index IS NOT NULL OR electricity_index IS NOT NULL) "
        "ORDER BY last_month, first_month DESC",
        [province.code],
    ).fetchall()
    return [str(r[0]) for r in found]


def pick_period(period: str | None, available: Sequence[str], where: str) -> str:
    """``period`` checked against the periods with indices; by default the latest month."""
    if not available:
        raise DataMissingError(
            f"the stored indices of {where} have no month with a year earlier to compare with; "
            "indices need at least 13 months of indicators."
        )
    if period is None or not period.strip():
        months = [p for p in available if "+" not in p]
        return (months or list(available))[-1]
    label = periods.period_label(*periods.parse_period(period))
    if label not in available:
        raise NotFoundError(
            f"no indices of {where} for {label}; the months with indices run from "
            f"{available[0]} to {available[-1]}."
        )
    return label


def _tile(region: regions.Region | None, row: dict[str, Any] | None, code: str) -> dict[str, Any]:
    row = row or {}
    return {
        "code": code,
        "name": region.name if region else row.get("name") or code,
        "parent_code": region.parent_code if region else None,
        "longitude": region.longitude if region else None,
        "latitude": region.latitude if region else None,
        "sales_index": row.get("sales_index"),
        "electricity_index": row.get("electricity_index"),
        "composite_index": row.get("composite_index"),
        "firms": row.get("firms", 0),
        "entries": row.get("sales_entries"),
        "exits": row.get("sales_exits"),
    }


def _tiles(
    known: Sequence[regions.Region], rows: list[dict[str, Any]], level: str
) -> list[dict[str, Any]]:
    """Every region of the reference table (grey when it has no index) and any other code
    the indices hold (no centroid: in tables, not on the map)."""
    by_code = {r["code"]: r for r in rows if r["level"] == level}
    tiles = [_tile(region, by_code.pop(region.code, None), region.code) for region in known]
    tiles += [_tile(None, row, code) for code, row in sorted(by_code.items())]
    return tiles


def _prefix(region: regions.Region) -> str:
    return region.code[:2] if region.level == "province" else region.code[:4]


def _level_rows(
    con: duckdb.DuckDBPyConnection, levels: Sequence[str], region: regions.Region, period: str
) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in levels)
    query = (
        f"SELECT scope AS level, {_COLUMNS} FROM {_stored()} WHERE scope IN ({marks}) "
        "AND period = ? AND starts_with(code, ?) ORDER BY code"
    )
    return [_with_firms(r) for r in lake.rows(con, query, [*levels, period, _prefix(region)])]


def _trail(region: regions.Region) -> list[dict[str, str]]:
    """Province › city › county down to ``region``."""
    chain = [region]
    while chain[0].parent_code is not None and chain[0].level != "province":
        chain.insert(0, regions.get_region(chain[0].parent_code))
    return [{"code": r.code, "name": r.name, "level": r.level} for r in chain]


def region_view(code: str | None = None, period: str | None = None) -> dict[str, Any]:
    """One region (by default the monitored province) for a month: its index now and over
    time, and its cities or counties on the map; what /monitor and /monitor/region show."""
    with lake.connection() as con:
        province = _province(con, code)
        region = province if code is None else regions.get_region(code)
        available = _periods(con, province)
        if not available and code is not None:
            raise NotFoundError(f"no stored indices for {province.name} ({province.code}).")
        period = pick_period(period, available, province.name)
        series = _rows(con, "scope = ? AND code = ?", [region.level, region.code])
        if not series:
            raise NotFoundError(
                f"no stored indices for {region.name} ({region.code}): none of its firms has "
                "sales or electricity figures."
            )
        current = next((r for r in series if r["period"] == period), None)
        if region.level == "province":
            rows = _level_rows(con, ("city", "county"), region, period)
            cities = regions.cities_of(region.code)
            counties = _tiles(regions.counties_of(region.code), rows, "county")
            children = _tiles(cities, rows, "city") if cities else counties
            child_level = "city" if cities else "county"
        elif region.level == "city":
            rows = _level_rows(con, ("county",), region, period)
            counties = children = _tiles(regions.counties_of(region.code), rows, "county")
            child_level = "county"
        else:
            counties, children, child_level = [], [], None
    return {
        "province": {"code": province.code, "name": province.name},
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "trail": _trail(region),
        "periods": available,
        "period": period,
        "current": current,
        "series": series,
        "child_level": child_level,
        "children": children,
        "counties": counties,
        "stale": not indices.stored_is_current(load_index_settings()),
    }


def map_regions(
    level: str = "city", period: str | None = None, city: str | None = None
) -> dict[str, Any]:
    """Each city (or county, optionally of one city) with its indices for a month."""
    if level not in ("city", "county"):
        raise ValidationError(f"level {level!r} is not known; expected city or county.")
    if city is not None and level != "county":
        raise ValidationError("city= narrows the counties; use it with level=county.")
    parent = regions.get_region(city) if city else None
    if parent is not None and parent.level != "city":
        raise ValidationError(f"{parent.code} ({parent.name}) is a {parent.level}, not a city.")
    view = region_view(parent.code if parent else None, period)
    if parent is not None:
        tiles = view["children"]
    else:
        tiles = view["children"] if level == view["child_level"] else view["counties"]
    return {
        "province": view["province"],
        "period": view["period"],
        "periods": view["periods"],
        "level": level,
        "city": {"code": parent.code, "name": parent.name} if parent else None,
        "regions": tiles,
    }


def county_firms(
    code: str,
    period: str | None = None,
    sort: str = "composite",
    order: str = "asc",
    limit: int | None = FIRM_LIMIT,
) -> dict[str, Any]:
    """The firms of one county with their indices for a month, worst first by default."""
    county = regions.get_region(code)
    if county.level != "county":
        raise ValidationError(
            f"{county.code} ({county.name}) is a {county.level}; firms are listed for a county."
        )
    column = FIRM_SORTS.get(sort)
    if column is None:
        raise ValidationError(f"sort {sort!r} is not known; expected {', '.join(FIRM_SORTS)}.")
    if order not in ("asc", "desc"):
        raise ValidationError(f"order {order!r} is not known; expected asc or desc.")
    if not indices.has_firm_panel():
        raise DataMissingError(MISSING)
    enterprises = scopes.require_enterprises("county")
    with lake.connection() as con:
        province = _province(con, county.code)
        period = pick_period(period, _periods(con, province), province.name)
        weights = con.execute(
            f"SELECT sales_weight, electricity_weight, base_year FROM {_stored()} "
            "WHERE scope = 'province' AND code = ? AND period = ?",
            [province.code, period],
        ).fetchone()
        settings = IndexSettings(*weights) if weights else load_index_settings()
        scopes.register_region_map(con, enterprises)
        members = scopes.firm_filter_sql("county", county.code, enterprises)
        codes = [
            row[0]
            for row in con.execute(
                f"SELECT DISTINCT uscc FROM {enterprises} WHERE {members}"
            ).fetchall()
        ]
        panel = indices.stored_panel(con, settings.base_year, codes, period)
        query = firm_indices_sql(panel, settings, enterprises)
        ranked = (
            f"SELECT code AS uscc, name, sales_index, electricity_index, composite_index, "
            f"sales_now, sales_before, electricity_now, electricity_before, "
            f"count(*) OVER () AS total FROM ({query}) "
            f"ORDER BY {column} {order.upper()} NULLS LAST, uscc"
            + (f" LIMIT {int(limit)}" if limit is not None else "")
        )
        rows = lake.rows(con, ranked)
    total = int(rows[0].pop("total")) if rows else 0
    for row in rows[1:]:
        row.pop("total")
    return {
        "county": {"code": county.code, "name": county.name},
        "period": period,
        "sort": sort,
        "order": order,
        "total": total,
        "rows": rows,
    }


# ---- Excel ---------------------------------------------------------------------------------


def _index_of(metric: str) -> Callable[[dict[str, Any]], Any]:
    key = f"{metric}_index"
    return lambda row: row.get(key)


def _index_columns(t: Translator) -> list[Column]:
    return [Column(t(f"monitor.col.{m}"), _index_of(m), INDEX_FORMAT, 12) for m in METRICS]


def _workbook(title: str, columns: Sequence[Column], rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    write_sheet(book, title[:31], columns, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(data: bytes, name: str) -> Response:
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def series_workbook(rows: list[dict[str, Any]], lang: str) -> bytes:
    t = Translator(lang)
    columns = [
        Column(t("monitor.col.period"), lambda r: r["period"], None, 12),
        *_index_columns(t),
        Column(t("monitor.col.sales_matched"), lambda r: r.get("sales_matched"), "0", 12),
        Column(t("monitor.col.entries"), lambda r: r.get("sales_entries"), "0", 10),
        Column(t("monitor.col.exits"), lambda r: r.get("sales_exits"), "0", 10),
        Column(t("monitor.col.electricity_matched"), lambda r: r.get("electricity_matched"), "0"),
    ]
    name = rows[0].get("name") or rows[0]["code"] if rows else ""
    return _workbook(f"{name} {t('monitor.sheet.series')}", columns, rows)


def map_workbook(found: dict[str, Any], lang: str) -> bytes:
    t = Translator(lang)
    columns = [
        Column(t("monitor.col.code"), lambda r: r["code"], None, 10),
        Column(t("monitor.col.region"), lambda r: r["name"], None, 14),
        *_index_columns(t),
        Column(t("monitor.col.firms"), lambda r: r["firms"], "0", 10),
    ]
    where = found["city"]["name"] if found["city"] else found["province"]["name"]
    return _workbook(f"{where} {found['period']}", columns, found["regions"])


def firms_workbook(found: dict[str, Any], lang: str) -> bytes:
    t = Translator(lang)
    columns = [
        Column(t("monitor.col.uscc"), lambda r: r["uscc"], None, 22),
        Column(t("monitor.col.firm"), lambda r: r["name"], None, 30),
        *_index_columns(t),
        Column(t("monitor.col.sales_now"), lambda r: r["sales_now"], "#,##0", 16),
        Column(t("monitor.col.sales_before"), lambda r: r["sales_before"], "#,##0", 16),
        Column(t("monitor.col.electricity_now"), lambda r: r["electricity_now"], "#,##0", 16),
        Column(t("monitor.col.electricity_before"), lambda r: r["electricity_before"], "#,##0"),
    ]
    return _workbook(f"{found['county']['name']} {found['period']}", columns, found["rows"])


# ---- routes --------------------------------------------------------------------------------

Lang = Annotated[str, Depends(api_language)]
Scope = Annotated[
    str, Query(description="firm, county, city, province, or a grouping (chain, segment).")
]
Code = Annotated[
    str | None,
    Query(max_length=80, description="统一社会信用代码, region code or chain/segment id."),
]
From = Annotated[str | None, Query(alias="from", max_length=20, description="First month.")]
To = Annotated[str | None, Query(alias="to", max_length=20, description="Last month.")]
Period = Annotated[
    str | None,
    Query(max_length=20, description="YYYY-MM or YYYY-01+02; by default the latest month."),
]
Level = Annotated[Literal["city", "county"], Query(description="Regions of the map.")]
City = Annotated[str | None, Query(pattern=r"^\d{6}$", description="Only this city's counties.")]
County = Annotated[str, Query(pattern=r"^\d{6}$", description="County code.")]
Sort = Annotated[Literal["composite", "sales", "electricity", "name"], Query()]
Order = Annotated[Literal["asc", "desc"], Query(description="asc: worst first.")]


def _series(scope: str, code: str | None, start: str | None, end: str | None) -> dict[str, Any]:
    rows = indices.index_series(scope, code, start, end)
    return {
        "scope": scope,
        "code": rows[0]["code"] if code is not None else None,
        "name": rows[0]["name"] if code is not None else None,
        "rows": rows,
    }


@router.get("/index", responses=ERRORS, summary="Sales, electricity and composite (税电) index")
async def index(scope: Scope, code: Code = None, start: From = None, end: To = None) -> Any:
    return await run_in_threadpool(_series, scope, code, start, end)


@router.get("/index.xlsx", responses=ERRORS, summary="The index series as Excel")
async def index_excel(
    scope: Scope, lang: Lang, code: Code = None, start: From = None, end: To = None
) -> Response:
    found = await run_in_threadpool(_series, scope, code, start, end)
    data = await run_in_threadpool(series_workbook, found["rows"], lang)
    return xlsx_response(data, f"monitor-index-{scope}-{code or 'all'}.xlsx")


@router.get("/map", responses=ERRORS, summary="Each city's or county's indices for one month")
async def region_map(level: Level = "city", period: Period = None, city: City = None) -> Any:
    return await run_in_threadpool(map_regions, level, period, city)


@router.get("/map.xlsx", responses=ERRORS, summary="The regions of the map as Excel")
async def region_map_excel(
    lang: Lang, level: Level = "city", period: Period = None, city: City = None
) -> Response:
    found = await run_in_threadpool(map_regions, level, period, city)
    data = await run_in_threadpool(map_workbook, found, lang)
    return xlsx_response(data, f"monitor-{level}-{city or 'province'}-{found['period']}.xlsx")


@router.get("/firms", responses=ERRORS, summary="A county's firms with their indices for a month")
async def firms(
    county: County,
    period: Period = None,
    sort: Sort = "composite",
    order: Order = "asc",
    limit: Annotated[int, Query(ge=1, le=5000)] = FIRM_LIMIT,
) -> Any:
    return await run_in_threadpool(county_firms, county, period, sort, order, limit)


@router.get("/firms.xlsx", responses=ERRORS, summary="A county's firms and indices as Excel")
async def firms_excel(
    county: County,
    lang: Lang,
    period: Period = None,
    sort: Sort = "composite",
    order: Order = "asc",
) -> Response:
    found = await run_in_threadpool(county_firms, county, period, sort, order, None)
    data = await run_in_threadpool(firms_workbook, found, lang)
    return xlsx_response(data, f"monitor-firms-{county}-{found['period']}.xlsx")
