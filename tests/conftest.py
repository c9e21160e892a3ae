"""Shared fixtures.

Tests that need a real service (PostgreSQL, Chromium, Spark) call ``require(...)``: on a machine
without it they skip with a printed reason, unless CHAINWATCH_REQUIRE_ALL=1, which turns the skip
into a failure so CI cannot pass without really running them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainwatch.config import reset_settings

DATA = Path(__file__).parent / "data"


def require(available: bool, reason: str) -> None:
    if available:
        return
    if os.environ.get("CHAINWATCH_REQUIRE_ALL") == "1":
        pytest.fail(f"required but unavailable (CHAINWATCH_REQUIRE_ALL=1): {reason}")
    pytest.skip(reason)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CHAINWATCH_HOME with the embedded defaults (SQLite + lake)."""
    monkeypatch.setenv("CHAINWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
    reset_settings()
    yield tmp_path / "home"
    reset_settings()
