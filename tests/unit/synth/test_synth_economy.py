"""The economy behaves like one: heavy-tailed network, seasons, the 2020 shock, consistent books."""

from __future__ import annotations

import numpy as np

from .conftest import Province


def _totals(province: Province, column: str) -> dict[str, float]:
    return province.indicators.groupby("月份")[column].sum().to_dict()


def test_out_degree_is_heavy_tailed(province: Province) -> None:
    invoices = province.invoices
    local = set(province.enterprises["统一社会信用代码"])
    links = invoices[invoices["商品名称"] != "*电*电力"][["销方税号", "购方税号"]].drop_duplicates()
    degree = (
        links[links["销方税号"].isin(local)]
        .groupby("销方税号")
        .size()
        .reindex(sorted(local), fill_value=0)
    )
    assert 4 <= degree.mean() <= 12
    assert degree.max() >= 6 * degree.mean()
    top = degree.sort_values(ascending=False)
    assert top.iloc[: len(top) // 100].sum() >= 0.1 * top.sum()  # 1 % of firms, ≥ 10 % of links
    assert (degree <= 2).mean() > 0.3


def test_some_links_cross_cities_and_the_border(province: Province) -> None:
    invoices = province.invoices
    links = invoices[["销方税号", "购方税号"]].drop_duplicates()
    outside = ~links["销方税号"].str[2:4].eq("33")
    assert 0.03 < outside.mean() < 0.3
    inside = links[~outside]
    cross_city = inside["销方税号"].str[2:6] != inside["购方税号"].str[2:6]
    assert 0.1 < cross_city.mean() < 0.9


def test_spring_festival_dip(province: Province) -> None:
    power = _totals(province, "用电量")
    assert power["2019-02"] < 0.8 * power["2019-03"]
    assert power["2021-02"] < 0.8 * power["2021-03"]
    # 春节 2020 fell on 25 January: January 2020 is below January 2019 and 2021.
    assert power["2020-01"] < 0.9 * min(power["2019-01"], power["2021-01"])


def test_2020_shock_and_v_shaped_recovery(province: Province) -> None:
    sales = _totals(province, "销售额")
    power = _totals(province, "用电量")
    for series in (sales, power):
        assert series["2020-02"] < 0.8 * series["2019-02"]
        assert series["2020-03"] < 0.95 * series["2019-03"]
        assert series["2020-06"] > series["2019-06"]
        assert series["2020-09"] > series["2019-09"]


def test_growth_trend(province: Province) -> None:
    sales = _totals(province, "销售额")
    first = sum(v for k, v in sales.items() if k.startswith("2019"))
    last = sum(v for k, v in sales.items() if k.startswith("2021"))
    assert last > 1.05 * first


def test_sales_hold_invoices_and_exports(province: Province) -> None:
    indicators = province.indicators.set_index(["税号", "月份"])
    invoices = province.invoices
    invoiced = (
        invoices.assign(月份=invoices["开票日期"].str[:7])
        .groupby(["销方税号", "月份"])["金额"]
        .sum()
    )
    customs = province.customs.assign(月份=province.customs["日期"].str[:7])
    exports = customs[customs["进出口"] == "出口"].groupby(["企业税号", "月份"])["金额"].sum()
    imports = customs[customs["进出口"] == "进口"].groupby(["企业税号", "月份"])["金额"].sum()
    invoiced = invoiced.reindex(indicators.index, fill_value=0.0)
    exports = exports.reindex(indicators.index, fill_value=0.0)
    imports = imports.reindex(indicators.index, fill_value=0.0)
    assert np.allclose(indicators["出口额"], exports, atol=0.005)
    assert np.allclose(indicators["进口额"], imports, atol=0.005)
    other = indicators["销售额"] - invoiced - exports
    assert other.min() >= -0.01  # 销售额 = invoiced + exports + other sales, other ≥ 0
    assert 0.15 < invoiced.sum() / indicators["销售额"].sum() < 0.7
    assert 0.03 < exports.sum() / indicators["销售额"].sum() < 0.4


def test_electricity_follows_output(province: Province) -> None:
    industrial = province.indicators.dropna(subset=["工业总产值"])
    industrial = industrial[industrial["工业总产值"] > 0]
    intensity = industrial["用电量"] / industrial["工业总产值"]
    spread = intensity.groupby(industrial["税号"]).agg(lambda s: s.std() / s.mean())
    assert spread.median() < 0.06


def test_firm_sizes_are_heavy_tailed(province: Province) -> None:
    annual = (
        province.indicators[province.indicators["月份"].str.startswith("2019")]
        .groupby("税号")["销售额"]
        .sum()
        .sort_values(ascending=False)
    )
    assert annual.iloc[: len(annual) // 10].sum() > 0.6 * annual.sum()
    assert annual.max() > 50 * annual.median()
