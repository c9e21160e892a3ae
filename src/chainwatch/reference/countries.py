"""Countries and territories (ISO 3166-1) with the Chinese short names of customs statistics.

chainwatch identifies a country by its ISO 3166-1 alpha-2 code everywhere. Input files name
countries in many ways (``jp``, ``JPN``, ``392``, ``Japan``, ``日本``); :func:`normalise_country`
turns each of them into the alpha-2 code.

Numbers are read as ISO 3166-1 numeric codes. China Customs' own 3-digit country codes (国别代码,
e.g. 116 for Japan, where ISO 116 is Cambodia) are a different list and are not accepted here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral
from pathlib import Path
from typing import Literal

from chainwatch.errors import NotFoundError, ValidationError
from chainwatch.reference.tables import read_table

DATA_FILE = Path(__file__).parent / "data" / "countries.csv"
_HEADER = ["alpha2", "alpha3", "numeric", "name_en", "name_zh"]

# Names people commonly write instead of the ISO or customs short names; found in customs
# declarations, supplier lists and English trade reports.
NAME_ALIASES: dict[str, str] = {
    "united states": "US",
    "usa": "US",
    "u.s.": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "russia": "RU",
    "south korea": "KR",
    "republic of korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "taiwan": "TW",
    "hong kong sar": "HK",
    "macau": "MO",
    "laos": "LA",
    "syria": "SY",
    "iran": "IR",
    "tanzania": "TZ",
    "moldova": "MD",
    "bolivia": "BO",
    "venezuela": "VE",
    "czech republic": "CZ",
    "turkey": "TR",
    "brunei": "BN",
    "palestine": "PS",
    "vatican": "VA",
    "swaziland": "SZ",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "cape verde": "CV",
    "democratic republic of the congo": "CD",
    "republic of the congo": "CG",
    "macedonia": "MK",
    "micronesia": "FM",
    "british virgin islands": "VG",
    "俄罗斯": "RU",
    "台湾": "TW",
    "中国台湾省": "TW",
    "香港": "HK",
    "澳门": "MO",
    "阿拉伯联合酋长国": "AE",
    "捷克共和国": "CZ",
    "刚果民主共和国": "CD",
    "刚果共和国": "CG",
    "波斯尼亚和黑塞哥维那": "BA",
    "中非共和国": "CF",
    "多米尼加共和国": "DO",
    "美利坚合众国": "US",
    "大韩民国": "KR",
    "朝鲜民主主义人民共和国": "KP",
    "沙特": "SA",
    "埃斯瓦蒂尼": "SZ",
}


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 entry; ``numeric`` keeps its leading zeros ("004")."""

    alpha2: str
    alpha3: str
    numeric: str
    name_en: str
    name_zh: str

    def name(self, lang: Literal["zh", "en"] = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


def read_countries(path: Path) -> dict[str, Country]:
    """Read and check a countries table in the shipped format; raise ConfigError on problems."""
    return read_table(path, _HEADER, _parse_row, "country")


def _parse_row(row: list[str], line_number: int, problems: list[str]) -> tuple[str, Country] | None:
    alpha2, alpha3, numeric, name_en, name_zh = row
    if not (
        len(alpha2) == 2
        and alpha2.isascii()
        and alpha2.isupper()
        and len(alpha3) == 3
        and alpha3.isascii()
        and alpha3.isupper()
        and len(numeric) == 3
        and numeric.isdigit()
    ):
        problems.append(f"row {line_number}: codes {alpha2!r}/{alpha3!r}/{numeric!r}")
        return None
    return alpha2, Country(alpha2, alpha3, numeric, name_en, name_zh)


@lru_cache(maxsize=1)
def load_countries() -> dict[str, Country]:
    """All ISO 3166-1 entries by alpha-2 code."""
    return read_countries(DATA_FILE)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    """Every accepted spelling (casefolded) mapped to its alpha-2 code."""
    table: dict[str, str] = {}
    for country in load_countries().values():
        for key in (
            country.alpha2,
            country.alpha3,
            country.numeric,
            country.name_en,
            country.name_zh,
        ):
            table[key.casefold()] = country.alpha2
    for alias, alpha2 in NAME_ALIASES.items():
        # The ISO and customs names win where an alias would collide with them.
        table.setdefault(alias.casefold(), alpha2)
    return table


def normalise_country(value: object) -> str | None:
    """The alpha-2 code for a code or name in ``value``, or None when nothing matches.

    Accepts alpha-2 and alpha-3 codes in any case, ISO numeric codes (as int or text, with or
    without leading zeros), the English and Chinese names of the table and a few common
    alternative names. Surrounding blanks and full-width characters are ignored.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        number = int(value)
        return _lookup().get(f"{number:03d}") if 0 < number < 1000 else None
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if not text:
        return None
    if text.isdigit():
        return _lookup().get(text.zfill(3)) if len(text) <= 3 else None
    return _lookup().get(text.casefold())


def get_country(code: object) -> Country:
    """The country for any form :func:`normalise_country` accepts."""
    alpha2 = normalise_country(code)
    if alpha2 is None:
        raise NotFoundError(
            f"country {code!r} is not an ISO 3166-1 code or a known country name; "
            "use an alpha-2 code such as JP, an alpha-3 code such as JPN, the numeric code 392, "
            "or the name Japan / 日本"
        )
    return load_countries()[alpha2]


def country_name(code: object, lang: str = "zh") -> str:
    """The Chinese (``lang='zh'``) or English (``lang='en'``) short name of a country."""
    if lang not in ("zh", "en"):
        raise ValidationError(f"language {lang!r} is not supported; expected 'zh' or 'en'")
    country = get_country(code)
    return country.name_zh if lang == "zh" else country.name_en


def clear_country_cache() -> None:
    """Forget the loaded table (tests that swap the data file)."""
    load_countries.cache_clear()
    _lookup.cache_clear()
