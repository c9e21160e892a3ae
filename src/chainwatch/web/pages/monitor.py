"""/monitor (一图: the province by 税电指数), /monitor/region/{code} (a city's counties, a
county's firms), /monitor/rankings (赛马) and /monitor/screen (大屏 for a wall display).

Tables are rendered here; the map and the charts get their data embedded in the page as JSON
(drawn by static/js/monitor.js over tilemap.js), so a page is one request.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from chainwatch.errors import DataMissingError
from chainwatch.monitor import alert_store
from chainwatch.monitor.rules import GRADES
from chainwatch.web.api.monitor import METRICS, county_firms, region_view
from chainwatch.web.i18n import Translator
from chainwatch.web.pages.alerts import GRADE_CLASS
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()

Metric = Literal["composite", "sales", "electricity"]
MetricQuery = Annotated[Metric, Query(description="Index the map is coloured by.")]
PeriodQuery = Annotated[str | None, Query(max_length=20, description="YYYY-MM or YYYY-01+02.")]
RegionCode = Annotated[str, Path(max_length=12, description="City or county code.")]
# Red below the 荣枯线 (100), near-white at it, green above; grey is a region without an index.
INDEX_PALETTE = ["#b2182b", "#e0755f", "#f7c6b5", "#f4f4f2", "#c7e6c0", "#6fbf73", "#1b7837"]
MISSING_COLOUR = "#cfd5dc"
RANK_PALETTE = ["#1b7837", "#9fd49a", "#f4f4f2", "#f7b39f", "#b2182b"]
SCREEN_REFRESH_SECONDS = 300
SCREEN_TOP = 5


def _missing(request: Request, message: str) -> HTMLResponse:
    return render(
        request, "monitor_missing.html", {"page": "monitor", "message": message}, status_code=200
    )


def index_spread(values: list[float | None]) -> int:
    """Half the width of a colour scale centred on 100: a multiple of 5 holding nine regions
    in ten, at least 10 (small wobbles stay pale) and at most 50; the few beyond it take the
    end colours, so one outlier does not wash out the rest."""
    found = sorted(abs(v - 100) for v in values if v is not None and math.isfinite(v))
    if not found:
        return 10
    usual = found[min(len(found) - 1, math.ceil(0.9 * len(found)) - 1)]
    return int(min(50, max(10, math.ceil(usual / 5) * 5)))


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _tooltip_lines(tile: dict[str, Any], t: Translator) -> list[str]:
    lines = [
        f"{t('monitor.metric.' + m)}: {_figure(tile.get(f'{m}_index'))}"
        for m in METRICS
        if m != "composite"
    ]
    lines.append(f"{t('monitor.col.firms')}: {tile.get('firms') or 0}")
    return lines


def map_tiles(tiles: list[dict[str, Any]], metric: str, t: Translator) -> list[dict[str, Any]]:
    """What tilemap.js draws: the regions with a centroid, valued by one index."""
    return [
        {
            "code": tile["code"],
            "name": tile["name"],
            "longitude": tile["longitude"],
            "latitude": tile["latitude"],
            "count": tile.get("firms") or 0,
            "value": tile.get(f"{metric}_index"),
            "lines": _tooltip_lines(tile, t),
        }
        for tile in tiles
        if tile.get("longitude") is not None
    ]


def index_scale(tiles: list[dict[str, Any]], metric: str, t: Translator) -> dict[str, Any]:
    spread = index_spread([tile.get(f"{metric}_index") for tile in tiles])
    return {
        "min": 100 - spread,
        "max": 100 + spread,
        "palette": INDEX_PALETTE,
        "missing": MISSING_COLOUR,
        "digits": 1,
        "name": t(f"monitor.metric.{metric}"),
        "high": f"≥ {100 + spread}",
        "low": f"≤ {100 - spread}",
    }


def chart_series(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Calendar months only: the combined January–February would sit between them twice."""
    months = [r for r in rows if "+" not in r["period"]]
    first = next(
        (i for i, r in enumerate(months) if r["composite_index"] is not None or r["sales_index"]),
        len(months),
    )
    months = months[first:]
    series: dict[str, list[Any]] = {"periods": [r["period"] for r in months]}
    for metric in METRICS:
        key = f"{metric}_index"
        series[metric] = [None if r[key] is None else round(r[key], 2) for r in months]
    return series


def _text(t: Translator) -> dict[str, str]:
    return t.catalogue("monitorjs")


def _query(**values: str | None) -> str:
    kept = {k: v for k, v in values.items() if v}
    return "?" + urlencode(kept) if kept else ""


async def _region(
    request: Request,
    code: str | None,
    period: str | None,
    metric: str,
    sort: str = "composite",
    order: str = "asc",
) -> HTMLResponse:
    try:
        view = await run_in_threadpool(region_view, code, period)
        firms = None
        if view["region"]["level"] == "county":
            firms = await run_in_threadpool(
                county_firms, view["region"]["code"], view["period"], sort, order
            )
    except DataMissingError as exc:
        return _missing(request, exc.message)
    t = Translator(language_of(request))
    tiles = view["children"]
    levels = {}
    if view["child_level"] == "city":
        levels["cities"] = map_tiles(tiles, metric, t)
    if view["counties"]:
        levels["counties"] = map_tiles(view["counties"], metric, t)
    chart = {
        "kind": "region",
        "level": next(iter(levels), "cities"),
        "levels": levels,
        "scale": index_scale(tiles + view["counties"], metric, t),
        "series": chart_series(view["series"]),
        "text": _text(t),
        "link": "/monitor/region/",
        "query": _query(period=view["period"], metric=metric),
    }
    template = "monitor_county.html" if firms is not None else "monitor_map.html"
    return render(
        request,
        template,
        {
            "page": "monitor",
            "view": view,
            "metric": metric,
            "metrics": METRICS,
            "firms": firms,
            "chart": chart,
            "toggle": len(chart["levels"]) > 1,
            "table": sorted(tiles, key=lambda r: r["code"]),
            "here": request.url.path,
            "query": _query,
        },
    )


@router.get("/monitor", response_class=HTMLResponse)
async def province_page(
    request: Request, period: PeriodQuery = None, metric: MetricQuery = "composite"
) -> HTMLResponse:
    return await _region(request, None, period, metric)


@router.get("/monitor/region/{code}", response_class=HTMLResponse)
async def region_page(
    request: Request,
    code: RegionCode,
    period: PeriodQuery = None,
    metric: MetricQuery = "composite",
    sort: Annotated[Literal["composite", "sales", "electricity", "name"], Query()] = "composite",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> HTMLResponse:
    return await _region(request, code, period, metric, sort, order)


def _screen_data() -> dict[str, Any]:
    view = region_view()
    counties = [c for c in view["counties"] if c["composite_index"] is not None]
    counties.sort(key=lambda c: (-c["composite_index"], c["code"]))
    months = [r for r in view["series"] if "+" not in r["period"]]
    index = next((i for i, r in enumerate(months) if r["period"] == view["period"]), None)
    before = months[index - 1] if index else None
    return {
        "view": view,
        "top": counties[:SCREEN_TOP],
        "bottom": counties[-SCREEN_TOP:][::-1] if len(counties) > SCREEN_TOP else [],
        "previous": before,
        "alerts": alert_store.open_counts(),
    }


@router.get("/monitor/screen", response_class=HTMLResponse)
async def screen_page(request: Request) -> HTMLResponse:
    try:
        data = await run_in_threadpool(_screen_data)
    except DataMissingError as exc:
        return _missing(request, exc.message)
    t = Translator(language_of(request))
    view = data["view"]
    tiles = view["counties"] or view["children"]
    chart = {
        "kind": "screen",
        "level": "cities",
        "levels": {"cities": map_tiles(tiles, "composite", t)},
        "scale": {**index_scale(tiles, "composite", t), "textColor": "#c9d6ea"},
        "series": chart_series(view["series"]),
        "text": _text(t),
        "link": None,
        "dark": True,
    }
    return render(
        request,
        "monitor_screen.html",
        {
            "page": "monitor",
            **data,
            "chart": chart,
            "grades": GRADES,
            "grade_class": GRADE_CLASS,
            "refresh": SCREEN_REFRESH_SECONDS,
            "rendered_at": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        },
    )


RankColour = Literal["rank", "composite", "resumption", "utilisation"]
RANK_VALUES = {
    "rank": "rank",
    "composite": "composite_index",
    "resumption": "resumption_rate",
    "utilisation": "capacity_utilisation",
}


def _share_scale(values: list[float], name: str) -> dict[str, Any]:
    """0–1 shares shown as percentages, low red to high green, bounds on tens."""
    low = math.floor(min(values, default=0.0) * 10) * 10
    high = max(low + 10, math.ceil(max(values, default=1.0) * 10) * 10)
    return {
        "min": low,
        "max": high,
        "palette": INDEX_PALETTE,
        "missing": MISSING_COLOUR,
        "digits": 0,
        "name": f"{name} (%)",
        "high": f"{high}%",
        "low": f"{low}%",
    }


def ranking_map(
    table: dict[str, Any], city: str | None, colour: str, ranked: int, t: Translator
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Tiles of every region of the ranked level (grey where unranked) and their scale."""
    from chainwatch.reference import regions

    level = table["level"]
    rows = {r["code"]: r for r in table["rows"]}
    if city:
        known = regions.counties_of(city) if level == "county" else [regions.get_region(city)]
    elif rows:
        province = regions.province_of(next(iter(rows)))
        known = (
            regions.counties_of(province.code)
            if level == "county"
            else regions.cities_of(province.code)
        )
    else:
        known = []
    key = RANK_VALUES[colour]
    tiles = []
    for region in known:
        row = rows.get(region.code, {})
        value = row.get(key)
        if value is not None and colour in ("resumption", "utilisation"):
            value = round(100 * value, 1)
        lines = [
            f"{t('monitor.rank.rank')}: {row['rank']}" if row.get("rank") else "",
            f"{t('monitor.metric.composite')}: {_figure(row.get('composite_index'))}",
            f"{t('monitor.rank.firms')}: {row.get('firms') or 0}",
        ]
        tiles.append(
            {
                "code": region.code,
                "name": region.name,
                "longitude": region.longitude,
                "latitude": region.latitude,
                "count": row.get("firms") or 0,
                "value": value,
                "lines": [line for line in lines if line],
            }
        )
    present = [tile["value"] for tile in tiles if tile["value"] is not None]
    name = t(f"monitor.rank.{colour}")
    if colour == "rank":
        scale = {
            "min": 1,
            "max": max(2, ranked),
            "palette": RANK_PALETTE,
            "missing": MISSING_COLOUR,
            "digits": 0,
            "name": name,
            "high": t("monitor.rank.last"),
            "low": t("monitor.rank.first"),
        }
    elif colour == "composite":
        scale = index_scale([{"composite_index": v} for v in present], "composite", t)
    else:
        scale = _share_scale([v / 100 for v in present], name)
    return tiles, scale


def _cities_of_table(table: dict[str, Any]) -> list[dict[str, str]]:
    """The cities the city filter offers: those of the province ranked."""
    from chainwatch.reference import regions

    if not table["rows"]:
        return []
    province = regions.province_of(table["rows"][0]["code"])
    return [{"code": c.code, "name": c.name} for c in regions.cities_of(province.code)]


@router.get("/monitor/rankings", response_class=HTMLResponse)
async def rankings_page(
    request: Request,
    level: Annotated[Literal["county", "city"], Query()] = "county",
    period: PeriodQuery = None,
    city: Annotated[str | None, Query(max_length=12)] = None,
    colour: Annotated[RankColour, Query(alias="color")] = "rank",
) -> HTMLResponse:
    from chainwatch.monitor.rankings import ranking_table

    city = city.strip() if city and city.strip() else None
    try:
        table = await run_in_threadpool(ranking_table, level, period, city)
        everyone = (
            await run_in_threadpool(ranking_table, level, table["period"], None) if city else table
        )
    except DataMissingError as exc:
        return _missing(request, exc.message)
    t = Translator(language_of(request))
    tiles, scale = ranking_map(table, city, colour, len(everyone["rows"]), t)
    chart = {
        "kind": "rankings",
        "level": "cities",
        "levels": {"cities": [tile for tile in tiles if tile["longitude"] is not None]},
        "scale": scale,
        "series": None,
        "text": _text(t),
        "link": "/monitor/region/",
        "query": _query(period=table["period"]),
    }
    filters = {"level": level, "period": table["period"], "city": city or ""}
    return render(
        request,
        "monitor_rankings.html",
        {
            "page": "monitor",
            "table": table,
            "ranked": len(everyone["rows"]),
            "cities": _cities_of_table(everyone),
            "filters": filters,
            "colour": colour,
            "colours": list(RANK_VALUES),
            "chart": chart,
            "here": request.url.path,
            "query": _query,
            "excel": "/api/v1/monitor/rankings.xlsx" + _query(**filters),
        },
    )
