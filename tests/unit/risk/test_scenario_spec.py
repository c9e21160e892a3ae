"""The scenario file format: what is accepted, and the one-line messages for what is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainwatch.errors import InputFileError, ValidationError
from chainwatch.risk.foreign import foreign_node, hs_division
from chainwatch.risk.scenario_spec import parse_spec, read_spec


def test_every_kind_of_shock_with_percentages_and_bare_codes() -> None:
    spec = parse_spec(
        {
            "name": " 组合 ",
            "shocks": {
                "firms": [{"uscc": "91330106MA2B0Y8X39"}],
                "regions": [{"code": 330211, "capacity": "30%"}],
                "countries": [{"code": "日本", "capacity": 0}],
                "segments": [{"chain": "ic", "segment": "fab", "capacity": "40"}],
                "products": [{"hs": 370790, "countries": ["JP"], "makers": True}],
            },
        }
    )
    shocks = spec.shocks
    assert spec.name == "组合"
    assert shocks.firms[0].capacity == 0.0  # left out: cut off entirely
    assert shocks.regions[0].code == "330211" and shocks.regions[0].capacity == 30.0
    assert shocks.segments[0].capacity == 40.0 and shocks.products[0].hs == "370790"
    assert shocks.count() == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"shocks": {"regions": [{"code": "330211", "capacity": 130}]}},
         "scenario: shocks.regions[0].capacity: the remaining capacity is a percentage from 0 "
         "(cut off) to 100 (untouched) (got 130)."),
        ({"shocks": {"regions": [{"code": "330211", "capacity": "much"}]}},
         "scenario: shocks.regions[0].capacity: expected a percentage such as 30 or 30% "
         "(got 'much')."),
        ({"shocks": {"products": [{"hs": 302}]}},
         "scenario: shocks.products[0].hs: an odd number of digits; write HS codes in quotes so "
         "that a leading 0 is kept (e.g. '0302') (got 302)."),
        ({"shocks": {"county": [{"code": "330211"}]}}, "scenario: shocks.county: unknown field"),
        ({"shocks": {"regions": [{}]}}, "scenario: shocks.regions[0].code: missing."),
        ({"name": "x"}, "scenario: shocks: missing."),
        ({"shocks": {}}, "scenario: the scenario has no shock"),
        (["JP"], "scenario: expected a mapping with `shocks:`"),
    ],
)  # fmt: skip
def test_problems_are_one_clear_line(data: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_spec(data)
    assert raised.value.message.startswith(message)
    assert "\n" not in raised.value.message and raised.value.errors == []


def test_several_problems_are_listed_together() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_spec({"shocks": {"regions": [{"capacity": -1}], "colour": "red"}})
    assert raised.value.message.startswith("scenario: 3 problems: ")
    assert len(raised.value.errors) == 3


def test_reading_files(tmp_path: Path) -> None:
    good = tmp_path / "cut.yaml"
    good.write_text("name: 日本\nshocks:\n  countries:\n    - code: JP\n", encoding="utf-8")
    assert read_spec(good).shocks.countries[0].code == "JP"
    broken = tmp_path / "broken.yaml"
    broken.write_text("shocks:\n  countries: [code: JP\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"^broken\.yaml: not valid YAML at line 3"):
        read_spec(broken)
    with pytest.raises(InputFileError, match="does not exist"):
        read_spec(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("hs", "division"),
    [("370790", "26"), ("381800", "39"), ("848620", "35"), ("848340", "34"), ("854231", "39"),
     ("270900", "07"), ("2710", "25"), ("870323", "36"), ("901819", "35"), ("52", "17")],
)  # fmt: skip
def test_foreign_nodes_take_the_division_that_makes_the_product(hs: str, division: str) -> None:
    assert hs_division(hs) == division


def test_unknown_hs_chapters_are_refused() -> None:
    with pytest.raises(ValidationError, match="chapter 77"):
        hs_division("770000")
    with pytest.raises(ValidationError, match="2 to 10 digits"):
        hs_division("x")
    assert foreign_node("JP", "370790") == "foreign:JP:370790"


def test_the_documented_examples_are_valid() -> None:
    folder = Path(__file__).parents[3] / "docs" / "scenarios"
    examples = sorted(folder.glob("*.yaml"))
    assert len(examples) >= 3
    for path in examples:
        assert read_spec(path).shocks.count() >= 1, path.name
