"""A hand-made province for known-answer index tests (the worked example in docs/monitoring.md).

Five firms in three counties of Zhejiang, January to March of 2020 (a leap year: February has
29 days) and 2021 (28 days). Each firm keeps a round daily rate, so every figure can be checked
on paper:

  firm county          sales 2020 Jan/Feb/Mar   2021 Jan/Feb/Mar   kWh 2020 Jan/Feb/Mar   2021
  A    330106 西湖区   310/290/310             341/308/372        3100/2900/3100   3410/3080/3410
  B    330106 西湖区   558/580/682             558/504/620        6200/5800/6200   6200/5600/6820
  C    330106 西湖区   —                       1000/1000/1000     —                500/500/500
  D    330108 滨江区   155/145/155             186/0/(none)       (no electricity feed)
  E    330205 江北区   930/870/930             1240/1120/930      1550/1450/1550   1550/1400/1550

西湖区 and 滨江区 are in 杭州市 (330100), 江北区 in 宁波市 (330200), all in 浙江省 (330000).
C enters in 2021; D reports zero sales in February 2021 and nothing in March 2021 (exits).
"""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.cn import uscc

from chainwatch.ingest.load import ingest_file


def credit_code(region: str, org: str) -> str:
    body = "91" + region + org
    return body + uscc.calc_check_digit(body)


FIRMS = {
    "A": (credit_code("330106", "MA2000001"), "甲精密机械有限公司", "330106", "3484"),
    "B": (credit_code("330106", "MA2000002"), "乙电子科技有限公司", "330106", "3973"),
    "C": (credit_code("330106", "MA2000003"), "丙新材料有限公司", "330106", "2651"),
    "D": (credit_code("330108", "MA2000004"), "丁软件有限公司", "330108", "6513"),
    "E": (credit_code("330205", "MA2000005"), "戊汽车零部件有限公司", "330205", "3670"),
}

# firm -> period -> (sales, electricity); None = not reported
FIGURES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "A": {
        "2020-01": (310, 3100),
        "2020-02": (290, 2900),
        "2020-03": (310, 3100),
        "2021-01": (341, 3410),
        "2021-02": (308, 3080),
        "2021-03": (372, 3410),
    },
    "B": {
        "2020-01": (558, 6200),
        "2020-02": (580, 5800),
        "2020-03": (682, 6200),
        "2021-01": (558, 6200),
        "2021-02": (504, 5600),
        "2021-03": (620, 6820),
    },
    "C": {"2021-01": (1000, 500), "2021-02": (1000, 500), "2021-03": (1000, 500)},
    "D": {
        "2020-01": (155, None),
        "2020-02": (145, None),
        "2020-03": (155, None),
        "2021-01": (186, None),
        "2021-02": (0, None),
    },
    "E": {
        "2020-01": (930, 1550),
        "2020-02": (870, 1450),
        "2020-03": (930, 1550),
        "2021-01": (1240, 1550),
        "2021-02": (1120, 1400),
        "2021-03": (930, 1550),
    },
}


def uscc_of(firm: str) -> str:
    return FIRMS[firm][0]


def write_files(folder: Path, firms: str = "ABCDE") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    enterprises = folder / f"enterprises_{firms}.csv"
    with enterprises.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "企业名称", "行政区划代码", "行业代码"])
        writer.writerows(FIRMS[f] for f in firms)
    indicators = folder / f"indicators_{firms}.csv"
    with indicators.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["税号", "月份", "销售额", "用电量"])
        for firm in firms:
            months = FIGURES[firm]
            for period, (sales, electricity) in months.items():
                writer.writerow(
                    [
                        uscc_of(firm),
                        period,
                        "" if sales is None else sales,
                        "" if electricity is None else electricity,
                    ]
                )
    return enterprises, indicators


def load_sample(folder: Path, firms: str = "ABCDE") -> None:
    """Ingest the sample (or some of its firms) into the current CHAINWATCH_HOME."""
    enterprises, indicators = write_files(folder, firms)
    ingest_file("enterprises", enterprises)
    ingest_file("indicators", indicators)
