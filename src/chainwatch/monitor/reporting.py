"""Monthly direct reporting (直联直报): submit, confirm, read, and list late reporters.

A firm of the registry submits its report for a month that has ended (fields and checks in
``report_schema``); the values are compared with its own history (``report_checks``) and any
implausible one is flagged. A report with flags waits as 待确认 until the firm confirms it
(已确认) or corrects it by submitting again; one without flags is 已提交. Every submission,
correction and confirmation is kept as a revision with the whole report as it then stood.
Deadlines and lateness follow ``report_deadline``.

Who must report: every 规上 firm of the registry (the statistical reporting obligation of
firms above designated size), and any firm tagged 直报 in the registry (a department can ask
smaller firms to report); a firm founded after the month is not expected for it. Other firms
may report too; they count as submitted but not in the submission rate's denominator.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from chainwatch.errors import ConflictError, DataMissingError, NotFoundError, ValidationError
from chainwatch.monitor import report_deadline as deadlines
from chainwatch.monitor.periods import Month
from chainwatch.monitor.report_checks import LAKE_METRICS, History, check_report, window
from chainwatch.monitor.report_schema import (
    FIGURE_NAMES,
    MonthlyReport,
    month_of,
    parse_report,
)
from chainwatch.registry import region_condition, region_label
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import (
    DirectReport,
    DirectReportPrice,
    DirectReportProduct,
    DirectReportRevision,
    Enterprise,
)

SUBMITTED, PENDING, CONFIRMED = "已提交", "待确认", "已确认"
STATUSES = (SUBMITTED, PENDING, CONFIRMED)
SUBMIT, CORRECT, CONFIRM = "提交", "更正", "确认"
SOURCES = ("api", "page", "file")
OBLIGATION_TAG = "直报"
ABOVE_SCALE = "规上"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_period(text: str, what: str = "period") -> Month:
    try:
        return month_of(text)
    except ValueError as exc:
        raise ValidationError(f"{what}: {exc}.") from None


# --- history --------------------------------------------------------------------------------


def _lake_history(uscc: str, months: list[str], history: History) -> None:
    """Fill months the firm did not report directly from the loaded monthly indicators."""
    from chainwatch.store import datasets, lake

    try:
        source = datasets.indicators_sql()
    except DataMissingError:
        return
    columns = ", ".join(LAKE_METRICS.values())
    con = lake.connect()
    try:
        rows = con.execute(
            f"SELECT period, {columns} FROM {source} "
            "WHERE uscc = ? AND period >= ? AND period <= ?",
            [uscc, months[0], months[-1]],
        ).fetchall()
    finally:
        con.close()
    for period, *values in rows:
        for name, value in zip(LAKE_METRICS, values, strict=True):
            if value is not None:
                history.add_figure(name, str(period), float(value), replace=False)


def load_history(session: Session, uscc: str, period: Month) -> History:
    """The firm's 12 months before ``period``: direct reports first, then lake indicators."""
    months = window(period)
    history = History()
    earlier = session.scalars(
        select(DirectReport)
        .where(DirectReport.uscc == uscc, DirectReport.period.in_(months))
        .options(selectinload(DirectReport.products), selectinload(DirectReport.prices))
    ).all()
    for report in earlier:
        for name in FIGURE_NAMES:
            history.add_figure(name, report.period, float(getattr(report, name)), replace=True)
        for product in report.products:
            series = history.products.setdefault((product.name, product.unit), {})
            series[report.period] = float(product.quantity)
        for price in report.prices:
            series = history.prices.setdefault((price.material, price.unit), {})
            series[report.period] = float(price.price)
    _lake_history(uscc, months, history)
    return history


# --- submitting -----------------------------------------------------------------------------


def _snapshot(report: MonthlyReport) -> dict[str, Any]:
    return json.loads(report.model_dump_json())


def _apply(row: DirectReport, report: MonthlyReport) -> None:
    for name in FIGURE_NAMES:
        setattr(row, name, getattr(report, name))
    row.note = report.note
    row.products = [
        DirectReportProduct(line=i, name=p.name, unit=p.unit, quantity=p.quantity)
        for i, p in enumerate(report.products, start=1)
    ]
    row.prices = [
        DirectReportPrice(line=i, material=p.material, unit=p.unit, price=p.price)
        for i, p in enumerate(report.prices, start=1)
    ]


def _require_firm(session: Session, uscc: str) -> Enterprise:
    firm = session.get(Enterprise, uscc)
    if firm is None:
        problem = "is not in the enterprise registry; check the code or load the registry first"
        raise ValidationError(
            f"uscc (统一社会信用代码): {uscc} {problem}",
            errors=[
                {
                    "field": "uscc",
                    "label": "统一社会信用代码",
                    "type": "unknown_firm",
                    "problem": problem,
                    "got": uscc,
                }
            ],
        )
    return firm


def submit_report(
    data: Any,
    *,
    source: str = "api",
    now: dt.datetime | None = None,
    submitted_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Check and store one report (a first submission or a correction); returns it with flags.

    ``submitted_at`` records a report received earlier (files of reports collected offline);
    it may not lie in the future.
    """
    moment = now or now_utc()
    when = submitted_at or moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when > moment + dt.timedelta(minutes=5):
        raise ValidationError(f"submitted_at {when.isoformat()} lies in the future.")
    if source not in SOURCES:
        raise ValidationError(f"source {source!r} is not one of {', '.join(SOURCES)}.")
    report = parse_report(data, deadlines.china_date(moment))
    ensure_database()
    try:
        with session_scope() as session:
            _require_firm(session, report.uscc)
            history = load_history(session, report.uscc, report.month)
            flags = check_report(report, history)
            row = _store(session, report, flags, source, when)
            session.flush()
            return _report_dict(row, full=True)
    except IntegrityError as exc:
        raise ConflictError(
            f"the report of {report.uscc} for {report.period} was submitted twice at the same "
            "moment; submit it again to store it as a correction."
        ) from exc


def _store(
    session: Session,
    report: MonthlyReport,
    flags: list[dict[str, Any]],
    source: str,
    when: dt.datetime,
) -> DirectReport:
    row = session.scalars(
        select(DirectReport)
        .where(DirectReport.uscc == report.uscc, DirectReport.period == report.period)
        .with_for_update()
    ).one_or_none()
    status = PENDING if flags else SUBMITTED
    if row is None:
        deadline = deadlines.deadline_of(report.month)
        row = DirectReport(
            uscc=report.uscc,
            period=report.period,
            deadline=deadline,
            on_time=deadlines.is_on_time(report.month, when),
            first_submitted_at=when,
            revision=0,
        )
        session.add(row)
        event = SUBMIT
    else:
        event = CORRECT
    _apply(row, report)
    row.status = status
    row.flags = flags
    row.submitted_at = when
    row.confirmed_at = None
    row.source = source
    row.revision += 1
    row.revisions.append(
        DirectReportRevision(
            revision=row.revision,
            event=event,
            at=when,
            source=source,
            status=status,
            values=_snapshot(report),
            flags=flags,
            note=report.note,
        )
    )
    return row


def confirm_report(
    uscc: str,
    period: str,
    note: str | None = None,
    *,
    source: str = "api",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The firm confirms that its flagged values are right: 待确认 → 已确认."""
    moment = now or now_utc()
    month = parse_period(period)
    if note is not None and len(note) > 500:
        raise ValidationError("note: at most 500 characters.")
    ensure_database()
    with session_scope() as session:
        row = _get(session, uscc, month, lock=True)
        if row.status != PENDING:
            raise ConflictError(
                f"the report of {row.uscc} for {row.period} is {row.status}, not {PENDING}; "
                "only a report with flagged values needs confirming."
            )
        row.status = CONFIRMED
        row.confirmed_at = moment
        row.revision += 1
        values = row.revisions[-1].values if row.revisions else {}
        row.revisions.append(
            DirectReportRevision(
                revision=row.revision,
                event=CONFIRM,
                at=moment,
                source=source if source in SOURCES else "api",
                status=CONFIRMED,
                values=values,
                flags=row.flags,
                note=note,
            )
        )
        session.flush()
        return _report_dict(row, full=True)


# --- reading --------------------------------------------------------------------------------


def _get(session: Session, uscc: str, month: Month, *, lock: bool = False) -> DirectReport:
    code = uscc.strip().upper()
    query = (
        select(DirectReport)
        .where(DirectReport.uscc == code, DirectReport.period == month.label)
        .options(
            selectinload(DirectReport.products),
            selectinload(DirectReport.prices),
            selectinload(DirectReport.revisions),
        )
    )
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFoundError(
            f"no direct report of {code} for {month.label}; submit it first "
            "(POST /api/v1/reports or `chainwatch monitor report-submit`)."
        )
    return row


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _report_dict(
    row: DirectReport, *, full: bool = False, name: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "uscc": row.uscc,
        "name": name,
        "period": row.period,
        **{figure: _money(getattr(row, figure)) for figure in FIGURE_NAMES},
        "status": row.status,
        "flags": list(row.flags or []),
        "deadline": row.deadline,
        "on_time": row.on_time,
        "days_late": deadlines.days_late(month_of(row.period), row.first_submitted_at),
        "first_submitted_at": row.first_submitted_at,
        "submitted_at": row.submitted_at,
        "confirmed_at": row.confirmed_at,
        "revision": row.revision,
        "source": row.source,
        "note": row.note,
    }
    if full:
        out["products"] = [
            {"name": p.name, "unit": p.unit, "quantity": float(p.quantity)} for p in row.products
        ]
        out["prices"] = [
            {"material": p.material, "unit": p.unit, "price": float(p.price)} for p in row.prices
        ]
        out["revisions"] = [
            {
                "revision": r.revision,
                "event": r.event,
                "at": r.at,
                "source": r.source,
                "status": r.status,
                "values": r.values,
                "flags": r.flags,
                "note": r.note,
            }
            for r in row.revisions
        ]
    return out


def get_report(uscc: str, period: str) -> dict[str, Any]:
    month = parse_period(period)
    ensure_database()
    with session_scope() as session:
        row = _get(session, uscc, month)
        firm = session.get(Enterprise, row.uscc)
        return _report_dict(row, full=True, name=firm.name if firm else None)


def list_reports(
    *,
    period: str | None = None,
    uscc: str | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Reports, newest month first, then by credit code; filters combine."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status {status!r} is not one of {', '.join(STATUSES)}.")
    ensure_database()
    query = select(DirectReport, Enterprise.name).join(
        Enterprise, Enterprise.uscc == DirectReport.uscc
    )
    if period:
        query = query.where(DirectReport.period == parse_period(period).label)
    if uscc:
        query = query.where(DirectReport.uscc == uscc.strip().upper())
    if status:
        query = query.where(DirectReport.status == status)
    query = query.order_by(DirectReport.period.desc(), DirectReport.uscc).limit(limit)
    with session_scope() as session:
        return [_report_dict(row, name=name) for row, name in session.execute(query)]


# --- who must report, and who is late -------------------------------------------------------


def _obligation_texts(session: Session) -> list[str]:
    """Stored tag lists holding the 直报 tag (few distinct lists exist, so this is cheap)."""
    texts = session.scalars(select(cast(Enterprise.tags, Text)).distinct())
    out = []
    for text in texts:
        try:
            tags = json.loads(text) if text else []
        except ValueError:
            continue
        if isinstance(tags, list) and OBLIGATION_TAG in tags:
            out.append(text)
    return out


def expected_firms(
    session: Session, month: Month, region: str | None = None
) -> list[tuple[str, str, str]]:
    """(uscc, name, region code) of every firm expected to report ``month``."""
    obliged = _obligation_texts(session)
    condition = Enterprise.scale == ABOVE_SCALE
    if obliged:
        condition = or_(condition, cast(Enterprise.tags, Text).in_(obliged))
    end = month.shifted(1)
    query = select(Enterprise.uscc, Enterprise.name, Enterprise.region_code).where(
        condition,
        or_(
            Enterprise.founded_on.is_(None), Enterprise.founded_on < dt.date(end.year, end.month, 1)
        ),
    )
    if region:
        query = query.where(region_condition(region))
    return [(u, n, r) for u, n, r in session.execute(query.order_by(Enterprise.uscc))]


def late_reporters(
    period: str, *, region: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Expected firms that had not reported by the deadline: those still missing (未报) and
    those that reported after it (迟报), with calendar days late; plus the month's counts."""
    month = parse_period(period)
    moment = now or now_utc()
    deadline = deadlines.deadline_of(month)
    due = deadlines.china_date(moment) > deadline
    ensure_database()
    with session_scope() as session:
        expected = expected_firms(session, month, region)
        reports = {
            uscc: (on_time, first, status)
            for uscc, on_time, first, status in session.execute(
                select(
                    DirectReport.uscc,
                    DirectReport.on_time,
                    DirectReport.first_submitted_at,
                    DirectReport.status,
                ).where(DirectReport.period == month.label)
            )
        }
    late: list[dict[str, Any]] = []
    submitted = on_time = 0
    for uscc, name, region_code in expected:
        found = reports.get(uscc)
        if found is not None:
            submitted += 1
            on_time += int(found[0])
            if found[0]:
                continue
            state, days, at = "迟报", deadlines.days_late(month, found[1]), found[1]
        elif due:
            state, days, at = "未报", deadlines.days_late(month, moment), None
        else:
            continue
        late.append(
            {
                "uscc": uscc,
                "name": name,
                "region_code": region_code,
                "region_name": region_label(region_code),
                "state": state,
                "days_late": days,
                "submitted_at": at,
            }
        )
    late.sort(key=lambda r: (r["state"] != "未报", -r["days_late"], r["uscc"]))
    total = len(expected)
    return {
        "period": month.label,
        "deadline": deadline,
        "as_of": deadlines.china_date(moment),
        "due": due,
        "calendar_known": deadlines.calendar_known(deadline.year),
        "region": region,
        "expected": total,
        "submitted": submitted,
        "on_time": on_time,
        "missing": total - submitted,
        "submission_rate": submitted / total if total else None,
        "on_time_rate": on_time / total if total else None,
        "flagged": sum(1 for r in reports.values() if r[2] == PENDING),
        "reports": len(reports),
        "late": late,
    }
