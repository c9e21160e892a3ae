"""Storage: the operational database (SQLAlchemy) and the analytical lake (Parquet + DuckDB)."""
