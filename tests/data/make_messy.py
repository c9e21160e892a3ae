"""Writes the messy enterprise file kept under tests/data/bad/ (run once; the file is committed).

Each bad row has exactly one planted problem, listed in EXPECTED for the tests.
"""

from __future__ import annotations

from pathlib import Path

from stdnum.cn import uscc


def code(region: str, org: str) -> str:
    body = "91" + region + org
    return body + uscc.calc_check_digit(body)


HEADER = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "行业代码",
    "规模",
    "用地面积（亩）",
    "从业人员",
    "成立日期",
    "标签",
    "经营范围",
]

GOOD_A = code("330106", "MA2AAAAA1")
GOOD_B = code("330212", "MA2BBBBB2")
GOOD_C = code("330602", "MA2CCCCC3")
DUP = code("330106", "MA2DDDDD4")
SAME = code("330108", "MA2EEEEE5")
WRONG = code("330106", "MA2FFFFF6")
WRONG_CHECK = WRONG[:-1] + ("1" if WRONG[-1] != "1" else "2")

ROWS = [
    [
        GOOD_A,
        "杭州海芯微电子有限公司",
        "330106",
        "C3973",
        "规上",
        "35.5",
        "420",
        "2015-03-08",
        "专精特新;小巨人",
        "集成电路设计、制造；电子元器件销售",
    ],
    [
        GOOD_B.lower(),
        "宁波锂动新能源科技有限公司",
        "330212",
        "3841",
        "规模以上",
        "120",
        "1,250",
        "2015/3/8",
        "链主、上市",
        "锂离子电池制造",
    ],
    [
        " " + GOOD_C + " ",
        "绍兴柯桥纺织印染有限公司",
        "330602",
        "C1713",
        "规下",
        "8.2",
        "56",
        "2015年3月8日",
        "",
        "棉织物印染",
    ],
    [
        WRONG_CHECK,
        "错误校验码有限公司",
        "330106",
        "C3973",
        "规上",
        "10",
        "20",
        "2018-01-01",
        "",
        "",
    ],
    [
        code("339999", "MA2GGGGG7"),
        "未知区划有限公司",
        "339999",
        "C3973",
        "规上",
        "10",
        "20",
        "2018-01-01",
        "",
        "",
    ],
    [DUP, "杭州甲公司", "330106", "C3911", "规上", "10", "20", "2018-01-01", "", ""],
    [DUP, "杭州乙公司", "330106", "C3911", "规上", "10", "20", "2018-01-01", "", ""],
    [SAME, "杭州重复一致有限公司", "330108", "C3911", "规上", "10", "20", "2018-01-01", "", ""],
    [SAME, "杭州重复一致有限公司", "330108", "C3911", "规上", "10", "20", "2018-01-01", "", ""],
    [
        code("330106", "MA2HHHHH8"),
        "负面积有限公司",
        "330106",
        "C3911",
        "规上",
        "-3",
        "20",
        "2018-01-01",
        "",
        "",
    ],
    [
        code("330106", "MA2JJJJJ9"),
        "坏日期有限公司",
        "330106",
        "C3911",
        "规上",
        "3",
        "20",
        "2015-02-30",
        "",
        "",
    ],
    [
        code("330106", "MA2KKKKK0"),
        "未知行业有限公司",
        "330106",
        "C9999",
        "规上",
        "3",
        "20",
        "2018-01-01",
        "",
        "",
    ],
    [code("330106", "MA2LLLLL1"), "", "330106", "C3911", "规上", "3", "20", "2018-01-01", "", ""],
    [
        code("330106", "MA2MMMMM2"),
        "规模写错有限公司",
        "330106",
        "C3911",
        "大型",
        "3",
        "20",
        "2018-01-01",
        "",
        "",
    ],
]

# (row number in the file, column header, problem text fragment)
EXPECTED = [
    (5, "统一社会信用代码", "wrong check character"),
    (6, "行政区划代码", "not a known GB/T 2260"),
    (7, "统一社会信用代码", "different values"),
    (8, "统一社会信用代码", "different values"),
    (11, "用地面积（亩）", "negative"),
    (12, "成立日期", "not a real calendar date"),
    (13, "行业代码", "GB/T 4754"),
    (14, "企业名称", "required"),
    (15, "规模", "规上 or 规下"),
]


def main() -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    target = Path(__file__).parent / "bad" / "enterprises_messy_gbk.csv"
    target.write_bytes(out.getvalue().encode("gbk"))


if __name__ == "__main__":
    main()
