"""All-firm ESRI on Spark equals the local engine: exact mode to 1e-12, fast mode with the same
values and certified bounds, whatever the batch size, the firm subset or the cascade path."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from chainwatch.config import reset_settings
from chainwatch.errors import ValidationError
from chainwatch.risk.fast import ScenarioESRI, firm_esri
from chainwatch.risk.network import SupplyNetwork, build_network, links_matrix
from chainwatch.risk.spark_esri import spark_firm_esri, split_batches
from tests.conftest import DATA, require

GOOD = DATA / "good" / "esri"


def power_law_network(n: int, seed: int, markets: bool) -> SupplyNetwork:
    """n firms, about 6 links each, heavy-tailed degrees, 6 sectors with mixed essentiality."""
    rng = np.random.default_rng(seed)
    out_prop = rng.pareto(1.5, n) + 1.0
    in_prop = rng.pareto(1.5, n) + 1.0
    m = 6 * n
    suppliers = np.minimum(
        np.searchsorted(np.cumsum(out_prop / out_prop.sum()), rng.random(m)), n - 1
    )
    customers = np.minimum(
        np.searchsorted(np.cumsum(in_prop / in_prop.sum()), rng.random(m)), n - 1
    )
    amounts = rng.lognormal(0.0, 1.5, m)
    sectors = rng.integers(0, 6, n)
    ess = rng.choice([0, 1, 2], size=(6, 6), p=[0.4, 0.3, 0.3])
    np.fill_diagonal(ess, 2)
    return build_network(
        links_matrix(suppliers, customers, amounts, n),
        sectors,
        ess,
        rng.integers(0, 4, n) if markets else None,
    )


def spark_available() -> bool:
    if importlib.util.find_spec("pyspark") is None:
        return False
    from chainwatch.engines.spark_session import java_command

    return java_command() is not None


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require(spark_available(), "PySpark or Java is not installed")
    from chainwatch.risk.spark_esri import esri_session

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("spark-home")))
        patch.delenv("CHAINWATCH_SPARK_MASTER", raising=False)
        reset_settings()
        session = esri_session()
        yield session
        session.stop()
    reset_settings()


def assert_same(got: ScenarioESRI, want: ScenarioESRI) -> None:
    for name in ("esri", "esri_down", "esri_up", "error_bound"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), atol=1e-12, rtol=0)
    np.testing.assert_array_equal(got.rounds, want.rounds)
    np.testing.assert_array_equal(got.delta_used, want.delta_used)
    assert (got.mode, got.tol, got.delta, got.max_error) == (
        want.mode,
        want.tol,
        want.delta,
        want.max_error,
    )


@pytest.mark.spark
@pytest.mark.parametrize("markets", [False, True])
def test_exact_mode_equals_local(spark: Any, markets: bool) -> None:
    net = power_law_network(200, seed=1, markets=markets)
    local = firm_esri(net, exact=True)
    distributed = spark_firm_esri(net, exact=True, batch_size=23, spark=spark)
    assert_same(distributed, local)
    assert (distributed.error_bound == 0).all()
    assert distributed.esri.max() > 0.05  # some cascades spread: the comparison means something


@pytest.mark.spark
def test_fast_mode_equals_local_with_its_bound(spark: Any) -> None:
    net = power_law_network(200, seed=2, markets=True)
    local = firm_esri(net, delta=1e-3, max_error=1e-2)
    distributed = spark_firm_esri(net, delta=1e-3, max_error=1e-2, batch_size=64, spark=spark)
    assert_same(distributed, local)
    exact = firm_esri(net, exact=True)
    assert (np.abs(distributed.esri - exact.esri) <= distributed.error_bound + 1e-12).all()


@pytest.mark.spark
def test_subset_order_and_progress(spark: Any) -> None:
    net = power_law_network(200, seed=3, markets=False)
    firms = np.array([150, 3, 77, 3, 199, 0, 42])
    seen: list[int] = []
    distributed = spark_firm_esri(
        net, firms, exact=True, batch_size=2, spark=spark, progress=seen.append
    )
    assert_same(distributed, firm_esri(net, firms, exact=True))
    assert sum(seen) == firms.size


@pytest.mark.spark
def test_large_cascades_take_the_same_path(spark: Any) -> None:
    # A tiny frontier budget hands every cascade to the batched sweep, on both sides.
    net = power_law_network(120, seed=4, markets=True)
    weights = net.in_strength + net.out_strength
    local = firm_esri(net, exact=True, weights=weights, frontier_budget=1e-9)
    distributed = spark_firm_esri(
        net, exact=True, weights=weights, frontier_budget=1e-9, batch_size=50, spark=spark
    )
    assert_same(distributed, local)


@pytest.mark.spark
def test_cli_gives_the_same_file_as_risk_esri(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chainwatch.cli.main import main

    files = [
        "--links",
        str(GOOD / "links.csv"),
        "--firms",
        str(GOOD / "firms.csv"),
        "--essentiality",
        str(GOOD / "essentiality.csv"),
        "--exact",
    ]
    outputs = {}
    for command in ("local", "spark"):
        out = tmp_path / f"{command}.csv"
        extra = ["--engine", "spark", "--batch-size", "3"] if command == "spark" else []
        monkeypatch.setattr(
            sys, "argv", ["chainwatch", "risk", "esri", *files, *extra, "--out", str(out)]
        )
        with pytest.raises(SystemExit) as done:
            main()
            raise SystemExit(0)
        assert done.value.code in (0, None), capsys.readouterr()
        outputs[command] = pd.read_csv(out, encoding="utf-8-sig")
    assert "Spark" in capsys.readouterr().out
    pd.testing.assert_frame_equal(outputs["spark"], outputs["local"], rtol=0, atol=1e-12)


def test_batches_cover_every_firm_once() -> None:
    for count, size in ((0, 5), (1, 5), (10, 3), (17, 17), (100, 7)):
        batches = split_batches(count, size)
        joined = np.sort(np.concatenate(batches)) if batches else np.zeros(0)
        np.testing.assert_array_equal(joined, np.arange(count))
        assert all(0 < b.size <= size for b in batches)


def test_bad_options_are_user_errors_before_spark_starts() -> None:
    net = power_law_network(20, seed=5, markets=False)
    with pytest.raises(ValidationError, match="batch size"):
        spark_firm_esri(net, batch_size=0, spark=object())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"0\.\.19"):
        spark_firm_esri(net, [3, 20], spark=object())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="tol"):
        spark_firm_esri(net, tol=-1.0, spark=object())  # type: ignore[arg-type]
