"""planted.json, PLANTED.md and the ground-truth files written next to the data files.

planted.json is what later tests read to check that analyses find the planted weaknesses;
PLANTED.md says the same for people. truth/ holds each firm's true chain segment and the list
of out-of-province suppliers, which appear in invoices.csv but not in enterprises.csv.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainwatch.synth.customs import CustomsRecords
from chainwatch.synth.firms import ExternalFirms, Firms
from chainwatch.synth.geography import Geography
from chainwatch.synth.planted import (
    COLLAPSE_LEVEL,
    INTERRUPTION_COUNTRY,
    INTERRUPTION_HS,
    INTERRUPTION_PRODUCT,
    PHOTORESIST_COUNTRY,
    PHOTORESIST_HS,
    PHOTORESIST_PRODUCT,
    Planted,
)
from chainwatch.synth.templates import Segment
from chainwatch.synth.writer import text, write_csv


@dataclass
class Context:
    options: Any
    labels: list[str]
    segments: tuple[Segment, ...]
    geo: Geography
    firms: Firms
    external: ExternalFirms
    planted: Planted
    records: CustomsRecords
    links: int
    rows: dict[str, int]


def planted_ids(planted: Planted) -> list[str]:
    ids = ["single_foreign_source"] if len(planted.importers) else []
    if planted.collapse_months:
        ids.append("county_electricity_collapse")
    if planted.interruption_firm is not None:
        ids.append("import_interruption")
    return ids


def _monthly(ctx: Context, mask: np.ndarray) -> dict[str, float]:
    totals = np.bincount(
        ctx.records.month[mask], weights=ctx.records.cents[mask], minlength=len(ctx.labels)
    )
    return {label: round(float(v) / 100, 2) for label, v in zip(ctx.labels, totals, strict=True)}


def describe(ctx: Context) -> dict[str, Any]:
    firms, planted, geo = ctx.firms, ctx.planted, ctx.geo
    records = ctx.records
    keys = [ctx.segments[s].key for s in firms.segment]
    weaknesses: list[dict[str, Any]] = []
    if len(planted.importers):
        mask = (records.hs == PHOTORESIST_HS) & ~records.is_export
        importers = sorted(firms.codes[i] for i in planted.importers)
        weaknesses.append(
            {
                "id": "single_foreign_source",
                "chain": "集成电路",
                "segment": "半导体材料",
                "product": PHOTORESIST_PRODUCT,
                "hs_code": PHOTORESIST_HS,
                "country": PHOTORESIST_COUNTRY,
                "country_share": 1.0,
                "importers": importers,
                "importer_segments": {
                    firms.codes[i]: ctx.segments[firms.segment[i]].name
                    for i in sorted(planted.importers.tolist(), key=lambda i: firms.codes[i])
                },
                "domestic_suppliers": 0,
                "monthly_imports_yuan": _monthly(ctx, mask),
                "expected": "every import of HS 370790 comes from JP, every month; no firm in "
                "enterprises.csv or among invoice sellers makes photoresist",
            }
        )
    if planted.collapse_months and planted.collapse_county is not None:
        county = planted.collapse_county
        first = planted.collapse_months[0]
        last = planted.collapse_months[-1]
        weaknesses.append(
            {
                "id": "county_electricity_collapse",
                "county_code": geo.county_codes[county],
                "county_name": geo.county_names[county],
                "city_code": geo.city_codes[int(geo.county_city[county])],
                "months": [ctx.labels[t] for t in planted.collapse_months],
                "baseline_months": ctx.labels[max(0, first - 6) : first],
                "recovery_month": ctx.labels[last + 1] if last + 1 < len(ctx.labels) else None,
                "level_range": list(COLLAPSE_LEVEL),
                "firms": sorted(firms.codes[i] for i in planted.collapse_firms),
                "expected": "each listed firm's electricity (and sales) in the listed months is "
                "about 10–25 % of its mean over baseline_months, then recovers",
            }
        )
    if planted.interruption_firm is not None and planted.interruption_stop is not None:
        f = planted.interruption_firm
        stop = planted.interruption_stop
        mask = (
            (records.hs == INTERRUPTION_HS)
            & ~records.is_export
            & (records.firm == f)
            & (records.country == INTERRUPTION_COUNTRY)
        )
        weaknesses.append(
            {
                "id": "import_interruption",
                "firm": firms.codes[f],
                "firm_name": firms.names[f],
                "segment": ctx.segments[firms.segment[f]].name,
                "chain": ctx.segments[firms.segment[f]].chain,
                "product": INTERRUPTION_PRODUCT,
                "hs_code": INTERRUPTION_HS,
                "country": INTERRUPTION_COUNTRY,
                "steady_months": ctx.labels[:stop],
                "last_import_month": ctx.labels[stop - 1],
                "first_zero_month": ctx.labels[stop],
                "zero_months": ctx.labels[stop:],
                "monthly_imports_yuan": _monthly(ctx, mask),
                "expected": "imports of HS 848340 from JP by this firm every month until "
                "last_import_month, none from first_zero_month on",
            }
        )
    external_regions = sorted({ctx.geo.external_codes[p] for p in ctx.external.place})
    return {
        "generator": {
            "command": "chainwatch demo-data",
            "seed": ctx.options.seed,
            "firms": ctx.options.firms,
            "months": ctx.options.months,
            "start": ctx.labels[0],
            "end": ctx.labels[-1],
        },
        "files": dict(ctx.rows),
        "notes": {
            "out_of_province_suppliers": {
                "count": len(ctx.external.codes),
                "region_codes": external_regions,
                "note": "these sellers appear in invoices.csv only, not in enterprises.csv; "
                "truth/external_suppliers.csv lists them",
            },
            "power_supply": (
                "one firm per city (行业代码 D4420) bills electricity monthly (商品名称 *电*电力) "
                "to every firm with its own meter: industrial and 规上 firms"
            ),
            "sales_identity": "销售额 = Σ invoices.csv 金额 as seller + customs 出口 金额 + other "
            "sales not in any file (≥ 3 % of output), to the cent",
            "links": ctx.links,
            "segments_without_firms": [s.name for s, k in _segment_counts(ctx, keys) if k == 0],
        },
        "weaknesses": weaknesses,
    }


def _segment_counts(ctx: Context, keys: list[str]) -> list[tuple[Segment, int]]:
    counts = {k: 0 for k in (s.key for s in ctx.segments)}
    for key in keys:
        counts[key] += 1
    return [(s, counts[s.key]) for s in ctx.segments]


def render_markdown(description: dict[str, Any]) -> str:
    g = description["generator"]
    out = [
        "# Planted weaknesses",
        "",
        f"Synthetic province from `chainwatch demo-data --firms {g['firms']} --months "
        f"{g['months']} --seed {g['seed']} --start {g['start']}` ({g['start']} … {g['end']}).",
        "The same facts in machine-readable form are in `planted.json`.",
        "",
    ]
    for item in description["weaknesses"]:
        if item["id"] == "single_foreign_source":
            out += [
                "## (a) Single foreign source: ArF 光刻胶",
                "",
                f"{len(item['importers'])} firms of 集成电路 (晶圆制造, 封装测试) import "
                f"{item['product']} (HS {item['hs_code']}) every month, all of it from "
                f"{item['country']}. No firm in the province and no out-of-province supplier "
                "makes photoresist: there is no domestic alternative.",
                "",
                "| 统一社会信用代码 | 环节 |",
                "|---|---|",
                *[f"| {code} | {seg} |" for code, seg in item["importer_segments"].items()],
                "",
            ]
        elif item["id"] == "county_electricity_collapse":
            out += [
                f"## (b) County electricity collapse: {item['county_name']} "
                f"({item['county_code']})",
                "",
                f"All {len(item['firms'])} firms of the county run at "
                f"{int(item['level_range'][0] * 100)}–{int(item['level_range'][1] * 100)} % "
                f"of normal in {', '.join(item['months'])}: electricity, output, sales, "
                "exports and imports fall together, and their suppliers sell them less. "
                f"Baseline: {', '.join(item['baseline_months'])}. Recovery from "
                f"{item['recovery_month']}.",
                "",
            ]
        elif item["id"] == "import_interruption":
            out += [
                f"## (c) Import interruption: {item['product']} from {item['country']}",
                "",
                f"{item['firm_name']} ({item['firm']}, {item['chain']} / {item['segment']}) "
                f"imports HS {item['hs_code']} from {item['country']} every month from "
                f"{item['steady_months'][0]} to {item['last_import_month']}, and nothing from "
                f"{item['first_zero_month']} to {item['zero_months'][-1]}.",
                "",
            ]
    notes = description["notes"]
    out += [
        "## Things to know",
        "",
        f"- {notes['out_of_province_suppliers']['count']} invoice sellers are registered "
        "outside Zhejiang (region codes "
        f"{', '.join(notes['out_of_province_suppliers']['region_codes'])}); they are not in "
        "enterprises.csv (see truth/external_suppliers.csv).",
        f"- {notes['power_supply']}.",
        f"- {notes['sales_identity']}.",
        "",
    ]
    return "\n".join(out)


def write_manifest(out: Path, ctx: Context) -> dict[str, int]:
    description = describe(ctx)
    truth = out / "truth"
    truth.mkdir(exist_ok=True)
    firms, segments = ctx.firms, ctx.segments
    chain = [segments[s].chain or "" for s in firms.segment]
    name = [segments[s].name for s in firms.segment]
    key = [segments[s].key for s in firms.segment]
    n = write_csv(
        truth / "firm_segments.csv",
        ("统一社会信用代码", "产业链", "环节", "环节键"),
        lambda rows: [
            text(firms.codes[rows]),
            text(chain[rows]),
            text(name[rows]),
            text(key[rows]),
        ],
        len(firms),
    )
    ext = ctx.external
    region = [ctx.geo.external_codes[p] for p in ext.place]
    ext_chain = [segments[s].chain or "" for s in ext.segment]
    ext_name = [segments[s].name for s in ext.segment]
    k = write_csv(
        truth / "external_suppliers.csv",
        ("统一社会信用代码", "企业名称", "行政区划代码", "产业链", "环节"),
        lambda rows: [
            text(ext.codes[rows]),
            text(ext.names[rows]),
            text(region[rows]),
            text(ext_chain[rows]),
            text(ext_name[rows]),
        ],
        len(ext.codes),
    )
    (out / "PLANTED.md").write_text(render_markdown(description), encoding="utf-8")
    # planted.json goes last: its presence tells callers that the province is complete.
    (out / "planted.json").write_text(
        json.dumps(description, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return {
        "planted.json": len(description["weaknesses"]),
        "truth/firm_segments.csv": n,
        "truth/external_suppliers.csv": k,
    }
