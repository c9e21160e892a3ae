"""Cascades for any shock ψ and the economic systemic risk index (ESRI), exact semantics.

The model is Diem et al. (2022), Sci Rep 12:7719, as stated in docs/systemic-risk.md:
downstream (supply) and upstream (demand) shocks, sector essentiality 0/1/2, optional
replaceability within market sectors, iteration from h_d = h_u = ψ until no firm's h drops by
more than ε in a round.

:func:`cascade` runs one shock with the compiled frontier kernel of
:mod:`chainwatch.risk.fast` (exact). :func:`sweep_shocks` runs many single-firm shocks side by
side, every round sweeping all firms for all of them (exact; used for large cascades).
:func:`cascade_reference` iterates the spec's equations literally with scipy.sparse products for
every firm in every round; it is slow, independent of the engines' precompute, and is what the
tests and the benchmark compare against. :func:`firm_esri_reference` is the per-firm loop
baseline built on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from numba import njit, prange

from chainwatch.errors import ValidationError
from chainwatch.risk.network import (
    ESSENTIAL,
    NON_ESSENTIAL,
    FloatArray,
    SupplyNetwork,
    check_weights,
)

DEFAULT_TOL = 0.01
SIGMA_FLOOR = 1e-10  # A_m at or below this: no replacement (σ = 1), as in the spec
BLOCK = 256  # firms per parallel work item in the batched sweep
DENSE_MEMORY = 512 << 20  # bytes of lane state the batched sweep may use
MAX_LANES = 32
SMALL_NETWORK = 20_000  # links + firms below which one thread beats waking more


@contextmanager
def thread_count(network: SupplyNetwork, threads: int | None) -> Iterator[int]:
    """Use ``threads`` compiled threads (default: all, or one for a small network)."""
    if threads is not None and threads < 1:
        raise ValidationError(f"threads must be ≥ 1, got {threads}.")
    before = numba.get_num_threads()
    if threads is None:
        wanted = 1 if network.links + network.size < SMALL_NETWORK else before
    else:
        wanted = min(threads, numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    numba.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        numba.set_num_threads(before)


@dataclass(frozen=True)
class CascadeResult:
    """Final production levels after a cascade and the ESRI numbers they give."""

    h_down: FloatArray  # h_d: remaining production after supply (downstream) shocks
    h_up: FloatArray  # h_u: remaining production after demand (upstream) shocks
    rounds: int
    esri: float
    esri_down: float
    esri_up: float


def systemic_risk_index(
    h_down: npt.ArrayLike, h_up: npt.ArrayLike, weights: npt.ArrayLike
) -> tuple[float, float, float]:
    """(ESRI, ESRI_down, ESRI_up): weighted mean losses 1 − min(h_d, h_u), 1 − h_d, 1 − h_u."""
    hd = np.asarray(h_down, dtype=np.float64)
    hu = np.asarray(h_up, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    return (
        float(w @ (1.0 - np.minimum(hd, hu)) / total),
        float(w @ (1.0 - hd) / total),
        float(w @ (1.0 - hu) / total),
    )


def check_psi(network: SupplyNetwork, psi: npt.ArrayLike) -> FloatArray:
    values = np.asarray(psi, dtype=np.float64)
    if values.shape != (network.size,):
        raise ValidationError(
            f"ψ must have one value per firm ({network.size}), got shape {values.shape}."
        )
    if not np.isfinite(values).all() or (values.size and (values.min() < 0 or values.max() > 1)):
        raise ValidationError("ψ (remaining production capacity) must lie between 0 and 1.")
    return values


def failure_psi(network: SupplyNetwork, firm: int) -> FloatArray:
    """ψ = 1 everywhere except ψ_firm = 0: the shock behind a firm's ESRI."""
    psi = np.ones(network.size)
    psi[firm] = 0.0
    return psi


def cascade(
    network: SupplyNetwork,
    psi: npt.ArrayLike,
    *,
    tol: float = DEFAULT_TOL,
    weights: npt.ArrayLike | None = None,
) -> CascadeResult:
    """Propagate the shock ψ (remaining capacity per firm, 1 = untouched) exactly."""
    values = check_psi(network, psi)
    if not (np.isfinite(tol) and tol >= 0):
        raise ValidationError(f"tol (ε) must be a number ≥ 0, got {tol!r}.")
    w = check_weights(network, weights)
    from chainwatch.risk.fast import cascade_kernel  # fast imports this module

    r = cascade_kernel(network, values, float(tol), w)
    return CascadeResult(
        h_down=r.h_down,
        h_up=r.h_up,
        rounds=r.rounds,
        esri=r.esri,
        esri_down=r.esri_down,
        esri_up=r.esri_up,
    )


class ReferenceModel:
    """The spec's equations, one sparse product per term, rebuilt from W, p, E and pm."""

    def __init__(self, network: SupplyNetwork) -> None:
        w = network.matrix.tocoo()
        n = network.size
        p = network.sectors.astype(np.int64)
        sector_count = network.sector_count
        self.size = n
        self.s_out = np.asarray(network.matrix.sum(axis=1)).ravel()
        s_in = np.asarray(network.matrix.sum(axis=0)).ravel()
        # Π_jk = Σ_{i: p_i = k} W_ij
        indicator = sp.csr_matrix((np.ones(n), (np.arange(n), p)), shape=(n, sector_count))
        pi = np.asarray((network.matrix.T @ indicator).todense())
        level = network.essentiality[p[w.row], p[w.col]]
        ess = level == ESSENTIAL
        lin = level == NON_ESSENTIAL
        self.down_essential = sp.csr_matrix(
            (w.data[ess] / pi[w.col[ess], p[w.row[ess]]], (w.row[ess], w.col[ess])), shape=(n, n)
        )
        self.down_linear = sp.csr_matrix(
            (w.data[lin] / s_in[w.col[lin]], (w.row[lin], w.col[lin])), shape=(n, n)
        )
        with np.errstate(divide="ignore"):
            inv_out = np.where(self.s_out > 0, 1.0 / self.s_out, 0.0)
        self.up = sp.diags(inv_out) @ network.matrix
        self.indicator = indicator
        self.markets = network.markets

    def sigma(self, h_down: FloatArray) -> FloatArray:
        if self.markets is None:
            return np.ones(self.size)
        area = np.bincount(self.markets, weights=self.s_out * h_down)[self.markets]
        safe = np.where(area > SIGMA_FLOOR, area, 1.0)
        return np.where(area <= SIGMA_FLOOR, 1.0, np.minimum(1.0, self.s_out / safe))

    def step(
        self, psi: FloatArray, h_down: FloatArray, h_up: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        x = self.sigma(h_down) * (1.0 - h_down)
        # L[j, k] = Σ_{i: p_i = k} σ_i Λd_ij (1 − h_d_i), essential inputs only.
        losses = (self.down_essential.T.multiply(x[np.newaxis, :])).tocsr() @ self.indicator
        essential = np.asarray(losses.max(axis=1).todense()).ravel()
        linear = self.down_linear.T @ x
        new_down = np.maximum(0.0, np.minimum(np.minimum(1.0 - essential, 1.0 - linear), psi))
        new_up = np.maximum(0.0, np.minimum(psi, 1.0 - self.up @ (1.0 - h_up)))
        return new_down, new_up

    def run(self, psi: FloatArray, tol: float) -> tuple[FloatArray, FloatArray, int]:
        h_down = psi.copy()
        h_up = psi.copy()
        rounds = 0
        while True:
            new_down, new_up = self.step(psi, h_down, h_up)
            rounds += 1
            change = max(
                float(np.max(h_down - new_down, initial=0.0)),
                float(np.max(h_up - new_up, initial=0.0)),
            )
            h_down, h_up = new_down, new_up
            if change <= tol:
                return h_down, h_up, rounds


def cascade_reference(
    network: SupplyNetwork,
    psi: npt.ArrayLike,
    *,
    tol: float = DEFAULT_TOL,
    weights: npt.ArrayLike | None = None,
    model: ReferenceModel | None = None,
) -> CascadeResult:
    """The straightforward iteration (every firm, every round); for tests and baselines."""
    values = check_psi(network, psi)
    w = check_weights(network, weights)
    h_down, h_up, rounds = (model or ReferenceModel(network)).run(values, float(tol))
    esri, down, up = systemic_risk_index(h_down, h_up, w)
    return CascadeResult(
        h_down=h_down, h_up=h_up, rounds=rounds, esri=esri, esri_down=down, esri_up=up
    )


@dataclass(frozen=True)
class ReferenceESRI:
    firms: npt.NDArray[np.int64]
    esri: FloatArray
    esri_down: FloatArray
    esri_up: FloatArray
    rounds: npt.NDArray[np.int32]


def firm_esri_reference(
    network: SupplyNetwork,
    firms: Sequence[int] | npt.ArrayLike | None = None,
    *,
    tol: float = DEFAULT_TOL,
    weights: npt.ArrayLike | None = None,
) -> ReferenceESRI:
    """The per-firm loop baseline: one full reference cascade per firm."""
    idx = (
        np.arange(network.size, dtype=np.int64)
        if firms is None
        else np.asarray(firms, dtype=np.int64).ravel()
    )
    w = check_weights(network, weights)
    model = ReferenceModel(network)
    out = np.zeros((3, idx.size))
    rounds = np.zeros(idx.size, dtype=np.int32)
    for q, firm in enumerate(idx):
        h_down, h_up, rounds[q] = model.run(failure_psi(network, int(firm)), float(tol))
        out[:, q] = systemic_risk_index(h_down, h_up, w)
    return ReferenceESRI(firms=idx, esri=out[0], esri_down=out[1], esri_up=out[2], rounds=rounds)


@njit(cache=True)
def _sweep_block(
    blk,
    graph,
    hd,
    hu,
    hd_new,
    hu_new,
    area,
    lane_node,
    lane_val,
    block_change,  # type: ignore[no-untyped-def]
    block_loss,
):
    """One round for the firms of block ``blk`` in every lane: pull inputs and demand."""
    in_ptr, in_src, in_down, in_kind, in_slot, out_ptr, out_dst, out_up = graph[0:8]
    markets, s_out, weights = graph[8], graph[9], graph[10]
    n, b = hd.shape
    has_markets = markets.shape[0] > 0
    cur = np.zeros(b)
    best = np.zeros(b)
    lin = np.zeros(b)
    up = np.zeros(b)
    change = np.zeros(b)
    loss = np.zeros((3, b))
    for j in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
        best[:] = 0.0
        lin[:] = 0.0
        cur[:] = 0.0
        up[:] = 0.0
        slot = -1
        for e in range(in_ptr[j], in_ptr[j + 1]):
            kind = in_kind[e]
            if kind == 0:
                continue
            i = in_src[e]
            c = in_down[e]
            if kind == 2 and in_slot[e] != slot:  # a new (customer, supplier sector) slot
                for lane in range(b):
                    best[lane] = max(best[lane], cur[lane])
                    cur[lane] = 0.0
                slot = in_slot[e]
            for lane in range(b):
                v = c * (1.0 - hd[i, lane])
                if has_markets:
                    a = area[markets[i], lane]
                    if a > SIGMA_FLOOR:
                        v *= min(1.0, s_out[i] / a)
                if kind == 2:
                    cur[lane] += v
                else:
                    lin[lane] += v
        for e in range(out_ptr[j], out_ptr[j + 1]):
            d = out_dst[e]
            c = out_up[e]
            for lane in range(b):
                up[lane] += c * (1.0 - hu[d, lane])
        w = weights[j]
        for lane in range(b):
            best[lane] = max(best[lane], cur[lane])
            psi = lane_val[lane] if j == lane_node[lane] else 1.0
            nd = max(0.0, min(min(1.0 - best[lane], 1.0 - lin[lane]), psi))
            nu = max(0.0, min(psi, 1.0 - up[lane]))
            change[lane] = max(change[lane], max(hd[j, lane] - nd, hu[j, lane] - nu))
            hd_new[j, lane] = nd
            hu_new[j, lane] = nu
            loss[0, lane] += w * max(1.0 - nd, 1.0 - nu)
            loss[1, lane] += w * (1.0 - nd)
            loss[2, lane] += w * (1.0 - nu)
    block_change[blk, :] = change
    block_loss[blk, :, :] = loss


@njit(cache=True, parallel=True)
def _sweep_round(
    graph,
    hd,
    hu,
    hd_new,
    hu_new,
    area,
    lane_node,
    lane_val,
    block_change,  # type: ignore[no-untyped-def]
    block_loss,
):
    for blk in prange(block_change.shape[0]):
        _sweep_block(
            blk, graph, hd, hu, hd_new, hu_new, area, lane_node, lane_val, block_change, block_loss
        )


@njit(cache=True)
def _sweeps(shock_idx, shock_val, tol, lanes, market_count, weight_total, graph, results):  # type: ignore[no-untyped-def]
    """Run the shocks through ``lanes`` side-by-side iterations; ``results`` rows: esri, down,
    up, rounds."""
    markets, s_out = graph[8], graph[9]
    n = graph[0].shape[0] - 1
    count = shock_idx.shape[0]
    b = lanes
    hd = np.ones((n, b))
    hu = np.ones((n, b))
    hd_new = np.ones((n, b))
    hu_new = np.ones((n, b))
    lane_shock = np.full(b, -1, dtype=np.int64)
    lane_node = np.full(b, -1, dtype=np.int64)
    lane_val = np.ones(b)
    lane_rounds = np.zeros(b, dtype=np.int64)
    area = np.zeros((max(market_count, 1), b))
    blocks = (n + BLOCK - 1) // BLOCK
    block_change = np.zeros((blocks, b))
    block_loss = np.zeros((blocks, 3, b))
    next_shock = 0
    active = 0
    while True:
        # Idle lanes take the next shock: h = ψ, 1 except at the shocked firm.
        for lane in range(b):
            if lane_shock[lane] < 0 and next_shock < count:
                k = shock_idx[next_shock]
                lane_shock[lane] = next_shock
                lane_node[lane] = k
                lane_val[lane] = shock_val[next_shock]
                lane_rounds[lane] = 0
                hd[k, lane] = shock_val[next_shock]
                hu[k, lane] = shock_val[next_shock]
                next_shock += 1
                active += 1
        if active == 0:
            break
        if markets.shape[0] > 0:
            area[:, :] = 0.0
            for i in range(n):
                for lane in range(b):
                    area[markets[i], lane] += s_out[i] * hd[i, lane]
        _sweep_round(
            graph, hd, hu, hd_new, hu_new, area, lane_node, lane_val, block_change, block_loss
        )
        hd, hd_new = hd_new, hd
        hu, hu_new = hu_new, hu
        for lane in range(b):
            s = lane_shock[lane]
            if s < 0:
                continue
            lane_rounds[lane] += 1
            if block_change[:, lane].max() > tol:
                continue
            for q in range(3):
                results[q, s] = block_loss[:, q, lane].sum() / weight_total
            results[3, s] = lane_rounds[lane]
            hd[:, lane] = 1.0
            hu[:, lane] = 1.0
            lane_shock[lane] = -1
            lane_node[lane] = -1
            lane_val[lane] = 1.0
            active -= 1


@dataclass(frozen=True)
class SweepESRI:
    esri: FloatArray
    esri_down: FloatArray
    esri_up: FloatArray
    rounds: npt.NDArray[np.int32]


def sweep_shocks(
    network: SupplyNetwork,
    shock_idx: npt.NDArray[np.int64],
    shock_val: FloatArray,
    *,
    tol: float,
    weights: FloatArray,
    lanes: int | None = None,
    threads: int | None = None,
) -> SweepESRI:
    """Exact ESRI of single-firm shocks (ψ = shock_val at shock_idx), many at a time.

    Every round sweeps all firms for a batch of shocks ("lanes") held side by side, pulling
    each firm's inputs (downstream) and customers' demand (upstream) — the spec's iteration
    as sparse × dense products. A lane whose shock has converged takes the next shock at once.
    It pays off for large cascades, which touch most firms in most rounds anyway.
    """
    k = network.kernel
    n = max(network.size, 1)
    count = shock_idx.size
    b = lanes or int(min(MAX_LANES, max(1, DENSE_MEMORY // (32 * n))))
    b = max(1, min(b, count))
    results = np.zeros((4, count))
    if count:
        markets = np.zeros(0, dtype=np.int32) if network.markets is None else network.markets
        graph = (
            k.in_ptr,
            k.in_src,
            k.in_down,
            k.in_kind,
            k.in_slot,
            k.out_ptr,
            k.out_dst,
            k.out_up,
            markets,
            network.out_strength,
            weights,
        )
        with thread_count(network, threads):
            _sweeps(
                shock_idx.astype(np.int64),
                shock_val.astype(np.float64),
                float(tol),
                b,
                int(k.market_size.size),
                float(weights.sum()),
                graph,
                results,
            )
    return SweepESRI(
        esri=results[0],
        esri_down=results[1],
        esri_up=results[2],
        rounds=results[3].astype(np.int32),
    )
