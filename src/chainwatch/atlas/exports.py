"""Excel workbooks (openpyxl) of a chain's atlas and of a firm's 四清单, with Chinese headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chainwatch.errors import InputFileError

MONEY = "#,##0.00"
PERCENT = "0.0%"
NUMBER = "#,##0"
SCORE = "0.00"
STATUS = {"missing": "缺链", "weak": "弱链", "ok": "正常", None: ""}
REASONS = {
    "no_firms": "省内无企业",
    "few_firms": "企业数少",
    "low_local_supply": "省内配套率低",
}
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[dict[str, Any]], Any]
    format: str | None = None
    width: int = 14


def write_sheet(
    book: Workbook, title: str, columns: Sequence[Column], rows: list[dict[str, Any]]
) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        sheet.append([c.value(row) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.format:
            for cell in sheet[letter][1:]:
                cell.number_format = column.format
    sheet.freeze_panes = "A2"
    return sheet


def save(book: Workbook, path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise InputFileError(f"{path.name}: an Excel export must end in .xlsx.")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        book.save(path)
    except OSError as exc:
        raise InputFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _new_book() -> Workbook:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    return book


FIRM_COLUMNS = (
    Column("统一社会信用代码", lambda r: r["uscc"], None, 22),
    Column("企业名称", lambda r: r.get("name"), None, 30),
    Column("环节", lambda r: r.get("segment_name"), None, 16),
    Column("所在地区", lambda r: r.get("region_name"), None, 12),
    Column("产值（开票销售额，元）", lambda r: r["output"], MONEY, 18),
    Column("投入（采购+进口，元）", lambda r: r["inputs"], MONEY, 18),
    Column("进口额（元）", lambda r: r["imports"], MONEY, 16),
    Column("市内配套率", lambda r: r["local_city_ratio"], PERCENT),
    Column("省内配套率", lambda r: r["local_province_ratio"], PERCENT),
    Column("产值排名", lambda r: r["output_rank"], NUMBER, 10),
    Column("网络排名", lambda r: r["network_rank"], NUMBER, 10),
    Column("链内加权度（元）", lambda r: r["weighted_degree"], MONEY, 18),
    Column("PageRank", lambda r: r["pagerank"], "0.00000", 12),
)


def chain_workbook(detail: dict[str, Any], firms: list[dict[str, Any]], path: Path) -> Path:
    """概况, 环节, 环节流向, 龙头企业, 企业名单, 地区分布, 重点产品 of one chain."""
    book = _new_book()
    chain, totals, window = detail["chain"], detail["totals"], detail["window"]
    summary = [
        {"k": "产业链", "v": chain["name_zh"]},
        {"k": "统计区间", "v": f"{window['from']} 至 {window['to']}"},
        {"k": "省份", "v": detail["province"]["name"]},
        {"k": "环节数", "v": totals["segments"]},
        {"k": "企业数", "v": totals["firms"]},
        {"k": "产值（开票销售额，元）", "v": totals["output"]},
        {"k": "市内配套率", "v": totals["local_city_ratio"]},
        {"k": "省内配套率", "v": totals["local_province_ratio"]},
        {"k": "缺链环节数", "v": totals["missing"]},
        {"k": "弱链环节数", "v": totals["weak"]},
        {"k": "计算时间", "v": detail["computed_at"]},
    ]
    write_sheet(
        book,
        "概况",
        (Column("项目", lambda r: r["k"], None, 22), Column("数值", lambda r: r["v"], None, 30)),
        summary,
    )
    write_sheet(
        book,
        "环节",
        (
            Column("阶段", lambda r: r["stage"], None, 8),
            Column("环节", lambda r: r["name_zh"], None, 18),
            Column("企业数", lambda r: r["firms"], NUMBER, 10),
            Column("产值（元）", lambda r: r["output"], MONEY, 18),
            Column("采购额（元）", lambda r: r["purchases"], MONEY, 18),
            Column("进口额（元）", lambda r: r["imports"], MONEY, 16),
            Column("投入合计（元）", lambda r: r["inputs"], MONEY, 18),
            Column("市内配套额（元）", lambda r: r["local_city"], MONEY, 18),
            Column("省内配套额（元）", lambda r: r["local_province"], MONEY, 18),
            Column("市内配套率", lambda r: r["local_city_ratio"], PERCENT),
            Column("省内配套率", lambda r: r["local_province_ratio"], PERCENT),
            Column("状态", lambda r: STATUS.get(r["status"], r["status"]), None, 8),
            Column("原因", lambda r: "、".join(REASONS.get(x, x) for x in r["reasons"]), None, 20),
            Column("卡脖子", lambda r: "是" if r["bottleneck"] else "", None, 8),
        ),
        detail["segments"],
    )
    write_sheet(
        book,
        "环节流向",
        (
            Column("供方环节", lambda r: r["source_name"], None, 18),
            Column("需方环节", lambda r: r["target_name"], None, 18),
            Column("金额（元）", lambda r: r["amount"], MONEY, 18),
            Column("企业对数", lambda r: r["links"], NUMBER, 10),
            Column("图谱定义的流向", lambda r: "是" if r["defined"] else "否", None, 12),
        ),
        detail["flows"],
    )
    write_sheet(book, "龙头企业", FIRM_COLUMNS, detail["key_firms"])
    write_sheet(book, "企业名单", FIRM_COLUMNS, firms)
    write_sheet(
        book,
        "地区分布",
        (
            Column("地区代码", lambda r: r["region_code"], None, 10),
            Column("地区", lambda r: r["name"], None, 14),
            Column("企业数", lambda r: r["firms"], NUMBER, 10),
            Column("产值（元）", lambda r: r["output"], MONEY, 18),
            Column("投入合计（元）", lambda r: r["inputs"], MONEY, 18),
            Column("市内配套率", lambda r: r["local_city_ratio"], PERCENT),
            Column("省内配套率", lambda r: r["local_province_ratio"], PERCENT),
        ),
        detail["regions"]["table"],
    )
    write_sheet(book, "重点产品", KEY_PRODUCT_COLUMNS, detail["key_products"])
    return save(book, path)


KEY_PRODUCT_COLUMNS = (
    Column("环节", lambda r: r["segment_name"], None, 16),
    Column("产品", lambda r: r["product"], None, 24),
    Column("HS编码", lambda r: "、".join(r["hs_codes"]), None, 16),
    Column("卡脖子", lambda r: "是" if r["bottleneck"] else "", None, 8),
    Column("进口额（元）", lambda r: r["imports"], MONEY, 18),
    Column("进口企业数", lambda r: r["importers"], NUMBER, 10),
    Column("来源国数", lambda r: r["countries"], NUMBER, 10),
    Column("第一来源国", lambda r: r["top_country_name"], None, 12),
    Column("第一来源国占比", lambda r: r["top_country_share"], PERCENT, 12),
    Column("省内生产企业数", lambda r: r["makers"], NUMBER, 12),
    Column("仅靠进口（补链候选）", lambda r: "是" if r["import_only"] else "", None, 14),
)


def supplier_lists_workbook(lists: dict[str, Any], path: Path) -> Path:
    """汇总 and one sheet per list (市内, 省内, 省外, 境外) of a firm's 四清单."""
    book = _new_book()
    firm, period = lists["firm"], lists["period"]
    labels = {"city": "市内", "province": "省内", "country": "省外", "foreign": "境外"}
    summary = [{"label": labels[item["key"]], **item} for item in lists["lists"]]
    sheet = write_sheet(
        book,
        "汇总",
        (
            Column("清单", lambda r: r["label"], None, 10),
            Column("金额（元）", lambda r: r["amount"], MONEY, 18),
            Column("占全部投入", lambda r: r["share"], PERCENT, 12),
            Column("供应方数", lambda r: r["count"], NUMBER, 10),
        ),
        summary,
    )
    sheet.append([])
    sheet.append(["企业", f"{firm['name']}（{firm['uscc']}）"])
    sheet.append(["统计区间", f"{period['from']} 至 {period['to']}"])
    sheet.append(["投入合计（元）", lists["total"]])
    domestic = (
        Column("统一社会信用代码", lambda r: r["uscc"], None, 22),
        Column("企业名称", lambda r: r["name"], None, 30),
        Column("所在地区", lambda r: (r["region"] or {}).get("name"), None, 14),
        Column("采购额（元）", lambda r: r["amount"], MONEY, 18),
        Column("占全部投入", lambda r: r["share"], PERCENT, 12),
        Column("占本清单", lambda r: r["share_in_list"], PERCENT, 12),
        Column("发票张数", lambda r: r["invoices"], NUMBER, 10),
        Column("有交易的月数", lambda r: r["months"], NUMBER, 12),
    )
    foreign = (
        Column("国家（地区）代码", lambda r: r["country"], None, 14),
        Column("国家（地区）", lambda r: r["country_name"], None, 14),
        Column("HS编码", lambda r: r["hs_code"], None, 12),
        Column("产品", lambda r: r["product"], None, 22),
        Column("进口额（元）", lambda r: r["amount"], MONEY, 18),
        Column("占全部投入", lambda r: r["share"], PERCENT, 12),
        Column("占本清单", lambda r: r["share_in_list"], PERCENT, 12),
        Column("报关记录数", lambda r: r["records"], NUMBER, 10),
    )
    for item in lists["lists"]:
        columns = foreign if item["key"] == "foreign" else domestic
        write_sheet(book, labels[item["key"]], columns, item["items"])
    return save(book, path)


def unplaced_workbook(rows: list[dict[str, Any]], path: Path) -> Path:
    """未归链企业: firms to review, with their closest segment and points."""
    book = _new_book()
    write_sheet(
        book,
        "未归链企业",
        (
            Column("产业链", lambda r: r["chain_name"], None, 16),
            Column("统一社会信用代码", lambda r: r["uscc"], None, 22),
            Column("企业名称", lambda r: r["name"], None, 30),
            Column("行业代码", lambda r: r["industry_code"], None, 10),
            Column("行业", lambda r: r["industry_name"], None, 20),
            Column("所在地区", lambda r: r["region_name"], None, 12),
            Column("最接近的环节", lambda r: r["segment_name"], None, 16),
            Column("得分", lambda r: r["score"], SCORE, 8),
            Column("行业得分", lambda r: r["industry_points"], SCORE, 8),
            Column("经营范围得分", lambda r: r["scope_points"], SCORE, 10),
            Column("销售产品得分", lambda r: r["products_points"], SCORE, 10),
            Column("出口得分", lambda r: r["exports_points"], SCORE, 8),
            Column("进口得分", lambda r: r["imports_points"], SCORE, 8),
        ),
        rows,
    )
    return save(book, path)
