"""`chainwatch run`: a whole run does what the loaded data allows; a named stage says what it
lacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app, main
from chainwatch.store import lake
from tests.unit.monitor.sample import load_sample

runner = CliRunner()


def test_whole_run_skips_stages_without_inputs(home: Path, tmp_path: Path) -> None:
    load_sample(tmp_path)  # enterprises and indicators, no invoices
    result = runner.invoke(app, ["run", "--json"])
    assert result.exit_code == 0, result.output
    summaries = json.loads(result.output)
    assert summaries["links"] == {"skipped": "missing invoices"}
    assert summaries["atlas"] == {"skipped": "missing links"}
    assert summaries["monitor"]["province_rows"] > 0
    assert lake.has_result("indices")


def test_named_stage_without_inputs_is_a_user_error(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["chainwatch", "run", "monitor"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "chainwatch ingest indicators" in err
    assert "Traceback" not in err
