"""Early-warning rules (预警规则): the YAML file an analyst edits, validated with Pydantic.

The shipped defaults are ``rules.yaml`` beside this module. An analyst's own file replaces them
as a whole: ``alert_rules.yaml`` in CHAINWATCH_HOME is used when it exists, and a command may
name any other file (``chainwatch monitor evaluate --rules FILE``). Every mistake in a file is
reported at once, each with where it is (rule number and id, field), what was found and what is
expected. The format and each kind's message fields are described in docs/alerts.md.
"""

from __future__ import annotations

import itertools
import re
import shutil
import string
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

DEFAULTS_FILE = Path(__file__).parent / "rules.yaml"
OVERRIDE_NAME = "alert_rules.yaml"

WARNING_GRADES = ("红", "橙", "黄")  # most severe first
ADVISORY = "提示"
GRADES = (*WARNING_GRADES, ADVISORY)
REGION_SCOPES = ("province", "city", "county")
GROUP_SCOPES = ("chain", "segment")
SERIES_SCOPES = (*REGION_SCOPES, *GROUP_SCOPES)
INDEX_COLUMNS = {
    "composite_index": "税电指数",
    "sales_index": "销售指数",
    "electricity_index": "用电指数",
}
_ID = re.compile(r"[a-z][a-z0-9_]{0,47}")

WarningGrade = Literal["红", "橙", "黄"]

# Message fields every rule offers, then those of each kind (docs/alerts.md lists them).
COMMON_FIELDS = {
    "name": "甲公司",
    "code": "330211",
    "rule": "规则",
    "grade": "红",
    "period": "2021-07",
    "raised": "2021-07",
    "start": "2021-06",
    "last": "2021-09",
}
KIND_FIELDS: dict[str, dict[str, Any]] = {
    "electricity_drop": {
        "months": 2,
        "threshold_pct": 30.0,
        "ratio_pct": 15.5,
        "value": 1200.0,
        "baseline": 8000.0,
    },
    "sales_yoy": {
        "months": 2,
        "threshold_pct": -50.0,
        "threshold_drop_pct": 50.0,
        "change_pct": -62.5,
        "drop_pct": 62.5,
        "sales": 100000.0,
        "sales_year_ago": 250000.0,
    },
    "import_stop": {
        "months": 1,
        "steady": 3,
        "product": "RV减速器",
        "hs": "848340",
        "country": "JP",
        "country_name": "日本",
        "last_import": "2021-06",
        "chain": "智能装备",
        "share_pct": 75.0,
        "amount": 2500000.0,
    },
    "index_below": {
        "months": 3,
        "index_name": "税电指数",
        "threshold": 90.0,
        "value": 85.2,
    },
    "change_point": {
        "index_name": "税电指数",
        "direction": "下降",
        "before": 105.0,
        "after": 17.0,
        "shift": -88.0,
        "before_months": 6,
        "after_months": 4,
    },
}


class Level(BaseModel):
    """One grade of a threshold rule: the condition holds when the value is below ``below``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grade: WarningGrade
    below: float


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(description="Letters a–z, digits and _, starting with a letter.")
    name: str = Field(min_length=1, max_length=40)
    enabled: bool = True
    message: str = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a rule id; use lower-case letters, digits and _ starting "
                "with a letter (e.g. production_stop), at most 48 characters"
            )
        return value

    @field_validator("message")
    @classmethod
    def _check_message(cls, value: str) -> str:
        (kind,) = get_args(cls.model_fields["kind"].annotation)
        check_template(value, {**COMMON_FIELDS, **KIND_FIELDS[kind]})
        return value

    @property
    def grades(self) -> tuple[str, ...]:
        """The grades this rule can give, most severe first."""
        levels: list[Level] = list(getattr(self, "levels", ()))
        return tuple(level.grade for level in levels)


def check_template(template: str, fields: dict[str, Any]) -> None:
    """Raise ValueError naming every unknown field or bad format in a message template."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(
            f"message template cannot be read ({exc}); write {{field}} for a value and "
            "{{ or }} for a literal brace"
        ) from None
    unknown = sorted({n for n in names if n.split(".")[0].split("[")[0] not in fields})
    if unknown or any(not n for n in names):
        shown = ", ".join("{" + n + "}" for n in unknown) or "{}"
        raise ValueError(
            f"message template uses {shown}, which this kind of rule does not offer; "
            f"available: {', '.join('{' + f + '}' for f in fields)}"
        )
    try:
        template.format(**fields)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"message template cannot be filled in: {exc}") from None


def _check_levels(levels: list[Level], low: float, high: float, what: str) -> list[Level]:
    if not levels:
        raise ValueError("needs at least one level ({grade: 红, below: …})")
    grades = [level.grade for level in levels]
    if len(set(grades)) != len(grades):
        raise ValueError(f"grades {grades} repeat; give each grade once")
    for level in levels:
        if not low < level.below < high:
            raise ValueError(
                f"below {level.below:g} for grade {level.grade} is outside {low:g}…{high:g} "
                f"({what})"
            )
    ordered = sorted(levels, key=lambda lv: WARNING_GRADES.index(lv.grade))
    for severe, milder in itertools.pairwise(ordered):
        if not severe.below < milder.below:
            raise ValueError(
                f"grade {severe.grade} (below {severe.below:g}) must have a lower threshold "
                f"than the milder grade {milder.grade} (below {milder.below:g})"
            )
    return ordered


def _scopes(value: Any) -> Any:
    """A scope may be written alone (scope: chain) or as a list (scope: [city, county])."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and not value:
        raise ValueError(f"needs at least one scope of {', '.join(SERIES_SCOPES)}")
    return value


SeriesScope = Literal["province", "city", "county", "chain", "segment"]
IndexColumn = Literal["composite_index", "sales_index", "electricity_index"]


class ElectricityDropRule(_Rule):
    """停产/减产: a firm's daily electricity below a share of its own baseline, months running."""

    kind: Literal["electricity_drop"]
    scope: Literal["firm"] = "firm"
    months: int = Field(2, ge=1, le=12)
    baseline_months: int = Field(12, ge=3, le=36)
    baseline_min_months: int = Field(6, ge=1, le=36)
    levels: list[Level]

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[Level]) -> list[Level]:
        return _check_levels(value, 0.0, 1.0, "a share of the baseline, e.g. 0.3 for 30 %")

    @model_validator(mode="after")
    def _baseline(self) -> ElectricityDropRule:
        if self.baseline_min_months > self.baseline_months:
            raise ValueError(
                f"baseline_min_months {self.baseline_min_months} is more than "
                f"baseline_months {self.baseline_months}"
            )
        return self


class SalesDropRule(_Rule):
    """销售断崖: a firm's invoiced sales down year on year by more than a share, months running."""

    kind: Literal["sales_yoy"]
    scope: Literal["firm"] = "firm"
    months: int = Field(2, ge=1, le=12)
    levels: list[Level]

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[Level]) -> list[Level]:
        return _check_levels(value, -1.0, 0.0, "a year-on-year change, e.g. -0.5 for −50 %")


class ImportStopRule(_Rule):
    """进口中断: imports of a chain's key product from one country stop after steady months."""

    kind: Literal["import_stop"]
    scope: Literal["firm"] = "firm"
    steady_months: int = Field(3, ge=1, le=24)
    months: int = Field(1, ge=1, le=12)
    share_months: int = Field(12, ge=1, le=36)
    grade: WarningGrade = "橙"
    dominant_grade: WarningGrade = "红"
    dominant_share: float = Field(0.6, gt=0.0, le=1.0)

    @property
    def grades(self) -> tuple[str, ...]:
        both = {self.grade, self.dominant_grade}
        return tuple(g for g in WARNING_GRADES if g in both)


class IndexBelowRule(_Rule):
    """Chain or region index below thresholds (荣枯线 100, 90) for months running."""

    kind: Literal["index_below"]
    scope: list[SeriesScope]
    index: IndexColumn = "composite_index"
    months: int = Field(3, ge=1, le=24)
    levels: list[Level]

    @field_validator("scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> Any:
        return _scopes(value)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[Level]) -> list[Level]:
        return _check_levels(value, 0.0, 1000.0, "an index value, 100 = 荣枯线")


class ChangePointRule(_Rule):
    """Change points (shifts in the mean) of an index series: an advisory signal (提示)."""

    kind: Literal["change_point"]
    scope: list[SeriesScope]
    index: IndexColumn = "composite_index"
    grade: Literal["提示"] = "提示"
    penalty: float = Field(2.0, gt=0.0, le=100.0)
    min_segment: int = Field(3, ge=2, le=24)
    min_shift: float = Field(10.0, ge=0.0)
    tolerance: int = Field(2, ge=0, le=12)

    @field_validator("scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> Any:
        return _scopes(value)

    @property
    def grades(self) -> tuple[str, ...]:
        return (ADVISORY,)


Rule = Annotated[
    ElectricityDropRule | SalesDropRule | ImportStopRule | IndexBelowRule | ChangePointRule,
    Field(discriminator="kind"),
]
KINDS = ("electricity_drop", "sales_yoy", "import_stop", "index_below", "change_point")


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule]

    @model_validator(mode="after")
    def _unique(self) -> RuleFile:
        ids = [r.id for r in self.rules]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"rule id(s) {', '.join(twice)} appear more than once")
        return self


class RuleSet:
    """The rules in effect and the file they came from."""

    def __init__(self, rules: list[Any], source: Path) -> None:
        self.all = list(rules)
        self.source = source

    @property
    def enabled(self) -> list[Any]:
        return [r for r in self.all if r.enabled]

    def get(self, rule_id: str) -> Any:
        for rule in self.all:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in self.all]


_ADAPTER = TypeAdapter(RuleFile)


def _where(location: tuple[Any, ...], data: Any) -> str:
    """'rules[2] (sales_collapse) levels[0].below' for a Pydantic error location."""
    parts: list[str] = []
    items = location
    if len(items) >= 2 and items[0] == "rules" and isinstance(items[1], int):
        number = items[1]
        rule_id = None
        if isinstance(data, dict) and isinstance(data.get("rules"), list):
            rules = data["rules"]
            if number < len(rules) and isinstance(rules[number], dict):
                rule_id = rules[number].get("id")
        parts.append(f"rules[{number}]" + (f" ({rule_id})" if rule_id else ""))
        items = items[2:]
        if items and items[0] in KINDS:  # the discriminated union names the kind
            items = items[1:]
    field = ""
    for item in items:
        field += f"[{item}]" if isinstance(item, int) else (f".{item}" if field else str(item))
    if field:
        parts.append(field)
    return " ".join(parts) or "file"


def _explain(exc: PydanticError, data: Any, source: str) -> ConfigError:
    problems = []
    for error in exc.errors():
        where = _where(tuple(error.get("loc", ())), data)
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        kind = error.get("type", "")
        if kind == "union_tag_invalid" or kind == "union_tag_not_found":
            message = f"kind must be one of {', '.join(KINDS)}"
        elif kind == "extra_forbidden":
            message = "is not a field of this kind of rule (see docs/alerts.md)"
        got = error.get("input")
        shown = (
            f" (got {got!r})"
            if kind not in ("missing", "extra_forbidden", "value_error") and _short(got)
            else ""
        )
        problems.append({"where": where, "problem": message + shown, "type": kind})
    lines = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
    return ConfigError(
        f"{source}: {len(problems)} problem(s) in the alert rules: {lines}", errors=problems
    )


def _short(value: Any) -> bool:
    return isinstance(value, str | int | float) and len(str(value)) <= 60


def parse_rules(data: Any, source: str) -> list[Any]:
    """Validated rules from already-parsed YAML; ConfigError lists every problem."""
    if not isinstance(data, dict) or "rules" not in data:
        raise ConfigError(
            f"{source}: expected a mapping with a 'rules:' list (see docs/alerts.md or the "
            "shipped defaults, `chainwatch monitor rules --init`)."
        )
    try:
        parsed = _ADAPTER.validate_python(data)
    except PydanticError as exc:
        raise _explain(exc, data, source) from None
    return list(parsed.rules)


def read_rules(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read alert rules {path}: {exc.strerror or exc}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{path.name}{where}: not valid YAML ({problem}); check the indentation and "
            "quote messages that contain ':' or '#'."
        ) from None
    return RuleSet(parse_rules(data, path.name), path)


def override_path() -> Path:
    return get_settings().home_path / OVERRIDE_NAME


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rules in effect: ``path`` when given, else CHAINWATCH_HOME/alert_rules.yaml when it
    exists, else the shipped defaults."""
    if path is not None:
        chosen = Path(path).expanduser()
        if not chosen.is_file():
            raise ConfigError(
                f"alert rules file {chosen} does not exist; give a YAML file such as the "
                "defaults written by `chainwatch monitor rules --init`."
            )
        return read_rules(chosen)
    own = override_path()
    return read_rules(own if own.is_file() else DEFAULTS_FILE)


def write_defaults(replace: bool = False) -> Path:
    """Copy the shipped rules to CHAINWATCH_HOME/alert_rules.yaml for an analyst to edit."""
    target = override_path()
    if target.exists() and not replace:
        raise ConfigError(
            f"{target} already exists; edit it, or pass --replace to overwrite it with the "
            "shipped defaults."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEFAULTS_FILE, target)
    return target
