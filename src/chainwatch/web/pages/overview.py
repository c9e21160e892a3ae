"""/ : the province overview with the schematic map and the industry, scale and tag charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from chainwatch import registry
from chainwatch.web.i18n import Translator
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()
TOP_DIVISIONS = 15


@router.get("/", response_class=HTMLResponse)
async def overview_page(request: Request) -> HTMLResponse:
    language = language_of(request)
    data = await run_in_threadpool(registry.province_overview, None, language)
    if data["province"] is None:
        return render(request, "empty.html", {"page": "overview"})
    t = Translator(language)
    chart_data = {
        "cities": data["by_city"],
        "counties": data["by_county"],
        "divisions": data["by_division"][:TOP_DIVISIONS],
        "scales": [
            {
                "name": t(f"scale.{s['scale']}") if s["scale"] else t("scale.unknown"),
                "value": s["count"],
            }
            for s in data["by_scale"]
        ],
        "tags": data["by_tag"],
        "text": t.catalogue("chart"),
    }
    return render(
        request,
        "overview.html",
        {
            "page": "overview",
            "data": data,
            "chart_data": chart_data,
            "top_divisions": TOP_DIVISIONS,
        },
    )
