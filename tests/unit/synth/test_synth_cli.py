"""`chainwatch demo-data` through the real command line entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app
from chainwatch.errors import ValidationError


def test_json_summary_lists_files_and_rows(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "demo-data",
            "--firms",
            "60",
            "--months",
            "12",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["files"]["enterprises.csv"] == 60
    assert summary["files"]["indicators.csv"] == 60 * 12
    assert summary["start"] == "2019-01" and summary["end"] == "2019-12"
    assert summary["planted"] == [
        "single_foreign_source",
        "county_electricity_collapse",
        "import_interruption",
    ]
    for name in (
        "enterprises.csv",
        "invoices.csv",
        "customs.csv",
        "indicators.csv",
        "planted.json",
        "PLANTED.md",
    ):
        assert (tmp_path / name).is_file()


def test_start_option_moves_the_window(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "demo-data",
            "--firms",
            "50",
            "--months",
            "2",
            "--start",
            "2022-11",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["start"], summary["end"]) == ("2022-11", "2022-12")
    assert summary["planted"] == ["single_foreign_source"]  # too short for (b) and (c)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--firms", "49"], "at least 50 firms"),
        (["--months", "0"], "expected 1 to 120"),
        (["--months", "121"], "expected 1 to 120"),
        (["--start", "2019-1"], "not in the form YYYY-MM"),
        (["--start", "2019-13"], "not in the form YYYY-MM"),
        (["--start", "2009-12"], "before 2010-01"),
        (["--start", "2035-06", "--months", "12"], "after 2035-12"),
    ],
)
def test_bad_arguments_are_user_errors(tmp_path: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path / "x"), *arguments])
    assert isinstance(result.exception, ValidationError)
    assert message in result.exception.message
    assert not (tmp_path / "x").exists()


def test_user_error_exits_2_with_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from chainwatch.cli.main import main; main()",
            "demo-data",
            "--firms",
            "10",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "at least 50 firms" in completed.stderr
    assert "Traceback" not in completed.stderr
