"""Benchmark: the atlas stage on a synthetic province, DuckDB against Spark, same data, same run.

    python benchmarks/atlas.py                                   # 1,000,000 firms, 10 M links
    python benchmarks/atlas.py --firms 20000 --links 200000      # a quick look
    python benchmarks/atlas.py --firms 100000 --links 1000000 --engines duckdb --keep atlas-bench/

First it generates a province (timed on its own; not part of any figure) and writes it as the
Parquet files the atlas reads, in the layout of a CHAINWATCH_HOME lake:

  lake/enterprises.parquet          the registry snapshot: the firms of chainwatch's synthetic
                                    province generator (chainwatch.synth.firms: real Zhejiang
                                    county codes, GB/T 4754 classes of the chain segments,
                                    经营范围 with the segments' keywords, valid credit codes)
  lake/results/links.parquet        --links supplier–customer–month rows over 12 months
  lake/invoices/batch=M/part-0.parquet   the invoice lines the links add up to, one batch a month
  lake/customs/batch=1/part-0.parquet    imports of the segments' key inputs, exports

Links: distinct supplier–customer pairs drawn Chung–Lu style from Pareto propensities given to
the firms in the order of their sales (customers Pareto(2), suppliers Pareto(1.5): big firms are
hubs, degrees follow a power law); the supplier's segment comes from the customer segment's row
of the generator's input matrix (chain flows plus generic inputs such as logistics), and 45 % of
the pairs stay in the customer's city where that segment has firms there. About an eighth of
the link-months come from suppliers registered outside the province (in the links, not in the
registry). Each pair trades in 1 + Binomial(11, q) of the 12 months, q ~ Beta(0.5, 0.5)
(sporadic and steady partners); the annual amount is √(S_supplier · S_customer) ·
lognormal(0, 1), scaled so that a customer buys (1 − value-added ratio) · 0.7 of its sales,
spread over its months with lognormal(0, 0.3) noise. A link-month is 1 + Poisson(0.25) invoice
lines that add up to it exactly; lines name the seller's main product three times in four.
Electricity is left out (the power supplier of a city would invoice every firm every month).

Then, each in its own child process so that its peak memory is its own:

  duckdb    chainwatch's DuckDB engine: aggregate_links over the invoice lines (written apart,
            the atlas reads the generated links), then build_atlas — placement, metrics, ranks,
            gaps, every atlas result written to the lake; the baseline for Spark.
  spark     the Spark engine, the same two calls; its session is started first and its start-up
            time printed apart. Stopped after --spark-timeout seconds; a failure is printed.
  pyarrow   reference: the straightforward aggregation — read the links and group them by
            (supplier, customer) with pyarrow's Table.group_by (Σ amount, Σ invoices, months).

Prints wall seconds and peak resident memory of each (for Spark the Python driver plus its JVM:
the sum of the peaks of the processes), the row count of every atlas result, and for every result
whether the engines agree: the same rows (matched on the text and flag columns), the largest
relative difference of the floating-point figures (at most 1e-6 to agree) and equal whole
numbers; ranks that differ while every figure agrees (near-equal values ordered differently by
floating-point rounding) are reported as such.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.atlas.stage import RESULTS as ATLAS_RESULTS

YEAR = 2024
MONTHS = 12
LOCAL_SHARE = 0.45  # pairs whose supplier is drawn from the customer's own city
LINES_EXTRA = 0.25  # invoice lines per link-month: 1 + Poisson(LINES_EXTRA)
MAIN_PRODUCT = 0.75
# Every atlas result but atlas_meta (which records the run, not the atlas).
RESULTS = tuple(name for name in ATLAS_RESULTS if name != "atlas_meta")
AGREE_TOLERANCE = 1e-6  # largest relative difference accepted as the same figure


# --------------------------------------------------------------------------------------------
# The synthetic province


@dataclass
class Economy:
    """In-province firms first (0 … n − 1), then suppliers registered outside the province."""

    n: int
    codes: pa.Array
    segment: np.ndarray
    city: np.ndarray  # city index; outside firms get len(cities)
    sales: np.ndarray
    product: np.ndarray  # index into the flat product table
    segments: tuple[Any, ...]


def _registry(folder: Path, firms: int, rng: np.random.Generator) -> Economy:
    """Draw the firms with chainwatch's generator and write the registry snapshot."""
    from chainwatch.reference.industries import normalise_industry_code
    from chainwatch.synth.firms import build_external_firms, build_firms, set_power_sales
    from chainwatch.synth.geography import load_geography
    from chainwatch.synth.templates import all_segments

    segments = all_segments()
    geo = load_geography()
    made = build_firms(segments, geo, firms, dt.date(YEAR, 1, 1), rng)
    set_power_sales(segments, made, geo)
    outside = build_external_firms(segments, geo, max(5, round(firms * 0.04)), set(made.codes), rng)

    industry = np.array(made.industry)
    known, position = np.unique(industry, return_inverse=True)
    normal = np.array([normalise_industry_code(c) or "" for c in known], dtype=object)
    tag_text, tag_position = np.unique(np.array(made.tags), return_inverse=True)
    tag_lists = pa.array([[t for t in s.split(";") if t] for s in tag_text], pa.list_(pa.string()))
    county_codes = np.array(geo.county_codes, dtype=object)
    table = pa.table(
        {
            "uscc": pa.array(made.codes, pa.string()),
            "name": pa.array(made.names, pa.string()),
            "region_code": pa.array(county_codes[made.county], pa.string()),
            "industry_code": pa.array(normal[position], pa.string()),
            "scale": pa.array(made.scale, pa.string()),
            "land_area_mu": pa.array(made.land, pa.float64()),
            "employees": pa.array(made.employees, pa.int64()),
            "founded_on": pa.array(made.established, pa.string()).cast(pa.date32()),
            "tags": tag_lists.take(pa.array(tag_position)),
            "business_scope": pa.array(made.scope, pa.string()),
            "longitude": pa.array(made.lon, pa.float64()),
            "latitude": pa.array(made.lat, pa.float64()),
        }
    )
    pq.write_table(table, folder / "lake" / "enterprises.parquet", compression="zstd")

    offsets = np.cumsum([0] + [len(s.products) for s in segments])
    counts = np.diff(offsets)
    other = (rng.random(len(outside.codes)) * counts[outside.segment]).astype(np.int64)
    return Economy(
        n=len(made),
        codes=pa.array(made.codes + outside.codes, pa.string()),
        segment=np.concatenate([made.segment, outside.segment]),
        city=np.concatenate(
            [geo.county_city[made.county], np.full(len(outside.codes), len(geo.city_codes))]
        ),
        sales=np.concatenate([made.sales, outside.sales]),
        product=np.concatenate(
            [offsets[made.segment] + made.product, offsets[outside.segment] + other]
        ),
        segments=segments,
    )


def _rank_matched_pareto(sales: np.ndarray, shape: float, rng: np.random.Generator) -> np.ndarray:
    """Pareto(shape) + 1 propensities, the largest to the largest firm; capped at n / 20."""
    draws = np.sort(np.minimum(rng.pareto(shape, len(sales)) + 1.0, len(sales) / 20.0))
    out = np.empty(len(sales))
    out[np.argsort(sales, kind="stable")] = draws
    return out


def _pick_in_groups(
    groups: np.ndarray, weight: np.ndarray, wanted: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every wanted group, a member drawn ∝ weight; and whether the group had any weight."""
    order = np.argsort(groups, kind="stable")
    cum = np.cumsum(weight[order])
    sorted_groups = groups[order]
    lo = np.searchsorted(sorted_groups, wanted, side="left")
    hi = np.searchsorted(sorted_groups, wanted, side="right")
    base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    top = np.where(hi > 0, cum[np.maximum(hi - 1, 0)], 0.0)
    found = top > base
    pick = np.searchsorted(cum, base + u * (top - base), side="right")
    pick = np.clip(pick, lo, np.maximum(hi - 1, lo))
    return order[np.minimum(pick, len(order) - 1)], found


def _draw_pairs(eco: Economy, count: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """About ``count`` distinct (supplier, customer) pairs, in random order."""
    from chainwatch.synth.firms import POWER_KEY
    from chainwatch.synth.templates import input_matrix

    segs = eco.segments
    n_seg = len(segs)
    supply = _rank_matched_pareto(eco.sales, 1.5, rng)
    power = np.array([s.key == POWER_KEY for s in segs])
    supply[power[eco.segment]] = 0.0
    outside_weight = np.array([s.external for s in segs]) / 0.3 * 2.0
    supply[eco.n :] *= outside_weight[eco.segment[eco.n :]]
    available = np.bincount(eco.segment, weights=supply, minlength=n_seg) > 0
    matrix = input_matrix(segs) * available[None, :]
    rows = matrix.sum(axis=1)
    matrix = np.divide(matrix, rows[:, None], out=np.zeros_like(matrix), where=rows[:, None] > 0)

    demand = _rank_matched_pareto(eco.sales[: eco.n], 2.0, rng)
    demand[rows[eco.segment[: eco.n]] == 0] = 0.0
    customer = np.searchsorted(np.cumsum(demand), rng.random(count) * demand.sum(), side="right")
    customer = np.minimum(customer, eco.n - 1)
    customer_seg = eco.segment[customer]
    supplier_seg = np.empty(count, dtype=np.int64)
    for s in np.unique(customer_seg):
        where = np.flatnonzero(customer_seg == s)
        supplier_seg[where] = rng.choice(n_seg, size=len(where), p=matrix[s])

    wide, _ = _pick_in_groups(eco.segment, supply, supplier_seg, rng.random(count))
    places = int(eco.city.max()) + 1
    local, found = _pick_in_groups(
        eco.segment * places + eco.city,
        supply,
        supplier_seg * places + eco.city[customer],
        rng.random(count),
    )
    supplier = np.where((rng.random(count) < LOCAL_SHARE) & found, local, wide)
    keep = supplier != customer
    key = np.unique(supplier[keep].astype(np.int64) * eco.n + customer[keep])
    key = key[rng.permutation(len(key))]
    return key // eco.n, key % eco.n


def _link_months(
    eco: Economy, links: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exactly ``links`` link-month rows: supplier, customer, month index, amount."""
    mean_months = 1 + 11 * 0.5
    draw = int(links / mean_months * 1.3) + 100
    while True:
        supplier, customer = _draw_pairs(eco, draw, rng)
        months = 1 + rng.binomial(MONTHS - 1, rng.beta(0.5, 0.5, len(supplier)))
        total = np.cumsum(months)
        if total[-1] >= links:
            break
        draw = int(draw * 1.5 * links / total[-1]) + 100
    pairs = int(np.searchsorted(total, links)) + 1
    supplier, customer, months = supplier[:pairs], customer[:pairs], months[:pairs]
    months[-1] -= int(total[pairs - 1]) - links

    va = np.array([s.va for s in eco.segments])
    flow = np.sqrt(eco.sales[supplier] * eco.sales[customer]) * rng.lognormal(0.0, 1.0, pairs)
    bought = np.bincount(customer, weights=flow, minlength=eco.n)
    target = (1 - va[eco.segment[: eco.n]]) * 0.7 * eco.sales[: eco.n]
    flow *= (target / np.where(bought > 0, bought, 1.0))[customer]

    draws = rng.random((pairs, MONTHS))
    cut = np.sort(draws, axis=1)[np.arange(pairs), months - 1]
    month, pair = np.nonzero((draws <= cut[:, None]).T)
    del draws
    amount = flow[pair] / months[pair] * rng.lognormal(0.0, 0.3, len(pair))
    amount = np.maximum(np.round(amount, 2), 1.0)
    return supplier[pair], customer[pair], month.astype(np.int64), amount


def _month_start(month: int) -> dt.date:
    return dt.date(YEAR, month + 1, 1)


def _write_links_and_invoices(
    folder: Path, eco: Economy, rows: tuple[np.ndarray, ...], rng: np.random.Generator
) -> int:
    """Write links.parquet and one invoice batch a month; return the invoice lines."""
    from chainwatch.ingest.load import lake_schema
    from chainwatch.ingest.schemas import INVOICES

    supplier, customer, month, amount = rows
    vat = np.array([s.vat for s in eco.segments])
    names = [p for s in eco.segments for p in s.products]
    product_names = pa.array(names, pa.string())
    tax_codes = pa.array(
        [
            (s.tax_code + f"{k + 1:02d}").ljust(19, "0")
            for s in eco.segments
            for k in range(len(s.products))
        ],
        pa.string(),
    )
    offsets = np.cumsum([0] + [len(s.products) for s in eco.segments])
    epoch = dt.date(1970, 1, 1)
    links_schema = pa.schema(
        [
            ("supplier", pa.string()),
            ("customer", pa.string()),
            ("period", pa.string()),
            ("amount", pa.float64()),
            ("tax", pa.float64()),
            ("invoice_count", pa.int64()),
        ]
    )
    invoice_schema = lake_schema(INVOICES)
    lines_written = 0
    results = folder / "lake" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(results / "links.parquet", links_schema, compression="zstd") as links:
        for m in range(MONTHS):
            chosen = np.flatnonzero(month == m)
            s, c, a = supplier[chosen], customer[chosen], amount[chosen]
            count = 1 + rng.poisson(LINES_EXTRA, len(chosen))
            line_of = np.repeat(np.arange(len(chosen)), count)
            weight = rng.random(len(line_of)) + 0.25
            share = weight / np.bincount(line_of, weights=weight)[line_of]
            line_amount = np.maximum(np.round(a[line_of] * share, 2), 0.01)
            seller = s[line_of]
            line_tax = np.round(line_amount * vat[eco.segment[seller]], 2)
            segment_products = np.diff(offsets)[eco.segment[seller]]
            other = offsets[eco.segment[seller]] + (
                rng.random(len(line_of)) * segment_products
            ).astype(np.int64)
            product = np.where(rng.random(len(line_of)) < MAIN_PRODUCT, eco.product[seller], other)
            start = (_month_start(m) - epoch).days
            days = calendar.monthrange(YEAR, m + 1)[1]
            day = start + (rng.random(len(line_of)) * days).astype(np.int32)
            period = f"{YEAR:04d}-{m + 1:02d}"
            links.write_table(
                pa.table(
                    {
                        "supplier": eco.codes.take(pa.array(s)),
                        "customer": eco.codes.take(pa.array(c)),
                        "period": pa.array(np.full(len(chosen), period, dtype=object), pa.string()),
                        "amount": pa.array(np.bincount(line_of, weights=line_amount)),
                        "tax": pa.array(np.bincount(line_of, weights=line_tax)),
                        "invoice_count": pa.array(count.astype(np.int64)),
                    },
                    schema=links_schema,
                )
            )
            batch = folder / "lake" / "invoices" / f"batch={m + 1}"
            batch.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                pa.table(
                    {
                        "seller": eco.codes.take(pa.array(seller)),
                        "buyer": eco.codes.take(pa.array(c[line_of])),
                        "date": pa.array(day, pa.int32()).cast(pa.date32()),
                        "amount": pa.array(line_amount),
                        "tax": pa.array(line_tax),
                        "product": product_names.take(pa.array(product)),
                        "tax_class_code": tax_codes.take(pa.array(product)),
                        "__row": pa.array(np.arange(1, len(line_of) + 1, dtype=np.int64)),
                    },
                    schema=invoice_schema,
                ),
                batch / "part-0.parquet",
                compression="zstd",
            )
            lines_written += len(line_of)
    return lines_written


def _write_customs(folder: Path, eco: Economy, rng: np.random.Generator) -> int:
    """Importers buy their segment's key inputs abroad, exporters ship their segment's HS codes
    to its markets; a standing trade line ships in a month with probability 0.8."""
    from chainwatch.ingest.load import lake_schema
    from chainwatch.ingest.schemas import CUSTOMS
    from chainwatch.synth.customs import MARKETS

    segs = eco.segments
    n = eco.n
    seg = eco.segment[:n]
    median = float(np.median(eco.sales[:n]))
    size = np.where(eco.sales[:n] >= median, 1.0, 0.5)
    firm_parts: list[np.ndarray] = []
    hs_parts: list[str] = []
    country_parts: list[str] = []
    direction_parts: list[str] = []
    share_parts: list[np.ndarray] = []
    for k, segment in enumerate(segs):
        members = np.flatnonzero(seg == k)
        if not len(members):
            continue
        if segment.imports:
            buyers = members[rng.random(len(members)) < segment.import_prob * size[members]]
            item = rng.integers(0, len(segment.imports), len(buyers))
            for i, firm in zip(item, buyers, strict=True):
                entry = segment.imports[i]
                countries = [c for c, _ in entry.countries]
                weights = np.array([w for _, w in entry.countries], dtype=float)
                firm_parts.append(np.array([firm]))
                hs_parts.append(entry.hs)
                pick = rng.choice(len(countries), p=weights / weights.sum())
                country_parts.append(countries[pick])
                direction_parts.append("import")
                share_parts.append(segment.import_share * rng.lognormal(0.0, 0.4, 1))
        if segment.exports:
            sellers = members[
                rng.random(len(members)) < min(1.0, segment.export_prob * 1.6) * size[members]
            ]
            market = MARKETS[segment.markets]
            names = [c for c, _ in market]
            p = np.array([w for _, w in market], dtype=float)
            p /= p.sum()
            for firm in sellers:
                firm_parts.append(np.array([firm]))
                hs_parts.append(str(segment.exports[rng.integers(0, len(segment.exports))]))
                country_parts.append(str(names[rng.choice(len(names), p=p)]))
                direction_parts.append("export")
                share_parts.append(
                    np.minimum(segment.export_share * rng.uniform(0.8, 1.8, 1), 0.85)
                )
    firm = np.concatenate(firm_parts) if firm_parts else np.zeros(0, np.int64)
    share = np.concatenate(share_parts) if share_parts else np.zeros(0)
    line = np.repeat(np.arange(len(firm)), MONTHS)
    month = np.tile(np.arange(MONTHS), len(firm))
    shipped = rng.random(len(line)) < 0.8
    line, month = line[shipped], month[shipped]
    value = np.round(
        share[line] * eco.sales[firm[line]] / MONTHS * rng.lognormal(0, 0.15, len(line)), 2
    )
    epoch = dt.date(1970, 1, 1)
    starts = np.array([(_month_start(m) - epoch).days for m in range(MONTHS)])
    day = starts[month] + (rng.random(len(line)) * 28).astype(np.int64)
    text = {
        "hs": pa.array(hs_parts, pa.string()),
        "country": pa.array(country_parts, pa.string()),
        "direction": pa.array(direction_parts, pa.string()),
    }
    batch = folder / "lake" / "customs" / "batch=1"
    batch.mkdir(parents=True, exist_ok=True)
    take = pa.array(line)
    pq.write_table(
        pa.table(
            {
                "uscc": eco.codes.take(pa.array(firm[line])),
                "direction": text["direction"].take(take),
                "date": pa.array(day.astype(np.int32), pa.int32()).cast(pa.date32()),
                "hs_code": text["hs"].take(take),
                "country": text["country"].take(take),
                "amount": pa.array(value),
                "__row": pa.array(np.arange(1, len(line) + 1, dtype=np.int64)),
            },
            schema=lake_schema(CUSTOMS),
        ),
        batch / "part-0.parquet",
        compression="zstd",
    )
    return len(line)


def generate(folder: Path, firms: int, links: int, seed: int) -> dict[str, float]:
    """Write the province under ``folder`` (a CHAINWATCH_HOME layout); return counts and the
    seconds each part took."""
    rng = np.random.default_rng(seed)
    (folder / "lake").mkdir(parents=True, exist_ok=True)
    figures: dict[str, float] = {}
    started = time.perf_counter()
    eco = _registry(folder, firms, rng)
    figures["registry_s"] = time.perf_counter() - started
    started = time.perf_counter()
    rows = _link_months(eco, links, rng)
    figures["network_s"] = time.perf_counter() - started
    figures["pairs"] = float(len(np.unique(rows[0] * eco.n + rows[1])))
    figures["outside_share"] = float(np.mean(rows[0] >= eco.n))
    started = time.perf_counter()
    figures["invoice_lines"] = float(_write_links_and_invoices(folder, eco, rows, rng))
    figures["customs_records"] = float(_write_customs(folder, eco, rng))
    figures["write_s"] = time.perf_counter() - started
    figures["outside_firms"] = float(len(eco.codes) - eco.n)
    figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _inputs(folder: Path) -> dict[str, Any]:
    lake = folder / "lake"
    return {
        "enterprises": lake / "enterprises.parquet",
        "links": lake / "results" / "links.parquet",
        "invoices": tuple(sorted(lake.glob("invoices/batch=*/part-*.parquet"))),
        "customs": tuple(sorted(lake.glob("customs/batch=*/part-*.parquet"))),
    }


# --------------------------------------------------------------------------------------------
# The children


def _peak_mib() -> float:
    """Peak resident memory of this process plus the peaks of its live descendants (Spark's
    JVM), read from /proc where there is one."""
    total = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    proc = Path("/proc")
    if not proc.is_dir():
        return total
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    family = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in family} - family
        family |= found
        grew = bool(found)
    for pid in family - {os.getpid()}:
        try:
            for line in (proc / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except (OSError, ValueError):
            continue
    return total


def run_engine(folder: Path, engine: str, aggregate: bool) -> dict[str, Any]:
    home = folder / "runs" / engine
    os.environ["CHAINWATCH_HOME"] = str(home)
    from chainwatch.atlas.chains import load_chains
    from chainwatch.atlas.overrides import load_overrides
    from chainwatch.atlas.settings import load_atlas_settings
    from chainwatch.engines import get_engine
    from chainwatch.engines.base import AtlasInputs, AtlasJob
    from chainwatch.store import lake

    data: dict[str, Any] = {"home": str(home)}
    backend = get_engine(engine)
    if engine == "spark":
        from chainwatch.engines.spark_session import spark_session

        started = time.perf_counter()
        session = spark_session()
        data["startup_s"] = time.perf_counter() - started
        data["master"] = session.sparkContext.master
    inputs = AtlasInputs(**_inputs(folder))
    if aggregate:
        started = time.perf_counter()
        out = lake.result_path("links_from_invoices")
        data["aggregate_rows"] = backend.aggregate_links(list(inputs.invoices), out)
        data["aggregate_s"] = time.perf_counter() - started
    chains = load_chains()
    job = AtlasJob(chains, load_atlas_settings(), load_overrides(chains), inputs)
    started = time.perf_counter()
    outcome = backend.build_atlas(job)
    data["atlas_s"] = time.perf_counter() - started
    data["rows"] = {
        name: pq.ParquetFile(lake.result_path(name)).metadata.num_rows for name in RESULTS
    }
    data["counts"] = outcome.counts
    data["province"] = outcome.province
    data["statuses"] = outcome.statuses
    data["peak_mib"] = _peak_mib()
    return data


def run_reference(folder: Path) -> dict[str, Any]:
    import pyarrow.compute as pc

    started = time.perf_counter()
    links = pq.read_table(_inputs(folder)["links"])
    links = links.filter(pc.not_equal(links["supplier"], links["customer"]))
    grouped = links.group_by(["supplier", "customer"]).aggregate(
        [("amount", "sum"), ("invoice_count", "sum"), ("period", "count_distinct")]
    )
    return {
        "atlas_s": time.perf_counter() - started,
        "pairs": grouped.num_rows,
        "peak_mib": _peak_mib(),
    }


def child(mode: str, folder: Path, aggregate: bool) -> None:
    from chainwatch.errors import ChainwatchError

    try:
        data = run_reference(folder) if mode == "pyarrow" else run_engine(folder, mode, aggregate)
    except ChainwatchError as exc:  # a message for people (e.g. no Java): no traceback
        print(json.dumps({"error": exc.message}, ensure_ascii=False))
        sys.exit(3)
    print(json.dumps(data, ensure_ascii=False))


def run_child(
    mode: str, folder: Path, aggregate: bool, timeout: float | None, env: dict[str, str]
) -> dict[str, Any] | str:
    """The child's figures, or a line saying why there are none. The child leads its own
    process group, so a timeout stops its JVM as well."""
    command = [sys.executable, __file__, "--child", mode, "--data", str(folder)]
    if not aggregate:
        command.append("--no-aggregate")
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"stopped after {time.perf_counter() - started:,.0f} s (--spark-timeout {timeout:g})"
    if proc.returncode == 3 and out.strip():
        return f"failed: {json.loads(out.strip().splitlines()[-1])['error']}"
    if proc.returncode != 0:
        tail = "\n    ".join(err.strip().splitlines()[-15:])
        return f"failed (exit status {proc.returncode}):\n    {tail}"
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # a JVM left behind by the child, if any
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------------------------
# Comparing the engines' results

FLOATING = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")
INTEGRAL = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")


def _columns(con: Any, path: Path) -> dict[str, str]:
    return {
        str(row[0]): str(row[1])
        for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    }


def compare_result(con: Any, a: Path, b: Path) -> dict[str, Any]:
    """Rows of each side; rows without a partner (matched on the text and flag columns, in the
    order of the numbers within equal keys); the largest relative difference of a floating-point
    column; and, per whole-number column (counts, ranks), the matched rows where it differs."""
    left, right = _columns(con, a), _columns(con, b)
    common = [c for c in left if c in right]
    numeric = FLOATING + INTEGRAL
    numbers = [c for c in common if left[c].startswith(numeric) and right[c].startswith(numeric)]
    floats = [c for c in numbers if left[c].startswith(FLOATING) or right[c].startswith(FLOATING)]
    integers = [c for c in numbers if c not in floats]
    keys = [c for c in common if c not in numbers]

    def side(path: Path) -> str:
        columns = [f'CAST("{k}" AS VARCHAR) AS "{k}"' for k in keys]
        columns += [f'CAST("{c}" AS DOUBLE) AS "{c}"' for c in numbers]
        partition = "PARTITION BY " + ", ".join(f'"{k}"' for k in keys) if keys else ""
        order = "ORDER BY " + ", ".join(f'"{c}"' for c in numbers) if numbers else ""
        columns.append(f"row_number() OVER ({partition} {order}) AS _k")
        return f"SELECT {', '.join(columns)} FROM read_parquet('{path}')"

    both = "a._k IS NOT NULL AND b._k IS NOT NULL"
    measures = ["count(*) FILTER (WHERE a._k IS NULL OR b._k IS NULL)"]
    measures += [
        f'max(abs(a."{c}" - b."{c}") / greatest(abs(a."{c}"), abs(b."{c}"), 1e-9))' for c in floats
    ]
    measures += [
        f'count(*) FILTER (WHERE a."{c}" IS DISTINCT FROM b."{c}" AND {both})' for c in integers
    ]
    measures += [
        f'count(*) FILTER (WHERE (a."{c}" IS NULL) <> (b."{c}" IS NULL) AND {both})' for c in floats
    ]
    on = " AND ".join([f'a."{k}" IS NOT DISTINCT FROM b."{k}"' for k in keys] + ["a._k = b._k"])
    row = con.execute(
        f"SELECT {', '.join(measures)} FROM ({side(a)}) a FULL OUTER JOIN ({side(b)}) b ON {on}"
    ).fetchone()
    values = list(row) if row else [0] * len(measures)
    float_diff = dict(zip(floats, values[1 : 1 + len(floats)], strict=True))
    rest = values[1 + len(floats) :]
    integer_diff = {
        c: int(v or 0) for c, v in zip(integers, rest[: len(integers)], strict=True) if v
    }
    worst_column = max(float_diff, key=lambda c: float(float_diff[c] or 0.0), default="")
    rows_a = con.execute(f"SELECT count(*) FROM read_parquet('{a}')").fetchone()
    rows_b = con.execute(f"SELECT count(*) FROM read_parquet('{b}')").fetchone()
    return {
        "rows": (int(rows_a[0]) if rows_a else 0, int(rows_b[0]) if rows_b else 0),
        "unmatched": int(values[0] or 0),
        "null_mismatch": int(sum(int(v or 0) for v in rest[len(integers) :])),
        "max_rel_diff": float(float_diff[worst_column] or 0.0) if worst_column else 0.0,
        "column": worst_column,
        "integers": integer_diff,
        "columns_one_side": sorted(set(left) ^ set(right)),
    }


def _verdict(found: dict[str, Any]) -> str:
    """yes; "ranks" where only rank columns differ while every floating-point figure agrees
    (near-equal values whose order rounding decided); otherwise NO and why."""
    problems = []
    if found["rows"][0] != found["rows"][1] or found["unmatched"]:
        problems.append("rows differ")
    if found["max_rel_diff"] > AGREE_TOLERANCE:
        problems.append(f"{found['column']} differs")
    if found["null_mismatch"]:
        problems.append(f"{found['null_mismatch']} figures null on one side only")
    if found["columns_one_side"]:
        problems.append(f"columns on one side only: {', '.join(found['columns_one_side'])}")
    ranks = {c: n for c, n in found["integers"].items() if c.endswith("_rank")}
    others = {c: n for c, n in found["integers"].items() if c not in ranks}
    problems += [f"{c} differs in {n:,} rows" for c, n in others.items()]
    if problems:
        return "NO: " + "; ".join(problems)
    if ranks:
        detail = ", ".join(f"{c} in {n:,} rows" for c, n in ranks.items())
        return f"yes, but ranks of near-ties differ ({detail})"
    return "yes"


def compare_engines(folder: Path, first: str, second: str) -> bool:
    """Print, per atlas result, whether ``second`` computed what ``first`` did."""
    import duckdb

    spill = folder / "compare-tmp"
    spill.mkdir(exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": os.environ.get("CHAINWATCH_DUCKDB_MEMORY_LIMIT", "4GB"),
            "threads": int(os.environ.get("CHAINWATCH_DUCKDB_THREADS", "2")),
            "temp_directory": str(spill),
        }
    )
    print(f"\nresults of {second} against {first} (largest relative difference of the figures)")
    print(
        f"{'result':20} {first + ' rows':>14} {second + ' rows':>14} {'unmatched':>10} "
        f"{'max rel diff':>13}  agree"
    )
    everything = True
    try:
        for name in RESULTS:
            a = folder / "runs" / first / "lake" / "results" / f"{name}.parquet"
            b = folder / "runs" / second / "lake" / "results" / f"{name}.parquet"
            found = compare_result(con, a, b)
            verdict = _verdict(found)
            everything &= not verdict.startswith("NO")
            print(
                f"{name:20} {found['rows'][0]:>14,} {found['rows'][1]:>14,} "
                f"{found['unmatched']:>10,} {found['max_rel_diff']:>13.1e}  {verdict}"
            )
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    print(
        f"the engines agree on every result (figures within a relative {AGREE_TOLERANCE:g}): "
        f"{'yes' if everything else 'NO'}"
    )
    return everything


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1_000_000, help="firms in the registry")
    parser.add_argument(
        "--links", type=int, default=10_000_000, help="supplier–customer–month rows (12 months)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--engines", default="duckdb,spark", help="comma-separated: duckdb, spark (default both)"
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="leave out the pyarrow group-by reference"
    )
    parser.add_argument(
        "--no-aggregate",
        action="store_true",
        help="leave out aggregate_links (invoice lines → links) in the engines",
    )
    parser.add_argument(
        "--spark-timeout",
        type=float,
        default=3600.0,
        help="stop the Spark child after this many seconds (default 3600)",
    )
    parser.add_argument(
        "--spark-memory",
        help="Spark driver memory (e.g. 8g) through a spark-defaults.conf of the run; "
        "default: chainwatch's local default",
    )
    parser.add_argument("--keep", type=Path, help="write the data and results here and keep them")
    parser.add_argument("--child", choices=("duckdb", "spark", "pyarrow"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, not args.no_aggregate)
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - {"duckdb", "spark"})
    if unknown or args.firms < 50 or args.links < 1:
        parser.error(
            f"unknown engine(s) {', '.join(unknown)}; choose from duckdb, spark"
            if unknown
            else "--firms must be at least 50 and --links at least 1"
        )

    folder = args.keep or Path(tempfile.mkdtemp(prefix="chainwatch-atlas-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("CHAINWATCH_HOME", None)
    if args.spark_memory:
        conf = folder / "spark-conf"
        conf.mkdir(exist_ok=True)
        (conf / "spark-defaults.conf").write_text(f"spark.driver.memory {args.spark_memory}\n")
        env["SPARK_CONF_DIR"] = str(conf)
    try:
        started = time.perf_counter()
        data = generate(folder, args.firms, args.links, args.seed)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (folder / "lake").rglob("*.parquet"))
        print(
            f"data: {args.firms:,} firms (+{data['outside_firms']:,.0f} registered outside the "
            f"province), {args.links:,} link-months over {MONTHS} months "
            f"({data['pairs']:,.0f} supplier–customer pairs, {data['outside_share']:.0%} of the "
            f"link-months from outside suppliers), {data['invoice_lines']:,.0f} invoice lines, "
            f"{data['customs_records']:,.0f} customs records; {size / 2**20:,.0f} MiB of Parquet"
        )
        print(
            f"generated in {seconds:.1f} s (registry {data['registry_s']:.1f} s, network "
            f"{data['network_s']:.1f} s, writing {data['write_s']:.1f} s; peak "
            f"{data['peak_mib']:,.0f} MiB) — not part of any figure below"
        )
        print(
            f"CPU cores {os.cpu_count()}, DuckDB threads "
            f"{os.environ.get('CHAINWATCH_DUCKDB_THREADS', '2')}, DuckDB memory limit "
            f"{os.environ.get('CHAINWATCH_DUCKDB_MEMORY_LIMIT', '4GB')}, Spark master "
            f"{os.environ.get('CHAINWATCH_SPARK_MASTER', 'local[2]')}; load average "
            f"{os.getloadavg()[0]:.1f} (other work on the machine slows every figure)"
        )
        modes = engines + ([] if args.no_reference else ["pyarrow"])
        results: dict[str, dict[str, Any]] = {}
        for mode in modes:
            timeout = args.spark_timeout if mode == "spark" else None
            outcome = run_child(mode, folder, not args.no_aggregate, timeout, env)
            if isinstance(outcome, str):
                print(f"{mode}: {outcome}")
            else:
                results[mode] = outcome
        _print_figures(results, args.links, not args.no_aggregate)
        if "duckdb" in results and "spark" in results:
            compare_engines(folder, "duckdb", "spark")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def _print_figures(results: dict[str, dict[str, Any]], links: int, aggregate: bool) -> None:
    labels = {
        "duckdb": "DuckDB engine (baseline for Spark)",
        "spark": "Spark engine",
        "pyarrow": "reference: pyarrow group-by of the links",
    }
    if not results:
        print("no figures: every child failed")
        return
    print(f"\n{'':42} {'atlas s':>9} {'links/s':>12} {'peak MiB':>9} {'aggregate s':>12}")
    for mode, data in results.items():
        seconds = float(data["atlas_s"])
        extra = f"{float(data['aggregate_s']):12.1f}" if "aggregate_s" in data else f"{'':>12}"
        print(
            f"{labels[mode]:42} {seconds:9.1f} {links / seconds:12,.0f} "
            f"{float(data['peak_mib']):9,.0f} {extra}"
        )
    if "spark" in results:
        spark = results["spark"]
        print(
            f"Spark session start-up ({spark.get('master')}): "
            f"{float(spark['startup_s']):.1f} s, not included above"
        )
    if "duckdb" in results and "spark" in results:
        ratio = float(results["spark"]["atlas_s"]) / float(results["duckdb"]["atlas_s"])
        print(f"Spark atlas time / DuckDB atlas time: {ratio:.2f}")
    if aggregate:
        for mode in ("duckdb", "spark"):
            if mode in results and "aggregate_rows" in results[mode]:
                rows = int(results[mode]["aggregate_rows"])
                same = "= the generated links" if rows == links else f"≠ {links:,} generated"
                print(f"{mode} aggregate_links: {rows:,} link rows from the invoice lines ({same})")
    engines = [m for m in ("duckdb", "spark") if m in results]
    if engines:
        print(f"\n{'atlas result rows':20}" + "".join(f"{m:>14}" for m in engines))
        for name in RESULTS:
            print(f"{name:20}" + "".join(f"{results[m]['rows'][name]:>14,}" for m in engines))
        first = results[engines[0]]
        counts = first["counts"]
        print(
            f"{counts.get('placements', 0):,} placements of {counts.get('placed_firms', 0):,} "
            f"firms, {counts.get('unplaced', 0):,} firm × chain pairs to review; segment status "
            f"{first['statuses']}; home province {first['province']}"
        )
    if "pyarrow" in results:
        print(f"reference group-by: {int(results['pyarrow']['pairs']):,} supplier–customer pairs")


if __name__ == "__main__":
    main()
