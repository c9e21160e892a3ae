"""Every engine against the literal iteration on small random networks.

The reference (``cascade_reference``) recomputes every firm in every round with scipy.sparse
products, rebuilt from W, sectors, E and markets without the engines' precompute. Exact engines
must agree to 1e-9; the fast mode must stay within the error bound it reports.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.risk.esri import cascade, cascade_reference, firm_esri_reference, sweep_shocks
from chainwatch.risk.fast import firm_esri, scenario_esri
from chainwatch.risk.network import SupplyNetwork, build_network


def random_network(seed: int, markets: bool) -> SupplyNetwork:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 26))
    sectors = int(rng.integers(1, 5))
    density = rng.uniform(0.05, 0.4)
    w = (rng.random((n, n)) < density) * rng.lognormal(0.0, 1.5, (n, n))
    w[0, 1] += 1.0  # at least one sale, so out-strength weights do not sum to 0
    return build_network(
        w,
        rng.integers(0, sectors, n),
        rng.integers(0, 3, (sectors, sectors)),
        rng.integers(0, 3, n) if markets else None,
    )


CASES = [
    (seed, markets, tol) for seed in range(4) for markets in (False, True) for tol in (0.01, 0.1)
]


def parts(result: object) -> np.ndarray:
    return np.vstack([result.esri, result.esri_down, result.esri_up])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("seed", "markets", "tol"), CASES)
def test_exact_engines_match_the_reference(seed: int, markets: bool, tol: float) -> None:
    net = random_network(seed, markets)
    firms = np.arange(0, net.size, 2)  # half the firms keeps the slow reference quick
    ref = firm_esri_reference(net, firms, tol=tol)
    exact = firm_esri(net, firms, exact=True, tol=tol)
    np.testing.assert_allclose(parts(exact), parts(ref), atol=1e-9, rtol=0)
    np.testing.assert_array_equal(exact.rounds, ref.rounds)
    assert (exact.error_bound == 0).all()
    swept = sweep_shocks(
        net, firms, np.zeros(firms.size), tol=tol, weights=net.out_strength, lanes=3
    )
    np.testing.assert_allclose(parts(swept), parts(ref), atol=1e-9, rtol=0)
    # Handing every cascade to the batched sweep gives the same numbers.
    handed = firm_esri(net, firms, tol=tol, frontier_budget=1e-9)
    np.testing.assert_allclose(parts(handed), parts(ref), atol=1e-9, rtol=0)


@pytest.mark.parametrize(("seed", "markets", "tol"), CASES)
def test_fast_mode_stays_within_its_bound(seed: int, markets: bool, tol: float) -> None:
    net = random_network(seed, markets)
    exact = firm_esri(net, exact=True, tol=tol)
    for delta in (1e-3, 1e-2):
        for max_error in (1.0, 1e-3):
            fast = firm_esri(net, tol=tol, delta=delta, max_error=max_error)
            error = np.abs(parts(fast) - parts(exact)).max(axis=0)
            assert (error <= fast.error_bound).all()
            assert (fast.error_bound <= max_error).all()


def test_batches_give_the_same_results() -> None:
    net = random_network(3, True)
    whole = firm_esri(net)
    firms = np.arange(net.size)
    split = [firm_esri(net, batch) for batch in np.array_split(firms[::-1], 3)]
    esri = np.concatenate([s.esri for s in split])[::-1]
    np.testing.assert_allclose(esri, whole.esri, atol=2 * whole.max_error)
    exact_whole = firm_esri(net, exact=True)
    exact_split = np.concatenate(
        [firm_esri(net, b, exact=True).esri for b in np.array_split(firms, 4)]
    )
    np.testing.assert_allclose(exact_split, exact_whole.esri, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    markets=st.booleans(),
    shocked=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
)
def test_any_psi_matches_the_reference(seed: int, markets: bool, shocked: list[float]) -> None:
    net = random_network(seed, markets)
    rng = np.random.default_rng(seed)
    psi = np.ones(net.size)
    psi[rng.choice(net.size, size=min(len(shocked), net.size), replace=False)] = shocked[: net.size]
    ref = cascade_reference(net, psi)
    got = cascade(net, psi)
    np.testing.assert_allclose(got.h_down, ref.h_down, atol=1e-9)
    np.testing.assert_allclose(got.h_up, ref.h_up, atol=1e-9)
    assert got.rounds == ref.rounds
    assert (got.esri, got.esri_down, got.esri_up) == pytest.approx(
        (ref.esri, ref.esri_down, ref.esri_up), abs=1e-9
    )
    many = scenario_esri(net, [psi, np.ones(net.size)], exact=True)
    assert many.esri[0] == pytest.approx(ref.esri, abs=1e-9)
    assert many.esri[1] == 0.0


def test_threads_and_pieces_do_not_change_results() -> None:
    """Two threads taking pieces of one shock each, heaviest first, give the numbers of one
    thread in order; cascades that touch most firms (row-wise reset) and few (firm-wise reset)
    alternate on the same scratch arrays."""
    rng = np.random.default_rng(11)
    n = 400
    w = (rng.random((n, n)) < 0.01) * rng.lognormal(0.0, 1.5, (n, n))
    net = build_network(w, rng.integers(0, 4, n), rng.integers(0, 3, (4, 4)), rng.integers(0, 3, n))
    seen: list[int] = []
    for exact in (True, False):
        one = firm_esri(net, exact=exact, threads=1)
        two = firm_esri(net, exact=exact, threads=2, batch_size=1, progress=seen.append)
        np.testing.assert_array_equal(parts(two), parts(one))
        np.testing.assert_array_equal(two.rounds, one.rounds)
    assert sum(seen) == 2 * n
    hit = []
    for k in range(40):
        psi = np.ones(n)
        psi[k] = 0.0
        c = cascade(net, psi)
        hit.append(int((np.minimum(c.h_down, c.h_up) < 1.0).sum()))
    assert min(hit) <= n // 8 < max(hit)  # both ways of resetting the scratch arrays ran
    first = np.arange(40)
    np.testing.assert_allclose(
        parts(firm_esri(net, first, exact=True, threads=1)),
        parts(firm_esri_reference(net, first)),
        atol=1e-9,
        rtol=0,
    )
