"""What a scenario file says: shocks to firms, regions, countries, segments and products.

A scenario sets the remaining production capacity (in percent: 0 = cut off, 100 = untouched) of
groups of nodes of the province network; a node named by several shocks keeps the lowest. The
format is documented with examples in docs/scenarios.md. Problems are reported all at once, each
with where it is (``shocks.regions[0].capacity``), what was given and what is expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from chainwatch.errors import InputFileError, ValidationError

MAX_NAME = 80
_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$")


def _percent(value: Any) -> Any:
    """30, 30.5, "30", "30%" → 30.0; anything else goes on to the type check."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match is None:
            raise ValueError("expected a percentage such as 30 or 30%")
        return float(match.group(1))
    return value


def _code(value: Any) -> Any:
    """Codes written without quotes arrive as numbers; keep their digits."""
    if isinstance(value, bool):
        raise ValueError("expected a code, got a yes/no value")
    if isinstance(value, int):
        return str(value)
    return value


Capacity = Annotated[
    float,
    BeforeValidator(_percent),
    Field(ge=0, le=100, description="Remaining capacity in percent: 0 cut off, 100 untouched."),
]
Code = Annotated[str, BeforeValidator(_code), Field(min_length=1, max_length=40)]


class _Shock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity: Capacity = 0.0


class FirmShock(_Shock):
    uscc: Code = Field(description="统一社会信用代码 of the firm.")


class RegionShock(_Shock):
    code: Code = Field(description="GB/T 2260 code of a county, city or the province.")


class CountryShock(_Shock):
    code: Code = Field(description="Country of origin: ISO 3166 code or name (JP, JPN, 日本).")


class SegmentShock(_Shock):
    chain: Code = Field(description="Chain id (e.g. ic) or its Chinese name.")
    segment: Code | None = Field(default=None, description="Segment id; leave out: whole chain.")


class ProductShock(_Shock):
    hs: Code = Field(description="HS code or prefix, 2 to 6 digits (e.g. 370790, 8486).")
    countries: list[Code] = Field(
        default_factory=list, description="Only imports from these countries (default: all)."
    )
    makers: bool = Field(
        default=False,
        description="Also the province's firms that export the product (they make it).",
    )

    @field_validator("hs")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not (value.isdigit() and 2 <= len(value) <= 10):
            raise ValueError("expected 2 to 10 digits such as 370790")
        if len(value) % 2:
            raise ValueError(
                "an odd number of digits; write HS codes in quotes so that a leading 0 is kept "
                "(e.g. '0302')"
            )
        return value


class Shocks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    firms: list[FirmShock] = Field(default_factory=list)
    regions: list[RegionShock] = Field(default_factory=list)
    countries: list[CountryShock] = Field(default_factory=list)
    segments: list[SegmentShock] = Field(default_factory=list)
    products: list[ProductShock] = Field(default_factory=list)

    def count(self) -> int:
        return sum(
            len(group)
            for group in (self.firms, self.regions, self.countries, self.segments, self.products)
        )


class ScenarioSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    description: str = Field(default="", max_length=2000)
    shocks: Shocks

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("a name needs at least one character other than spaces")
        return value.strip() if value is not None else None


def _where(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "scenario"


RANGE_ERRORS = {"less_than_equal", "greater_than_equal"}


def _problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    location = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    elif location and location[-1] == "capacity" and error["type"] in RANGE_ERRORS:
        message = "the remaining capacity is a percentage from 0 (cut off) to 100 (untouched)"
    elif error["type"] == "missing":
        message = "missing"
    got = error.get("input")
    shown = "" if error["type"] == "missing" or isinstance(got, dict) else f" (got {got!r})"
    return f"{_where(location)}: {message}{shown}"


EXPECTED = (
    "expected a mapping with `shocks:` and any of firms, regions, countries, segments, products "
    "(see docs/scenarios.md)"
)


def parse_spec(data: Any, source: str = "scenario") -> ScenarioSpec:
    """Validate scenario data (from YAML or JSON); ValidationError lists every problem."""
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: {EXPECTED}; got {type(data).__name__}.")
    try:
        spec = ScenarioSpec.model_validate(data)
    except PydanticValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        if len(problems) == 1:
            raise ValidationError(f"{source}: {problems[0]}.") from None
        raise ValidationError(
            f"{source}: {len(problems)} problems: {'; '.join(problems)}.", errors=problems
        ) from None
    if spec.shocks.count() == 0:
        raise ValidationError(f"{source}: the scenario has no shock; {EXPECTED}.")
    return spec


def read_spec(path: Path) -> ScenarioSpec:
    """Read and validate a scenario YAML (or JSON) file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"scenario file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read scenario file {path}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValidationError(f"{path.name}: not valid YAML{where}: {problem}.") from None
    return parse_spec(data, path.name)
