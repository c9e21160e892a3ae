"""Planted weaknesses: known answers hidden in the synthetic province for analyses to find.

(a) single foreign source — ArF 光刻胶 (HS 370790) is imported only from Japan by every wafer
    fab (晶圆制造) and packaging house (封装测试); no firm in the province or among the
    out-of-province suppliers makes photoresist, so no domestic alternative exists.
(b) county electricity collapse — every firm of one county runs at 12–20 % of its normal
    activity for 3–4 consecutive months of the last year (electricity and sales alike), then
    recovers. Needs at least 12 months.
(c) import interruption — one industrial-robot maker imports precision reducers (HS 848340)
    from Japan every month, then nothing from a given month on (≥ 6 steady months before,
    ≥ 3 months of zero after). Needs at least 9 months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chainwatch.synth.firms import POWER_KEY, Firms
from chainwatch.synth.geography import Geography
from chainwatch.synth.templates import Segment

PHOTORESIST_HS = "370790"
PHOTORESIST_PRODUCT = "ArF光刻胶"
PHOTORESIST_COUNTRY = "JP"
PHOTORESIST_SEGMENTS = {"ic.fab": 0.02, "ic.packaging": 0.008}  # imports as share of output
INTERRUPTION_HS = "848340"
INTERRUPTION_PRODUCT = "精密减速器"
INTERRUPTION_COUNTRY = "JP"
INTERRUPTION_SEGMENT = "equip.robots"
COLLAPSE_LEVEL = (0.12, 0.20)


@dataclass
class Planted:
    importers: np.ndarray  # firm indices importing photoresist
    importer_ratio: np.ndarray  # photoresist imports as a share of each importer's output
    interruption_firm: int | None = None
    interruption_stop: int | None = None  # first month index with zero imports
    collapse_county: int | None = None
    collapse_months: list[int] = field(default_factory=list)
    collapse_firms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    collapse_level: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def collapse_matrix(self, n_firms: int, months: int) -> np.ndarray:
        """Capacity factor per firm and month: 1 except in the collapsed county's months."""
        factor = np.ones((n_firms, months))
        if self.collapse_months:
            rows = self.collapse_firms[:, None]
            factor[rows, np.array(self.collapse_months)[None, :]] = self.collapse_level
        return factor


def plant(
    segments: tuple[Segment, ...],
    firms: Firms,
    geo: Geography,
    periods: list[tuple[int, int]],
    rng: np.random.Generator,
) -> Planted:
    keys = np.array([s.key for s in segments])[firms.segment]
    importers = np.flatnonzero(np.isin(keys, list(PHOTORESIST_SEGMENTS)))
    ratio = np.array([PHOTORESIST_SEGMENTS[k] for k in keys[importers]]) * rng.uniform(
        0.8, 1.2, len(importers)
    )
    planted = Planted(importers=importers, importer_ratio=ratio)
    months = len(periods)

    if months >= 9:
        robots = np.flatnonzero(keys == INTERRUPTION_SEGMENT)
        if len(robots):
            planted.interruption_firm = int(robots[np.argmax(firms.sales[robots])])
            planted.interruption_stop = max(6, months - 6)

    if months >= 12:
        _plant_collapse(planted, keys, firms, geo, periods, rng)
    return planted


def _plant_collapse(
    planted: Planted,
    keys: np.ndarray,
    firms: Firms,
    geo: Geography,
    periods: list[tuple[int, int]],
    rng: np.random.Generator,
) -> None:
    months = len(periods)
    n = len(firms)
    per_county = np.bincount(firms.county, minlength=geo.n_counties)
    excluded = set(firms.county[planted.importers].tolist())
    if planted.interruption_firm is not None:
        excluded.add(int(firms.county[planted.interruption_firm]))
    excluded.update(firms.county[keys == POWER_KEY].tolist())
    candidates = [
        c
        for c in range(geo.n_counties)
        if c not in excluded and 0.008 * n <= per_county[c] <= 0.05 * n and per_county[c] >= 3
    ]
    if not candidates:
        candidates = [c for c in range(geo.n_counties) if c not in excluded and per_county[c] >= 1]
    if not candidates:
        return
    county = int(candidates[rng.integers(0, len(candidates))])

    length = int(rng.integers(3, 5))
    # Inside the last 12 months, ending ≥ 2 months before the end (so recovery shows) and
    # away from January and February (the Spring Festival would blur the signal).
    first_allowed, last_allowed = months - 12, months - 2 - length
    starts = [
        t
        for t in range(first_allowed, last_allowed + 1)
        if all(periods[u][1] not in (1, 2) for u in range(t, t + length))
    ]
    if not starts:
        starts = list(range(first_allowed, last_allowed + 1))
    start = int(starts[rng.integers(0, len(starts))])
    members = np.flatnonzero(firms.county == county)
    planted.collapse_county = county
    planted.collapse_months = list(range(start, start + length))
    planted.collapse_firms = members
    planted.collapse_level = rng.uniform(*COLLAPSE_LEVEL, size=(len(members), length))
