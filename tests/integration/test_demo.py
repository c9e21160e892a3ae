"""`chainwatch demo --no-serve` on a small province: generate → ingest → run, as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainwatch.cli.main import app

runner = CliRunner()
ARGS = ["demo", "--no-serve", "--firms", "300", "--months", "24", "--seed", "11", "--json"]


@pytest.mark.slow
def test_demo_generates_loads_and_runs(home: Path) -> None:
    out = runner.invoke(app, ARGS)
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    loads = {r["kind"]: r for r in summary["loads"]}
    assert set(loads) == {"enterprises", "invoices", "customs", "indicators"}
    assert loads["enterprises"]["loaded"] >= 300
    assert all(r["rejected"] == 0 for r in loads.values()), loads
    assert summary["stages"]["links"]["links"] > 0

    # A second run finds everything in place and loads nothing twice.
    again = json.loads(runner.invoke(app, ARGS).stdout)
    assert all(r["already_loaded"] for r in again["loads"])

    listing = json.loads(runner.invoke(app, ["ingest", "--list", "--json"]).stdout)
    assert [b["kind"] for b in listing] == ["enterprises", "invoices", "customs", "indicators"]

    from fastapi.testclient import TestClient

    from chainwatch.web.app import create_app

    client = TestClient(create_app())
    overview = client.get("/api/v1/overview").json()
    assert overview["province"]["code"] == "330000"
    assert overview["totals"]["enterprises"] == loads["enterprises"]["loaded"]
    assert len(overview["by_city"]) == 11
    page = client.get("/")
    assert page.status_code == 200 and "全省" in page.text

    # Another demo into the same home is refused with a clear message, not mixed in.
    other = runner.invoke(app, ["demo", "--no-serve", "--firms", "400", "--months", "24"])
    assert other.exit_code != 0
