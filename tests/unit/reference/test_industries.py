"""GB/T 4754-2017 industry table and code handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.errors import ConfigError, NotFoundError, ValidationError
from chainwatch.reference.industries import (
    MANUFACTURING_DIVISIONS,
    division_of,
    get_industry,
    industries_at_level,
    industry_name,
    is_known_industry,
    load_industries,
    normalise_industry_code,
    read_industries,
    section_of,
)

# Section → first and last division, as printed in GB/T 4754-2017.
SECTION_RANGES = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}


def test_counts_of_sections_and_divisions() -> None:
    assert len(industries_at_level("section")) == 20
    divisions = industries_at_level("division")
    assert len(divisions) == 97
    # Divisions of GB/T 4754-2017 run from 01 to 97 without gaps.
    assert [d.code for d in divisions] == [f"{n:02d}" for n in range(1, 98)]


def test_manufacturing_groups_and_classes_are_complete() -> None:
    groups = industries_at_level("group")
    classes = industries_at_level("class")
    # Only manufacturing is enumerated below division level.
    assert {g.code[:2] for g in groups} == MANUFACTURING_DIVISIONS
    assert {c.code[:2] for c in classes} == MANUFACTURING_DIVISIONS
    assert len(MANUFACTURING_DIVISIONS) == 31
    assert len(groups) == 179
    # Includes 3843 and 3844, which the table lists as amended in 2019 (see the docs).
    assert len(classes) == 609


def test_every_division_sits_in_its_section() -> None:
    table = load_industries()
    for section, (first, last) in SECTION_RANGES.items():
        for number in range(first, last + 1):
            assert table[f"{number:02d}"].section == section


@pytest.mark.parametrize(
    ("code", "name_zh", "parent"),
    [
        ("3973", "集成电路制造", "397"),
        ("3911", "计算机整机制造", "391"),
        ("3841", "锂离子电池制造", "384"),
        ("3843", "铅蓄电池制造", "384"),
        ("3844", "锌锰电池制造", "384"),
        ("3612", "新能源车整车制造", "361"),
        ("2710", "化学药品原料药制造", "271"),
        ("1711", "棉纺纱加工", "171"),
        ("3491", "工业机器人制造", "349"),
        ("3562", "半导体器件专用设备制造", "356"),
        ("4343", "航空航天器修理", "434"),
        ("397", "电子器件制造", "39"),
        ("271", "化学药品原料药制造", "27"),
        ("39", "计算机、通信和其他电子设备制造业", "C"),
        ("36", "汽车制造业", "C"),
        ("65", "软件和信息技术服务业", "I"),
        ("97", "国际组织", "T"),
        ("C", "制造业", None),
    ],
)
def test_spot_checks_against_the_standard(code: str, name_zh: str, parent: str | None) -> None:
    industry = load_industries()[code]
    assert industry.name_zh == name_zh
    assert industry.parent == parent
    assert industry.name_en


def test_parent_links_are_consistent() -> None:
    table = load_industries()
    expected_parent_level = {"division": "section", "group": "division", "class": "group"}
    for industry in table.values():
        if industry.level == "section":
            assert industry.parent is None
            continue
        assert industry.parent is not None
        parent = table[industry.parent]
        assert parent.level == expected_parent_level[industry.level]
        assert parent.section == industry.section
        if industry.level in ("group", "class"):
            assert industry.code.startswith(parent.code)


def test_groups_with_one_class_share_its_name_and_end_in_zero() -> None:
    table = load_industries()
    classes_by_group: dict[str, list[str]] = {}
    for industry in industries_at_level("class"):
        classes_by_group.setdefault(industry.code[:3], []).append(industry.code)
    assert set(classes_by_group) == {g.code for g in industries_at_level("group")}
    for group, classes in classes_by_group.items():
        if len(classes) == 1:
            assert classes == [group + "0"]
            assert table[group].name_zh == table[group + "0"].name_zh


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C3973", "3973"),
        ("c3973", "3973"),
        ("3973", "3973"),
        (" 3973 ", "3973"),
        ("３９７３", "3973"),
        (3973, "3973"),
        (3973.0, "3973"),
        (39, "39"),
        ("C39", "39"),
        ("C397", "397"),
        ("C", "C"),
        ("c", "C"),
        ("0111", "0111"),
        ("A0111", "0111"),
        (131, "131"),
        ("A3973", None),
        ("C0111", None),
        ("C9999", None),
        ("1", None),
        (1, None),
        ("39731", None),
        ("C 3973", None),
        ("Z", None),
        ("", None),
        (39.5, None),
        (True, None),
        (None, None),
    ],
)
def test_normalise_industry_code(value: object, expected: str | None) -> None:
    assert normalise_industry_code(value) == expected


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("C3973", True),
        ("3990", True),
        ("397", True),
        ("3970", False),  # group 397 has classes 3971–3979, not 3970
        ("3845", False),
        ("398", True),
        ("5111", True),  # outside manufacturing: accepted because division 51 exists
        ("511", True),
        ("0111", True),
        ("9999", False),
        ("98", False),
        ("T", True),
        ("A3973", False),
    ],
)
def test_is_known_industry(code: str, known: bool) -> None:
    assert is_known_industry(code) is known


def test_division_and_section_of() -> None:
    assert division_of("3973") == "39"
    assert division_of("C397") == "39"
    assert division_of(36) == "36"
    assert section_of("3973") == "C"
    assert section_of("0111") == "A"
    assert section_of("6513") == "I"
    assert section_of("c") == "C"


def test_division_of_rejects_sections_and_bad_codes() -> None:
    with pytest.raises(ValidationError, match="section"):
        division_of("C")
    with pytest.raises(ValidationError, match="not a GB/T 4754-2017 code"):
        division_of("x39")
    with pytest.raises(NotFoundError, match="division 98"):
        division_of("9801")


def test_industry_name_falls_back_to_nearest_ancestor() -> None:
    assert industry_name("3973") == "集成电路制造"
    assert industry_name("C3973", lang="en") == "Integrated circuits"
    assert industry_name("5111") == "批发业"
    assert industry_name("5111", lang="en") == "Wholesale trade"
    assert get_industry("651").code == "65"
    with pytest.raises(NotFoundError):
        industry_name("3970")
    with pytest.raises(ValidationError, match="language"):
        industry_name("39", lang="fr")


def test_read_industries_reports_a_broken_table(tmp_path: Path) -> None:
    wrong_header = tmp_path / "wrong.csv"
    wrong_header.write_text("code,name\nC,制造业\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="header"):
        read_industries(wrong_header)
    bad_parent = tmp_path / "bad.csv"
    bad_parent.write_text(
        "code,level,section,parent,name_zh,name_en\n"
        "C,section,C,,制造业,Manufacturing\n"
        "39,division,C,C,计算机,Computers\n"
        "3973,class,C,39,集成电路制造,Integrated circuits\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="parent '39', expected 397"):
        read_industries(bad_parent)
