"""/monitor/alerts (the alert inbox with filters) and /monitor/alerts/{id} (one alert, its
history, and forms to assign, handle and resolve it)."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chainwatch.errors import ChainwatchError
from chainwatch.monitor import alert_store
from chainwatch.monitor.rules import GRADES, load_rules
from chainwatch.web.api.alerts import subject_url, with_urls
from chainwatch.web.i18n import Translator
from chainwatch.web.pages.rendering import language_of, render

router = APIRouter()
PER_PAGE = 50
GRADE_CLASS = {"红": "red", "橙": "orange", "黄": "yellow", "提示": "advisory"}
FILTERS = ("status", "grade", "scope", "rule", "region", "period", "subject")
ACTIONS = {
    "assign": alert_store.ASSIGNED,
    "handle": alert_store.HANDLING,
    "resolve": alert_store.RESOLVED,
}


def _number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"


def alert_text(alert: dict[str, Any], t: Translator) -> str:
    """The stored message in Chinese; in English, the same facts from the alert's values."""
    if t.language == "zh-CN":
        return str(alert["message"])
    key = "alerts.msg." + str(alert["kind"])
    if not t.has(key):
        return str(alert["message"])
    v = alert["values"]
    name = alert["subject_name"] or alert["subject"]
    fields: dict[str, Any] = {
        "name": name,
        "period": alert["period"],
        "start": alert["start_period"],
        "months": v.get("months", ""),
    }
    kind = alert["kind"]
    if kind == "electricity_drop":
        fields.update(
            ratio=_number(v.get("ratio_pct")),
            threshold=_number(v.get("threshold_pct"), 0),
            value=_number(v.get("value"), 0),
            baseline=_number(v.get("baseline"), 0),
        )
    elif kind == "sales_yoy":
        fields.update(
            drop=_number(v.get("drop_pct")),
            threshold=_number(v.get("threshold_drop_pct"), 0),
            sales=_number(v.get("sales"), 0),
            before=_number(v.get("sales_year_ago"), 0),
        )
    elif kind == "import_stop":
        fields.update(
            product=v.get("product") or "",
            hs=v.get("hs") or "",
            country=v.get("country") or "",
            last=v.get("last_import") or "",
            steady=v.get("steady", ""),
            share=_number(v.get("share_pct")),
            chain=v.get("chain") or "",
        )
    elif kind == "index_below":
        fields.update(
            index=t("alerts.index." + str(v.get("index"))),
            threshold=_number(v.get("threshold"), 0),
            value=_number(v.get("value")),
        )
    elif kind == "change_point":
        fields.update(
            index=t("alerts.index." + str(v.get("index"))),
            direction=t("alerts.direction." + ("up" if (v.get("shift") or 0) > 0 else "down")),
            before=_number(v.get("before")),
            after=_number(v.get("after")),
            shift=f"{float(v.get('shift') or 0):+.1f}",
        )
    return t(key, **fields)


def _clean(values: dict[str, str | None]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def _inbox(filters: dict[str, str], page: int) -> dict[str, Any]:
    found = alert_store.list_alerts(
        **{k: filters.get(k) for k in FILTERS},  # type: ignore[arg-type]
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    found["items"] = [with_urls(a) for a in found["items"]]
    rules = load_rules()
    return {"found": found, "rules": [(r.id, r.name) for r in rules.all]}


def _helpers(request: Request) -> dict[str, Any]:
    t = Translator(language_of(request))
    return {
        "alert_text": lambda alert: alert_text(alert, t),
        "grade_class": GRADE_CLASS,
        "grades": GRADES,
        "statuses": alert_store.STATUSES,
        "subject_url": subject_url,
    }


@router.get("/monitor/alerts", response_class=HTMLResponse)
async def inbox(
    request: Request,
    status: str | None = "open",
    grade: str | None = None,
    scope: str | None = None,
    rule: str | None = None,
    region: str | None = None,
    period: str | None = None,
    subject: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    filters = _clean(
        {
            "status": status,
            "grade": grade,
            "scope": scope,
            "rule": rule,
            "region": region,
            "period": period,
            "subject": subject,
        }
    )
    error = None
    try:
        data = await run_in_threadpool(_inbox, filters, page)
    except ChainwatchError as exc:
        error = exc.message
        data = await run_in_threadpool(_inbox, {}, 1)
    found = data["found"]
    pages = max(1, math.ceil(found["total"] / PER_PAGE))

    def page_url(number: int) -> str:
        # An empty status means "every status", so it must survive in the address.
        kept = {**filters, "status": filters.get("status", "")}
        return "/monitor/alerts?" + urlencode({**kept, "page": number})

    return render(
        request,
        "alerts.html",
        {
            "page": "monitor",
            "filters": filters,
            "found": found,
            "rules": data["rules"],
            "error": error,
            "page_number": page,
            "pages": pages,
            "previous_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if page < pages else None,
            **_helpers(request),
        },
    )


async def _detail(
    request: Request, alert_id: int, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    alert = with_urls(await run_in_threadpool(alert_store.get_alert, alert_id))
    return render(
        request,
        "alert_detail.html",
        {
            "page": "monitor",
            "alert": alert,
            "error": error,
            "done": request.query_params.get("done"),
            **_helpers(request),
        },
        status_code=status_code,
    )


@router.get("/monitor/alerts/{alert_id}", response_class=HTMLResponse)
async def detail(request: Request, alert_id: int) -> HTMLResponse:
    return await _detail(request, alert_id)


@router.post("/monitor/alerts/{alert_id}", response_class=HTMLResponse)
async def act(request: Request, alert_id: int) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    action = form.get("action", "")
    status = ACTIONS.get(action)
    try:
        if status is None:
            raise ChainwatchError(f"unknown action {action!r}; expected assign, handle or resolve.")
        await run_in_threadpool(
            alert_store.transition,
            alert_id,
            status,
            by=form.get("by") or None,
            to=form.get("to") or None,
            note=form.get("note") or None,
        )
    except ChainwatchError as exc:
        return await _detail(request, alert_id, exc.message, exc.status)
    return RedirectResponse(f"/monitor/alerts/{alert_id}?done={action}", status_code=303)
