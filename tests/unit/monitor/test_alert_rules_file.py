"""The alert rule file: shipped defaults, an analyst's own file, and every mistake explained."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chainwatch.errors import ConfigError
from chainwatch.monitor.rules import (
    DEFAULTS_FILE,
    load_rules,
    override_path,
    parse_rules,
    read_rules,
    write_defaults,
)


def test_defaults_hold_the_rules_the_spec_asks_for() -> None:
    rules = read_rules(DEFAULTS_FILE)
    by_id = {r.id: r for r in rules.all}
    stop = by_id["production_stop"]
    assert (stop.kind, stop.months, [(lv.grade, lv.below) for lv in stop.levels]) == (
        "electricity_drop",
        2,
        [("红", 0.3), ("橙", 0.6)],
    )
    assert [(lv.grade, lv.below) for lv in by_id["sales_collapse"].levels] == [("橙", -0.5)]
    imports = by_id["import_interruption"]
    assert (imports.steady_months, imports.dominant_share, imports.dominant_grade) == (3, 0.6, "红")
    region = by_id["region_index_low"]
    assert region.scope == ["province", "city", "county"] and region.months == 3
    assert [(lv.grade, lv.below) for lv in region.levels] == [("橙", 90), ("黄", 100)]
    assert by_id["chain_index_low"].scope == ["chain"]
    assert by_id["index_change_point"].grades == ("提示",)


def test_own_file_in_the_home_replaces_the_defaults(home: Path) -> None:
    assert load_rules().source == DEFAULTS_FILE
    written = write_defaults()
    assert written == override_path() and load_rules().source == written
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["id"] == "production_stop"]
    data["rules"][0]["levels"] = [{"grade": "红", "below": 0.25}]
    written.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (rule,) = load_rules().all
    assert rule.levels[0].below == 0.25
    with pytest.raises(ConfigError, match="already exists"):
        write_defaults()
    write_defaults(replace=True)
    assert len(load_rules().all) == 6


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "nope.yaml")


def problems(data: object) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_rules(data, "mine.yaml")
    return caught.value.message


def rule(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "stop",
        "name": "停产",
        "kind": "electricity_drop",
        "levels": [{"grade": "红", "below": 0.3}],
        "message": "{name} {ratio_pct:.1f}%",
    }
    return {**base, **fields}


def test_every_mistake_is_reported_with_where_it_is() -> None:
    message = problems(
        {
            "rules": [
                rule(id="Stop", message="{nam}"),
                rule(
                    id="idx",
                    kind="index_below",
                    scope="town",
                    levels=[{"grade": "紫", "below": 90}],
                ),
                rule(id="cp", kind="change_point", scope="chain", grade="红", penalty=-1),
            ]
        }
    )
    assert message.startswith("mine.yaml: 9 problem(s) in the alert rules:")
    for text in (
        "rules[0] (Stop) id: 'Stop' is not a rule id",
        "rules[0] (Stop) message: message template uses {nam}",
        "available: {name}",
        "rules[1] (idx) scope[0]: Input should be 'province', 'city', 'county', 'chain' or "
        "'segment' (got 'town')",
        "rules[1] (idx) levels[0].grade: Input should be '红', '橙' or '黄' (got '紫')",
        "rules[2] (cp) grade: Input should be '提示'",
        "rules[2] (cp) penalty: Input should be greater than 0 (got -1)",
    ):
        assert text in message, text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"rules": [rule(kind="weather")]}, "kind must be one of electricity_drop, sales_yoy"),
        ({"rules": [rule(threshold=3)]}, "rules[0] (stop) threshold: is not a field of this kind"),
        ({"rules": [rule(), rule()]}, "rule id(s) stop appear more than once"),
        (
            {
                "rules": [
                    rule(levels=[{"grade": "红", "below": 0.6}, {"grade": "橙", "below": 0.3}])
                ]
            },
            "grade 红 (below 0.6) must have a lower threshold than the milder grade 橙",
        ),
        (
            {"rules": [rule(levels=[{"grade": "红", "below": 1.5}])]},
            "below 1.5 for grade 红 is outside 0…1",
        ),
        ({"rules": [rule(levels=[])]}, "needs at least one level"),
        ({"rules": [rule(message="{name")]}, "message template cannot be read"),
        ({"rules": [rule(message="{value:.1q}")]}, "message template cannot be filled in"),
        (
            {"rules": [rule(baseline_months=6, baseline_min_months=8)]},
            "baseline_min_months 8 is more",
        ),
        ({"rules": [rule(id="x", kind="index_below", scope=[])]}, "needs at least one scope"),
        ({"rules": [rule(months=0)]}, "months: Input should be greater than or equal to 1"),
        ([1, 2], "expected a mapping with a 'rules:' list"),
    ],
)
def test_single_mistakes_are_explained(data: object, expected: str) -> None:
    assert expected in problems(data)


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: a\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"rules\.yaml line \d+, column \d+: not valid YAML"):
        read_rules(path)
