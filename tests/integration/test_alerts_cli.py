"""Alerts end to end: ingest a small province, run the monitor stage, read and handle the alerts
with the CLI and the API (tests/unit/monitor/alert_sample.py says what is planted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chainwatch.cli.main import app, main
from chainwatch.web.app import create_app
from tests.unit.monitor.alert_sample import load_alert_sample, uscc_of

runner = CliRunner()
FIELDS = {"id", "rule", "grade", "scope", "subject", "period", "status"}


def cli_json(*args: str) -> Any:
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The real entry point (user errors → one message, exit status 2)."""
    monkeypatch.setattr(sys, "argv", ["chainwatch", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


@pytest.fixture()
def province(home: Path, tmp_path: Path) -> Path:
    load_alert_sample(tmp_path / "files")
    summary = cli_json("run", "monitor")["monitor"]
    assert summary["alerts_new_by_grade"]["红"] == 2
    assert summary["alerts_open_by_grade"]["红"] == 2
    return home


def test_the_stage_raises_the_planted_alerts_once(province: Path) -> None:
    alerts = cli_json("monitor", "alerts")
    assert all(set(a) >= FIELDS for a in alerts)
    red = [
        (a["subject"], a["rule"], a["start_period"], a["period"])
        for a in alerts
        if a["grade"] == "红"
    ]
    assert sorted(red) == [
        (uscc_of("A"), "production_stop", "2021-06", "2021-07"),
        (uscc_of("A"), "production_stop", "2021-11", "2021-12"),
    ]
    orange = {(a["subject"], a["rule"], a["period"]) for a in alerts if a["grade"] == "橙"}
    assert (uscc_of("B"), "production_stop", "2021-07") in orange
    assert (uscc_of("A"), "sales_collapse", "2021-07") in orange
    assert ("330211", "region_index_low", "2021-08") in orange
    assert not any(a["subject"] == uscc_of("C") for a in alerts)  # one month only
    assert not any(a["subject"] == uscc_of("D") for a in alerts)
    # Re-running the stage, or the rules alone, raises nothing again.
    assert cli_json("run", "monitor")["monitor"]["alerts_new"] == 0
    again = cli_json("monitor", "evaluate")
    assert (again["new"], again["findings"]) == (0, len(alerts))
    assert len(cli_json("monitor", "alerts")) == len(alerts)


def test_later_months_extend_then_end_the_open_alert(home: Path, tmp_path: Path) -> None:
    months = [f"{y}-{m:02d}" for y in (2020, 2021) for m in range(1, 13)]
    load_alert_sample(tmp_path / "first", months[:19])  # up to 2021-07
    cli_json("run", "monitor")
    (red,) = cli_json("monitor", "alerts", "--grade", "红")
    assert (red["period"], red["last_period"], red["condition_open"]) == (
        "2021-07",
        "2021-07",
        True,
    )
    load_alert_sample(tmp_path / "second", months[19:21])  # 2021-08 and 2021-09 arrive
    summary = cli_json("run", "monitor")["monitor"]
    assert summary["alerts_new_by_grade"].get("红", 0) == 0
    extended = cli_json("monitor", "alert", str(red["id"]))
    assert (extended["last_period"], extended["ended_period"]) == ("2021-08", "2021-09")
    assert [e["event"] for e in extended["events"]] == ["预警", "条件结束"]


def test_filters_detail_and_lifecycle(province: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    red = cli_json("monitor", "alerts", "--grade", "红", "--region", "330211")
    assert len(red) == 2
    alert_id = str(red[0]["id"])
    table = runner.invoke(app, ["monitor", "alerts", "--grade", "红"])
    assert table.exit_code == 0 and "停产/减产" in table.stdout
    assert cli_json("monitor", "alerts", "--scope", "region", "--grade", "橙")[0]["scope"] in (
        "county",
        "city",
        "province",
    )
    assigned = cli_json("monitor", "assign", alert_id, "--to", "镇海区经信局", "--by", "运行监测处")
    assert (assigned["status"], assigned["assignee"]) == ("已分派", "镇海区经信局")
    assert cli_json("monitor", "handle", alert_id, "--by", "王科长")["status"] == "处置中"
    resolved = cli_json("monitor", "resolve", alert_id, "--by", "王科长", "--note", "已复产")
    assert resolved["status"] == "已解除"
    detail = cli_json("monitor", "alert", alert_id)
    assert [e["event"] for e in detail["events"]][-3:] == ["分派", "处置", "解除"]
    assert detail["events"][-1]["note"] == "已复产"
    shown = runner.invoke(app, ["monitor", "alert", alert_id])
    assert shown.exit_code == 0 and "处置记录" in shown.stdout and "王科长" in shown.stdout
    assert cli_json("monitor", "alerts", "--status", "已解除")[0]["id"] == int(alert_id)
    # Mistakes: one message, exit status 2.
    assert run_main(monkeypatch, "monitor", "assign", alert_id, "--to", "李") == 2
    assert run_main(monkeypatch, "monitor", "alert", "9999") == 2
    assert run_main(monkeypatch, "monitor", "alerts", "--grade", "紫") == 2


def test_rules_commands(province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listed = cli_json("monitor", "rules")
    assert [r["id"] for r in listed["rules"]][:2] == ["production_stop", "sales_collapse"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    kind: electricity_drop\n", encoding="utf-8")
    assert run_main(monkeypatch, "monitor", "rules", "--check", str(bad)) == 2
    assert run_main(monkeypatch, "monitor", "evaluate", "--rules", str(bad)) == 2
    # An analyst's own file with one stricter rule: evaluated alone, nothing new below 5 %.
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "rules:\n  - id: deep_stop\n    name: 深度停产\n    kind: electricity_drop\n"
        "    levels: [{grade: 红, below: 0.05}]\n    message: '{name} {ratio_pct:.1f}%'\n",
        encoding="utf-8",
    )
    checked = runner.invoke(app, ["monitor", "rules", "--check", str(strict)])
    assert checked.exit_code == 0 and "OK, 1 rule(s)" in checked.stdout
    summary = cli_json("monitor", "evaluate", "--rules", str(strict))
    assert (summary["rules"], summary["findings"], summary["new"]) == (1, 0, 0)


def test_api_list_detail_and_transition(province: Path) -> None:
    with TestClient(create_app()) as client:
        listed = client.get("/api/v1/alerts", params={"grade": "红", "region": "330211"}).json()
        assert listed["total"] == 2 and listed["by_grade"]["红"] == 2
        first = listed["items"][0]
        assert first["links"][0] == {
            "kind": "firm",
            "code": uscc_of("A"),
            "name": "甲精密机械有限公司",
            "url": f"/enterprises/{uscc_of('A')}",
        }
        detail = client.get(f"/api/v1/alerts/{first['id']}").json()
        assert detail["events"][0]["event"] == "预警" and detail["next_statuses"] == [
            "已分派",
            "已解除",
        ]
        moved = client.post(
            f"/api/v1/alerts/{first['id']}/transition",
            json={"status": "已分派", "to": "镇海区经信局"},
        )
        assert moved.status_code == 200 and moved.json()["status"] == "已分派"
        refused = client.post(f"/api/v1/alerts/{first['id']}/transition", json={"status": "已解除"})
        assert refused.status_code == 422
        assert refused.json() == {
            "ok": False,
            "error": "已解除 needs by: who is doing it.",
            "errors": [],
            "status": 422,
        }
        missing = client.get("/api/v1/alerts/999").json()
        assert (missing["ok"], missing["status"]) == (False, 404)
        bad = client.get("/api/v1/alerts", params={"status": "closed"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
        rules = client.get("/api/v1/alerts/rules").json()
        assert rules["file"] == "rules.yaml" and len(rules["rules"]) == 6
        # The pages: the inbox with a grade filter, the detail, and a form post.
        inbox = client.get("/monitor/alerts", params={"grade": "红"})
        assert inbox.status_code == 200 and "停产/减产" in inbox.text and "grade-red" in inbox.text
        page = client.get(f"/monitor/alerts/{first['id']}")
        assert page.status_code == 200 and "镇海区经信局" in page.text
        posted = client.post(
            f"/monitor/alerts/{first['id']}",
            data={"action": "handle", "by": "王科长"},
            follow_redirects=False,
        )
        assert posted.status_code == 303
        wrong = client.post(f"/monitor/alerts/{first['id']}", data={"action": "assign"})
        assert wrong.status_code == 422 and "assigning an alert needs to" in wrong.text
        english = client.get(f"/monitor/alerts/{first['id']}", params={"lang": "en"})
        assert "of its own baseline" in english.text and "In hand" in english.text
