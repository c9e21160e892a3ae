"""Risk screening settings: dependence bands, concentration, country risk, points and grades.

Defaults ship in ``screening.yaml`` next to this module. An analyst changes them without touching
the package by writing ``risk/screening.yaml`` (same sections, any subset of keys) into
CHAINWATCH_HOME.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

DEFAULTS_FILE = Path(__file__).parent / "screening.yaml"
GRADES = ("高", "中", "低")
Level = Literal["高", "中", "低"]
DEFAULT_WEIGHTS: dict[Level, float] = {"高": 1.0, "中": 0.7, "低": 0.3}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dependence(_Section):
    bands: list[float] = Field(default_factory=lambda: [0.2, 0.4, 0.6, 0.8])
    points: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    min_imports: float = Field(default=100_000.0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Dependence:
        if any(not 0 < b < 1 for b in self.bands) or self.bands != sorted(set(self.bands)):
            raise ValueError("bands must be increasing shares between 0 and 1")
        if len(self.points) != len(self.bands) + 1:
            raise ValueError(f"points needs {len(self.bands) + 1} values, one per band")
        return self

    def band(self, share: float) -> int:
        """Index of the band holding ``share`` (0 = lowest)."""
        return sum(1 for limit in self.bands if share >= limit)

    def label(self, band: int) -> str:
        """'≥ 80%', '60–80%', '< 20%' for the band."""
        pct = [round(b * 100) for b in self.bands]
        if band == 0:
            return f"< {pct[0]}%"
        if band >= len(pct):
            return f"≥ {pct[-1]}%"
        return f"{pct[band - 1]}–{pct[band]}%"


class Concentration(_Section):
    single_source_share: float = Field(default=0.8, gt=0, le=1)
    hhi_high: float = Field(default=0.5, gt=0, le=1)
    hhi_medium: float = Field(default=0.25, gt=0, le=1)
    product_single_points: int = Field(default=2, ge=0)
    product_hhi_high_points: int = Field(default=1, ge=0)
    firm_min_inputs: float = Field(default=1_000_000.0, ge=0)
    firm_top_per_chain: int = Field(default=30, ge=0)
    firm_single_points: int = Field(default=3, ge=0)
    firm_hhi_high_points: int = Field(default=2, ge=0)
    firm_hhi_medium_points: int = Field(default=1, ge=0)
    firm_foreign_high_points: int = Field(default=2, ge=0)
    firm_foreign_points: int = Field(default=1, ge=0)
    firm_no_alternative_points: int = Field(default=2, ge=0)
    firm_key_points: int = Field(default=1, ge=0)


class Alternatives(_Section):
    no_province_points: int = Field(default=2, ge=0)
    no_country_points: int = Field(default=1, ge=0)


class Bottleneck(_Section):
    points: int = Field(default=1, ge=0)


class Segments(_Section):
    missing_supplier_points: int = Field(default=4, ge=0)
    missing_points: int = Field(default=2, ge=0)
    weak_points: int = Field(default=1, ge=0)


class Systemic(_Section):
    high: float = Field(default=0.05, gt=0, le=1)
    high_points: int = Field(default=8, ge=0)
    medium: float = Field(default=0.02, gt=0, le=1)
    medium_points: int = Field(default=5, ge=0)
    low: float = Field(default=0.01, gt=0, le=1)
    low_points: int = Field(default=2, ge=0)

    def points(self, esri: float) -> int:
        for limit, points in (
            (self.high, self.high_points),
            (self.medium, self.medium_points),
            (self.low, self.low_points),
        ):
            if esri >= limit:
                return points
        return 0


class Interruption(_Section):
    lookback_months: int = Field(default=12, ge=1, le=60)
    min_active_months: int = Field(default=6, ge=1, le=60)
    silent_months: int = Field(default=3, ge=1, le=24)
    min_monthly: float = Field(default=10_000.0, ge=0)
    points: int = Field(default=6, ge=0)
    key_product_points: int = Field(default=1, ge=0)
    bottleneck_points: int = Field(default=1, ge=0)


class Grades(_Section):
    high: int = Field(default=8, ge=1)
    medium: int = Field(default=5, ge=1)
    low: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Grades:
        if not self.high > self.medium > self.low:
            raise ValueError("grades need high > medium > low")
        return self

    def grade(self, points: int) -> str | None:
        if points >= self.high:
            return "高"
        if points >= self.medium:
            return "中"
        if points >= self.low:
            return "低"
        return None


class Lists(_Section):
    affected: int = Field(default=50, ge=1, le=10_000)
    alternatives: int = Field(default=20, ge=1, le=10_000)
    stock_months: float = Field(default=3.0, gt=0, le=24)


class RiskTypeRule(_Section):
    type: str
    keywords: list[str]


class ScreeningSettings(_Section):
    dependence: Dependence = Field(default_factory=Dependence)
    concentration: Concentration = Field(default_factory=Concentration)
    alternatives: Alternatives = Field(default_factory=Alternatives)
    bottleneck: Bottleneck = Field(default_factory=Bottleneck)
    segments: Segments = Field(default_factory=Segments)
    systemic: Systemic = Field(default_factory=Systemic)
    interruption: Interruption = Field(default_factory=Interruption)
    grades: Grades = Field(default_factory=Grades)
    lists: Lists = Field(default_factory=Lists)
    positions: dict[str, str] = Field(default_factory=dict)
    risk_types: list[RiskTypeRule] = Field(default_factory=list)
    default_risk_type: str = "零部件"
    country_levels: dict[Level, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    default_country_level: Level = "中"
    countries: dict[str, Level] = Field(default_factory=dict)

    @field_validator("countries")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [c for c in value if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad:
            raise ValueError(f"country codes must be ISO 3166 alpha-2 such as JP: {bad}")
        return value

    @model_validator(mode="after")
    def _levels(self) -> ScreeningSettings:
        missing = [lv for lv in GRADES if lv not in self.country_levels]
        if missing:
            raise ValueError(f"country_levels needs a weight for {', '.join(missing)}")
        if any(not 0 <= w <= 1 for w in self.country_levels.values()):
            raise ValueError("country_levels weights must be between 0 and 1")
        return self

    def country_level(self, code: str | None) -> str:
        return self.countries.get(code or "", self.default_country_level)

    def country_weight(self, code: str | None) -> float:
        return self.country_levels[self.country_level(code)]  # type: ignore[index]

    def position(self, stage: str | None) -> str:
        return self.positions.get(stage or "", "中间产品")

    def risk_type(self, *names: str | None) -> str:
        text = " ".join(n for n in names if n)
        for rule in self.risk_types:
            if any(k and k in text for k in rule.keywords):
                return rule.type
        return self.default_risk_type


def settings_file() -> Path:
    """CHAINWATCH_HOME/risk/screening.yaml: the analyst's changes."""
    return get_settings().home_path / "risk" / "screening.yaml"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of sections; got {type(data).__name__}.")
    return data


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def parse_screening_settings(values: dict[str, Any], source: str) -> ScreeningSettings:
    try:
        return ScreeningSettings.model_validate(values)
    except PydanticValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']} "
            f"(got {error.get('input')!r})"
            for error in exc.errors()
        ]
        raise ConfigError(
            f"{source}: {len(problems)} wrong screening setting(s): {'; '.join(problems)}",
            errors=problems,
        ) from None


def load_screening_settings() -> ScreeningSettings:
    """Shipped defaults, updated by CHAINWATCH_HOME/risk/screening.yaml when it exists."""
    values = _read(DEFAULTS_FILE)
    source = DEFAULTS_FILE.name
    override = settings_file()
    if override.is_file():
        values = _merge(values, _read(override))
        source = str(override)
    return parse_screening_settings(values, source)
