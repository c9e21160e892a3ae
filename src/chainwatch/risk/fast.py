"""Compiled cascades for many shocks: frontier propagation, exact or with the fast δ mode.

The iteration of docs/systemic-risk.md recomputes every firm in every round, but a firm's new
value can differ from its old one only if one of its inputs changed. So each round pushes the
*changes* of the last round along the links (incremental sums per customer, per essential slot
and per supplier) and re-evaluates only the firms whose sums moved. With δ = 0 this is the
spec's iteration (only the summation order differs). A cascade that still touches a large part
of the network per round is handed to the batched sweep of :mod:`chainwatch.risk.esri`.

Fast mode (δ > 0) does not apply a decrease of a firm's h smaller than δ: the firm keeps its
old value until the pending decrease grows past δ, so cascades stay local. Each cascade carries
a certified bound e(t) on max_i |h_i − ĥ_i| after round t (exact h, fast ĥ):

    e(t+1) ≤ e(t) + Δσ(t) + r(t+1)

with r the largest decrease held back so far (< δ) and Δσ(t) the largest error a
replaceability factor can have given e(t) (0 without market sectors). It holds because one
round is monotone and, for fixed σ, sub-additive with coefficients summing to at most 1 per
firm (max of sector sums, a sum of input shares, a sum of sales shares). So fast losses never
exceed exact ones, and ESRI (a weighted mean of losses) lies in [ESRI_fast, ESRI_fast + e].
The ε stop rule compares the largest change with ε; the exact changes lie within e of the fast
ones, so a round can be *surely stop*, *surely continue* or *undecided*. From the first
undecided round on the cascade runs until it surely stops, and exact ESRI lies between the
value at the first undecided round and the final value plus e. The midpoint of that interval is
reported and half its width is the error bound. A cascade whose bound exceeds ``max_error``
runs again with δ/100, δ/10⁴, δ/10⁶ and finally δ = 0 (steps of 100 measured about twice as fast
as steps of 10 on the benchmark networks: fewer failed attempts for long cascades).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from chainwatch.errors import ValidationError
from chainwatch.risk.esri import DEFAULT_TOL, SIGMA_FLOOR, sweep_shocks, thread_count
from chainwatch.risk.network import FloatArray, SupplyNetwork, check_weights

DEFAULT_DELTA = 1e-4
DEFAULT_MAX_ERROR = 1e-3
RETRY_FACTOR = 0.01
RETRY_LOWEST = 1e-5  # below δ × this, the next try is exact
# A cascade that works on more than this share of (links + firms) per round on average is left
# to the batched sweep of risk.esri, which is cheaper per firm and round for large cascades.
FRONTIER_SHARE = 0.25
FRONTIER_FLOOR = 4096.0  # small networks: every cascade is cheap enough on the frontier
MAX_ROUNDS = 1_000_000
# A cascade that touched more than 1/DENSE_SHARE of the firms sums and resets whole rows in
# order instead of its touched firms one by one (random reads cost more than in-order ones).
DENSE_SHARE = 8
ROUNDING = 1e-12  # added to fast-mode bounds: sums in another order differ by rounding
DONE, RETRY, LARGE = 0, 1, 2  # cascade outcomes

Progress = Callable[[int], None]

# The compiled functions take the network as one tuple ``graph`` (see _graph) and one thread's
# scratch arrays as ``state`` (see Workspace): 9 float rows hd, hu, ψ, non-essential loss sums,
# largest essential slot loss, upstream loss sums, pushed x, old h_d, old h_u; 6 int rows
# touched list, dirty lists (down, up), changed lists (down, up), next damaged firm in market;
# 4 flag rows touched, dirty down, dirty up, damaged; slot sums; per market A_m; per market
# first damaged firm, touched list, changed list; market flags touched, changed.


@njit(cache=True)
def _touch(j, touched, touched_list, n_touched):  # type: ignore[no-untyped-def]
    if touched[j] == 0:
        touched[j] = 1
        touched_list[n_touched] = j
        n_touched += 1
    return n_touched


@njit(cache=True)
def _push_down(i, dx, graph, state, n_dirty, n_touched):  # type: ignore[no-untyped-def]
    """Add supplier i's change dx of lost output to its customers' sums."""
    out_ptr, out_dst, out_coef, out_kind, out_slot = graph[0:5]
    slot_ptr = graph[8]
    wf, wi, wb, lslot = state[0], state[1], state[2], state[3]
    acc_non, emax = wf[3], wf[4]
    touched_list, dirty_list = wi[0], wi[1]
    touched, dirty_d = wb[0], wb[1]
    for e in range(out_ptr[i], out_ptr[i + 1]):
        kind = out_kind[e]
        if kind == 0:
            continue
        j = out_dst[e]
        if kind == 2:
            s = out_slot[e]
            lslot[s] += out_coef[e] * dx
            if dx >= 0.0:
                emax[j] = max(emax[j], lslot[s])
            else:  # never in a monotone cascade; kept so the running maximum stays right
                best = 0.0
                for q in range(slot_ptr[j], slot_ptr[j + 1]):
                    best = max(best, lslot[q])
                emax[j] = best
        else:
            acc_non[j] += out_coef[e] * dx
        if dirty_d[j] == 0:
            dirty_d[j] = 1
            dirty_list[n_dirty] = j
            n_dirty += 1
            if touched[j] == 0:  # written out: a call here cost about a fifth of the loop time
                touched[j] = 1
                touched_list[n_touched] = j
                n_touched += 1
    return n_dirty, n_touched


@njit(cache=True)
def _sigma_error(bound_d, n_mt, graph, state):  # type: ignore[no-untyped-def]
    """Largest (1 − ĥ_i)(σ_i − σ̂_i) over damaged firms, given |h − ĥ| ≤ bound_d everywhere.

    The exact A_m is at least A_low = Â_m − bound_d · S_m, so σ_i ≤ min(1, s_i / A_low)."""
    s_out, market_size = graph[10], graph[11]
    hd, damaged_next = state[0][0], state[1][5]
    area, mhead, mtouched_list = state[4][0], state[5][0], state[5][1]
    worst = 0.0
    for q in range(n_mt):
        m = mtouched_list[q]
        a_hat = area[m]
        if a_hat <= SIGMA_FLOOR:
            continue  # σ̂ = 1 already, and σ ≤ 1
        a_low = a_hat - bound_d * market_size[m]
        i = mhead[m]
        while i >= 0:
            sig_hat = min(1.0, s_out[i] / a_hat)
            if sig_hat < 1.0:
                gap = 1.0 - sig_hat
                if a_low > SIGMA_FLOOR:
                    gap = min(gap, sig_hat * (a_hat / a_low - 1.0))
                worst = max(worst, (1.0 - hd[i]) * gap)
            i = damaged_next[i]
    return worst


@njit(cache=True)
def _losses(n_touched, touched_list, weights, hd, hu):  # type: ignore[no-untyped-def]
    """Σ w·(1 − min(h_d, h_u)), Σ w·(1 − h_d) and Σ w·(1 − h_u) over the touched firms (all
    firms in order when they are many: untouched ones add 0, and memory is read in order)."""
    out = np.zeros(3)
    dense = n_touched > hd.shape[0] // DENSE_SHARE
    for q in range(hd.shape[0] if dense else n_touched):
        j = q if dense else touched_list[q]
        ld = 1.0 - hd[j]
        lu = 1.0 - hu[j]
        out[0] += weights[j] * max(ld, lu)
        out[1] += weights[j] * ld
        out[2] += weights[j] * lu
    return out


@njit(cache=True)
def _cascade(sidx, sval, tol, delta, max_error, budget, keep_state, graph, state):  # type: ignore[no-untyped-def]
    """One cascade from the shocked firms ``sidx`` (ψ = ``sval``; every other ψ is 1).

    Returns (esri, esri_down, esri_up, rounds, error_bound, outcome): DONE; RETRY, the bound
    exceeds ``max_error`` (try a smaller δ); LARGE, the cascade did more than ``budget`` work
    per round on average (``budget`` ≤ 0: no limit). The state is left clean for the next
    cascade unless ``keep_state``.
    """
    out_ptr, in_ptr, in_src, in_coef, slot_ptr = graph[0], graph[5], graph[6], graph[7], graph[8]
    markets, s_out, market_size, weights, weight_total = graph[9:14]
    wf, wi, wb, wslot, wmf, wmi, wmb = state
    hd, hu, psi, acc_non, emax = wf[0], wf[1], wf[2], wf[3], wf[4]
    acc_up, xd, old_d, old_u = wf[5], wf[6], wf[7], wf[8]
    touched_list, dirty_d_list, dirty_u_list = wi[0], wi[1], wi[2]
    changed_d, changed_u, damaged_next = wi[3], wi[4], wi[5]
    touched, dirty_d, dirty_u, damaged = wb[0], wb[1], wb[2], wb[3]
    area = wmf[0]
    mhead, mtouched_list, mchanged_list = wmi[0], wmi[1], wmi[2]
    mtouched, mchanged = wmb[0], wmb[1]
    has_markets = markets.shape[0] > 0

    n_touched = 0
    n_cd = 0
    n_cu = 0
    n_mt = 0
    for s in range(sidx.shape[0]):
        i = sidx[s]
        if sval[s] >= 1.0:
            continue
        n_touched = _touch(i, touched, touched_list, n_touched)
        psi[i] = sval[s]
        changed_d[n_cd] = i
        old_d[n_cd] = hd[i]
        n_cd += 1
        hd[i] = sval[s]
        changed_u[n_cu] = i
        old_u[n_cu] = hu[i]
        n_cu += 1
        hu[i] = sval[s]

    rounds = 0
    window = False
    low = np.zeros(3)
    bound_d = 0.0
    bound_u = 0.0
    held_d = 0.0
    held_u = 0.0
    outcome = DONE
    work = 0
    while True:
        # Upstream: a customer's lost demand reaches its suppliers through Λu.
        n_du = 0
        for c in range(n_cu):
            j = changed_u[c]
            dl = old_u[c] - hu[j]
            work += in_ptr[j + 1] - in_ptr[j]
            for e in range(in_ptr[j], in_ptr[j + 1]):
                i = in_src[e]
                acc_up[i] += in_coef[e] * dl
                if dirty_u[i] == 0:
                    dirty_u[i] = 1
                    dirty_u_list[n_du] = i
                    n_du += 1
                    if touched[i] == 0:  # written out, as in _push_down
                        touched[i] = 1
                        touched_list[n_touched] = i
                        n_touched += 1

        # Downstream: a supplier's lost output x_i = σ_i (1 − h_d_i) reaches its customers.
        n_dd = 0
        sigma_term = 0.0
        if has_markets:
            n_mc = 0
            for c in range(n_cd):
                i = changed_d[c]
                m = markets[i]
                area[m] -= s_out[i] * (old_d[c] - hd[i])
                if mtouched[m] == 0:
                    mtouched[m] = 1
                    mtouched_list[n_mt] = m
                    n_mt += 1
                if damaged[i] == 0:
                    damaged[i] = 1
                    damaged_next[i] = mhead[m]
                    mhead[m] = i
                if mchanged[m] == 0:
                    mchanged[m] = 1
                    mchanged_list[n_mc] = m
                    n_mc += 1
            if delta > 0.0 and bound_d > 0.0:
                sigma_term = _sigma_error(bound_d, n_mt, graph, state)
            # A_m changed: σ of every damaged firm in market m changes.
            for q in range(n_mc):
                m = mchanged_list[q]
                mchanged[m] = 0
                i = mhead[m]
                while i >= 0:
                    sig = 1.0 if area[m] <= SIGMA_FLOOR else min(1.0, s_out[i] / area[m])
                    x = sig * (1.0 - hd[i])
                    dx = x - xd[i]
                    if dx != 0.0:
                        xd[i] = x
                        work += out_ptr[i + 1] - out_ptr[i]
                        n_dd, n_touched = _push_down(i, dx, graph, state, n_dd, n_touched)
                    i = damaged_next[i]
        else:
            for c in range(n_cd):
                i = changed_d[c]
                x = 1.0 - hd[i]
                dx = x - xd[i]
                if dx != 0.0:
                    xd[i] = x
                    work += out_ptr[i + 1] - out_ptr[i]
                    n_dd, n_touched = _push_down(i, dx, graph, state, n_dd, n_touched)
        rounds += 1
        work += n_dd + n_du

        # Re-evaluate only the firms whose sums moved; all others keep h (h' = h).
        change_d = 0.0
        n_cd = 0
        for q in range(n_dd):
            j = dirty_d_list[q]
            dirty_d[j] = 0
            new = max(min(1.0 - emax[j], 1.0 - acc_non[j], psi[j]), 0.0)
            d = hd[j] - new
            if d > delta:
                changed_d[n_cd] = j
                old_d[n_cd] = hd[j]
                n_cd += 1
                hd[j] = new
                change_d = max(change_d, d)
            elif d > held_d:
                held_d = d
        change_u = 0.0
        n_cu = 0
        for q in range(n_du):
            j = dirty_u_list[q]
            dirty_u[j] = 0
            new = max(min(psi[j], 1.0 - acc_up[j]), 0.0)
            d = hu[j] - new
            if d > delta:
                changed_u[n_cu] = j
                old_u[n_cu] = hu[j]
                n_cu += 1
                hu[j] = new
                change_u = max(change_u, d)
            elif d > held_u:
                held_u = d

        if delta > 0.0:
            # Exact changes lie within [fast − bound before, fast + bound after], per direction.
            before_d, before_u = bound_d, bound_u
            bound_d += sigma_term + held_d
            bound_u += held_u
            if max(bound_d, bound_u) > 2.0 * max_error:
                outcome = RETRY  # give up early
                break
            if change_d + bound_d <= tol and change_u + bound_u <= tol:
                break  # the exact iteration stops in this round or earlier
            if not window and change_d - before_d <= tol and change_u - before_u <= tol:
                window = True  # the exact iteration might stop in this round
                low = _losses(n_touched, touched_list, weights, hd, hu)
        elif max(change_d, change_u) <= tol:
            break
        if budget > 0.0 and work > budget * rounds:
            outcome = LARGE
            break
        if rounds >= MAX_ROUNDS:
            outcome = RETRY
            break

    high = _losses(n_touched, touched_list, weights, hd, hu)
    if not window:
        low = high
    bounds = (max(bound_d, bound_u), bound_d, bound_u)
    mid = np.empty(3)
    half = 0.0
    for q in range(3):
        top = high[q] + weight_total * bounds[q]
        mid[q] = 0.5 * (low[q] + top) / weight_total
        half = max(half, 0.5 * (top - low[q]) / weight_total)
    if delta > 0.0:
        half += ROUNDING
    if half > max_error and outcome == DONE:
        outcome = RETRY
    if not keep_state:
        if n_touched > hd.shape[0] // DENSE_SHARE:
            wf[0:3] = 1.0  # h_d, h_u, ψ back to 1, sums and pushed x back to 0, row by row
            wf[3:7] = 0.0
            wslot[:] = 0.0
            touched[:] = 0
            damaged[:] = 0
        else:
            for q in range(n_touched):
                j = touched_list[q]
                for row in range(7):  # the same, firm by firm
                    wf[row, j] = 1.0 if row < 3 else 0.0
                for s in range(slot_ptr[j], slot_ptr[j + 1]):
                    wslot[s] = 0.0
                touched[j] = 0
                damaged[j] = 0
        for q in range(n_mt):
            m = mtouched_list[q]
            area[m] = market_size[m]
            mhead[m] = -1
            mtouched[m] = 0
    return mid[0], mid[1], mid[2], rounds, half, outcome


@njit(cache=True, nogil=True)
def _cascade_list(
    order,
    shock_ptr,
    shock_idx,
    shock_val,
    tol,
    delta,
    max_error,
    budget,
    graph,  # type: ignore[no-untyped-def]
    state,
    results,
):
    """Cascades of the shocks listed in ``order`` on one thread's scratch arrays. ``results``
    rows: esri, down, up, rounds, bound, δ finished with (0: exact; −1: large, left to the
    sweep). Runs without the GIL, so several Python threads run it at once."""
    for s in order:
        a = shock_ptr[s]
        b = shock_ptr[s + 1]
        d = delta
        while True:
            r = _cascade(
                shock_idx[a:b], shock_val[a:b], tol, d, max_error, budget, False, graph, state
            )
            if r[5] != RETRY or d <= 0.0:
                break
            d = d * RETRY_FACTOR if d > delta * RETRY_LOWEST else 0.0
        results[0, s], results[1, s], results[2, s] = r[0], r[1], r[2]
        results[3, s], results[4, s] = r[3], r[4]
        results[5, s] = -1.0 if r[5] == LARGE else d


@dataclass(frozen=True)
class Workspace:
    """Scratch arrays for ``threads`` cascades at once, in the 'no shock' state."""

    wf: FloatArray
    wi: npt.NDArray[np.int32]
    wb: npt.NDArray[np.uint8]
    wslot: FloatArray
    wmf: FloatArray
    wmi: npt.NDArray[np.int32]
    wmb: npt.NDArray[np.uint8]

    @classmethod
    def allocate(cls, network: SupplyNetwork, threads: int) -> Workspace:
        n = network.size
        k = network.kernel
        markets = k.market_size.size
        wf = np.zeros((threads, 9, n))
        wf[:, 0:3, :] = 1.0  # h_d, h_u, ψ
        wmf = np.zeros((threads, 1, markets))
        wmf[:, 0, :] = k.market_size
        wmi = np.zeros((threads, 3, markets), dtype=np.int32)
        wmi[:, 0, :] = -1
        return cls(
            wf=wf,
            wi=np.zeros((threads, 6, n), dtype=np.int32),
            wb=np.zeros((threads, 4, n), dtype=np.uint8),
            wslot=np.zeros((threads, int(k.slot_ptr[-1]))),
            wmf=wmf,
            wmi=wmi,
            wmb=np.zeros((threads, 2, markets), dtype=np.uint8),
        )

    def arrays(self) -> tuple[npt.NDArray[np.generic], ...]:
        return (self.wf, self.wi, self.wb, self.wslot, self.wmf, self.wmi, self.wmb)

    def thread(self, t: int) -> tuple[npt.NDArray[np.generic], ...]:
        return tuple(a[t] for a in self.arrays())


def _graph(network: SupplyNetwork, weights: FloatArray) -> tuple[object, ...]:
    k = network.kernel
    markets = np.zeros(0, dtype=np.int32) if network.markets is None else network.markets
    return (
        k.out_ptr,
        k.out_dst,
        k.out_coef,
        k.out_kind,
        k.out_slot,
        k.in_ptr,
        k.in_src,
        k.in_coef,
        k.slot_ptr,
        markets,
        network.out_strength,
        k.market_size,
        weights,
        float(weights.sum()),
    )


@dataclass(frozen=True)
class KernelCascade:
    h_down: FloatArray
    h_up: FloatArray
    rounds: int
    esri: float
    esri_down: float
    esri_up: float


def cascade_kernel(
    network: SupplyNetwork, psi: FloatArray, tol: float, weights: FloatArray
) -> KernelCascade:
    """One exact cascade for any ψ, keeping the final h vectors (for risk.esri.cascade)."""
    shocked = np.flatnonzero(psi < 1.0)
    ws = Workspace.allocate(network, 1)
    r = _cascade(
        shocked.astype(np.int64),
        psi[shocked].astype(np.float64),
        float(tol),
        0.0,
        1.0,
        0.0,
        True,
        _graph(network, weights),
        ws.thread(0),
    )
    return KernelCascade(
        h_down=ws.wf[0, 0].copy(),
        h_up=ws.wf[0, 1].copy(),
        rounds=int(r[3]),
        esri=float(r[0]),
        esri_down=float(r[1]),
        esri_up=float(r[2]),
    )


@dataclass(frozen=True)
class ScenarioESRI:
    """ESRI of many shocks (for all-firm ESRI: shock k fails firm k).

    ``error_bound[s]`` bounds |ESRI − exact ESRI| of shock s and of its down/upstream parts;
    ``delta_used[s]`` is the δ it finished with (0: computed exactly, bound 0).
    """

    esri: FloatArray
    esri_down: FloatArray
    esri_up: FloatArray
    rounds: npt.NDArray[np.int32]
    error_bound: FloatArray
    delta_used: FloatArray
    mode: str
    tol: float
    delta: float
    max_error: float

    @property
    def largest_error_bound(self) -> float:
        return float(self.error_bound.max()) if self.error_bound.size else 0.0


def _check_tolerances(tol: float, delta: float, max_error: float) -> None:
    if not (np.isfinite(tol) and tol >= 0):
        raise ValidationError(f"tol (ε) must be a number ≥ 0, got {tol!r}.")
    if not (np.isfinite(delta) and delta >= 0):
        raise ValidationError(
            f"delta (δ) must be a number ≥ 0, got {delta!r}; a smaller δ is "
            "slower and more accurate, 0 is exact."
        )
    if not (np.isfinite(max_error) and max_error >= 0):
        raise ValidationError(f"max_error must be a number ≥ 0, got {max_error!r}.")


def _heaviest_first(
    network: SupplyNetwork, shock_ptr: npt.NDArray[np.int64], shock_idx: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Shock order by the links of the shocked firms, most first: the long cascades start early
    and the short ones fill the end, so no thread waits alone on a hub at the end."""
    k = network.kernel
    degree = np.diff(k.out_ptr) + np.diff(k.in_ptr)
    reach = np.zeros(shock_idx.size + 1, dtype=np.int64)
    np.cumsum(degree[shock_idx], out=reach[1:])
    cost = reach[shock_ptr[1:]] - reach[shock_ptr[:-1]]
    return np.argsort(-cost, kind="stable").astype(np.int64)


def _frontier(
    network: SupplyNetwork,
    shocks: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray],
    limits: tuple[float, float, float, float],
    graph: tuple[object, ...],
    threads: int,
    results: FloatArray,
    batch_size: int | None,
    progress: Progress | None,
) -> None:
    """Frontier cascades of all shocks on ``threads`` Python threads, each taking the next
    piece of the shock list when it is done with its last one (dynamic scheduling: cascade
    lengths vary by orders of magnitude, so fixed shares leave one thread idle)."""
    shock_ptr = shocks[0]
    count = shock_ptr.size - 1
    ws = Workspace.allocate(network, threads)
    order = _heaviest_first(network, shock_ptr, shocks[1])
    step = batch_size or max(1, min(256, count // (64 * threads) + 1))
    pieces = iter([order[i : i + step] for i in range(0, count, step)])
    lock = threading.Lock()
    failed: list[BaseException] = []

    def work(t: int) -> None:
        state = ws.thread(t)
        while True:
            with lock:
                piece = None if failed else next(pieces, None)
            if piece is None:
                return
            try:
                _cascade_list(piece, *shocks, *limits, graph, state, results)
                if progress is not None:
                    with lock:
                        progress(int((results[5, piece] >= 0).sum()))
            except BaseException as exc:
                failed.append(exc)
                raise

    if threads == 1:
        work(0)
        return
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(work, t) for t in range(threads)]:
            done.result()


def run_shocks(
    network: SupplyNetwork,
    shock_ptr: npt.NDArray[np.int64],
    shock_idx: npt.NDArray[np.int64],
    shock_val: FloatArray,
    *,
    exact: bool = False,
    tol: float = DEFAULT_TOL,
    delta: float = DEFAULT_DELTA,
    max_error: float = DEFAULT_MAX_ERROR,
    weights: npt.ArrayLike | None = None,
    threads: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
    frontier_budget: float | None = None,
) -> ScenarioESRI:
    """ESRI of shocks in compressed form: shock s sets ψ = shock_val at shock_idx for entries
    shock_ptr[s]:shock_ptr[s+1]; firms not listed keep ψ = 1.

    ``frontier_budget``: work per round (link and firm updates) beyond which a single-firm
    cascade goes to the batched sweep; default max(FRONTIER_SHARE · (links + firms),
    FRONTIER_FLOOR). ``progress(n)`` is called as shocks finish, from the worker threads, one
    call at a time.
    """
    delta = 0.0 if exact else float(delta)
    _check_tolerances(tol, delta, max_error)
    w = check_weights(network, weights)
    count = shock_ptr.size - 1
    if shock_idx.size and (shock_idx.min() < 0 or shock_idx.max() >= network.size):
        raise ValidationError(f"shocked firm indices must lie in 0..{network.size - 1}.")
    if shock_val.size and not (
        np.isfinite(shock_val).all() and shock_val.min() >= 0 and shock_val.max() <= 1
    ):
        raise ValidationError("ψ (remaining capacity) must lie between 0 and 1.")
    results = np.zeros((6, count))
    # Large cascades go to the batched sweep, which takes one shocked firm per shock.
    single = count > 0 and bool((np.diff(shock_ptr) == 1).all())
    if frontier_budget is None:
        frontier_budget = max(FRONTIER_SHARE * (network.links + network.size), FRONTIER_FLOOR)
    budget = float(frontier_budget) if single else 0.0
    with thread_count(network, threads) as used:
        _frontier(
            network,
            (shock_ptr, shock_idx, shock_val),
            (float(tol), delta, float(max_error), budget),
            _graph(network, w),
            used,
            results,
            batch_size,
            progress,
        )
        large = np.flatnonzero(results[5] < 0)
        chunk = max(256, large.size // 20 + 1)
        for start in range(0, large.size, chunk):
            part = large[start : start + chunk]
            swept = sweep_shocks(
                network,
                shock_idx[shock_ptr[part]],
                shock_val[shock_ptr[part]],
                tol=float(tol),
                weights=w,
                threads=used,
            )
            results[0:4, part] = (swept.esri, swept.esri_down, swept.esri_up, swept.rounds)
            results[4:6, part] = 0.0
            if progress is not None:
                progress(part.size)
    return ScenarioESRI(
        esri=results[0],
        esri_down=results[1],
        esri_up=results[2],
        rounds=results[3].astype(np.int32),
        error_bound=results[4],
        delta_used=results[5],
        mode="exact" if exact else "fast",
        tol=float(tol),
        delta=delta,
        max_error=float(max_error),
    )


def firm_esri(
    network: SupplyNetwork,
    firms: Sequence[int] | npt.ArrayLike | None = None,
    *,
    exact: bool = False,
    tol: float = DEFAULT_TOL,
    delta: float = DEFAULT_DELTA,
    max_error: float = DEFAULT_MAX_ERROR,
    weights: npt.ArrayLike | None = None,
    threads: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
    frontier_budget: float | None = None,
) -> ScenarioESRI:
    """ESRI of every firm in ``firms`` (default: all) failing alone (ψ_k = 0).

    Split ``firms`` into batches to spread the work over processes or machines; the results do
    not depend on the split. ``exact=True`` gives the reference iteration (to rounding);
    otherwise every result carries ``error_bound`` ≤ ``max_error``.
    """
    idx = (
        np.arange(network.size, dtype=np.int64)
        if firms is None
        else np.asarray(firms, dtype=np.int64).ravel()
    )
    return run_shocks(
        network,
        np.arange(idx.size + 1, dtype=np.int64),
        idx,
        np.zeros(idx.size),
        exact=exact,
        tol=tol,
        delta=delta,
        max_error=max_error,
        weights=weights,
        threads=threads,
        batch_size=batch_size,
        progress=progress,
        frontier_budget=frontier_budget,
    )


def scenario_esri(
    network: SupplyNetwork,
    psis: Sequence[npt.ArrayLike] | npt.NDArray[np.float64],
    *,
    exact: bool = False,
    tol: float = DEFAULT_TOL,
    delta: float = DEFAULT_DELTA,
    max_error: float = DEFAULT_MAX_ERROR,
    weights: npt.ArrayLike | None = None,
    threads: int | None = None,
    progress: Progress | None = None,
) -> ScenarioESRI:
    """ESRI of several ψ vectors (rows of ``psis``, one value per firm each)."""
    rows = [np.asarray(p, dtype=np.float64) for p in psis]
    for r, row in enumerate(rows):
        if row.shape != (network.size,):
            raise ValidationError(
                f"scenario {r}: ψ must have one value per firm "
                f"({network.size}), got shape {row.shape}."
            )
    hit = [np.flatnonzero(row < 1.0) for row in rows]
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([h.size for h in hit], out=ptr[1:])
    idx = np.concatenate(hit).astype(np.int64) if hit else np.zeros(0, dtype=np.int64)
    val = np.concatenate([row[h] for row, h in zip(rows, hit, strict=True)]) if hit else np.zeros(0)
    return run_shocks(
        network,
        ptr,
        idx,
        val,
        exact=exact,
        tol=tol,
        delta=delta,
        max_error=max_error,
        weights=weights,
        threads=threads,
        progress=progress,
    )
