"""The files: exact headers, valid codes, known regions and industries, determinism."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from stdnum.cn import uscc

from chainwatch.reference.countries import normalise_country
from chainwatch.reference.industries import is_known_industry
from chainwatch.reference.regions import counties_of
from chainwatch.synth.province import ProvinceOptions, generate_province

from .conftest import OPTIONS, Province, read

DATA_FILES = ("enterprises.csv", "invoices.csv", "customs.csv", "indicators.csv")
TAGS = {"专精特新", "小巨人", "单项冠军", "上市", "链主", "高新技术企业"}


def test_headers_are_exactly_the_documented_ones(province: Province) -> None:
    first_lines = {
        name: (province.path / name).read_text(encoding="utf-8").split("\n", 1)[0]
        for name in DATA_FILES
    }
    assert first_lines == {
        "enterprises.csv": ",".join(
            (
                *("统一社会信用代码", "企业名称", "行政区划代码", "行业代码", "规模"),
                *("用地面积(亩)", "从业人员", "成立日期", "标签", "经营范围", "经度", "纬度"),
            )
        ),
        "invoices.csv": "销方税号,购方税号,开票日期,金额,税额,商品名称,税收分类编码",
        "customs.csv": "企业税号,进出口,日期,HS编码,国别,金额",
        "indicators.csv": ",".join(
            (
                *("税号", "月份", "销售额", "税收", "用电量", "工业总产值", "增加值"),
                *("出口额", "进口额", "从业人员", "能耗", "排放", "研发支出"),
            )
        ),
    }


def test_credit_codes_are_valid_unique_and_match_the_region(province: Province) -> None:
    firms = province.enterprises
    codes = firms["统一社会信用代码"]
    assert len(firms) == OPTIONS.firms
    assert codes.is_unique
    assert all(uscc.is_valid(code) for code in codes)
    assert (codes.str[2:8] == firms["行政区划代码"]).all()
    assert firms["企业名称"].is_unique


def test_regions_are_zhejiang_counties_covering_every_city(province: Province) -> None:
    counties = {c.code for c in counties_of("330000")}
    regions = set(province.enterprises["行政区划代码"])
    assert regions <= counties
    assert {code[:4] for code in regions} == {code[:4] for code in counties}


def test_industry_codes_scale_tags_and_dates(province: Province) -> None:
    firms = province.enterprises
    assert firms["行业代码"].str.fullmatch(r"[A-T]\d{4}").all()
    assert all(is_known_industry(code) for code in firms["行业代码"])
    assert set(firms["规模"]) == {"规上", "规下"}
    tags = {t for value in firms["标签"] for t in value.split(";") if t}
    assert tags <= TAGS
    assert "高新技术企业" in tags
    established = pd.to_datetime(firms["成立日期"], format="%Y-%m-%d")
    assert established.max() < pd.Timestamp("2019-01-01")
    assert firms["经营范围"].str.startswith("一般项目：").all()
    assert (firms["用地面积(亩)"].astype(float) > 0).all()
    assert (firms["从业人员"].astype(int) >= 3).all()


def test_coordinates_lie_near_the_county(province: Province) -> None:
    lon = province.enterprises["经度"].astype(float)
    lat = province.enterprises["纬度"].astype(float)
    assert lon.between(117.5, 123.5).all() and lat.between(27.0, 31.5).all()


def test_invoice_fields(province: Province) -> None:
    invoices = province.invoices
    local = set(province.enterprises["统一社会信用代码"])
    assert invoices["购方税号"].isin(local).all()
    outside = invoices.loc[~invoices["销方税号"].isin(local), "销方税号"].unique()
    assert len(outside) > 0
    assert all(uscc.is_valid(code) and code[2:4] != "33" for code in outside)
    listed = read(province.path / "truth" / "external_suppliers.csv")["统一社会信用代码"]
    assert set(outside) <= set(listed)
    rate = (invoices["税额"] / invoices["金额"]).where(invoices["金额"] >= 100)
    assert rate.dropna().round(2).isin([0.06, 0.09, 0.13]).all()
    assert (invoices["税额"] - (invoices["金额"] * rate).round(2)).abs().max() <= 0.011
    assert invoices["商品名称"].str.fullmatch(r"\*[^*]+\*[^*]+").all()
    codes = invoices["税收分类编码"]
    assert codes.str.fullmatch(r"(\d{19})?").all()
    assert (codes == "").mean() < 0.1
    dates = pd.to_datetime(invoices["开票日期"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2019-01-01")
    assert dates.max() <= pd.Timestamp("2021-12-31")
    assert (invoices["金额"] > 0).all()


def test_customs_fields(province: Province) -> None:
    customs = province.customs
    assert set(customs["进出口"]) == {"进口", "出口"}
    assert customs["HS编码"].str.fullmatch(r"\d{6,10}").all()
    assert all(normalise_country(c) == c for c in customs["国别"].unique())
    assert customs["企业税号"].isin(set(province.enterprises["统一社会信用代码"])).all()
    assert (customs["金额"] > 0).all()


def test_indicator_rows_cover_every_firm_and_month(province: Province) -> None:
    indicators = province.indicators
    assert len(indicators) == OPTIONS.firms * OPTIONS.months
    assert indicators["月份"].min() == "2019-01" and indicators["月份"].max() == "2021-12"
    assert not indicators.duplicated(["税号", "月份"]).any()
    numeric = indicators.drop(columns=["税号", "月份", "工业总产值"])
    assert (numeric >= 0).all().all()


def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    province: Province, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    generate_province(again, OPTIONS)
    for name in (*DATA_FILES, "planted.json", "PLANTED.md", "truth/firm_segments.csv"):
        assert (again / name).read_bytes() == (province.path / name).read_bytes(), name
    other = tmp_path / "other"
    generate_province(
        other, ProvinceOptions(firms=OPTIONS.firms, months=OPTIONS.months, seed=OPTIONS.seed + 1)
    )
    assert (other / "enterprises.csv").read_bytes() != (
        province.path / "enterprises.csv"
    ).read_bytes()


def test_names_look_like_registered_company_names(province: Province) -> None:
    names = province.enterprises["企业名称"]
    assert names.str.fullmatch(r"[\u4e00-\u9fff]{2,}(有限公司|股份有限公司)").all()
    assert re.search("(杭州|宁波|温州|绍兴|嘉兴|金华|台州)", "".join(names))
