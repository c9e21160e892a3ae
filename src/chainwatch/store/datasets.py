"""SQL for the loaded datasets as analyses see them (DuckDB), hiding batches.

Indicators may come in several files for the same firm and month (sales from the tax bureau,
electricity from the utility); ``indicators_sql`` merges them into one row per firm and month.
"""

from __future__ import annotations

from chainwatch.ingest import batches
from chainwatch.ingest.schemas import METRICS
from chainwatch.store import lake


def invoices_sql() -> str:
    return batches.dataset_sql("invoices")


def customs_sql() -> str:
    return batches.dataset_sql("customs")


def indicators_sql() -> str:
    """One row per (uscc, period) with every metric column (NULL where never loaded)."""
    source = batches.dataset_sql("indicators")
    metrics = ", ".join(f"max({name}) AS {name}" for name, _, _ in METRICS)
    return f"(SELECT uscc, period, {metrics} FROM {source} GROUP BY uscc, period)"


def enterprises_sql() -> str:
    """The registry snapshot written after every enterprise load."""
    path = lake.lake_path() / "enterprises.parquet"
    if not path.exists():
        from chainwatch.errors import DataMissingError

        raise DataMissingError(
            "no enterprises loaded yet; load them with `chainwatch ingest "
            "enterprises FILE` or run `chainwatch demo`."
        )
    return f"read_parquet('{path}')"
