"""Administrative regions (GB/T 2260): provinces, prefecture-level cities and counties.

The shipped table ``data/regions.csv`` lists every province-level and prefecture-level unit of
China and every county-level unit of Zhejiang (33), Anhui (34), Chongqing (50) and Sichuan (51);
counties of other provinces are unknown unless a later release adds them. The four
municipalities (11, 12, 31, 50) have no city level here: their districts and counties hang
directly under the province code.

Every region carries an approximate centroid (WGS84). An administrator can replace centroids
without editing the package by placing ``reference/region_centroids.csv`` (columns
``code,longitude,latitude``) under CHAINWATCH_HOME; see docs/reference/regions-and-countries.md.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from numbers import Integral
from pathlib import Path
from typing import Literal

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError, NotFoundError, ValidationError
from chainwatch.reference.tables import read_table

RegionLevel = Literal["province", "city", "county"]

DATA_FILE = Path(__file__).parent / "data" / "regions.csv"
CENTROID_OVERRIDE_NAME = "region_centroids.csv"
MUNICIPALITY_CODES = frozenset({"110000", "120000", "310000", "500000"})
# Provinces whose county-level units are all listed; elsewhere only provinces and cities are.
PROVINCES_WITH_COUNTIES = frozenset({"330000", "340000", "500000", "510000"})

_HEADER = ["code", "name", "level", "parent_code", "longitude", "latitude"]
_LEVELS: tuple[RegionLevel, ...] = ("province", "city", "county")
# A county code (6 digits) or a 12-digit statistical division code, whose first 6 digits are
# the county; a leading zero never occurs because province codes run from 11 to 82.
_CODE_PATTERN = re.compile(r"[1-9][0-9]{5}(?:[0-9]{6})?")


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative region with its approximate centroid (WGS84 degrees)."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    longitude: float
    latitude: float

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


def normalise_region_code(value: object) -> str | None:
    """Return the 6-digit code in ``value`` or None when its format is wrong.

    Accepts ints, strings with surrounding blanks, full-width digits and 12-digit statistical
    codes (the first six digits are the county). Whether the code exists is a separate question:
    see :func:`is_known_region`.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        text = str(int(value))
    elif isinstance(value, float):
        # Spreadsheets and pandas hand over codes as 330102.0.
        if not value.is_integer():
            return None
        text = str(int(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
    else:
        return None
    if not _CODE_PATTERN.fullmatch(text):
        return None
    return text[:6]


def read_regions(path: Path) -> dict[str, Region]:
    """Read and check a regions table in the shipped format; raise ConfigError on any problem."""
    return read_table(path, _HEADER, _parse_row, "region", _check_parents)


def _check_parents(regions: dict[str, Region], problems: list[str]) -> None:
    for region in regions.values():
        if region.parent_code is not None and region.parent_code not in regions:
            problems.append(f"code {region.code}: parent {region.parent_code} is not in the table")


def _parse_row(row: list[str], line_number: int, problems: list[str]) -> tuple[str, Region] | None:
    code_text, name, level, parent_text, lon_text, lat_text = row
    code = normalise_region_code(code_text)
    if code is None or code != code_text:
        problems.append(f"row {line_number}: code {code_text!r} is not a 6-digit GB/T 2260 code")
        return None
    if level not in _LEVELS:
        problems.append(f"row {line_number}: level {level!r} is not one of {', '.join(_LEVELS)}")
        return None
    parent_code = parent_text or None
    if (parent_code is None) != (level == "province"):
        problems.append(f"row {line_number}: only provinces may (and must) lack a parent_code")
        return None
    try:
        longitude, latitude = float(lon_text), float(lat_text)
    except ValueError:
        problems.append(f"row {line_number}: centroid ({lon_text!r}, {lat_text!r}) is not numeric")
        return None
    if not (73.0 <= longitude <= 136.0 and 3.0 <= latitude <= 54.0):
        problems.append(f"row {line_number}: centroid ({longitude}, {latitude}) is outside China")
        return None
    return code, Region(code, name, level, parent_code, longitude, latitude)  # type: ignore[arg-type]


def _apply_centroid_overrides(regions: dict[str, Region], path: Path) -> dict[str, Region]:
    problems: list[str] = []
    updated = dict(regions)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "longitude", "latitude"} - set(reader.fieldnames or [])
        if missing:
            raise ConfigError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                "expected the header code,longitude,latitude"
            )
        for line_number, row in enumerate(reader, start=2):
            code = normalise_region_code(row["code"] or "")
            if code is None or code not in regions:
                problems.append(f"row {line_number}: {row['code']!r} is not a known region code")
                continue
            try:
                longitude = float(row["longitude"] or "")
                latitude = float(row["latitude"] or "")
            except ValueError:
                problems.append(f"row {line_number}: longitude/latitude must be numbers")
                continue
            if not (-180.0 <= longitude <= 180.0 and -90.0 <= latitude <= 90.0):
                problems.append(
                    f"row {line_number}: ({longitude}, {latitude}) is not a WGS84 point"
                )
                continue
            updated[code] = replace(regions[code], longitude=longitude, latitude=latitude)
    if problems:
        raise ValidationError(
            f"{path.name}: {len(problems)} centroid row(s) rejected: {'; '.join(problems[:10])}",
            errors=problems,
        )
    return updated


@lru_cache(maxsize=1)
def load_regions() -> dict[str, Region]:
    """All shipped regions by code, with centroid overrides from CHAINWATCH_HOME applied."""
    regions = read_regions(DATA_FILE)
    override = get_settings().home_path / "reference" / CENTROID_OVERRIDE_NAME
    if override.is_file():
        regions = _apply_centroid_overrides(regions, override)
    return regions


@lru_cache(maxsize=1)
def _children_index() -> dict[str, list[Region]]:
    index: dict[str, list[Region]] = {}
    for region in sorted(load_regions().values(), key=lambda r: r.code):
        if region.parent_code is not None:
            index.setdefault(region.parent_code, []).append(region)
    return index


def clear_region_cache() -> None:
    """Forget loaded regions (after replacing centroids, or between tests)."""
    load_regions.cache_clear()
    _children_index.cache_clear()


def is_known_region(code: object) -> bool:
    normalised = normalise_region_code(code)
    return normalised is not None and normalised in load_regions()


def get_region(code: object) -> Region:
    """The region for ``code`` (any form :func:`normalise_region_code` accepts)."""
    normalised = normalise_region_code(code)
    if normalised is None:
        raise NotFoundError(
            f"region code {code!r} is not a GB/T 2260 code; expected 6 digits such as 330106 "
            "(a 12-digit statistical code is cut to its first 6 digits)"
        )
    region = load_regions().get(normalised)
    if region is None:
        hint = ""
        if normalised[:2] + "0000" not in PROVINCES_WITH_COUNTIES and not normalised.endswith("00"):
            hint = (
                "; county-level units are listed only for Zhejiang (33), Anhui (34), "
                "Chongqing (50) and Sichuan (51)"
            )
        raise NotFoundError(
            f"region code {normalised} is not in the GB/T 2260 table shipped with chainwatch"
            f"{hint}. Check the code, or use the province or city code instead."
        )
    return region


def region_name(code: object) -> str:
    return get_region(code).name


def province_of(code: object) -> Region:
    return get_region(get_region(code).province_code)


def city_of(code: object) -> Region | None:
    """The prefecture-level city of a city or county; None for provinces.

    Districts and counties of the four municipalities have no city level: they also give None.
    """
    region = get_region(code)
    if region.level == "city":
        return region
    if region.level == "county" and region.parent_code is not None:
        parent = get_region(region.parent_code)
        return parent if parent.level == "city" else None
    return None


def children(code: object) -> list[Region]:
    """Regions directly below ``code``, ordered by code."""
    return list(_children_index().get(get_region(code).code, []))


def cities_of(province_code: object) -> list[Region]:
    """Prefecture-level cities of a province; empty for the four municipalities."""
    province = _require_level(province_code, ("province",))
    return [r for r in children(province.code) if r.level == "city"]


def counties_of(province_or_city_code: object) -> list[Region]:
    """County-level units in a province or city, ordered by code."""
    region = _require_level(province_or_city_code, ("province", "city"))
    if region.level == "city":
        return children(region.code)
    found: list[Region] = []
    for child in children(region.code):
        if child.level == "county":
            found.append(child)
        else:
            found.extend(children(child.code))
    return found


def _require_level(code: object, levels: tuple[RegionLevel, ...]) -> Region:
    region = get_region(code)
    if region.level not in levels:
        raise ValidationError(
            f"region {region.code} ({region.name}) is a {region.level}; "
            f"expected a {' or '.join(levels)} code"
        )
    return region
