"""File mode: reading LINKS / FIRMS / E, broken files, and the written results.

The example in tests/data/good/esri (see its README): A钢铁 (x) and B化工 (y) supply
C = 91330100MA2XXXXXX1 (z) with 1 and 1 + 2 = 3, C supplies D (z) with 4; E[x,z] = 2,
E[y,z] = E[z,z] = 1. s_out = (1, 3, 4, 0), Σ = 8. By hand, at ε = 0.01:

- A fails: C has no other essential x input → h_d_C = 0 (round 1), D loses 4/4 → 0 (round 2).
  ESRI = ESRI_down = (1 + 4)/8 = 0.625; ESRI_up = 1/8 (A itself; it has no suppliers).
- B fails: C loses 3/4 of its (non-essential) input → 0.25, D loses 4/4 · 0.75 → 0.25.
  ESRI = ESRI_down = (3 + 4·0.75)/8 = 0.75; ESRI_up = 3/8.
- C fails: D → 0 (weight 0); upstream A and B sold everything to C → h_u = 0.
  ESRI_down = 4/8, ESRI_up = (1 + 3 + 4)/8 = 1 = ESRI.
- D fails (no customers, weight 0): upstream C → 0 (round 1), A and B → 0 (round 2).
  ESRI = ESRI_up = 1, ESRI_down = 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainwatch.errors import InputFileError, ValidationError
from chainwatch.risk.fast import firm_esri
from chainwatch.risk.files import load_inputs, read_table, write_results

DATA = Path(__file__).parents[2] / "data"
GOOD = DATA / "good" / "esri"
BAD = DATA / "bad" / "esri"
EXPECTED = pd.read_csv(GOOD / "expected.csv", encoding="utf-8")


def run(
    links: Path,
    firms: Path,
    essentiality: Path | None = GOOD / "essentiality.csv",
    exact: bool = True,
) -> pd.DataFrame:
    inputs = load_inputs(links, firms, essentiality)
    result = firm_esri(inputs.network, exact=exact)
    return pd.DataFrame(
        {
            "firm": inputs.firms,
            "esri": result.esri,
            "esri_downstream": result.esri_down,
            "esri_upstream": result.esri_up,
        }
    )


def assert_expected(frame: pd.DataFrame, atol: float = 1e-12) -> None:
    assert list(frame["firm"]) == list(EXPECTED["firm"])
    for column in ("esri", "esri_downstream", "esri_upstream"):
        np.testing.assert_allclose(frame[column], EXPECTED[column], atol=atol)


def test_example_matches_the_hand_computation() -> None:
    inputs = load_inputs(GOOD / "links.csv", GOOD / "firms.csv", GOOD / "essentiality.csv")
    assert inputs.network.links == 3  # the two B化工 → C rows add up to one link of 3
    assert inputs.network.matrix[1, 2] == 3.0
    assert inputs.sectors == ["x", "y", "z"]
    assert inputs.markets is None
    assert_expected(run(GOOD / "links.csv", GOOD / "firms.csv"))
    assert_expected(run(GOOD / "links.csv", GOOD / "firms.csv", exact=False), atol=1e-3)


def test_bom_gbk_and_chinese_headers() -> None:
    assert_expected(run(GOOD / "links_bom.csv", GOOD / "firms_gbk.csv"))


def test_parquet_and_xlsx(tmp_path: Path) -> None:
    links = pd.read_csv(GOOD / "links.csv", dtype=str)
    firms = pd.read_csv(GOOD / "firms.csv", dtype=str)
    links["amount"] = links["amount"].astype(float)
    links.to_parquet(tmp_path / "links.parquet")
    firms.to_excel(tmp_path / "firms.xlsx", index=False)
    assert_expected(run(tmp_path / "links.parquet", tmp_path / "firms.xlsx"))


def test_without_essentiality_every_pair_is_non_essential() -> None:
    """E = 1 everywhere. A fails: C loses 1/4 → 0.75, D loses 4/4 · 0.25 → 0.75.
    ESRI = ESRI_down = (1 + 4·0.25)/8 = 0.25, ESRI_up = 1/8."""
    frame = run(GOOD / "links.csv", GOOD / "firms.csv", essentiality=None)
    assert frame.loc[0, "esri"] == pytest.approx(0.25)
    assert frame.loc[0, "esri_downstream"] == pytest.approx(0.25)
    assert frame.loc[0, "esri_upstream"] == pytest.approx(1 / 8)


def test_market_sector_column_turns_replaceability_on(tmp_path: Path) -> None:
    """A and B in one market: A_m = 1·0 + 3·1 = 3 when A fails, σ_A = 1/3, so C loses only
    1/3 of its essential x input: h_d_C = 2/3; D loses 4/4 · 1/3 (C alone in its market with
    A = 4·2/3 < 4, σ_C = 1): h_d_D = 2/3. ESRI_down = (1 + 4/3)/8 = 7/24."""
    firms = pd.read_csv(GOOD / "firms.csv", dtype=str)
    firms["market_sector"] = ["m1", "m1", "m2", "m3"]
    firms.to_csv(tmp_path / "firms.csv", index=False)
    inputs = load_inputs(GOOD / "links.csv", tmp_path / "firms.csv", GOOD / "essentiality.csv")
    assert inputs.markets == ["m1", "m2", "m3"]
    result = firm_esri(inputs.network, [0], exact=True)
    assert result.esri_down[0] == pytest.approx(7 / 24)


def test_results_file_round_trips(tmp_path: Path) -> None:
    frame = run(GOOD / "links.csv", GOOD / "firms.csv")
    target = tmp_path / "out" / "esri.csv"
    write_results(
        target,
        list(frame["firm"]),
        frame["esri"].to_numpy(),
        frame["esri_downstream"].to_numpy(),
        frame["esri_upstream"].to_numpy(),
    )
    assert target.read_bytes().startswith(b"\xef\xbb\xbffirm,esri,esri_downstream,esri_upstream")
    assert_expected(pd.read_csv(target, encoding="utf-8-sig"))
    write_results(
        tmp_path / "esri.parquet",
        list(frame["firm"]),
        frame["esri"].to_numpy(),
        frame["esri_downstream"].to_numpy(),
        frame["esri_upstream"].to_numpy(),
    )
    assert_expected(pd.read_parquet(tmp_path / "esri.parquet"))


@pytest.mark.parametrize(
    ("links", "error", "words"),
    [
        (
            "links_unknown_firm.csv",
            ValidationError,
            ["links_unknown_firm.csv row 3, column supplier: 'Z未知'", "not a firm in firms.csv"],
        ),
        (
            "links_negative.csv",
            ValidationError,
            ["links_negative.csv row 3, column amount: '-5'", "negative"],
        ),
        (
            "links_nonnumeric.csv",
            ValidationError,
            ["links_nonnumeric.csv row 3, column amount: 'abc'", "not a number"],
        ),
        (
            "links_missing_column.csv",
            InputFileError,
            ["links_missing_column.csv", "missing column(s) amount", "'value'"],
        ),
        ("links_empty.csv", InputFileError, ["links_empty.csv", "empty"]),
        ("links_header_only.csv", InputFileError, ["links_header_only.csv", "no data rows"]),
    ],
)
def test_broken_links(links: str, error: type[Exception], words: list[str]) -> None:
    with pytest.raises(error) as caught:
        load_inputs(BAD / links, GOOD / "firms.csv", GOOD / "essentiality.csv")
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(
    ("firms", "words"),
    [
        ("firms_duplicate.csv", ["firms_duplicate.csv row 4, column firm: 'A钢铁'", "row 2"]),
        ("firms_empty_sector.csv", ["firms_empty_sector.csv row 3, column sector", "empty"]),
    ],
)
def test_broken_firms(firms: str, words: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        load_inputs(GOOD / "links.csv", BAD / firms)
    for word in words:
        assert word in str(caught.value)


def test_level_outside_0_to_2() -> None:
    with pytest.raises(ValidationError) as caught:
        load_inputs(GOOD / "links.csv", GOOD / "firms.csv", BAD / "essentiality_bad_level.csv")
    assert "essentiality_bad_level.csv row 3, column level: '3'" in str(caught.value)
    assert "expected 0 (negligible), 1 (non-essential) or 2 (essential)" in str(caught.value)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "links.csv"
    bad.write_text("supplier,customer,amount\nA钢铁,D,x\nQ,D,-1\nA钢铁,,2\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_inputs(bad, GOOD / "firms.csv")
    assert "4 problems" in caught.value.message
    text = "\n".join(caught.value.errors)
    for piece in (
        "row 2, column amount: 'x'",
        "row 3, column supplier: 'Q'",
        "row 3, column amount: '-1'",
        "row 4, column customer: ''",
    ):
        assert piece in text


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "links.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputFileError, match="unknown file type"):
        read_table(tmp_path / "links.json", ("supplier",))
    with pytest.raises(InputFileError, match="no such file"):
        read_table(tmp_path / "nope.csv", ("supplier",))
