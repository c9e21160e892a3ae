"""The province's supply network for ESRI and scenarios, built from the lake.

Nodes are every party of a link in the window (registered firms, suppliers outside the registry)
and one foreign supplier per (country, HS 6-digit product) imported in the window (customs). W is
the sum of link amounts per (supplier, customer) over the window, plus imports from each foreign
node to each importing firm. Sectors are GB/T 4754 divisions: a registered firm's from its
industry code, a foreign node's from its product (:mod:`chainwatch.risk.foreign`); a firm outside
the registry and a registered firm without a usable code sit in an ``unclassified`` sector whose
inputs and outputs are non-essential (level 1) for everyone, as the catch-all sector of the
published NACE matrix is. ESRI weights are the out-strengths of the firms registered in the home
province and 0 for all other nodes, so an ESRI is a share of the province's production.

The stage stores the nodes (``risk_nodes``) and links (``risk_edges``); scenarios rebuild the
network from those, so they run on exactly the network the ESRI numbers came from.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.atlas.places import home_province, register_places
from chainwatch.atlas.window import Window, latest_period, resolve_window
from chainwatch.errors import DataMissingError
from chainwatch.ingest import batches
from chainwatch.reference.essentiality import default_essentiality, read_essentiality
from chainwatch.risk import results
from chainwatch.risk.foreign import FOREIGN_PREFIX, hs_division
from chainwatch.risk.network import FloatArray, SupplyNetwork, build_network, links_matrix
from chainwatch.risk.pipeline_settings import MARKET_DIGITS, RiskSettings, risk_folder
from chainwatch.store import datasets, lake

UNCLASSIFIED = "unclassified"
ESSENTIALITY_OVERRIDE = "essentiality.csv"  # CHAINWATCH_HOME/risk/essentiality.csv
NODE_KINDS = ("firm", "outside", "foreign")  # registered, not in the registry, foreign supplier


@dataclass(frozen=True, eq=False)
class ProvinceNetwork:
    """The network and what each node is (row i of ``nodes`` is node i of ``network``)."""

    nodes: pd.DataFrame  # node, kind, uscc, country, hs_code, sector, market, region/city/province
    network: SupplyNetwork
    weights: FloatArray
    window: Window
    province: str

    @property
    def size(self) -> int:
        return self.network.size

    def index(self) -> dict[str, int]:
        return {str(node): i for i, node in enumerate(self.nodes["node"])}


def essentiality_matrix() -> tuple[list[str], np.ndarray]:
    """Sector labels and E: the shipped GB/T 4754 matrix (or CHAINWATCH_HOME/risk/
    essentiality.csv) plus the ``unclassified`` sector, level 1 to and from every sector."""
    override = risk_folder() / ESSENTIALITY_OVERRIDE
    frame = read_essentiality(override) if override.is_file() else default_essentiality()
    labels = [str(code) for code in frame.index]
    if list(frame.columns) != list(frame.index):
        frame = frame.loc[labels, labels]
    size = len(labels) + 1
    matrix = np.ones((size, size), dtype=np.int8)
    matrix[:-1, :-1] = frame.to_numpy(dtype=np.int8)
    return [*labels, UNCLASSIFIED], matrix


def _window(con: duckdb.DuckDBPyConnection, links: str, months: int) -> Window:
    return resolve_window(latest_period(con, links), months, None, None)


def _customs_sql() -> str | None:
    return datasets.customs_sql() if batches.loaded_batch_ids("customs") else None


def _read_parties(con: duckdb.DuckDBPyConnection, links: str, window: Window) -> pd.DataFrame:
    """Every node with its kind and place, and the lake's industry code where registered."""
    enterprises = datasets.enterprises_sql()
    windowed = f"(SELECT * FROM {links} WHERE {window.period_condition()})"
    register_places(
        con,
        enterprises,
        f"SELECT supplier AS uscc FROM {windowed} UNION SELECT customer FROM {windowed}",
    )
    return con.execute(
        f"""
        SELECT p.uscc AS node, CASE WHEN p.registered THEN 'firm' ELSE 'outside' END AS kind,
               p.uscc, CAST(NULL AS VARCHAR) AS country, CAST(NULL AS VARCHAR) AS hs_code,
               regexp_replace(coalesce(e.industry_code, ''), '^[A-Za-z]', '') AS industry,
               p.region_code, p.city_code, p.province_code
        FROM places p LEFT JOIN {enterprises} e ON e.uscc = p.uscc
        ORDER BY p.uscc
        """
    ).df()


def _sector_and_market(
    nodes: pd.DataFrame, labels: list[str], replaceability: str
) -> tuple[np.ndarray, np.ndarray | None]:
    position = {code: i for i, code in enumerate(labels)}
    unclassified = position[UNCLASSIFIED]
    sectors = np.full(len(nodes), unclassified, dtype=np.int64)
    markets: list[str] = []
    digits = MARKET_DIGITS.get(replaceability)
    for i, (kind, industry, hs_code) in enumerate(
        zip(nodes["kind"], nodes["industry"], nodes["hs_code"], strict=True)
    ):
        own = f"own:{i}"  # a market of its own: never replaced
        if kind == "foreign":
            sectors[i] = position.get(hs_division(hs_code), unclassified)
            markets.append(f"hs:{hs_code}")
        elif kind == "firm" and industry and industry[:2].isdigit():
            sectors[i] = position.get(industry[:2], unclassified)
            enough = digits is not None and len(industry) >= digits
            markets.append(f"gb:{industry[:digits]}" if enough else own)
        else:
            markets.append(own)
    if digits is None:
        return sectors, None
    _, codes = np.unique(np.asarray(markets), return_inverse=True)
    return sectors, codes.astype(np.int64)


def build_province_network(settings: RiskSettings) -> ProvinceNetwork:
    """Read the links (and customs imports) of the latest ``settings.months`` months."""
    if not lake.has_result("links"):
        raise DataMissingError(
            "systemic risk needs the supply links, which have not been computed yet; run "
            "`chainwatch run links` first (or `chainwatch run`)."
        )
    links = lake.result_sql("links")
    customs = _customs_sql()
    con = lake.connect()
    try:
        window = _window(con, links, settings.months)
        nodes = _read_parties(con, links, window)
        province = home_province(con)
        edges = con.execute(
            f"""SELECT supplier, customer, sum(amount) AS amount FROM {links}
                WHERE {window.period_condition()} AND amount > 0 GROUP BY 1, 2"""
        ).df()
        imports = pd.DataFrame(columns=["country", "hs_code", "customer", "amount"])
        if customs is not None:
            imports = con.execute(
                f"""SELECT upper(country) AS country, substr(hs_code, 1, 6) AS hs_code,
                           uscc AS customer, sum(amount) AS amount
                    FROM {customs}
                    WHERE direction = 'import' AND {window.date_condition()} AND amount > 0
                      AND country IS NOT NULL AND hs_code IS NOT NULL
                    GROUP BY 1, 2, 3"""
            ).df()
    finally:
        con.close()
    known = set(nodes["node"])
    imports = imports[imports["customer"].isin(known)]
    foreign = imports[["country", "hs_code"]].drop_duplicates().sort_values(["country", "hs_code"])
    foreign_nodes = pd.DataFrame(
        {
            "node": FOREIGN_PREFIX + foreign["country"] + ":" + foreign["hs_code"],
            "kind": "foreign",
            "uscc": None,
            "country": foreign["country"],
            "hs_code": foreign["hs_code"],
            "industry": "",
            "region_code": None,
            "city_code": None,
            "province_code": None,
        }
    )
    nodes = pd.concat([nodes, foreign_nodes], ignore_index=True)
    labels, essentiality = essentiality_matrix()
    sectors, markets = _sector_and_market(nodes, labels, settings.replaceability)
    nodes["sector"] = [labels[s] for s in sectors]
    nodes["market"] = markets if markets is not None else -1
    index = pd.Series(np.arange(len(nodes)), index=nodes["node"])
    supplier = np.concatenate(
        [
            index[edges["supplier"]].to_numpy(),
            index[FOREIGN_PREFIX + imports["country"] + ":" + imports["hs_code"]].to_numpy(),
        ]
    )
    customer = np.concatenate(
        [index[edges["customer"]].to_numpy(), index[imports["customer"]].to_numpy()]
    )
    amount = np.concatenate([edges["amount"].to_numpy(float), imports["amount"].to_numpy(float)])
    nodes["home"] = (nodes["kind"] == "firm") & (nodes["province_code"] == province)
    nodes = nodes.drop(columns=["industry"])
    return _assemble(nodes, supplier, customer, amount, sectors, markets, essentiality, window,
                     province)  # fmt: skip


def _assemble(
    nodes: pd.DataFrame,
    supplier: np.ndarray,
    customer: np.ndarray,
    amount: np.ndarray,
    sectors: np.ndarray,
    markets: np.ndarray | None,
    essentiality: np.ndarray,
    window: Window,
    province: str,
) -> ProvinceNetwork:
    matrix = links_matrix(supplier, customer, amount, len(nodes))
    network = build_network(matrix, sectors, essentiality, markets)
    home = nodes["home"].to_numpy(bool)
    weights = np.where(home, network.out_strength, 0.0)
    if weights.sum() <= 0:
        raise DataMissingError(
            f"no firm registered in the province {province} sells anything in the links of "
            f"{window.start}..{window.end}; load invoices between the province's firms first."
        )
    nodes = nodes.reset_index(drop=True)
    nodes["weight"] = weights
    return ProvinceNetwork(nodes, network, weights, window, province)


# -- stored network ------------------------------------------------------------------------


def save_network(province: ProvinceNetwork) -> None:
    """Store nodes and links as the results ``risk_nodes`` and ``risk_edges``."""
    coo = province.network.matrix.tocoo()
    nodes = province.nodes.copy()
    nodes["sector_code"] = province.network.sectors
    lake.write_result_table("risk_nodes", pa.Table.from_pandas(nodes, preserve_index=False))
    levels = province.network.essentiality
    lake.write_result_table("risk_essentiality", pa.table({"level": levels.ravel()}))
    lake.write_result_table(
        "risk_edges",
        pa.table(
            {
                "supplier": coo.row.astype(np.int32),
                "customer": coo.col.astype(np.int32),
                "amount": coo.data.astype(np.float64),
            }
        ),
    )


_cache: dict[str, Any] = {}
_lock = threading.Lock()


def _stamp(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


def load_network() -> ProvinceNetwork:
    """The stored network (cached in memory while its files are unchanged)."""
    names = ("risk_nodes", "risk_edges", "risk_essentiality")
    paths = [lake.result_path(name) for name in names]
    info = results.meta()  # raises, with the command to run, before the stage has run
    key = "|".join(f"{p}:{_stamp(p)}" for p in paths)
    with _lock:
        cached = _cache.get("network")
        if cached is not None and cached[0] == key:
            found: ProvinceNetwork = cached[1]
            return found
        nodes = pq.read_table(paths[0]).to_pandas()
        edges = pq.read_table(paths[1])
        levels = pq.read_table(paths[2])["level"].to_numpy()
        side = round(levels.size**0.5)
        essentiality = levels.reshape(side, side).astype(np.int8)
        sectors = nodes.pop("sector_code").to_numpy(np.int64)
        markets = nodes["market"].to_numpy(np.int64)
        network = _assemble(
            nodes.drop(columns=["weight"]),
            edges["supplier"].to_numpy(),
            edges["customer"].to_numpy(),
            edges["amount"].to_numpy(),
            sectors,
            markets if markets.size and markets.min() >= 0 else None,
            essentiality,
            Window(info["window"]["from"], info["window"]["to"]),
            str(info["province"]),
        )
        _cache["network"] = (key, network)
        return network
