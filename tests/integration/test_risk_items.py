"""The lifecycle of risk items on SQLite and PostgreSQL: valid and refused transitions, what each
status needs, re-screening that updates evidence without duplicating, reopening of closed
items, items not found again, and the migration matching the models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chainwatch.errors import NotFoundError, ValidationError
from chainwatch.risk.findings import Finding
from chainwatch.risk.riskitems import (
    TRANSITIONS,
    get_item,
    list_items,
    store_findings,
    update_item,
)
from chainwatch.risk.screening_settings import load_screening_settings
from tests.integration.test_postgres import pg_home  # noqa: F401  (fixture)

T0 = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> str:
    request.getfixturevalue("home" if request.param == "sqlite" else "pg_home")
    return str(request.param)


def finding(share: float = 1.0, single: bool = True, key_suffix: str = "") -> Finding:
    settings = load_screening_settings()
    f = Finding(
        key=f"product:ic:materials:光刻胶{key_suffix}",
        kind="product",
        chain_id="ic",
        segment_id="materials",
        product="光刻胶（ArF/EUV）",
        uscc=None,
        subject_zh="光刻胶（ArF/EUV） (HS 370790)",
        subject_en="Photoresist (HS 370790)",
        position="原材料/元器件",
        risk_type="材料",
    )
    band = settings.dependence.band(share)
    f.add("dependence", settings.dependence.points[band], f"进口占比 {share:.0%}", "imports")
    if single:
        f.add("concentration", 2, "全部来自日本（单一来源）", "single source")
    f.add("alternatives", 2, "省内无替代企业", "no maker")
    f.evidence = {"imports": 4_000_000.0 * share, "import_share": share}
    f.affected = [{"uscc": "F1", "name": "甲晶圆有限公司", "amount": 1.0, "role": "importer"}]
    assert f.finish(settings) is not None
    return f


def _only() -> dict[str, Any]:
    (item,) = list_items(details=True)["items"]
    return item


def test_rescreening_updates_evidence_and_never_duplicates(db: str) -> None:
    assert store_findings([finding()], T0)["created"] == 1
    first = _only()
    assert first["status"] == "待核实" and first["grade"] == "高" and first["score"] == 8
    counts = store_findings([finding(share=0.7)], T0 + dt.timedelta(days=30))
    assert counts == {"created": 0, "updated": 1, "reopened": 0, "not_found": 0}
    second = _only()
    assert second["id"] == first["id"]
    assert second["evidence"]["import_share"] == 0.7 and second["score"] == 7
    assert second["grade"] == "中" and "进口占比 70%" in second["explanation"]
    events = [e["event"] for e in second["history"]]
    assert events == ["created", "rescreened"]
    assert second["history"][1]["details"] == {"grade": ["高", "中"], "score": [8, 7]}
    # The same numbers again: updated silently, no new event.
    store_findings([finding(share=0.7)], T0 + dt.timedelta(days=60))
    assert [e["event"] for e in _only()["history"]] == events


def test_transitions_and_what_they_need(db: str) -> None:
    store_findings([finding()], T0)
    item_id = _only()["id"]
    with pytest.raises(
        ValidationError, match="cannot go to 处置中; from 待核实 it can go to 已确认 or 已排除"
    ):
        update_item(item_id, status="处置中")
    with pytest.raises(ValidationError, match="unknown status"):
        update_item(item_id, status="已完成")
    update_item(item_id, status="已确认", actor="材料处")
    with pytest.raises(ValidationError) as missing:
        update_item(item_id, status="处置中")
    assert {e["field"] for e in missing.value.errors} == {"owner", "due"}
    update_item(item_id, status="处置中", owner="材料处", due="2026-06-30")
    with pytest.raises(ValidationError, match="at least one recorded action"):
        update_item(item_id, status="已销号")
    update_item(item_id, action="组织省内企业替代验证")
    closed = update_item(item_id, status="已销号", note="替代产品已通过验证")
    assert closed["status"] == "已销号" and closed["owner"] == "材料处"
    assert closed["due"] == "2026-06-30" and len(closed["actions"]) == 1
    statuses = [
        (e["from_status"], e["to_status"]) for e in closed["history"] if e["event"] == "status"
    ]
    assert statuses == [("待核实", "已确认"), ("已确认", "处置中"), ("处置中", "已销号")]
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        update_item(item_id, due="30/06/2026")
    with pytest.raises(NotFoundError):
        get_item(item_id + 1000)
    assert set(TRANSITIONS) == {"待核实", "已确认", "处置中", "已销号", "已排除"}


def test_a_closed_item_found_again_is_reopened(db: str) -> None:
    store_findings([finding()], T0)
    item_id = _only()["id"]
    update_item(item_id, status="已确认")
    update_item(item_id, status="处置中", owner="材料处", due="2026-06-30", action="替代验证")
    update_item(item_id, status="已销号")
    counts = store_findings([finding()], T0 + dt.timedelta(days=30))
    assert counts["reopened"] == 1 and counts["created"] == 0
    item = _only()
    assert item["id"] == item_id and item["status"] == "待核实"
    assert item["history"][-1]["event"] == "reopened"


def test_an_excluded_item_stays_excluded_unless_its_grade_rises(db: str) -> None:
    store_findings([finding(share=0.7)], T0)  # 中
    item_id = _only()["id"]
    with pytest.raises(ValidationError, match="reason"):
        update_item(item_id, status="已排除")
    update_item(item_id, status="已排除", note="企业已有两家国内备选供应商")
    assert store_findings([finding(share=0.7)], T0 + dt.timedelta(days=30))["reopened"] == 0
    assert _only()["status"] == "已排除"
    assert store_findings([finding(share=1.0)], T0 + dt.timedelta(days=60))["reopened"] == 1
    assert _only()["status"] == "待核实" and _only()["grade"] == "高"


def test_open_items_not_found_again_are_marked(db: str) -> None:
    store_findings([finding(), finding(key_suffix=":b")], T0)
    counts = store_findings([finding()], T0 + dt.timedelta(days=30))
    assert counts["not_found"] == 1
    listed = list_items()["items"]
    assert [i["found"] for i in listed] == [True, False]  # items found last come first
    stale = get_item(listed[1]["id"])
    assert stale["status"] == "待核实" and stale["history"][-1]["event"] == "not_found"
    with pytest.raises(ValidationError, match="unknown grade"):
        list_items(grade="红")


def test_migration_matches_the_models(db: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from chainwatch.store.db import ensure_database, get_engine
    from chainwatch.store.models import Base

    ensure_database()
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection)
        diffs = [d for d in compare_metadata(context, Base.metadata) if "risk_item" in str(d)]
    assert diffs == []
