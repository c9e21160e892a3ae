"""Direct reporting pages: a firm's monthly report form (/report/{uscc}) and the department's
overview of a month (/monitor/reports) with the late-reporter list and its Excel export."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from chainwatch.errors import NotFoundError
from chainwatch.monitor import report_deadline, report_files, reporting
from chainwatch.monitor.periods import Month
from chainwatch.monitor.report_schema import FIGURES
from chainwatch.registry import get_enterprise
from chainwatch.web.i18n import Translator
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()
MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM.")]


def last_ended_month(today: dt.date | None = None) -> str:
    day = today or report_deadline.china_date(reporting.now_utc())
    return Month(day.year, day.month).shifted(-1).label


def plain_number(value: float | None) -> str:
    """A figure as a person types it: 12000000, 65.5 (no separators, no trailing zeros)."""
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def flag_text(flag: dict[str, Any], t: Translator) -> str:
    """The stored message in Chinese; in English, the same facts from the flag's fields."""
    if t.language == "zh-CN":
        return str(flag["message"])
    field = str(flag["field"])
    label = t("reports.field." + field) if t.has("reports.field." + field) else flag["label"]
    if flag.get("kind") == "consistency":
        return t(
            "reports.flags.consistency",
            label=label,
            value=plain_number(flag["value"]),
            limit=plain_number(flag.get("limit")),
        )
    low = flag.get("low")
    return t(
        "reports.flags.history",
        label=label,
        value=plain_number(flag["value"]),
        unit=t("reports.unit." + field) if t.has("reports.unit." + field) else flag.get("unit", ""),
        low="—" if low is None else plain_number(max(0.0, low) if field != "profit" else low),
        high="—" if flag.get("high") is None else plain_number(flag["high"]),
        last_year="—" if flag.get("last_year") is None else plain_number(flag["last_year"]),
    )


def _form_context(uscc: str, period: str, language: str) -> dict[str, Any]:
    firm = get_enterprise(uscc, language)
    month = reporting.parse_period(period)
    try:
        report: dict[str, Any] | None = reporting.get_report(firm["uscc"], month.label)
    except NotFoundError:
        report = None
    today = report_deadline.china_date(reporting.now_utc())
    deadline = report_deadline.deadline_of(month)
    return {
        "firm": firm,
        "period": month.label,
        "report": report,
        "deadline": deadline,
        "overdue_days": max(0, (today - deadline).days),
        "history": reporting.list_reports(uscc=firm["uscc"], limit=24),
        "figures": FIGURES,
        "latest_period": last_ended_month(today),
    }


def _helpers(request: Request) -> dict[str, Any]:
    t = Translator(language_of(request))
    return {"plain": plain_number, "flag_text": lambda flag: flag_text(flag, t)}


@router.get("/report/{uscc}", response_class=HTMLResponse)
async def report_form(request: Request, uscc: str, period: MonthQuery = None) -> HTMLResponse:
    context = await run_in_threadpool(
        _form_context, uscc, period or last_ended_month(), language_of(request)
    )
    return render(request, "reports_form.html", {"page": "reports", **context, **_helpers(request)})


def _overview(period: str, region: str | None) -> dict[str, Any]:
    late = reporting.late_reporters(period, region=region)
    flagged = reporting.list_reports(period=period, status=reporting.PENDING)
    return {"late": late, "flagged": flagged, "period": late["period"], "region": region}


@router.get("/monitor/reports", response_class=HTMLResponse)
async def reports_overview(
    request: Request,
    period: MonthQuery = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> HTMLResponse:
    context = await run_in_threadpool(_overview, period or last_ended_month(), region)
    return render(
        request, "reports_overview.html", {"page": "monitor", **context, **_helpers(request)}
    )


def _late_workbook(period: str, region: str | None) -> bytes:
    result = reporting.late_reporters(period, region=region)
    with tempfile.TemporaryDirectory() as folder:
        path = report_files.late_workbook(result, Path(folder) / "late.xlsx")
        return path.read_bytes()


@router.get("/monitor/reports/late.xlsx")
async def late_excel(
    period: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> Response:
    data = await run_in_threadpool(_late_workbook, period, region)
    name = f"late-reporters-{period}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
