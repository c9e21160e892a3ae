"""The sample province loaded once per module (loading is the slow part of these tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainwatch.config import reset_settings
from tests.unit.monitor.sample import load_sample


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A CHAINWATCH_HOME holding the sample; tests must not change it."""
    folder = tmp_path_factory.mktemp("monitor")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(folder / "home"))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        load_sample(folder / "files")
        yield folder / "home"
    reset_settings()
