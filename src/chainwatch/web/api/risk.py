"""/risk/...: systemic risk (ESRI) per firm, the most critical firms, cut-off scenarios."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool

from chainwatch.errors import NotFoundError
from chainwatch.risk import results, views
from chainwatch.risk.scenario_spec import MAX_NAME, ScenarioSpec, parse_spec
from chainwatch.risk.scenario_store import (
    MAX_COMPARE,
    compare_results,
    get_result,
    list_results,
    run_and_save,
)
from chainwatch.web.api.schemas import ERRORS
from chainwatch.web.language import api_language

router = APIRouter(prefix="/risk", tags=["risk"])
Lang = Annotated[str, Depends(api_language)]


def _firm(uscc: str, lang: str) -> dict[str, Any]:
    results.require_risk()
    found = views.firm_risk(uscc.strip().upper(), lang)
    if found is None:
        raise NotFoundError(
            f"{uscc} is not a node of the risk network: not a firm, or no supply link in the "
            "window the risk stage used."
        )
    return found


@router.get(
    "/firms/{uscc}",
    responses=ERRORS,
    summary="A firm's ESRI, rank and the chains and segments its failure would hit",
)
async def firm(
    uscc: Annotated[str, Path(description="统一社会信用代码.", max_length=40)], lang: Lang
) -> Any:
    return await run_in_threadpool(_firm, uscc, lang)


@router.get(
    "/top",
    responses=ERRORS,
    summary="The most critical firms: highest ESRI, or highest loss to one chain",
)
async def top(
    lang: Lang,
    chain: Annotated[str | None, Query(max_length=40, description="Chain id (e.g. ic).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    firms_only: Annotated[
        bool, Query(description="Leave out foreign suppliers and firms outside the registry.")
    ] = False,
) -> Any:
    return await run_in_threadpool(views.top_firms, chain or None, limit, lang, firms_only)


@router.get("/scenario-options", responses=ERRORS, summary="Choices for a scenario form")
async def scenario_options(lang: Lang) -> Any:
    return await run_in_threadpool(views.form_options, lang)


@router.get("/scenarios", responses=ERRORS, summary="Saved scenarios, newest first")
async def scenarios() -> Any:
    return {"scenarios": await run_in_threadpool(list_results)}


def _run(spec: ScenarioSpec, name: str | None, lang: str) -> dict[str, Any]:
    checked = parse_spec(spec.model_dump(mode="json"), "scenario")
    return views.scenario_view(run_and_save(checked, name), lang)


@router.post(
    "/scenarios",
    responses=ERRORS,
    summary="Run a scenario and save it (under ?name= or its name field)",
    description=(
        "Remaining capacity in percent (0 = cut off) for firms, regions, countries, segments "
        "and products; the format is that of the scenario YAML files (docs/scenarios.md). "
        "Saving under a name already used replaces that result."
    ),
)
async def run_scenario(
    spec: ScenarioSpec,
    lang: Lang,
    name: Annotated[str | None, Query(max_length=MAX_NAME)] = None,
) -> Any:
    return await run_in_threadpool(_run, spec, name, lang)


def _saved(key: str, lang: str) -> dict[str, Any]:
    return views.scenario_view(get_result(key), lang)


@router.get("/scenarios/{key}", responses=ERRORS, summary="A saved scenario (by id or name)")
async def scenario(key: Annotated[str, Path(max_length=MAX_NAME)], lang: Lang) -> Any:
    return await run_in_threadpool(_saved, key, lang)


def _compare(keys: list[str], lang: str) -> dict[str, Any]:
    return views.comparison_view(compare_results(keys), lang)


@router.get("/compare", responses=ERRORS, summary="Saved scenarios side by side")
async def compare(
    lang: Lang,
    scenario: Annotated[
        list[str],
        Query(description=f"2 to {MAX_COMPARE} scenario ids or names (repeat the parameter)."),
    ],
) -> Any:
    return await run_in_threadpool(_compare, scenario, lang)
