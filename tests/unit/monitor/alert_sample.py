"""A small province for alert tests that go through ingest, the index stage and the database.

Four firms, January 2020 to December 2021, each with a round daily electricity and sales rate:

  firm  county          daily kWh  what happens
  A     330211 镇海区   1000       10 % of normal in 2021-06, 07, 08 (停产, 红 raised 2021-07),
                                   normal 2021-09 and 10, 10 % again in 2021-11 and 12
                                   (a new 红 alert raised 2021-12, still open)
  B     330211 镇海区    500       50 % in 2021-06 and 07 (减产, 橙 raised 2021-07)
  C     330106 西湖区    800       10 % in 2021-05 only (one month: no alert)
  D     330106 西湖区    300       normal throughout

Sales follow electricity (1 元 per kWh × 10), so the 销售断崖 rule fires with the same months.
"""

from __future__ import annotations

import calendar
import csv
from pathlib import Path

from stdnum.cn import uscc

from chainwatch.ingest.load import ingest_file


def credit_code(region: str, org: str) -> str:
    body = "91" + region + org
    return body + uscc.calc_check_digit(body)


FIRMS = {
    "A": (credit_code("330211", "MA2A00001"), "甲精密机械有限公司", "330211", "3484", 1000.0),
    "B": (credit_code("330211", "MA2A00002"), "乙电子科技有限公司", "330211", "3973", 500.0),
    "C": (credit_code("330106", "MA2A00003"), "丙新材料有限公司", "330106", "2651", 800.0),
    "D": (credit_code("330106", "MA2A00004"), "丁软件有限公司", "330106", "6513", 300.0),
}
SHARE = {
    "A": {"2021-06": 0.1, "2021-07": 0.1, "2021-08": 0.1, "2021-11": 0.1, "2021-12": 0.1},
    "B": {"2021-06": 0.5, "2021-07": 0.5},
    "C": {"2021-05": 0.1},
    "D": {},
}
MONTHS = [f"{y}-{m:02d}" for y in (2020, 2021) for m in range(1, 13)]


def uscc_of(firm: str) -> str:
    return FIRMS[firm][0]


def write_files(folder: Path, months: list[str] | None = None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    enterprises = folder / "enterprises.csv"
    with enterprises.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
        writer.writerows(f[:4] for f in FIRMS.values())
    chosen = months or MONTHS
    indicators = folder / f"indicators_{chosen[0]}_{chosen[-1]}.csv"
    with indicators.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "月份", "销售额", "用电量"])
        for firm, (code, _, _, _, rate) in FIRMS.items():
            for period in chosen:
                days = calendar.monthrange(int(period[:4]), int(period[5:]))[1]
                kwh = rate * days * SHARE[firm].get(period, 1.0)
                writer.writerow([code, period, f"{kwh * 10:.2f}", f"{kwh:.2f}"])
    return enterprises, indicators


def load_alert_sample(folder: Path, months: list[str] | None = None) -> None:
    """Ingest the firms (and the chosen months) into the current CHAINWATCH_HOME."""
    enterprises, indicators = write_files(folder, months)
    ingest_file("enterprises", enterprises)
    ingest_file("indicators", indicators)
