"""Monthly indicators per firm (企业月度指标), consistent with invoices and customs.

销售额 = invoiced sales to firms in the province (invoices.csv, 金额) + exports (customs.csv)
        + other sales (to consumers and buyers outside the province, not in any file),
where other sales = max(T − invoiced − exports, 3 % · T) and T is the firm's output that month,
so the identity holds to the cent. Other columns:

* 税收 = 销售额 · τ_i · lognormal(0, 0.08), τ_i a sector rate (制造 4.5 %, 服务 6 %, 批发 1.2 % …)
  × lognormal(0, 0.35) per firm;
* 用电量 (kWh) = intensity_i · production value (see :mod:`chainwatch.synth.activity`);
* 工业总产值 = production value, industrial firms only (empty for others);
* 增加值 = value-added ratio_i × (production value or output);
* 出口额 / 进口额 = the month's customs totals for the firm;
* 从业人员 = employees × (1 + 2 %/year) × (1 + N(0, 1 %)), × 0.85 in collapsed months;
* 能耗 (吨标准煤) = kWh × 0.1229 kgce/kWh × fuel multiplier / 1000;
* 排放 (吨, main pollutants) = energy × segment emission factor × lognormal(0, 0.1);
* 研发支出 = 销售额 × R&D ratio_i.
Money is kept in integer cents until it is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainwatch.synth.activity import Activity
from chainwatch.synth.firms import Firms
from chainwatch.synth.templates import Segment

TAX_RATE = {
    "manufacturing": 0.045,
    "power": 0.03,
    "construction": 0.035,
    "wholesale": 0.012,
    "retail": 0.02,
    "logistics": 0.03,
    "services": 0.06,
}
KGCE_PER_KWH = 0.1229
OTHER_SALES_FLOOR = 0.03


@dataclass
class Indicators:
    sales: np.ndarray  # cents, firms × months
    tax: np.ndarray
    electricity: np.ndarray  # kWh
    output_value: np.ndarray  # cents; meaningless where ``industrial`` is False
    industrial: np.ndarray  # per firm
    value_added: np.ndarray
    exports: np.ndarray
    imports: np.ndarray
    employees: np.ndarray
    energy: np.ndarray  # kgce (written as tce with 3 decimals)
    emissions: np.ndarray  # 1e-4 t
    research: np.ndarray
    other_sales: np.ndarray  # cents not in any file (documented, not written)


def compute_indicators(
    segments: tuple[Segment, ...],
    firms: Firms,
    activity: Activity,
    invoiced: np.ndarray,
    exports: np.ndarray,
    imports: np.ndarray,
    rng: np.random.Generator,
) -> Indicators:
    n, months = activity.output.shape
    seg = firms.segment
    output_cents = np.rint(activity.output * 100).astype(np.int64)
    other = np.maximum(
        output_cents - invoiced - exports,
        np.rint(OTHER_SALES_FLOOR * output_cents).astype(np.int64),
    )
    sales = invoiced + exports + other

    sector = np.array([s.sector for s in segments])[seg]
    rate = np.array([TAX_RATE[s] for s in sector]) * rng.lognormal(0, 0.35, n)
    tax = np.rint(sales * rate[:, None] * rng.lognormal(0, 0.08, (n, months))).astype(np.int64)

    industrial = np.array([s.industrial for s in segments])[seg]
    production_cents = np.rint(activity.production * 100).astype(np.int64)
    va_ratio = np.array([s.va for s in segments])[seg] * rng.lognormal(0, 0.15, n)
    basis = np.where(industrial[:, None], production_cents, output_cents)
    value_added = np.rint(basis * np.minimum(va_ratio, 0.95)[:, None]).astype(np.int64)

    years = np.arange(months) / 12.0
    collapsed = activity.capacity < 1.0
    staff = (
        firms.employees[:, None]
        * (1 + 0.02 * years)[None, :]
        * (1 + rng.normal(0, 0.01, (n, months)))
    )
    staff = np.maximum(1, np.rint(staff * np.where(collapsed, 0.85, 1.0))).astype(np.int64)

    fuel = np.array([s.fuel for s in segments])[seg]
    energy = np.rint(activity.electricity * KGCE_PER_KWH * fuel[:, None]).astype(np.int64)
    factor = np.array([s.emission for s in segments])[seg]
    emissions = np.rint(
        energy / 1000 * factor[:, None] * rng.lognormal(0, 0.1, (n, months)) * 1e4
    ).astype(np.int64)

    hightech = np.array(["高新技术企业" in t for t in firms.tags])
    rd_ratio = (
        np.array([s.rd for s in segments])[seg]
        * rng.lognormal(0, 0.5, n)
        * np.where(hightech, 1.5, 1.0)
    )
    research = np.rint(sales * np.minimum(rd_ratio, 0.5)[:, None]).astype(np.int64)
    return Indicators(
        sales=sales,
        tax=tax,
        electricity=activity.electricity.astype(np.int64),
        output_value=production_cents,
        industrial=industrial,
        value_added=value_added,
        exports=exports,
        imports=imports,
        employees=staff,
        energy=energy,
        emissions=emissions,
        research=research,
        other_sales=other,
    )
