"""The planted weaknesses are in the files, exactly as planted.json says."""

from __future__ import annotations

import pandas as pd
import pytest

from .conftest import OPTIONS, Province, read


def test_planted_json_lists_all_three(province: Province) -> None:
    ids = [w["id"] for w in province.planted["weaknesses"]]
    assert ids == ["single_foreign_source", "county_electricity_collapse", "import_interruption"]
    assert province.planted["generator"]["seed"] == OPTIONS.seed
    markdown = (province.path / "PLANTED.md").read_text(encoding="utf-8")
    assert (
        "370790" in markdown
        and province.weakness("county_electricity_collapse")["county_code"] in markdown
    )


def test_photoresist_comes_only_from_japan(province: Province) -> None:
    item = province.weakness("single_foreign_source")
    rows = province.customs[province.customs["HS编码"] == "370790"]
    assert set(rows["进出口"]) == {"进口"}
    assert set(rows["国别"]) == {"JP"}
    assert sorted(rows["企业税号"].unique()) == item["importers"]
    assert len(item["importers"]) >= 3
    months = rows.assign(m=rows["日期"].str[:7]).groupby("企业税号")["m"].nunique()
    assert (months == OPTIONS.months).all()  # steady: every importer, every month
    assert sum(item["monthly_imports_yuan"].values()) == pytest.approx(rows["金额"].sum(), abs=0.01)


def test_no_firm_or_supplier_makes_photoresist(province: Province) -> None:
    assert not province.enterprises["经营范围"].str.contains("光刻胶").any()
    assert not province.invoices["商品名称"].str.contains("光刻胶").any()
    segments = read(province.path / "truth" / "firm_segments.csv")
    importers = segments[
        segments["统一社会信用代码"].isin(province.weakness("single_foreign_source")["importers"])
    ]
    assert set(importers["环节"]) <= {"晶圆制造", "封装测试"}


def test_county_electricity_collapses_then_recovers(province: Province) -> None:
    item = province.weakness("county_electricity_collapse")
    firms = province.enterprises
    in_county = set(firms.loc[firms["行政区划代码"] == item["county_code"], "统一社会信用代码"])
    assert in_county == set(item["firms"]) and len(in_county) >= 3
    assert 3 <= len(item["months"]) <= 4
    assert all(m.startswith("2021-") for m in item["months"])
    table = province.indicators[province.indicators["税号"].isin(in_county)]
    power = table.pivot(index="税号", columns="月份", values="用电量")
    sales = table.pivot(index="税号", columns="月份", values="销售额")
    base = power[item["baseline_months"]].mean(axis=1)
    ratio = power[item["months"]].div(base, axis=0)
    assert ratio.median().median() < 0.25
    assert (ratio.stack() < 0.3).mean() >= 0.9
    assert (ratio.stack() > 0.05).all()
    assert (
        sales[item["months"]]
        .div(sales[item["baseline_months"]].mean(axis=1), axis=0)
        .stack()
        .median()
    ) < 0.35
    recovered = power[item["recovery_month"]] / base
    assert recovered.median() > 0.8


def test_other_counties_do_not_collapse(province: Province) -> None:
    item = province.weakness("county_electricity_collapse")
    other = province.indicators[~province.indicators["税号"].isin(item["firms"])]
    total = other.groupby("月份")["用电量"].sum()
    base = total[item["baseline_months"]].mean()
    assert (total[item["months"]] / base).min() > 0.85


def test_import_interruption(province: Province) -> None:
    item = province.weakness("import_interruption")
    customs = province.customs
    rows = customs[
        (customs["企业税号"] == item["firm"])
        & (customs["HS编码"] == item["hs_code"])
        & (customs["进出口"] == "进口")
    ]
    assert set(rows["国别"]) == {item["country"]}
    months = set(rows["日期"].str[:7])
    assert months == set(item["steady_months"])
    assert len(item["steady_months"]) >= 6 and len(item["zero_months"]) >= 3
    assert item["first_zero_month"] == item["zero_months"][0]
    assert pd.Period(item["first_zero_month"]) == pd.Period(item["last_import_month"]) + 1
