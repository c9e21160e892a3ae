"""Pipeline stages. Each reads what the stage before wrote and writes its own results, so a
stage can be re-run alone (`chainwatch run links`) and a whole run is `chainwatch run`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainwatch.errors import ConfigError


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    run: Callable[[str], dict[str, Any]]  # engine name -> summary
    needs: tuple[str, ...] = ()  # lake kinds or results it cannot do without


def _links(engine: str) -> dict[str, Any]:
    from chainwatch.links import build_links

    return build_links(engine)


def _atlas(engine: str) -> dict[str, Any]:
    from chainwatch.atlas.stage import build_atlas

    return build_atlas(engine)


def _risk(engine: str) -> dict[str, Any]:
    from chainwatch.risk.stage import build_risk

    return build_risk(engine)


def _monitor(engine: str) -> dict[str, Any]:
    from chainwatch.monitor.stage import build_monitor

    return build_monitor(engine)


def _screen(engine: str) -> dict[str, Any]:
    from chainwatch.risk.screening import screen_risks

    return screen_risks(engine)


STAGES: dict[str, Stage] = {
    "links": Stage("links", "供应链接 (invoices → links)", _links, ("invoices",)),
    "atlas": Stage(
        "atlas", "产业链图谱 (firms → segments, metrics)", _atlas, ("enterprises", "links")
    ),
    "risk": Stage("risk", "系统性风险 (links → ESRI)", _risk, ("enterprises", "links")),
    "screen": Stage(
        "screen",
        "风险筛查 (atlas, customs, ESRI → 一链一清单)",
        _screen,
        ("enterprises", "links", "atlas_meta"),
    ),
    "monitor": Stage(
        "monitor", "监测指数与预警 (indicators → indices, alerts)", _monitor, ("indicators",)
    ),
}


KINDS = ("enterprises", "invoices", "customs", "indicators")


def missing_inputs(stage: Stage, produced: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What ``stage`` needs that is neither loaded nor computed (nor ``produced`` by a stage
    earlier in the same run)."""
    from chainwatch.ingest import batches
    from chainwatch.store import lake

    absent = []
    for need in stage.needs:
        if need in produced:
            continue
        present = bool(batches.loaded_batch_ids(need)) if need in KINDS else lake.has_result(need)
        if not present:
            absent.append(need)
    return absent


def stage_names() -> list[str]:
    return list(STAGES)


def select(names: list[str] | None) -> list[Stage]:
    if not names:
        return list(STAGES.values())
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ConfigError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}.")
    return [STAGES[n] for n in names]
