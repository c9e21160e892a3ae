"""Names for codes in the language asked for; an unknown code is shown as it is."""

from __future__ import annotations

from chainwatch.atlas.chains import Chain, Segment
from chainwatch.errors import ChainwatchError
from chainwatch.reference import countries, industries, regions


def short_language(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def chain_name(chain: Chain, lang: str) -> str:
    return chain.name_en if lang == "en" and chain.name_en else chain.name


def segment_name(segment: Segment, lang: str) -> str:
    return segment.name_en if lang == "en" and segment.name_en else segment.name


def region_name(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return regions.region_name(code)
    except ChainwatchError:
        return code


def industry_name(code: str | None, lang: str) -> str | None:
    if not code:
        return None
    try:
        return industries.industry_name(code, short_language(lang))
    except ChainwatchError:
        return None


def country_name(code: str | None, lang: str) -> str | None:
    if not code:
        return None
    try:
        return countries.country_name(code, short_language(lang))
    except ChainwatchError:
        return code
