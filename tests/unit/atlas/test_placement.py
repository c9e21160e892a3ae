"""Known answers for placing firms in segments: hand-made firms, invoices, customs and a small
chain whose points are computed by hand (default weights: class 3, group 2, neighbour 1,
scope keyword 1 capped at 3, products 4 × share, exports 3 × share, imports 1 × share,
exclude penalty 3; min_score 3.5, relative_score 0.6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from stdnum.cn import uscc as uscc_check

from chainwatch.atlas.chains import Chain
from chainwatch.atlas.overrides import OverrideList, load_overrides, parse_overrides
from chainwatch.atlas.placement import Sources, place_firms
from chainwatch.atlas.settings import PlacementSettings
from chainwatch.errors import InputFileError, ValidationError


def code(body: str) -> str:
    return body + uscc_check.calc_check_digit(body)


MAT = code("91330108MA2B00001")  # 3985, sells wafers: materials
FAB = code("91330106MA2B00002")  # 3973, foundry, imports photoresist
PKG = code("91330206MA2B00003")  # 3973, mostly packaging, some foundry work
NEAR = code("91330106MA2B00004")  # 3979: only a neighbouring class
SOFT = code("91330106MA2B00005")  # 6520 with no chip keyword: unplaced, for review
TRADER = code("91330106MA2B00006")  # 5179 wholesaler reselling wafers
EXPORTER = code("91330106MA2B00007")  # 2662 photoresist developer exporting it
OTHER = code("91330106MA2B00008")  # 1810, nothing to do with chips

CHAIN = Chain.model_validate(
    {
        "id": "chips",
        "name": "芯片",
        "segments": [
            {
                "id": "mat",
                "name": "材料",
                "stage": "上游",
                "industry_codes": ["3985"],
                "keywords": ["硅片", "光刻胶"],
                "hs_codes": ["370790"],
                "key_products": [{"name": "光刻胶（ArF）", "hs_codes": ["370790"]}],
            },
            {
                "id": "fab",
                "name": "晶圆制造",
                "stage": "中游",
                "industry_codes": ["3973"],
                "keywords": ["晶圆代工"],
                "exclude_keywords": ["封装"],
            },
            {
                "id": "pkg",
                "name": "封装测试",
                "stage": "中游",
                "industry_codes": ["3973"],
                "keywords": ["封装测试"],
            },
            {
                "id": "design",
                "name": "芯片设计",
                "stage": "下游",
                "industry_codes": ["6520"],
                "keywords": ["芯片设计"],
            },
        ],
        "flows": [
            {"from": "mat", "to": "fab"},
            {"from": "fab", "to": "pkg"},
            {"from": "pkg", "to": "design"},
        ],
    }
)
CHAINS = {"chips": CHAIN}

FIRMS = [
    (MAT, "3985", "硅片制造；光刻胶销售"),
    (FAB, "3973", "晶圆代工服务"),
    (PKG, "3973", "集成电路封装测试；晶圆代工"),
    (NEAR, "3979", "电子元件制造"),
    (SOFT, "6520", "软件开发"),
    (TRADER, "5179", "硅片批发"),
    (EXPORTER, "2662", "光刻胶研发"),
    (OTHER, "1810", "服装制造"),
]
SALES = [  # seller, product, amount
    (MAT, "*电子专用材料*硅片", 100.0),
    (FAB, "*集成电路*12英寸晶圆代工", 300.0),
    (PKG, "*集成电路*封装测试服务", 80.0),
    (PKG, "*集成电路*晶圆代工", 20.0),
    (TRADER, "*电子专用材料*硅片", 500.0),
]
TRADE = [  # uscc, direction, hs, amount
    (FAB, "import", "370790", 50.0),
    (EXPORTER, "export", "370790", 90.0),
    (EXPORTER, "export", "292429", 10.0),
]


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register(
        "t_enterprises",
        pa.table(
            {
                "uscc": [f[0] for f in FIRMS],
                "industry_code": [f[1] for f in FIRMS],
                "business_scope": [f[2] for f in FIRMS],
            }
        ),
    )
    con.register(
        "t_invoices",
        pa.table(
            {
                "seller": [s[0] for s in SALES],
                "buyer": [OTHER] * len(SALES),
                "product": [s[1] for s in SALES],
                "amount": [s[2] for s in SALES],
            }
        ),
    )
    con.register(
        "t_customs",
        pa.table(
            {
                "uscc": [t[0] for t in TRADE],
                "direction": [t[1] for t in TRADE],
                "hs_code": [t[2] for t in TRADE],
                "amount": [t[3] for t in TRADE],
            }
        ),
    )
    return con


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = _connection()
    yield connection
    connection.close()


def _place(con: duckdb.DuckDBPyConnection, overrides: OverrideList | None = None) -> dict[str, int]:
    return place_firms(
        con,
        CHAINS,
        Sources("t_enterprises", "t_invoices", "t_customs"),
        PlacementSettings(),
        overrides or OverrideList(),
    )


def _placed(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[float, bool, bool]]:
    rows = con.execute(
        "SELECT uscc, segment_id, score, chain_main, main FROM firm_segments"
    ).fetchall()
    return {(r[0], r[1]): (round(r[2], 6), r[3], r[4]) for r in rows}


def test_points_and_placements_match_the_hand_computation(
    con: duckdb.DuckDBPyConnection,
) -> None:
    counts = _place(con)
    placed = _placed(con)
    assert placed == {
        # 3 (class) + 2 keywords (硅片, 光刻胶) + 4 × 100 % of sales carrying 硅片 = 9
        (MAT, "mat"): (9.0, True, True),
        # 3 + 1 (晶圆代工) + 4 × 100 % + 1 × 100 % of imports from a supplying segment = 9
        (FAB, "fab"): (9.0, True, True),
        # pkg: 3 + 1 (封装测试) + 4 × 80 % = 7.2; fab: 3 + 1 + 4 × 20 % = 4.8 ≥ 0.6 × 7.2, and
        # its exclude keyword 封装 costs nothing because 3973 is one of fab's own classes.
        (PKG, "pkg"): (7.2, True, True),
        (PKG, "fab"): (4.8, False, False),
        # 1 (光刻胶 in scope) + 3 × 90 % of exports under 370790 = 3.7 ≥ 3.5
        (EXPORTER, "mat"): (3.7, True, True),
    }
    assert counts["placements"] == 5
    assert counts["placed_firms"] == 4


def test_component_points_are_kept(con: duckdb.DuckDBPyConnection) -> None:
    _place(con)
    row = con.execute(
        "SELECT industry_points, scope_points, products_points, exports_points, imports_points "
        f"FROM firm_segments WHERE uscc = '{FAB}'"
    ).fetchall()[0]
    assert [round(v, 6) for v in row] == [3.0, 1.0, 4.0, 0.0, 1.0]


def test_industry_alone_leaves_a_firm_for_review(con: duckdb.DuckDBPyConnection) -> None:
    _place(con)
    unplaced = con.execute("SELECT uscc, segment_id, score FROM unplaced").fetchall()
    # SOFT has only its class (3 < 3.5); NEAR only a neighbouring class, which is not one of
    # the chain's industries; the trader and the clothing firm are not in its industries.
    assert unplaced == [(SOFT, "design", 3.0)]


def test_a_trader_is_not_placed_in_a_making_segment(con: duckdb.DuckDBPyConnection) -> None:
    _place(con)
    scores = dict(
        con.execute(
            f"SELECT segment_id, score FROM atlas_scores WHERE uscc = '{TRADER}'"
        ).fetchall()
    )
    assert scores == {"mat": 5.0}  # 1 (硅片) + 4 × 100 %: enough points, but a trader
    assert (
        con.execute(f"SELECT count(*) FROM firm_segments WHERE uscc = '{TRADER}'").fetchall()[0][0]
        == 0
    )


def test_an_exclude_keyword_costs_points_outside_the_segments_classes() -> None:
    chain = CHAIN.model_copy(
        update={
            "segments": (
                CHAIN.segments[0].model_copy(update={"exclude_keywords": ("研发",)}),
                *CHAIN.segments[1:],
            )
        }
    )
    connection = _connection()
    place_firms(
        connection,
        {"chips": chain},
        Sources("t_enterprises", "t_invoices", "t_customs"),
        PlacementSettings(),
        OverrideList(),
    )
    row = connection.execute(
        f"SELECT score, excluded_by_keyword FROM atlas_scores WHERE uscc = '{EXPORTER}'"
    ).fetchall()
    assert [(round(row[0][0], 6), row[0][1])] == [(0.7, True)]  # 3.7 − 3
    placed = connection.execute(
        f"SELECT count(*) FROM firm_segments WHERE uscc = '{EXPORTER}'"
    ).fetchall()[0][0]
    assert placed == 0


def _overrides(tmp_path: Path, text: str) -> OverrideList:
    path = tmp_path / "overrides.csv"
    path.write_text(text, encoding="utf-8")
    return load_overrides(CHAINS, path)


def test_overrides_win_over_the_rules(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    overrides = _overrides(
        tmp_path,
        "统一社会信用代码,产业链,环节,操作\n"
        f"{SOFT},芯片,芯片设计,加入\n"
        f"{PKG},chips,fab,主环节\n"
        f"{MAT},chips,,排除\n",
    )
    counts = _place(con, overrides)
    placed = _placed(con)
    assert (MAT, "mat") not in placed
    assert placed[(SOFT, "design")] == (3.0, True, True)
    assert placed[(PKG, "fab")] == (4.8, True, True)  # the main segment by override
    assert placed[(PKG, "pkg")] == (7.2, False, False)
    sources = dict(con.execute("SELECT uscc || segment_id, source FROM firm_segments").fetchall())
    assert sources[SOFT + "design"] == "override"
    assert sources[FAB + "fab"] == "rules"
    # Excluded from the chain on purpose and placed by hand: nothing left to review.
    assert con.execute("SELECT count(*) FROM unplaced").fetchall()[0][0] == 0
    assert counts["override_placements"] == 2


def test_override_problems_are_all_reported_with_rows(tmp_path: Path) -> None:
    text = (
        "统一社会信用代码,产业链,环节,操作\n"
        "91330106MA2B00001X,chips,mat,加入\n"
        f"{MAT},nochain,mat,加入\n"
        f"{MAT},chips,nosegment,加入\n"
        f"{MAT},chips,mat,移动\n"
        f"{MAT},chips,,加入\n"
        f"{FAB},chips,fab,加入\n"
        f"{FAB},chips,fab,排除\n"
    )
    with pytest.raises(ValidationError) as caught:
        _overrides(tmp_path, text)
    errors = "\n".join(caught.value.errors)
    assert len(caught.value.errors) == 6
    assert "row 2, 统一社会信用代码" in errors and "wrong check character" in errors
    assert "row 3, 产业链 'nochain' is not a known chain" in errors
    assert "row 4, 环节 'nosegment' is not a segment of 芯片" in errors
    assert "row 5, 操作 '移动' is not one of 加入, 排除, 主环节" in errors
    assert "row 6, 环节 is empty" in errors
    assert "rows 7 and 8" in errors


def test_override_file_needs_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    with pytest.raises(InputFileError, match="missing column"):
        parse_overrides(path, [["统一社会信用代码", "产业链"]], CHAINS)


def test_override_xlsx_is_read(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "产业链", "环节", "操作"])  # type: ignore[union-attr]
    sheet.append([SOFT, "chips", "design", "加入"])  # type: ignore[union-attr]
    path = tmp_path / "overrides.xlsx"
    book.save(path)
    overrides = load_overrides(CHAINS, path)
    assert [(o.uscc, o.segment_id, o.action) for o in overrides.rows] == [(SOFT, "design", "add")]


def test_settings_from_the_data_folder(home: Path) -> None:
    from chainwatch.atlas.settings import atlas_folder, load_atlas_settings
    from chainwatch.errors import ConfigError

    folder = atlas_folder()
    folder.mkdir(parents=True)
    (folder / "settings.yaml").write_text("placement:\n  min_score: 3.0\n", encoding="utf-8")
    settings = load_atlas_settings()
    assert settings.placement.min_score == 3.0
    assert settings.placement.relative_score == 0.6  # the rest keeps the shipped values
    connection = _connection()
    place_firms(
        connection,
        CHAINS,
        Sources("t_enterprises", "t_invoices", "t_customs"),
        settings.placement,
        OverrideList(),
    )
    found = connection.execute(f"SELECT segment_id FROM firm_segments WHERE uscc = '{SOFT}'")
    assert found.fetchall() == [("design",)]  # 3 points now suffice
    (folder / "settings.yaml").write_text("gaps:\n  weak_min_firms: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gaps.weak_min_firms: Input should be greater"):
        load_atlas_settings()
