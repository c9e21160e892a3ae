"""`chainwatch risk screen|list|item|update|export|views`: the chain risk lists (一链一清单),
their lifecycle and Chongqing's 四张清单."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chainwatch.atlas.chains import get_chain
from chainwatch.cli.output import console, print_json, print_table
from chainwatch.cli.risk import app
from chainwatch.risk.findings import KIND_LABELS
from chainwatch.risk.four_lists import VIEWS, build_views
from chainwatch.risk.riskitems import EVENT_LABELS, STATUSES, get_item, list_items, update_item

LIST_FIELDS = (
    "id",
    "chain",
    "segment",
    "product",
    "position",
    "type",
    "grade",
    "status",
    "explanation",
    "evidence",
)


def _check_chain(chain: str | None) -> None:
    if chain:
        get_chain(chain)  # NotFoundError with the known ids


@app.command("screen")
def screen(json_: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Screen every chain for risks (断链断供风险排查) and update the risk lists: new items are
    added as 待核实, known items get fresh evidence, none is duplicated."""
    from chainwatch.risk.screening import screen_risks

    summary = screen_risks()
    if json_:
        print_json(summary)
        return
    console.print(
        f"{summary['items']} risk items (高 {summary['high']}, 中 {summary['medium']}, "
        f"低 {summary['low']}) over {summary['window']}: {summary['created']} new, "
        f"{summary['updated']} updated, {summary['reopened']} reopened, "
        f"{summary['not_found']} open items not found again."
    )
    if summary["notes"]:
        console.print(summary["notes"])


@app.command("list")
def list_(
    chain: str | None = typer.Option(None, "--chain", help="Chain id, e.g. ic (集成电路)."),
    grade: str | None = typer.Option(None, "--grade", help="高, 中 or 低."),
    status: str | None = typer.Option(None, "--status", help=" / ".join(STATUSES) + "."),
    kind: str | None = typer.Option(
        None, "--kind", help="product, segment, concentration, systemic or interruption."
    ),
    limit: int = typer.Option(50, "--limit", min=1, help="Items to show."),
    json_: bool = typer.Option(False, "--json", help="Print JSON: every item with its evidence."),
) -> None:
    """The risk list (一链一清单), highest grade first, with a plain explanation per item."""
    _check_chain(chain)
    found = list_items(
        chain=chain, grade=grade, status=status, kind=kind, limit=limit, details=json_
    )
    if json_:
        print_json(
            {
                "total": found["total"],
                "items": [{**{k: i[k] for k in LIST_FIELDS}, **_extra(i)} for i in found["items"]],
            }
        )
        return
    if not found["items"]:
        console.print("no risk items; run `chainwatch risk screen` (after `chainwatch run atlas`).")
        return
    print_table(
        f"风险清单 / risk list ({found['total']} items"
        + (f", showing {len(found['items'])}" if found["total"] > len(found["items"]) else "")
        + ")",
        ["id", "grade", "chain", "kind", "status", "explanation"],
        [
            [
                i["id"],
                i["grade"],
                i["chain"],
                KIND_LABELS.get(i["kind"], (i["kind"],))[0],
                i["status"] + ("" if i["found"] else " (未再筛出)"),
                i["explanation"],
            ]
            for i in found["items"]
        ],
    )


def _extra(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": item["kind"],
        "subject": item["subject"],
        "uscc": item["uscc"],
        "score": item["score"],
        "owner": item["owner"],
        "due": item["due"],
        "found": item["found"],
        "affected": item["affected"],
        "alternatives": item["alternatives"],
    }


@app.command("item")
def item(
    item_id: int = typer.Argument(..., help="Item id (from `chainwatch risk list`)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One risk item: explanation, evidence, affected firms, alternatives and history."""
    found = get_item(item_id)
    if json_:
        print_json(found)
        return
    console.print(
        f"[bold]#{found['id']} {found['grade']} · {found['status']}[/] {found['subject']}"
    )
    console.print(found["explanation"])
    console.print(
        f"chain {found['chain']} · segment {found['segment'] or '—'} · {found['position']} · "
        f"{found['type']} · owner {found['owner'] or '—'} · due {found['due'] or '—'}"
        + (" (overdue)" if found["overdue"] else "")
    )
    if found["affected"]:
        print_table(
            "涉及企业 / affected firms",
            ["uscc", "name", "amount 万元"],
            [
                [a.get("uscc"), a.get("name"), f"{float(a.get('amount') or 0) / 1e4:,.0f}"]
                for a in found["affected"][:10]
            ],
        )
    if found["alternatives"]:
        print_table(
            "替代供应 / alternative suppliers",
            ["where", "uscc / country", "name"],
            [
                [a.get("scope"), a.get("uscc") or a.get("country"), a.get("name")]
                for a in found["alternatives"][:10]
            ],
        )
    print_table(
        "处置记录 / history",
        ["time", "event", "status", "by", "text"],
        [
            [
                e["at"].strftime("%Y-%m-%d %H:%M") if e["at"] else "",
                EVENT_LABELS.get(e["event"], (e["event"],))[0],
                f"{e['from_status'] or ''} → {e['to_status']}" if e["to_status"] else "",
                e["actor"] or "",
                e["text"] or "",
            ]
            for e in found["history"]
        ],
    )


@app.command("update")
def update(
    item_id: int = typer.Argument(..., help="Item id."),
    status: str | None = typer.Option(
        None, "--status", help="New status: " + " / ".join(STATUSES) + "."
    ),
    owner: str | None = typer.Option(None, "--owner", help="责任人 (person or department)."),
    due: str | None = typer.Option(None, "--due", help="完成时限, YYYY-MM-DD."),
    action: str | None = typer.Option(None, "--action", help="A measure taken (一链一策)."),
    note: str | None = typer.Option(None, "--note", help="A note; required to exclude (已排除)."),
    by: str | None = typer.Option(None, "--by", help="Who makes the change."),
    json_: bool = typer.Option(False, "--json", help="Print the item as JSON."),
) -> None:
    """Change an item's status (only along 待核实 → 已确认 → 处置中 → 已销号 / 已排除), owner,
    due date, or record an action. 处置中 needs an owner and a due date; 已销号 an action."""
    if not any((status, owner, due, action, note)):
        from chainwatch.errors import ValidationError

        raise ValidationError(
            "nothing to change: give --status, --owner, --due, --action or --note."
        )
    found = update_item(
        item_id, status=status, owner=owner, due=due, action=action, note=note, actor=by
    )
    if json_:
        print_json(found)
        return
    console.print(
        f"#{found['id']} {found['status']} · owner {found['owner'] or '—'} · due "
        f"{found['due'] or '—'} · {len(found['actions'])} action(s)"
    )


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Excel file to write (.xlsx)."),
    chain: str | None = typer.Option(None, "--chain", help="Only this chain."),
) -> None:
    """Write the risk list to Excel: the list, the 四张清单, actions and history as sheets."""
    from chainwatch.risk.risk_workbook import risk_workbook

    _check_chain(chain)
    path = risk_workbook(out, chain)
    console.print(f"wrote {path}")


@app.command("views")
def views(
    chain: str | None = typer.Option(None, "--chain", help="Only this chain."),
    view: str | None = typer.Option(None, "--view", help="One of: " + ", ".join(VIEWS) + "."),
    limit: int = typer.Option(20, "--limit", min=1, help="Rows to show per list."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Chongqing's 四张清单 from the open risk items: overseas supply-cut risks, stock-up and
    global dispatch needs, domestic and low-risk-region substitutes, cross-border logistics."""
    _check_chain(chain)
    if view is not None and view not in VIEWS:
        from chainwatch.errors import ValidationError

        raise ValidationError(f"unknown view {view!r}; views are {', '.join(VIEWS)}.")
    found = build_views(chain)
    chosen = [view] if view else list(VIEWS)
    if json_:
        print_json({k: found[k] for k in chosen})
        return
    for key in chosen:
        data = found[key]
        columns = data["columns"]
        print_table(
            f"{data['title']} ({len(data['rows'])})",
            [c["label"] for c in columns],
            [[_cell(r.get(c["key"]), c["kind"]) for c in columns] for r in data["rows"][:limit]],
        )


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"{float(value):,.0f}"
    if kind == "share":
        return f"{float(value) * 100:.0f}%"
    return str(value)
