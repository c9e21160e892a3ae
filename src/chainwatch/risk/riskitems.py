"""Risk items in the database: storing screening results and the lifecycle of each item.

Lifecycle (docs/risk-list.md):

    待核实 ──► 已确认 ──► 处置中 ──► 已销号
       │          │          │
       └──────────┴──► 已排除 ◄┘      (处置中 may also go back to 已确认)

  * 处置中 needs an owner and a due date; 已销号 needs at least one recorded action (措施);
    已排除 needs a reason (note). 已销号 and 已排除 can be reopened by hand (→ 待核实).
  * Each item has a stable key (kind, chain, segment or firm, product …). Storing a screening
    run updates the item with that key instead of adding another: new evidence, grade, points,
    explanation, affected firms and alternatives. A history event is written when the grade or
    the points changed.
  * A 已销号 item found again is REOPENED (status back to 待核实, event ``reopened``): the risk
    came back, and its history stays in one place. A 已排除 item found again keeps its status
    (a person judged it not to be a risk) and gets fresh evidence, unless its grade is now
    higher than when it was excluded, in which case it is reopened too.
  * An open item the latest run no longer finds keeps its status (a person closes it) and is
    marked ``found = false`` with a ``not_found`` event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chainwatch.errors import NotFoundError, ValidationError
from chainwatch.risk.findings import GRADE_RANK, Finding
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import RiskItem, RiskItemEvent

STATUSES = ("待核实", "已确认", "处置中", "已销号", "已排除")
OPEN = ("待核实", "已确认", "处置中")
CLOSED = ("已销号", "已排除")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "待核实": ("已确认", "已排除"),
    "已确认": ("处置中", "已排除"),
    "处置中": ("已销号", "已确认", "已排除"),
    "已销号": ("待核实",),
    "已排除": ("待核实",),
}
GRADES = ("高", "中", "低")
MAX_TEXT = 2000
EVENT_LABELS = {
    "created": ("筛出", "found"),
    "rescreened": ("复筛变化", "rescreened"),
    "not_found": ("未再筛出", "not found again"),
    "reopened": ("重新打开", "reopened"),
    "status": ("状态变更", "status"),
    "owner": ("责任人", "owner"),
    "due": ("完成时限", "due date"),
    "action": ("处置措施", "action"),
    "note": ("备注", "note"),
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _event(
    item: RiskItem,
    at: dt.datetime,
    event: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    actor: str | None = None,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    item.events.append(
        RiskItemEvent(
            at=at,
            event=event,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            text=text,
            details=details or {},
        )
    )


def _apply(item: RiskItem, f: Finding, at: dt.datetime) -> None:
    item.kind = f.kind
    item.chain_id = f.chain_id
    item.segment_id = f.segment_id
    item.product = f.product
    item.uscc = f.uscc
    item.subject = f.subject_zh[:300]
    item.position = f.position
    item.risk_type = f.risk_type
    item.grade = f.grade or "低"
    item.score = f.points
    item.explanation = f.explanation("zh-CN")
    item.evidence = f.evidence
    item.affected = f.affected
    item.alternatives = f.alternatives
    item.found = True
    item.screened_at = at
    item.updated_at = at


def store_findings(found: Sequence[Finding], at: dt.datetime | None = None) -> dict[str, int]:
    """Store one screening run: new items, updated evidence on known ones, reopenings, and
    open items not found any more. Returns counts."""
    at = at or now()
    ensure_database()
    counts = {"created": 0, "updated": 0, "reopened": 0, "not_found": 0}
    with session_scope() as session:
        existing = {i.key: i for i in session.scalars(select(RiskItem))}
        seen: set[str] = set()
        for f in found:
            if f.key in seen:  # the screens give one finding per key; keep the first
                continue
            seen.add(f.key)
            item = existing.get(f.key)
            if item is None:
                item = RiskItem(key=f.key, status="待核实", detected_at=at, owner=None)
                _apply(item, f, at)
                session.add(item)
                _event(item, at, "created", to_status="待核实", details=_grade_details(item))
                counts["created"] += 1
                continue
            before_grade, before_score = item.grade, item.score
            _apply(item, f, at)
            counts["updated"] += 1
            if (before_grade, before_score) != (item.grade, item.score):
                _event(
                    item,
                    at,
                    "rescreened",
                    details={
                        "grade": [before_grade, item.grade],
                        "score": [before_score, item.score],
                    },
                )
            if _reopens(item):
                _event(
                    item,
                    at,
                    "reopened",
                    from_status=item.status,
                    to_status="待核实",
                    details={"closed_grade": item.closed_grade, "grade": item.grade},
                )
                item.status, item.closed_grade = "待核实", None
                counts["reopened"] += 1
        for key, item in existing.items():
            if key not in seen and item.found:
                item.found = False
                item.updated_at = at
                if item.status in OPEN:
                    _event(item, at, "not_found")
                    counts["not_found"] += 1
    return counts


def _reopens(item: RiskItem) -> bool:
    if item.status == "已销号":
        return True
    if item.status == "已排除":
        return GRADE_RANK.get(item.grade, 0) > GRADE_RANK.get(item.closed_grade or "高", 3)
    return False


def _grade_details(item: RiskItem) -> dict[str, Any]:
    return {"grade": item.grade, "score": item.score}


def _parse_due(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"due date {value!r} is not a date; expected YYYY-MM-DD such as 2026-03-31.",
            errors=[{"field": "due", "problem": "not a date", "got": value}],
        ) from None


def _clean(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > limit:
        raise ValidationError(
            f"{what} is {len(text)} characters long; at most {limit} are allowed.",
            errors=[{"field": what, "problem": "too long", "got": len(text)}],
        )
    return text or None


def check_transition(current: str, wanted: str) -> None:
    if wanted not in STATUSES:
        raise ValidationError(
            f"unknown status {wanted!r}; statuses are {', '.join(STATUSES)}.",
            errors=[{"field": "status", "problem": "unknown", "got": wanted}],
        )
    allowed = TRANSITIONS[current]
    if wanted not in allowed:
        raise ValidationError(
            f"an item in {current} cannot go to {wanted}; from {current} it can go to "
            f"{' or '.join(allowed)}.",
            errors=[{"field": "status", "problem": "transition not allowed", "got": wanted}],
        )


def update_item(
    item_id: int,
    *,
    status: str | None = None,
    owner: str | None = None,
    due: str | dt.date | None = None,
    action: str | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Change an item: owner, due date, a new action (措施), a note, and/or its status (only
    along the allowed transitions). Everything is written to the history. Returns the item."""
    owner = _clean(owner, "owner", 100)
    action = _clean(action, "action", MAX_TEXT)
    note = _clean(note, "note", MAX_TEXT)
    actor = _clean(actor, "actor", 100)
    due_on = _parse_due(due)
    status = status.strip() if status else None
    ensure_database()
    at = now()
    with session_scope() as session:
        item = _get(session, item_id)
        if status == item.status:
            status = None
        if status is not None:
            check_transition(item.status, status)
        if owner is not None and owner != item.owner:
            _event(item, at, "owner", actor=actor, text=owner, details={"from": item.owner})
            item.owner = owner
        if due_on is not None and due_on != item.due_on:
            before = item.due_on.isoformat() if item.due_on else None
            _event(item, at, "due", actor=actor, text=due_on.isoformat(), details={"from": before})
            item.due_on = due_on
        if action is not None:
            _event(item, at, "action", actor=actor, text=action)
        if status is not None:
            _require_for(session, item, status, note)
            _event(
                item,
                at,
                "status",
                from_status=item.status,
                to_status=status,
                actor=actor,
                text=note,
            )
            if status in CLOSED:
                item.closed_grade = item.grade
            item.status = status
        elif note is not None:
            _event(item, at, "note", actor=actor, text=note)
        item.updated_at = at
        session.flush()
        return item_detail(item)


def _require_for(session: Session, item: RiskItem, status: str, note: str | None) -> None:
    missing = []
    if status == "处置中":
        if not item.owner:
            missing.append(("owner", "an owner (责任人, --owner)"))
        if item.due_on is None:
            missing.append(("due", "a due date (完成时限, --due)"))
    if status == "已销号" and not any(e.event == "action" for e in item.events):
        missing.append(("action", "at least one recorded action (处置措施, --action)"))
    if status == "已排除" and not note:
        missing.append(("note", "a reason (排除理由, --note)"))
    if missing:
        raise ValidationError(
            f"to move item {item.id} to {status} it needs "
            + " and ".join(text for _, text in missing)
            + "; give them in the same update.",
            errors=[{"field": field, "problem": "required"} for field, _ in missing],
        )


def _get(session: Session, item_id: int) -> RiskItem:
    item = session.get(RiskItem, item_id)
    if item is None:
        raise NotFoundError(
            f"no risk item {item_id}; list them with `chainwatch risk list` (run "
            "`chainwatch risk screen` first if the list is empty)."
        )
    return item


def item_summary(item: RiskItem) -> dict[str, Any]:
    today = dt.date.today()
    return {
        "id": item.id,
        "key": item.key,
        "chain": item.chain_id,
        "segment": item.segment_id,
        "product": item.product,
        "uscc": item.uscc,
        "subject": item.subject,
        "kind": item.kind,
        "position": item.position,
        "type": item.risk_type,
        "grade": item.grade,
        "score": item.score,
        "status": item.status,
        "explanation": item.explanation,
        "explanation_en": (item.evidence or {}).get("explanation_en"),
        "owner": item.owner,
        "due": item.due_on.isoformat() if item.due_on else None,
        "overdue": bool(item.due_on and item.due_on < today and item.status in OPEN),
        "found": item.found,
        "detected_at": item.detected_at,
        "screened_at": item.screened_at,
        "updated_at": item.updated_at,
    }


def item_detail(item: RiskItem) -> dict[str, Any]:
    events = [
        {
            "at": e.at,
            "event": e.event,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "text": e.text,
            "details": e.details,
        }
        for e in item.events
    ]
    return {
        **item_summary(item),
        "evidence": item.evidence,
        "affected": item.affected,
        "alternatives": item.alternatives,
        "actions": [e for e in events if e["event"] == "action"],
        "history": events,
    }


def get_item(item_id: int) -> dict[str, Any]:
    ensure_database()
    with session_scope() as session:
        return item_detail(_get(session, item_id))


def _check_choice(value: str | None, allowed: Sequence[str], what: str) -> None:
    if value is not None and value not in allowed:
        raise ValidationError(
            f"unknown {what} {value!r}; choose one of {', '.join(allowed)}.",
            errors=[{"field": what, "problem": "unknown", "got": value}],
        )


def list_items(
    *,
    chain: str | None = None,
    grade: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
    details: bool = False,
) -> dict[str, Any]:
    """Items in list order (grade, points, then newest screening), with the total."""
    from chainwatch.risk.findings import KINDS

    _check_choice(grade, GRADES, "grade")
    _check_choice(status, STATUSES, "status")
    _check_choice(kind, KINDS, "kind")
    ensure_database()
    query = select(RiskItem)
    if chain:
        query = query.where(RiskItem.chain_id == chain)
    if grade:
        query = query.where(RiskItem.grade == grade)
    if status:
        query = query.where(RiskItem.status == status)
    if kind:
        query = query.where(RiskItem.kind == kind)
    if open_only:
        query = query.where(RiskItem.status.in_(OPEN))
    with session_scope() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = list(session.scalars(query))
        items.sort(key=_order)
        chosen = items[offset : offset + limit if limit is not None else None]
        shown = [item_detail(i) if details else item_summary(i) for i in chosen]
    return {"total": total, "items": shown}


def _order(item: RiskItem) -> tuple[Any, ...]:
    kinds = ("product", "interruption", "segment", "concentration", "systemic")
    evidence = item.evidence or {}
    amount = float(evidence.get("imports") or evidence.get("amount") or 0)
    kind = kinds.index(item.kind) if item.kind in kinds else len(kinds)
    return (
        not item.found,
        item.status in CLOSED,
        -GRADE_RANK.get(item.grade, 0),
        -item.score,
        kind,
        -amount,
        item.id,
    )


def counts_by_chain() -> dict[str, dict[str, int]]:
    """Open items per chain and grade."""
    ensure_database()
    with session_scope() as session:
        result = session.execute(
            select(RiskItem.chain_id, RiskItem.grade, func.count())
            .where(RiskItem.status.in_(OPEN), RiskItem.found.is_(True))
            .group_by(RiskItem.chain_id, RiskItem.grade)
        ).all()
    counts: dict[str, dict[str, int]] = {}
    for chain_id, grade, n in result:
        counts.setdefault(chain_id, {g: 0 for g in GRADES})[grade] = int(n)
    return counts


def latest_screening() -> dt.datetime | None:
    ensure_database()
    with session_scope() as session:
        return session.scalar(select(func.max(RiskItem.screened_at)))
