"""Atlas settings: placement points and thresholds, metric window, 缺链/弱链 thresholds.

Defaults ship in ``settings.yaml`` next to this module. An analyst changes them without touching
the package by writing ``atlas/settings.yaml`` (same sections, any subset of keys) into
CHAINWATCH_HOME.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

# A GB/T 4754 division: two digits (the values go into SQL, so nothing else is accepted).
Division = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]

DEFAULTS_FILE = Path(__file__).parent / "settings.yaml"
OVERRIDE_NAME = "settings.yaml"


class PlacementSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    industry_class: float = Field(default=3.0, ge=0)
    industry_group: float = Field(default=2.0, ge=0)
    industry_division: float = Field(default=1.0, ge=0)
    industry_neighbour: float = Field(default=1.0, ge=0)
    scope_keyword: float = Field(default=1.0, ge=0)
    scope_cap: float = Field(default=3.0, ge=0)
    products: float = Field(default=4.0, ge=0)
    exports: float = Field(default=3.0, ge=0)
    imports: float = Field(default=1.0, ge=0)
    exclude_penalty: float = Field(default=3.0, ge=0)
    trade_divisions: list[Division] = Field(default_factory=lambda: ["51", "52"])
    min_score: float = Field(default=3.5, gt=0)
    relative_score: float = Field(default=0.6, ge=0, le=1)


class MetricSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    months: int = Field(default=12, ge=1, le=120)
    local_supply_exclude_divisions: list[Division] = Field(
        default_factory=lambda: ["44", "45", "46"]
    )
    key_firms: int = Field(default=10, ge=1, le=1000)
    pagerank_damping: float = Field(default=0.85, gt=0, lt=1)


class GapSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weak_min_firms: int = Field(default=3, ge=1)
    weak_local_supply: float = Field(default=0.3, ge=0, le=1)
    min_inputs: float = Field(default=1_000_000.0, ge=0)


class AtlasSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    placement: PlacementSettings = Field(default_factory=PlacementSettings)
    metrics: MetricSettings = Field(default_factory=MetricSettings)
    gaps: GapSettings = Field(default_factory=GapSettings)


def atlas_folder() -> Path:
    """CHAINWATCH_HOME/atlas: the analyst's override list and settings."""
    return get_settings().home_path / "atlas"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping with the sections placement, metrics and gaps; "
            f"got {type(data).__name__}."
        )
    return data


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def parse_settings(values: dict[str, Any], source: str) -> AtlasSettings:
    try:
        return AtlasSettings.model_validate(values)
    except PydanticValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']} (got {error.get('input')!r})"
            for error in exc.errors()
        ]
        raise ConfigError(
            f"{source}: {len(problems)} wrong atlas setting(s): {'; '.join(problems)}",
            errors=problems,
        ) from None


def load_atlas_settings() -> AtlasSettings:
    """Shipped defaults, updated by CHAINWATCH_HOME/atlas/settings.yaml when it exists."""
    values = _read(DEFAULTS_FILE)
    source = DEFAULTS_FILE.name
    override = atlas_folder() / OVERRIDE_NAME
    if override.is_file():
        values = _merge(values, _read(override))
        source = str(override)
    return parse_settings(values, source)
