"""The interface every compute backend offers. Inputs and outputs are Parquet files in the lake,
so a stage gives the same results whichever engine computed them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chainwatch.atlas.chains import Chain
    from chainwatch.atlas.overrides import OverrideList
    from chainwatch.atlas.settings import AtlasSettings
    from chainwatch.atlas.window import Window


@dataclass(frozen=True)
class AtlasInputs:
    """The lake files the atlas reads: the registry snapshot, the ``links`` result, and the
    loaded invoice and customs batches (empty where none are loaded)."""

    enterprises: Path
    links: Path
    invoices: tuple[Path, ...] = ()
    customs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class AtlasJob:
    """Everything an engine needs to compute the atlas; the small inputs (chains, settings,
    overrides) are already loaded and checked."""

    chains: Mapping[str, Chain]
    settings: AtlasSettings
    overrides: OverrideList
    inputs: AtlasInputs


@dataclass(frozen=True)
class AtlasOutcome:
    """What an engine reports after writing the atlas results to the lake."""

    counts: dict[str, int]  # placements, placed firms, unplaced, overrides …
    province: str
    window: Window
    statuses: dict[str, int] = field(default_factory=dict)  # segment status → segments
    import_only_products: int = 0


class Engine(Protocol):
    """What every compute backend offers; inputs and outputs are Parquet files in the lake."""

    name: str

    def aggregate_links(self, invoice_files: list[Path], out: Path) -> int:
        """Aggregate invoice lines into supplier–customer–month links; returns link rows."""
        ...

    def build_atlas(self, job: AtlasJob) -> AtlasOutcome:
        """Place the firms, compute the atlas metrics and write every atlas result except
        ``atlas_meta`` (the stage writes that) to the lake."""
        ...
