"""Industry classification GB/T 4754-2017 (国民经济行业分类) with amendment No. 1 (2019).

The shipped table ``data/industries.csv`` lists all 20 sections (门类, A–T), all 97 divisions
(大类, two digits) and, for manufacturing (divisions 13–43), every group (中类, three digits)
and class (小类, four digits). Groups and classes of the other sections are not enumerated:
a three- or four-digit code outside manufacturing is accepted when its division exists, and
its name falls back to the division's name.

Codes are handled without the section letter: ``'C3973'``, ``'c3973'``, ``' 3973 '`` and
``3973`` all normalise to ``'3973'``; a bare section letter normalises to itself (``'C'``).
A code must have 2 to 4 digits. Spreadsheets drop leading zeros, so ``111`` (an integer) is
read as the three-digit code ``'111'`` and never as ``'0111'``; a single digit such as ``1`` is
rejected rather than guessed to be division ``'01'``. Codes of divisions 01–09 must therefore
arrive as text. See docs/reference/industries-and-essentiality.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral
from pathlib import Path
from typing import Literal

from chainwatch.errors import NotFoundError, ValidationError
from chainwatch.reference.tables import read_table

IndustryLevel = Literal["section", "division", "group", "class"]

DATA_FILE = Path(__file__).parent / "data" / "industries.csv"
MANUFACTURING_DIVISIONS = frozenset(f"{number:02d}" for number in range(13, 44))

_HEADER = ["code", "level", "section", "parent", "name_zh", "name_en"]
_LEVEL_BY_LENGTH: dict[int, IndustryLevel] = {2: "division", 3: "group", 4: "class"}
_CODE_PATTERN = re.compile(r"([A-Z]?)([0-9]{2,4})")
_SECTION_PATTERN = re.compile(r"[A-Z]")


@dataclass(frozen=True, slots=True)
class Industry:
    """One entry of GB/T 4754-2017: a section, division, group or class."""

    code: str
    level: IndustryLevel
    section: str
    parent: str | None
    name_zh: str
    name_en: str

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh


def read_industries(path: Path) -> dict[str, Industry]:
    """Read and check an industry table in the shipped format; raise ConfigError on problems."""
    return read_table(path, _HEADER, _parse_row, "industry", _check_parents)


def _check_parents(industries: dict[str, Industry], problems: list[str]) -> None:
    for industry in industries.values():
        parent = industries.get(industry.parent) if industry.parent else None
        if industry.parent is not None and parent is None:
            problems.append(f"code {industry.code}: parent {industry.parent} is not in the table")
        elif parent is not None and parent.section != industry.section:
            problems.append(f"code {industry.code}: section differs from parent {parent.code}")


def _parse_row(
    row: list[str], line_number: int, problems: list[str]
) -> tuple[str, Industry] | None:
    code, level, section, parent_text, name_zh, name_en = row
    expected_level = "section" if _SECTION_PATTERN.fullmatch(code) else None
    if code.isdigit():
        expected_level = _LEVEL_BY_LENGTH.get(len(code))
    if expected_level is None or level != expected_level:
        problems.append(f"row {line_number}: code {code!r} does not fit level {level!r}")
        return None
    parent = parent_text or None
    if level == "section":
        expected_parent = None
    elif level == "division":
        expected_parent = section
    else:
        expected_parent = code[:-1]
    if parent != expected_parent:
        problems.append(f"row {line_number}: parent {parent_text!r}, expected {expected_parent}")
        return None
    if not name_zh:
        problems.append(f"row {line_number}: name_zh is empty")
        return None
    return code, Industry(code, level, section, parent, name_zh, name_en)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def load_industries() -> dict[str, Industry]:
    """All shipped GB/T 4754-2017 entries by code (sections by letter, others by digits)."""
    return read_industries(DATA_FILE)


def normalise_industry_code(value: object) -> str | None:
    """Return the canonical code in ``value`` (no section letter) or None when malformed.

    ``'C3973'``, ``'c3973'``, ``' 3973 '`` and ``3973`` give ``'3973'``; ``'C39'`` gives
    ``'39'``; a bare section letter ``'C'`` gives ``'C'``. A section letter that is not the
    code's real section (``'A3973'``) or that prefixes a code of an unknown division gives None.
    Whether a well-formed code exists is answered by :func:`is_known_industry`.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        text = str(int(value))
    elif isinstance(value, float):
        # Spreadsheets and pandas hand over codes as 3973.0.
        if not value.is_integer():
            return None
        text = str(int(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().upper()
    else:
        return None
    if _SECTION_PATTERN.fullmatch(text):
        return text if text in _sections() else None
    match = _CODE_PATTERN.fullmatch(text)
    if match is None:
        return None
    letter, digits = match.groups()
    if letter:
        division = load_industries().get(digits[:2])
        if division is None or division.section != letter:
            return None
    return digits


def is_known_industry(code: object) -> bool:
    """Whether ``code`` names an entry of GB/T 4754-2017 as far as the shipped table knows.

    Sections and divisions must exist. In manufacturing (13–43) groups and classes must exist
    too; elsewhere a group or class is accepted when its division exists, because those levels
    are not enumerated outside manufacturing.
    """
    normalised = normalise_industry_code(code)
    if normalised is None:
        return False
    industries = load_industries()
    if normalised in industries:
        return True
    if len(normalised) == 2 or normalised[:2] in MANUFACTURING_DIVISIONS:
        return False
    return normalised[:2] in industries


def get_industry(code: object) -> Industry:
    """The table entry for ``code``, or for its nearest listed ancestor outside manufacturing."""
    normalised = _require_code(code)
    industries = load_industries()
    if normalised in industries:
        return industries[normalised]
    if not is_known_industry(normalised):
        raise NotFoundError(
            f"industry code {normalised} is not in GB/T 4754-2017 as shipped with chainwatch. "
            "Check the code against the standard (e.g. 3973 集成电路制造)."
        )
    for length in range(len(normalised) - 1, 1, -1):
        ancestor = industries.get(normalised[:length])
        if ancestor is not None:
            return ancestor
    raise NotFoundError(f"industry code {normalised} has no listed ancestor")  # pragma: no cover


def division_of(code: object) -> str:
    """The two-digit division of a division, group or class code: ``'3973'`` → ``'39'``."""
    normalised = _require_code(code)
    if normalised.isalpha():
        raise ValidationError(
            f"industry code {code!r} is a section; a division, group or class code is needed "
            "to find a division (e.g. 39 or 3973)"
        )
    division = normalised[:2]
    if division not in load_industries():
        raise NotFoundError(
            f"industry code {normalised}: division {division} does not exist in GB/T 4754-2017 "
            "(divisions run from 01 to 97 with gaps)"
        )
    return division


def section_of(code: object) -> str:
    """The section letter of any code: ``'3973'`` → ``'C'``, ``'C'`` → ``'C'``."""
    normalised = _require_code(code)
    if normalised.isalpha():
        return normalised
    return load_industries()[division_of(normalised)].section


def industry_name(code: object, lang: str = "zh") -> str:
    """The name of ``code`` or, where it is not listed, of its nearest listed ancestor."""
    if lang not in ("zh", "en"):
        raise ValidationError(f"language {lang!r} is not supported; expected 'zh' or 'en'")
    return get_industry(code).name(lang)


def industries_at_level(level: IndustryLevel) -> list[Industry]:
    """All listed entries of one level, ordered by code."""
    return sorted(
        (industry for industry in load_industries().values() if industry.level == level),
        key=lambda industry: industry.code,
    )


def _require_code(code: object) -> str:
    normalised = normalise_industry_code(code)
    if normalised is None:
        raise ValidationError(
            f"industry code {code!r} is not a GB/T 4754-2017 code; expected a section letter "
            "(C), or 2 to 4 digits with an optional matching section letter (39, 397, C3973)"
        )
    return normalised


@lru_cache(maxsize=1)
def _sections() -> frozenset[str]:
    return frozenset(code for code, item in load_industries().items() if item.level == "section")
