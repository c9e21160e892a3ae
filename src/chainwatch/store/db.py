"""Database engine, sessions and schema upgrades.

SQLite (in CHAINWATCH_HOME) is the embedded default; PostgreSQL is selected with
CHAINWATCH_DATABASE_URL. The schema is owned by Alembic migrations shipped in the package, so
`chainwatch db upgrade` and the automatic upgrade at start-up produce the same schema on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except Exception as exc:  # bad URL, missing driver
        raise ConfigError(
            f"CHAINWATCH_DATABASE_URL {url!r} cannot be used: {exc}. Expected e.g. "
            "postgresql+psycopg://user@127.0.0.1:5432/chainwatch (install chainwatch[postgres])."
        ) from exc


def get_engine() -> Engine:
    return engine_for(get_settings().sqlalchemy_url)


@lru_cache(maxsize=4)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = _session_factory(get_settings().sqlalchemy_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _heads(connection: Connection) -> str:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(connection).get_current_heads()
    return "+".join(sorted(heads)) or "base"


def upgrade_database(revision: str = "heads") -> str:
    """Bring the schema to ``revision`` (default: every head, as areas of the app keep their
    tables in migration branches of their own); returns the revision(s) now current."""
    from alembic import command

    url = get_settings().sqlalchemy_url
    engine = engine_for(url)
    cfg = _alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    with engine.connect() as connection:
        return _heads(connection)


_upgraded: set[str] = set()


def ensure_database() -> None:
    """Upgrade the schema once per process (cheap when already current)."""
    url = get_settings().sqlalchemy_url
    if url not in _upgraded:
        upgrade_database()
        _upgraded.add(url)


def current_revision() -> str:
    with get_engine().connect() as connection:
        return _heads(connection)
