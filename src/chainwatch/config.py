"""Settings: one pydantic-settings object read from CHAINWATCH_* environment variables.

CHAINWATCH_HOME (default ./chainwatch-data) holds the SQLite database and the Parquet lake;
CHAINWATCH_DATABASE_URL switches the operational database (e.g. to PostgreSQL).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAINWATCH_", extra="ignore")

    home: Path = Field(
        default=Path("chainwatch-data"),
        description="Folder holding the SQLite database and the Parquet lake.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in HOME."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    language: str = Field(default="zh-CN", description="Default UI language: zh-CN or en.")
    duckdb_memory_limit: str = Field(
        default="4GB", description="Memory DuckDB may use for analytics."
    )
    duckdb_threads: int = Field(default=2, description="Threads DuckDB may use.")
    spark_master: str = Field(
        default="local[2]",
        description="Spark master: local[N] or a cluster URL (docs/spark-esri.md).",
    )
    assets_dir: Path | None = Field(
        default=None,
        description="Folder with installed front-end packages (node_modules); found by default.",
    )
    require_all: bool = Field(
        default=False, description="Tests: turn skips for missing services into failures."
    )
    demo_firms: int = 20_000
    demo_months: int = 36
    demo_seed: int = 2020

    @property
    def home_path(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def lake_path(self) -> Path:
        return self.home_path / "lake"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_path / 'chainwatch.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
