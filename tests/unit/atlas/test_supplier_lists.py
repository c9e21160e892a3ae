"""Known answers for the 四清单 of one firm, loaded through the real ingest path.

X (西湖区, Hangzhou) buys in 2021 from A (滨江区, Hangzhou) 100, B (北仑区, Ningbo) 60, C (a
Shanghai firm outside the registry) 30 and D (Suzhou, outside the registry) 10, and imports
HS 370790 from JP (25 + 15) and HS 848620 from the US (20): 260 in all. A purchase from A in
2020 (500) and an import of 2020 fall outside the default window (2021-01..2021-12).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum.cn import uscc as uscc_check

from chainwatch.atlas.exports import supplier_lists_workbook
from chainwatch.atlas.supplier_lists import supplier_lists
from chainwatch.errors import DataMissingError, NotFoundError
from chainwatch.ingest.load import ingest_file
from chainwatch.links import build_links
from chainwatch.store.db import ensure_database


def code(body: str) -> str:
    return body + uscc_check.calc_check_digit(body)


X = code("91330106MA2D00001")
A = code("91330108MA2D00002")
B = code("91330206MA2D00003")
C = code("91310000MA1D00004")
D = code("91320500MA1D00005")
NOT_REGISTERED = code("91330106MA2D00099")


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def loaded(home: Path, tmp_path: Path) -> Path:
    ensure_database()
    ingest_file(
        "enterprises",
        _write(
            tmp_path / "enterprises.csv",
            "统一社会信用代码,企业名称,行政区划代码,行业代码",
            [
                f"{X},杭州甲芯片有限公司,330106,3973",
                f"{A},杭州乙材料有限公司,330108,3985",
                f"{B},宁波丙设备有限公司,330206,3562",
            ],
        ),
    )
    ingest_file(
        "invoices",
        _write(
            tmp_path / "invoices.csv",
            "销方税号,购方税号,开票日期,金额,税额,商品名称",
            [
                f"{A},{X},2021-03-05,100,13,*电子专用材料*硅片",
                f"{B},{X},2021-06-01,60,7.8,*专用设备*刻蚀设备零部件",
                f"{C},{X},2021-07-01,30,3.9,*化学试剂*电子特气",
                f"{D},{X},2021-12-20,10,1.3,*化学试剂*湿化学品",
                f"{A},{X},2020-05-05,500,65,*电子专用材料*硅片",
            ],
        ),
    )
    ingest_file(
        "customs",
        _write(
            tmp_path / "customs.csv",
            "企业税号,进出口,日期,HS编码,国别,金额",
            [
                f"{X},进口,2021-02-01,370790,JP,25",
                f"{X},进口,2021-08-01,370790,JP,15",
                f"{X},进口,2021-09-01,848620,US,20",
                f"{X},进口,2020-09-01,848620,US,70",
                f"{X},出口,2021-09-01,854231,US,99",
            ],
        ),
    )
    return home


def test_lists_need_the_links(loaded: Path) -> None:
    with pytest.raises(DataMissingError, match="chainwatch run links"):
        supplier_lists(X)


def test_four_lists_match_the_hand_computation(loaded: Path) -> None:
    build_links()
    found = supplier_lists(X, product_names={"370790": "光刻胶"})
    assert found["period"] == {"from": "2021-01", "to": "2021-12", "months": 12}
    assert found["firm"]["city"] == {"code": "330100", "name": "杭州市"}
    assert found["total"] == 260.0
    lists = {item["key"]: item for item in found["lists"]}
    assert [item["label"] for item in found["lists"]] == ["市内", "省内", "省外", "境外"]
    assert {k: (v["amount"], v["count"]) for k, v in lists.items()} == {
        "city": (100.0, 1),
        "province": (60.0, 1),
        "country": (40.0, 2),
        "foreign": (60.0, 2),
    }
    assert lists["city"]["share"] == pytest.approx(100 / 260)
    assert [i["uscc"] for i in lists["country"]["items"]] == [C, D]
    assert lists["country"]["items"][0]["region"] == {"code": "310000", "name": "上海市"}
    assert lists["country"]["items"][0]["share_in_list"] == pytest.approx(0.75)
    jp, us = lists["foreign"]["items"]
    assert (jp["country"], jp["hs_code"], jp["amount"], jp["records"]) == ("JP", "370790", 40.0, 2)
    assert (jp["country_name"], jp["product"]) == ("日本", "光刻胶")
    assert (us["country"], us["hs_code"], us["amount"], us["product"]) == (
        "US",
        "848620",
        20.0,
        None,
    )


def test_a_chosen_period(loaded: Path) -> None:
    build_links()
    found = supplier_lists(X, "2020-01", "2020-12", product_names={})
    lists = {item["key"]: item["amount"] for item in found["lists"]}
    assert lists == {"city": 500.0, "province": 0.0, "country": 0.0, "foreign": 70.0}


def test_unknown_or_malformed_codes(loaded: Path) -> None:
    build_links()
    with pytest.raises(NotFoundError, match="no enterprise with 统一社会信用代码"):
        supplier_lists(NOT_REGISTERED)
    with pytest.raises(NotFoundError, match="wrong check character"):
        supplier_lists(X[:-1] + ("0" if X[-1] != "0" else "1"))


def test_excel_has_a_sheet_per_list(loaded: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    build_links()
    path = supplier_lists_workbook(supplier_lists(X, product_names={}), tmp_path / "x.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "市内", "省内", "省外", "境外"]
    assert [c.value for c in book["境外"][1]][:4] == [
        "国家（地区）代码",
        "国家（地区）",
        "HS编码",
        "产品",
    ]
    assert book["省外"]["D2"].value == 30.0
    assert book["汇总"]["B5"].value == 60.0  # 境外
