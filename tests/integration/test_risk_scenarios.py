"""Systemic risk in the pipeline and cut-off scenarios on a small demo province (600 firms × 24
months): the risk stage's network against the lake, its ESRI against exact cascades, the planted
JP photoresist hitting the wafer fabs, scenarios from YAML with known answers, saving and
comparing, the CLI (`chainwatch risk scenario|scenarios|compare|top`), the JSON API and the
pages."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chainwatch.cli.main import app, main
from chainwatch.config import reset_settings
from chainwatch.demo import prepare_demo
from chainwatch.risk.esri import cascade, failure_psi
from chainwatch.risk.province import load_network
from chainwatch.risk.scenario_spec import read_spec
from chainwatch.risk.scenario_store import (
    compare_results,
    get_result,
    list_results,
    run_and_save,
    scenarios_path,
)
from chainwatch.risk.views import firm_risk
from chainwatch.store import lake
from chainwatch.web.app import create_app

FIRMS, MONTHS, SEED = 600, 24, 2020
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("risk-home")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            summary = prepare_demo(FIRMS, MONTHS, SEED)
            planted = json.loads((Path(summary["folder"]) / "planted.json").read_text("utf-8"))
            summary["planted"] = {w["id"]: w for w in planted["weaknesses"]}
            summary["files"] = tmp_path_factory.mktemp("scenario-files")
            yield summary
        finally:
            reset_settings()


def _query(sql: str) -> list[tuple[Any, ...]]:
    con = lake.connect()
    try:
        return list(con.execute(sql).fetchall())
    finally:
        con.close()


def _write(demo: dict[str, Any], name: str, text: str) -> Path:
    path = Path(demo["files"]) / name
    path.write_text(text, encoding="utf-8")
    return path


def test_stage_runs_in_the_pipeline(demo: dict[str, Any]) -> None:
    risk = demo["stages"]["risk"]
    assert risk["window"] == "2020-01..2020-12"
    assert risk["foreign_nodes"] > 0 and risk["outside_firms"] > 0
    assert risk["firms"] + risk["outside_firms"] + risk["foreign_nodes"] == risk["nodes"]
    assert risk["error_bound"] <= 1e-3
    ranks = _query(
        f"SELECT min(rank), max(rank), count(*), count(rank) FROM {lake.result_sql('risk_esri')} "
        "WHERE home"
    )[0]
    assert ranks[0] == 1 and ranks[1] <= ranks[2] == ranks[3] == risk["firms"]
    assert _query(
        f"SELECT count(*) FROM {lake.result_sql('risk_esri')} "
        "WHERE esri < 0 OR esri > 1 OR (NOT home AND rank IS NOT NULL)"
    ) == [(0,)]


def test_network_holds_the_window_of_links_and_imports(demo: dict[str, Any]) -> None:
    """Σ W equals the links of 2020 plus the customs imports of 2020, summed independently."""
    network = load_network()
    links = _query(
        f"SELECT sum(amount) FROM {lake.result_sql('links')} "
        "WHERE period BETWEEN '2020-01' AND '2020-12' AND amount > 0"
    )[0][0]
    customs = [p for p in (lake.lake_path() / "customs").rglob("*.parquet")]
    imports = _query(
        "SELECT sum(amount) FROM read_parquet(["
        + ", ".join(f"'{p}'" for p in customs)
        + "]) WHERE direction = 'import' AND year(date) = 2020"
    )[0][0]
    assert network.network.matrix.sum() == pytest.approx(links + imports, rel=1e-9)
    foreign = network.nodes[network.nodes["kind"] == "foreign"]
    assert "foreign:JP:370790" in set(foreign["node"])
    # A foreign node sells, never buys; weights are 0 outside the province's firms.
    rows = foreign.index.to_numpy()
    assert network.network.in_strength[rows].sum() == 0
    assert network.weights[~network.nodes["home"].to_numpy(bool)].sum() == 0


def test_stored_esri_agrees_with_exact_cascades(demo: dict[str, Any]) -> None:
    province = load_network()
    stored = {
        r[0]: (r[1], r[2])
        for r in _query(f"SELECT node, esri, error_bound FROM {lake.result_sql('risk_esri')}")
    }
    names = province.nodes["node"].tolist()
    order = np.argsort([-stored[n][0] for n in names])
    for k in [*order[:3], *order[50:53], *order[-2:]]:
        psi = failure_psi(province.network, int(k))
        exact = cascade(province.network, psi, weights=province.weights)
        value, bound = stored[names[k]]
        assert abs(exact.esri - value) <= bound + 1e-9, names[k]


def test_photoresist_from_japan_hits_the_wafer_fabs(demo: dict[str, Any]) -> None:
    hits = _query(
        f"SELECT level, chain_id, segment_id, share FROM {lake.result_sql('risk_hits')} "
        "WHERE node = 'foreign:JP:370790'"
    )
    assert ("segment", "ic", "fab") in {(h[0], h[1], h[2]) for h in hits}
    fab = demo["planted"]["single_foreign_source"]["importers"][0]
    found = firm_risk(fab)
    assert found is not None and found["rank"] >= 1 and found["esri"] > 0


RESIST = 'name: 光刻胶断供\nshocks:\n  products:\n    - hs: "370790"\n      capacity: 0\n'
JAPAN = "shocks:\n  countries:\n    - code: 日本\n"
COUNTY = 'shocks:\n  regions:\n    - code: {code}\n      capacity: "30%"\n'
HALF_JAPAN = "shocks:\n  firms: []\n  countries:\n    - {{code: JP, capacity: {capacity}}}\n"


def test_scenarios_from_yaml_with_known_answers(demo: dict[str, Any]) -> None:
    product = run_and_save(read_spec(_write(demo, "resist.yaml", RESIST)))
    japan = run_and_save(read_spec(_write(demo, "jp.yaml", JAPAN)), "日本进口中断")
    fab = next(s for s in product["segments"] if (s["chain_id"], s["segment_id"]) == ("ic", "fab"))
    assert fab["share"] > 0.1 and fab["firms_hit"] >= 1
    assert product["applied"][0]["nodes"] == 1
    # Cutting all of Japan includes the photoresist: it cannot cost less (the cascade is
    # monotone in ψ).
    assert japan["totals"]["esri"] >= product["totals"]["esri"] - 1e-12
    county = demo["planted"]["county_electricity_collapse"]["county_code"]
    spec = read_spec(_write(demo, "county.yaml", COUNTY.format(code=county)))
    region = run_and_save(spec, "county at 30")
    network = load_network()
    home = network.nodes[network.nodes["home"]]
    assert region["totals"]["firms_shocked"] == int((home["region_code"] == county).sum()) > 0
    row = next(r for r in region["counties"] if r["code"] == county)
    assert row["share"] >= 0.7 - 1e-9  # every firm there keeps at most 30 %
    rounds = [f["round"] for f in region["first_hits"]]
    assert rounds == sorted(rounds) and min(rounds) >= 1
    table = pq.read_table(scenarios_path() / region["id"] / "nodes.parquet").to_pandas()
    lost = 1.0 - np.minimum(table["h_down"], table["h_up"])
    assert ((table["round"] >= 0) == (lost >= region["settings"]["hit_loss"])).all()


def test_saved_named_replaced_and_compared(demo: dict[str, Any]) -> None:
    half = _write(demo, "a.yaml", HALF_JAPAN.format(capacity=50))
    first = run_and_save(read_spec(half), "半日本")
    count = len(list_results())
    fifth = _write(demo, "b.yaml", HALF_JAPAN.format(capacity=20))
    again = run_and_save(read_spec(fifth), "半日本")
    assert not first["replaced"] and again["replaced"] and again["id"] == first["id"]
    assert len(list_results()) == count
    assert get_result("半日本")["spec"]["shocks"]["countries"][0]["capacity"] == 20
    side = compare_results(["半日本", first["id"]])
    assert [s["name"] for s in side["scenarios"]] == ["半日本", "半日本"]
    assert all(len(r["share"]) == 2 for r in side["chains"])


def _run_main(monkeypatch: pytest.MonkeyPatch, capsys: Any, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    return int(stopped.value.code or 0), capsys.readouterr().err


def test_cli_bad_scenario_files(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    bad = _write(demo, "bad.yaml", "shocks:\n  regions:\n    - {code: '330211', capacity: 130}\n")
    code, err = _run_main(monkeypatch, capsys, "risk", "scenario", str(bad))
    assert code == 2 and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "shocks.regions[0].capacity" in err
    broken = _write(demo, "broken.yaml", "shocks:\n  regions: [code: 1\n")
    code, err = _run_main(monkeypatch, capsys, "risk", "scenario", str(broken))
    assert code == 2 and "not valid YAML" in err and err.strip().count("\n") == 0
    unknown = _write(demo, "unknown.yaml", "shocks:\n  countries:\n    - code: XYZ\n")
    code, err = _run_main(monkeypatch, capsys, "risk", "scenario", str(unknown))
    assert code == 2 and "XYZ" in err and "Traceback" not in err


def test_cli_scenario_list_compare_top(demo: dict[str, Any]) -> None:
    text = "name: 命令行\nshocks:\n  segments:\n    - {chain: ic, segment: fab, capacity: 40}\n"
    path = _write(demo, "cli.yaml", text)
    result = runner.invoke(app, ["risk", "scenario", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "命令行" and data["applied"][0]["label"] == "晶圆制造"
    listed = json.loads(runner.invoke(app, ["risk", "scenarios", "--json"]).stdout)
    assert "命令行" in [s["name"] for s in listed["scenarios"]]
    table = runner.invoke(app, ["risk", "compare", "命令行", "光刻胶断供"])
    assert table.exit_code == 0 and "集成电路" in table.stdout
    top = json.loads(runner.invoke(app, ["risk", "top", "--chain", "ic", "--json"]).stdout)
    shares = [f["chain_share"] for f in top["firms"]]
    assert shares == sorted(shares, reverse=True) and shares[0] > 0
    assert "foreign:JP:370790" in [f["node"] for f in top["firms"]]


def test_api(demo: dict[str, Any]) -> None:
    client = TestClient(create_app())
    fab = demo["planted"]["single_foreign_source"]["importers"][0]
    firm = client.get(f"/api/v1/risk/firms/{fab}").json()
    assert firm["uscc"] == fab and firm["rank"] >= 1
    assert client.get("/api/v1/risk/firms/913301060000000000").status_code == 404
    top = client.get("/api/v1/risk/top", params={"limit": 5}).json()
    assert len(top["firms"]) == 5
    made = client.post(
        "/api/v1/risk/scenarios",
        params={"name": "接口"},
        json={"shocks": {"products": [{"hs": "370790", "countries": ["JP"]}]}},
    )
    assert made.status_code == 200, made.text
    assert made.json()["name"] == "接口" and made.json()["map"]["counties"]
    bad = client.post("/api/v1/risk/scenarios", json={"shocks": {"regions": [{"code": "1"}]}})
    assert bad.status_code == 422 and bad.json()["ok"] is False and "regions" in bad.json()["error"]
    empty = client.post("/api/v1/risk/scenarios", json={"shocks": {}})
    assert empty.status_code == 422 and "no shock" in empty.json()["error"]
    assert client.get("/api/v1/risk/scenarios/接口").json()["id"] == made.json()["id"]
    assert client.get("/api/v1/risk/scenarios/nothing").status_code == 404
    side = client.get("/api/v1/risk/compare", params=[("scenario", "接口"), ("scenario", "命令行")])
    assert side.status_code == 200 and len(side.json()["scenarios"]) == 2


def test_pages(demo: dict[str, Any]) -> None:
    client = TestClient(create_app())
    fab = demo["planted"]["single_foreign_source"]["importers"][0]
    assert 'id="risk-firm"' in client.get(f"/enterprises/{fab}").text
    chain = client.get("/atlas/ic").text
    assert 'id="risk-critical"' in chain and "370790" in chain
    form = client.get("/risk/scenarios").text
    assert 'id="scenario-form"' in form and "光刻胶断供" in form
    sent = client.post(
        "/risk/scenarios",
        data={"name": "表单", "segment": "ic/fab", "segment_capacity": "40"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    result = client.get(sent.headers["location"]).text
    assert "表单" in result and "晶圆制造" in result
    refused = client.post("/risk/scenarios", data={"name": "空"})
    assert refused.status_code == 422 and 'id="scenario-error"' in refused.text
