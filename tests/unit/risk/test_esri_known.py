"""Known answers for the cascade and ESRI, computed by hand (docs/systemic-risk.md).

Notation: W[i, j] sales of i to j, s_out/s_in out/in-strength, weights w = s_out. "Round t"
computes h(t) from h(t−1) for every firm at once; the iteration stops after the first round in
which no h_d or h_u drops by more than ε, keeping that round's values. Each case is checked
against every engine: the compiled exact cascade (``cascade``), the literal scipy iteration
(``cascade_reference``), all-firm ESRI in exact and fast mode, and the batched sweep.
"""

from __future__ import annotations

import numpy as np
import pytest

from chainwatch.errors import ValidationError
from chainwatch.risk.esri import (
    cascade,
    cascade_reference,
    failure_psi,
    firm_esri_reference,
    sweep_shocks,
)
from chainwatch.risk.fast import firm_esri, scenario_esri
from chainwatch.risk.network import SupplyNetwork, build_network


def check(
    network: SupplyNetwork,
    firm: int,
    esri: float,
    down: float,
    up: float,
    *,
    tol: float = 0.01,
    h_down: list[float] | None = None,
    h_up: list[float] | None = None,
    rounds: int | None = None,
) -> None:
    psi = failure_psi(network, firm)
    for run in (cascade, cascade_reference):
        r = run(network, psi, tol=tol)
        assert (r.esri, r.esri_down, r.esri_up) == pytest.approx((esri, down, up), abs=1e-12)
        if h_down is not None:
            np.testing.assert_allclose(r.h_down, h_down, atol=1e-12)
        if h_up is not None:
            np.testing.assert_allclose(r.h_up, h_up, atol=1e-12)
        if rounds is not None:
            assert r.rounds == rounds
    exact = firm_esri(network, [firm], exact=True, tol=tol)
    assert (exact.esri[0], exact.esri_down[0], exact.esri_up[0]) == pytest.approx(
        (esri, down, up), abs=1e-12
    )
    assert exact.error_bound[0] == 0.0
    fast = firm_esri(network, [firm], tol=tol)
    bound = fast.error_bound[0]
    assert bound <= fast.max_error
    for got, want in ((fast.esri, esri), (fast.esri_down, down), (fast.esri_up, up)):
        assert abs(got[0] - want) <= bound + 1e-12
    swept = sweep_shocks(
        network, np.array([firm]), np.zeros(1), tol=tol, weights=network.out_strength
    )
    assert (swept.esri[0], swept.esri_down[0], swept.esri_up[0]) == pytest.approx(
        (esri, down, up), abs=1e-12
    )


def test_spec_example_two_firms() -> None:
    """The spec's check: W = [[1, 1], [0, 1]], one sector, essential (E = [[2]]), firm 1 fails.

    s_out = (2, 1), s_in = (1, 2), so Λd[0,1] = 1/2, Λd[1,1] = 1/2 (Π_{j,k} = s_in_j with one
    sector), Λu[0,·] = (1/2, 1/2), Λu[1,1] = 1.
    Downstream: firm 2 loses L = ½·1 + ½·(1 − h_d2), so h_d2(t) = ½·h_d2(t−1) = 2^−t: the
    drops are ½, ¼, …, 2^−7 = 0.0078 ≤ ε = 0.01 in round 7, which stops with h_d = (0, 1/128).
    Upstream: firm 2's only customer is itself, h_u = (0, 1) from round 1 on.
    ESRI_down = (2·1 + 1·(1 − 1/128))/3 = 1 − 1/384; min(h_d, h_u) = h_d, so ESRI is the same;
    ESRI_up = 2/3. The spec's "ESRI = ESRI_down = 1.0" is the limit ε → 0 (h_d2 → 0).
    """
    net = build_network(np.array([[1.0, 1.0], [0.0, 1.0]]), [0, 0], [[2]])
    check(net, 0, 1 - 1 / 384, 1 - 1 / 384, 2 / 3, h_down=[0.0, 1 / 128], h_up=[0.0, 1.0], rounds=7)
    limit = cascade(net, [0.0, 1.0], tol=1e-12)
    assert limit.esri == pytest.approx(1.0, abs=1e-11)
    assert limit.esri_down == pytest.approx(1.0, abs=1e-11)
    assert limit.esri_up == pytest.approx(2 / 3, abs=1e-15)


def _four_firms(level_x_for_z: int) -> SupplyNetwork:
    # A (sector x) and B (sector y) supply C (z); C supplies D (z).
    w = np.zeros((4, 4))
    w[0, 2], w[1, 2], w[2, 3] = 1.0, 3.0, 4.0
    ess = np.array([[0, 0, level_x_for_z], [0, 0, 1], [0, 0, 1]])
    return build_network(w, [0, 1, 2, 2], ess)


def test_essential_input_fails_customer_completely() -> None:
    """A → C (1), B → C (3), C → D (4); E[x,z] = 2, E[y,z] = E[z,z] = 1; A fails.

    s_out = (1, 3, 4, 0), Σ = 8. Round 1: A is C's only supplier in essential sector x, so
    L_{C,x} = 1/1 and h_d_C = 0. Round 2: D buys only from C (non-essential): L = 4/4·1, h_d_D = 0.
    Round 3: nothing changes. Upstream: A has no suppliers, h_u = (0, 1, 1, 1).
    ESRI_down = (1·1 + 4·1)/8 = 5/8, ESRI_up = 1/8, ESRI = 5/8.
    """
    check(_four_firms(2), 0, 5 / 8, 5 / 8, 1 / 8, h_down=[0, 1, 0, 0], h_up=[0, 1, 1, 1], rounds=3)


def test_non_essential_input_loses_its_share() -> None:
    """Same network with E[x,z] = 1: A's inputs are 1/4 of C's input (s_in_C = 4).

    Round 1: h_d_C = 1 − 1/4 = 0.75. Round 2: D loses 4/4 · 0.25, h_d_D = 0.75. Round 3: no
    change. ESRI_down = (1·1 + 4·0.25)/8 = 1/4 = ESRI; ESRI_up = 1/8.
    """
    check(_four_firms(1), 0, 0.25, 0.25, 1 / 8, h_down=[0, 1, 0.75, 0.75], rounds=3)


def test_negligible_input_stops_propagation() -> None:
    """Same network with E[x,z] = 0: C does not miss A's inputs, so nothing moves downstream.

    h_d = (0, 1, 1, 1) after round 1 (no change: stop). ESRI = ESRI_down = ESRI_up = 1/8 (A's
    own output only).
    """
    check(_four_firms(0), 0, 1 / 8, 1 / 8, 1 / 8, h_down=[0, 1, 1, 1], rounds=1)


def test_negligible_link_still_carries_demand_upstream() -> None:
    """A (s) → B (t) 5, B → C (t) 5; E[s,t] = 0, E[t,t] = 2; B fails.

    s_out = (5, 5, 0). Downstream: C's only (essential) input is B: h_d_C = 0 (weight 0).
    Upstream has no essentiality: A sells everything to B, Λu_AB = 1, h_u_A = 0 in round 1.
    ESRI_down = 5/10, ESRI_up = (5 + 5)/10 = 1, ESRI = 1. A failing instead moves nothing
    downstream (E = 0) and has no suppliers: ESRI = ESRI_down = ESRI_up = 5/10.
    """
    w = np.zeros((3, 3))
    w[0, 1], w[1, 2] = 5.0, 5.0
    net = build_network(w, [0, 1, 1], [[0, 0], [0, 2]])
    check(net, 1, 1.0, 0.5, 1.0, h_down=[1, 0, 0], h_up=[0, 0, 1], rounds=2)
    check(net, 0, 0.5, 0.5, 0.5, h_down=[0, 1, 1], h_up=[0, 1, 1], rounds=1)


def _chain() -> SupplyNetwork:
    # A → B (1), X → B (3), B → C (2); one sector, linear (E = 1). Order: A, X, B, C.
    w = np.zeros((4, 4))
    w[0, 2], w[1, 2], w[2, 3] = 1.0, 3.0, 2.0
    return build_network(w, [0, 0, 0, 0], [[1]])


def test_three_firm_chain() -> None:
    """A → B → C with a second supplier X of B (X → B 3); A fails.

    s_out = (A 1, X 3, B 2, C 0), Σ = 6. Round 1: B loses 1/4 of its input, h_d_B = 0.75.
    Round 2: C loses 2/2 · 0.25, h_d_C = 0.75. Round 3: no change. Upstream: A has no suppliers.
    ESRI_down = (1·1 + 2·0.25)/6 = 1/4 = ESRI; ESRI_up = 1/6.
    """
    check(_chain(), 0, 0.25, 0.25, 1 / 6, h_down=[0, 1, 0.75, 0.75], h_up=[0, 1, 1, 1], rounds=3)


def test_firm_without_customers_hurts_only_upstream() -> None:
    """The chain's last firm C (no customers, s_out = 0) fails.

    Downstream nothing (no customers); C's own weight is 0. Upstream: B sells everything to C,
    h_u_B = 0 in round 1; then A and X sell everything to B, h_u_A = h_u_X = 0 in round 2;
    round 3 changes nothing. ESRI_up = (1 + 3 + 2)/6 = 1 = ESRI; ESRI_down = 0.
    """
    check(_chain(), 3, 1.0, 0.0, 1.0, h_down=[1, 1, 1, 0], h_up=[0, 0, 0, 0], rounds=3)


def test_replaceability_within_market() -> None:
    """A, B (sector s, one market) supply C 1 and 1; B also sells 3 to D; C and D (sector t,
    markets of their own) each sell 2 to F (sector u). E[s,t] = 2, E[t,u] = 1. A fails.

    s_out = (A 1, B 4, C 2, D 2, F 0), Σ = 9.
    Without markets: round 1 h_d_C = 1 − 1/2 = 0.5 (A is half of C's essential input);
    round 2 F loses (2/4)·0.5, h_d_F = 0.75; ESRI_down = (1 + 2·0.5)/9 = 2/9.
    With markets: A_m = 1·0 + 4·1 = 4 for A's market, σ_A = min(1, 1/4) = 1/4, so round 1
    L_C = ¼·½·1 = 1/8, h_d_C = 7/8. Round 2: C is alone in its market, A = 2·7/8 = 1.75 < 2,
    σ_C = 1, F loses (2/4)·(1/8) = 1/16, h_d_F = 15/16. Round 3: no change.
    ESRI_down = (1·1 + 2·1/8)/9 = 5/36 = ESRI; ESRI_up = 1/9 (A has no suppliers).
    """
    w = np.zeros((5, 5))
    w[0, 2], w[1, 2], w[1, 3], w[2, 4], w[3, 4] = 1.0, 1.0, 3.0, 2.0, 2.0
    sectors = [0, 0, 1, 1, 2]
    ess = np.array([[0, 2, 0], [0, 0, 1], [0, 0, 0]])
    plain = build_network(w, sectors, ess)
    check(plain, 0, 2 / 9, 2 / 9, 1 / 9, h_down=[0, 1, 0.5, 1, 0.75], rounds=3)
    replace = build_network(w, sectors, ess, markets=[0, 0, 1, 2, 3])
    check(replace, 0, 5 / 36, 5 / 36, 1 / 9, h_down=[0, 1, 7 / 8, 1, 15 / 16], rounds=3)


def _loop() -> SupplyNetwork:
    # X → A 3, X → B 3, A → B 1, B → A 1; one sector, linear. Order: X, A, B.
    w = np.zeros((3, 3))
    w[0, 1], w[0, 2], w[1, 2], w[2, 1] = 3.0, 3.0, 1.0, 1.0
    return build_network(w, [0, 0, 0], [[1]])


def test_loop_needs_several_rounds_and_tol_decides_when_to_stop() -> None:
    """X supplies A and B (3 each), A and B supply each other (1 each); linear; X fails.

    s_in_A = s_in_B = 4, so loss(t) = 3/4 + 1/4·loss(t−1) and h(t) = 4^−t for A and B; the drop
    in round t is 3·4^−t: 0.75, 0.1875, 0.047, 0.0117, 0.0029. With ε = 0.01 round 5 stops,
    h = 1/1024: s_out = (6, 1, 1), ESRI_down = (6 + 2·(1 − 1/1024))/8 = 1 − 1/4096 = ESRI.
    With ε = 0.05 round 3 stops (0.047 ≤ 0.05), h = 1/64, ESRI_down = (6 + 2·63/64)/8.
    Upstream: X has no suppliers, ESRI_up = 6/8 either way.
    """
    check(_loop(), 0, 1 - 1 / 4096, 1 - 1 / 4096, 0.75, h_down=[0, 1 / 1024, 1 / 1024], rounds=5)
    esri = (6 + 2 * 63 / 64) / 8
    check(_loop(), 0, esri, esri, 0.75, tol=0.05, h_down=[0, 1 / 64, 1 / 64], rounds=3)


def test_partial_shock_and_custom_weights() -> None:
    """The chain with ψ_A = 0.5 (A at half capacity) and weights w = (1, 1, 1, 1).

    Round 1: B loses 1/4 · 0.5 = 1/8, h_d_B = 7/8; round 2: h_d_C = 7/8; round 3: no change.
    Losses down: (0.5, 0, 1/8, 1/8); up: (0.5, 0, 0, 0).
    ESRI_down = 0.75/4 = 3/16, ESRI_up = 0.5/4 = 1/8, ESRI = 3/16.
    """
    net = _chain()
    psi = np.array([0.5, 1.0, 1.0, 1.0])
    ones = np.ones(4)
    for run in (cascade, cascade_reference):
        r = run(net, psi, weights=ones)
        assert (r.esri, r.esri_down, r.esri_up) == pytest.approx((3 / 16, 3 / 16, 1 / 8))
        np.testing.assert_allclose(r.h_down, [0.5, 1, 7 / 8, 7 / 8])
    many = scenario_esri(net, [psi, failure_psi(net, 0)], exact=True, weights=ones)
    np.testing.assert_allclose(many.esri, [3 / 16, (1 + 0.25 + 0.25) / 4])


def test_all_firms_of_the_spec_example() -> None:
    """Both firms of the spec example, all firms at once.

    Firm 2 failing: downstream it supplies only itself, so h_d = (1, 0). Upstream firm 1 sells
    half to itself and half to firm 2: h_u_1(t) = 1 − ½(1 − h_u_1(t−1)) − ½·1 = ½·h_u_1(t−1),
    the same halving as firm 1's downstream case: round 7 stops with h_u = (1/128, 0).
    ESRI_down = 1/3 (firm 2's own weight 1 of 3), ESRI_up = (2·(1 − 1/128) + 1)/3 = 1 − 1/192
    = ESRI.
    """
    net = build_network(np.array([[1.0, 1.0], [0.0, 1.0]]), [0, 0], [[2]])
    check(net, 1, 1 - 1 / 192, 1 / 3, 1 - 1 / 192, h_down=[1, 0], h_up=[1 / 128, 0], rounds=7)
    ref = firm_esri_reference(net)
    np.testing.assert_allclose(ref.esri, [1 - 1 / 384, 1 - 1 / 192])
    np.testing.assert_allclose(ref.esri_down, [1 - 1 / 384, 1 / 3])
    np.testing.assert_allclose(ref.esri_up, [2 / 3, 1 - 1 / 192])
    for exact in (True, False):
        result = firm_esri(net, exact=exact)
        np.testing.assert_allclose(result.esri, ref.esri, atol=result.max_error)


def test_inputs_are_checked() -> None:
    net = _chain()
    with pytest.raises(ValidationError, match="between 0 and 1"):
        cascade(net, [2.0, 1, 1, 1])
    with pytest.raises(ValidationError, match="one value per firm"):
        cascade(net, [0.0, 1.0])
    with pytest.raises(ValidationError, match="levels must be 0, 1 or 2"):
        build_network(np.eye(2), [0, 0], [[3]])
    with pytest.raises(ValidationError, match="negative"):
        build_network(-np.eye(2), [0, 0])
    with pytest.raises(ValidationError, match="no row in the essentiality"):
        build_network(np.eye(2), [0, 1], [[1]])
    with pytest.raises(ValidationError, match="sum to 0"):
        firm_esri(net, weights=np.zeros(4))
