from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Engine(Protocol):
    """What every compute backend offers; inputs and outputs are Parquet files in the lake."""

    name: str

    def aggregate_links(self, invoice_files: list[Path], out: Path) -> int:
        """Aggregate invoice lines into supplier–customer–month links; returns link rows."""
        ...
