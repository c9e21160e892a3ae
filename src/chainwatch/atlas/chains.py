"""Chain definitions (产业链) as data: models, loader and validation.

A chain is a YAML file (format in docs/chains.md): segments (环节) with a stage (上游/中游/下游),
the GB/T 4754-2017 codes, product keywords and HS codes that place firms in them, key products
with 卡脖子 flags, and the supply flows between segments (``from`` supplies ``to``). Zhejiang's
ten flagship chains ship in ``chainwatch/reference/chains``; a department's own chains live in
``CHAINWATCH_HOME/chains`` and are loaded after them. A user chain replaces a shipped chain only
when it was added with ``--replace`` (it is then stored as ``<id>.replace.yaml``).

Validation collects every problem of a file before raising one ValidationError whose ``errors``
say where (file, line, chain, segment, field), what is wrong and how to fix it. Flows may form
cycles: firms of two segments do supply each other (chip designers buy foundry wafers and sell
chips to equipment makers whose machines the foundry buys), so only self-flows and repeated
flows are refused.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from chainwatch.atlas.chain_checks import (
    Problem,
    cross_check,
    format_problems,
    from_pydantic,
    parse_yaml,
    read_text,
    show,
)
from chainwatch.config import get_settings
from chainwatch.errors import ConfigError, ConflictError, InputFileError, NotFoundError
from chainwatch.errors import ValidationError as ChainwatchValidationError
from chainwatch.reference.industries import (
    is_known_industry,
    load_industries,
    normalise_industry_code,
)

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "reference" / "chains"
# The ten flagship chains in the order of the provincial plan; this is also their display order.
FLAGSHIP_CHAIN_IDS = (
    "security",
    "ic",
    "network",
    "computing",
    "biomed",
    "petrochem",
    "nev",
    "equipment",
    "smarthome",
    "textile",
)
STAGES = ("上游", "中游", "下游")
REPLACE_SUFFIX = ".replace.yaml"

_ID_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_STAGE_HINTS = {
    "upstream": "上游",
    "midstream": "中游",
    "downstream": "下游",
    "上": "上游",
    "中": "中游",
    "下": "下游",
}


def _check_id(value: str) -> str:
    if not _ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"id {value!r} is not usable: ids are 1 to 40 lowercase letters, digits, '-' or '_' "
            "and start with a letter (e.g. 'ic', 'wafer_fab'); Chinese goes into 'name'"
        )
    return value


def _check_stage(value: str) -> str:
    if value in STAGES:
        return value
    hint = _STAGE_HINTS.get(value.lower())
    suggestion = f" (did you mean {hint}?)" if hint else ""
    raise ValueError(f"stage {value!r} is not one of 上游, 中游, 下游{suggestion}")


def _check_industry_code(value: str) -> str:
    code = normalise_industry_code(value)
    if code is None or code.isalpha():
        raise ValueError(
            f"{value!r} is not a GB/T 4754-2017 code: write a 2-digit division, 3-digit group "
            "or 4-digit class, optionally with its section letter (39, 397, 3973 or C3973)"
        )
    if not is_known_industry(code):
        raise ValueError(f"{value!r} is not in GB/T 4754-2017{_industry_hint(code)}")
    return code


def _industry_hint(code: str) -> str:
    industries = load_industries()
    for length in range(len(code) - 1, 1, -1):
        parent = industries.get(code[:length])
        if parent is None:
            continue
        children = sorted(c for c, i in industries.items() if i.parent == parent.code)
        shown = ", ".join(f"{c} {industries[c].name_zh}" for c in children[:8])
        more = " …" if len(children) > 8 else ""
        return f"; {parent.code} {parent.name_zh} has: {shown}{more}" if shown else ""
    return "; check the code against the standard (e.g. 3973 集成电路制造)"


def _check_hs_code(value: str) -> str:
    code = value.replace(".", "").replace(" ", "")
    if not code.isdigit():
        raise ValueError(f"HS code {value!r} must be digits only (e.g. '848620' or '8486.20')")
    if len(code) not in (4, 6, 8, 10):
        raise ValueError(
            f"HS code {value!r} has {len(code)} digits; write a 4-digit heading, 6-digit "
            "subheading or 8/10-digit Chinese tariff code (e.g. '8486', '848620', '84862090')"
        )
    if not 1 <= int(code[:2]) <= 97 or code[:2] == "77":
        raise ValueError(
            f"HS code {value!r} starts with chapter {code[:2]}, which does not exist "
            "(chapters run from 01 to 97, 77 is unused)"
        )
    return code


def _check_text(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


Identifier = Annotated[str, AfterValidator(_check_id)]
Stage = Annotated[str, AfterValidator(_check_stage)]
IndustryCode = Annotated[str, AfterValidator(_check_industry_code)]
HsCode = Annotated[str, AfterValidator(_check_hs_code)]
Text = Annotated[str, AfterValidator(_check_text)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class KeyProduct(_Record):
    """A product that matters for the segment's supply security, with its HS codes."""

    name: Text
    hs_codes: tuple[HsCode, ...] = ()
    bottleneck: bool = False
    note: str = ""


class Segment(_Record):
    """One link (环节) of a chain and the rules that place firms in it."""

    id: Identifier
    name: Text
    name_en: str = ""
    stage: Stage
    description: str = ""
    industry_codes: tuple[IndustryCode, ...] = ()
    keywords: tuple[Text, ...] = ()
    exclude_keywords: tuple[Text, ...] = ()
    hs_codes: tuple[HsCode, ...] = ()
    key_products: tuple[KeyProduct, ...] = ()
    bottleneck: bool = False


class Flow(_Record):
    """Firms of segment ``source`` supply firms of segment ``target``."""

    source: Identifier = Field(alias="from")
    target: Identifier = Field(alias="to")
    note: str = ""


class Chain(_Record):
    """A chain definition; ``origin`` says whether it shipped with chainwatch or a user added it."""

    id: Identifier
    name: Text
    name_en: str = ""
    description: str = ""
    sources: tuple[Text, ...] = ()
    segments: tuple[Segment, ...]
    flows: tuple[Flow, ...] = ()

    _origin: Literal["shipped", "user"] = PrivateAttr(default="shipped")
    _path: Path | None = PrivateAttr(default=None)

    @property
    def origin(self) -> Literal["shipped", "user"]:
        return self._origin

    @property
    def path(self) -> Path | None:
        return self._path

    def segment(self, segment_id: str) -> Segment:
        for segment in self.segments:
            if segment.id == segment_id:
                return segment
        known = ", ".join(s.id for s in self.segments)
        raise NotFoundError(
            f"chain {self.id} has no segment {segment_id!r}; its segments are {known}"
        )

    def segments_in(self, stage: str) -> list[Segment]:
        return [s for s in self.segments if s.stage == stage]

    def suppliers_of(self, segment_id: str) -> list[str]:
        return [f.source for f in self.flows if f.target == segment_id]

    def customers_of(self, segment_id: str) -> list[str]:
        return [f.target for f in self.flows if f.source == segment_id]

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True)
        data["origin"] = self.origin
        return data

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "origin": self.origin,
            "segments": [
                {"id": s.id, "name": s.name, "stage": s.stage, "bottleneck": s.bottleneck}
                for s in self.segments
            ],
        }


_MODELS: dict[str, type[_Record]] = {
    "": Chain,
    "segments": Segment,
    "key_products": KeyProduct,
    "flows": Flow,
}


# --- public API --------------------------------------------------------------------------------


def _allowed_fields() -> dict[str, list[str]]:
    return {
        parent: sorted(info.alias or name for name, info in model.model_fields.items())
        for parent, model in _MODELS.items()
    }


def validate_chain_file(path: Path | str) -> Chain:
    """Read and validate one chain file; raise ValidationError listing every problem."""
    path = Path(path)
    label = str(path)
    data, lines, problems = parse_yaml(read_text(path), label)
    chain: Chain | None = None
    if data is None:
        problems.append(Problem((), "the file is empty; see docs/chains.md for the format"))
    elif not isinstance(data, dict):
        problems.append(
            Problem((), f"expected chain fields (id:, name:, segments: …), got {show(data)}")
        )
    else:
        try:
            chain = Chain.model_validate(data)
        except PydanticValidationError as exc:
            allowed = _allowed_fields()
            problems.extend(from_pydantic(error, allowed) for error in exc.errors())
        problems.extend(cross_check(data))
    if problems or chain is None:
        errors = format_problems(problems, label, data, lines)
        raise ChainwatchValidationError(
            f"{label}: {len(errors)} problem(s) in the chain file; fix them and run "
            f"`chainwatch chains check {label}` again",
            errors=errors,
        )
    chain._path = path
    return chain


def user_chain_dir() -> Path:
    """Where `chainwatch chains add` stores chains: CHAINWATCH_HOME/chains."""
    return get_settings().home_path / "chains"


@lru_cache(maxsize=1)
def shipped_chains() -> dict[str, Chain]:
    """The chains shipped with chainwatch, the ten flagship chains first."""
    files = sorted(SHIPPED_DIR.glob("*.yaml"))
    order = {chain_id: rank for rank, chain_id in enumerate(FLAGSHIP_CHAIN_IDS)}
    files.sort(key=lambda f: (order.get(f.stem, len(order)), f.stem))
    chains: dict[str, Chain] = {}
    for file in files:
        try:
            chain = validate_chain_file(file)
        except ChainwatchValidationError as exc:
            raise ConfigError(
                f"shipped chain file {file.name} is broken; reinstall chainwatch",
                errors=exc.errors,
            ) from exc
        if chain.id != file.stem:
            raise ConfigError(f"shipped chain file {file.name} holds chain id {chain.id!r}")
        chains[chain.id] = chain
    return chains


def _user_files() -> list[Path]:
    folder = user_chain_dir()
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def user_chains() -> dict[str, Chain]:
    """Chains added by users (CHAINWATCH_HOME/chains), checked against the shipped ones."""
    shipped = shipped_chains()
    chains: dict[str, Chain] = {}
    errors: list[str] = []
    for file in _user_files():
        try:
            chain = validate_chain_file(file)
        except (ChainwatchValidationError, InputFileError) as exc:
            errors.extend(exc.errors or [exc.message])
            continue
        chain._origin = "user"
        replaces = file.name.endswith(REPLACE_SUFFIX)
        if chain.id in chains:
            other = chains[chain.id].path
            errors.append(f"{file}: chain id '{chain.id}' is also defined in {other}; keep one")
        elif chain.id in shipped and not replaces:
            errors.append(
                f"{file}: chain id '{chain.id}' is a shipped chain ({shipped[chain.id].name}); "
                "give your chain another id, or replace the shipped one on purpose with "
                "`chainwatch chains add FILE --replace`"
            )
        elif replaces and file.name != chain.id + REPLACE_SUFFIX:
            errors.append(
                f"{file}: a file named *{REPLACE_SUFFIX} must be named after its chain id "
                f"('{chain.id}{REPLACE_SUFFIX}')"
            )
        else:
            chains[chain.id] = chain
    if errors:
        raise ChainwatchValidationError(
            f"{len(errors)} problem(s) in the chains under {user_chain_dir()}; fix or remove "
            "those files",
            errors=errors,
        )
    return chains


def load_chains() -> dict[str, Chain]:
    """Every chain by id: shipped ones (in plan order, replaced where a user chose to), then
    user-added ones by id."""
    chains = dict(shipped_chains())
    for chain_id, chain in sorted(user_chains().items()):
        chains[chain_id] = chain
    return chains


def get_chain(chain_id: str) -> Chain:
    """The chain with this id (or exact Chinese name); NotFoundError lists the available ids."""
    chains = load_chains()
    if chain_id in chains:
        return chains[chain_id]
    for chain in chains.values():
        if chain.name == chain_id:
            return chain
    available = ", ".join(f"{c.id} ({c.name})" for c in chains.values())
    raise NotFoundError(f"no chain {chain_id!r}; available chains: {available}")


def user_chain_files() -> dict[str, list[Path]]:
    """Chain ids of the stored user files, read leniently so a broken file can be replaced."""
    ids: dict[str, list[Path]] = {}
    for file in _user_files():
        chain_id = file.name.removesuffix(REPLACE_SUFFIX).removesuffix(".yaml").removesuffix(".yml")
        try:
            data, _, _ = parse_yaml(read_text(file), str(file))
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                chain_id = data["id"]
        except (ChainwatchValidationError, InputFileError):
            pass
        ids.setdefault(chain_id, []).append(file)
    return ids


def add_chain(path: Path | str, replace: bool = False) -> Chain:
    """Validate a chain file and copy it into CHAINWATCH_HOME/chains.

    An id that is already a shipped or a stored user chain raises ConflictError unless
    ``replace`` is true; replacing a shipped chain stores the file as ``<id>.replace.yaml``.
    """
    path = Path(path)
    chain = validate_chain_file(path)
    content = path.read_bytes()
    shipped = shipped_chains()
    stored = user_chain_files().get(chain.id, [])
    if (chain.id in shipped or stored) and not replace:
        what = (
            f"a shipped chain ({shipped[chain.id].name})"
            if chain.id in shipped
            else f"already added ({stored[0]})"
        )
        raise ConflictError(
            f"chain id '{chain.id}' is {what}; run `chainwatch chains add {path} --replace` "
            "to replace it, or give your chain another id"
        )
    folder = user_chain_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in stored:
        old.unlink()
    target = folder / (chain.id + (REPLACE_SUFFIX if chain.id in shipped else ".yaml"))
    target.write_bytes(content)
    chain._origin = "user"
    chain._path = target
    return chain
