"""`chainwatch db`: the operational database's schema."""

from __future__ import annotations

import typer

from chainwatch.cli.output import console, print_json
from chainwatch.config import get_settings
from chainwatch.store import db

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("heads", help="Target revision (default: all heads)."),
) -> None:
    """Create or upgrade the database schema (SQLite by default, PostgreSQL via URL)."""
    current = db.upgrade_database(revision)
    console.print(f"database at revision {current}")


@app.command()
def status(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the database URL (without password) and its schema revision."""
    from sqlalchemy.engine import make_url

    url = make_url(get_settings().sqlalchemy_url).render_as_string(hide_password=True)
    data = {"url": url, "revision": db.current_revision()}
    if json_:
        print_json(data)
    else:
        console.print(f"{data['url']}  revision {data['revision']}")
