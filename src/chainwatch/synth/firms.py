"""The firm register: who the synthetic firms are, where they sit and how big they are.

Firm counts per segment follow the template weights (largest-remainder allocation, with a
guaranteed minimum for segments the planted weaknesses need, and exactly one power-supply firm
per city). Counties are drawn per segment from city GDP × county weight × cluster boost. Annual
sales at the start month are lognormal: median × exp(spread · Z), Z ~ N(0, 1) clipped to ±3.5,
which gives the heavy right tail of real firm-size distributions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from chainwatch.synth.codes import generate_codes
from chainwatch.synth.geography import Geography, short_name
from chainwatch.synth.names import LICENSED, business_scope, firm_names
from chainwatch.synth.templates import Segment

POWER_KEY = "econ.power"
TAG_ORDER = ("专精特新", "小巨人", "单项冠军", "上市", "链主", "高新技术企业")
# 规模以上 thresholds (annual main revenue, yuan) by sector, after the statistics bureau's rules.
SCALE_THRESHOLD = {
    "manufacturing": 2e7,
    "power": 2e7,
    "wholesale": 2e7,
    "retail": 5e6,
    "construction": 5e7,
    "logistics": 1e7,
    "services": 1e7,
}
REFORM_DATE = dt.date(2015, 10, 1)  # three-in-one licence reform: MA… organisation codes


@dataclass
class Firms:
    """In-province firms, index-aligned arrays (one entry per firm)."""

    segment: np.ndarray
    county: np.ndarray
    sales: np.ndarray  # annual sales at the start month, yuan
    employees: np.ndarray
    land: np.ndarray  # 亩
    established: list[str]
    tags: list[str]
    names: list[str]
    scope: list[str]
    codes: list[str]
    industry: list[str]
    scale: list[str]
    lon: np.ndarray
    lat: np.ndarray
    product: np.ndarray  # main product index within the segment's product list

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class ExternalFirms:
    """Suppliers registered outside the province (sellers in invoices.csv only)."""

    segment: np.ndarray
    place: np.ndarray  # index into Geography.external_codes
    sales: np.ndarray
    codes: list[str]
    names: list[str]


def allocate_counts(segments: tuple[Segment, ...], total: int, n_cities: int) -> np.ndarray:
    """Firms per segment: power one per city, minimums honoured, the rest by weight."""
    minimum = np.array([s.min_firms for s in segments], dtype=np.int64)
    power = np.array([s.key == POWER_KEY for s in segments])
    minimum[power] = n_cities
    counts = np.where(power, n_cities, 0).astype(np.int64)
    weights = np.where(power, 0.0, np.array([s.weight for s in segments]))
    remaining = total - int(counts.sum())
    share = weights / weights.sum() * remaining
    counts += np.floor(share).astype(np.int64)
    left = total - int(counts.sum())
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    counts[order[:left]] += 1
    for i in np.flatnonzero(counts < minimum):
        while counts[i] < minimum[i]:
            # Take from the segment with the most firms above its own minimum.
            donor = int(np.argmax(np.where(counts > minimum, counts - minimum, -1)))
            counts[donor] -= 1
            counts[i] += 1
    return counts


def _county_probabilities(segment: Segment, geo: Geography) -> np.ndarray:
    boost = np.ones(geo.n_counties)
    index = {code: i for i, code in enumerate(geo.county_codes)}
    for code, factor in segment.clusters:
        if code in index:
            boost[index[code]] = factor
    p = geo.county_weight * boost
    return p / p.sum()


def build_firms(
    segments: tuple[Segment, ...],
    geo: Geography,
    total: int,
    start: dt.date,
    rng: np.random.Generator,
) -> Firms:
    counts = allocate_counts(segments, total, len(geo.city_codes))
    seg = np.repeat(np.arange(len(segments)), counts)
    county = np.empty(total, dtype=np.int64)
    seats = [int(np.flatnonzero(geo.county_city == c)[0]) for c in range(len(geo.city_codes))]
    offset = 0
    for s, segment in enumerate(segments):
        n = int(counts[s])
        if segment.key == POWER_KEY:
            county[offset : offset + n] = seats[:n]
        elif n:
            county[offset : offset + n] = rng.choice(
                geo.n_counties, size=n, p=_county_probabilities(segment, geo)
            )
        offset += n

    median = np.array([s.median_sales for s in segments])[seg] * 1e4
    spread = np.array([s.spread for s in segments])[seg]
    z = np.clip(rng.standard_normal(total), -3.5, 3.5)
    sales = median * np.exp(spread * z)
    relative = np.log(sales / median)

    productivity = np.array([s.productivity for s in segments])[seg] * 1e4
    employees = np.maximum(3, np.rint(sales / productivity * rng.lognormal(0, 0.35, total)))
    industrial = np.array([s.industrial for s in segments])[seg]
    per_mu = np.where(industrial, 6e6, 3e7) * rng.lognormal(0, 0.5, total)
    land = np.clip(np.round(sales / per_mu, 2), 0.3, 5000.0)

    age_years = np.clip(1 + rng.gamma(2.0, 5.0, total) + 2.0 * np.maximum(relative, 0), 1, 40)
    start_ordinal = start.toordinal()
    est_ordinal = (start_ordinal - np.rint(age_years * 365.25)).astype(np.int64)
    established_dates = [dt.date.fromordinal(int(o)) for o in est_ordinal]
    modern = np.array([d >= REFORM_DATE for d in established_dates])

    tags = _draw_tags(segments, seg, sales, rng)
    listed = np.array(["上市" in t for t in tags])
    large = listed | (sales >= 5e8)

    sector = [segments[s].sector for s in seg]
    scale = ["规上" if sales[i] >= SCALE_THRESHOLD[sector[i]] else "规下" for i in range(total)]
    region_codes = [geo.county_codes[c] for c in county]
    codes = generate_codes(region_codes, modern, rng)

    use_county = rng.random(total) < 0.35
    places = []
    for i in range(total):
        county_name = geo.county_names[county[i]]
        if large[i]:
            places.append("浙江")
        elif use_county[i] and county_name[-1] in "市县":
            places.append(short_name(county_name))
        else:
            places.append(short_name(geo.city_names[geo.county_city[county[i]]]))
    word_pick = rng.integers(0, 8, size=total)
    words = [segments[s].words[word_pick[i] % len(segments[s].words)] for i, s in enumerate(seg)]
    hightech_segment = np.array([s.hightech >= 0.3 for s in segments])[seg]
    names = firm_names(places, words, large, rng, hightech_segment)

    product = np.array([rng.integers(0, len(segments[s].products)) for s in seg], dtype=np.int64)
    trades = rng.random(total) < 0.4
    scope = []
    for i, s in enumerate(seg.tolist()):
        segment = segments[s]
        keywords = segment.scope
        if segment.sector == "manufacturing":
            item = segment.products[product[i]].rsplit("*", 1)[-1]
            keywords = (*keywords, f"{item}研发、生产、销售")
        scope.append(business_scope(keywords, bool(trades[i]), LICENSED.get(segment.key)))

    industry_pick = rng.random(total)
    industry = []
    for i, s in enumerate(seg.tolist()):
        options = segments[s].industries
        # The first code is the segment's main class; others share the rest.
        k = (
            0
            if industry_pick[i] < 0.6 or len(options) == 1
            else 1 + int((industry_pick[i] - 0.6) / 0.4 * (len(options) - 1))
        )
        industry.append(options[min(k, len(options) - 1)])

    lon = np.round(geo.lon[county] + rng.normal(0, 0.03, total), 6)
    lat = np.round(geo.lat[county] + rng.normal(0, 0.025, total), 6)
    return Firms(
        segment=seg,
        county=county,
        sales=sales,
        employees=employees.astype(np.int64),
        land=land,
        established=[d.isoformat() for d in established_dates],
        tags=tags,
        names=names,
        scope=scope,
        codes=codes,
        industry=industry,
        scale=scale,
        lon=lon,
        lat=lat,
        product=product,
    )


def _draw_tags(
    segments: tuple[Segment, ...], seg: np.ndarray, sales: np.ndarray, rng: np.random.Generator
) -> list[str]:
    total = len(seg)
    manufacturing = np.array([s.sector == "manufacturing" for s in segments])[seg]
    hightech_p = np.array([s.hightech for s in segments])[seg]
    draws = rng.random((total, 5))
    hightech = draws[:, 0] < hightech_p * np.where(sales >= 5e6, 1.0, 0.5)
    specialised = (
        manufacturing
        & (sales >= 2e7)
        & (sales <= 4e8)
        & (draws[:, 1] < np.where(hightech_p >= 0.4, 0.14, 0.05))
    )
    giant = specialised & (draws[:, 2] < 0.2)
    champion = manufacturing & (sales >= 5e8) & (draws[:, 3] < 0.15)
    listed = ((sales >= 1e9) & (draws[:, 4] < 0.35)) | (
        (sales >= 3e8) & (sales < 1e9) & (draws[:, 4] < 0.08)
    )
    leader = np.zeros(total, dtype=bool)
    chain_of = np.array([s.chain or "" for s in segments])[seg]
    for chain in dict.fromkeys(s.chain for s in segments if s.chain):
        members = np.flatnonzero(chain_of == chain)
        if len(members):
            ranked = members[np.argsort(-sales[members], kind="stable")]
            leader[ranked[: 1 + len(members) // 150]] = True
    flags = np.column_stack([specialised, giant, champion, listed, leader, hightech])
    return [";".join(t for t, on in zip(TAG_ORDER, row, strict=True) if on) for row in flags]


def build_external_firms(
    segments: tuple[Segment, ...],
    geo: Geography,
    count: int,
    taken: set[str],
    rng: np.random.Generator,
) -> ExternalFirms:
    weights = np.array([s.weight * s.external if s.sector != "power" else 0.0 for s in segments])
    seg = rng.choice(len(segments), size=count, p=weights / weights.sum())
    seg.sort(kind="stable")
    place = rng.choice(
        len(geo.external_codes), size=count, p=geo.external_weight / geo.external_weight.sum()
    )
    median = np.array([s.median_sales for s in segments])[seg] * 1e4 * 3.0
    spread = np.array([s.spread for s in segments])[seg]
    sales = median * np.exp(spread * np.clip(rng.standard_normal(count), -3.5, 3.5))
    modern = rng.random(count) < 0.35
    codes = generate_codes([geo.external_codes[p] for p in place], modern, rng, taken)
    words = [segments[s].words[0] for s in seg]
    names = firm_names([geo.external_names[p] for p in place], words, sales >= 5e8, rng)
    return ExternalFirms(segment=seg, place=place, sales=sales, codes=codes, names=names)


def set_power_sales(segments: tuple[Segment, ...], firms: Firms, geo: Geography) -> None:
    """A city's power-supply firm sells the city's electricity: its sales are set to
    Σ S_j · kWh-per-yuan_j · 0.65 元/kWh over the city's firms, divided by 0.7 (households and
    public users buy the other 30 %)."""
    is_power = np.array([s.key == POWER_KEY for s in segments])[firms.segment]
    kwh = np.array([s.kwh for s in segments])[firms.segment]
    city = geo.county_city[firms.county]
    bills = np.bincount(
        city,
        weights=np.where(is_power, 0.0, firms.sales * kwh * 0.65),
        minlength=len(geo.city_codes),
    )
    productivity = next(s.productivity for s in segments if s.key == POWER_KEY) * 1e4
    for i in np.flatnonzero(is_power):
        sales = max(bills[city[i]] / 0.7, 1e7)
        firms.sales[i] = sales
        firms.employees[i] = max(3, round(sales / productivity))
        firms.land[i] = float(np.clip(round(sales / 2e7, 2), 0.3, 5000.0))
        firms.scale[i] = "规上"
        firms.tags[i] = ""
