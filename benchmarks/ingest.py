"""Benchmark: load and aggregate N invoice lines with chainwatch, against plain pandas.

    python benchmarks/ingest.py --lines 10000000 [--firms 200000] [--keep DIR]

Writes a synthetic invoice CSV of N lines (valid credit codes, 2 years of dates), then measures
in the same run:
  chainwatch  `ingest invoices` (stream, validate every field, quarantine, Parquet) and
              `run links` (DuckDB aggregation into supplier–customer–month links);
  baseline    plain pandas: read_csv in chunks of 5 million lines (reading the whole file at
              once needs several times the file size in memory) and groupby, no validation.
Prints wall time, lines per second and peak resident memory of each, measured in this run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    regions = ["330106", "330212", "330602", "330402", "330782", "331002", "330302"]
    codes: set[str] = set()
    while len(codes) < n:
        org = "".join(rng.choice(list(ALPHABET), size=9))
        body = "91" + regions[len(codes) % len(regions)] + org
        codes.add(body + uscc.calc_check_digit(body))
    return np.array(sorted(codes))


def write_invoices(path: Path, lines: int, firms: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    codes = make_codes(firms, rng)
    weights = rng.pareto(1.2, firms) + 1
    weights /= weights.sum()
    start = np.datetime64("2020-01-01")
    chunk = 5_000_000
    options = pacsv.WriteOptions(include_header=True)
    with pacsv.CSVWriter(
        path,
        pa.schema(
            [
                ("销方税号", pa.string()),
                ("购方税号", pa.string()),
                ("开票日期", pa.string()),
                ("金额", pa.string()),
                ("税额", pa.string()),
                ("商品名称", pa.string()),
            ]
        ),
        write_options=options,
    ) as writer:
        done = 0
        while done < lines:
            n = min(chunk, lines - done)
            seller = codes[rng.choice(firms, size=n, p=weights)]
            buyer = codes[rng.integers(0, firms, size=n)]
            days = rng.integers(0, 730, size=n)
            dates = np.datetime_as_string(start + days.astype("timedelta64[D]"))
            amount = np.round(rng.lognormal(9, 1.5, size=n), 2)
            table = pa.table(
                {
                    "销方税号": seller,
                    "购方税号": buyer,
                    "开票日期": dates,
                    "金额": np.char.mod("%.2f", amount),
                    "税额": np.char.mod("%.2f", amount * 0.13),
                    "商品名称": np.full(n, "*电子元件*集成电路"),
                }
            )
            writer.write_table(table)
            done += n


def peak_rss_mib(usage: resource.struct_rusage) -> float:
    return usage.ru_maxrss / 1024


def _limit_memory(gib: int):  # type: ignore[no-untyped-def]
    """Cap the child's address space so running out of memory ends that child with a
    MemoryError instead of waking the kernel's OOM killer on a shared machine."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (gib << 30, gib << 30))

    return apply


def run_child(
    code: str, env: dict[str, str], memory_gib: int | None = None
) -> tuple[float, float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory(memory_gib) if memory_gib else None,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        why = lines[-1] if lines else f"killed by signal {-proc.returncode}"
        return seconds, float("nan"), f"FAILED after {seconds:.0f} s: {why}"
    out = proc.stdout.strip().splitlines()
    return seconds, float(out[-1]), " ".join(out[:-1])


CHAINWATCH = """
import resource, sys
from chainwatch.ingest.load import ingest_file
from chainwatch.links import build_links
r = ingest_file("invoices", __import__("pathlib").Path({path!r}))
links = build_links()
print(f"loaded={{r.loaded}} rejected={{r.rejected}} links={{links['links']}}")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

PANDAS = """
import resource
import pandas as pd
parts = []
for chunk in pd.read_csv({path!r}, chunksize=5_000_000, dtype={{"金额": "float64"}},
                         usecols=["销方税号", "购方税号", "开票日期", "金额"]):
    chunk["period"] = chunk["开票日期"].str.slice(0, 7)
    parts.append(chunk.groupby(["销方税号", "购方税号", "period"])["金额"].agg(["sum", "count"]))
links = pd.concat(parts).groupby(level=[0, 1, 2]).sum()
print(f"links={{len(links)}}")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--memory-gib",
        type=int,
        default=20,
        help="address-space cap for each measured process (GiB)",
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"invoices-{args.lines}.csv"
    if not csv_path.exists():
        t = time.perf_counter()
        write_invoices(csv_path, args.lines, args.firms)
        print(
            f"wrote {args.lines:,} lines ({csv_path.stat().st_size / 2**30:.2f} GiB) in "
            f"{time.perf_counter() - t:.1f} s"
        )
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "CHAINWATCH_HOME": str(home)}
    print(f"machine: {os.cpu_count()} cores")
    print(
        f"{'implementation':44} {'seconds':>9} {'lines/s':>12} {'peak MiB':>9}  result", flush=True
    )
    # chainwatch bounds itself (DuckDB memory_limit); the baseline gets an address-space cap.
    runs: list[tuple[str, str, int | None]] = [
        ("chainwatch (validate+load+aggregate)", CHAINWATCH, None)
    ]
    if not args.skip_baseline:
        runs.append(("baseline: pandas chunked read_csv+groupby", PANDAS, args.memory_gib))
    for name, code, cap in runs:
        secs, rss, info = run_child(code.format(path=str(csv_path)), env, cap)
        print(f"{name:44} {secs:9.1f} {args.lines / secs:12,.0f} {rss:9.0f}  {info}", flush=True)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
