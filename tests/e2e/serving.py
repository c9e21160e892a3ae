"""What the browser tests share: Chromium's location and flags, and a module-scoped server for
the app on a free local port, in a CHAINWATCH_HOME of its own prepared by the test module."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from chainwatch.config import reset_settings
from chainwatch.web.app import create_app
from tests.conftest import require

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
# Without the background-networking flag Chromium calls out to the internet at start.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_browser() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "the playwright Python package is not installed")
    require(Path(CHROMIUM).exists(), f"Chromium not found (looked for {CHROMIUM})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served_home(
    home: Path, prepare: Callable[[], object], *, need_charts: bool = False
) -> Iterator[str]:
    """Point CHAINWATCH_HOME at ``home``, run ``prepare`` there, serve the app; yields its URL."""
    require_browser()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(home))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            prepare()
            app = create_app()
            if need_charts:
                require(app.state.charts_available, "ECharts is not installed: run `npm ci`")
            port = free_port()
            config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
                time.sleep(0.05)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                server.should_exit = True
                thread.join(timeout=10)
        finally:
            reset_settings()
