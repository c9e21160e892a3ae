"""Known answers for the atlas metrics: output, inputs, 本地配套率, segment flows, partners,
缺链/弱链 and PageRank, on a few hand-made firms and links (amounts in yuan).

  M1 materials  滨江区 (Hangzhou)   F1 fab  西湖区 (Hangzhou)   P1 packaging  北仑区 (Ningbo)
  U1 power utility 西湖区 (unplaced)   S1 a Shanghai supplier outside the registry

Links in 2021: M1→F1 150 (two months), S1→F1 200, U1→F1 30, F1→P1 400, M1→P1 60; one link of
2020 (M1→F1 999) lies outside the 12-month window ending 2021-12. Customs: F1 imports 50 of
HS 370790 from JP in 2021 (and 70 in 2020); P1 exports 80 to the US.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from stdnum.cn import uscc as uscc_check

from chainwatch.atlas.chains import Chain
from chainwatch.atlas.gaps import segment_status_sql
from chainwatch.atlas.metrics import (
    build_firm_metrics,
    flow_metrics_sql,
    partner_metrics_sql,
    region_metrics_sql,
    register_window,
    segment_metrics_sql,
)
from chainwatch.atlas.network import network_positions, pagerank
from chainwatch.atlas.places import register_places
from chainwatch.atlas.rules import register_rules
from chainwatch.atlas.settings import GapSettings, MetricSettings
from chainwatch.atlas.window import Window, resolve_window


def code(body: str) -> str:
    return body + uscc_check.calc_check_digit(body)


M1 = code("91330108MA2C00001")
F1 = code("91330106MA2C00002")
P1 = code("91330206MA2C00003")
U1 = code("91330106MA2C00004")
S1 = code("91310000MA1C00005")

CHAIN = Chain.model_validate(
    {
        "id": "chips",
        "name": "芯片",
        "segments": [
            {"id": "mat", "name": "材料", "stage": "上游", "industry_codes": ["3985"]},
            {"id": "fab", "name": "晶圆制造", "stage": "中游", "industry_codes": ["3973"]},
            {"id": "pkg", "name": "封装测试", "stage": "中游", "keywords": ["封装"]},
            {"id": "design", "name": "芯片设计", "stage": "下游", "industry_codes": ["6520"]},
        ],
        "flows": [
            {"from": "mat", "to": "fab"},
            {"from": "fab", "to": "pkg"},
            {"from": "pkg", "to": "design"},
        ],
    }
)
LINKS = [
    (M1, F1, "2021-03", 100.0),
    (M1, F1, "2021-04", 50.0),
    (S1, F1, "2021-05", 200.0),
    (U1, F1, "2021-06", 30.0),
    (F1, P1, "2021-07", 400.0),
    (M1, P1, "2021-08", 60.0),
    (M1, F1, "2020-06", 999.0),
    (P1, M1, "2021-12", 0.0),  # a credit note netting to zero: no link
]
CUSTOMS = [
    (F1, "import", dt.date(2021, 9, 15), "370790", "JP", 50.0),
    (F1, "import", dt.date(2020, 9, 15), "370790", "JP", 70.0),
    (P1, "export", dt.date(2021, 2, 1), "854239", "US", 80.0),
]


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.register(
        "t_enterprises",
        pa.table(
            {
                "uscc": [M1, F1, P1, U1],
                "region_code": ["330108", "330106", "330206", "330106"],
                "industry_code": ["3985", "3973", "3973", "4420"],
            }
        ),
    )
    connection.register(
        "t_links",
        pa.table(
            {
                "supplier": [r[0] for r in LINKS],
                "customer": [r[1] for r in LINKS],
                "period": [r[2] for r in LINKS],
                "amount": [r[3] for r in LINKS],
                "invoice_count": [1] * len(LINKS),
            }
        ),
    )
    connection.register(
        "t_customs",
        pa.table(
            {
                k: [c[i] for c in CUSTOMS]
                for i, k in enumerate(("uscc", "direction", "date", "hs_code", "country", "amount"))
            }
        ),
    )
    connection.register(
        "t_segments",
        pa.table(
            {
                "uscc": [M1, F1, P1],
                "chain_id": ["chips"] * 3,
                "segment_id": ["mat", "fab", "pkg"],
                "chain_main": [True] * 3,
                "main": [True] * 3,
            }
        ),
    )
    connection.execute("CREATE TEMP TABLE firm_segments AS SELECT * FROM t_segments")
    register_rules(connection, {"chips": CHAIN})
    register_places(
        connection,
        "t_enterprises",
        "SELECT uscc FROM t_enterprises UNION SELECT supplier FROM t_links",
    )
    register_window(connection, "t_links", "t_customs", Window("2021-01", "2021-12"))
    build_firm_metrics(connection, "t_enterprises", "330000", MetricSettings())
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, object]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def test_window_defaults_to_the_latest_months() -> None:
    assert resolve_window("2021-12", 12, None, None) == Window("2021-01", "2021-12")
    assert resolve_window("2021-12", 12, "2020-03", "2020-05").months == 3


def test_places_use_the_credit_code_outside_the_registry(
    con: duckdb.DuckDBPyConnection,
) -> None:
    places = {r[0]: r[1:] for r in con.execute("SELECT * FROM places").fetchall()}
    assert places[S1] == ("310000", "310000", "310000", False)  # a municipality is its city
    assert places[P1] == ("330206", "330200", "330000", True)


def test_firm_output_inputs_and_local_supply(con: duckdb.DuckDBPyConnection) -> None:
    firms = {
        r["uscc"]: r
        for r in _rows(
            con,
            "SELECT uscc, output, purchases, considered, imports, local_city, local_province "
            "FROM atlas_firms",
        )
    }
    # F1 bought 150 + 200 + 30 = 380; the utility's 30 is left out of 本地配套率; the only
    # local supplier is M1 (same city, Hangzhou); S1 is in Shanghai.
    assert firms[F1] == {
        "uscc": F1,
        "output": 400.0,
        "purchases": 380.0,
        "considered": 350.0,
        "imports": 50.0,
        "local_city": 150.0,
        "local_province": 150.0,
    }
    # P1 in Ningbo bought 400 + 60 from Hangzhou: in the province, not in its city.
    assert (firms[P1]["local_city"], firms[P1]["local_province"]) == (0.0, 460.0)
    assert firms[M1]["output"] == 210.0


def test_segment_metrics_and_gaps(con: duckdb.DuckDBPyConnection) -> None:
    gaps = GapSettings(weak_min_firms=1, weak_local_supply=0.5, min_inputs=100.0)
    rows = {
        r["segment_id"]: r
        for r in _rows(con, segment_status_sql(segment_metrics_sql("330000"), gaps))
    }
    fab = rows["fab"]
    assert (fab["firms"], fab["inputs"], fab["local_city_ratio"]) == (1, 400.0, 0.375)
    assert fab["local_province_ratio"] == 0.375  # 150 / (350 + 50)
    assert (fab["status"], fab["reasons"]) == ("weak", ["low_local_supply"])
    assert (rows["pkg"]["local_province_ratio"], rows["pkg"]["status"]) == (1.0, "ok")
    assert rows["mat"]["status"] == "ok"  # no inputs, so local supply is not judged
    assert (rows["design"]["firms"], rows["design"]["status"]) == (0, "missing")
    few = {
        r["segment_id"]: r["reasons"]
        for r in _rows(con, segment_status_sql(segment_metrics_sql("330000"), GapSettings()))
    }
    assert few["mat"] == ["few_firms"]  # 1 firm < 3 by default


def test_flows_between_segments(con: duckdb.DuckDBPyConnection) -> None:
    flows = {
        (r["source"], r["target"]): (r["amount"], r["links"], r["defined"])
        for r in _rows(con, flow_metrics_sql())
    }
    assert flows == {
        ("mat", "fab"): (150.0, 1, True),
        ("fab", "pkg"): (400.0, 1, True),
        ("mat", "pkg"): (60.0, 1, False),  # observed, but the chain does not define it
        ("pkg", "design"): (0.0, 0, True),  # defined, nothing flowed
    }


def test_partners_of_a_segment(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, partner_metrics_sql("t_enterprises"))
    fab_in = {
        (r["kind"], r["partner_segment"] or r["code"]): r["amount"]
        for r in rows
        if r["segment_id"] == "fab" and r["direction"] == "in"
    }
    assert fab_in == {
        ("chain", "mat"): 150.0,
        ("outside", "310000"): 200.0,
        ("industry", "44"): 30.0,
        ("trade", "JP"): 50.0,
    }
    pkg_out = {
        (r["kind"], r["code"]): r["amount"]
        for r in rows
        if r["segment_id"] == "pkg" and r["direction"] == "out"
    }
    assert pkg_out == {("trade", "US"): 80.0}


def test_regions_roll_up_to_cities(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, region_metrics_sql())
    chain_cities = {
        r["region_code"]: (r["firms"], r["output"])
        for r in rows
        if r["level"] == "city" and r["segment_id"] is None
    }
    assert chain_cities == {"330100": (2, 610.0), "330200": (1, 0.0)}


def test_pagerank_of_two_firms_matches_the_closed_form() -> None:
    # A → B, damping 0.85: r_A = 0.075 + 0.425 r_B and r_A + r_B = 1, so r_A = 0.5 / 1.425.
    rank = pagerank(np.array([0]), np.array([1]), np.array([1.0]), 2, 0.85)
    assert rank == pytest.approx([0.5 / 1.425, 1 - 0.5 / 1.425], abs=1e-9)


def test_network_positions_in_the_chain(con: duckdb.DuckDBPyConnection) -> None:
    table = network_positions(con, 0.85).to_pylist()
    found = {r["uscc"]: r for r in table}
    assert {u: found[u]["weighted_degree"] for u in (M1, F1, P1)} == {
        M1: 210.0,  # 150 to F1 + 60 to P1
        F1: 550.0,  # 150 bought + 400 sold
        P1: 460.0,
    }
    # Goods flow M1 → F1 → P1 (and M1 → P1): the end of the chain ranks first.
    order = sorted(found, key=lambda u: -found[u]["pagerank"])
    assert order == [P1, F1, M1]
    assert sum(found[u]["pagerank"] for u in found) == pytest.approx(1.0)
