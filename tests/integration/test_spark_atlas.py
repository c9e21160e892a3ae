"""The Spark engine gives the DuckDB engine's links and atlas: the same province (120 firms ×
12 months, firms in every chain, with an override list that adds, excludes, sets a main
segment and names a firm outside the registry) run through `chainwatch run links atlas` with
each engine, and every result compared row by row: the same rows, the same values (floats to
1e-9 relative), the same ranks and ties."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chainwatch.atlas.stage import RESULTS
from chainwatch.cli.main import app, main
from chainwatch.config import reset_settings
from chainwatch.ingest.load import ingest_file
from chainwatch.store.db import ensure_database
from chainwatch.synth.province import ProvinceOptions, generate_province
from tests.conftest import require

pytestmark = [pytest.mark.spark, pytest.mark.slow]

FIRMS, MONTHS, SEED = 120, 12, 2020
NOT_REGISTERED = "913301060000000000"  # a valid code that no demo firm has
COMPARED = ("links", *(name for name in RESULTS if name != "atlas_meta"))
runner = CliRunner()


def spark_available() -> bool:
    if importlib.util.find_spec("pyspark") is None:
        return False
    from chainwatch.engines.spark_session import java_command

    return java_command() is not None


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    if result.exception is not None:
        raise result.exception
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def read_result(home: Path, name: str) -> pa.Table:
    return pq.read_table(home / "lake" / "results" / f"{name}.parquet")


def write_overrides(home: Path) -> None:
    """Overrides of each kind, chosen from what the rules did on the DuckDB run."""
    placed = sorted(
        read_result(home, "firm_segments").to_pylist(), key=lambda r: (r["uscc"], r["chain_id"])
    )
    unplaced = sorted(
        read_result(home, "atlas_unplaced").to_pylist(), key=lambda r: (r["uscc"], r["chain_id"])
    )
    segments = {
        (r["chain_id"], r["segment_id"]) for r in read_result(home, "atlas_segments").to_pylist()
    }
    excluded, whole_chain, moved = placed[0], placed[1], placed[2]
    other = sorted(s for c, s in segments if c == moved["chain_id"] and s != moved["segment_id"])[0]
    rows = [
        (excluded["uscc"], excluded["chain_id"], excluded["segment_id"], "排除"),
        (whole_chain["uscc"], whole_chain["chain_id"], "", "排除"),
        (moved["uscc"], moved["chain_id"], other, "主环节"),
        (unplaced[0]["uscc"], unplaced[0]["chain_id"], unplaced[0]["segment_id"], "加入"),
        (NOT_REGISTERED, moved["chain_id"], other, "加入"),
    ]
    folder = home / "atlas"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "overrides.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["统一社会信用代码", "产业链", "环节", "操作"])
        writer.writerows(rows)


@pytest.fixture(scope="module")
def duckdb_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The province loaded and run with DuckDB (links, then the atlas with the overrides)."""
    home = tmp_path_factory.mktemp("duckdb-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(home))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            ensure_database()
            folder = home / "province"
            generate_province(folder, ProvinceOptions(firms=FIRMS, months=MONTHS, seed=SEED))
            for kind in ("enterprises", "invoices", "customs"):
                ingest_file(kind, folder / f"{kind}.csv")
            run_json("run", "links", "atlas")
            write_overrides(home)
            yield {"home": home, "summary": run_json("run", "links", "atlas")}
        finally:
            reset_settings()


@pytest.fixture(scope="module")
def spark_home(
    duckdb_home: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The same loaded data and overrides, without results, run with `--engine spark`."""
    require(spark_available(), "PySpark or Java is not installed")
    home = tmp_path_factory.mktemp("spark-home") / "home"
    shutil.copytree(duckdb_home["home"], home)
    shutil.rmtree(home / "lake" / "results")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(home))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        patch.delenv("CHAINWATCH_SPARK_MASTER", raising=False)
        reset_settings()
        from chainwatch.engines.spark_session import spark_session

        session = spark_session()
        try:
            yield {"home": home, "summary": run_json("run", "links", "atlas", "--engine", "spark")}
        finally:
            session.stop()
            reset_settings()


def _sort_key(row: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    values = []
    for name in columns:
        value = row[name]
        value = tuple(value) if isinstance(value, list) else value
        values.append((value is not None, value))
    return tuple(values)


def assert_same_table(name: str, got: pa.Table, want: pa.Table) -> None:
    assert [(f.name, f.type) for f in got.schema] == [(f.name, f.type) for f in want.schema], name
    floats = [f.name for f in want.schema if pa.types.is_floating(f.type)]
    keys = [f.name for f in want.schema if f.name not in floats]
    got_rows = sorted(got.to_pylist(), key=lambda r: _sort_key(r, keys))
    want_rows = sorted(want.to_pylist(), key=lambda r: _sort_key(r, keys))
    assert len(got_rows) == len(want_rows), name
    assert len({_sort_key(r, keys) for r in want_rows}) == len(want_rows), f"{name}: no key"
    for mine, theirs in zip(got_rows, want_rows, strict=True):
        assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}, name
        for column in floats:
            a, b = mine[column], theirs[column]
            if a is None or b is None:
                assert a is b, (name, column, mine, theirs)
            else:
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (name, column, a, b)


def test_the_demo_exercises_what_is_compared(duckdb_home: dict[str, Any]) -> None:
    summary = duckdb_home["summary"]["atlas"]
    assert summary["override_placements"] > 0
    assert summary["override_firms_not_in_registry"] == 1
    firms = read_result(duckdb_home["home"], "atlas_firms").to_pylist()
    chains = {r["chain_id"] for r in firms}
    assert len(chains) == summary["chains"]  # firms in every chain
    ties = {(r["chain_id"], r["network_rank"]) for r in firms}
    assert len(ties) < len(firms)  # equal PageRanks share a rank
    partners = {r["kind"] for r in read_result(duckdb_home["home"], "atlas_partners").to_pylist()}
    assert partners == {"chain", "segment", "industry", "outside", "trade"}


@pytest.mark.parametrize("name", COMPARED)
def test_spark_gives_the_duckdb_results(
    name: str, duckdb_home: dict[str, Any], spark_home: dict[str, Any]
) -> None:
    assert_same_table(
        name, read_result(spark_home["home"], name), read_result(duckdb_home["home"], name)
    )


def test_same_summary(duckdb_home: dict[str, Any], spark_home: dict[str, Any]) -> None:
    want, got = duckdb_home["summary"], spark_home["summary"]
    assert got["links"]["engine"] == "spark" and got["links"]["links"] == want["links"]["links"]
    drop = {"seconds"}
    assert {k: v for k, v in got["atlas"].items() if k not in drop} == {
        k: v for k, v in want["atlas"].items() if k not in drop
    }
    meta = json.loads(read_result(spark_home["home"], "atlas_meta")["meta"][0].as_py())
    assert meta["engine"] == "spark"


def test_unknown_engine_is_one_line(
    duckdb_home: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("CHAINWATCH_HOME", str(duckdb_home["home"]))
    monkeypatch.setattr(sys, "argv", ["chainwatch", "run", "atlas", "--engine", "flink"])
    reset_settings()
    try:
        with pytest.raises(SystemExit) as exit_:
            main()
    finally:
        reset_settings()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--engine 'flink' is not known; available: duckdb, spark" in err
    assert "Traceback" not in err
