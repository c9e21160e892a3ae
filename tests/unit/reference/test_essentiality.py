"""Essentiality matrix: the IHS NACE source, the concordance and the derived GB/T 4754 matrix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainwatch.errors import InputFileError, NotFoundError, ValidationError
from chainwatch.reference.essentiality import (
    DERIVED_FILE,
    UNCLASSIFIED_NACE,
    default_essentiality,
    derive_essentiality,
    essentiality_lookup,
    load_concordance,
    load_nace_essentiality,
    main,
    read_essentiality,
    read_nace_essentiality,
    render_essentiality_csv,
)
from chainwatch.reference.industries import industries_at_level

GB_DIVISIONS = [d.code for d in industries_at_level("division")]


def test_nace_matrix_shape_and_catch_all_sector() -> None:
    nace = load_nace_essentiality()
    assert nace.shape == (89, 89)
    assert list(nace.index) == list(nace.columns)
    assert nace.index[0] == "01"
    assert nace.index[-1] == UNCLASSIFIED_NACE
    # The catch-all sector relates to everything at level 1, both ways.
    assert set(nace.loc[UNCLASSIFIED_NACE]) == {1}
    assert set(nace[UNCLASSIFIED_NACE]) == {1}
    assert set(nace.to_numpy().ravel()) == {0, 1, 2}


def test_nace_matrix_values_read_from_the_file() -> None:
    nace = load_nace_essentiality()
    # Row "26" of ess_mat_n2_ihs.csv, read by hand: 0 for 01, 1 for 19, 2 for 26 and 29.
    assert nace.loc["26", "01"] == 0
    assert nace.loc["26", "19"] == 1
    assert nace.loc["26", "26"] == 2
    assert nace.loc["26", "29"] == 2
    assert nace.loc["01", "10"] == 2
    assert nace.loc["99", "99"] == 0


def test_read_nace_essentiality_rejects_non_square_and_bad_levels(tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text('"","01","02"\n"01",2,0\n"03",1,1\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="square"):
        read_nace_essentiality(ragged)
    bad_level = tmp_path / "bad_level.csv"
    bad_level.write_text('"","01","02"\n"01",2,3\n"02",1,1\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="not 0, 1 or 2"):
        read_nace_essentiality(bad_level)


def test_every_gb_division_has_a_concordance_row() -> None:
    concordance = load_concordance()
    assert sorted(concordance) == GB_DIVISIONS
    nace = load_nace_essentiality()
    targets = set(concordance.values())
    assert targets <= set(nace.index)
    assert UNCLASSIFIED_NACE not in targets


@pytest.mark.parametrize(
    ("gbt", "nace"),
    [
        ("01", "01"),
        ("06", "05"),
        ("07", "06"),
        ("13", "10"),
        ("14", "10"),
        ("15", "11"),
        ("16", "12"),
        ("17", "13"),
        ("18", "14"),
        ("19", "15"),
        ("20", "16"),
        ("21", "31"),
        ("22", "17"),
        ("23", "18"),
        ("24", "32"),
        ("25", "19"),
        ("26", "20"),
        ("27", "21"),
        ("29", "22"),
        ("30", "23"),
        ("31", "24"),
        ("32", "24"),
        ("33", "25"),
        ("34", "28"),
        ("35", "28"),
        ("36", "29"),
        ("37", "30"),
        ("38", "27"),
        ("39", "26"),
        ("40", "26"),
        ("41", "32"),
        ("43", "33"),
        ("44", "35"),
        ("47", "41"),
        ("51", "46"),
        ("52", "47"),
        ("54", "49"),
        ("61", "55"),
        ("62", "56"),
        ("66", "64"),
        ("68", "65"),
        ("70", "68"),
        ("83", "85"),
        ("84", "86"),
        ("97", "99"),
    ],
)
def test_concordance_spot_checks(gbt: str, nace: str) -> None:
    assert load_concordance()[gbt] == nace


def test_derive_on_a_hand_made_example() -> None:
    nace = pd.DataFrame([[2, 0], [1, 1]], index=["10", "26"], columns=["10", "26"])
    derived = derive_essentiality({"39": "26", "13": "10", "14": "10"}, nace)
    assert list(derived.index) == ["13", "14", "39"]
    assert list(derived.columns) == ["13", "14", "39"]
    assert derived.to_numpy().tolist() == [[2, 2, 0], [2, 2, 0], [1, 1, 1]]


def test_derive_reports_unknown_codes() -> None:
    nace = pd.DataFrame([[2]], index=["10"], columns=["10"])
    with pytest.raises(ValidationError, match="not a GB/T 4754-2017 division"):
        derive_essentiality({"98": "10"}, nace)
    with pytest.raises(ValidationError, match="'26' is not in the matrix"):
        derive_essentiality({"39": "26"}, nace)


def test_default_matrix_follows_the_derivation_rule() -> None:
    gb = default_essentiality()
    nace = load_nace_essentiality()
    concordance = load_concordance()
    assert gb.shape == (97, 97)
    assert list(gb.index) == GB_DIVISIONS
    assert list(gb.columns) == GB_DIVISIONS
    assert gb.loc["39", "36"] == nace.loc["26", "29"] == 2
    assert gb.loc["13", "14"] == nace.loc["10", "10"]
    for supplier in ("01", "26", "39", "44", "72"):
        for customer in GB_DIVISIONS:
            expected = nace.loc[concordance[supplier], concordance[customer]]
            assert gb.loc[supplier, customer] == expected


def test_shipped_derived_file_equals_a_fresh_derivation() -> None:
    fresh = render_essentiality_csv(
        derive_essentiality(load_concordance(), load_nace_essentiality())
    )
    assert DERIVED_FILE.read_text(encoding="utf-8") == fresh
    assert main(["--check"]) == 0


def test_derived_file_lists_only_nonzero_pairs() -> None:
    lines = DERIVED_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "supplier_division,customer_division,level"
    levels = {line.rsplit(",", 1)[1] for line in lines[1:]}
    assert levels == {"1", "2"}
    nonzero = int((default_essentiality() > 0).to_numpy().sum())
    assert len(lines) - 1 == nonzero


def test_regeneration_entry_point_writes_the_same_file(tmp_path: Path) -> None:
    output = tmp_path / "derived.csv"
    assert main(["--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == DERIVED_FILE.read_text(encoding="utf-8")


def test_lookup_accepts_codes_of_any_level() -> None:
    gb = default_essentiality()
    assert essentiality_lookup("C3973", "3612") == gb.loc["39", "36"] == 2
    assert essentiality_lookup("39", "C36") == 2
    assert essentiality_lookup("4411", "1711") == gb.loc["44", "17"]
    own = pd.DataFrame(0, index=GB_DIVISIONS, columns=GB_DIVISIONS)
    own.loc["39", "36"] = 1
    assert essentiality_lookup("3973", "3612", matrix=own) == 1
    assert essentiality_lookup("3612", "3973", matrix=own) == 0


def test_lookup_rejects_sections_and_unknown_codes() -> None:
    with pytest.raises(ValidationError):
        essentiality_lookup("C", "36")
    with pytest.raises(NotFoundError):
        essentiality_lookup("9801", "36")
    small = pd.DataFrame([[2]], index=["39"], columns=["39"])
    with pytest.raises(ValidationError, match="no entry"):
        essentiality_lookup("39", "36", matrix=small)


def test_user_supplied_long_file(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "supplier_division,customer_division,level\nC3973,3612,2\n26,36,1\n3971,36,2\n",
        encoding="utf-8-sig",
    )
    matrix = read_essentiality(path)
    assert matrix.shape == (97, 97)
    assert matrix.loc["39", "36"] == 2
    assert matrix.loc["26", "36"] == 1
    assert int(matrix.to_numpy().sum()) == 3


def test_user_supplied_long_file_problems(tmp_path: Path) -> None:
    conflict = tmp_path / "conflict.csv"
    conflict.write_text(
        "supplier_division,customer_division,level\n3973,36,2\n3971,36,1\n9801,36,1\n39,36,5\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        read_essentiality(conflict)
    assert len(caught.value.errors) == 3
    assert "row 3" in caught.value.errors[0]
    missing = tmp_path / "missing.csv"
    missing.write_text("supplier,customer,level\n39,36,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="supplier_division"):
        read_essentiality(missing)
