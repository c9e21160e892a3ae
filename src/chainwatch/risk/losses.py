"""Losses of a cascade by chain, segment and region.

A node's production loss is ``w_i · (1 − min(h_d_i, h_u_i))`` with ``w_i`` its ESRI weight (its
sales on the network over the window; 0 outside the province), so the losses of a group add up
to the group's share of the province's ESRI. Chains and segments take a firm by its main segment
in each chain (the atlas's ``chain_main`` placement); regions are the firm's county and city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from chainwatch.risk.network import FloatArray
from chainwatch.risk.province import ProvinceNetwork
from chainwatch.store import lake

IntArray = npt.NDArray[np.int64]


def firm_losses(network: ProvinceNetwork, h_down: FloatArray, h_up: FloatArray) -> FloatArray:
    """Lost production per node (yuan over the window)."""
    loss: FloatArray = network.weights * (1.0 - np.minimum(h_down, h_up))
    return loss


@dataclass(frozen=True, eq=False)
class Group:
    """One grouping of nodes (a node may sit in several groups, e.g. two chains)."""

    keys: list[tuple[str, ...]]  # (chain_id,) or (chain_id, segment_id) or (region_code,)
    member_node: IntArray
    member_group: IntArray
    output: FloatArray  # Σ weight per group
    firms: IntArray  # members per group

    def totals(self, values: FloatArray) -> FloatArray:
        sums = np.bincount(
            self.member_group, weights=values[self.member_node], minlength=len(self.keys)
        )
        return sums.astype(np.float64)

    def counts(self, mask: npt.NDArray[np.bool_]) -> IntArray:
        counted: IntArray = np.bincount(
            self.member_group,
            weights=mask[self.member_node].astype(float),
            minlength=len(self.keys),
        ).astype(np.int64)
        return counted


def _group(pairs: pd.DataFrame, key_columns: list[str], weights: FloatArray) -> Group:
    """``pairs``: columns ``node`` (index) and the key columns, one row per membership."""
    if pairs.empty:
        empty = np.zeros(0, dtype=np.int64)
        return Group([], empty, empty, np.zeros(0), empty)
    keyed = pairs[key_columns[0]].astype(str).to_numpy(dtype=object)
    for column in key_columns[1:]:
        keyed = keyed + "\x1f" + pairs[column].astype(str).to_numpy(dtype=object)
    codes, uniques = pd.factorize(keyed, sort=True)
    keys = [tuple(str(u).split("\x1f")) for u in uniques]
    node = pairs["node"].to_numpy(np.int64)
    group = codes.astype(np.int64)
    output: FloatArray = np.bincount(group, weights=weights[node], minlength=len(keys)).astype(
        np.float64
    )
    firms = np.bincount(group, minlength=len(keys)).astype(np.int64)
    return Group(keys, node, group, output, firms)


@dataclass(frozen=True, eq=False)
class Groups:
    chains: Group
    segments: Group
    counties: Group
    cities: Group


def memberships(network: ProvinceNetwork) -> pd.DataFrame:
    """node, chain_id, segment_id for every network node placed in a chain (empty without the
    atlas)."""
    if not lake.has_result("firm_segments"):
        return pd.DataFrame(columns=["node", "chain_id", "segment_id"])
    con = lake.connect()
    try:
        placed = con.execute(
            f"SELECT uscc, chain_id, segment_id FROM {lake.result_sql('firm_segments')} "
            "WHERE chain_main"
        ).df()
    finally:
        con.close()
    index = pd.Series(np.arange(network.size), index=network.nodes["node"].astype(str))
    placed = placed[placed["uscc"].isin(index.index)]
    placed.insert(0, "node", index[placed["uscc"]].to_numpy())
    return placed.drop(columns=["uscc"]).reset_index(drop=True)


def build_groups(network: ProvinceNetwork, placed: pd.DataFrame | None = None) -> Groups:
    placed = memberships(network) if placed is None else placed
    home = network.nodes[network.nodes["home"]]
    regions = pd.DataFrame(
        {
            "node": home.index.to_numpy(np.int64),
            "county": home["region_code"].astype(str).to_numpy(),
            "city": home["city_code"].astype(str).to_numpy(),
        }
    )
    w = network.weights
    return Groups(
        chains=_group(placed, ["chain_id"], w),
        segments=_group(placed, ["chain_id", "segment_id"], w),
        counties=_group(regions, ["county"], w),
        cities=_group(regions, ["city"], w),
    )
