"""`chainwatch monitor alerts / alert / assign / handle / resolve / evaluate / rules`:
early warnings (预警) and their lifecycle 新 → 已分派 → 处置中 → 已解除."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chainwatch.cli.monitor import app
from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.monitor import alert_store
from chainwatch.monitor.rules import load_rules, read_rules, write_defaults

GRADE_STYLE = {"红": "bold red", "橙": "dark_orange", "黄": "yellow", "提示": "blue"}
SCOPE_NAMES = {
    "firm": "企业",
    "county": "区县",
    "city": "地市",
    "province": "全省",
    "chain": "产业链",
    "segment": "环节",
}


def _grade(grade: str) -> str:
    return f"[{GRADE_STYLE.get(grade, 'default')}]{grade}[/]"


def _subject(alert: dict[str, Any]) -> str:
    name = alert["subject_name"] or ""
    return f"{name} {alert['subject']}".strip() if name != alert["subject"] else name


def _condition(alert: dict[str, Any]) -> str:
    if alert["kind"] == alert_store.CHANGE_POINT:
        return "突变"
    if alert["ended_period"]:
        return f"{alert['ended_period']} 起结束"
    return "持续中"


@app.command("alerts")
def alerts(
    status: str | None = typer.Option(
        None, "--status", help="新, 已分派, 处置中, 已解除, or open (all but 已解除)."
    ),
    grade: str | None = typer.Option(None, "--grade", help="红, 橙, 黄 or 提示 (advisory)."),
    scope: str | None = typer.Option(
        None, "--scope", help="firm, county, city, province, chain, segment, or region."
    ),
    rule: str | None = typer.Option(None, "--rule", help="Rule id, e.g. production_stop."),
    subject: str | None = typer.Option(
        None, "--subject", help="One firm (统一社会信用代码), region or chain code."
    ),
    region: str | None = typer.Option(
        None, "--region", help="Only alerts in this region (330000, 330200 or 330211)."
    ),
    period: str | None = typer.Option(None, "--period", help="Month raised, YYYY-MM."),
    limit: int = typer.Option(200, "--limit", min=1, max=5000, help="At most this many."),
    json_: bool = typer.Option(False, "--json", help="Print the alerts as a JSON list."),
) -> None:
    """Early warnings (预警), newest month first and most severe first within a month.

    Each alert concerns one firm, region or chain, is raised once per run of its condition and
    has a status: 新 → 已分派 → 处置中 → 已解除. See docs/alerts.md.
    """
    found = alert_store.list_alerts(
        status=status,
        grade=grade,
        scope=scope,
        rule=rule,
        subject=subject,
        region=region,
        period=period,
        limit=limit,
    )
    items = found["items"]
    if json_:
        print_json(items)
        return
    if not items:
        console.print(
            "没有符合条件的预警 / no alerts. (`chainwatch run monitor` evaluates the rules.)",
            highlight=False,
        )
        return
    print_table(
        f"预警 / alerts（{found['total']} 条）",
        ["ID", "等级", "规则", "对象", "预警月份", "状态", "说明"],
        [
            [
                a["id"],
                _grade(a["grade"]),
                a["rule_name"],
                f"{SCOPE_NAMES.get(a['scope'], a['scope'])} {_subject(a)}",
                a["period"],
                a["status"] + (f" {a['assignee']}" if a["assignee"] else ""),
                f"{a['message']}（{_condition(a)}）",
            ]
            for a in items
        ],
    )
    counts = "，".join(f"{g} {n}" for g, n in found["by_grade"].items() if n)
    shown = (
        f"显示 {len(items)} / {found['total']} 条（--limit 调整）；"
        if len(items) < found["total"]
        else ""
    )
    console.print(f"{shown}按等级：{counts}", highlight=False)


def _print_alert(alert: dict[str, Any]) -> None:
    console.print(
        f"预警 {alert['id']} {_grade(alert['grade'])} {alert['rule_name']}（{alert['rule']}）"
        f" · {alert['status']}" + (f" · 负责人 {alert['assignee']}" if alert["assignee"] else "")
    )
    console.print(alert["message"], highlight=False)
    condition = _condition(alert)
    console.print(
        f"对象：{SCOPE_NAMES.get(alert['scope'], alert['scope'])} {_subject(alert)}；"
        f"自 {alert['start_period']} 起，{alert['period']} 预警，最近 {alert['last_period']}，"
        f"{condition}",
        highlight=False,
    )
    for link in alert["links"]:
        console.print(
            f"  关联 {link['kind']}: {link['code']} {link['name'] or ''}", highlight=False
        )
    print_table(
        "处置记录 / history",
        ["时间", "事件", "操作人", "状态", "负责人", "说明"],
        [
            [
                f"{e['at']:%Y-%m-%d %H:%M}",
                e["event"],
                e["actor"] or "系统",
                e["status"],
                e["assignee"] or "",
                e["note"] or "",
            ]
            for e in alert["events"]
        ],
    )
    if alert["next_statuses"]:
        console.print(f"可转为：{'、'.join(alert['next_statuses'])}", highlight=False)


@app.command("alert")
def alert(
    alert_id: int = typer.Argument(..., help="Alert id (from `chainwatch monitor alerts`)."),
    json_: bool = typer.Option(False, "--json", help="Print the alert and its history as JSON."),
) -> None:
    """One alert: what, whom it concerns, and its history (who did what, when)."""
    data = alert_store.get_alert(alert_id)
    if json_:
        print_json(data)
        return
    _print_alert(data)


def _done(data: dict[str, Any], json_: bool) -> None:
    if json_:
        print_json(data)
        return
    who = f"（{data['assignee']}）" if data["assignee"] else ""
    console.print(f"预警 {data['id']} → {data['status']}{who}", highlight=False)


@app.command("assign")
def assign(
    alert_id: int = typer.Argument(..., help="Alert id."),
    to: str = typer.Option(..., "--to", help="Who handles it (person or unit)."),
    by: str | None = typer.Option(None, "--by", help="Who assigns it."),
    note: str | None = typer.Option(None, "--note", help="Instructions or remarks."),
    json_: bool = typer.Option(False, "--json", help="Print the alert as JSON."),
) -> None:
    """Assign an alert (新 or re-assign → 已分派)."""
    _done(alert_store.assign(alert_id, to, by=by, note=note), json_)


@app.command("handle")
def handle(
    alert_id: int = typer.Argument(..., help="Alert id."),
    by: str = typer.Option(..., "--by", help="Who starts handling it."),
    note: str | None = typer.Option(None, "--note", help="What is being done."),
    json_: bool = typer.Option(False, "--json", help="Print the alert as JSON."),
) -> None:
    """Start handling an assigned alert (已分派 → 处置中)."""
    _done(alert_store.handle(alert_id, by, note=note), json_)


@app.command("resolve")
def resolve(
    alert_id: int = typer.Argument(..., help="Alert id."),
    by: str = typer.Option(..., "--by", help="Who resolves it."),
    note: str | None = typer.Option(
        None, "--note", help="How it was resolved, or why it was a false alarm."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the alert as JSON."),
) -> None:
    """Resolve an alert (→ 已解除; final)."""
    _done(alert_store.resolve(alert_id, by, note=note), json_)


@app.command("evaluate")
def evaluate(
    rules: Path | None = typer.Option(
        None,
        "--rules",
        help="Rule file to use instead of CHAINWATCH_HOME/alert_rules.yaml or the defaults.",
    ),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Evaluate the alert rules on the stored indices (without recomputing them).

    New conditions raise alerts; alerts already raised are updated (latest month, condition
    ended, a higher grade), never raised twice.
    """
    with progress_bar("alerts", total=1) as advance:
        summary = alert_store.evaluate_and_record(rules)
        advance(1)
    if json_:
        print_json(summary)
        return
    new = "，".join(f"{g} {n}" for g, n in summary["new_by_grade"].items()) or "无"
    open_ = "，".join(f"{g} {n}" for g, n in summary["open_by_grade"].items() if n) or "无"
    console.print(
        f"规则 {summary['rules']} 条（{summary['rules_file']}）；发现 {summary['findings']} 项，"
        f"新预警 {summary['new']}（{new}），更新 {summary['updated']}，升级 "
        f"{summary['escalated']}，条件结束 {summary['ended']}；未解除：{open_}",
        highlight=False,
    )


@app.command("rules")
def rules(
    check: Path | None = typer.Option(
        None, "--check", help="Check this rule file and explain every mistake in it."
    ),
    init: bool = typer.Option(
        False, "--init", help="Copy the defaults to CHAINWATCH_HOME/alert_rules.yaml to edit."
    ),
    replace: bool = typer.Option(False, "--replace", help="With --init: overwrite that file."),
    json_: bool = typer.Option(False, "--json", help="Print the rules as JSON."),
) -> None:
    """The alert rules in effect (or those of --check FILE), with their grades and scopes."""
    if init:
        path = write_defaults(replace=replace)
        console.print(f"已写入 / written: {path}", highlight=False)
        return
    rule_set = read_rules(check.expanduser()) if check else load_rules()
    if json_:
        print_json({"file": str(rule_set.source), "rules": rule_set.as_dicts()})
        return
    print_table(
        f"预警规则 / alert rules — {rule_set.source}",
        ["ID", "名称", "类型", "范围", "等级", "启用"],
        [
            [
                r.id,
                r.name,
                r.kind,
                r.scope if isinstance(r.scope, str) else ", ".join(r.scope),
                " ".join(_grade(g) for g in r.grades),
                "是" if r.enabled else "否",
            ]
            for r in rule_set.all
        ],
    )
    if check:
        console.print(f"{check}: OK, {len(rule_set.all)} rule(s).", highlight=False)
