"""The risk list as an Excel workbook (openpyxl): the list itself, the 四张清单, the actions and
the history, one sheet each, Chinese headers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from chainwatch.atlas.exports import MONEY, NUMBER, PERCENT, Column, save, write_sheet
from chainwatch.risk.findings import KIND_LABELS
from chainwatch.risk.four_lists import VIEWS, build_views, is_overseas_risk
from chainwatch.risk.riskitems import EVENT_LABELS, OPEN, list_items

FILLS = {
    "高": PatternFill("solid", fgColor="F4B6B0"),  # 红
    "中": PatternFill("solid", fgColor="F9D3A5"),  # 橙
    "低": PatternFill("solid", fgColor="FBEFA8"),  # 黄
}
ITEM_COLUMNS = (
    Column("编号", lambda r: r["id"], NUMBER, 8),
    Column("等级", lambda r: r["grade"], None, 6),
    Column("分值", lambda r: r["score"], NUMBER, 6),
    Column("产业链", lambda r: r["chain"], None, 10),
    Column("环节", lambda r: r["segment"], None, 12),
    Column("产品", lambda r: r["product"], None, 20),
    Column("筛查类别", lambda r: KIND_LABELS.get(r["kind"], (r["kind"],))[0], None, 10),
    Column("风险对象", lambda r: r["subject"], None, 30),
    Column("所处位置", lambda r: r["position"], None, 12),
    Column("风险类型", lambda r: r["type"], None, 8),
    Column("状态", lambda r: r["status"], None, 8),
    Column("说明", lambda r: r["explanation"], None, 80),
    Column("进口额(元)", lambda r: (r.get("evidence") or {}).get("imports"), MONEY, 16),
    Column("进口占比", lambda r: (r.get("evidence") or {}).get("import_share"), PERCENT, 10),
    Column("涉及企业", lambda r: _firms(r.get("affected", [])), None, 40),
    Column("替代供应", lambda r: _firms(r.get("alternatives", [])), None, 40),
    Column("责任人", lambda r: r["owner"], None, 12),
    Column("完成时限", lambda r: r["due"], None, 12),
    Column("本次筛出", lambda r: "是" if r["found"] else "否", None, 8),
)
EVENT_COLUMNS = (
    Column("编号", lambda r: r["id"], NUMBER, 8),
    Column("风险对象", lambda r: r["subject"], None, 30),
    Column("时间", lambda r: r["at"].strftime("%Y-%m-%d %H:%M") if r["at"] else "", None, 18),
    Column("事件", lambda r: EVENT_LABELS.get(r["event"], (r["event"],))[0], None, 12),
    Column("状态变化", lambda r: _change(r), None, 16),
    Column("操作人", lambda r: r["actor"], None, 12),
    Column("内容", lambda r: r["text"], None, 60),
)


def _firms(rows: list[dict[str, Any]]) -> str:
    names = [str(r.get("name") or r.get("uscc") or r.get("country") or "") for r in rows[:10]]
    more = f" 等 {len(rows)} 家" if len(rows) > 10 else ""
    return "、".join(n for n in names if n) + more


def _change(event: dict[str, Any]) -> str:
    if event.get("to_status"):
        return f"{event.get('from_status') or ''} → {event['to_status']}"
    return ""


def _view_columns(view: dict[str, Any]) -> list[Column]:
    formats = {"money": MONEY, "share": PERCENT, "int": NUMBER, "text": None}
    return [Column(c["label"], _getter(c["key"]), formats[c["kind"]], 16) for c in view["columns"]]


def _getter(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(key)


def risk_workbook(path: Path, chain: str | None = None) -> Path:
    items = list_items(chain=chain, details=True)["items"]
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    sheet = write_sheet(book, "风险清单", ITEM_COLUMNS, items)
    for row, item in enumerate(items, start=2):
        sheet.cell(row=row, column=2).fill = FILLS[item["grade"]]
    open_foreign = [i for i in items if i["found"] and i["status"] in OPEN and is_overseas_risk(i)]
    views = build_views(chain, items=open_foreign)
    for key in VIEWS:
        view = views[key]
        write_sheet(book, view["title"], _view_columns(view), view["rows"])
    actions = [{**e, "id": i["id"], "subject": i["subject"]} for i in items for e in i["actions"]]
    write_sheet(book, "处置措施", EVENT_COLUMNS, actions)
    history = [{**e, "id": i["id"], "subject": i["subject"]} for i in items for e in i["history"]]
    write_sheet(book, "处置记录", EVENT_COLUMNS, history)
    return save(book, path)
