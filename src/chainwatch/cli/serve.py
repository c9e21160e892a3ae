"""`chainwatch serve`: the web app (pages, JSON API, OpenAPI docs) on one address."""

from __future__ import annotations

import socket

import typer

from chainwatch.cli.output import console
from chainwatch.config import get_settings
from chainwatch.errors import ConfigError


def _check_free(host: str, port: int) -> None:
    """Fail with one clear line instead of a uvicorn traceback when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}. Another program may "
                "be using the port; choose another with --port, or set CHAINWATCH_PORT."
            ) from exc


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: CHAINWATCH_HOST, else 127.0.0.1)."
    ),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port (default: CHAINWATCH_PORT, else 8000)."
    ),
) -> None:
    """Serve the web pages, the JSON API (/api/v1) and its docs (/docs)."""
    import uvicorn

    from chainwatch.store.db import ensure_database
    from chainwatch.web.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    ensure_database()
    _check_free(host, port)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"chainwatch on http://{shown}:{port}/  (API docs: /docs; Ctrl+C stops)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")
