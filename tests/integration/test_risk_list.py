"""The chain risk lists end to end on a small demo province (600 firms × 24 months): the planted
single-source Japanese photoresist at the top of the IC chain's list graded 高 with its numbers,
the reducer import interruption on the equipment chain's list, re-screening without duplicates,
the CLI (`chainwatch risk screen|list|item|update|views|export`), the JSON API and the pages."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from chainwatch.cli.main import app, main
from chainwatch.config import reset_settings
from chainwatch.demo import prepare_demo
from chainwatch.risk.riskitems import list_items
from chainwatch.risk.screening import screen_risks
from chainwatch.synth.planted import INTERRUPTION_HS, PHOTORESIST_HS
from chainwatch.web.app import create_app

FIRMS, MONTHS, SEED = 600, 24, 2020
runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHAINWATCH_HOME", str(tmp_path_factory.mktemp("risk-list-home")))
        patch.delenv("CHAINWATCH_DATABASE_URL", raising=False)
        reset_settings()
        try:
            summary = prepare_demo(FIRMS, MONTHS, SEED)
            folder = Path(summary["folder"])
            planted = json.loads((folder / "planted.json").read_text("utf-8"))
            # The demo runs every pipeline stage, the screening (stage `screen`) included.
            first = summary["stages"]["screen"]
            yield {"summary": summary, "planted": planted, "first": first}
        finally:
            reset_settings()


def _cli_json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_photoresist_tops_the_ic_list(demo: dict[str, Any]) -> None:
    data = _cli_json(["risk", "list", "--chain", "ic", "--json"])
    top = data["items"][0]
    assert top["product"] == "光刻胶（ArF/EUV）" and top["segment"] == "materials"
    assert top["grade"] == "高" and top["status"] == "待核实"
    assert top["position"] == "原材料/元器件" and top["type"] == "材料"
    evidence = top["evidence"]
    assert evidence["hs_codes"] == [PHOTORESIST_HS]
    assert evidence["import_share"] == 1.0 and evidence["single_source"] is True
    assert [c["country"] for c in evidence["countries"]] == ["JP"]
    assert evidence["makers"] == 0 and evidence["bottleneck"] is True
    text = top["explanation"]
    for part in (
        "HS 370790",
        "进口占比 100%",
        "≥ 80% 档",
        "全部来自日本（单一来源",
        "省内无替代企业",
        "卡脖子",
        "→ 高",
    ):
        assert part in text, (part, text)
    # Every wafer fab and packaging house that imports it is an affected firm.
    importers = {a["uscc"] for a in top["affected"]}
    assert len(importers) == evidence["importers"] > 0
    assert top["alternatives"] == []


def test_reducer_interruption_on_the_equipment_list(demo: dict[str, Any]) -> None:
    data = _cli_json(["risk", "list", "--chain", "equipment", "--kind", "interruption", "--json"])
    (item,) = [i for i in data["items"] if i["evidence"]["hs_code"] == INTERRUPTION_HS]
    assert item["grade"] == "高" and item["product"] == "RV减速器"
    assert item["evidence"]["country"] == "JP"
    (planted,) = [w for w in demo["planted"]["weaknesses"] if w["id"] == "import_interruption"]
    assert item["uscc"] == planted["firm"]
    assert item["evidence"]["stopped_from"] == planted["first_zero_month"]
    assert f"自 {planted['first_zero_month']} 起已中断" in item["explanation"]
    assert "日本" in item["explanation"]
    everything = _cli_json(["risk", "list", "--chain", "equipment", "--limit", "5", "--json"])
    assert item["id"] in [i["id"] for i in everything["items"]]


def test_grades_follow_the_points(demo: dict[str, Any]) -> None:
    items = list_items(details=True)["items"]
    assert items, "screening found nothing"
    for item in items:
        points = item["evidence"]["points"]
        assert points == item["score"] == sum(s["points"] for s in item["evidence"]["screens"])
        expected = "高" if points >= 8 else "中" if points >= 5 else "低"
        assert item["grade"] == expected, item
    assert demo["first"]["items"] == len(items) == demo["first"]["created"]


def test_rescreening_updates_instead_of_duplicating(demo: dict[str, Any]) -> None:
    before = list_items()["total"]
    top = list_items(chain="ic", limit=1)["items"][0]
    again = screen_risks()
    assert again["created"] == 0 and again["updated"] == before
    assert list_items()["total"] == before
    assert list_items(chain="ic", limit=1)["items"][0]["id"] == top["id"]


def _fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the real entry point; a user error exits 2 with one message, no traceback."""
    sys.argv = ["chainwatch", *args]
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_lifecycle_from_the_cli(demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    item_id = str(list_items(chain="ic", limit=1)["items"][0]["id"])
    assert "cannot go to 已销号" in _fails(
        ["risk", "update", item_id, "--status", "已销号"], capsys
    )
    ok = runner.invoke(app, ["risk", "update", item_id, "--status", "已确认", "--by", "材料处"])
    assert ok.exit_code == 0, ok.output
    missing = _fails(["risk", "update", item_id, "--status", "处置中"], capsys)
    assert "owner" in missing and "due date" in missing
    done = _cli_json(
        [
            "risk",
            "update",
            item_id,
            "--status",
            "处置中",
            "--owner",
            "材料处",
            "--due",
            "2030-06-30",
            "--action",
            "组织替代验证",
            "--json",
        ]
    )
    assert done["status"] == "处置中" and done["owner"] == "材料处" and done["due"] == "2030-06-30"
    assert [e["event"] for e in done["history"]] == [
        "created",
        "status",
        "owner",
        "due",
        "action",
        "status",
    ]
    shown = runner.invoke(app, ["risk", "item", item_id])
    assert shown.exit_code == 0 and "组织替代验证" in shown.output
    assert "YYYY-MM-DD" in _fails(["risk", "update", item_id, "--due", "next week"], capsys)
    assert "no risk item 999999" in _fails(["risk", "item", "999999"], capsys)
    # A re-run keeps the status, owner and history of an item in hand.
    screen_risks()
    after = _cli_json(["risk", "item", item_id, "--json"])
    assert after["status"] == "处置中" and len(after["history"]) == len(done["history"])


def test_views_and_export(demo: dict[str, Any], tmp_path: Path) -> None:
    views = _cli_json(["risk", "views", "--chain", "ic", "--json"])
    assert set(views) == {"overseas", "stock", "substitutes", "logistics"}
    assert any("光刻胶" in r["subject"] for r in views["overseas"]["rows"])
    stock = [r for r in views["stock"]["rows"] if "光刻胶" in r["subject"]]
    assert stock and all(r["stock"] == pytest.approx(3 * r["monthly"]) for r in stock)
    assert any(r["country"] == "日本" for r in views["logistics"]["rows"])
    out = tmp_path / "risk.xlsx"
    result = runner.invoke(app, ["risk", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == [
        "风险清单",
        "境外断供风险清单",
        "储备与全球调配需求清单",
        "国内及低风险地区替代清单",
        "跨境物流需求清单",
        "处置措施",
        "处置记录",
    ]
    assert book["风险清单"].max_row == list_items()["total"] + 1


def test_user_errors_are_one_line(demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    for args, expected in (
        (["risk", "list", "--chain", "nope"], "nope"),
        (["risk", "list", "--grade", "红"], "unknown grade"),
        (["risk", "views", "--view", "all"], "unknown view"),
        (["risk", "export", "--out", "x.csv"], ".xlsx"),
        (["risk", "update", "1"], "nothing to change"),
    ):
        assert expected in _fails(args, capsys), args


def test_api_and_pages(demo: dict[str, Any]) -> None:
    with TestClient(create_app()) as client:
        answer = client.get("/api/v1/risk/items", params={"chain": "ic", "limit": 3})
        assert answer.status_code == 200
        first = answer.json()["items"][0]
        assert first["grade"] == "高" and "光刻胶" in first["product"]
        detail = client.get(f"/api/v1/risk/items/{first['id']}").json()
        assert detail["evidence"]["countries"][0]["country"] == "JP"
        other = client.get("/api/v1/risk/items", params={"chain": "ic", "status": "待核实"})
        target = other.json()["items"][0]["id"]
        refused = client.patch(f"/api/v1/risk/items/{target}", json={"status": "已排除"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "note"
        excluded = client.patch(
            f"/api/v1/risk/items/{target}", json={"status": "已排除", "note": "已有库存"}
        )
        assert excluded.status_code == 200 and excluded.json()["status"] == "已排除"
        assert client.get("/api/v1/risk/items/999999").status_code == 404
        page = client.get("/risk", params={"chain": "ic"})
        assert page.status_code == 200 and "光刻胶" in page.text and 'href="/atlas/ic"' in page.text
        item_page = client.get(f"/risk/items/{first['id']}")
        assert item_page.status_code == 200 and "日本" in item_page.text
        waiting = other.json()["items"][1]["id"]
        form = client.post(f"/risk/items/{waiting}", data={"status": "已销号"})
        assert form.status_code == 422 and "item-error" in form.text
        moved = client.post(
            f"/risk/items/{waiting}",
            data={"status": "已确认", "owner": "链长办"},
            follow_redirects=False,
        )
        assert moved.status_code == 303
        assert client.get(f"/api/v1/risk/items/{waiting}").json()["owner"] == "链长办"
        report = client.get("/risk/report", params={"chain": "ic"})
        assert report.status_code == 200 and "@media print" not in report.text
        assert "光刻胶" in report.text
        views = client.get("/risk/views")
        assert views.status_code == 200 and "境外断供风险清单" in views.text
        excel = client.get("/api/v1/risk/export.xlsx", params={"chain": "ic"})
        assert excel.status_code == 200 and excel.content[:2] == b"PK"
        assert client.get("/risk", params={"chain": "nope"}).status_code == 404
