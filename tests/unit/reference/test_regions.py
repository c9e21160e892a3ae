"""Regions (GB/T 2260): table integrity, hierarchy queries, code normalisation, overrides."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainwatch.errors import ConfigError, NotFoundError, ValidationError
from chainwatch.reference import regions
from chainwatch.reference.regions import (
    children,
    cities_of,
    city_of,
    counties_of,
    get_region,
    is_known_region,
    load_regions,
    normalise_region_code,
    province_of,
    read_regions,
    region_name,
)

# Generous boxes around each province's territory (WGS84 degrees: lon_min, lon_max, lat_min,
# lat_max); a county centroid outside its box means a typo in the table.
PROVINCE_BOXES = {
    "330000": (118.0, 123.2, 27.0, 31.2),
    "340000": (114.8, 119.7, 29.3, 34.7),
    "500000": (105.2, 110.2, 28.1, 32.3),
    "510000": (97.3, 108.6, 26.0, 34.4),
}


@pytest.fixture(autouse=True)
def fresh_regions(home: Path) -> Iterator[None]:
    regions.clear_region_cache()
    yield
    regions.clear_region_cache()


def test_codes_are_six_digits_unique_and_parents_exist() -> None:
    table = load_regions()
    rows = list(csv.DictReader(regions.DATA_FILE.open(encoding="utf-8")))
    assert len(rows) == len(table)
    for region in table.values():
        assert len(region.code) == 6 and region.code.isdigit()
        if region.level == "province":
            assert region.parent_code is None
            assert region.code.endswith("0000")
        else:
            assert region.parent_code in table
            assert region.parent_code[:2] == region.code[:2]


def test_levels_match_national_totals() -> None:
    table = load_regions().values()
    assert sum(r.level == "province" for r in table) == 34
    # 293 地级市 + 7 地区 + 30 自治州 + 3 盟 (Ministry of Civil Affairs list).
    assert sum(r.level == "city" for r in table) == 333


def test_special_administrative_regions_and_taiwan_are_provinces() -> None:
    assert region_name("710000") == "台湾省"
    assert region_name("810000") == "香港特别行政区"
    assert region_name("820000") == "澳门特别行政区"


@pytest.mark.parametrize(
    ("province", "cities", "counties"),
    [("330000", 11, 90), ("340000", 16, 104), ("500000", 0, 38), ("510000", 21, 183)],
)
def test_fully_listed_provinces_have_known_counts(
    province: str, cities: int, counties: int
) -> None:
    assert len(cities_of(province)) == cities
    assert len(counties_of(province)) == counties


def test_zhejiang_counties_hang_on_its_eleven_cities() -> None:
    city_codes = {c.code for c in cities_of("330000")}
    assert city_codes == {f"33{n:02d}00" for n in range(1, 12)}
    for county in counties_of("330000"):
        assert county.parent_code in city_codes


def test_hangzhou_has_its_2021_districts() -> None:
    names = {r.code: r.name for r in counties_of("330100")}
    assert names == {
        "330102": "上城区", "330105": "拱墅区", "330106": "西湖区", "330108": "滨江区",
        "330109": "萧山区", "330110": "余杭区", "330111": "富阳区", "330112": "临安区",
        "330113": "临平区", "330114": "钱塘区", "330122": "桐庐县", "330127": "淳安县",
        "330182": "建德市",
    }  # fmt: skip


@pytest.mark.parametrize("province", sorted(PROVINCE_BOXES))
def test_county_centroids_lie_in_their_province(province: str) -> None:
    lon_min, lon_max, lat_min, lat_max = PROVINCE_BOXES[province]
    for county in counties_of(province):
        assert lon_min <= county.longitude <= lon_max, county
        assert lat_min <= county.latitude <= lat_max, county


@pytest.mark.parametrize(
    ("code", "name", "parent"),
    [
        ("330106", "西湖区", "330100"),
        ("330383", "龙港市", "330300"),
        ("500101", "万州区", "500000"),
        ("510104", "锦江区", "510100"),
        ("513402", "会理市", "513400"),
        ("340104", "蜀山区", "340100"),
        ("340210", "湾沚区", "340200"),
        ("429004", "仙桃市", "420000"),
    ],
)
def test_spot_checks(code: str, name: str, parent: str) -> None:
    region = get_region(code)
    assert (region.name, region.level, region.parent_code) == (name, "county", parent)


def test_hierarchy_queries() -> None:
    assert province_of("330106").name == "浙江省"
    assert province_of(330000).code == "330000"
    assert city_of("330106").code == "330100"  # type: ignore[union-attr]
    assert city_of("330100").code == "330100"  # type: ignore[union-attr]
    assert city_of("330000") is None
    # Districts of municipalities have no city level.
    assert city_of("500101") is None
    assert [r.code for r in children("330900")] == ["330902", "330903", "330921", "330922"]
    assert children("330106") == []
    assert counties_of("330900") == children("330900")
    assert cities_of("500000") == []


def test_level_mismatches_are_refused() -> None:
    with pytest.raises(ValidationError, match="330106"):
        counties_of("330106")
    with pytest.raises(ValidationError, match="province"):
        cities_of("330100")


def test_unknown_and_malformed_codes() -> None:
    assert is_known_region("330102")
    assert not is_known_region("330199")
    # Jiangsu counties are not enumerated: syntactically fine, but unknown.
    assert not is_known_region("320102")
    assert is_known_region("320100")
    with pytest.raises(NotFoundError, match="only for Zhejiang"):
        get_region("320102")
    with pytest.raises(NotFoundError, match="6 digits"):
        get_region("hangzhou")
    assert not is_known_region("hangzhou")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (330102, "330102"),
        ("330102", "330102"),
        (" 330102 ", "330102"),
        ("330102000000", "330102"),
        ("330102001001", "330102"),
        (330102.0, "330102"),
        ("３３０１０２", "330102"),
        ("33010", None),
        ("3301020", None),
        ("033010", None),
        ("330102.0", None),
        ("33 0102", None),
        (330102.5, None),
        (-330102, None),
        (True, None),
        (None, None),
        ("", None),
    ],
)
def test_normalise_region_code(value: object, expected: str | None) -> None:
    assert normalise_region_code(value) == expected


@given(st.text())
def test_normalise_region_code_on_any_text_gives_none_or_six_digits(text: str) -> None:
    result = normalise_region_code(text)
    assert result is None or (len(result) == 6 and result.isascii() and result.isdigit())


@given(st.integers(min_value=100_000, max_value=999_999))
def test_normalise_region_code_keeps_six_digit_integers(number: int) -> None:
    assert normalise_region_code(number) == str(number)


def test_centroid_override_from_home(home: Path) -> None:
    override = home / "reference" / regions.CENTROID_OVERRIDE_NAME
    override.parent.mkdir(parents=True)
    override.write_text("code,longitude,latitude\n330106,120.1,30.25\n", encoding="utf-8")
    regions.clear_region_cache()
    region = get_region("330106")
    assert (region.longitude, region.latitude) == (120.1, 30.25)
    assert get_region("330102").longitude == 120.17


def test_bad_centroid_override_is_reported(home: Path) -> None:
    override = home / "reference" / regions.CENTROID_OVERRIDE_NAME
    override.parent.mkdir(parents=True)
    override.write_text("code,longitude,latitude\n999999,1,1\n330106,east,30\n", encoding="utf-8")
    regions.clear_region_cache()
    with pytest.raises(ValidationError) as caught:
        load_regions()
    assert len(caught.value.errors) == 2
    assert "999999" in caught.value.errors[0]


def test_read_regions_reports_broken_tables(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text(
        "code,name,level,parent_code,longitude,latitude\n"
        "330000,浙江省,province,,120.1,29.2\n"
        "330100,杭州市,city,330000,120.2,30.3\n"
        "330106,西湖区,county,339900,120.1,30.3\n"
        "330108,滨江区,town,330100,120.2,30.2\n"
        "330100,杭州市,city,330000,120.2,30.3\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        read_regions(path)
    problems = caught.value.errors
    assert len(problems) == 3
    assert any("town" in p for p in problems)
    assert any("twice" in p for p in problems)
    assert any("339900" in p for p in problems)


def test_read_regions_rejects_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_text("code,name\n330000,浙江省\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="header"):
        read_regions(path)
