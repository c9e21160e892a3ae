"""/enterprises (search form and results) and /enterprises/{uscc} (the enterprise profile)."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from chainwatch import registry
from chainwatch.errors import ValidationError
from chainwatch.web.pages.atlas import enterprise_panels
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()
PER_PAGE = 50


def _search(filters: dict[str, str | None], page: int, language: str) -> dict[str, Any]:
    """Everything the search page shows, read in one worker thread."""
    if registry.count_enterprises() == 0:
        return {"empty": True}
    found: dict[str, Any] = {
        "empty": False,
        "facets": registry.search_facets(language),
        "error": None,
    }
    try:
        found["result"] = registry.search_enterprises(
            query=filters["q"],
            region=filters["region"],
            industry=filters["industry"],
            tag=filters["tag"],
            scale=filters["scale"],
            page=page,
            per_page=PER_PAGE,
            lang=language,
        )
    except ValidationError as exc:
        found["error"] = exc.message
        found["result"] = {"total": 0, "page": page, "per_page": PER_PAGE, "items": []}
    return found


@router.get("/enterprises", response_class=HTMLResponse)
async def search_page(
    request: Request,
    q: str | None = None,
    region: str | None = None,
    industry: str | None = None,
    tag: str | None = None,
    scale: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    # An empty form field arrives as "": it means "any".
    filters = {"q": q, "region": region, "industry": industry, "tag": tag, "scale": scale}
    filters = {key: (value.strip() or None) if value else None for key, value in filters.items()}
    found = await run_in_threadpool(_search, filters, page, language_of(request))
    if found["empty"]:
        return render(request, "empty.html", {"page": "enterprises"})
    result = found["result"]
    pages = max(1, math.ceil(result["total"] / PER_PAGE))
    kept = {key: value for key, value in filters.items() if value}

    def page_url(number: int) -> str:
        return "/enterprises?" + urlencode({**kept, "page": number})

    return render(
        request,
        "enterprises.html",
        {
            "page": "enterprises",
            "filters": filters,
            "facets": found["facets"],
            "result": result,
            "error": found["error"],
            "pages": pages,
            "previous_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if page < pages else None,
        },
    )


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
async def enterprise_page(request: Request, uscc: str) -> HTMLResponse:
    language = language_of(request)
    firm = await run_in_threadpool(registry.get_enterprise, uscc, lang=language)
    atlas = await run_in_threadpool(enterprise_panels, firm["uscc"], language)
    return render(request, "enterprise.html", {"page": "enterprises", "firm": firm, "atlas": atlas})
