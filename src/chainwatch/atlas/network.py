"""Network position of the firms within each chain: weighted degree and PageRank.

The chain's subgraph holds the firms of the chain (each in its main segment of the chain) and
the links between them in the window, weighted by amount. Edges run from supplier to customer,
the way goods move, so PageRank favours firms that buy much from firms that themselves buy much
inside the chain: the integrators a chain is organised around (链主). Weighted degree is the
firm's total trade inside the chain (sales plus purchases). Power iteration on a sparse matrix;
dangling firms (no customer in the chain) spread their rank evenly.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

ITERATIONS = 100
TOLERANCE = 1e-12


def pagerank(
    sources: np.ndarray, targets: np.ndarray, weights: np.ndarray, n: int, damping: float
) -> np.ndarray:
    """Weighted PageRank of ``n`` nodes; edges (sources[i] → targets[i], weights[i])."""
    if n == 0:
        return np.zeros(0)
    out_weight = np.bincount(sources, weights=weights, minlength=n)
    scale = np.divide(1.0, out_weight, out=np.zeros(n), where=out_weight > 0)
    # Column-stochastic transition: rank moves along each edge in proportion to its weight.
    matrix = sparse.csr_matrix((weights * scale[sources], (targets, sources)), shape=(n, n))
    dangling = out_weight == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(ITERATIONS):
        spread = damping * rank[dangling].sum() / n
        updated = damping * (matrix @ rank) + spread + (1.0 - damping) / n
        if np.abs(updated - rank).sum() < TOLERANCE:
            rank = updated
            break
        rank = updated
    return rank / rank.sum()


def network_positions(con: duckdb.DuckDBPyConnection, damping: float) -> pa.Table:
    """(chain_id, uscc, weighted_degree, pagerank) for every firm of ``atlas_firms``."""
    nodes = con.sql("SELECT chain_id, uscc FROM atlas_firms").to_arrow_table()
    edges = con.sql(
        """
        SELECT s.chain_id, l.supplier, l.customer, l.amount
        FROM atlas_links l
        JOIN atlas_firms s ON s.uscc = l.supplier
        JOIN atlas_firms c ON c.uscc = l.customer AND c.chain_id = s.chain_id
        """
    ).to_arrow_table()
    return rank_positions(nodes, edges, damping)


def rank_positions(nodes: pa.Table, edges: pa.Table, damping: float) -> pa.Table:
    """(chain_id, uscc, weighted_degree, pagerank) for ``nodes`` (chain_id, uscc) given the
    chains' internal ``edges`` (chain_id, supplier, customer, amount), whichever engine
    computed them. Nodes and edges are put in key order first: the floating-point sums then
    run in the same order however the engine delivered the rows, so PageRank and the network
    ranks (ties included) do not change from run to run."""
    nodes = nodes.sort_by([("chain_id", "ascending"), ("uscc", "ascending")])
    edges = edges.sort_by(
        [("chain_id", "ascending"), ("supplier", "ascending"), ("customer", "ascending")]
    )
    node_chain = np.asarray(nodes["chain_id"].to_pylist(), dtype=object)
    node_uscc = np.asarray(nodes["uscc"].to_pylist(), dtype=object)
    edge_chain = np.asarray(edges["chain_id"].to_pylist(), dtype=object)
    supplier = np.asarray(edges["supplier"].to_pylist(), dtype=object)
    customer = np.asarray(edges["customer"].to_pylist(), dtype=object)
    amount = edges["amount"].to_numpy(zero_copy_only=False).astype(float)
    degree = np.zeros(len(node_uscc))
    rank = np.zeros(len(node_uscc))
    for chain_id in np.unique(node_chain):
        members = np.flatnonzero(node_chain == chain_id)
        index = pd.Index(node_uscc[members])
        picked = edge_chain == chain_id
        src = index.get_indexer(supplier[picked])
        dst = index.get_indexer(customer[picked])
        weight = amount[picked]
        n = len(members)
        degree[members] = np.bincount(src, weights=weight, minlength=n) + np.bincount(
            dst, weights=weight, minlength=n
        )
        rank[members] = pagerank(src, dst, weight, n, damping)
    return pa.table(
        {
            "chain_id": pa.array(node_chain.tolist(), pa.string()),
            "uscc": pa.array(node_uscc.tolist(), pa.string()),
            "weighted_degree": pa.array(degree, pa.float64()),
            "pagerank": pa.array(rank, pa.float64()),
        }
    )
