"""`chainwatch monitor`: monitoring indices (一图一指数, 税电指数)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import typer

from chainwatch.cli.output import console, print_json, print_table, progress_bar
from chainwatch.errors import ValidationError
from chainwatch.monitor.indices import Source, compute_indices, index_series
from chainwatch.monitor.settings import IndexSettings, load_index_settings

app = typer.Typer(
    help="Monitoring: sales, electricity and composite (税电) indices.", no_args_is_help=True
)

_SOURCES = ("auto", "stored", "compute")


def _settings(sales_weight: float | None, base_year: int | None) -> IndexSettings:
    settings = load_index_settings()
    if sales_weight is not None:
        settings = settings.with_sales_weight(sales_weight)
    if base_year is not None:
        settings = replace(settings, base_year=base_year).checked("--base-year")
    return settings


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _pair(row: dict[str, Any], column: str) -> str:
    sales, electricity = row[f"sales_{column}"], row[f"electricity_{column}"]
    if sales is None and electricity is None:
        return "—"
    return f"{'—' if sales is None else sales}/{'—' if electricity is None else electricity}"


@app.command("index")
def index(
    scope: str = typer.Option(
        "province",
        "--scope",
        help="province, city, county or firm (or a stored grouping such as segment).",
    ),
    code: str | None = typer.Option(
        None,
        "--code",
        help="Region code (330106) or firm 统一社会信用代码; default: every code of the scope.",
    ),
    start: str | None = typer.Option(None, "--from", help="First month, YYYY-MM."),
    end: str | None = typer.Option(None, "--to", help="Last month, YYYY-MM."),
    sales_weight: float | None = typer.Option(
        None,
        "--sales-weight",
        help="Composite weight of the sales index (0–1; electricity "
        "gets the rest). Default from monitor.yaml (0.5).",
    ),
    base_year: int | None = typer.Option(
        None, "--base-year", help="Base year of the fixed-base indices (2020)."
    ),
    fixed_base: bool = typer.Option(
        False, "--fixed-base", help="Also show the fixed-base indices."
    ),
    source: str = typer.Option(
        "auto",
        "--source",
        help="auto (stored result when current), stored, or compute (on the fly).",
    ),
    json_: bool = typer.Option(False, "--json", help="Print every column as a JSON list."),
) -> None:
    """Sales index (销售指数), electricity index (用电指数) and 税电指数 by month.

    Year-on-year, 100 = 荣枯线, over firms reporting in both years; entering (新进) and exiting
    (退出) firms are counted apart. Counts show sales/electricity. January and February also
    appear combined (YYYY-01+02). See docs/monitoring.md.
    """
    if source not in _SOURCES:
        raise ValidationError(f"--source {source!r} is not one of {', '.join(_SOURCES)}.")
    settings = _settings(sales_weight, base_year)
    rows = index_series(scope, code, start, end, settings=settings, source=cast(Source, source))
    if json_:
        print_json(rows)
        return
    several = len({r["code"] for r in rows}) > 1
    columns = [
        *(["代码 名称"] if several else []),
        "月份",
        "销售指数",
        "用电指数",
        "税电指数",
        "匹配企业数",
        "新进",
        "退出",
    ]
    if fixed_base:
        columns += ["定基销售", "定基用电", "定基税电"]
    table = []
    for r in rows:
        line = [
            *([f"{r['code']} {r['name'] or ''}".strip()] if several else []),
            r["period"],
            _number(r["sales_index"]),
            _number(r["electricity_index"]),
            _number(r["composite_index"]),
            _pair(r, "matched"),
            _pair(r, "entries"),
            _pair(r, "exits"),
        ]
        if fixed_base:
            line += [
                _number(r["fixed_base_sales"]),
                _number(r["fixed_base_electricity"]),
                _number(r["fixed_base_composite"]),
            ]
        table.append(line)
    first = rows[0]
    title = "税电指数 / indices" + ("" if several else f" — {first['code']} {first['name'] or ''}")
    print_table(title.strip(), columns, table)
    console.print(
        f"同比, 100 = 荣枯线; 企业数 = 销售/用电; 税电指数 = "
        f"{first['sales_weight']:g}×销售 + {first['electricity_weight']:g}×用电; "
        f"定基 {first['base_year']} = 100",
        highlight=False,
    )


@app.command("compute")
def compute(json_: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Compute indices for every scope and month and store them (results indices, index_cube)."""
    with progress_bar("indices", total=1) as advance:
        summary = compute_indices()
        advance(1)
    if json_:
        print_json(summary)
        return
    console.print(", ".join(f"{k}={v}" for k, v in summary.items() if k != "path"), highlight=False)


from chainwatch.cli import monitor_alerts as _alerts  # noqa: E402, F401  (early warnings)
from chainwatch.cli import monitor_rankings as _rankings  # noqa: E402, F401  (rankings)
from chainwatch.cli import monitor_reports  # noqa: E402, F401  (direct reporting commands)
