"""Each risk screen on small hand-made tables, with the points, grades and explanation worked
out by hand from screening.yaml's defaults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from chainwatch.atlas.window import Window
from chainwatch.errors import ConfigError
from chainwatch.risk.screening import _segment_finding, screen_products
from chainwatch.risk.screening_data import ScreenContext
from chainwatch.risk.screening_firms import (
    screen_concentration,
    screen_interruptions,
    screen_systemic,
)
from chainwatch.risk.screening_settings import (
    ScreeningSettings,
    load_screening_settings,
    parse_screening_settings,
)
from chainwatch.store import lake

FIRMS = {  # uscc: name
    "F1": "甲晶圆有限公司",
    "F2": "乙封装有限公司",
    "M1": "丙材料有限公司",
    "S1": "丁钢铁有限公司",
    "S2": "戊钢铁有限公司",
    "R1": "己机器人有限公司",
}
MEMBER_COLUMNS = (
    "chain_id",
    "segment_id",
    "uscc",
    "output",
    "considered",
    "imports",
    "output_rank",
    "key_firm",
)


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list[Any]]) -> None:
    con.register(f"{name}_source", pa.table(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_source")


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    _table(
        connection,
        "screen_firms",
        {
            "uscc": list(FIRMS),
            "name": list(FIRMS.values()),
            "region_code": ["330106"] * len(FIRMS),
            "city_code": ["330100"] * len(FIRMS),
        },
    )
    _table(
        connection,
        "screen_countries",
        {"country": ["JP", "VN", "DE"], "level": ["高", "低", "中"], "weight": [1.0, 0.3, 0.7]},
    )
    yield connection
    connection.close()


def _ctx(
    con: duckdb.DuckDBPyConnection, settings: ScreeningSettings | None = None
) -> ScreenContext:
    return ScreenContext(
        con,
        "330000",
        Window("2020-01", "2020-12"),
        settings or load_screening_settings(),
        {},
        True,
        True,
    )


def _products(
    con: duckdb.DuckDBPyConnection,
    imports: list[tuple[Any, ...]],
    sales: list[tuple[Any, ...]],
    exports: list[tuple[Any, ...]],
) -> None:
    _table(
        con,
        "screen_products",
        {
            "chain_id": ["ic", "ic", "ic"],
            "segment_id": ["materials", "materials", "design"],
            "product": ["光刻胶（ArF/EUV）", "电子特种气体", "模拟芯片"],
            "core": ["光刻胶", "电子特种气体", "模拟芯片"],
            "bottleneck": [True, False, False],
            "hs": ["370790", "280429", "854239"],
            "stage": ["上游", "上游", "中游"],
            "segment_name": ["半导体材料", "半导体材料", "芯片设计"],
        },
    )
    _table(
        con,
        "product_imports",
        {
            "chain_id": [r[0] for r in imports],
            "segment_id": [r[1] for r in imports],
            "product": [r[2] for r in imports],
            "uscc": [r[3] for r in imports],
            "country": [r[4] for r in imports],
            "amount": [float(r[5]) for r in imports],
            "months": [12] * len(imports),
        },
    )
    _table(
        con,
        "product_sales",
        {
            "chain_id": pa.array([r[0] for r in sales], pa.string()),
            "segment_id": pa.array([r[1] for r in sales], pa.string()),
            "product": pa.array([r[2] for r in sales], pa.string()),
            "seller": pa.array([r[3] for r in sales], pa.string()),
            "buyer": pa.array([r[4] for r in sales], pa.string()),
            "seller_home": pa.array([r[5] for r in sales], pa.bool_()),
            "buyer_home": pa.array([r[6] for r in sales], pa.bool_()),
            "amount": pa.array([float(r[7]) for r in sales], pa.float64()),
        },
    )
    _table(
        con,
        "product_exports",
        {
            "chain_id": pa.array([r[0] for r in exports], pa.string()),
            "segment_id": pa.array([r[1] for r in exports], pa.string()),
            "product": pa.array([r[2] for r in exports], pa.string()),
            "uscc": pa.array([r[3] for r in exports], pa.string()),
            "amount": pa.array([float(r[4]) for r in exports], pa.float64()),
        },
    )
    _table(
        con,
        "screen_members",
        {
            "chain_id": ["ic", "ic"],
            "segment_id": ["fab", "packaging"],
            "uscc": ["F1", "F2"],
        },
    )


def test_single_foreign_source_without_alternative_is_high(con: duckdb.DuckDBPyConnection) -> None:
    resist = ("ic", "materials", "光刻胶（ArF/EUV）")
    _products(con, [(*resist, "F1", "JP", 3_000_000), (*resist, "F2", "JP", 1_000_000)], [], [])
    (found,) = screen_products(_ctx(con))
    # dependence: 100 % from JP (weight 1) → band ≥ 80 % → 4; single source 2; no maker in the
    # province 2, none in China 1; 卡脖子 1: 10 points → 高.
    assert [(p.screen, p.points) for p in found.parts] == [
        ("dependence", 4),
        ("concentration", 2),
        ("alternatives", 2),
        ("alternatives", 1),
        ("bottleneck", 1),
    ]
    assert found.points == 10 and found.grade == "高"
    assert found.position == "原材料/元器件" and found.risk_type == "材料"
    assert found.explanation() == (
        "光刻胶（ArF/EUV） (HS 370790) 进口占比 100%（≥ 80% 档，400 万元），"
        "全部来自日本（单一来源，国别风险高），省内无替代企业，国内亦未见供应，"
        "列为卡脖子技术 → 高（10 分）"
    )
    assert [a["uscc"] for a in found.affected] == ["F1", "F2"]
    assert found.affected[0]["monthly"] == pytest.approx(250_000)
    assert found.alternatives == []
    assert found.evidence["hhi"] == 1.0 and found.evidence["single_source"] is True


def test_mixed_sources_with_local_makers_is_low(con: duckdb.DuckDBPyConnection) -> None:
    gas = ("ic", "materials", "电子特种气体")
    _products(
        con,
        [(*gas, "F1", "JP", 300_000), (*gas, "F1", "VN", 300_000)],
        [(*gas, "M1", "F2", True, True, 400_000)],
        [(*gas, "M1", 50_000)],
    )
    (found,) = [f for f in screen_products(_ctx(con)) if f.product == "电子特种气体"]
    # share 600 / (600 + 400) = 60 % → band 60–80 %; weighted 0.6 × (0.5 × 1 + 0.5 × 0.3) = 39 %
    # → band 20–40 % → 1 point; HHI 0.5 ≥ 0.5 → 1; one maker → 0: 2 points → 低.
    assert found.evidence["import_share"] == pytest.approx(0.6)
    assert found.evidence["weighted_share"] == pytest.approx(0.39)
    assert found.evidence["band"] == "60–80%"
    assert [(p.screen, p.points) for p in found.parts] == [
        ("dependence", 1),
        ("concentration", 1),
        ("alternatives", 0),
    ]
    assert found.grade == "低"
    assert "国别风险加权后 39%" in found.explanation()
    assert "省内有 1 家生产企业" in found.explanation()
    assert [(a["uscc"], a["scope"]) for a in found.alternatives] == [("M1", "province")]


def test_small_imports_of_an_ordinary_product_are_not_listed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    chip = ("ic", "design", "模拟芯片")
    _products(con, [(*chip, "F1", "JP", 50_000)], [], [])
    # Only the flagged photoresist (see below) is listed, not the ordinary chip.
    assert [f.product for f in screen_products(_ctx(con))] == ["光刻胶（ArF/EUV）"]


def test_a_flagged_product_nobody_uses_is_low(con: duckdb.DuckDBPyConnection) -> None:
    _products(con, [], [], [])
    (found,) = screen_products(_ctx(con))
    assert found.product == "光刻胶（ArF/EUV）" and found.points == 4 and found.grade == "低"
    assert "省内未见进口或采购" in found.explanation()


def _segment(**changes: Any) -> dict[str, Any]:
    base = {
        "chain_id": "ic",
        "segment_id": "eda",
        "segment_name": "EDA/IP与设计工具",
        "stage": "上游",
        "bottleneck": True,
        "firms": 0,
        "inputs": 0.0,
        "imports": 0.0,
        "local_province_ratio": None,
        "status": "missing",
        "reasons": ["no_firms"],
        "weighted": 0.0,
        "countries": None,
        "targets": ["design"],
        "customer_firms": 12,
    }
    return {**base, **changes}


def test_missing_segment_that_supplies_the_chain() -> None:
    settings = load_screening_settings()
    found = _segment_finding(_segment(), settings).finish(settings)
    assert found is not None
    assert found.points == 5 and found.grade == "中" and found.risk_type == "软件"
    assert "省内无企业（缺链），下游 12 家企业需从省外或境外采购" in found.explanation()


def test_import_dependent_segment() -> None:
    settings = load_screening_settings()
    g = _segment(
        segment_id="fab",
        segment_name="晶圆制造",
        stage="中游",
        bottleneck=False,
        firms=5,
        inputs=1_000_000.0,
        imports=700_000.0,
        status="ok",
        reasons=[],
        weighted=700_000.0 * 0.7,
        countries=[{"country": "DE", "amount": 700_000.0, "level": "中"}],
    )
    found = _segment_finding(g, settings).finish(settings)
    assert found is not None
    # share 70 % (band 60–80 %), weighted 49 % → band 40–60 % → 2 points → 低.
    assert found.evidence["band"] == "60–80%" and found.points == 2 and found.grade == "低"
    assert "投入进口占比 70%（60–80% 档；德国 100%）" in found.explanation()


def _members(con: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    _table(con, "screen_members", {c: [r[i] for r in rows] for i, c in enumerate(MEMBER_COLUMNS)})


def _links_and_trade(
    con: duckdb.DuckDBPyConnection,
    links: list[tuple[str, str, float]],
    trade: list[tuple[str, str, str, str, str, float]],
) -> None:
    _table(
        con,
        "screen_links",
        {
            "supplier": [r[0] for r in links],
            "customer": [r[1] for r in links],
            "amount": [r[2] for r in links],
        },
    )
    columns = {
        "uscc": pa.array([r[0] for r in trade], pa.string()),
        "direction": pa.array([r[1] for r in trade], pa.string()),
        "country": pa.array([r[2] for r in trade], pa.string()),
        "hs_code": pa.array([r[3] for r in trade], pa.string()),
        "month": pa.array([r[4] for r in trade], pa.string()),
        "amount": pa.array([r[5] for r in trade], pa.float64()),
    }
    _table(con, "screen_trade", columns)
    _table(con, "screen_trade_all", columns)


def test_single_domestic_supplier_of_a_key_firm(con: duckdb.DuckDBPyConnection) -> None:
    _members(
        con,
        [
            ("equipment", "robots", "R1", 5e7, 2e7, 0.0, 1, True),
            ("petrochem", "steel", "S1", 3e7, 0.0, 0.0, 1, False),
            ("petrochem", "steel", "S2", 1e7, 0.0, 0.0, 2, False),
        ],
    )
    _links_and_trade(con, [("S1", "R1", 1.8e7), ("M1", "R1", 2e6)], [])
    (found,) = screen_concentration(_ctx(con))
    # top share 90 % ≥ 80 % → single source 3; key firm 1; S2 can stand in → 0: 4 → 低.
    assert found.uscc == "R1" and found.evidence["top_supplier"] == "S1"
    assert found.evidence["hhi"] == pytest.approx(0.82)
    assert [(p.screen, p.points) for p in found.parts] == [
        ("concentration", 3),
        ("key_firm", 1),
        ("alternatives", 0),
    ]
    assert found.grade == "低"
    assert [a["uscc"] for a in found.alternatives] == ["S2"]


def test_single_foreign_supplier_without_stand_in(con: duckdb.DuckDBPyConnection) -> None:
    _members(con, [("equipment", "robots", "R1", 5e7, 1e6, 9e6, 1, True)])
    _links_and_trade(con, [("M1", "R1", 1e6)], [("R1", "import", "JP", "848340", "2020-05", 9e6)])
    (found,) = screen_concentration(_ctx(con))
    # 90 % from JP (HS 848340): single source 3, abroad in a 高 country 2, key firm 1, no
    # exporter of 848340 in the province 2: 8 → 高.
    assert found.points == 8 and found.grade == "高"
    assert "最大供应方 日本（HS 848340） 占 90%" in found.explanation()


def test_systemic_grades_follow_the_esri_thresholds(
    home: Path, con: duckdb.DuckDBPyConnection
) -> None:
    _members(
        con,
        [
            ("ic", "fab", "F1", 9e7, 0.0, 0.0, 1, True),
            ("ic", "packaging", "F2", 5e7, 0.0, 0.0, 2, False),
            ("ic", "fab", "M1", 1e7, 0.0, 0.0, 3, False),
        ],
    )
    _links_and_trade(con, [("F1", "F2", 5e6)], [])
    lake.write_result_table(
        "risk_esri",
        pa.table(
            {
                "uscc": ["F1", "F2", "M1"],
                "esri": [0.06, 0.03, 0.005],
                "esri_downstream": [0.05, 0.02, 0.004],
                "esri_upstream": [0.01, 0.01, 0.001],
                "rank": pa.array([1, 2, 3], pa.int64()),
            }
        ),
    )
    found = {f.uscc: f for f in screen_systemic(_ctx(con))}
    assert set(found) == {"F1", "F2"}
    assert (found["F1"].grade, found["F1"].points) == ("高", 8)
    assert (found["F2"].grade, found["F2"].points) == ("中", 5)
    assert "ESRI 0.060，全省第 1 位" in found["F1"].explanation()
    assert [a["uscc"] for a in found["F1"].affected] == ["F2"]
    assert [a["uscc"] for a in found["F1"].alternatives] == ["M1"]


def test_interruption_needs_steady_imports_then_silence(con: duckdb.DuckDBPyConnection) -> None:
    _members(con, [("equipment", "robots", "R1", 5e7, 0.0, 0.0, 1, True)])
    _table(
        con,
        "screen_products",
        {
            "chain_id": ["equipment"],
            "segment_id": ["components"],
            "product": ["RV减速器"],
            "core": ["RV减速器"],
            "bottleneck": [True],
            "hs": ["848340"],
            "stage": ["上游"],
            "segment_name": ["核心零部件"],
            "chain_order": [0],
            "segment_order": [0],
        },
    )
    months = [f"2020-{m:02d}" for m in range(1, 13)]
    trade = [("R1", "import", "JP", "848340", m, 200_000.0) for m in months[:9]]  # stops in Oct
    trade += [("R1", "import", "DE", "850152", m, 50_000.0) for m in months if m != "2020-11"]
    trade += [("R1", "import", "VN", "848340", m, 90_000.0) for m in months[:3]]  # too few months
    _links_and_trade(con, [], trade)
    (found,) = screen_interruptions(_ctx(con))
    # 6 + key product 1 + 卡脖子 1 = 8 → 高
    assert found.key == "interruption:equipment:R1:848340:JP"
    assert found.grade == "高" and found.points == 8
    assert found.evidence["stopped_from"] == "2020-10" and found.evidence["active_months"] == 9
    assert "此前 9 个月有进口（月均 20 万元），自 2020-10 起已中断" in found.explanation()
    assert [a.get("country") for a in found.alternatives if a["scope"] == "abroad"] == ["VN"]


def test_settings_bands_grades_and_overrides(home: Path) -> None:
    settings = load_screening_settings()
    d = settings.dependence
    assert [d.label(d.band(x)) for x in (0.1, 0.2, 0.5, 0.79, 0.8, 1.0)] == [
        "< 20%",
        "20–40%",
        "40–60%",
        "60–80%",
        "≥ 80%",
        "≥ 80%",
    ]
    assert [settings.grades.grade(p) for p in (1, 2, 4, 5, 7, 8, 12)] == [
        None,
        "低",
        "低",
        "中",
        "中",
        "高",
        "高",
    ]
    assert settings.country_level("JP") == "高" and settings.country_level("ZZ") == "中"
    folder = home / "risk"
    folder.mkdir(parents=True)
    (folder / "screening.yaml").write_text(
        "grades: {high: 9}\ncountries: {JP: 中}\n", encoding="utf-8"
    )
    changed = load_screening_settings()
    assert changed.grades.high == 9 and changed.grades.medium == 5
    assert changed.country_level("JP") == "中" and changed.country_level("US") == "高"
    (folder / "screening.yaml").write_text("grades: {high: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="high > medium > low"):
        load_screening_settings()
    with pytest.raises(ConfigError, match="points needs 5 values"):
        parse_screening_settings({"dependence": {"points": [1, 2]}}, "test")
