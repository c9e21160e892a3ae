from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.errors import ConfigError
from chainwatch.monitor.settings import IndexSettings, load_index_settings


def test_shipped_defaults(home: Path) -> None:
    assert load_index_settings() == IndexSettings(0.5, 0.5, 2020)


def test_monitor_yaml_in_home_overrides_and_one_weight_is_enough(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "monitor.yaml").write_text("indices:\n  sales_weight: 0.7\n", encoding="utf-8")
    assert load_index_settings() == IndexSettings(0.7, 0.3, 2020)
    (home / "monitor.yaml").write_text("indices:\n  base_year: 2019\n", encoding="utf-8")
    assert load_index_settings() == IndexSettings(0.5, 0.5, 2019)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("indices:\n  sales_weight: 0.7\n  electricity_weight: 0.7\n", "add up to 1"),
        ("indices:\n  sales_weight: 1.5\n", "from 0 to 1"),
        ("indices:\n  base_year: twenty\n", "expected a year"),
        ("indices:\n  sales_wieght: 0.6\n", "unknown key(s) sales_wieght"),
        ("- 1\n- 2\n", "'indices:' section"),
    ],
)
def test_bad_monitor_yaml_is_a_config_error(home: Path, text: str, message: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "monitor.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_index_settings()


def test_sales_weight_override_gives_electricity_the_rest() -> None:
    assert IndexSettings().with_sales_weight(0.7) == IndexSettings(0.7, 0.3, 2020)
    with pytest.raises(ConfigError, match="--sales-weight"):
        IndexSettings().with_sales_weight(1.2)
