"""Monthly activity of every firm: the common pattern times each firm's own path.

a_i(t) = macro(t) · exp(g_i · t/12) · exp(x_i(t)),   x_i(t) = 0.6 · x_i(t−1) + 0.06 · ε
with g_i ~ N(0, 0.06) the firm's own growth around the province trend. A firm's output in month t
is T_i(t) = S_i / 12 · a_i(t) · c_i(t), where c_i(t) is the planted collapse factor (1 almost
everywhere). Production value is T · (1 + N(0, 0.02)) and electricity (kWh) is
kwh_i · production, with kwh_i = segment intensity × lognormal(0, 0.25).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainwatch.synth.seasons import macro_factors

AR_COEFFICIENT = 0.6
AR_SCALE = 0.06
GROWTH_SPREAD = 0.06


@dataclass
class Activity:
    level: np.ndarray  # a: (firms + external firms) × months, without the collapse
    capacity: np.ndarray  # c: firms × months
    output: np.ndarray  # T: firms × months, yuan
    production: np.ndarray  # firms × months, yuan
    electricity: np.ndarray  # firms × months, kWh


def simulate_activity(
    periods: list[tuple[int, int]],
    sales: np.ndarray,
    n_firms: int,
    capacity: np.ndarray,
    kwh: np.ndarray,
    rng: np.random.Generator,
) -> Activity:
    months = len(periods)
    total = len(sales)
    macro = macro_factors(periods)
    growth = rng.normal(0.0, GROWTH_SPREAD, total)
    shocks = rng.standard_normal((total, months)) * AR_SCALE
    path = np.empty((total, months))
    path[:, 0] = shocks[:, 0] / np.sqrt(1 - AR_COEFFICIENT**2)
    for t in range(1, months):
        path[:, t] = AR_COEFFICIENT * path[:, t - 1] + shocks[:, t]
    years = np.arange(months) / 12.0
    level = macro[None, :] * np.exp(growth[:, None] * years[None, :] + path)
    output = sales[:n_firms, None] / 12.0 * level[:n_firms] * capacity
    production = output * (1 + rng.normal(0.0, 0.02, output.shape))
    intensity = kwh * rng.lognormal(0.0, 0.25, n_firms)
    electricity = np.rint(intensity[:, None] * production)
    return Activity(
        level=level,
        capacity=capacity,
        output=output,
        production=production,
        electricity=electricity,
    )
