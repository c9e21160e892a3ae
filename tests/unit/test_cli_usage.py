"""Usage mistakes (a missing value, an unknown command) are one message and exit status 2."""

from __future__ import annotations

import sys

import pytest

from chainwatch.cli.main import main


@pytest.mark.parametrize(
    "args",
    [
        ["monitor", "index", "--from"],
        ["nosuch"],
        ["ingest", "enterprises"],
        ["run", "--no-such-option"],
    ],
)
def test_usage_errors_exit_2_without_traceback(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "Error" in captured.err
