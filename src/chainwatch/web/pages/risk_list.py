"""Risk list pages: /risk (list per chain with filters), /risk/items/{id} (evidence, affected
firms, alternatives, history, change form), /risk/report (printable, A4), /risk/views (四张清单),
/risk/export.xlsx (Excel)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chainwatch.atlas.chains import Chain, get_chain, load_chains
from chainwatch.errors import ChainwatchError
from chainwatch.risk.findings import GRADE_COLOURS, KIND_LABELS, KINDS
from chainwatch.risk.four_lists import build_views
from chainwatch.risk.riskitems import (
    EVENT_LABELS,
    GRADES,
    STATUSES,
    TRANSITIONS,
    counts_by_chain,
    get_item,
    latest_screening,
    list_items,
    update_item,
)
from chainwatch.web.api.risk_list import workbook_bytes, xlsx_response
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()
PAGE = "risk_list"
PAGE_SIZE = 100
ChainParam = Annotated[str | None, Query(max_length=64)]


def _names(chains: dict[str, Chain]) -> dict[str, Any]:
    return {
        "chains": {c.id: c.name for c in chains.values()},
        "segments": {(c.id, s.id): s.name for c in chains.values() for s in c.segments},
    }


def _helpers(lang: str) -> dict[str, Any]:
    chains = load_chains()
    names = _names(chains)
    en = lang == "en"

    def segment_name(chain_id: str, segment_id: str | None) -> str:
        return names["segments"].get((chain_id, segment_id or ""), segment_id or "")

    def explanation(item: dict[str, Any]) -> str:
        return str((item.get("explanation_en") if en else None) or item["explanation"])

    return {
        "chain_names": names["chains"],
        "segment_name": segment_name,
        "kind_label": lambda k: KIND_LABELS.get(k, (k, k))[1 if en else 0],
        "event_label": lambda e: EVENT_LABELS.get(e, (e, e))[1 if en else 0],
        "grade_colours": GRADE_COLOURS,
        "explanation": explanation,
        "grades": GRADES,
        "statuses": STATUSES,
        "kinds": KINDS,
    }


def _list_context(
    chain: str | None, grade: str | None, status: str | None, kind: str | None, page: int
) -> dict[str, Any]:
    if chain:
        get_chain(chain)
    found = list_items(
        chain=chain,
        grade=grade,
        status=status,
        kind=kind,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return {
        "found": found,
        "counts": counts_by_chain(),
        "latest": latest_screening(),
        "filters": {"chain": chain, "grade": grade, "status": status, "kind": kind},
        "page_number": page,
        "pages": max(1, -(-found["total"] // PAGE_SIZE)),
    }


def _blank(value: str | None) -> str | None:
    return value or None


@router.get("/risk", response_class=HTMLResponse)
async def risk_list_page(
    request: Request,
    chain: ChainParam = None,
    grade: Annotated[str | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(max_length=8)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    lang = language_of(request)
    context = await run_in_threadpool(
        _list_context, _blank(chain), _blank(grade), _blank(status), _blank(kind), page
    )
    return render(request, "risk_list.html", {"page": PAGE, **context, **_helpers(lang)})


async def _item_page(
    request: Request, item_id: int, error: str | None = None, form: dict[str, str] | None = None
) -> HTMLResponse:
    item = await run_in_threadpool(get_item, item_id)
    return render(
        request,
        "risk_list_item.html",
        {
            "page": PAGE,
            "item": item,
            "error": error,
            "form": form or {},
            "next_statuses": TRANSITIONS[item["status"]],
            **_helpers(language_of(request)),
        },
        status_code=422 if error else 200,
    )


@router.get("/risk/items/{item_id}", response_class=HTMLResponse)
async def risk_item_page(request: Request, item_id: int) -> HTMLResponse:
    return await _item_page(request, item_id)


@router.post("/risk/items/{item_id}", response_class=HTMLResponse)
async def risk_item_update(request: Request, item_id: int) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        await run_in_threadpool(
            update_item,
            item_id,
            status=form.get("status") or None,
            owner=form.get("owner") or None,
            due=form.get("due") or None,
            action=form.get("action") or None,
            note=form.get("note") or None,
            actor=form.get("actor") or None,
        )
    except ChainwatchError as exc:
        if exc.status == 404:
            raise
        return await _item_page(request, item_id, exc.message, form)
    return RedirectResponse(f"/risk/items/{item_id}", status_code=303)


def _report_context(chain: str | None) -> dict[str, Any]:
    chains = load_chains()
    chosen = [get_chain(chain)] if chain else list(chains.values())
    sections = []
    for c in chosen:
        items = list_items(chain=c.id, open_only=True, details=True)["items"]
        items = [i for i in items if i["found"]]
        sections.append({"chain": c, "items": items})
    return {"sections": sections, "latest": latest_screening(), "filters": {"chain": chain}}


@router.get("/risk/report", response_class=HTMLResponse)
async def risk_report_page(request: Request, chain: ChainParam = None) -> HTMLResponse:
    context = await run_in_threadpool(_report_context, _blank(chain))
    return render(
        request,
        "risk_list_report.html",
        {"page": PAGE, **context, **_helpers(language_of(request))},
    )


def _views_context(chain: str | None, lang: str) -> dict[str, Any]:
    if chain:
        get_chain(chain)
    return {"views": build_views(chain, lang), "filters": {"chain": chain}}


@router.get("/risk/views", response_class=HTMLResponse)
async def risk_views_page(request: Request, chain: ChainParam = None) -> HTMLResponse:
    lang = language_of(request)
    context = await run_in_threadpool(_views_context, _blank(chain), lang)
    return render(request, "risk_list_views.html", {"page": PAGE, **context, **_helpers(lang)})


@router.get("/risk/export.xlsx")
async def risk_export(chain: ChainParam = None) -> Response:
    data = await run_in_threadpool(workbook_bytes, _blank(chain))
    return xlsx_response(data, _blank(chain))
