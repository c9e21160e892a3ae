"""/risk/scenarios (form and saved list), /risk/scenarios/{id} (result with map),
/risk/compare (side by side), /risk/esri (most critical firms).

Also registers the template functions behind the risk panels of the enterprise and chain pages
(``risk_firm_panel`` and ``risk_chain_panel``), which read the stored ESRI results.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chainwatch.errors import ChainwatchError
from chainwatch.risk import results, views
from chainwatch.risk.scenario_spec import parse_spec
from chainwatch.risk.scenario_store import compare_results, get_result, list_results, run_and_save
from chainwatch.web.i18n import Translator
from chainwatch.web.pages.rendering import TEMPLATES, language_of, render

router = APIRouter()
TABLE_ROWS = 15
KINDS = ("region", "country", "segment", "product", "firm")


def _firm_panel(uscc: str, lang: str) -> dict[str, Any] | None:
    try:
        return views.firm_risk(uscc, lang)
    except ChainwatchError:
        return None


def _chain_panel(chain_id: str, lang: str) -> dict[str, Any] | None:
    try:
        return views.chain_panel(chain_id, lang)
    except ChainwatchError:
        return None


TEMPLATES.env.globals["risk_firm_panel"] = _firm_panel
TEMPLATES.env.globals["risk_chain_panel"] = _chain_panel


def _missing(request: Request) -> HTMLResponse:
    return render(request, "risk_missing.html", {"page": "risk"})


def _form_state(form: dict[str, str]) -> dict[str, str]:
    return {k: str(v) for k, v in form.items()}


def spec_from_form(form: dict[str, str]) -> dict[str, Any]:
    """Scenario data from the form: one optional choice and capacity per kind of shock."""
    shocks: dict[str, list[dict[str, Any]]] = {}

    def capacity(kind: str) -> str:
        return form.get(f"{kind}_capacity", "").strip() or "0"

    if form.get("region"):
        shocks["regions"] = [{"code": form["region"], "capacity": capacity("region")}]
    if form.get("country"):
        shocks["countries"] = [{"code": form["country"], "capacity": capacity("country")}]
    if form.get("segment"):
        chain, _, segment = form["segment"].partition("/")
        entry: dict[str, Any] = {"chain": chain, "capacity": capacity("segment")}
        if segment:
            entry["segment"] = segment
        shocks["segments"] = [entry]
    if form.get("product"):
        shocks["products"] = [{"hs": form["product"], "capacity": capacity("product")}]
    if form.get("firm", "").strip():
        shocks["firms"] = [{"uscc": form["firm"].strip(), "capacity": capacity("firm")}]
    data: dict[str, Any] = {"shocks": shocks}
    if form.get("description", "").strip():
        data["description"] = form["description"].strip()
    return data


async def _scenarios_page(
    request: Request, form: dict[str, str], error: str | None, status: int = 200
) -> HTMLResponse:
    language = language_of(request)
    options = await run_in_threadpool(views.form_options, language)
    saved = await run_in_threadpool(list_results)
    return render(
        request,
        "risk_scenarios.html",
        {
            "page": "risk",
            "options": options,
            "saved": saved,
            "form": form,
            "error": error,
            "kinds": KINDS,
        },
        status_code=status,
    )


@router.get("/risk/scenarios", response_class=HTMLResponse)
async def scenarios_page(request: Request) -> HTMLResponse:
    if not results.computed():
        return _missing(request)
    return await _scenarios_page(request, {}, None)


@router.post("/risk/scenarios", response_class=HTMLResponse)
async def run_scenario_page(request: Request) -> Response:
    if not results.computed():
        return _missing(request)
    form = _form_state({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    try:
        spec = parse_spec(
            spec_from_form(form), Translator(language_of(request))("scenario.form_source")
        )
        summary = await run_in_threadpool(run_and_save, spec, form.get("name") or None)
    except ChainwatchError as exc:
        return await _scenarios_page(request, form, exc.message, status=exc.status)
    return RedirectResponse(f"/risk/scenarios/{summary['id']}", status_code=303)


@router.get("/risk/scenarios/{key}", response_class=HTMLResponse)
async def scenario_page(request: Request, key: str) -> HTMLResponse:
    language = language_of(request)
    summary = await run_in_threadpool(get_result, key)
    view = views.scenario_view(summary, language)
    t = Translator(language)
    chart_data = {**view["map"], "text": {**t.catalogue("chart"), **t.catalogue("scenario.chart")}}
    return render(
        request,
        "risk_scenario.html",
        {"page": "risk", "view": view, "chart_data": chart_data, "rows": TABLE_ROWS},
    )


@router.get("/risk/compare", response_class=HTMLResponse)
async def compare_page(
    request: Request, scenario: Annotated[list[str] | None, Query()] = None
) -> HTMLResponse:
    chosen = [s for s in (scenario or []) if s]
    data = await run_in_threadpool(compare_results, chosen)
    view = views.comparison_view(data, language_of(request))
    return render(request, "risk_compare.html", {"page": "risk", "data": view, "rows": TABLE_ROWS})


@router.get("/risk/esri", response_class=HTMLResponse)
async def esri_page(request: Request, chain: str | None = None) -> HTMLResponse:
    if not results.computed():
        return _missing(request)
    data = await run_in_threadpool(views.top_firms, chain or None, 50, language_of(request))
    return render(
        request,
        "risk_esri.html",
        {"page": "risk", "data": data, "chain_query": quote(chain or "")},
    )
