"""/alerts: early warnings (预警) — list and filter, one alert with its history, transitions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from chainwatch.monitor import alert_store
from chainwatch.monitor.rules import load_rules
from chainwatch.web.api.schemas import ErrorBody, UtcDatetime

router = APIRouter(prefix="/alerts", tags=["alerts"])

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such alert"},
    409: {"model": ErrorBody, "description": "The alert cannot move to that status from its own"},
    422: {"model": ErrorBody, "description": "Invalid filter or transition (missing to/by)"},
}
Grade = Literal["红", "橙", "黄", "提示"]
Status = Literal["新", "已分派", "处置中", "已解除"]
AlertId = Annotated[int, Path(ge=1, description="Alert id.")]


def subject_url(scope: str, code: str) -> str | None:
    """The page of what an alert concerns: firm, chain, segment or region."""
    if scope == "firm":
        return f"/enterprises/{code}"
    if scope == "chain":
        return f"/atlas/{code}"
    if scope == "segment":
        return f"/atlas/{code}"  # chain_id/segment_id
    if scope == "region":
        return f"/enterprises?region={code}"
    return None


def with_urls(alert: dict[str, Any]) -> dict[str, Any]:
    for link in alert["links"]:
        link["url"] = subject_url(link["kind"], link["code"])
    return alert


class Link(BaseModel):
    kind: Literal["firm", "segment", "chain", "region"]
    code: str
    name: str | None
    url: str | None = Field(description="The page of this firm, chain or region.")


class AlertSummary(BaseModel):
    id: int
    rule: str = Field(description="Rule id, e.g. production_stop.")
    rule_name: str
    kind: str = Field(description="electricity_drop, sales_yoy, import_stop, index_below, …")
    grade: Grade
    scope: str = Field(description="firm, county, city, province, chain or segment.")
    subject: str = Field(description="统一社会信用代码, region code or chain (chain/segment) id.")
    subject_name: str | None
    period: str = Field(description="Month the alert was raised (the rule first met), YYYY-MM.")
    start_period: str = Field(description="First month of the condition's run.")
    grade_period: str
    last_period: str = Field(description="Latest month the condition held.")
    ended_period: str | None = Field(description="First month it no longer held; null if open.")
    condition_open: bool
    status: Status
    assignee: str | None
    message: str = Field(description="What was found, with the numbers (Chinese).")
    values: dict[str, Any] = Field(description="The numbers behind the message.")
    region_code: str | None
    chain_id: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    links: list[Link]


class AlertEvent(BaseModel):
    at: UtcDatetime
    event: str = Field(description="预警, 升级, 分派, 处置, 解除 or 条件结束.")
    actor: str | None = Field(description="Who; null for the system.")
    status: Status
    assignee: str | None
    note: str | None


class AlertDetail(AlertSummary):
    events: list[AlertEvent]
    next_statuses: list[Status]


class AlertList(BaseModel):
    total: int
    limit: int
    offset: int
    by_grade: dict[str, int]
    by_status: dict[str, int]
    items: list[AlertSummary]


class Transition(BaseModel):
    status: Literal["已分派", "处置中", "已解除"] = Field(description="The status to move to.")
    to: str | None = Field(None, max_length=100, description="Assignee (needed for 已分派).")
    by: str | None = Field(
        None, max_length=100, description="Who does it (needed for 处置中 and 已解除)."
    )
    note: str | None = Field(None, max_length=2000)


@router.get("", response_model=AlertList, responses=RESPONSES, summary="Alerts, newest first")
async def alerts(
    status: Annotated[
        Literal["新", "已分派", "处置中", "已解除", "open"] | None,
        Query(description="A status, or open (all but 已解除)."),
    ] = None,
    grade: Annotated[Grade | None, Query()] = None,
    scope: Annotated[
        Literal["firm", "county", "city", "province", "chain", "segment", "region"] | None,
        Query(),
    ] = None,
    rule: Annotated[str | None, Query(max_length=48)] = None,
    subject: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$", description="330000 …")] = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    found = await run_in_threadpool(
        alert_store.list_alerts,
        status=status,
        grade=grade,
        scope=scope,
        rule=rule,
        subject=subject,
        region=region,
        period=period,
        limit=limit,
        offset=offset,
    )
    found["items"] = [with_urls(a) for a in found["items"]]
    return found


@router.get("/rules", responses=RESPONSES, summary="The alert rules in effect")
async def rules() -> Any:
    rule_set = await run_in_threadpool(load_rules)
    return {"file": rule_set.source.name, "rules": rule_set.as_dicts()}


@router.get(
    "/{alert_id}",
    response_model=AlertDetail,
    responses=RESPONSES,
    summary="One alert with its history",
)
async def alert(alert_id: AlertId) -> Any:
    return with_urls(await run_in_threadpool(alert_store.get_alert, alert_id))


@router.post(
    "/{alert_id}/transition",
    response_model=AlertDetail,
    responses=RESPONSES,
    summary="Move an alert along 新 → 已分派 → 处置中 → 已解除",
)
async def transition(
    alert_id: AlertId,
    body: Annotated[
        Transition,
        Body(
            examples=[
                {"status": "已分派", "to": "镇海区经信局", "by": "省经信厅运行监测处"},
                {"status": "处置中", "by": "镇海区经信局", "note": "已联系企业"},
                {"status": "已解除", "by": "镇海区经信局", "note": "企业已复产"},
            ]
        ),
    ],
) -> Any:
    data = await run_in_threadpool(
        alert_store.transition,
        alert_id,
        body.status,
        by=body.by,
        to=body.to,
        note=body.note,
    )
    return with_urls(data)
