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


STAGES: dict[str, Stage] = {
    "links": Stage("links", "供应链接 (invoices → links)", _links, ("invoices",)),
    "atlas": Stage(
        "atlas", "产业链图谱 (firms → segments, metrics)", _atlas, ("enterprises", "links")
    ),
}


def stage_names() -> list[str]:
    return list(STAGES)


def select(names: list[str] | None) -> list[Stage]:
    if not names:
        return list(STAGES.values())
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ConfigError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}.")
    return [STAGES[n] for n in names]
