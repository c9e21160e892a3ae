"""Queries over the enterprise registry: search, one firm's profile and the province overview.

Every aggregate is computed by the database with GROUP BY; Python only rolls up the few grouped
rows (counties to cities, divisions to sections, tag lists to tags), so the cost does not grow
with the number of firms beyond one indexed scan per figure. Region and industry filters are
turned into code ranges (GB/T 2260 and GB/T 4754 codes are hierarchical by prefix), which an
index on the code column can answer on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from chainwatch.errors import ChainwatchError, NotFoundError, ValidationError
from chainwatch.reference import industries, regions
from chainwatch.store.db import session_scope
from chainwatch.store.models import Enterprise

SCALES = ("规上", "规下")
MAX_PER_PAGE = 200
_USCC_PREFIX = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2,18}")


# --- names from the reference tables (in memory: no query per row) ---------------------------


def region_label(code: str) -> str | None:
    try:
        return regions.region_name(code)
    except ChainwatchError:
        return None


def industry_label(code: str, lang: str = "zh-CN") -> str | None:
    """Name of a section letter or a division/group/class code; None where unknown."""
    try:
        return industries.industry_name(code, "en" if lang == "en" else "zh")
    except ChainwatchError:
        return None


def section_of_division(division: str) -> str | None:
    try:
        return industries.section_of(division)
    except ChainwatchError:
        return None


@lru_cache(maxsize=1)
def _section_divisions() -> dict[str, tuple[str, str]]:
    """First and last division of every section (GB/T 4754 numbers them contiguously)."""
    ranges: dict[str, tuple[str, str]] = {}
    for division in industries.industries_at_level("division"):
        low, high = ranges.get(division.section, (division.code, division.code))
        ranges[division.section] = (min(low, division.code), max(high, division.code))
    return ranges


# --- filters -------------------------------------------------------------------------------


def _next_code(prefix: str) -> str | None:
    """The smallest digit string of the same length after every code starting with prefix."""
    number = int(prefix) + 1
    return None if number >= 10 ** len(prefix) else f"{number:0{len(prefix)}d}"


def _code_range(column: Any, low: str, high: str | None) -> ColumnElement[bool]:
    return and_(column >= low, column < high) if high else column >= low


def region_condition(code: str) -> ColumnElement[bool]:
    """Firms in ``code`` or below it: a province (xx0000), a city (xxxx00) or a county."""
    normalised = regions.normalise_region_code(code)
    if normalised is None:
        raise ValidationError(
            f"region {code!r} is not a GB/T 2260 code; expected 6 digits such as 330000 "
            "(province), 330100 (city) or 330106 (county)"
        )
    if normalised.endswith("0000"):
        prefix = normalised[:2]
    elif normalised.endswith("00"):
        prefix = normalised[:4]
    else:
        return Enterprise.region_code == normalised
    upper = _next_code(prefix)
    return _code_range(
        Enterprise.region_code, prefix.ljust(6, "0"), upper.ljust(6, "0") if upper else None
    )


def industry_condition(code: str) -> ColumnElement[bool]:
    """Firms in a section (C), division (39), group (391) or class (3911, also C3911)."""
    normalised = industries.normalise_industry_code(code)
    if normalised is None:
        raise ValidationError(
            f"industry {code!r} is not a GB/T 4754-2017 code; expected a section letter (C), "
            "a division (39), a group (391) or a class (3911, also written C3911)"
        )
    if normalised.isalpha():
        low, high = _section_divisions()[normalised]
        return _code_range(Enterprise.industry_code, low, _next_code(high))
    return _code_range(Enterprise.industry_code, normalised, _next_code(normalised))


def _tag_texts(session: Session, tag: str) -> list[str]:
    """The stored tag lists that contain ``tag`` (few distinct lists exist, so this is cheap)."""
    texts = session.scalars(select(cast(Enterprise.tags, Text)).distinct())
    return [text for text in texts if text and tag in _parse_tags(text)]


def _parse_tags(text: str | None) -> list[str]:
    value = json.loads(text) if text else None
    return [str(v) for v in value] if isinstance(value, list) else []


def _conditions(
    session: Session,
    *,
    query: str | None,
    region: str | None,
    industry: str | None,
    tag: str | None,
    scale: str | None,
) -> list[ColumnElement[bool]] | None:
    """The search filters as SQL conditions; None when they can match no firm at all."""
    conditions: list[ColumnElement[bool]] = []
    if query and query.strip():
        text = query.strip()
        matches = [Enterprise.name.icontains(text, autoescape=True)]
        if _USCC_PREFIX.fullmatch(text.upper()):
            matches.append(Enterprise.uscc.startswith(text.upper(), autoescape=True))
        conditions.append(or_(*matches))
    if region:
        conditions.append(region_condition(region))
    if industry:
        conditions.append(industry_condition(industry))
    if scale:
        if scale not in SCALES:
            raise ValidationError(f"scale {scale!r} is not known; expected 规上 or 规下")
        conditions.append(Enterprise.scale == scale)
    if tag:
        texts = _tag_texts(session, tag)
        if not texts:
            return None
        conditions.append(cast(Enterprise.tags, Text).in_(texts))
    return conditions


# --- search and profile --------------------------------------------------------------------


def _summary(firm: Enterprise, lang: str) -> dict[str, Any]:
    return {
        "uscc": firm.uscc,
        "name": firm.name,
        "region_code": firm.region_code,
        "region_name": region_label(firm.region_code),
        "industry_code": firm.industry_code,
        "industry_name": industry_label(firm.industry_code, lang),
        "scale": firm.scale,
        "employees": firm.employees,
        "tags": list(firm.tags or []),
    }


def search_enterprises(
    query: str | None = None,
    region: str | None = None,
    industry: str | None = None,
    tag: str | None = None,
    scale: str | None = None,
    page: int = 1,
    per_page: int = 50,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    """Firms matching every given filter, ordered by name, one page at a time.

    ``query`` matches a part of the name or the start of the 统一社会信用代码; ``region`` any
    province, city or county code (firms in it or below it); ``industry`` a section letter,
    division, group or class code.
    """
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(
            f"page {page} / per_page {per_page} out of range; expected page >= 1 and "
            f"1 <= per_page <= {MAX_PER_PAGE}"
        )
    result: dict[str, Any] = {"total": 0, "page": page, "per_page": per_page, "items": []}
    with session_scope() as session:
        conditions = _conditions(
            session, query=query, region=region, industry=industry, tag=tag, scale=scale
        )
        if conditions is None:
            return result
        counted = select(func.count()).select_from(Enterprise).where(*conditions)
        result["total"] = int(session.scalar(counted) or 0)
        if result["total"] == 0:
            return result
        listed = (
            select(Enterprise)
            .where(*conditions)
            .order_by(Enterprise.name, Enterprise.uscc)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        result["items"] = [_summary(firm, lang) for firm in session.scalars(listed)]
    return result


def _named(code: str | None, name: str | None) -> dict[str, str | None] | None:
    return None if code is None else {"code": code, "name": name}


def get_enterprise(uscc: str, lang: str = "zh-CN") -> dict[str, Any]:
    """The full profile of one firm, with region and industry names."""
    code = uscc.strip().upper()
    with session_scope() as session:
        firm = session.get(Enterprise, code)
        if firm is None:
            shape = "" if len(code) == 18 else f" (it has {len(code)} characters, not 18)"
            raise NotFoundError(
                f"no enterprise with 统一社会信用代码 {code!r}{shape} in the registry; check the "
                "code, search by name, or load the registry with `chainwatch ingest`"
            )
        profile = _summary(firm, lang)
    division = firm.industry_code[:2]
    section = section_of_division(division)
    city = _safe(regions.city_of, firm.region_code)
    province = _safe(regions.province_of, firm.region_code)
    region = _safe(regions.get_region, firm.region_code)
    path = {r.code: r.name for r in (province, city, region) if r is not None}
    profile.update(
        {
            "region_path": [{"code": c, "name": n} for c, n in path.items()],
            "city": _named(city.code, city.name) if city else None,
            "province": _named(province.code, province.name) if province else None,
            "division": _named(division, industry_label(division, lang)),
            "section": _named(section, industry_label(section, lang)) if section else None,
            "land_area_mu": _float(firm.land_area_mu),
            "founded_on": firm.founded_on,
            "business_scope": firm.business_scope,
            "longitude": firm.longitude,
            "latitude": firm.latitude,
            "batch_id": firm.batch_id,
            "updated_at": firm.updated_at,
        }
    )
    return profile


def _safe(lookup: Any, code: str) -> Any:
    try:
        return lookup(code)
    except ChainwatchError:
        return None


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


# --- overview ------------------------------------------------------------------------------


def count_enterprises() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(Enterprise)) or 0)


def _counts_by(session: Session, column: Any, where: ColumnElement[bool] | None) -> Counter[Any]:
    statement = select(column, func.count()).select_from(Enterprise).group_by(column)
    if where is not None:
        statement = statement.where(where)
    return Counter({key: int(n) for key, n in session.execute(statement)})


def _tag_counts(session: Session, where: ColumnElement[bool] | None) -> list[dict[str, Any]]:
    tags: Counter[str] = Counter()
    for text, n in _counts_by(session, cast(Enterprise.tags, Text), where).items():
        for tag in set(_parse_tags(text)):
            tags[tag] += n
    ordered = sorted(tags.items(), key=lambda t: (-t[1], t[0]))
    return [{"tag": tag, "count": n} for tag, n in ordered]


def _industry_counts(divisions: Counter[str], lang: str) -> tuple[list[dict[str, Any]], ...]:
    sections: Counter[str] = Counter()
    by_division = []
    for division, n in sorted(divisions.items(), key=lambda d: (-d[1], d[0])):
        section = section_of_division(division) if division.isdigit() else None
        sections[section or "?"] += n
        by_division.append(
            {
                "code": division,
                "name": industry_label(division, lang),
                "section": section,
                "count": n,
            }
        )
    by_section = [
        {"code": code, "name": industry_label(code, lang) if code != "?" else None, "count": n}
        for code, n in sorted(sections.items(), key=lambda s: (-s[1], s[0]))
    ]
    return by_section, by_division


def _tile(region: regions.Region, count: int) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "parent_code": region.parent_code,
        "longitude": region.longitude,
        "latitude": region.latitude,
        "count": count,
    }


def _region_tiles(province: regions.Region, by_code: Counter[str]) -> dict[str, Any]:
    cities = {c.code: 0 for c in regions.cities_of(province.code)}
    counties = {c.code: 0 for c in regions.counties_of(province.code)}
    unplaced = 0
    for code, n in by_code.items():
        region = _safe(regions.get_region, code)
        if region is None or region.level == "province":
            unplaced += n
            continue
        if region.level == "county":
            counties[code] = counties.get(code, 0) + n
        city = regions.city_of(code)
        if city is not None:
            cities[city.code] = cities.get(city.code, 0) + n
    return {
        "by_city": [_tile(regions.get_region(c), n) for c, n in sorted(cities.items())],
        "by_county": [_tile(regions.get_region(c), n) for c, n in sorted(counties.items())],
        "unplaced": unplaced,
    }


def province_overview(province: str | None = None, lang: str = "zh-CN") -> dict[str, Any]:
    """Counts of the firms of one province (by default the one holding most firms).

    Firms by city and county (with names and centroids, for the schematic map), by industry
    section and division, by scale and by tag, and totals of firms, employees and land.
    """
    with session_scope() as session:
        all_regions = _counts_by(session, Enterprise.region_code, None)
        total = sum(all_regions.values())
        if province is None:
            by_province: Counter[str] = Counter()
            for code, n in all_regions.items():
                by_province[code[:2] + "0000"] += n
            province = max(sorted(by_province), key=by_province.__getitem__, default=None)
        if province is None:
            return _empty_overview()
        place = regions.province_of(province)
        where = region_condition(place.code)
        in_province = Counter({c: n for c, n in all_regions.items() if c[:2] == place.code[:2]})
        totals = session.execute(
            select(
                func.count(),
                func.sum(Enterprise.employees),
                func.sum(Enterprise.land_area_mu),
                func.count().filter(Enterprise.scale == SCALES[0]),
            ).where(where)
        ).one()
        divisions = _counts_by(session, func.substr(Enterprise.industry_code, 1, 2), where)
        scales = _counts_by(session, Enterprise.scale, where)
        tags = _tag_counts(session, where)
    by_section, by_division = _industry_counts(divisions, lang)
    return {
        "province": {"code": place.code, "name": place.name},
        "totals": {
            "enterprises": int(totals[0]),
            "employees": int(totals[1] or 0),
            "land_area_mu": float(totals[2] or 0),
            "above_scale": int(totals[3]),
            "outside_province": total - int(totals[0]),
        },
        **_region_tiles(place, in_province),
        "by_section": by_section,
        "by_division": by_division,
        "by_scale": [
            {"scale": s, "count": n}
            for s, n in sorted(scales.items(), key=lambda s: (s[0] is None, s[0] or ""))
        ],
        "by_tag": tags,
    }


def _empty_overview() -> dict[str, Any]:
    return {
        "province": None,
        "totals": {
            "enterprises": 0,
            "employees": 0,
            "land_area_mu": 0.0,
            "above_scale": 0,
            "outside_province": 0,
        },
        "by_city": [],
        "by_county": [],
        "unplaced": 0,
        "by_section": [],
        "by_division": [],
        "by_scale": [],
        "by_tag": [],
    }


def search_facets(lang: str = "zh-CN") -> dict[str, Any]:
    """Choices for a search form: the regions, industries, tags and scales present in the data."""
    with session_scope() as session:
        codes = _counts_by(session, Enterprise.region_code, None)
        divisions = _counts_by(session, func.substr(Enterprise.industry_code, 1, 2), None)
        tags = _tag_counts(session, None)
    tree: dict[str, dict[str, Any]] = {}
    for code in codes:
        for level_code in (code[:2] + "0000", code[:4] + "00", code):
            name = region_label(level_code)
            if name is not None:
                depth = 0 if level_code.endswith("0000") else 1 if level_code.endswith("00") else 2
                tree[level_code] = {"code": level_code, "name": name, "depth": depth}
    by_section, by_division = _industry_counts(divisions, lang)
    return {
        "regions": [tree[c] for c in sorted(tree)],
        "sections": sorted(by_section, key=lambda s: s["code"]),
        "divisions": sorted(by_division, key=lambda d: d["code"]),
        "tags": [t["tag"] for t in tags],
        "scales": list(SCALES),
    }
