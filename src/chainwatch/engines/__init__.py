"""Compute backends behind one interface: DuckDB (default, embedded) and Spark (scale path)."""

from __future__ import annotations

from chainwatch.engines.base import Engine
from chainwatch.errors import ConfigError

ENGINES = ("duckdb", "spark")


def get_engine(name: str = "duckdb") -> Engine:
    if name == "duckdb":
        from chainwatch.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        from chainwatch.engines.spark_engine import SparkEngine

        return SparkEngine()
    raise ConfigError(f"unknown engine {name!r}; available: {', '.join(ENGINES)}.")
