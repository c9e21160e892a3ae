"""The same schema and loads on a real PostgreSQL (CI starts one; elsewhere this skips)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chainwatch.config import reset_settings
from tests.conftest import DATA, require
from tests.data import make_messy

ADMIN_URL = os.environ.get(
    "CHAINWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_engine():  # type: ignore[no-untyped-def]
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as con:
            con.execute(text("SELECT 1"))
    except Exception:
        return None
    return engine


@pytest.fixture()
def pg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    engine = _admin_engine()
    require(engine is not None, f"PostgreSQL not reachable at {make_url(ADMIN_URL).host}")
    assert engine is not None
    name = f"chainwatch_test_{uuid.uuid4().hex[:10]}"
    with engine.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("CHAINWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHAINWATCH_DATABASE_URL", url)
    reset_settings()
    try:
        yield url
    finally:
        from chainwatch.store.db import engine_for

        engine_for(url).dispose()
        engine_for.cache_clear()
        reset_settings()
        with engine.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.mark.postgres
def test_upgrade_and_messy_load_on_postgres(pg_home: str) -> None:
    from sqlalchemy import inspect

    from chainwatch.ingest import batches
    from chainwatch.ingest.load import ingest_file
    from chainwatch.store.db import current_revision, get_engine, upgrade_database

    assert upgrade_database() == current_revision() != "base"
    tables = set(inspect(get_engine()).get_table_names())
    assert {"enterprises", "ingest_batches", "alembic_version"} <= tables
    result = ingest_file("enterprises", DATA / "bad" / "enterprises_messy_gbk.csv")
    assert (result.loaded, result.skipped, result.rejected) == (4, 1, len(make_messy.EXPECTED))
    again = ingest_file("enterprises", DATA / "bad" / "enterprises_messy_gbk.csv")
    assert again.already_loaded
    listed = batches.list_batches()
    assert len(listed) == 1 and listed[0]["status"] == "loaded"
