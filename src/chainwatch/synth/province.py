"""Generate a synthetic province: firms, links, invoices, customs, indicators, planted weaknesses.

Every random draw comes from one numpy SeedSequence split into independent streams per stage,
so the same options always give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from chainwatch.errors import ValidationError
from chainwatch.synth import manifest, seasons, tables
from chainwatch.synth.activity import simulate_activity
from chainwatch.synth.customs import customs_records, draw_trade
from chainwatch.synth.firms import POWER_KEY, build_external_firms, build_firms, set_power_sales
from chainwatch.synth.geography import load_geography
from chainwatch.synth.indicators import compute_indicators
from chainwatch.synth.invoices import concatenate, invoiced_sales, link_lines, power_lines
from chainwatch.synth.network import draw_links
from chainwatch.synth.planted import plant
from chainwatch.synth.templates import all_segments, input_matrix

MIN_FIRMS = 50
MAX_MONTHS = 120
MEAN_DEGREE = 11.0
EXTERNAL_SHARE = 0.04
STAGES = 9

_START = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class ProvinceOptions:
    firms: int = 20_000
    months: int = 36
    seed: int = 2020
    start: str = "2019-01"


def parse_start(value: str) -> tuple[int, int]:
    """'YYYY-MM' → (year, month), within the years whose Spring Festival dates are known."""
    match = _START.fullmatch(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(
            f"start month {value!r} is not in the form YYYY-MM; use e.g. --start 2019-01"
        )
    year, month = int(match.group(1)), int(match.group(2))
    if year < seasons.FIRST_YEAR:
        raise ValidationError(
            f"start month {value} is before {seasons.FIRST_YEAR}-01; the generator knows Spring "
            f"Festival dates from {seasons.FIRST_YEAR} to {seasons.LAST_YEAR}"
        )
    return year, month


def validate_options(options: ProvinceOptions) -> tuple[int, int]:
    if options.firms < MIN_FIRMS:
        raise ValidationError(
            f"--firms is {options.firms}; at least {MIN_FIRMS} firms are needed for a province "
            "with every planted weakness. Use e.g. --firms 300"
        )
    if not 1 <= options.months <= MAX_MONTHS:
        raise ValidationError(
            f"--months is {options.months}; expected 1 to {MAX_MONTHS}. Use e.g. --months 36"
        )
    if options.seed < 0:
        raise ValidationError(f"--seed is {options.seed}; expected a whole number ≥ 0")
    start = parse_start(options.start)
    last = seasons.month_list(start, options.months)[-1]
    if last[0] > seasons.LAST_YEAR:
        raise ValidationError(
            f"{options.months} months from {options.start} end in {last[0]}-{last[1]:02d}, after "
            f"{seasons.LAST_YEAR}-12, the last year with known Spring Festival dates; start "
            "earlier or ask for fewer months"
        )
    return start


def generate_province(
    out: Path, options: ProvinceOptions, step: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Write the province into ``out`` and return a summary (files and row counts)."""
    start = validate_options(options)
    report = step or (lambda _: None)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(options.seed).spawn(12)]
    out.mkdir(parents=True, exist_ok=True)
    # A stale planted.json would claim a finished province while this one is being written.
    (out / "planted.json").unlink(missing_ok=True)

    report("firms")
    segments = all_segments()
    geo = load_geography()
    periods = seasons.month_list(start, options.months)
    labels = seasons.month_labels(periods)
    days = np.array([seasons.days_in(p) for p in periods])
    firms = build_firms(segments, geo, options.firms, dt.date(*start, 1), streams[0])
    set_power_sales(segments, firms, geo)
    n = len(firms)
    external = build_external_firms(
        segments, geo, max(5, round(n * EXTERNAL_SHARE)), set(firms.codes), streams[1]
    )

    report("planted weaknesses and trade")
    planted = plant(segments, firms, geo, periods, streams[2])
    trade = draw_trade(segments, firms, planted, options.months, streams[3])

    report("supply network")
    links = draw_links(
        segments,
        input_matrix(segments),
        firms,
        external,
        geo,
        MEAN_DEGREE,
        trade.export_share,
        streams[4],
    )

    report("monthly activity")
    seller_sales = np.concatenate([firms.sales, external.sales])
    kwh = np.array([s.kwh for s in segments])[firms.segment]
    activity = simulate_activity(
        periods, seller_sales, n, planted.collapse_matrix(n, options.months), kwh, streams[5]
    )

    report("invoices")
    product_names, tax_codes, offsets = _product_tables(segments)
    seller_seg = np.concatenate([firms.segment, external.segment])
    seller_vat = np.array([s.vat for s in segments])[seller_seg]
    link_product = _link_products(segments, firms, seller_seg, offsets, links.seller, n, streams[6])
    power = next(i for i, s in enumerate(segments) if s.key == POWER_KEY)
    power_of_city = {
        int(geo.county_city[firms.county[i]]): int(i)
        for i in np.flatnonzero(firms.segment == power)
    }
    power_firm_of = np.array(
        [
            -1
            if firms.segment[i] == power
            else power_of_city[int(geo.county_city[firms.county[i]])]
            for i in range(n)
        ]
    )
    industrial = np.array([s.industrial for s in segments])[firms.segment]
    lines = concatenate(
        [
            link_lines(
                links, activity, seller_sales, seller_vat, link_product, n, days, streams[7]
            ),
            power_lines(
                activity,
                power_firm_of,
                industrial,
                industrial | (np.array(firms.scale) == "规上"),
                int(offsets[power]),
                days,
                streams[8],
            ),
        ]
    )
    invoiced = invoiced_sales(lines, n, options.months)

    report("customs")
    records, exports, imports = customs_records(trade, activity, periods, days, streams[9])

    report("indicators")
    values = compute_indicators(segments, firms, activity, invoiced, exports, imports, streams[10])

    report("writing files")
    codes = pa.array(firms.codes + external.codes, type=pa.large_string())
    dates = tables.date_table(labels)
    rows = {
        "enterprises.csv": tables.write_enterprises(out / "enterprises.csv", firms, geo),
        "invoices.csv": tables.write_invoices(
            out / "invoices.csv",
            lines,
            codes,
            pa.array(product_names, type=pa.large_string()),
            pa.array(tax_codes, type=pa.large_string()),
            dates,
        ),
        "customs.csv": tables.write_customs(out / "customs.csv", records, codes, dates),
        "indicators.csv": tables.write_indicators(
            out / "indicators.csv", values, codes, pa.array(labels, type=pa.large_string())
        ),
    }

    report("planted weaknesses report")
    context = manifest.Context(
        options=options,
        labels=labels,
        segments=segments,
        geo=geo,
        firms=firms,
        external=external,
        planted=planted,
        records=records,
        links=len(links.seller),
        rows=rows,
    )
    rows.update(manifest.write_manifest(out, context))
    degree = np.bincount(links.seller[links.seller < n], minlength=n)
    return {
        "out": str(out),
        "firms": n,
        "months": options.months,
        "start": labels[0],
        "end": labels[-1],
        "seed": options.seed,
        "external_suppliers": len(external.codes),
        "links": len(links.seller),
        "mean_out_degree": round(float(degree.mean()), 2),
        "max_out_degree": int(degree.max()),
        "planted": manifest.planted_ids(planted),
        "files": rows,
    }


def _product_tables(segments: tuple[Any, ...]) -> tuple[list[str], list[str], np.ndarray]:
    names: list[str] = []
    codes: list[str] = []
    offsets = []
    for segment in segments:
        offsets.append(len(names))
        for k, product in enumerate(segment.products):
            names.append(product)
            codes.append((segment.tax_code + f"{k + 1:02d}").ljust(19, "0"))
    return names, codes, np.array(offsets)


def _link_products(
    segments: tuple[Any, ...],
    firms: Any,
    seller_seg: np.ndarray,
    offsets: np.ndarray,
    seller: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Each link sells the seller's main product (three times in four) or another of its
    segment's products."""
    counts = np.array([len(s.products) for s in segments])[seller_seg[seller]]
    other = (rng.random(len(seller)) * counts).astype(np.int64)
    main = np.where(seller < n, firms.product[np.minimum(seller, n - 1)], other)
    use_main = rng.random(len(seller)) < 0.75
    return offsets[seller_seg[seller]] + np.where(use_main, main, other)
