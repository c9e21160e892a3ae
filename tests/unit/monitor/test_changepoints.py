"""The change-point detector on synthetic series with known breaks (and none)."""

from __future__ import annotations

import numpy as np
import pytest

from chainwatch.monitor.changepoints import despike, detect_changes, noise_sigma


def noisy(levels: list[tuple[float, int]], sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.concatenate([np.full(count, level) for level, count in levels])
    return values + rng.normal(0.0, sigma, len(values))


@pytest.mark.parametrize("seed", range(10))
def test_one_step_is_found_where_it_is(seed: int) -> None:
    series = noisy([(105.0, 30), (85.0, 30)], sigma=2.0, seed=seed)
    changes = detect_changes(series, min_shift=5.0)
    assert [c.index for c in changes] in ([29], [30], [31])
    (change,) = changes
    assert change.before == pytest.approx(105.0, abs=1.5)
    assert change.after == pytest.approx(85.0, abs=1.5)
    assert change.shift == pytest.approx(-20.0, abs=2.0)
    assert change.before_count + change.after_count == 60


def test_a_collapse_and_recovery_give_two_changes() -> None:
    # Twelve calm months, four months at a sixth of the level, eight months back to normal.
    series = noisy([(104.0, 12), (17.0, 4), (103.0, 8)], sigma=1.5, seed=7)
    changes = detect_changes(series, min_segment=3, min_shift=10.0)
    assert [c.index for c in changes] == [12, 16]
    assert changes[0].shift < -80 < 80 < changes[1].shift
    assert (changes[0].after_count, changes[1].before_count) == (4, 4)


@pytest.mark.parametrize("seed", range(20))
def test_pure_noise_has_no_change_of_practical_size(seed: int) -> None:
    series = noisy([(100.0, 36)], sigma=1.0, seed=seed)
    assert detect_changes(series, min_shift=5.0) == []


def test_the_penalty_alone_rejects_noise_and_keeps_a_clear_step() -> None:
    calm = noisy([(100.0, 40)], sigma=1.0, seed=3)
    assert detect_changes(calm, penalty=2.0) == []
    stepped = calm + np.r_[np.zeros(20), np.full(20, 4.0)]  # 4σ step, no min_shift
    assert [c.index for c in detect_changes(stepped, penalty=2.0)] == [20]


def test_a_single_month_spike_is_not_a_change_of_level() -> None:
    series = [100.0] * 3 + [10.0] + [100.0] * 10
    assert detect_changes(series, min_shift=10.0) == []
    assert detect_changes(series, min_shift=10.0, robust=False) != []
    assert despike(np.array(series))[3] == 100.0
    steps = np.array([1.0, 1.0, 5.0, 5.0, 1.0])  # a two-month run stays
    assert list(despike(steps)) == [1.0, 1.0, 5.0, 5.0, 1.0]


def test_noise_level_is_not_inflated_by_a_jump() -> None:
    series = noisy([(100.0, 30), (60.0, 30)], sigma=2.0, seed=11)
    assert noise_sigma(series) == pytest.approx(2.0, rel=0.35)


def test_short_or_broken_series_give_nothing() -> None:
    assert detect_changes([100.0, 50.0, 100.0, 50.0, 100.0]) == []
    assert detect_changes([100.0] * 5 + [float("nan")] + [50.0] * 5) == []
