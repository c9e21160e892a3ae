"""Alerts in the database: raised once per run of a condition, with a lifecycle and history.

:func:`record_findings` stores what :func:`chainwatch.monitor.alerts.evaluate` found. A finding
is matched to a stored alert of the same condition (rule, scope, subject and, for imports,
product and country) whose months overlap it — so re-running the stage on the same or more data
updates that alert (its latest month, whether the condition has ended, a higher grade) instead
of raising it again — and otherwise raised as a new alert. A condition that ended and comes back
later does not overlap the earlier run, so it is a new alert. A change point matches a stored
one of the same series and direction within the rule's ``tolerance`` months.

Lifecycle (who and when kept as events): 新 → 已分派 (to someone) → 处置中 → 已解除. An alert may
be re-assigned while open and resolved from any open status (a false alarm is resolved with a
note); 已解除 is final. The grade only rises: a run that deepens (橙 → 红) is escalated on the
same alert, with an event.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select
from sqlalchemy.orm import Session, selectinload

from chainwatch.errors import ConflictError, NotFoundError, ValidationError
from chainwatch.monitor.alerts import Finding, evaluate_stored
from chainwatch.monitor.periods import parse_month
from chainwatch.monitor.rules import GRADES, load_rules
from chainwatch.store.db import ensure_database, session_scope
from chainwatch.store.models import Alert, AlertEvent

NEW, ASSIGNED, HANDLING, RESOLVED = "新", "已分派", "处置中", "已解除"
STATUSES = (NEW, ASSIGNED, HANDLING, RESOLVED)
OPEN_STATUSES = (NEW, ASSIGNED, HANDLING)
RAISED, ESCALATED, ASSIGN, HANDLE, RESOLVE, ENDED = (
    "预警",
    "升级",
    "分派",
    "处置",
    "解除",
    "条件结束",
)
EVENT_OF = {ASSIGNED: ASSIGN, HANDLING: HANDLE, RESOLVED: RESOLVE}
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (ASSIGNED, RESOLVED),
    ASSIGNED: (ASSIGNED, HANDLING, RESOLVED),
    HANDLING: (ASSIGNED, RESOLVED),
    RESOLVED: (),
}
SCOPES = ("firm", "county", "city", "province", "chain", "segment")
SCOPE_GROUPS = {"region": ("county", "city", "province")}
CHANGE_POINT = "change_point"
ALERTS = cast(Table, Alert.__table__)
EVENTS = cast(Table, AlertEvent.__table__)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def severity(grade: str) -> int:
    """0 for 红 (most severe) … 3 for 提示."""
    return GRADES.index(grade) if grade in GRADES else len(GRADES)


def _ordinal(label: str) -> int:
    month = parse_month(label)
    return month.year * 12 + month.month - 1


# --- recording findings -----------------------------------------------------------------------


def _match(
    finding: Finding, candidates: list[Alert], tolerance: int, taken: set[int]
) -> Alert | None:
    """The stored alert of the same condition that this finding continues, if any."""
    if not candidates:
        return None
    start, last = _ordinal(finding.start), _ordinal(finding.last)
    for alert in candidates:
        if alert.id in taken:
            continue
        if alert.episode == finding.start:
            return alert
    for alert in candidates:
        if alert.id in taken:
            continue
        stored_start = _ordinal(alert.episode)
        if finding.kind == CHANGE_POINT:
            if abs(stored_start - start) <= tolerance:
                return alert
        elif stored_start <= last and start <= _ordinal(alert.last_period):
            return alert
    return None


def _new_rows(finding: Finding, moment: dt.datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Column values of a new alert and of its first events (without alert_id)."""
    alert = {
        "condition_key": finding.key,
        "episode": finding.start,
        "rule_id": finding.rule,
        "rule_name": finding.rule_name,
        "kind": finding.kind,
        "grade": finding.grade,
        "scope": finding.scope,
        "subject": finding.code,
        "subject_name": finding.name,
        "region_code": finding.region_code,
        "chain_id": finding.chain_id,
        "period": finding.period,
        "grade_period": finding.grade_period,
        "last_period": finding.last,
        "ended_period": finding.ended,
        "message": finding.message,
        "values": finding.values,
        "status": NEW,
        "assignee": None,
        "created_at": moment,
        "updated_at": moment,
    }
    events = [
        {
            "at": moment,
            "event": RAISED,
            "actor": None,
            "status": NEW,
            "assignee": None,
            "note": finding.message,
        }
    ]
    if finding.ended:
        events.append(
            {
                "at": moment,
                "event": ENDED,
                "actor": None,
                "status": NEW,
                "assignee": None,
                "note": f"自 {finding.ended} 起条件不再成立",
            }
        )
    return alert, events


def _insert_new(
    session: Session, rows: list[tuple[dict[str, Any], list[dict[str, Any]]]], moment: dt.datetime
) -> None:
    """Insert new alerts and their events in bulk (executemany, not one ORM object each: a
    province-wide first run raises hundreds of thousands of alerts). The new ids are read back
    by condition and episode (unique together) rather than with RETURNING, which SQLAlchemy
    collects row by row."""
    if not rows:
        return
    # Core inserts on the tables: one executemany each (the ORM's bulk insert splits the rows
    # into small batches by which columns are None).
    connection = session.connection()
    connection.execute(insert(ALERTS), [alert for alert, _ in rows])
    rules = sorted({alert["rule_id"] for alert, _ in rows})
    ids = {
        (key, episode): alert_id
        for alert_id, key, episode in session.execute(
            select(Alert.id, Alert.condition_key, Alert.episode).where(
                Alert.rule_id.in_(rules), Alert.created_at == moment
            )
        )
    }
    connection.execute(
        insert(EVENTS),
        [
            {**event, "alert_id": ids[(alert["condition_key"], alert["episode"])]}
            for alert, events in rows
            for event in events
        ],
    )


def _update(alert: Alert, finding: Finding, moment: dt.datetime) -> tuple[bool, bool, bool]:
    """Bring a stored alert up to date; returns (changed, escalated, ended now)."""
    escalated = severity(finding.grade) < severity(alert.grade)
    ended_now = finding.ended is not None and alert.ended_period is None
    if escalated:
        alert.events.append(
            AlertEvent(
                at=moment,
                event=ESCALATED,
                actor=None,
                status=alert.status,
                assignee=alert.assignee,
                note=f"{alert.grade} → {finding.grade}（{finding.grade_period}）："
                f"{finding.message}",
            )
        )
        alert.grade = finding.grade
        alert.grade_period = finding.grade_period
    if ended_now:
        alert.events.append(
            AlertEvent(
                at=moment,
                event=ENDED,
                actor=None,
                status=alert.status,
                assignee=alert.assignee,
                note=f"自 {finding.ended} 起条件不再成立",
            )
        )
    fields: dict[str, Any] = {
        "last_period": finding.last,
        "ended_period": finding.ended,
        "subject_name": finding.name,
        "region_code": finding.region_code,
        "chain_id": finding.chain_id,
    }
    if escalated or finding.grade == alert.grade:
        # The message and values describe the grade the alert shows.
        fields.update(message=finding.message, values=finding.values)
    changed = escalated or ended_now
    for name, value in fields.items():
        if getattr(alert, name) != value:
            setattr(alert, name, value)
            changed = True
    if changed:
        alert.updated_at = moment
    return changed, escalated, ended_now


def record_findings(
    findings: Sequence[Finding],
    *,
    tolerances: Mapping[str, int] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Store findings as alerts (new ones raised, existing ones updated); returns counts."""
    moment = now or now_utc()
    tolerances = tolerances or {}
    ensure_database()
    counts: Counter[str] = Counter()
    new_by_grade: Counter[str] = Counter()
    with session_scope() as session:
        rules = sorted({f.rule for f in findings})
        stored: dict[str, list[Alert]] = defaultdict(list)
        if rules:
            # Events load only for the few alerts that get one (escalated, ended).
            for row in session.scalars(
                select(Alert).where(Alert.rule_id.in_(rules)).order_by(Alert.id)
            ):
                stored[row.condition_key].append(row)
        taken: set[int] = set()
        fresh: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for finding in sorted(findings, key=lambda f: (f.key, f.start)):
            alert = _match(finding, stored[finding.key], tolerances.get(finding.rule, 0), taken)
            if alert is None:
                fresh.append(_new_rows(finding, moment))
                new_by_grade[finding.grade] += 1
                counts["new"] += 1
                continue
            taken.add(alert.id)
            changed, escalated, ended = _update(alert, finding, moment)
            counts["updated"] += changed
            counts["escalated"] += escalated
            counts["ended"] += ended
            counts["unchanged"] += not changed
        session.flush()
        _insert_new(session, fresh, moment)
    return {
        "findings": len(findings),
        "new": counts["new"],
        "updated": counts["updated"],
        "escalated": counts["escalated"],
        "ended": counts["ended"],
        "unchanged": counts["unchanged"],
        "new_by_grade": {g: new_by_grade[g] for g in GRADES if new_by_grade[g]},
    }


def evaluate_and_record(
    rules_file: Path | str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Evaluate the rules in effect (or those of ``rules_file``) and store the alerts."""
    rule_set = load_rules(rules_file)
    findings = evaluate_stored(rule_set.enabled)
    tolerances = {r.id: int(getattr(r, "tolerance", 0)) for r in rule_set.enabled}
    summary = record_findings(findings, tolerances=tolerances, now=now)
    summary["rules"] = len(rule_set.enabled)
    summary["rules_file"] = str(rule_set.source)
    summary["open_by_grade"] = open_counts()
    return summary


# --- reading ----------------------------------------------------------------------------------


def _links(alert: Alert) -> list[dict[str, Any]]:
    """What the alert concerns, most specific first: firm, segment, chain, region."""
    from chainwatch.reference import regions

    links: list[dict[str, Any]] = []
    if alert.scope == "firm":
        links.append({"kind": "firm", "code": alert.subject, "name": alert.subject_name})
    if alert.scope == "segment":
        links.append({"kind": "segment", "code": alert.subject, "name": alert.subject_name})
    if alert.chain_id:
        name = alert.subject_name if alert.scope == "chain" else _chain_name(alert.chain_id)
        links.append({"kind": "chain", "code": alert.chain_id, "name": name})
    if alert.region_code:
        code = alert.region_code
        name = regions.region_name(code) if regions.is_known_region(code) else None
        links.append({"kind": "region", "code": code, "name": name})
    return links


def _chain_name(chain_id: str) -> str | None:
    from chainwatch.atlas.chains import load_chains

    chain = load_chains().get(chain_id)
    return chain.name if chain else None


def alert_dict(alert: Alert, *, events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": alert.id,
        "rule": alert.rule_id,
        "rule_name": alert.rule_name,
        "kind": alert.kind,
        "grade": alert.grade,
        "scope": alert.scope,
        "subject": alert.subject,
        "subject_name": alert.subject_name,
        "period": alert.period,
        "start_period": alert.episode,
        "grade_period": alert.grade_period,
        "last_period": alert.last_period,
        "ended_period": alert.ended_period,
        "condition_open": alert.kind != CHANGE_POINT and alert.ended_period is None,
        "status": alert.status,
        "assignee": alert.assignee,
        "message": alert.message,
        "values": dict(alert.values or {}),
        "region_code": alert.region_code,
        "chain_id": alert.chain_id,
        "created_at": alert.created_at,
        "updated_at": alert.updated_at,
        "links": _links(alert),
    }
    if events:
        data["events"] = [
            {
                "at": e.at,
                "event": e.event,
                "actor": e.actor,
                "status": e.status,
                "assignee": e.assignee,
                "note": e.note,
            }
            for e in alert.events
        ]
        data["next_statuses"] = list(TRANSITIONS.get(alert.status, ()))
    return data


def _choice(value: str | None, allowed: Iterable[str], what: str) -> str | None:
    if value is None or value == "":
        return None
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationError(f"{what} {value!r} is not one of {', '.join(allowed)}.")
    return value


def region_prefix(code: str) -> str:
    """'33' for a province, '3302' for a city, the code itself for a county."""
    text = code.strip()
    if len(text) != 6 or not text.isdigit():
        raise ValidationError(
            f"region {code!r} is not a 6-digit region code such as 330000, 330200 or 330211."
        )
    while text.endswith("00") and len(text) > 2:
        text = text[:-2]
    return text


def list_alerts(
    *,
    status: str | None = None,
    grade: str | None = None,
    scope: str | None = None,
    rule: str | None = None,
    subject: str | None = None,
    region: str | None = None,
    period: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> dict[str, Any]:
    """Alerts newest month first, most severe first within a month, with counts.

    ``status`` may be 'open' (新, 已分派 and 处置中); ``scope`` may be 'region' (county, city
    and province); ``region`` keeps alerts in that region (a province or city includes its
    counties and their firms).
    """
    status = _choice(status, (*STATUSES, "open"), "status")
    grade = _choice(grade, GRADES, "grade")
    scope = _choice(scope, (*SCOPES, *SCOPE_GROUPS), "scope")
    if period:
        period = parse_month(period, "period").label
    conditions: list[Any] = []
    if status == "open":
        conditions.append(Alert.status.in_(OPEN_STATUSES))
    elif status:
        conditions.append(Alert.status == status)
    if grade:
        conditions.append(Alert.grade == grade)
    if scope:
        conditions.append(Alert.scope.in_(SCOPE_GROUPS.get(scope, (scope,))))
    if rule:
        conditions.append(Alert.rule_id == rule.strip())
    if subject:
        conditions.append(Alert.subject == subject.strip().upper())
    if region:
        conditions.append(Alert.region_code.startswith(region_prefix(region)))
    if period:
        conditions.append(Alert.period == period)
    order = case({g: i for i, g in enumerate(GRADES)}, value=Alert.grade, else_=len(GRADES))
    ensure_database()
    with session_scope() as session:
        total = session.scalar(select(func.count()).select_from(Alert).where(*conditions)) or 0
        rows = session.scalars(
            select(Alert)
            .where(*conditions)
            .order_by(Alert.period.desc(), order, Alert.id)
            .limit(max(1, min(limit, 5000)))
            .offset(max(0, offset))
        ).all()
        by_grade = dict(
            session.execute(
                select(Alert.grade, func.count()).where(*conditions).group_by(Alert.grade)
            ).all()
        )
        by_status = dict(
            session.execute(
                select(Alert.status, func.count()).where(*conditions).group_by(Alert.status)
            ).all()
        )
        return {
            "total": int(total),
            "limit": limit,
            "offset": offset,
            "by_grade": {g: int(by_grade.get(g, 0)) for g in GRADES},
            "by_status": {s: int(by_status.get(s, 0)) for s in STATUSES},
            "items": [alert_dict(a) for a in rows],
        }


def open_counts() -> dict[str, int]:
    """Alerts not yet resolved, by grade."""
    ensure_database()
    with session_scope() as session:
        rows = dict(
            session.execute(
                select(Alert.grade, func.count())
                .where(Alert.status.in_(OPEN_STATUSES))
                .group_by(Alert.grade)
            ).all()
        )
    return {g: int(rows.get(g, 0)) for g in GRADES}


def _load(session: Session, alert_id: int) -> Alert:
    alert = session.scalars(
        select(Alert).where(Alert.id == alert_id).options(selectinload(Alert.events))
    ).first()
    if alert is None:
        raise NotFoundError(
            f"no alert {alert_id}; `chainwatch monitor alerts` lists the alerts and their ids."
        )
    return alert


def get_alert(alert_id: int) -> dict[str, Any]:
    """One alert with its history and the statuses it can move to."""
    ensure_database()
    with session_scope() as session:
        return alert_dict(_load(session, alert_id), events=True)


# --- lifecycle --------------------------------------------------------------------------------


def _person(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > 100:
        raise ValidationError(f"{what} is {len(text)} characters long; at most 100.")
    return text or None


def transition(
    alert_id: int,
    status: str,
    *,
    by: str | None = None,
    to: str | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Move an alert to ``status`` (已分派 needs ``to``; 处置中 and 已解除 need ``by``)."""
    if status not in EVENT_OF:
        raise ValidationError(
            f"status {status!r} cannot be set; an alert moves to "
            f"{', '.join(EVENT_OF)} (新 is where every alert starts)."
        )
    by = _person(by, "by (who)")
    to = _person(to, "to (assignee)")
    note = (note or "").strip() or None
    if note is not None and len(note) > 2000:
        raise ValidationError(f"note is {len(note)} characters long; at most 2000.")
    if status == ASSIGNED and not to:
        raise ValidationError("assigning an alert needs to: the person or unit who handles it.")
    if status in (HANDLING, RESOLVED) and not by:
        raise ValidationError(f"{status} needs by: who is doing it.")
    moment = now or now_utc()
    ensure_database()
    with session_scope() as session:
        alert = _load(session, alert_id)
        allowed = TRANSITIONS[alert.status]
        if status not in allowed:
            if alert.status == RESOLVED:
                last = next((e for e in reversed(alert.events) if e.event == RESOLVE), None)
                who = f" by {last.actor} at {last.at:%Y-%m-%d %H:%M}" if last else ""
                raise ConflictError(
                    f"alert {alert_id} is already 已解除{who}; a resolved alert is final (if the "
                    "condition comes back after it ended, a new alert is raised)."
                )
            hint = " (assign it first)" if status == HANDLING and alert.status == NEW else ""
            raise ConflictError(
                f"alert {alert_id} is {alert.status}; it can move to "
                f"{', '.join(allowed)}, not {status}{hint}."
            )
        alert.status = status
        if to:
            alert.assignee = to
        alert.updated_at = moment
        alert.events.append(
            AlertEvent(
                at=moment,
                event=EVENT_OF[status],
                actor=by,
                status=status,
                assignee=alert.assignee,
                note=note,
            )
        )
        session.flush()
        return alert_dict(alert, events=True)


def assign(alert_id: int, to: str, *, by: str | None = None, note: str | None = None) -> Any:
    return transition(alert_id, ASSIGNED, by=by, to=to, note=note)


def handle(alert_id: int, by: str, note: str | None = None) -> Any:
    return transition(alert_id, HANDLING, by=by, note=note)


def resolve(alert_id: int, by: str, note: str | None = None) -> Any:
    return transition(alert_id, RESOLVED, by=by, note=note)
