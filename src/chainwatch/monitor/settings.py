"""Index settings: composite weights and the fixed-base year.

Defaults ship in ``settings.yaml`` next to this module. An analyst changes them without touching
the package by writing ``monitor.yaml`` (same keys, any subset) into CHAINWATCH_HOME; a caller
may override single values again (the CLI's --sales-weight and --base-year).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

DEFAULTS_FILE = Path(__file__).parent / "settings.yaml"
OVERRIDE_NAME = "monitor.yaml"
_KEYS = ("sales_weight", "electricity_weight", "base_year")


@dataclass(frozen=True)
class IndexSettings:
    sales_weight: float = 0.5
    electricity_weight: float = 0.5
    base_year: int = 2020

    def checked(self, source: str = "index settings") -> IndexSettings:
        """Self, after checking that the weights keep 100 as the 荣枯线."""
        for name in ("sales_weight", "electricity_weight"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ConfigError(f"{source}: {name} is {value!r}; expected a number from 0 to 1.")
        if not math.isclose(self.sales_weight + self.electricity_weight, 1.0, abs_tol=1e-9):
            raise ConfigError(
                f"{source}: sales_weight {self.sales_weight} + electricity_weight "
                f"{self.electricity_weight} = {self.sales_weight + self.electricity_weight:g}; "
                "the weights must add up to 1 so that 100 stays the 荣枯线."
            )
        if (
            isinstance(self.base_year, bool)
            or not isinstance(self.base_year, int)
            or not (1900 <= self.base_year <= 2100)
        ):
            raise ConfigError(
                f"{source}: base_year is {self.base_year!r}; expected a year such as 2020."
            )
        return self

    def with_sales_weight(self, sales_weight: float) -> IndexSettings:
        """Override the sales weight; the electricity weight becomes the rest to 1."""
        return replace(
            self, sales_weight=sales_weight, electricity_weight=round(1.0 - sales_weight, 12)
        ).checked("--sales-weight")

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _KEYS}


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    section = data.get("indices", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ConfigError(
            f"{path}: expected a mapping with an 'indices:' section holding {', '.join(_KEYS)}."
        )
    unknown = sorted(set(section) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)} under 'indices:'; "
            f"expected {', '.join(_KEYS)}."
        )
    return section


def load_index_settings() -> IndexSettings:
    """Shipped defaults, updated by CHAINWATCH_HOME/monitor.yaml when that file exists."""
    values = _read(DEFAULTS_FILE)
    override = get_settings().home_path / OVERRIDE_NAME
    source = str(DEFAULTS_FILE.name)
    if override.is_file():
        changes = _read(override)
        # Naming one weight is enough: the other is the rest to 1.
        for named, other in (
            ("sales_weight", "electricity_weight"),
            ("electricity_weight", "sales_weight"),
        ):
            if isinstance(changes.get(named), int | float) and other not in changes:
                changes[other] = round(1.0 - changes[named], 12)
        values = {**values, **changes}
        source = str(override)
    return IndexSettings(**values).checked(source)
