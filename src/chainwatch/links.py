"""Supply links: invoices aggregated into firm-to-firm links per month (supplier, customer,
period, amount, tax, invoice_count), stored as the lake result ``links``."""

from __future__ import annotations

from pathlib import Path

from chainwatch.engines import get_engine
from chainwatch.errors import DataMissingError
from chainwatch.ingest import batches
from chainwatch.store import lake


def invoice_files() -> list[Path]:
    ids = batches.loaded_batch_ids("invoices")
    files = [p for b in ids for p in sorted(lake.batch_path("invoices", b).glob("*.parquet"))]
    if not files:
        raise DataMissingError(
            "no invoices loaded yet; load them with `chainwatch ingest "
            "invoices FILE` or run `chainwatch demo`."
        )
    return files


def build_links(engine: str = "duckdb") -> dict[str, object]:
    out = lake.result_path("links")
    rows = get_engine(engine).aggregate_links(invoice_files(), out)
    return {"links": rows, "path": str(out), "engine": engine}
