"""`chainwatch chains`: list, show, check and add chain definitions (产业链)."""

from __future__ import annotations

from pathlib import Path

import typer

from chainwatch.atlas.chains import (
    STAGES,
    Chain,
    add_chain,
    get_chain,
    load_chains,
    shipped_chains,
    user_chain_files,
    validate_chain_file,
)
from chainwatch.cli.output import console, print_json, print_table

app = typer.Typer(
    help="Chain definitions (产业链): list, show, check and add chains. See docs/chains.md.",
    no_args_is_help=True,
)

_ORIGIN = {"shipped": "内置 shipped", "user": "用户 user"}


def _bottlenecks(chain: Chain) -> str:
    segments = sum(s.bottleneck for s in chain.segments)
    products = sum(p.bottleneck for s in chain.segments for p in s.key_products)
    return f"{segments}/{products}"


def _stages(chain: Chain) -> str:
    return " / ".join(f"{stage} {len(chain.segments_in(stage))}" for stage in STAGES)


@app.command("list")
def list_(
    json_: bool = typer.Option(
        False, "--json", help="Print each chain with its segments (id, name, stage) as JSON."
    ),
) -> None:
    """List every chain: the shipped flagship chains, then those added by users."""
    chains = load_chains()
    if json_:
        print_json([chain.summary() for chain in chains.values()])
        return
    print_table(
        "产业链 / chains",
        [
            "id",
            "名称 name",
            "环节 segments",
            "上游 / 中游 / 下游",
            "卡脖子 环节/产品",
            "来源 origin",
        ],
        [
            [
                chain.id,
                chain.name,
                len(chain.segments),
                _stages(chain),
                _bottlenecks(chain),
                _ORIGIN[chain.origin],
            ]
            for chain in chains.values()
        ],
    )


@app.command("show")
def show(
    chain_id: str = typer.Argument(..., help="Chain id (ic) or Chinese name (集成电路)."),
    json_: bool = typer.Option(False, "--json", help="Print the whole definition as JSON."),
) -> None:
    """Show one chain: its segments by stage, placement rules, key products and flows."""
    chain = get_chain(chain_id)
    if json_:
        print_json(chain.to_dict())
        return
    console.print(f"[bold]{chain.name}[/] ({chain.id}, {chain.name_en}) — {_ORIGIN[chain.origin]}")
    if chain.description:
        console.print(chain.description, highlight=False)
    print_table(
        "环节 / segments",
        ["id", "名称 name", "阶段 stage", "行业代码 codes", "关键词 keywords", "HS", "卡脖子"],
        [
            [
                s.id,
                s.name,
                s.stage,
                " ".join(s.industry_codes),
                "、".join(s.keywords[:6]) + (" …" if len(s.keywords) > 6 else ""),
                " ".join(s.hs_codes[:5]) + (" …" if len(s.hs_codes) > 5 else ""),
                "是" if s.bottleneck else "",
            ]
            for stage in STAGES
            for s in chain.segments_in(stage)
        ],
    )
    products = [(s, p) for s in chain.segments for p in s.key_products]
    if products:
        print_table(
            "关键产品 / key products",
            ["环节 segment", "产品 product", "HS", "卡脖子", "说明 note"],
            [
                [s.name, p.name, " ".join(p.hs_codes), "是" if p.bottleneck else "", p.note]
                for s, p in products
            ],
        )
    names = {s.id: s.name for s in chain.segments}
    print_table(
        "供应流向 / flows (from supplies to)",
        ["from", "to", "说明 note"],
        [[names[f.source], names[f.target], f.note] for f in chain.flows],
    )


@app.command("check")
def check(
    file: Path = typer.Argument(..., help="Chain YAML file to validate."),
) -> None:
    """Validate a chain file without adding it; every problem is listed with its line."""
    chain = validate_chain_file(file)
    console.print(
        f"OK: chain '{chain.id}' ({chain.name}): {len(chain.segments)} segments "
        f"({_stages(chain)}), {len(chain.flows)} flows",
        highlight=False,
    )
    if chain.id in shipped_chains():
        console.print(
            f"note: '{chain.id}' is a shipped chain; adding this file needs --replace",
            highlight=False,
        )
    elif chain.id in user_chain_files():
        console.print(
            f"note: '{chain.id}' was already added; adding this file again needs --replace",
            highlight=False,
        )


@app.command("add")
def add(
    file: Path = typer.Argument(..., help="Chain YAML file to add."),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="Replace a shipped or already added chain with the same id.",
    ),
) -> None:
    """Validate a chain file and add it to CHAINWATCH_HOME/chains."""
    chain = add_chain(file, replace=replace)
    console.print(
        f"added chain '{chain.id}' ({chain.name}): {len(chain.segments)} segments, "
        f"{len(chain.flows)} flows → {chain.path}",
        highlight=False,
    )
