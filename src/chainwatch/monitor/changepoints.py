"""Change points in an index series: binary segmentation for shifts in the mean.

The series (one index value per month) is modelled as pieces of constant mean plus noise. A
piece [a, b) is split at the point k that most lowers the sum of squared deviations from the
pieces' means,

    gain(k) = SSE(a, b) − SSE(a, k) − SSE(k, b),

and the split is kept when the gain exceeds the penalty β = c · σ̂² · ln n (Schwarz's criterion
for a change in the mean of Gaussian noise, Yao 1988: each change adds a location and a mean;
c = 2 by default) and when the means on either side differ by at least ``min_shift`` index
points, so that statistically clear but small wiggles are not reported. Both halves are then
searched again. Every piece is at least ``min_segment`` months long. σ̂ is estimated from the
first differences with the median absolute deviation (1.4826 · MAD / √2), which a few large
jumps do not inflate, so the noise level is read from the calm months. A single month out of
line (a late invoice run, a holiday) is not a change of level: the pieces are searched on the
series after a running median of three, which removes one-month spikes and leaves steps and
runs of two months or more in place.

Finally changes whose neighbouring pieces (after all splits) differ by less than ``min_shift``
are merged away, weakest first. The result is advisory: a change point says "the level moved
here", not why. numpy only; O(n log n) per series for the few dozen months an index has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Change:
    """A change at ``index`` (the first point of the new level)."""

    index: int
    before: float  # mean of the piece before
    after: float  # mean of the piece from ``index`` on
    before_count: int
    after_count: int

    @property
    def shift(self) -> float:
        return self.after - self.before


def noise_sigma(values: np.ndarray) -> float:
    """Robust noise level: MAD of the first differences, scaled to a standard deviation."""
    if len(values) < 3:
        return 0.0
    diffs = np.diff(values)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return 1.4826 * mad / math.sqrt(2.0)


def despike(values: np.ndarray) -> np.ndarray:
    """Running median of three (the ends kept): removes single-month spikes and keeps steps
    and runs of two months or more where they are."""
    if len(values) < 3:
        return values.copy()
    out = values.copy()
    out[1:-1] = np.median(np.stack([values[:-2], values[1:-1], values[2:]]), axis=0)
    return out


class _Sums:
    """Cumulative sums for O(1) piece means and squared errors."""

    def __init__(self, values: np.ndarray) -> None:
        self.s1 = np.concatenate(([0.0], np.cumsum(values)))
        self.s2 = np.concatenate(([0.0], np.cumsum(values * values)))

    def mean(self, a: int, b: int) -> float:
        return float((self.s1[b] - self.s1[a]) / (b - a))

    def sse(self, a: int, b: int) -> float:
        total = self.s1[b] - self.s1[a]
        return float(self.s2[b] - self.s2[a] - total * total / (b - a))

    def best_split(self, a: int, b: int, min_segment: int) -> tuple[int, float] | None:
        """(k, gain) of the best split of [a, b) into two pieces of at least min_segment."""
        ks = np.arange(a + min_segment, b - min_segment + 1)
        if len(ks) == 0:
            return None
        left_n = ks - a
        right_n = b - ks
        left = self.s1[ks] - self.s1[a]
        right = self.s1[b] - self.s1[ks]
        total = self.s1[b] - self.s1[a]
        # SSE(a,b) − SSE(a,k) − SSE(k,b) = L²/nl + R²/nr − T²/n (the squares cancel).
        gains = left * left / left_n + right * right / right_n - total * total / (b - a)
        best = int(np.argmax(gains))
        return int(ks[best]), float(gains[best])


def detect_changes(
    values: Sequence[float],
    *,
    penalty: float = 2.0,
    min_segment: int = 3,
    min_shift: float = 0.0,
    sigma: float | None = None,
    robust: bool = True,
) -> list[Change]:
    """Change points of ``values`` (no missing values), in order of position.

    With ``robust`` the pieces are searched on the series with single-month spikes removed
    (:func:`despike`); the means reported are those of the values as given.
    """
    raw = np.asarray(values, dtype=float)
    n = len(raw)
    if n < 2 * min_segment or not np.all(np.isfinite(raw)):
        return []
    noise = noise_sigma(raw) if sigma is None else sigma
    # A series that is exactly flat in its calm months still needs a positive penalty.
    noise = max(noise, 1e-6 * (1.0 + float(np.mean(np.abs(raw)))))
    beta = penalty * noise * noise * math.log(n)
    x = despike(raw) if robust else raw
    sums = _Sums(x)
    cuts: list[int] = []
    pending = [(0, n)]
    while pending:
        a, b = pending.pop()
        found = sums.best_split(a, b, min_segment)
        if found is None:
            continue
        k, gain = found
        if gain <= beta or abs(sums.mean(k, b) - sums.mean(a, k)) < min_shift:
            continue
        cuts.append(k)
        pending += [(a, k), (k, b)]
    cuts.sort()
    cuts = _merge_small(sums, cuts, n, min_shift)
    bounds = [0, *cuts, n]
    sums = _Sums(raw)
    return [
        Change(
            index=bounds[i],
            before=sums.mean(bounds[i - 1], bounds[i]),
            after=sums.mean(bounds[i], bounds[i + 1]),
            before_count=bounds[i] - bounds[i - 1],
            after_count=bounds[i + 1] - bounds[i],
        )
        for i in range(1, len(bounds) - 1)
    ]


def _merge_small(sums: _Sums, cuts: list[int], n: int, min_shift: float) -> list[int]:
    """Drop, weakest first, cuts whose neighbouring pieces differ by less than min_shift."""
    cuts = list(cuts)
    while cuts:
        bounds = [0, *cuts, n]
        shifts = [
            abs(sums.mean(bounds[i], bounds[i + 1]) - sums.mean(bounds[i - 1], bounds[i]))
            for i in range(1, len(bounds) - 1)
        ]
        weakest = int(np.argmin(shifts))
        if shifts[weakest] >= min_shift:
            break
        del cuts[weakest]
    return cuts
