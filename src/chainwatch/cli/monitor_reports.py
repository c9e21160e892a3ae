"""`chainwatch monitor report-submit / reports / late`: monthly direct reporting (直联直报)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chainwatch.cli.monitor import app
from chainwatch.cli.output import console, err_console, print_json, print_table
from chainwatch.errors import ChainwatchError, ValidationError
from chainwatch.monitor import report_files, reporting


def _money(value: float | None) -> str:
    """Yuan shown in 万元, as departments read them."""
    return "—" if value is None else f"{value / 10_000:,.1f}"


def _flags_text(flags: list[dict[str, Any]]) -> str:
    return "；".join(f["label"] for f in flags) or "—"


@app.command("report-submit")
def report_submit(
    file: Path = typer.Argument(
        ...,
        help="Reports as JSON (one object or a list, API shape) or CSV/XLSX (one row per "
        "report, extra rows for more product or price lines); see docs/direct-reporting.md.",
    ),
    json_: bool = typer.Option(False, "--json", help="Print stored and rejected reports as JSON."),
) -> None:
    """Submit monthly direct reports (直联直报) from a file; flagged values are shown.

    Every valid report is stored (a report already stored for the firm and month is corrected);
    invalid ones are listed with every problem, and the command then exits with status 2.
    """
    items = report_files.read_reports(file.expanduser())
    stored: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for item in items:
        try:
            stored.append(
                reporting.submit_report(item.data, source="file", submitted_at=item.submitted_at)
            )
        except ChainwatchError as exc:
            rejected.append({"where": item.where, "error": exc.message, "errors": exc.errors})
    if json_:
        print_json({"stored": stored, "rejected": rejected})
    else:
        if stored:
            print_table(
                f"已提交 {len(stored)} 份 / stored",
                ["统一社会信用代码", "报告期", "状态", "按时", "需确认的数值"],
                [
                    [
                        r["uscc"],
                        r["period"],
                        r["status"],
                        "是" if r["on_time"] else "否",
                        _flags_text(r["flags"]),
                    ]
                    for r in stored
                ],
            )
        for report in stored:
            for flag in report["flags"]:
                console.print(
                    f"[yellow]{report['uscc']} {report['period']}[/] {flag['message']}",
                    highlight=False,
                )
        for problem in rejected:
            err_console.print(f"[red]{problem['where']}[/]: {problem['error']}", highlight=False)
    if rejected:
        raise ValidationError(
            f"{len(rejected)} of {len(items)} report(s) in {file.name} were not stored; "
            "fix them and submit the file again (stored reports are kept)."
        )


@app.command("reports")
def reports(
    period: str | None = typer.Option(None, "--period", help="Month YYYY-MM; default: all."),
    uscc: str | None = typer.Option(None, "--uscc", help="One firm's 统一社会信用代码."),
    status: str | None = typer.Option(None, "--status", help="已提交, 待确认 or 已确认."),
    json_: bool = typer.Option(False, "--json", help="Print the reports as JSON."),
) -> None:
    """Stored direct reports, newest month first, with their status and flags."""
    rows = reporting.list_reports(period=period, uscc=uscc, status=status)
    if json_:
        print_json(rows)
        return
    if not rows:
        console.print("没有直报报表 / no reports.", highlight=False)
        return
    print_table(
        "企业月度直报 / direct reports (金额: 万元)",
        [
            "报告期",
            "统一社会信用代码",
            "企业名称",
            "工业总产值",
            "营业收入",
            "用电量(千瓦时)",
            "状态",
            "按时",
            "需确认的数值",
        ],
        [
            [
                r["period"],
                r["uscc"],
                r["name"],
                _money(r["output"]),
                _money(r["revenue"]),
                f"{r['electricity_kwh']:,.0f}",
                r["status"],
                "是" if r["on_time"] else "否",
                _flags_text(r["flags"]),
            ]
            for r in rows
        ],
    )


@app.command("late")
def late(
    period: str = typer.Option(..., "--period", help="Month YYYY-MM."),
    region: str | None = typer.Option(
        None, "--region", help="Only firms in this region (330000, 330100 or 330106)."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the counts and the list as JSON."),
    excel: Path | None = typer.Option(None, "--excel", help="Also write the list to an .xlsx."),
) -> None:
    """Late reporters of a month (迟报未报名单), with the submission rate.

    Expected firms are 规上 firms and firms tagged 直报 in the registry. Listed: those without a
    report after the deadline (未报) and those that reported after it (迟报), with calendar days
    late. The deadline is the 8th of the next month, moved to the next working day.
    """
    result = reporting.late_reporters(period, region=region)
    if excel is not None:
        report_files.late_workbook(result, excel.expanduser())
    if json_:
        print_json(result)
        return
    rate = result["submission_rate"]
    console.print(
        f"{result['period']} 报送截止 {result['deadline']}（统计至 {result['as_of']}）：应报 "
        f"{result['expected']} 家，已报 {result['submitted']} 家，按时 {result['on_time']} 家，"
        f"报送率 {'—' if rate is None else f'{rate:.1%}'}，待确认 {result['flagged']} 份",
        highlight=False,
    )
    if not result["due"]:
        console.print("截止日未到，尚无逾期 / the deadline has not passed yet.", highlight=False)
    if not result["calendar_known"]:
        console.print(
            "注意：该年度法定节假日未知，截止日仅顺延周末 / holidays of this year are not known.",
            highlight=False,
        )
    if result["late"]:
        print_table(
            "迟报未报名单 / late reporters",
            ["统一社会信用代码", "企业名称", "所在地区", "情况", "逾期天数"],
            [
                [
                    r["uscc"],
                    r["name"],
                    r["region_name"] or r["region_code"],
                    r["state"],
                    r["days_late"],
                ]
                for r in result["late"]
            ],
        )
    if excel is not None:
        console.print(f"Excel: {excel}", highlight=False)
