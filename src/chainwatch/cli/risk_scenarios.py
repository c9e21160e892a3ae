"""`chainwatch risk scenario|scenarios|compare|top`: cut-off scenarios and the most critical
firms, on the network the risk stage stored (`chainwatch run risk`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chainwatch.cli.output import console, print_json, print_table
from chainwatch.cli.risk import app
from chainwatch.risk.scenario_spec import read_spec
from chainwatch.risk.scenario_store import compare_results, list_results, run_and_save
from chainwatch.risk.views import comparison_view, scenario_view, top_firms

ROWS = 10


def _pct(value: float) -> str:
    return f"{100.0 * value:.1f}%"


def _wan(value: float) -> str:
    return f"{value / 10_000:,.0f}"


def _print_scenario(view: dict[str, Any]) -> None:
    totals = view["totals"]
    window = view["window"]
    console.print(
        f"[bold]{view['name']}[/] ({view['id']}): the province loses {_pct(totals['esri'])} of "
        f"its production ({_wan(totals['loss'])} 万元 over {window['from']}..{window['to']}); "
        f"{totals['firms_hit']:,} firms lose ≥ {_pct(view['settings']['hit_loss'])}; "
        f"{totals['rounds']} rounds."
        + (" Replaced the earlier result." if view["replaced"] else "")
    )
    print_table(
        "冲击 / shocks",
        ["kind", "target", "name", "capacity", "nodes"],
        [
            [a["kind"], a["target"], a["label"] or "", f"{a['capacity']:g}%", a["nodes"]]
            for a in view["applied"]
        ],
    )
    print_table(
        "产业链损失 / losses by chain",
        ["chain", "loss 万元", "share", "firms hit"],
        [
            [r["name"], _wan(r["loss"]), _pct(r["share"]), r["firms_hit"]]
            for r in view["chains"][:ROWS]
            if r["loss"] > 0
        ],
    )
    print_table(
        "环节损失 / losses by segment",
        ["chain", "segment", "loss 万元", "share", "firms hit"],
        [
            [r["chain_name"], r["name"], _wan(r["loss"]), _pct(r["share"]), r["firms_hit"]]
            for r in view["segments"][:ROWS]
            if r["loss"] > 0
        ],
    )
    print_table(
        "区县损失 / losses by county",
        ["county", "loss 万元", "share", "firms hit"],
        [
            [r["name"], _wan(r["loss"]), _pct(r["share"]), r["firms_hit"]]
            for r in view["counties"][:ROWS]
            if r["loss"] > 0
        ],
    )
    print_table(
        "最先受冲击的企业 / firms hit first",
        ["round", "firm", "segment", "loss"],
        [
            [r["round"], r["label"], r["segment_name"] or "", _pct(r["loss_share"])]
            for r in view["first_hits"][:ROWS]
        ],
    )


@app.command("scenario")
def scenario(
    file: Path = typer.Argument(..., help="Scenario file (YAML); format: docs/scenarios.md."),
    name: str | None = typer.Option(
        None, "--name", help="Save under this name (default: the file's name: field, or its stem)."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
) -> None:
    """Run a cut-off scenario (firms, regions, countries, segments, products at a remaining
    capacity) on the province network, save it under its name and show the losses."""
    spec = read_spec(file)
    summary = run_and_save(spec, name or spec.name or file.stem)
    view = scenario_view(summary)
    if json_:
        print_json(view)
        return
    _print_scenario(view)


@app.command("scenarios")
def scenarios(
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Saved scenarios, newest first."""
    found = list_results()
    if json_:
        print_json({"scenarios": found})
        return
    print_table(
        "已保存的情景 / saved scenarios",
        ["name", "id", "created", "window", "loss", "firms hit"],
        [
            [
                s["name"],
                s["id"],
                (s["created_at"] or "")[:16],
                f"{s['window']['from']}..{s['window']['to']}",
                _pct(s["totals"]["esri"]),
                s["totals"]["firms_hit"],
            ]
            for s in found
        ],
    )


@app.command("compare")
def compare(
    names: list[str] = typer.Argument(..., help="Two to six saved scenarios (names or ids)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Saved scenarios side by side: total loss, and losses by chain and segment."""
    data = comparison_view(compare_results(names))
    if json_:
        print_json(data)
        return
    titles = [s["name"] for s in data["scenarios"]]
    if not data["same_window"]:
        console.print("note: the scenarios were computed on different windows.")
    print_table(
        "合计 / totals",
        ["", *titles],
        [
            ["loss", *[_pct(s["totals"]["esri"]) for s in data["scenarios"]]],
            ["firms hit", *[s["totals"]["firms_hit"] for s in data["scenarios"]]],
        ],
    )
    print_table(
        "产业链损失 / losses by chain",
        ["chain", *titles],
        [[r["name"], *[_pct(v) for v in r["share"]]] for r in data["chains"][:ROWS]],
    )
    print_table(
        "环节损失 / losses by segment",
        ["segment", *titles],
        [
            [f"{r['chain_name']} · {r['name']}", *[_pct(v) for v in r["share"]]]
            for r in data["segments"][:ROWS]
        ],
    )


@app.command("top")
def top(
    chain: str | None = typer.Option(
        None, "--chain", help="Chain id: the firms whose failure would cost this chain most."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="How many to show."),
    firms_only: bool = typer.Option(
        False, "--firms-only", help="Leave out foreign suppliers and firms outside the registry."
    ),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The most systemically critical firms (highest ESRI), or those of one chain."""
    data = top_firms(chain, limit, firms_only=firms_only)
    if json_:
        print_json(data)
        return
    window = data["window"]
    title = "ESRI 最高 / highest ESRI" + (f" · {data['chain']['name']}" if data["chain"] else "")
    columns = ["rank", "firm", "kind", "region", "esri", "down", "up"]
    if data["chain"]:
        columns += ["chain loss"]
    rows = []
    for r in data["firms"]:
        row = [
            r["rank"] if r["rank"] is not None else "",
            r["label"],
            r["kind"],
            r["region_name"] or r["country_name"] or "",
            f"{r['esri']:.4f}",
            f"{r['esri_downstream']:.4f}",
            f"{r['esri_upstream']:.4f}",
        ]
        if data["chain"]:
            row.append(_pct(r["chain_share"]))
        rows.append(row)
    print_table(f"{title} ({window['from']}..{window['to']})", columns, rows)
