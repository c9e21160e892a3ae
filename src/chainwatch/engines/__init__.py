"""Compute backends behind one interface: DuckDB (default, embedded) and Spark (scale path)."""

from __future__ import annotations

from chainwatch.engines.base import Engine
from chainwatch.errors import ConfigError

ENGINES = ("duckdb",)


def get_engine(name: str = "duckdb") -> Engine:
    if name == "duckdb":
        from chainwatch.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    raise ConfigError(f"unknown engine {name!r}; available: {', '.join(ENGINES)}.")
