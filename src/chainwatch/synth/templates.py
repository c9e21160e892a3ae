"""The segment template table: what each kind of synthetic firm makes, buys, imports and exports.

A segment is one link of a chain (e.g. 集成电路 / 晶圆制造) or one sector of the rest of the
economy (物流, 建筑, 批发 …). The table is data, ``data/segments.yaml`` (its header explains
every field); this module holds the record type, the loader, the generic inputs every sector
buys and the sector-to-sector input matrix the supply network is drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from chainwatch.errors import ConfigError

DATA_FILE = Path(__file__).parent / "data" / "segments.yaml"

SECTORS = ("manufacturing", "power", "construction", "wholesale", "retail", "logistics", "services")

# Generic inputs bought by every firm of a sector on top of its own segment inputs (weights are
# relative to the segment's own inputs, which sum to 1).
GENERIC_INPUTS: dict[str, tuple[tuple[str, float], ...]] = {
    "manufacturing": (
        ("econ.logistics", 0.10),
        ("econ.packaging", 0.05),
        ("econ.metal_parts", 0.04),
        ("econ.wholesale_materials", 0.05),
        ("econ.it_services", 0.02),
        ("econ.construction", 0.02),
        ("econ.labour", 0.02),
        ("econ.property", 0.01),
    ),
    "power": (("econ.construction", 0.2), ("econ.it_services", 0.05), ("econ.logistics", 0.05)),
    "construction": (
        ("econ.logistics", 0.08),
        ("econ.labour", 0.06),
        ("econ.wholesale_materials", 0.08),
    ),
    "wholesale": (
        ("econ.logistics", 0.15),
        ("econ.freight_agent", 0.06),
        ("econ.packaging", 0.03),
        ("econ.it_services", 0.02),
        ("econ.property", 0.02),
    ),
    "retail": (("econ.logistics", 0.10), ("econ.property", 0.05), ("econ.it_services", 0.03)),
    "logistics": (
        ("econ.wholesale_materials", 0.10),
        ("econ.it_services", 0.04),
        ("econ.property", 0.03),
        ("econ.labour", 0.05),
    ),
    "services": (
        ("econ.property", 0.10),
        ("econ.it_services", 0.08),
        ("econ.catering", 0.04),
        ("econ.labour", 0.04),
    ),
}


@dataclass(frozen=True)
class Import:
    """A key input bought abroad: HS code, product name and source countries with weights."""

    hs: str
    product: str
    countries: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Segment:
    """One segment: a chain link or an economy sector, with the parameters of its firms.

    ``median_sales`` is the median annual sales of its firms in 万元 at the start month;
    ``b2b`` the share of sales invoiced to firms inside the province; ``kwh`` electricity per
    yuan of output; ``fuel`` total energy over electricity energy (≥ 1 for fuel users).
    """

    key: str
    name: str
    chain: str | None
    stage: str
    industries: tuple[str, ...]
    products: tuple[str, ...]
    tax_code: str
    scope: tuple[str, ...]
    words: tuple[str, ...]
    weight: float
    inputs: tuple[tuple[str, float], ...] = ()
    sector: str = "manufacturing"
    median_sales: float = 1500.0
    spread: float = 1.25
    b2b: float = 0.45
    vat: float = 0.13
    kwh: float = 0.03
    fuel: float = 1.2
    export_prob: float = 0.0
    export_share: float = 0.0
    exports: tuple[str, ...] = ()
    markets: str = "global"
    imports: tuple[Import, ...] = ()
    import_prob: float = 0.0
    import_share: float = 0.0
    clusters: tuple[tuple[str, float], ...] = ()
    external: float = 0.3
    rd: float = 0.015
    hightech: float = 0.10
    va: float = 0.22
    emission: float = 0.001
    productivity: float = 80.0
    min_firms: int = 0
    notes: str = field(default="", compare=False)

    @property
    def industrial(self) -> bool:
        return self.sector in ("manufacturing", "power")


_TABLE_FIELDS = {
    "key",
    "name",
    "chain",
    "stage",
    "industries",
    "products",
    "tax_code",
    "scope",
    "words",
    "weight",
    "inputs",
    "params",
    "imports",
    "clusters",
    "notes",
}


def _segment(entry: dict[str, Any]) -> Segment:
    unknown = set(entry) - _TABLE_FIELDS
    params = dict(entry.get("params") or {})
    allowed = {f.name for f in fields(Segment)} - _TABLE_FIELDS
    unknown |= set(params) - allowed
    if unknown:
        raise ConfigError(
            f"{DATA_FILE.name}: segment {entry.get('key')!r} has unknown "
            f"field(s) {', '.join(sorted(unknown))}"
        )
    if "exports" in params:
        params["exports"] = tuple(params["exports"])
    return Segment(
        key=str(entry["key"]),
        name=str(entry["name"]),
        chain=entry.get("chain"),
        stage=str(entry["stage"]),
        industries=tuple(entry["industries"]),
        products=tuple(entry["products"]),
        tax_code=str(entry["tax_code"]),
        scope=tuple(entry["scope"]),
        words=tuple(entry["words"]),
        weight=float(entry["weight"]),
        inputs=tuple((str(k), float(v)) for k, v in (entry.get("inputs") or {}).items()),
        imports=tuple(
            Import(
                str(i["hs"]),
                str(i["product"]),
                tuple((str(c), float(w)) for c, w in i["countries"].items()),
            )
            for i in entry.get("imports") or ()
        ),
        clusters=tuple((str(k), float(v)) for k, v in (entry.get("clusters") or {}).items()),
        notes=str(entry.get("notes", "")),
        **params,
    )


@lru_cache(maxsize=1)
def all_segments() -> tuple[Segment, ...]:
    """Every segment, flagship chains first, in the file's order (the order seeds depend on)."""
    entries = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    segments = tuple(_segment(entry) for entry in entries)
    keys = [s.key for s in segments]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ConfigError(f"{DATA_FILE.name}: segment keys defined twice: {duplicates}")
    known = set(keys)
    for segment in segments:
        for source, _ in segment.inputs:
            if source not in known:
                raise ConfigError(
                    f"{DATA_FILE.name}: segment {segment.key} buys from unknown segment {source}"
                )
    return segments


def segment_index() -> dict[str, int]:
    return {s.key: i for i, s in enumerate(all_segments())}


def input_matrix(segments: tuple[Segment, ...]) -> np.ndarray:
    """A[b, s]: share of buyer segment b's purchases that come from supplier segment s.

    Rows sum to 1 (or 0 for a segment with no inputs); a segment never buys from itself through
    the generic inputs, but may list itself (e.g. 批发 buying from 批发).
    """
    index = {s.key: i for i, s in enumerate(segments)}
    matrix = np.zeros((len(segments), len(segments)))
    for b, segment in enumerate(segments):
        for source, weight in segment.inputs:
            matrix[b, index[source]] += weight
        own = matrix[b].sum()
        if own > 0:
            matrix[b] /= own
        for source, weight in GENERIC_INPUTS[segment.sector]:
            if source != segment.key and source in index:
                matrix[b, index[source]] += weight
        total = matrix[b].sum()
        if total > 0:
            matrix[b] /= total
    return matrix


def chains() -> list[str]:
    """The flagship chains in their fixed order."""
    seen: list[str] = []
    for segment in all_segments():
        if segment.chain is not None and segment.chain not in seen:
            seen.append(segment.chain)
    return seen
