"""`chainwatch atlas`: the chain atlas (产业链图谱), segments, firms and 四清单."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from chainwatch.cli.output import console, print_json, print_table

app = typer.Typer(
    help="Chain atlas (产业链图谱): chains, segments, firm placement and 四清单. "
    "Compute it with `chainwatch run atlas`.",
    no_args_is_help=True,
)

STATUS = {"missing": "缺链", "weak": "弱链", "ok": "正常", None: "—"}


def _money(value: float | None) -> str:
    """Yuan shown in 万元, as departments read them."""
    return "—" if value is None else f"{value / 10_000:,.1f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _excel_path(value: Path | None) -> Path | None:
    return value.expanduser() if value is not None else None


@app.command("chains")
def chains(
    json_: bool = typer.Option(False, "--json", help="Print the chains and segments as JSON."),
) -> None:
    """The chains with their segments and, once computed, the firms placed in each segment."""
    from chainwatch.atlas.views import chain_list

    data = chain_list()
    if json_:
        print_json(data)
        return
    for chain in data["chains"]:
        print_table(
            f"{chain['name']} ({chain['id']})",
            ["阶段", "环节", "id", "企业数", "状态"],
            [
                [
                    s["stage"],
                    s["name"],
                    s["id"],
                    "—" if s["firms"] is None else s["firms"],
                    STATUS.get(s["status"], s["status"]),
                ]
                for s in chain["segments"]
            ],
        )
    if not data["computed"]:
        console.print("The atlas has not been computed yet: run `chainwatch run atlas`.")
    elif not all(chain["current"] for chain in data["chains"]):
        stale = ", ".join(c["id"] for c in data["chains"] if not c["current"])
        console.print(
            f"Added or changed since the atlas was computed: {stale}. "
            "Run `chainwatch run atlas` again."
        )


@app.command("show")
def show(
    chain: str = typer.Argument(..., help="Chain id or name, e.g. ic or 集成电路."),
    json_: bool = typer.Option(False, "--json", help="Print everything as JSON."),
    excel: Path | None = typer.Option(
        None, "--excel", help="Also write an Excel workbook (.xlsx) with every table."
    ),
) -> None:
    """One chain: segments with firms, output, 本地配套率 and 缺链/弱链, flows, key firms."""
    from chainwatch.atlas.exports import chain_workbook
    from chainwatch.atlas.views import chain_detail, chain_firms

    detail = chain_detail(chain)
    path = _excel_path(excel)
    if path is not None:
        firms = chain_firms(detail["chain"]["id"], per_page=1_000_000)["items"]
        chain_workbook(detail, firms, path)
    if json_:
        print_json(detail)
        return
    _print_chain(detail)
    if path is not None:
        console.print(f"Excel workbook written: {path}")


def _print_chain(detail: dict[str, Any]) -> None:
    chain, totals, window = detail["chain"], detail["totals"], detail["window"]
    console.print(
        f"[bold]{chain['name']}[/] ({chain['id']}) · {detail['province']['name']} · "
        f"{window['from']}..{window['to']} · {totals['firms']} firms · output "
        f"{_money(totals['output'])} 万元 · 本地配套率 市内 {_share(totals['local_city_ratio'])}"
        f" / 省内 {_share(totals['local_province_ratio'])}"
    )
    print_table(
        "环节 (segments; amounts in 万元)",
        ["阶段", "环节", "企业数", "产值", "投入", "进口", "市内配套率", "省内配套率", "状态"],
        [
            [
                s["stage"],
                s["name"],
                s["firms"],
                _money(s["output"]),
                _money(s["inputs"]),
                _money(s["imports"]),
                _share(s["local_city_ratio"]),
                _share(s["local_province_ratio"]),
                STATUS.get(s["status"], s["status"]),
            ]
            for s in detail["segments"]
        ],
    )
    print_table(
        "环节流向 (flows, 万元)",
        ["供方", "需方", "金额", "企业对", "定义"],
        [
            [
                f["source_name"],
                f["target_name"],
                _money(f["amount"]),
                f["links"],
                "是" if f["defined"] else "否",
            ]
            for f in detail["flows"]
        ],
    )
    print_table(
        "链主候选 (key firms: by output and by PageRank in the chain)",
        ["信用代码", "企业", "环节", "地区", "产值", "产值排名", "网络排名"],
        [
            [
                k["uscc"],
                k["name"],
                k["segment_name"],
                k["region_name"],
                _money(k["output"]),
                k["output_rank"],
                k["network_rank"],
            ]
            for k in detail["key_firms"]
        ],
    )
    gaps = [p for p in detail["key_products"] if p["import_only"]]
    if gaps:
        print_table(
            "仅靠进口的重点产品 (补链 candidates)",
            ["环节", "产品", "HS", "进口额", "第一来源国", "占比"],
            [
                [
                    p["segment_name"],
                    p["product"],
                    ",".join(p["hs_codes"]),
                    _money(p["imports"]),
                    p["top_country_name"],
                    _share(p["top_country_share"]),
                ]
                for p in gaps
            ],
        )


@app.command("segment")
def segment(
    chain: str = typer.Argument(..., help="Chain id or name."),
    segment_id: str = typer.Argument(..., metavar="SEGMENT", help="Segment id, e.g. fab."),
    json_: bool = typer.Option(False, "--json", help="Print everything as JSON."),
) -> None:
    """One segment: its firms, suppliers and customers by segment, 本地配套率."""
    from chainwatch.atlas.views import segment_detail

    detail = segment_detail(chain, segment_id)
    if json_:
        print_json(detail)
        return
    seg, metrics = detail["segment"], detail["metrics"]
    console.print(
        f"[bold]{detail['chain']['name']} › {seg['name']}[/] ({seg['stage']}) · "
        f"{metrics['firms']} firms · 市内配套率 {_share(metrics['local_city_ratio'])} · "
        f"省内配套率 {_share(metrics['local_province_ratio'])} · "
        f"{STATUS.get(metrics['status'], metrics['status'])}"
    )
    print_table(
        "企业 (firms, 万元)",
        ["信用代码", "企业", "地区", "产值", "投入", "省内配套率"],
        [
            [
                f["uscc"],
                f["name"],
                f["region_name"],
                _money(f["output"]),
                _money(f["inputs"]),
                _share(f["local_province_ratio"]),
            ]
            for f in detail["firms"]
        ],
    )
    for key, title in (("suppliers", "供方 (suppliers)"), ("customers", "需方 (customers)")):
        print_table(
            title,
            ["类别", "来源", "金额(万元)", "占比", "企业数"],
            [
                [p["kind"], p["label"], _money(p["amount"]), _share(p["share"]), p["partners"]]
                for p in detail[key][:20]
            ],
        )


@app.command("lists")
def lists(
    credit_code: str = typer.Argument(..., help="The firm's 统一社会信用代码."),
    start: str | None = typer.Option(None, "--from", help="First month, YYYY-MM."),
    end: str | None = typer.Option(None, "--to", help="Last month, YYYY-MM (default: latest)."),
    json_: bool = typer.Option(False, "--json", help="Print the four lists as JSON."),
    excel: Path | None = typer.Option(None, "--excel", help="Also write an Excel workbook."),
) -> None:
    """四清单: the firm's suppliers 市内 / 省内 / 省外 / 境外 with amounts and shares
    (default: the latest 12 months of the links)."""
    from chainwatch.atlas.exports import supplier_lists_workbook
    from chainwatch.atlas.supplier_lists import supplier_lists

    data = supplier_lists(credit_code, start, end)
    path = _excel_path(excel)
    if path is not None:
        supplier_lists_workbook(data, path)
    if json_:
        print_json(data)
        return
    firm, period = data["firm"], data["period"]
    console.print(
        f"[bold]{firm['name']}[/] ({firm['uscc']}) · {period['from']}..{period['to']} · "
        f"inputs {_money(data['total'])} 万元"
    )
    print_table(
        "四清单",
        ["清单", "金额(万元)", "占比", "供应方"],
        [[x["label"], _money(x["amount"]), _share(x["share"]), x["count"]] for x in data["lists"]],
    )
    for item in data["lists"]:
        if not item["items"]:
            continue
        if item["key"] == "foreign":
            print_table(
                f"{item['label']}",
                ["国家", "HS", "产品", "金额(万元)", "占比"],
                [
                    [
                        r["country_name"],
                        r["hs_code"],
                        r["product"] or "",
                        _money(r["amount"]),
                        _share(r["share"]),
                    ]
                    for r in item["items"]
                ],
            )
        else:
            print_table(
                f"{item['label']}",
                ["信用代码", "企业", "地区", "金额(万元)", "占比"],
                [
                    [
                        r["uscc"],
                        r["name"] or "",
                        (r["region"] or {}).get("name", ""),
                        _money(r["amount"]),
                        _share(r["share"]),
                    ]
                    for r in item["items"][:30]
                ],
            )
    if path is not None:
        console.print(f"Excel workbook written: {path}")


@app.command("firm")
def firm(
    credit_code: str = typer.Argument(..., help="The firm's 统一社会信用代码."),
    json_: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """产业链位置: the segments a firm sits in, with its points and ranks."""
    from chainwatch.atlas.positions import firm_positions
    from chainwatch.atlas.results import require_atlas
    from chainwatch.atlas.supplier_lists import require_firm

    uscc = require_firm(credit_code)
    require_atlas()
    data = firm_positions(uscc)
    if json_:
        print_json(data)
        return
    print_table(
        f"产业链位置 {uscc}",
        ["产业链", "环节", "阶段", "得分", "来源", "主环节", "产值排名", "网络排名"],
        [
            [
                p["chain_name"],
                p["segment_name"],
                p["stage"],
                f"{p['score']:.2f}",
                p["source"],
                "主" if p["main"] else ("链内主" if p["chain_main"] else ""),
                p["output_rank"] or "",
                p["network_rank"] or "",
            ]
            for p in data
        ],
    )


@app.command("unplaced")
def unplaced(
    chain: str | None = typer.Argument(None, help="Chain id or name; default: every chain."),
    json_: bool = typer.Option(False, "--json", help="Print as JSON."),
    excel: Path | None = typer.Option(None, "--excel", help="Also write an Excel workbook."),
) -> None:
    """Firms of a chain's industries that no segment took: review them and place them with
    the override list (CHAINWATCH_HOME/atlas/overrides.csv)."""
    from chainwatch.atlas.exports import unplaced_workbook
    from chainwatch.atlas.positions import unplaced_firms
    from chainwatch.atlas.results import require_atlas

    require_atlas()
    data = unplaced_firms(chain)
    path = _excel_path(excel)
    if path is not None:
        unplaced_workbook(data, path)
    if json_:
        print_json(data)
        return
    print_table(
        f"未归链企业 ({len(data)})",
        ["产业链", "信用代码", "企业", "行业", "最接近的环节", "得分"],
        [
            [
                r["chain_name"],
                r["uscc"],
                r["name"] or "",
                f"{r['industry_code'] or ''} {r['industry_name'] or ''}".strip(),
                r["segment_name"] or "",
                f"{r['score']:.2f}",
            ]
            for r in data
        ],
    )
