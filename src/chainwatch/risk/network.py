"""The supply network and everything the cascade needs precomputed from it.

``W[i, j]`` is what supplier ``i`` sold to customer ``j``. From W, the sector of every firm and the
sector essentiality matrix ``E`` we precompute, once per network, the downstream impact
coefficients ``Λd`` (with their essentiality level) and the upstream coefficients ``Λu`` of
docs/systemic-risk.md, laid out twice: by supplier (out-edges, for pushing a supplier's loss to its
customers) and by customer (in-edges, for pushing a customer's loss to its suppliers). Essential
inputs are summed per (customer, supplier sector) pair; each such pair is a "slot".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from chainwatch.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NON_ESSENTIAL = 1
ESSENTIAL = 2


@dataclass(frozen=True, eq=False)
class Kernel:
    """Flat arrays for the compiled cascades (risk.fast pushes changes, risk.esri pulls)."""

    out_ptr: npt.NDArray[np.int64]  # by supplier: edges out_ptr[i]:out_ptr[i+1]
    out_dst: npt.NDArray[np.int32]  # customer j
    out_coef: FloatArray  # Λd[i, j]
    out_kind: npt.NDArray[np.int8]  # essentiality level E[p_i, p_j]
    out_slot: npt.NDArray[np.int32]  # slot of (j, p_i) for essential edges, -1 otherwise
    out_up: FloatArray  # Λu[i, j]
    in_ptr: npt.NDArray[np.int64]  # by customer: edges in_ptr[j]:in_ptr[j+1], grouped by slot
    in_src: npt.NDArray[np.int32]  # supplier i
    in_coef: FloatArray  # Λu[i, j]
    in_down: FloatArray  # Λd[i, j]
    in_kind: npt.NDArray[np.int8]  # essentiality level
    in_slot: npt.NDArray[np.int32]  # slot, -1 for non-essential edges
    slot_ptr: npt.NDArray[np.int64]  # slots of customer j: slot_ptr[j]:slot_ptr[j+1]
    market_size: FloatArray  # Σ s_out per market sector (empty without markets)


@dataclass(frozen=True, eq=False)
class SupplyNetwork:
    """A firm network ready for cascades. Build it with :func:`build_network`."""

    matrix: sp.csr_matrix  # W, suppliers in rows
    sectors: npt.NDArray[np.int32]  # p_i as codes 0..K-1
    essentiality: npt.NDArray[np.int8]  # E[k, l], K x K
    markets: npt.NDArray[np.int32] | None  # pm_i as codes 0..M-1; None: no replaceability
    out_strength: FloatArray  # s_out
    in_strength: FloatArray  # s_in
    kernel: Kernel = field(repr=False)

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def links(self) -> int:
        return int(self.matrix.nnz)

    @property
    def sector_count(self) -> int:
        return int(self.essentiality.shape[0])


def links_matrix(
    suppliers: npt.ArrayLike, customers: npt.ArrayLike, amounts: npt.ArrayLike, size: int
) -> sp.csr_matrix:
    """W from an edge list of firm indices; repeated (supplier, customer) pairs add up."""
    rows = np.asarray(suppliers, dtype=np.int64)
    cols = np.asarray(customers, dtype=np.int64)
    data = np.asarray(amounts, dtype=np.float64)
    if not (rows.shape == cols.shape == data.shape) or rows.ndim != 1:
        raise ValidationError(
            f"links: suppliers, customers and amounts must be 1-D and equally long; got "
            f"{rows.shape}, {cols.shape} and {data.shape}."
        )
    if rows.size and (min(rows.min(), cols.min()) < 0 or max(rows.max(), cols.max()) >= size):
        raise ValidationError(f"links: firm indices must lie in 0..{size - 1}.")
    matrix = sp.coo_matrix((data, (rows, cols)), shape=(size, size)).tocsr()
    matrix.sum_duplicates()
    return matrix


def _as_codes(
    name: str, values: npt.ArrayLike, size: int, count: int | None
) -> npt.NDArray[np.int32]:
    codes = np.asarray(values)
    if codes.shape != (size,):
        raise ValidationError(
            f"{name}: expected one code per firm ({size}), got shape {codes.shape}."
        )
    if size and not np.issubdtype(codes.dtype, np.integer):
        raise ValidationError(
            f"{name}: expected integer codes 0..K-1, got dtype {codes.dtype}; "
            "encode labels first (e.g. with numpy.unique(..., "
            "return_inverse=True))."
        )
    if size and codes.min() < 0:
        raise ValidationError(f"{name}: codes must be ≥ 0, got {codes.min()}.")
    if size and count is not None and codes.max() >= count:
        raise ValidationError(
            f"{name}: code {codes.max()} has no row in the essentiality "
            f"matrix, which covers codes 0..{count - 1}."
        )
    return codes.astype(np.int32)


def _check_matrix(matrix: npt.ArrayLike | sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    csr = sp.csr_matrix(matrix, dtype=np.float64)
    if csr.shape[0] != csr.shape[1]:
        raise ValidationError(f"W must be square (firms x firms), got shape {csr.shape}.")
    csr.sum_duplicates()
    if csr.nnz and not np.isfinite(csr.data).all():
        raise ValidationError(
            "W has a missing or infinite amount; every amount must be a finite number ≥ 0."
        )
    if csr.nnz and csr.data.min() < 0:
        raise ValidationError(
            f"W has a negative amount ({csr.data.min()}); amounts are sales and must be ≥ 0."
        )
    csr.eliminate_zeros()
    csr.sort_indices()
    return csr


def build_network(
    matrix: npt.ArrayLike | sp.spmatrix | sp.sparray,
    sectors: npt.ArrayLike,
    essentiality: npt.ArrayLike | None = None,
    markets: npt.ArrayLike | None = None,
) -> SupplyNetwork:
    """Precompute a :class:`SupplyNetwork`.

    ``matrix`` is W (dense or scipy.sparse, suppliers in rows); ``sectors`` the sector code of
    every firm (0..K-1); ``essentiality`` the K x K matrix E with levels 0/1/2 (default: every
    pair 1, i.e. linear production functions); ``markets`` the market-sector code of every firm,
    which turns replaceability on (default: off).
    """
    csr = _check_matrix(matrix)
    size = csr.shape[0]
    if essentiality is None:
        count = int(np.asarray(sectors).max()) + 1 if size else 1
        ess = np.ones((count, count), dtype=np.int8)
    else:
        raw = np.asarray(essentiality)
        if raw.ndim != 2 or raw.shape[0] != raw.shape[1]:
            raise ValidationError(
                f"essentiality must be a square K x K matrix, got shape {raw.shape}."
            )
        if raw.size and not np.isin(raw, (0, 1, 2)).all():
            bad = raw[~np.isin(raw, (0, 1, 2))].ravel()[0]
            raise ValidationError(f"essentiality levels must be 0, 1 or 2, got {bad!r}.")
        ess = raw.astype(np.int8)
    codes = _as_codes("sectors", sectors, size, ess.shape[0])
    market_codes = None if markets is None else _as_codes("markets", markets, size, None)
    s_out = np.asarray(csr.sum(axis=1), dtype=np.float64).ravel()
    s_in = np.asarray(csr.sum(axis=0), dtype=np.float64).ravel()
    kernel = _kernel(csr, codes, ess, market_codes, s_out, s_in)
    return SupplyNetwork(
        matrix=csr,
        sectors=codes,
        essentiality=ess,
        markets=market_codes,
        out_strength=s_out,
        in_strength=s_in,
        kernel=kernel,
    )


def _kernel(
    csr: sp.csr_matrix,
    codes: npt.NDArray[np.int32],
    ess: npt.NDArray[np.int8],
    markets: npt.NDArray[np.int32] | None,
    s_out: FloatArray,
    s_in: FloatArray,
) -> Kernel:
    size = csr.shape[0]
    sector_count = ess.shape[0]
    out_ptr = csr.indptr.astype(np.int64)
    rows = np.repeat(np.arange(size, dtype=np.int64), np.diff(out_ptr))
    cols = csr.indices.astype(np.int64)
    amount = csr.data
    supplier_sector = codes[rows].astype(np.int64)
    kind = ess[supplier_sector, codes[cols]]
    coef = np.zeros(amount.size, dtype=np.float64)

    linear = kind == NON_ESSENTIAL
    coef[linear] = amount[linear] / s_in[cols[linear]]

    # Slots: one per (customer, supplier sector) pair with essential inputs, ordered by customer
    # so each customer's slots are contiguous. Π_{j,k} is the slot's total input.
    essential = np.flatnonzero(kind == ESSENTIAL)
    keys = cols[essential] * sector_count + supplier_sector[essential]
    slot_keys, slot_of_edge = np.unique(keys, return_inverse=True)
    slot_input = np.bincount(slot_of_edge, weights=amount[essential], minlength=slot_keys.size)
    coef[essential] = amount[essential] / slot_input[slot_of_edge]
    out_slot = np.full(amount.size, -1, dtype=np.int32)
    out_slot[essential] = slot_of_edge.astype(np.int32)
    slot_owner = slot_keys // sector_count
    slot_ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(slot_owner, minlength=size), out=slot_ptr[1:])

    # By customer, each customer's suppliers grouped by sector: a slot is a contiguous run.
    order = np.lexsort((rows, supplier_sector, cols))
    in_ptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=size), out=in_ptr[1:])
    in_src = rows[order]
    # A supplier with a link sells something, so its s_out is positive.
    up_coef = amount / s_out[rows]

    market_size: FloatArray = np.zeros(0, dtype=np.float64)
    if markets is not None:
        market_size = np.asarray(
            np.bincount(markets, weights=s_out, minlength=int(markets.max()) + 1 if size else 0),
            dtype=np.float64,
        )
    return Kernel(
        out_ptr=out_ptr,
        out_dst=cols.astype(np.int32),
        out_coef=coef,
        out_kind=kind.astype(np.int8),
        out_slot=out_slot,
        out_up=up_coef,
        in_ptr=in_ptr,
        in_src=in_src.astype(np.int32),
        in_coef=up_coef[order],
        in_down=coef[order],
        in_kind=kind[order].astype(np.int8),
        in_slot=out_slot[order],
        slot_ptr=slot_ptr,
        market_size=market_size.astype(np.float64),
    )


def check_weights(network: SupplyNetwork, weights: npt.ArrayLike | None) -> FloatArray:
    """Weights for ESRI: default out-strength; otherwise one finite w_i ≥ 0 per firm, Σ w > 0."""
    values = network.out_strength if weights is None else np.asarray(weights, dtype=np.float64)
    if values.shape != (network.size,):
        raise ValidationError(
            f"weights: expected one weight per firm ({network.size}), got shape {values.shape}."
        )
    if not np.isfinite(values).all() or (values.size and values.min() < 0):
        raise ValidationError("weights must be finite numbers ≥ 0.")
    if values.sum() <= 0:
        raise ValidationError(
            "ESRI weights sum to 0 (a network without sales?); ESRI needs at "
            "least one firm with a positive weight."
        )
    return values
