"""`chainwatch risk esri`: results file, JSON summary, and one-line errors with exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.cli.main import main

DATA = Path(__file__).parents[2] / "data"
GOOD = DATA / "good" / "esri"
BAD = DATA / "bad" / "esri"


def chainwatch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["chainwatch", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        main()
        raise SystemExit(0)
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


def test_writes_results_and_states_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "esri.csv"
    code, stdout, _ = chainwatch(
        monkeypatch,
        capsys,
        "risk",
        "esri",
        "--links",
        GOOD / "links.csv",
        "--firms",
        GOOD / "firms.csv",
        "--essentiality",
        GOOD / "essentiality.csv",
        "--out",
        out,
    )
    assert code == 0
    assert "fast mode: every ESRI" in stdout and "certified" in stdout
    got = pd.read_csv(out, encoding="utf-8-sig")
    want = pd.read_csv(GOOD / "expected.csv")
    assert list(got.columns) == ["firm", "esri", "esri_downstream", "esri_upstream"]
    assert list(got["firm"]) == list(want["firm"])
    np.testing.assert_allclose(
        got[["esri", "esri_downstream", "esri_upstream"]],
        want[["esri", "esri_downstream", "esri_upstream"]],
        atol=1e-3,
    )


def test_exact_json_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "esri.parquet"
    code, stdout, _ = chainwatch(
        monkeypatch,
        capsys,
        "risk",
        "esri",
        "--links",
        GOOD / "links.csv",
        "--firms",
        GOOD / "firms.csv",
        "--essentiality",
        GOOD / "essentiality.csv",
        "--out",
        out,
        "--exact",
        "--json",
        "--top",
        "2",
    )
    assert code == 0
    summary = json.loads(stdout)
    assert summary["mode"] == "exact" and summary["error_bound"] == 0.0
    assert (summary["firms"], summary["links"], summary["sectors"]) == (4, 3, 3)
    assert [t["firm"] for t in summary["top"]] == ["91330100MA2XXXXXX1", "D"]
    assert summary["top"][0]["esri_downstream"] == pytest.approx(0.5)
    np.testing.assert_allclose(pd.read_parquet(out)["esri"], [0.625, 0.75, 1.0, 1.0])


@pytest.mark.parametrize(
    ("links", "firms", "essentiality", "message"),
    [
        ("links_unknown_firm.csv", "firms.csv", None, "row 3, column supplier: 'Z未知'"),
        ("links_negative.csv", "firms.csv", None, "row 3, column amount: '-5' is negative"),
        ("links_nonnumeric.csv", "firms.csv", None, "row 3, column amount: 'abc' is not a number"),
        ("links_missing_column.csv", "firms.csv", None, "missing column(s) amount"),
        ("links_empty.csv", "firms.csv", None, "the file is empty"),
        ("links.csv", "firms_duplicate.csv", None, "'A钢铁' appears again"),
        (
            "links.csv",
            "firms.csv",
            "essentiality_bad_level.csv",
            "column level: '3' is not a level",
        ),
    ],
)
def test_bad_input_is_one_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    links: str,
    firms: str,
    essentiality: str | None,
    message: str,
) -> None:
    def where(name: str) -> Path:
        return BAD / name if (BAD / name).exists() else GOOD / name

    args = [
        "risk",
        "esri",
        "--links",
        where(links),
        "--firms",
        where(firms),
        "--out",
        tmp_path / "esri.csv",
    ]
    if essentiality:
        args += ["--essentiality", where(essentiality)]
    code, _, stderr = chainwatch(monkeypatch, capsys, *map(str, args))
    assert code == 2
    assert message in stderr.replace("\n", " ") or message in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "esri.csv").exists()


def test_out_must_be_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = chainwatch(
        monkeypatch,
        capsys,
        "risk",
        "esri",
        "--links",
        GOOD / "links.csv",
        "--firms",
        GOOD / "firms.csv",
        "--out",
        tmp_path,
    )
    assert code == 2
    assert "is a folder" in stderr


def test_bad_tolerance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = chainwatch(
        monkeypatch,
        capsys,
        "risk",
        "esri",
        "--links",
        GOOD / "links.csv",
        "--firms",
        GOOD / "firms.csv",
        "--out",
        tmp_path / "o.csv",
        "--tol",
        "-1",
    )
    assert code == 2
    assert "tol (ε) must be a number ≥ 0" in stderr
