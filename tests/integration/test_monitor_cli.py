"""`chainwatch monitor` end to end on the sample province (tests/unit/monitor/sample.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app, main
from tests.unit.monitor.sample import load_sample

runner = CliRunner()


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the real entry point (which turns user errors into exit status 2)."""
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


def test_index_table_and_json(home: Path, tmp_path: Path) -> None:
    load_sample(tmp_path)
    args = [
        "monitor",
        "index",
        "--scope",
        "county",
        "--code",
        "330106",
        "--from",
        "2021-01",
        "--to",
        "2021-03",
    ]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    for text in ("西湖区", "销售指数", "税电指数", "2021-01+02", "103.6", "96.7", "110.0", "2/2"):
        assert text in table.stdout, text
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [r["period"] for r in rows] == ["2021-01", "2021-02", "2021-01+02", "2021-03"]
    assert rows[1]["sales_index"] == pytest.approx(100 * 29 / 30)  # leap-year February
    assert rows[3]["composite_index"] == pytest.approx(105.0)
    weighted = json.loads(runner.invoke(app, [*args, "--json", "--sales-weight", "0.7"]).stdout)
    assert weighted[3]["composite_index"] == pytest.approx(0.7 * 100 + 0.3 * 110)


def test_compute_then_read_stored(home: Path, tmp_path: Path) -> None:
    load_sample(tmp_path)
    computed = runner.invoke(app, ["monitor", "compute", "--json"])
    assert computed.exit_code == 0, computed.output
    assert json.loads(computed.stdout)["province_rows"] == 8
    out = runner.invoke(
        app,
        [
            "monitor",
            "index",
            "--scope",
            "province",
            "--from",
            "2021-02",
            "--to",
            "2021-02",
            "--source",
            "stored",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["sales_index"] == pytest.approx(115.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2021-13"], "expected YYYY-MM"),
        (["--from", "2021-03", "--to", "2021-01"], "is after --to"),
        (["--scope", "county", "--code", "999999"], "not in the GB/T 2260 table"),
    ],
)
def test_user_errors_exit_2(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    load_sample(tmp_path)
    assert run_main(monkeypatch, "monitor", "index", *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_nothing_loaded_exits_2_and_says_how_to_load(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "monitor", "index", "--scope", "province") == 2
    err = capsys.readouterr().err
    assert "no indicators loaded" in err and "chainwatch demo" in err


def test_help_lists_the_options() -> None:
    out = runner.invoke(app, ["monitor", "index", "--help"])
    assert out.exit_code == 0
    for option in ("--scope", "--code", "--from", "--to", "--json", "--sales-weight"):
        assert option in out.stdout
