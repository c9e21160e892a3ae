"""Chain definitions: the shipped chains, validation of broken files, add/replace, the CLI."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainwatch.atlas.chains import (
    FLAGSHIP_CHAIN_IDS,
    SHIPPED_DIR,
    STAGES,
    Chain,
    add_chain,
    get_chain,
    load_chains,
    shipped_chains,
    validate_chain_file,
)
from chainwatch.cli.main import app, main
from chainwatch.errors import (
    ChainwatchError,
    ConflictError,
    InputFileError,
    NotFoundError,
    ValidationError,
)
from chainwatch.reference.industries import is_known_industry

BAD = Path(__file__).parents[2] / "data" / "bad" / "chains"
DOCS = Path(__file__).parents[3] / "docs" / "chains.md"
FLAGSHIP_NAMES = (
    "数字安防",
    "集成电路",
    "网络通信",
    "智能计算",
    "生物医药",
    "炼化一体化与新材料",
    "节能与新能源汽车",
    "智能装备",
    "智能家居",
    "现代纺织",
)

# Each broken file has one problem; the message must name the line and say what is wrong.
EXPECTED = {
    "bad_id.yaml": ("line 2", "id '集成电路' is not usable"),
    "bad_stage.yaml": (
        "line 7",
        "stage 'upstream' is not one of 上游, 中游, 下游 (did you mean 上游?)",
    ),
    "bottleneck_not_bool.yaml": ("line 9", "field bottleneck: expected true or false, got '是'"),
    "duplicate_flow.yaml": ("line 15", "flow fab → design repeats flows[0]"),
    "duplicate_key.yaml": ("line 4", "key 'name' appears twice"),
    "duplicate_segment_id.yaml": ("line 9", "segment id 'fab' is also used by segments[0]"),
    "empty.yaml": ("", "the file is empty"),
    "field_typo.yaml": ("line 9", "unknown field 'keywrods'; did you mean 'keywords'?"),
    "flow_unknown_segment.yaml": ("line 14", "'fabb' is not a segment of this chain; did you mean"),
    "gbk_encoded.yaml": ("", "is not UTF-8"),
    "keyword_also_excluded.yaml": ("line 9", "'光刻机' is both a keyword and an exclude keyword"),
    "keywords_not_list.yaml": ("line 8", "field keywords: expected a list"),
    "malformed_hs_code.yaml": ("line 9", "HS code '84862' has 5 digits"),
    "missing_name.yaml": ("line 5", "segment 'a', field name: required field 'name' is missing"),
    "no_placement_rules.yaml": ("line 5", "neither industry_codes nor keywords"),
    "no_segments.yaml": ("line 4", "the chain has no segments"),
    "not_a_mapping.yaml": ("line 2", "expected chain fields"),
    "self_flow.yaml": ("line 10", "flow from 'fab' to itself"),
    "syntax_error.yaml": ("line 10, column 1", "found character '\\t'"),
    "unknown_industry_code.yaml": (
        "line 8",
        "'3999' is not in GB/T 4754-2017; 399 其他电子设备制造 has: 3990",
    ),
}

runner = CliRunner()


def docs_example(folder: Path) -> Path:
    """The complete example of docs/chains.md, written to a file."""
    block = re.search(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert block is not None
    path = folder / "pv.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    return path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the real entry point, which turns user errors into exit status 2."""
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


# --- the shipped chains ------------------------------------------------------------------------


def test_the_ten_flagship_chains_ship_in_plan_order() -> None:
    chains = shipped_chains()
    assert tuple(chains) == FLAGSHIP_CHAIN_IDS
    assert tuple(c.name for c in chains.values()) == FLAGSHIP_NAMES
    assert sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml")) == sorted(FLAGSHIP_CHAIN_IDS)
    assert all(c.origin == "shipped" and c.sources for c in chains.values())


@pytest.mark.parametrize("chain_id", FLAGSHIP_CHAIN_IDS)
def test_shipped_chain_is_complete(chain_id: str) -> None:
    chain = shipped_chains()[chain_id]
    assert 5 <= len(chain.segments) <= 9
    assert len({s.stage for s in chain.segments}) >= 2
    for segment in chain.segments:
        assert segment.industry_codes or segment.keywords, segment.id
        assert segment.name_en and segment.description, segment.id
        assert all(is_known_industry(code) for code in segment.industry_codes), segment.id
    assert chain.name_en and chain.description


@pytest.mark.parametrize("chain_id", FLAGSHIP_CHAIN_IDS)
def test_shipped_flows_connect_every_segment(chain_id: str) -> None:
    chain = shipped_chains()[chain_id]
    neighbours: dict[str, set[str]] = {s.id: set() for s in chain.segments}
    for flow in chain.flows:
        neighbours[flow.source].add(flow.target)
        neighbours[flow.target].add(flow.source)
    reached, todo = set(), [chain.segments[0].id]
    while todo:
        current = todo.pop()
        if current not in reached:
            reached.add(current)
            todo.extend(neighbours[current])
    assert reached == set(neighbours)


def test_ic_follows_the_known_structure() -> None:
    ic = get_chain("ic")
    stages = {s.id: s.stage for s in ic.segments}
    expected = ["上游", "中游", "中游", "中游"]
    assert [stages[s] for s in ("eda", "design", "fab", "packaging")] == expected
    assert set(ic.suppliers_of("fab")) == {"materials", "equipment"}
    products = {p.name: p for s in ic.segments for p in s.key_products}
    assert products["光刻机"].hs_codes == ("848620",) and products["光刻机"].bottleneck
    assert products["光刻胶（ArF/EUV）"].hs_codes == ("370790",)
    assert ic.segment("eda").bottleneck


def test_nev_feeds_vehicles_from_four_segments() -> None:
    nev = get_chain("节能与新能源汽车")
    assert set(nev.suppliers_of("oem")) == {"battery", "motors", "chips", "parts"}
    assert nev.customers_of("li_materials") == ["battery"]
    mcu = next(p for p in nev.segment("chips").key_products if p.name == "车规级MCU")
    assert mcu.bottleneck and mcu.hs_codes == ("854231",)


def test_textile_runs_from_feedstock_to_garments() -> None:
    textile = get_chain("textile")
    path = ["feedstock", "fibre", "spinning", "weaving", "dyeing", "garments"]
    for source, target in itertools.pairwise(path):
        assert target in textile.customers_of(source)


def test_smarthome_ships_a_cycle() -> None:
    home = get_chain("smarthome")
    assert "appliances" in home.customers_of("platform")
    assert "platform" in home.customers_of("appliances")


def test_demo_province_segments_fall_under_their_chain() -> None:
    """Each synthetic segment's main industry code and some of its words hit its own chain."""
    from chainwatch.synth.templates import all_segments

    by_name = {c.name: c for c in shipped_chains().values()}
    for template in all_segments():
        if template.chain is None:
            continue
        chain = by_name[template.chain]
        code = template.industries[0].lstrip("ABCDEFGHIJKLMNOPQRST")
        assert any(
            code.startswith(prefix) for s in chain.segments for prefix in s.industry_codes
        ), template.key
        words = [*template.products, *template.scope]
        assert any(k in w for s in chain.segments for k in s.keywords for w in words), template.key


# --- validation --------------------------------------------------------------------------------


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_its_message(name: str) -> None:
    expected_type = InputFileError if name == "gbk_encoded.yaml" else ValidationError
    with pytest.raises(expected_type) as caught:
        validate_chain_file(BAD / name)
    messages = caught.value.errors or [caught.value.message]
    assert len(messages) == 1, messages
    where, what = EXPECTED[name]
    assert name in messages[0] and where in messages[0] and what in messages[0], messages[0]


def test_all_problems_are_reported_together_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "many.yaml",
        """id: many
name: 多个问题
segmnets: []
segments:
  - id: a
    name: 甲
    stage: 上
    industry_codes: ["3973", "9"]
    hs_codes: ["7701"]
  - id: b
    name: 乙
    stage: 下游
    keywords: [乙]
flows:
  - {from: a, to: c}
""",
    )
    with pytest.raises(ValidationError) as caught:
        validate_chain_file(path)
    errors = caught.value.errors
    assert "5 problem(s)" in caught.value.message
    assert [int(re.search(r"line (\d+)", e).group(1)) for e in errors] == [3, 7, 8, 9, 15]
    assert "did you mean 'segments'?" in errors[0]
    assert "(did you mean 上游?)" in errors[1]
    assert "industry_codes[1]: '9' is not a GB/T 4754-2017 code" in errors[2]
    assert "chapter 77, which does not exist" in errors[3]
    assert "flows[0], field to: 'c' is not a segment" in errors[4]


def test_codes_are_text_as_written_and_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "codes.yaml",
        """id: codes
name: 代码
segments:
  - id: farm
    name: 种植
    stage: 上游
    industry_codes: [0111, C3973, " 397 "]
    hs_codes: [0901, "8486.20"]
""",
    )
    segment = validate_chain_file(path).segments[0]
    assert segment.industry_codes == ("0111", "3973", "397")
    assert segment.hs_codes == ("0901", "848620")


def test_a_whole_section_is_too_broad(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "section.yaml",
        "id: s\nname: 门类\nsegments:\n  - {id: a, name: 甲, stage: 上游, industry_codes: [C]}\n",
    )
    with pytest.raises(ValidationError) as caught:
        validate_chain_file(path)
    assert "'C' is not a GB/T 4754-2017 code" in caught.value.errors[0]


def test_cycles_are_allowed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cycle.yaml",
        """id: cycle
name: 循环
segments:
  - {id: a, name: 甲, stage: 上游, keywords: [甲]}
  - {id: b, name: 乙, stage: 下游, keywords: [乙]}
flows:
  - {from: a, to: b}
  - {from: b, to: a}
""",
    )
    chain = validate_chain_file(path)
    assert chain.customers_of("a") == ["b"] and chain.customers_of("b") == ["a"]


def test_chinese_field_names_get_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "zh.yaml", "id: zh\nname: 中文字段\n环节: []\n")
    with pytest.raises(ValidationError) as caught:
        validate_chain_file(path)
    assert any("unknown field '环节'; did you mean 'segments'?" in e for e in caught.value.errors)
    assert any("required field 'segments' is missing" in e for e in caught.value.errors)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        validate_chain_file(tmp_path / "nothing.yaml")


def test_the_docs_example_is_valid(tmp_path: Path) -> None:
    chain = validate_chain_file(docs_example(tmp_path))
    assert [s.stage for s in chain.segments] == ["上游", "上游", "中游", "中游", "下游"]
    assert set(STAGES) == {s.stage for s in chain.segments}


# --- adding and replacing ----------------------------------------------------------------------


def test_add_then_load_and_get(home: Path, tmp_path: Path) -> None:
    chain = add_chain(docs_example(tmp_path))
    assert chain.origin == "user" and chain.path == home / "chains" / "pv.yaml"
    chains = load_chains()
    assert list(chains)[-1] == "pv" and list(chains)[:10] == list(FLAGSHIP_CHAIN_IDS)
    assert get_chain("智能光伏").id == "pv" and get_chain("pv").origin == "user"


def test_adding_the_same_id_again_needs_replace(home: Path, tmp_path: Path) -> None:
    source = docs_example(tmp_path)
    add_chain(source)
    source.write_text(source.read_text(encoding="utf-8").replace("智能光伏", "光伏"), "utf-8")
    with pytest.raises(ConflictError, match="already added"):
        add_chain(source)
    assert get_chain("pv").name == "智能光伏"
    add_chain(source, replace=True)
    assert get_chain("pv").name == "光伏"
    assert [p.name for p in (home / "chains").iterdir()] == ["pv.yaml"]


def test_a_shipped_chain_is_replaced_only_on_purpose(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "my_ic.yaml"
    text = (SHIPPED_DIR / "ic.yaml").read_text(encoding="utf-8")
    source.write_text(text.replace("name: 集成电路", "name: 集成电路（本市）"), "utf-8")
    with pytest.raises(ConflictError, match="is a shipped chain"):
        add_chain(source)
    assert get_chain("ic").origin == "shipped"
    add_chain(source, replace=True)
    assert (home / "chains" / "ic.replace.yaml").is_file()
    chains = load_chains()
    assert list(chains).index("ic") == 1
    assert chains["ic"].name == "集成电路（本市）" and chains["ic"].origin == "user"
    (home / "chains" / "ic.replace.yaml").unlink()
    assert get_chain("ic").origin == "shipped"


def test_a_stored_file_reusing_a_shipped_id_is_refused(home: Path) -> None:
    (home / "chains").mkdir(parents=True)
    shutil.copy(SHIPPED_DIR / "textile.yaml", home / "chains" / "textile.yaml")
    with pytest.raises(ValidationError) as caught:
        load_chains()
    assert "is a shipped chain (现代纺织)" in caught.value.errors[0]
    assert "--replace" in caught.value.errors[0]


def test_a_broken_stored_file_is_reported_and_can_be_replaced(home: Path, tmp_path: Path) -> None:
    (home / "chains").mkdir(parents=True)
    write(home / "chains", "pv.yaml", "id: pv\nname: 坏\nsegments: []\n")
    with pytest.raises(ValidationError) as caught:
        load_chains()
    assert "pv.yaml line 3" in caught.value.errors[0]
    add_chain(docs_example(tmp_path), replace=True)
    assert load_chains()["pv"].name == "智能光伏"


def test_an_invalid_file_is_not_stored(home: Path) -> None:
    with pytest.raises(ValidationError):
        add_chain(BAD / "self_flow.yaml")
    assert not (home / "chains").exists()


def test_an_unknown_chain_lists_the_available_ones(home: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        get_chain("chips")
    assert "ic (集成电路)" in caught.value.message and "textile (现代纺织)" in caught.value.message


def test_models_are_frozen() -> None:
    chain: Chain = get_chain("ic")
    with pytest.raises(Exception, match="frozen"):
        chain.name = "别的"  # type: ignore[misc]


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_list_json(home: Path) -> None:
    result = runner.invoke(app, ["chains", "list", "--json"])
    assert result.exit_code == 0, result.output
    chains = json.loads(result.stdout)
    assert [c["id"] for c in chains] == list(FLAGSHIP_CHAIN_IDS)
    assert chains[1]["name"] == "集成电路"
    assert chains[1]["segments"][0] == {
        "id": "eda",
        "name": "EDA/IP与设计工具",
        "stage": "上游",
        "bottleneck": True,
    }


def test_cli_list_and_show_tables(home: Path) -> None:
    listed = runner.invoke(app, ["chains", "list"])
    assert listed.exit_code == 0 and "现代纺织" in listed.stdout
    shown = runner.invoke(app, ["chains", "show", "ic"])
    assert shown.exit_code == 0, shown.output
    assert "光刻机" in shown.stdout and "848620" in shown.stdout
    data = json.loads(runner.invoke(app, ["chains", "show", "ic", "--json"]).stdout)
    assert {"from": "eda", "to": "design", "note": "EDA 与 IP 授权"} in data["flows"]


def test_cli_check_good_file(home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["chains", "check", str(docs_example(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "OK: chain 'pv' (智能光伏): 5 segments" in result.stdout


def test_cli_check_bad_file_exits_2_with_the_message(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = str(BAD / "flow_unknown_segment.yaml")
    result = runner.invoke(app, ["chains", "check", bad])
    assert isinstance(result.exception, ChainwatchError)
    assert run_main(monkeypatch, "chains", "check", bad) == 2
    err = capsys.readouterr().err
    assert "1 problem(s)" in err and "'fabb' is not a segment of this chain" in err


def test_cli_add_and_replace(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(docs_example(tmp_path))
    added = runner.invoke(app, ["chains", "add", source])
    assert added.exit_code == 0 and "added chain 'pv'" in added.stdout
    assert run_main(monkeypatch, "chains", "add", source) == 2
    assert "--replace" in capsys.readouterr().err
    again = runner.invoke(app, ["chains", "add", source, "--replace"])
    assert again.exit_code == 0, again.output
    checked = runner.invoke(app, ["chains", "check", source])
    assert "already added; adding this file again needs --replace" in checked.stdout
