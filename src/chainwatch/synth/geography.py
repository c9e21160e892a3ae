"""Where synthetic firms sit: Zhejiang's cities and counties, and places outside the province.

Firm counts per city follow 2021 GDP (亿元, Zhejiang statistical bulletins, rounded); inside a
city, counties share by a rough industrial weight (strong manufacturing counties up, mountain
counties down). Chain clusters multiply these weights per segment (see the segment tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainwatch.reference.regions import cities_of, counties_of

PROVINCE_CODE = "330000"

CITY_GDP_2021 = {
    "330100": 18109,
    "330200": 14595,
    "330300": 7585,
    "330400": 6355,
    "330500": 3645,
    "330600": 6795,
    "330700": 5355,
    "330800": 1876,
    "330900": 1704,
    "331000": 5786,
    "331100": 1710,
}

# Counties whose share of their city's firms is raised (> 1) or lowered (< 1).
COUNTY_WEIGHT = {
    "330108": 1.6,
    "330109": 2.2,
    "330110": 2.0,
    "330114": 1.6,
    "330113": 1.3,
    "330111": 1.0,
    "330127": 0.3,
    "330182": 0.6,
    "330122": 0.6,
    "330112": 0.8,
    "330206": 2.0,
    "330212": 2.0,
    "330282": 2.0,
    "330281": 1.6,
    "330211": 1.2,
    "330225": 0.6,
    "330226": 0.9,
    "330382": 2.0,
    "330381": 1.6,
    "330304": 1.2,
    "330305": 0.3,
    "330328": 0.3,
    "330329": 0.3,
    "330324": 1.2,
    "330481": 1.4,
    "330483": 1.4,
    "330482": 1.2,
    "330421": 1.1,
    "330424": 0.9,
    "330522": 1.3,
    "330521": 1.1,
    "330523": 1.1,
    "330603": 2.5,
    "330681": 1.6,
    "330604": 1.5,
    "330683": 1.0,
    "330624": 0.9,
    "330782": 2.5,
    "330784": 1.8,
    "330783": 1.3,
    "330727": 0.4,
    "330726": 0.8,
    "330824": 0.4,
    "330822": 0.5,
    "330921": 0.8,
    "330922": 0.2,
    "331081": 2.0,
    "331082": 1.3,
    "331083": 1.2,
    "331004": 1.2,
    "331023": 0.6,
    "331022": 0.6,
    "331024": 0.7,
    "331127": 0.3,
    "331126": 0.3,
    "331125": 0.4,
    "331124": 0.4,
    "331123": 0.4,
}

# Places outside Zhejiang that supply the province: (code, name prefix, lon, lat, weight).
# Municipalities appear with their province-level code; other places with their city code.
EXTERNAL_PLACES: tuple[tuple[str, str, float, float, float], ...] = (
    ("310000", "上海", 121.47, 31.23, 10.0),
    ("320500", "苏州", 120.58, 31.30, 8.0),
    ("320200", "无锡", 120.31, 31.49, 4.0),
    ("320100", "南京", 118.80, 32.06, 3.0),
    ("320400", "常州", 119.97, 31.81, 3.0),
    ("440300", "深圳", 114.06, 22.54, 6.0),
    ("440100", "广州", 113.26, 23.13, 3.0),
    ("441900", "东莞", 113.75, 23.02, 4.0),
    ("110000", "北京", 116.40, 39.90, 4.0),
    ("120000", "天津", 117.20, 39.08, 1.5),
    ("340100", "合肥", 117.23, 31.82, 3.0),
    ("340200", "芜湖", 118.43, 31.35, 1.5),
    ("350200", "厦门", 118.09, 24.48, 1.5),
    ("350900", "宁德", 119.55, 26.67, 1.0),
    ("360900", "宜春", 114.42, 27.82, 0.8),
    ("370200", "青岛", 120.38, 36.07, 2.0),
    ("420100", "武汉", 114.31, 30.59, 2.0),
    ("510100", "成都", 104.07, 30.67, 1.5),
    ("610100", "西安", 108.94, 34.34, 1.0),
    ("500000", "重庆", 106.55, 29.56, 1.0),
)


@dataclass(frozen=True)
class Geography:
    """Counties of the province (index order) and external places, with coordinates."""

    county_codes: list[str]
    county_names: list[str]
    county_city: np.ndarray  # index into city_codes
    city_codes: list[str]
    city_names: list[str]
    county_weight: np.ndarray  # share of all firms, before segment clusters
    lon: np.ndarray  # counties then external places
    lat: np.ndarray
    external_codes: list[str]
    external_names: list[str]
    external_weight: np.ndarray

    @property
    def n_counties(self) -> int:
        return len(self.county_codes)

    def distances_km(self) -> np.ndarray:
        """Great-circle distances between all places (counties, then external places)."""
        lon = np.radians(self.lon)
        lat = np.radians(self.lat)
        dlon = lon[:, None] - lon[None, :]
        dlat = lat[:, None] - lat[None, :]
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
        )
        return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def load_geography() -> Geography:
    cities = cities_of(PROVINCE_CODE)
    city_codes = [c.code for c in cities]
    county_codes: list[str] = []
    county_names: list[str] = []
    county_city: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    weights: list[float] = []
    for city_index, city in enumerate(cities):
        counties = counties_of(city.code)
        raw = np.array([COUNTY_WEIGHT.get(c.code, 1.0) for c in counties])
        share = raw / raw.sum() * CITY_GDP_2021.get(city.code, 1000.0)
        for county, w in zip(counties, share, strict=True):
            county_codes.append(county.code)
            county_names.append(county.name)
            county_city.append(city_index)
            lon.append(county.longitude)
            lat.append(county.latitude)
            weights.append(float(w))
    county_weight = np.array(weights)
    county_weight /= county_weight.sum()
    return Geography(
        county_codes=county_codes,
        county_names=county_names,
        county_city=np.array(county_city),
        city_codes=city_codes,
        city_names=[c.name for c in cities],
        county_weight=county_weight,
        lon=np.array(lon + [p[2] for p in EXTERNAL_PLACES]),
        lat=np.array(lat + [p[3] for p in EXTERNAL_PLACES]),
        external_codes=[p[0] for p in EXTERNAL_PLACES],
        external_names=[p[1] for p in EXTERNAL_PLACES],
        external_weight=np.array([p[4] for p in EXTERNAL_PLACES]),
    )


def short_name(name: str) -> str:
    """杭州市 → 杭州, 柯桥区 → 柯桥, 景宁畲族自治县 → 景宁; two-character names stay whole."""
    for suffix in ("畲族自治县", "自治县", "市", "区", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name
