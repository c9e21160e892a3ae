"""Alerts in the database on SQLite and PostgreSQL: raised once per run of a condition, a new
alert when a condition comes back, escalation, the lifecycle and its history, filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chainwatch.errors import ConflictError, NotFoundError, ValidationError
from chainwatch.monitor import alert_store
from chainwatch.monitor.alerts import Finding
from chainwatch.store.db import ensure_database, get_engine
from tests.integration.test_postgres import pg_home  # noqa: F401  (fixture)

FIRM = "91330211MA2A00001Q"
T0 = dt.datetime(2021, 8, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    request.getfixturevalue("home" if request.param == "sqlite" else "pg_home")
    return str(request.param)


def finding(
    start: str = "2021-06",
    last: str = "2021-07",
    ended: str | None = None,
    grade: str = "红",
    **changes: Any,
) -> Finding:
    values: dict[str, Any] = {
        "rule": "production_stop",
        "rule_name": "停产/减产",
        "kind": "electricity_drop",
        "grade": grade,
        "scope": "firm",
        "code": FIRM,
        "name": "甲精密机械有限公司",
        "key": f"production_stop|firm|{FIRM}",
        "start": start,
        "period": "2021-07",
        "grade_period": "2021-07",
        "last": last,
        "ended": ended,
        "values": {"ratio_pct": 10.0},
        "message": f"甲精密机械有限公司用电量低（{grade}）",
        "region_code": "330211",
        "chain_id": None,
    }
    values.update(changes)
    return Finding(**values)


def test_a_condition_is_raised_once_and_updated_as_it_runs(backend: str) -> None:
    first = alert_store.record_findings([finding()], now=T0)
    assert (first["new"], first["new_by_grade"]) == (1, {"红": 1})
    again = alert_store.record_findings([finding()], now=T0)
    assert (again["new"], again["unchanged"]) == (0, 1)
    longer = alert_store.record_findings([finding(last="2021-09", ended="2021-10")], now=T0)
    assert (longer["new"], longer["updated"], longer["ended"]) == (0, 1, 1)
    (alert,) = alert_store.list_alerts()["items"]
    assert (alert["last_period"], alert["ended_period"], alert["condition_open"]) == (
        "2021-09",
        "2021-10",
        False,
    )
    events = alert_store.get_alert(alert["id"])["events"]
    assert [e["event"] for e in events] == ["预警", "条件结束"]
    assert events[1]["note"] == "自 2021-10 起条件不再成立"


def test_a_condition_that_ended_and_comes_back_is_a_new_alert(backend: str) -> None:
    alert_store.record_findings([finding(ended="2021-08")], now=T0)
    back = finding(start="2021-10", last="2021-11", period="2021-11", grade_period="2021-11")
    summary = alert_store.record_findings([finding(ended="2021-08"), back], now=T0)
    assert (summary["new"], summary["unchanged"]) == (1, 1)
    items = alert_store.list_alerts()["items"]
    assert [(a["start_period"], a["period"], a["ended_period"]) for a in items] == [
        ("2021-10", "2021-11", None),
        ("2021-06", "2021-07", "2021-08"),
    ]
    # Evaluating again raises neither a third time.
    assert alert_store.record_findings([finding(ended="2021-08"), back], now=T0)["new"] == 0


def test_a_run_seen_earlier_by_revised_data_is_the_same_alert(backend: str) -> None:
    alert_store.record_findings([finding()], now=T0)
    revised = alert_store.record_findings([finding(start="2021-05", last="2021-08")], now=T0)
    assert (revised["new"], revised["updated"]) == (0, 1)
    assert alert_store.list_alerts()["total"] == 1


def test_a_deepening_run_is_escalated_not_raised_again(backend: str) -> None:
    alert_store.record_findings([finding(grade="橙")], now=T0)
    summary = alert_store.record_findings(
        [finding(grade="红", grade_period="2021-09", last="2021-09")], now=T0
    )
    assert (summary["new"], summary["escalated"]) == (0, 1)
    (alert,) = alert_store.list_alerts()["items"]
    assert (alert["grade"], alert["grade_period"]) == ("红", "2021-09")
    events = alert_store.get_alert(alert["id"])["events"]
    assert events[-1]["event"] == "升级" and events[-1]["note"].startswith("橙 → 红（2021-09）")
    # A milder reading later never lowers the grade.
    alert_store.record_findings([finding(grade="橙", last="2021-10")], now=T0)
    assert alert_store.list_alerts()["items"][0]["grade"] == "红"


def test_change_points_match_within_the_tolerance(backend: str) -> None:
    point = finding(
        rule="index_change_point",
        kind="change_point",
        grade="提示",
        key="index_change_point|county|330211|down",
        scope="county",
        code="330211",
    )
    alert_store.record_findings([point], now=T0)
    moved = Finding(**{**point.as_dict(), "start": "2021-07", "last": "2021-07"})
    assert alert_store.record_findings([moved], tolerances={"index_change_point": 2})["new"] == 0
    far = Finding(**{**point.as_dict(), "start": "2021-12", "last": "2021-12"})
    assert alert_store.record_findings([far], tolerances={"index_change_point": 2})["new"] == 1


def test_lifecycle_with_who_and_when(backend: str) -> None:
    alert_store.record_findings([finding()], now=T0)
    alert_id = alert_store.list_alerts()["items"][0]["id"]
    assigned = alert_store.assign(alert_id, "镇海区经信局", by="省运行监测处", note="请核实")
    assert (assigned["status"], assigned["assignee"]) == ("已分派", "镇海区经信局")
    assert assigned["next_statuses"] == ["已分派", "处置中", "已解除"]
    handled = alert_store.handle(alert_id, "王科长", note="已联系企业")
    assert handled["status"] == "处置中"
    resolved = alert_store.resolve(alert_id, "王科长", note="企业已复产")
    assert (resolved["status"], resolved["next_statuses"]) == ("已解除", [])
    events = [
        (e["event"], e["actor"], e["status"], e["assignee"], e["note"]) for e in resolved["events"]
    ]
    assert events == [
        ("预警", None, "新", None, "甲精密机械有限公司用电量低（红）"),
        ("分派", "省运行监测处", "已分派", "镇海区经信局", "请核实"),
        ("处置", "王科长", "处置中", "镇海区经信局", "已联系企业"),
        ("解除", "王科长", "已解除", "镇海区经信局", "企业已复产"),
    ]
    assert all(isinstance(e["at"], dt.datetime) for e in resolved["events"])
    # The condition still holds: evaluating again does not raise it anew.
    assert alert_store.record_findings([finding(last="2021-08")], now=T0)["new"] == 0
    assert alert_store.get_alert(alert_id)["status"] == "已解除"


@pytest.mark.parametrize(
    ("steps", "error", "text"),
    [
        (
            [("处置中", {"by": "王"})],
            ConflictError,
            "it can move to 已分派, 已解除, not 处置中 (assign",
        ),
        ([("已分派", {})], ValidationError, "assigning an alert needs to"),
        ([("已解除", {})], ValidationError, "已解除 needs by"),
        ([("新", {"by": "王"})], ValidationError, "status '新' cannot be set"),
        (
            [("已解除", {"by": "王"}), ("已分派", {"to": "李"})],
            ConflictError,
            "is already 已解除 by 王 at",
        ),
        (
            [("已分派", {"to": "李"}), ("处置中", {"by": "李"}), ("处置中", {"by": "李"})],
            ConflictError,
            "alert 1 is 处置中; it can move to 已分派, 已解除, not 处置中",
        ),
    ],
)
def test_invalid_transitions_are_refused(
    backend: str, steps: list[tuple[str, dict[str, str]]], error: type, text: str
) -> None:
    alert_store.record_findings([finding()], now=T0)
    *fine, (status, kwargs) = steps
    for ok_status, ok_kwargs in fine:
        alert_store.transition(1, ok_status, **ok_kwargs)
    with pytest.raises(error) as caught:
        alert_store.transition(1, status, **kwargs)
    assert text in caught.value.message


def test_unknown_alert(backend: str) -> None:
    ensure_database()
    with pytest.raises(NotFoundError, match="no alert 42"):
        alert_store.get_alert(42)


def test_filters(backend: str) -> None:
    county = finding(
        rule="region_index_low",
        rule_name="地区指数低迷",
        kind="index_below",
        grade="橙",
        key="region_index_low|county|330211",
        scope="county",
        code="330211",
        name="镇海区",
        period="2021-08",
    )
    elsewhere = finding(
        code="91330106MA2A00003X",
        key="production_stop|firm|91330106MA2A00003X",
        region_code="330106",
        grade="橙",
    )
    alert_store.record_findings([finding(), county, elsewhere], now=T0)
    listed = alert_store.list_alerts()
    assert listed["total"] == 3 and listed["by_grade"] == {"红": 1, "橙": 2, "黄": 0, "提示": 0}
    assert [a["period"] for a in listed["items"]] == ["2021-08", "2021-07", "2021-07"]
    assert [a["grade"] for a in listed["items"][1:]] == ["红", "橙"]  # most severe first
    assert alert_store.list_alerts(region="330200")["total"] == 2  # 宁波市 holds 镇海区
    assert alert_store.list_alerts(region="330000")["total"] == 3
    assert alert_store.list_alerts(scope="region")["items"][0]["subject"] == "330211"
    assert alert_store.list_alerts(grade="红")["items"][0]["subject"] == FIRM
    firm_alert = alert_store.list_alerts(subject=FIRM)["items"][0]["id"]
    alert_store.assign(firm_alert, "甲")
    assert alert_store.list_alerts(status="新")["total"] == 2
    assert alert_store.list_alerts(status="open")["total"] == 3
    assert alert_store.list_alerts(subject=FIRM.lower())["total"] == 1
    with pytest.raises(ValidationError, match="grade '紫' is not one of 红, 橙, 黄, 提示"):
        alert_store.list_alerts(grade="紫")
    with pytest.raises(ValidationError, match="not a 6-digit region code"):
        alert_store.list_alerts(region="33")
    links = alert_store.get_alert(firm_alert)["links"]
    assert [(link["kind"], link["code"], link["name"]) for link in links] == [
        ("firm", FIRM, "甲精密机械有限公司"),
        ("region", "330211", "镇海区"),
    ]


@pytest.mark.parametrize(
    "flavour", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_migration_matches_the_models(flavour: str, request: pytest.FixtureRequest) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from chainwatch.store.models import Base

    request.getfixturevalue("home" if flavour == "sqlite" else "pg_home")
    ensure_database()
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    ours = [d for d in diffs if "alert" in repr(d)]
    assert ours == []
