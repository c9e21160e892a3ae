"""Settings of the risk stage and of scenarios.

Defaults ship in ``pipeline.yaml`` next to this module. An analyst changes them without touching
the package by writing ``risk/pipeline.yaml`` (any subset of keys) into CHAINWATCH_HOME.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

DEFAULTS_FILE = Path(__file__).parent / "pipeline.yaml"
OVERRIDE_NAME = "pipeline.yaml"

Replaceability = Literal["class", "group", "division", "off"]
# Characters of a GB/T 4754 code (without the section letter) that make the market sector.
MARKET_DIGITS = {"class": 4, "group": 3, "division": 2}


class RiskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    months: int = Field(default=12, ge=1, le=120)
    replaceability: Replaceability = "class"
    tol: float = Field(default=0.01, ge=0, le=1)
    delta: float = Field(default=1e-4, ge=0, le=1)
    max_error: float = Field(default=1e-3, ge=0, le=1)
    hits_firms: int = Field(default=500, ge=0, le=1_000_000)
    hits_min_esri: float = Field(default=0.001, ge=0, le=1)
    hit_share: float = Field(default=0.01, ge=0, le=1)
    scenario_hit_loss: float = Field(default=0.05, gt=0, le=1)
    scenario_firms: int = Field(default=200, ge=1, le=100_000)


def risk_folder() -> Path:
    """CHAINWATCH_HOME/risk: the analyst's settings."""
    return get_settings().home_path / "risk"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}.")
    return data


def load_risk_settings() -> RiskSettings:
    """Shipped defaults, updated by CHAINWATCH_HOME/risk/pipeline.yaml when it exists."""
    values = _read(DEFAULTS_FILE)
    source = DEFAULTS_FILE.name
    override = risk_folder() / OVERRIDE_NAME
    if override.is_file():
        values = {**values, **_read(override)}
        source = str(override)
    try:
        return RiskSettings.model_validate(values)
    except PydanticValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']} (got {error.get('input')!r})"
            for error in exc.errors()
        ]
        raise ConfigError(
            f"{source}: {len(problems)} wrong risk setting(s): {'; '.join(problems)}",
            errors=problems,
        ) from None
