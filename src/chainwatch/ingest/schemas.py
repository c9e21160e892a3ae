"""The accepted columns of every input kind, with their Chinese and English header aliases.

This table is the single source for validation, for `chainwatch ingest KIND --help` and for
docs/ingest.md (generated from it by tests, so the three never disagree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Column types; each has a vectorised checker in chainwatch.ingest.validation.
USCC, TEXT, REGION, INDUSTRY, SCALE, AMOUNT, COUNT, DATE, MONTH, TAGS = (
    "uscc",
    "text",
    "region",
    "industry",
    "scale",
    "amount",
    "count",
    "date",
    "month",
    "tags",
)
LONGITUDE, LATITUDE, DIRECTION, HS_CODE, COUNTRY, DIGITS = (
    "longitude",
    "latitude",
    "direction",
    "hs_code",
    "country",
    "digits",
)

TYPE_DESCRIPTIONS = {
    USCC: "18-character 统一社会信用代码 (GB 32100-2015), check character verified",
    TEXT: "text",
    REGION: "6-digit GB/T 2260 administrative division code",
    INDUSTRY: "GB/T 4754-2017 code, with or without section letter (C3973 or 3973)",
    SCALE: "规上 or 规下 (also 规模以上/规模以下, above/below)",
    AMOUNT: "non-negative number (thousands separators allowed)",
    COUNT: "non-negative whole number",
    DATE: "date: 2015-03-08, 2015/3/8, 2015年3月8日 or 20150308",
    MONTH: "month: 2021-03, 2021/3, 202103 or 2021年3月",
    TAGS: "labels separated by ; or 、 (专精特新, 小巨人, 单项冠军, 上市, 链主 …)",
    LONGITUDE: "longitude in degrees (73–136)",
    LATITUDE: "latitude in degrees (3–54)",
    DIRECTION: "进口 or 出口 (also I/E, import/export)",
    HS_CODE: "HS commodity code, 6 to 10 digits (dots allowed: 8542.31)",
    COUNTRY: "ISO 3166 alpha-2 code, alpha-3 code or country name (JP, JPN, 日本)",
    DIGITS: "digits only",
}


@dataclass(frozen=True)
class Column:
    name: str  # canonical English name, used in storage
    label: str  # the Chinese header users know
    type: str
    required: bool = False  # the column must be present
    nullable: bool = True  # a present column may have empty cells
    aliases: tuple[str, ...] = ()
    description: str = ""

    def headers(self) -> tuple[str, ...]:
        return (self.label, self.name, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    destination: str  # "database" or "lake"
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # natural key for duplicate checks; empty = none
    at_least_one_of: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _req(name: str, label: str, type_: str, *aliases: str, description: str = "") -> Column:
    return Column(
        name, label, type_, required=True, nullable=False, aliases=aliases, description=description
    )


def _opt(name: str, label: str, type_: str, *aliases: str, description: str = "") -> Column:
    return Column(name, label, type_, aliases=aliases, description=description)


ENTERPRISES = Kind(
    "enterprises",
    "企业名录",
    "database",
    (
        _req("uscc", "统一社会信用代码", USCC, "信用代码", "社会信用代码", "credit_code", "code"),
        _req("name", "企业名称", TEXT, "名称", "企业名", "company", "company_name"),
        _req("region_code", "行政区划代码", REGION, "区划代码", "所在地区代码", "region"),
        _req("industry_code", "行业代码", INDUSTRY, "国民经济行业代码", "所属行业代码", "industry"),
        _opt("scale", "规模", SCALE, "企业规模", "规模类型"),
        _opt(
            "land_area_mu",
            "用地面积(亩)",
            AMOUNT,
            "用地面积（亩）",
            "用地面积",
            "land_area",
            "land_mu",
        ),
        _opt("employees", "从业人员", COUNT, "从业人数", "职工人数", "staff"),
        _opt("founded_on", "成立日期", DATE, "成立时间", "注册日期", "founded", "established"),
        _opt("tags", "标签", TAGS, "企业标签", "荣誉资质"),
        _opt("business_scope", "经营范围", TEXT, "主营业务", "scope"),
        _opt("longitude", "经度", LONGITUDE, "lon", "lng"),
        _opt("latitude", "纬度", LATITUDE, "lat"),
    ),
    key=("uscc",),
)

INVOICES = Kind(
    "invoices",
    "增值税发票",
    "lake",
    (
        _req(
            "seller",
            "销方税号",
            USCC,
            "销售方纳税人识别号",
            "销方纳税人识别号",
            "销方统一社会信用代码",
            "seller_uscc",
            "supplier",
        ),
        _req(
            "buyer",
            "购方税号",
            USCC,
            "购买方纳税人识别号",
            "购方纳税人识别号",
            "购方统一社会信用代码",
            "buyer_uscc",
            "customer",
        ),
        _req("date", "开票日期", DATE, "开票时间", "invoice_date"),
        _req("amount", "金额", AMOUNT, "不含税金额", "金额(元)"),
        _req("tax", "税额", AMOUNT, "税额(元)"),
        Column(
            "product",
            "商品名称",
            TEXT,
            required=True,
            nullable=True,
            aliases=("货物或应税劳务名称", "货物或应税劳务、服务名称", "product_name"),
        ),
        _opt("tax_class_code", "税收分类编码", DIGITS, "商品和服务税收分类编码", "tax_code"),
    ),
)

CUSTOMS = Kind(
    "customs",
    "海关进出口",
    "lake",
    (
        _req("uscc", "企业税号", USCC, "统一社会信用代码", "经营单位代码", "企业代码"),
        _req("direction", "进出口", DIRECTION, "进出口标志", "进出口类型", "flow"),
        _req("date", "日期", DATE, "申报日期", "进出口日期", "month_date"),
        _req("hs_code", "HS编码", HS_CODE, "商品编码", "hs", "税则号"),
        _req("country", "国别", COUNTRY, "国家", "原产国", "贸易国", "国别(地区)", "国家(地区)"),
        _req("amount", "金额", AMOUNT, "人民币金额", "金额(元)", "value"),
    ),
)

METRICS = (
    ("sales", "销售额", ("营业收入", "开票销售额")),
    ("tax_paid", "税收", ("税收总额", "纳税额", "tax")),
    ("electricity_kwh", "用电量", ("用电量(千瓦时)", "electricity")),
    ("output_value", "工业总产值", ("总产值", "output")),
    ("value_added", "增加值", ("工业增加值",)),
    ("exports", "出口额", ("出口",)),
    ("imports", "进口额", ("进口",)),
    ("employees", "从业人员", ("从业人数",)),
    ("energy_tce", "能耗", ("综合能耗", "能耗(吨标煤)", "energy")),
    ("emissions", "排放", ("主要污染物排放量", "排放量")),
    ("rd_spending", "研发支出", ("研发经费", "R&D支出", "rd")),
)

INDICATORS = Kind(
    "indicators",
    "企业月度指标",
    "lake",
    (
        _req("uscc", "税号", USCC, "统一社会信用代码", "纳税人识别号", "企业税号"),
        _req("period", "月份", MONTH, "期间", "所属期", "month"),
        *(
            _opt(name, label, COUNT if name == "employees" else AMOUNT, *aliases)
            for name, label, aliases in METRICS
        ),
    ),
    key=("uscc", "period"),
    at_least_one_of=tuple(name for name, _, _ in METRICS),
)

KINDS: dict[str, Kind] = {k.name: k for k in (ENTERPRISES, INVOICES, CUSTOMS, INDICATORS)}

_SPACE = re.compile(r"[\s\u3000]+")


def header_key(header: str) -> str:
    """Headers compare case-, width- and space-insensitively: '用地面积（亩）' = '用地面积(亩)'."""
    text = str(header).replace("\ufeff", "").strip().lower()
    text = text.replace("（", "(").replace("）", ")")
    return _SPACE.sub("", text)


def columns_help(kind: Kind) -> str:
    """Plain-text table of accepted columns, for --help and docs."""
    lines = []
    for c in kind.columns:
        need = "required" if c.required else "optional"
        aliases = ", ".join(c.headers()[1:])
        lines.append(f"{c.label} ({need}; also: {aliases}): {TYPE_DESCRIPTIONS[c.type]}")
    if kind.at_least_one_of:
        lines.append("Each row needs at least one of the indicator columns.")
    return "\n".join(lines)
