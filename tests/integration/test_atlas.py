"""The chain atlas end to end on a small demo province (600 firms × 24 months): the stage, the
placement against the generator's ground truth, the planted JP photoresist in the 四清单 of the
wafer fabs, the CLI (`chainwatch atlas …`), the JSON API and the pages."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum.cn import uscc as uscc_check
from typer.testing import CliRunner

from chainwatch.atlas.chains import load_chains
from chainwatch.atlas.supplier_lists import supplier_lists
from chainwatch.cli.main import app, main
from chainwatch.config import reset_settings
from chainwatch.demo import prepare_demo
from chainwatch.store import lake

FIRMS, MONTHS, SEED = 600, 24, 2020
NOT_REGISTERED = "913301060000000000"  # a valid code that no demo firm has
WRONG_CHECK = "91330106MA2B0Y8X3" + (
    "A" if uscc_check.calc_check_digit("91330106MA2B0Y8X3") != "A" else "B"
)
runner = CliRunner()
# Generator segments whose name differs from the shipped chain's segment name.
SEGMENT_ALIASES = {
    ("智能家居", "智能门锁与门业"): "locks",
    ("现代纺织", "家用纺织品"): "home_textiles",
    ("现代纺织", "染料助剂"): "dyes",
    ("炼化一体化与新材料", "炼油与乙烯"): "refining",
    ("炼化一体化与新材料", "化纤单体(PX/PTA)"): "fibre_monomers",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("atlas-home")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            summary = prepare_demo(FIRMS, MONTHS, SEED)
            folder = Path(summary["folder"])
            summary["planted"] = json.loads((folder / "planted.json").read_text("utf-8"))
            with (folder / "truth" / "firm_segments.csv").open(encoding="utf-8") as handle:
                summary["truth"] = list(csv.DictReader(handle))
            yield summary
        finally:
            reset_settings()


def _placements() -> list[tuple[str, str, str, bool, bool]]:
    con = lake.connect()
    try:
        return [
            (r[0], r[1], r[2], r[3], r[4])
            for r in con.execute(
                "SELECT uscc, chain_id, segment_id, chain_main, main "
                f"FROM {lake.result_sql('firm_segments')}"
            ).fetchall()
        ]
    finally:
        con.close()


def test_stage_summary(demo: dict[str, Any]) -> None:
    atlas = demo["stages"]["atlas"]
    assert atlas["chains"] == 10
    assert atlas["placed_firms"] > FIRMS / 3
    assert atlas["window"] == "2020-01..2020-12"
    assert atlas["province"] == "330000"


def test_every_chain_has_firms(demo: dict[str, Any]) -> None:
    result = runner.invoke(app, ["atlas", "chains", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["computed"] is True
    assert [c["id"] for c in data["chains"]] == list(load_chains())
    for chain in data["chains"]:
        assert sum(s["firms"] for s in chain["segments"]) > 0, chain["id"]
        assert all(isinstance(s["firms"], int) for s in chain["segments"])


def test_placement_recovers_the_generators_segments(demo: dict[str, Any]) -> None:
    """Chain membership precision and recall per chain, and main-segment accuracy, against
    truth/firm_segments.csv (the rules never see it)."""
    chains = load_chains()
    chain_ids = {c.name: c.id for c in chains.values()}
    segment_ids = {(c.name, s.name): s.id for c in chains.values() for s in c.segments}
    segment_ids.update(SEGMENT_ALIASES)
    truth = {r["统一社会信用代码"]: r for r in demo["truth"]}
    placed = _placements()
    members: dict[str, set[str]] = {}
    main: dict[str, tuple[str, str]] = {}
    for uscc, chain_id, segment_id, _, is_main in placed:
        members.setdefault(chain_id, set()).add(uscc)
        if is_main:
            main[uscc] = (chain_id, segment_id)
    for name, chain_id in chain_ids.items():
        expected = {u for u, r in truth.items() if r["产业链"] == name}
        found = members.get(chain_id, set())
        hits = len(expected & found)
        assert hits / len(expected) >= 0.85, (chain_id, "recall", hits, len(expected))
        assert hits / len(found) >= 0.7, (chain_id, "precision", hits, len(found))
    judged = [
        (u, (chain_ids[r["产业链"]], segment_ids[(r["产业链"], r["环节"])]))
        for u, r in truth.items()
        if r["产业链"] and (r["产业链"], r["环节"]) in segment_ids
    ]
    right = sum(1 for u, expected in judged if main.get(u) == expected)
    assert right / len(judged) >= 0.9
    outside = [u for u, r in truth.items() if not r["产业链"]]
    assert sum(1 for u in outside if u in main) / len(outside) <= 0.05


def test_planted_photoresist_shows_in_the_fabs_lists(demo: dict[str, Any]) -> None:
    weakness = next(w for w in demo["planted"]["weaknesses"] if w["id"] == "single_foreign_source")
    fabs = {
        u
        for u, chain, segment, chain_main, _ in _placements()
        if (chain, segment)
        == (
            "ic",
            "fab",
        )
        and chain_main
    }
    importers = set(weakness["importers"])
    assert fabs & importers, "no planted importer was placed in 晶圆制造"
    for uscc in sorted(fabs & importers):
        lists = {item["key"]: item for item in supplier_lists(uscc)["lists"]}
        nodes = {(i["country"], i["hs_code"]): i for i in lists["foreign"]["items"]}
        node = nodes[("JP", "370790")]
        assert node["amount"] > 0 and node["product"] and "光刻胶" in node["product"]
    products = json.loads(runner.invoke(app, ["atlas", "show", "ic", "--json"]).stdout)
    photoresist = [p for p in products["key_products"] if "370790" in p["hs_codes"]]
    assert photoresist[0]["import_only"] and photoresist[0]["top_country"] == "JP"
    assert photoresist[0]["top_country_share"] == pytest.approx(1.0)


def test_cli_show_lists_and_excel(demo: dict[str, Any], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "ic.xlsx"
    shown = runner.invoke(app, ["atlas", "show", "ic", "--excel", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "晶圆制造" in shown.stdout and "链主候选" in shown.stdout
    book = load_workbook(out)
    assert book.sheetnames == [
        "概况",
        "环节",
        "环节流向",
        "龙头企业",
        "企业名单",
        "地区分布",
        "重点产品",
    ]
    assert [c.value for c in book["环节"][1]][:3] == ["阶段", "环节", "企业数"]
    firms = [r for r in book["企业名单"].iter_rows(min_row=2, values_only=True)]
    detail = json.loads(runner.invoke(app, ["atlas", "show", "ic", "--json"]).stdout)
    assert len(firms) == detail["totals"]["firms"]
    importer = next(u for u, c, s, m, _ in _placements() if (c, s) == ("ic", "fab") and m)
    lists_file = tmp_path / "lists.xlsx"
    listed = runner.invoke(app, ["atlas", "lists", importer, "--json", "--excel", str(lists_file)])
    assert listed.exit_code == 0, listed.output
    assert [x["label"] for x in json.loads(listed.stdout)["lists"]] == [
        "市内",
        "省内",
        "省外",
        "境外",
    ]
    assert lists_file.exists()
    review_file = tmp_path / "review.xlsx"
    review = runner.invoke(app, ["atlas", "unplaced", "ic", "--json", "--excel", str(review_file)])
    assert review.exit_code == 0, review.output
    rows = json.loads(review.stdout)
    assert all(r["chain_id"] == "ic" for r in rows)
    assert load_workbook(review_file)["未归链企业"].max_row == len(rows) + 1


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


def test_cli_errors_are_one_line(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(monkeypatch, "atlas", "show", "nochain") == 2
    assert "no chain 'nochain'; available chains: security" in capsys.readouterr().err
    assert run_main(monkeypatch, "atlas", "lists", WRONG_CHECK) == 2
    assert "wrong check character" in capsys.readouterr().err
    assert run_main(monkeypatch, "atlas", "lists", NOT_REGISTERED) == 2
    assert f"no enterprise with 统一社会信用代码 {NOT_REGISTERED}" in capsys.readouterr().err
    assert run_main(monkeypatch, "atlas", "segment", "ic", "nosegment") == 2
    assert "chain ic has no segment 'nosegment'" in capsys.readouterr().err


def test_not_computed_yet(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    assert run_main(monkeypatch, "atlas", "show", "ic") == 2
    assert "chainwatch run atlas" in capsys.readouterr().err
    listed = runner.invoke(app, ["atlas", "chains", "--json"])
    data = json.loads(listed.stdout)
    assert data["computed"] is False and data["chains"][0]["segments"][0]["firms"] is None
    client = TestClient(_app())
    answer = client.get("/api/v1/atlas/chains/ic")
    assert answer.status_code == 409 and "chainwatch run atlas" in answer.json()["error"]
    page = client.get("/atlas/ic")
    assert page.status_code == 200 and "chainwatch run atlas" in page.text


def _app() -> Any:
    from chainwatch.web.app import create_app

    return create_app()


def test_api(demo: dict[str, Any]) -> None:
    client = TestClient(_app())
    chains = client.get("/api/v1/atlas/chains").json()
    assert chains["computed"] and len(chains["chains"]) == 10
    detail = client.get("/api/v1/atlas/chains/ic").json()
    assert detail["window"] == {"from": "2020-01", "to": "2020-12", "months": 12}
    assert {s["id"] for s in detail["segments"]} >= {"fab", "packaging", "design"}
    assert any(f["amount"] > 0 and f["defined"] for f in detail["flows"])
    assert detail["key_firms"] and detail["regions"]["cities"]
    segment = client.get("/api/v1/atlas/chains/ic/segments/fab").json()
    assert segment["metrics"]["firms"] == len(segment["firms"])
    assert {p["kind"] for p in segment["suppliers"]} <= {
        "chain",
        "segment",
        "industry",
        "outside",
        "trade",
    }
    page = client.get("/api/v1/atlas/chains/ic/firms", params={"segment": "fab", "per_page": 1})
    assert page.status_code == 200 and page.json()["per_page"] == 1
    uscc = segment["firms"][0]["uscc"]
    positions = client.get(f"/api/v1/atlas/firms/{uscc.lower()}").json()
    assert positions["uscc"] == uscc
    assert ("ic", "fab") in {(p["chain_id"], p["segment_id"]) for p in positions["positions"]}
    lists = client.get(f"/api/v1/atlas/firms/{uscc}/supplier-lists?from=2020-07").json()
    assert lists["period"]["from"] == "2020-07" and len(lists["lists"]) == 4
    review = client.get("/api/v1/atlas/unplaced", params={"chain": "ic"}).json()
    assert review["total"] == len(review["items"])
    for path, status in (
        ("/api/v1/atlas/chains/nochain", 404),
        ("/api/v1/atlas/chains/ic/segments/nosegment", 404),
        (f"/api/v1/atlas/firms/{NOT_REGISTERED}", 404),
        (f"/api/v1/atlas/firms/{WRONG_CHECK}", 404),
        (f"/api/v1/atlas/firms/{uscc}/supplier-lists?from=2020-13", 422),
        (f"/api/v1/atlas/firms/{uscc}/supplier-lists?from=2020-1", 422),
    ):
        answer = client.get(path)
        assert answer.status_code == status, path
        assert answer.json()["ok"] is False
    assert "/api/v1/atlas/chains/{chain_id}" in client.get("/openapi.json").json()["paths"]


def test_pages(demo: dict[str, Any]) -> None:
    client = TestClient(_app())
    chains = client.get("/atlas")
    assert chains.status_code == 200 and "集成电路" in chains.text and "晶圆制造" in chains.text
    chain = client.get("/atlas/ic")
    assert chain.status_code == 200 and 'id="segment-table"' in chain.text
    segment = client.get("/atlas/ic/fab?lang=en")
    assert segment.status_code == 200 and "Suppliers" in segment.text
    firms = client.get("/atlas/ic/_firms", params={"segment": "fab"})
    assert firms.status_code == 200
    review = client.get("/atlas/_unplaced", params={"chain": "ic"})
    assert review.status_code == 200
    assert client.get("/atlas/nochain").status_code == 404
    weakness = demo["planted"]["weaknesses"][0]
    fab = next(u for u, c, s, m, _ in _placements() if (c, s) == ("ic", "fab") and m)
    firm = client.get(f"/enterprises/{fab}")
    assert firm.status_code == 200
    assert 'id="chain-positions"' in firm.text and 'id="supplier-lists"' in firm.text
    if fab in weakness["importers"]:
        assert "370790" in firm.text
    counts = Counter(s for _, c, s, m, _ in _placements() if c == "ic" and m)
    assert counts["fab"] >= 1


def test_a_chain_added_after_the_run_asks_for_a_new_run(demo: dict[str, Any]) -> None:
    from chainwatch.atlas.chains import user_chain_dir

    folder = user_chain_dir()
    folder.mkdir(parents=True, exist_ok=True)
    added = folder / "tea.yaml"
    added.write_text(
        "id: tea\nname: 茶产业\nsegments:\n"
        "  - {id: growing, name: 茶叶种植, stage: 上游, industry_codes: ['0164']}\n",
        encoding="utf-8",
    )
    try:
        listed = json.loads(runner.invoke(app, ["atlas", "chains", "--json"]).stdout)
        tea = next(c for c in listed["chains"] if c["id"] == "tea")
        assert tea["current"] is False and tea["segments"][0]["firms"] is None
        shown = runner.invoke(app, ["atlas", "show", "tea"])
        assert shown.exit_code != 0
        assert "added after the atlas was computed" in str(shown.exception)
    finally:
        added.unlink()
