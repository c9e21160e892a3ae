"""/atlas (chains), /atlas/{chain} (chain page), /atlas/{chain}/{segment} (segment page) and
/atlas/_unplaced (firms waiting for review). Pages only read the stored atlas results."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from chainwatch.atlas import labels, positions, results, supplier_lists, views
from chainwatch.errors import ChainwatchError
from chainwatch.store import lake
from chainwatch.web.i18n import Translator
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()
PER_PAGE = 50
ENTERPRISE_ROWS = 10  # suppliers shown per list on the enterprise page


def _chart_text(t: Translator) -> dict[str, str]:
    return {**t.catalogue("chart"), **t.catalogue("atlas.chart")}


def _missing(request: Request) -> HTMLResponse:
    return render(request, "atlas_missing.html", {"page": "atlas"}, status_code=200)


@router.get("/atlas", response_class=HTMLResponse)
async def chains_page(request: Request) -> HTMLResponse:
    data = await run_in_threadpool(views.chain_list, language_of(request))
    return render(request, "atlas_chains.html", {"page": "atlas", "data": data})


def _graph(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "segments": [
            {
                "id": s["id"],
                "name": s["name"],
                "stage": s["stage"],
                "firms": s["firms"],
                "output": s["output"],
                "status": s["status"],
                "local_province_ratio": s["local_province_ratio"],
            }
            for s in detail["segments"]
        ],
        "flows": [
            {
                "source": f["source"],
                "target": f["target"],
                "amount": f["amount"],
                "links": f["links"],
                "defined": f["defined"],
            }
            for f in detail["flows"]
            if f["source"] != f["target"]
        ],
    }


@router.get("/atlas/_unplaced", response_class=HTMLResponse)
async def unplaced_page(request: Request, chain: str | None = None) -> HTMLResponse:
    if not results.computed():
        return _missing(request)
    language = language_of(request)
    items = await run_in_threadpool(positions.unplaced_firms, chain or None, language)
    chains = await run_in_threadpool(views.chain_list, language)
    return render(
        request,
        "atlas_unplaced.html",
        {"page": "atlas", "items": items, "chains": chains["chains"], "chain": chain},
    )


@router.get("/atlas/{chain_id}/_firms", response_class=HTMLResponse)
async def chain_firms_page(
    request: Request,
    chain_id: str,
    segment: str | None = None,
    region: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    if not results.computed():
        return _missing(request)
    language = language_of(request)
    segment, region = segment or None, region or None
    found = await run_in_threadpool(views.chain_firms, chain_id, segment, region, page, PER_PAGE)
    chain = await run_in_threadpool(views.chain_summary, chain_id, language)
    pages = max(1, math.ceil(found["total"] / PER_PAGE))
    kept = {k: v for k, v in (("segment", segment), ("region", region)) if v}

    def page_url(number: int) -> str:
        return f"/atlas/{chain['id']}/_firms?" + urlencode({**kept, "page": number})

    return render(
        request,
        "atlas_firms.html",
        {
            "page": "atlas",
            "chain": chain,
            "result": found,
            "pages": pages,
            "region_name": labels.region_name(region),
            "previous_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if page < pages else None,
        },
    )


@router.get("/atlas/{chain_id}", response_class=HTMLResponse)
async def chain_page(request: Request, chain_id: str) -> HTMLResponse:
    if not results.computed():
        return _missing(request)
    language = language_of(request)
    detail = await run_in_threadpool(views.chain_detail, chain_id, language)
    chart_data = {
        **_graph(detail),
        "chain": detail["chain"]["id"],
        "cities": detail["regions"]["cities"],
        "counties": detail["regions"]["counties"],
        "text": _chart_text(Translator(language)),
    }
    return render(
        request,
        "atlas_chain.html",
        {"page": "atlas", "detail": detail, "chart_data": chart_data},
    )


@router.get("/atlas/{chain_id}/{segment_id}", response_class=HTMLResponse)
async def segment_page(request: Request, chain_id: str, segment_id: str) -> HTMLResponse:
    if not results.computed():
        return _missing(request)
    language = language_of(request)
    detail = await run_in_threadpool(views.segment_detail, chain_id, segment_id, language)
    chart_data = {
        "chain": detail["chain"]["id"],
        "segment": detail["segment"]["id"],
        "cities": detail["regions"]["cities"],
        "counties": detail["regions"]["counties"],
        "suppliers": detail["suppliers"][:12],
        "text": _chart_text(Translator(language)),
    }
    return render(
        request,
        "atlas_segment.html",
        {"page": "atlas", "detail": detail, "chart_data": chart_data},
    )


def enterprise_panels(uscc: str, language: str) -> dict[str, Any] | None:
    """The atlas panels of the enterprise page: chain positions and 四清单, or None where the
    atlas or the links hold nothing for the firm (the page then shows no panel)."""
    found: dict[str, Any] = {"positions": [], "lists": None}
    try:
        found["positions"] = positions.firm_positions(uscc, language)
    except ChainwatchError:
        found["positions"] = []
    if lake.has_result("links"):
        try:
            lists = supplier_lists.supplier_lists(uscc, lang=language)
        except ChainwatchError:
            lists = None
        if lists is not None and lists["total"] > 0:
            for item in lists["lists"]:
                item["shown"] = item["items"][:ENTERPRISE_ROWS]
            found["lists"] = lists
    return found if found["positions"] or found["lists"] else None
