"""Countries (ISO 3166-1): table integrity, names and normalisation of codes and names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainwatch.errors import ConfigError, NotFoundError, ValidationError
from chainwatch.reference.countries import (
    NAME_ALIASES,
    country_name,
    get_country,
    load_countries,
    normalise_country,
    read_countries,
)


def test_table_has_every_iso_entry_once() -> None:
    countries = load_countries().values()
    assert len(countries) == 249
    assert len({c.alpha3 for c in countries}) == 249
    assert len({c.numeric for c in countries}) == 249
    assert len({c.name_zh for c in countries}) == 249
    assert all(c.name_en and c.name_zh for c in countries)


@pytest.mark.parametrize(
    ("alpha2", "alpha3", "numeric", "name_zh"),
    [
        ("CN", "CHN", "156", "中国"),
        ("JP", "JPN", "392", "日本"),
        ("US", "USA", "840", "美国"),
        ("KR", "KOR", "410", "韩国"),
        ("DE", "DEU", "276", "德国"),
        ("TW", "TWN", "158", "中国台湾"),
        ("HK", "HKG", "344", "中国香港"),
        ("MO", "MAC", "446", "中国澳门"),
        ("AF", "AFG", "004", "阿富汗"),
        ("RU", "RUS", "643", "俄罗斯联邦"),
    ],
)
def test_spot_checks(alpha2: str, alpha3: str, numeric: str, name_zh: str) -> None:
    country = get_country(alpha2)
    assert (country.alpha3, country.numeric, country.name_zh) == (alpha3, numeric, name_zh)


@pytest.mark.parametrize(
    "value",
    ["JP", "jp", " Jp ", "JPN", "jpn", 392, "392", "Japan", "JAPAN", "日本", " 日本 ", "ＪＰ"],
)
def test_normalise_country_variants_of_japan(value: object) -> None:
    assert normalise_country(value) == "JP"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4, "AF"),
        ("4", "AF"),
        ("004", "AF"),
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("United  Kingdom", "GB"),
        ("俄罗斯", "RU"),
        ("台湾", "TW"),
        ("Hong Kong", "HK"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Côte d'Ivoire", "CI"),
    ],
)
def test_normalise_country_other_forms(value: object, expected: str) -> None:
    assert normalise_country(value) == expected


@pytest.mark.parametrize(
    "value", ["XX", "", "   ", "0", 0, 1000, "1000", "Atlantis", True, None, 3.0, "J P"]
)
def test_normalise_country_rejects(value: object) -> None:
    assert normalise_country(value) is None


def test_aliases_point_at_known_countries() -> None:
    countries = load_countries()
    assert all(alpha2 in countries for alpha2 in NAME_ALIASES.values())


@given(st.text())
def test_normalise_country_on_any_text_gives_none_or_a_known_code(text: str) -> None:
    result = normalise_country(text)
    assert result is None or result in load_countries()


def test_country_name_and_errors() -> None:
    assert country_name("us") == "美国"
    assert country_name("USA", lang="en") == "United States of America"
    assert country_name(276) == "德国"
    assert get_country("Germany").name("en") == "Germany"
    with pytest.raises(NotFoundError, match="Atlantis"):
        get_country("Atlantis")
    with pytest.raises(ValidationError, match="'fr'"):
        country_name("US", lang="fr")


def test_read_countries_reports_broken_rows(tmp_path: Path) -> None:
    path = tmp_path / "countries.csv"
    path.write_text(
        "alpha2,alpha3,numeric,name_en,name_zh\n"
        "JP,JPN,392,Japan,日本\n"
        "JP,JPN,392,Japan,日本\n"
        "jp,JPN,39,Japan,日本\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        read_countries(path)
    assert len(caught.value.errors) == 2
