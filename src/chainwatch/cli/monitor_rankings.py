"""`chainwatch monitor rank`: regional rankings (赛马) by month."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from chainwatch.cli.monitor import app
from chainwatch.cli.output import console, print_json
from chainwatch.monitor.rankings import LEVEL_NAMES, ranking_table, write_workbook

HEADERS = (
    "排名",
    "地区",
    "税电指数",
    "增长",
    "复工率 %",
    "产能利用率 %",
    "企业数",
    "上月排名",
    "变化 ↑↓",
)
DECIMALS = ("税电指数", "增长", "复工率 %", "产能利用率 %")


def _index(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _growth(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def _change(row: dict[str, Any]) -> str:
    change = row["change"]
    if change is None:
        return "—" if row["rank"] is None else "新"
    if change > 0:
        return f"[green]↑{change}[/]"
    if change < 0:
        return f"[red]↓{-change}[/]"
    return "="


def _region(row: dict[str, Any], with_parent: bool) -> str:
    name = row["name"] or row["code"]
    if with_parent and row["parent_name"]:
        return f"{name}（{row['parent_name']}）"
    return str(name)


@app.command("rank")
def rank(
    level: str = typer.Option("county", "--level", help="county (区县) or city (地市)."),
    month: str | None = typer.Option(
        None, "--month", help="Month to rank, YYYY-MM (default: the latest ranked month)."
    ),
    city: str | None = typer.Option(
        None,
        "--city",
        help="Only this city's counties (or the city itself), e.g. 330200; ranks stay "
        "province-wide.",
    ),
    json_: bool = typer.Option(False, "--json", help="Print the ranking as JSON."),
    excel: Path | None = typer.Option(
        None, "--excel", help="Also write the table to this Excel file (.xlsx)."
    ),
) -> None:
    """Regional rankings (赛马): counties or cities ranked on 税电指数 growth, 复工率 and
    产能利用率 for one month.

    复工率 is the share of firms whose daily electricity reached 80 % of their own baseline;
    产能利用率 is daily electricity against each firm's peak of the previous 12 months. The
    overall rank orders regions by the mean of their three ranks. See docs/monitoring.md.
    """
    table = ranking_table(level, month, city)
    if excel is not None:
        written = write_workbook(table, excel.expanduser())
        if not json_:
            console.print(f"已写入 / written: {written}", highlight=False)
    if json_:
        print_json(table)
        return
    rows = table["rows"]
    title = f"{LEVEL_NAMES[table['level']]}赛马 {table['period']}（{len(rows)} 个地区）"
    if not rows:
        console.print(f"{title}：没有符合条件的地区 / no regions match.", highlight=False)
        return
    # A county's city helps in a province-wide list, if the terminal has room for it.
    with_parent = table["level"] == "county" and city is None and console.width >= 100
    table_ = Table(title=title)
    for header in HEADERS:
        region = header == "地区"
        table_.add_column(
            header,
            justify="left" if region else "right",
            no_wrap=region,  # names stay whole; numbers' headers fold in a narrow terminal
            overflow="fold",
            min_width=5 if header in DECIMALS else None,
        )
    for r in rows:
        table_.add_row(
            "—" if r["rank"] is None else str(r["rank"]),
            _region(r, with_parent),
            _index(r["composite_index"]),
            _growth(r["index_growth"]),
            _percent(r["resumption_rate"]),
            _percent(r["capacity_utilisation"]),
            str(r["firms"]),
            "—" if r["previous_rank"] is None else str(r["previous_rank"]),
            _change(r),
        )
    console.print(table_)
    level_name = LEVEL_NAMES[table["level"]]
    console.print(
        f"复工：日均用电 ≥ 自身基线的 {table['threshold']:.0%}；排名为全省{level_name}排名；"
        f"可选月份 {table['periods'][0]} 至 {table['periods'][-1]}",
        highlight=False,
    )
