"""The supply network: who sells to whom, and how much a year.

Each buyer j gets an in-degree d_j = 1 + Poisson(λ_j − 1) with λ_j ∝ (S_j / median S)^0.3
(bigger firms have more suppliers; mean λ = ``mean_degree``). For every link slot:

1. the supplier segment is drawn from the buyer segment's row of the input matrix A (chain
   flows plus generic inputs such as 物流, 包装, 五金);
2. the supplier's place is drawn by a gravity model over counties and outside places:
   P(place) ∝ M[s, place] · f(distance), with M the segment's mass (Σ S^0.8 of its firms there),
   f = exp(−d / 80 km) inside the province (×3 in the buyer's own county) and
   0.6 · exp(−d / 600 km) for places outside it;
3. the supplier firm inside that place is drawn ∝ S^0.8 — size-preferential choice, which makes
   big suppliers hubs and the out-degree distribution heavy-tailed.

Annual flows start as √(S_i S_j) × lognormal(0, 0.8) and are balanced by iterative proportional
fitting towards the sellers' in-province sales (b2b share of sales) and the buyers' purchases
((1 − value-added ratio) × 0.7 of sales); the last step fits the sellers exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainwatch.synth.firms import POWER_KEY, ExternalFirms, Firms
from chainwatch.synth.geography import Geography
from chainwatch.synth.templates import Segment

SIZE_EXPONENT = 0.8
DEGREE_EXPONENT = 0.3
LOCAL_DECAY_KM = 80.0
OUTSIDE_DECAY_KM = 600.0
OUTSIDE_FACTOR = 0.6
SAME_COUNTY_BONUS = 3.0


@dataclass
class Links:
    """Supplier → customer links; sellers index firms first, then external firms."""

    seller: np.ndarray
    buyer: np.ndarray
    flow: np.ndarray  # annual flow in yuan at the start month's activity level


def draw_links(
    segments: tuple[Segment, ...],
    input_matrix: np.ndarray,
    firms: Firms,
    external: ExternalFirms,
    geo: Geography,
    mean_degree: float,
    export_share: np.ndarray,
    rng: np.random.Generator,
) -> Links:
    n = len(firms)
    n_places = geo.n_counties + len(geo.external_codes)
    n_seg = len(segments)
    power = next(i for i, s in enumerate(segments) if s.key == POWER_KEY)

    seller_seg = np.concatenate([firms.segment, external.segment])
    seller_loc = np.concatenate([firms.county, geo.n_counties + external.place])
    seller_sales = np.concatenate([firms.sales, external.sales])
    mass = seller_sales**SIZE_EXPONENT
    mass[:n][firms.segment == power] = 0.0  # electricity is billed separately
    group = seller_seg * n_places + seller_loc
    place_mass = np.bincount(group, weights=mass, minlength=n_seg * n_places).reshape(
        n_seg, n_places
    )

    available = place_mass.sum(axis=1) > 0
    matrix = input_matrix * available[None, :]
    rows = matrix.sum(axis=1, keepdims=True)
    matrix = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)

    median = np.median(firms.sales)
    lam = (firms.sales / median) ** DEGREE_EXPONENT
    lam *= mean_degree / lam.mean()
    degree = 1 + rng.poisson(np.maximum(lam - 1, 0))
    degree = np.minimum(degree, 400)
    degree[rows[firms.segment, 0] == 0] = 0
    buyer = np.repeat(np.arange(n), degree)

    cum_inputs = np.cumsum(matrix, axis=1)
    u = rng.random(len(buyer))
    supplier_seg = _inverse_cdf(cum_inputs[firms.segment[buyer]], u)

    distance = geo.distances_km()[: geo.n_counties]
    decay = np.exp(-distance / LOCAL_DECAY_KM)
    decay[:, geo.n_counties :] = OUTSIDE_FACTOR * np.exp(
        -distance[:, geo.n_counties :] / OUTSIDE_DECAY_KM
    )
    decay[np.arange(geo.n_counties), np.arange(geo.n_counties)] *= SAME_COUNTY_BONUS
    pair = supplier_seg * geo.n_counties + firms.county[buyer]
    unique_pairs, pair_row = np.unique(pair, return_inverse=True)
    place_p = place_mass[unique_pairs // geo.n_counties] * decay[unique_pairs % geo.n_counties]
    place_cum = np.cumsum(place_p, axis=1)
    place_cum /= place_cum[:, -1:]
    place = _inverse_cdf(place_cum[pair_row], rng.random(len(buyer)))

    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    cum_mass = np.cumsum(mass[order])
    slot_group = supplier_seg * n_places + place
    lo = np.searchsorted(sorted_group, slot_group, side="left")
    hi = np.searchsorted(sorted_group, slot_group, side="right")
    base = np.where(lo > 0, cum_mass[np.maximum(lo - 1, 0)], 0.0)
    target = base + rng.random(len(buyer)) * (cum_mass[hi - 1] - base)
    pick = np.minimum(np.searchsorted(cum_mass, target, side="right"), np.maximum(hi - 1, 0))
    seller = order[pick]

    # A slot whose place holds no firm of the segment (a rounding edge) is dropped.
    keep = (seller != buyer) & (hi > lo)
    seller, buyer = seller[keep], buyer[keep]
    key = seller.astype(np.int64) * n + buyer
    key = np.unique(key)
    seller, buyer = key // n, key % n

    flow = np.sqrt(seller_sales[seller] * firms.sales[buyer]) * rng.lognormal(0, 0.8, len(key))
    b2b = np.array([s.b2b for s in segments])[firms.segment]
    row_target = np.minimum(b2b, 0.95 - export_share) * firms.sales
    va = np.array([s.va for s in segments])[firms.segment]
    col_target = (1 - va) * 0.7 * firms.sales
    flow = _balance(flow, seller, buyer, n, row_target, col_target)
    return Links(seller=seller, buyer=buyer, flow=flow)


def _inverse_cdf(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: the first column whose cumulative probability exceeds u."""
    scaled = u * cum[:, -1]
    return np.minimum((cum <= scaled[:, None]).sum(axis=1), cum.shape[1] - 1)


def _balance(
    flow: np.ndarray,
    seller: np.ndarray,
    buyer: np.ndarray,
    n: int,
    row_target: np.ndarray,
    col_target: np.ndarray,
    rounds: int = 4,
) -> np.ndarray:
    """Iterative proportional fitting; in-province sellers' rows are fitted last (exactly)."""
    local = seller < n
    size = int(seller.max()) + 1 if len(seller) else n
    for _ in range(rounds):
        col = np.bincount(buyer, weights=flow, minlength=n)
        factor = np.divide(col_target, col, out=np.ones(n), where=col > 0)
        flow = flow * factor[buyer]
        row = np.bincount(seller, weights=flow, minlength=size)[:n]
        factor = np.divide(row_target, row, out=np.ones(n), where=row > 0)
        flow = np.where(local, flow * factor[np.minimum(seller, n - 1)], flow)
    return flow
