"""Benchmark: all-firm ESRI on synthetic power-law supply networks.

    python benchmarks/esri.py                     # quick: 10k firms
    python benchmarks/esri.py 10000 100000        # several sizes
    python benchmarks/esri.py 1000000 --skip-exact

For every size it prints, side by side: the fast mode (δ truncation, certified error bound), the
exact mode (frontier propagation, δ = 0), the largest |fast − exact| over all firms and all three
indices, and the baseline — the straightforward per-firm loop that iterates the spec's equations
over every firm with scipy.sparse products — timed on a sample of firms and extrapolated to all
firms (an extrapolation, not a measurement). Each mode runs in its own child process so that its
peak memory (maxrss) is its own.

Networks: n firms, about 10 links per firm drawn Chung–Lu style from Pareto(1.5) supplier and
customer propensities (power-law degrees), lognormal(0, 2) amounts scaled with the supplier's
propensity, 30 sectors of Zipf-like sizes, and an essentiality matrix with 2 on the diagonal and
off the diagonal 2 (14 %), 1 (10 %) or 0 (76 %) — the shares of the IHS Markit NACE-division
matrix of Diem et al. (2022).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainwatch.risk.network import SupplyNetwork, build_network, links_matrix

SECTORS = 30


def synthetic_network(
    n: int, mean_degree: float = 10.0, seed: int = 0, markets: bool = False
) -> SupplyNetwork:
    rng = np.random.default_rng(seed)
    cap = n / 20.0
    out_prop = np.minimum(rng.pareto(1.5, n) + 1.0, cap)
    in_prop = np.minimum(rng.pareto(1.5, n) + 1.0, cap)
    m = int(n * mean_degree)
    suppliers = np.searchsorted(np.cumsum(out_prop / out_prop.sum()), rng.random(m))
    customers = np.searchsorted(np.cumsum(in_prop / in_prop.sum()), rng.random(m))
    suppliers = np.minimum(suppliers, n - 1)
    customers = np.minimum(customers, n - 1)
    amounts = rng.lognormal(0.0, 2.0, m) * np.sqrt(out_prop[suppliers])
    size_share = 1.0 / np.arange(1, SECTORS + 1)
    sectors = rng.choice(SECTORS, size=n, p=size_share / size_share.sum())
    draw = rng.random((SECTORS, SECTORS))
    ess = np.where(draw < 0.14, 2, np.where(draw < 0.24, 1, 0))
    np.fill_diagonal(ess, 2)
    market = sectors * 4 + rng.integers(0, 4, n) if markets else None
    return build_network(links_matrix(suppliers, customers, amounts, n), sectors, ess, market)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(args: argparse.Namespace) -> None:
    from chainwatch.risk.esri import firm_esri_reference
    from chainwatch.risk.fast import firm_esri

    # Compile (or load the cached machine code) before timing anything.
    small = synthetic_network(200, seed=1, markets=args.markets)
    firm_esri(small, threads=args.threads)
    firm_esri(small, exact=True, threads=args.threads)

    t0 = time.perf_counter()
    net = synthetic_network(args.n, seed=args.seed, markets=args.markets)
    build_s = time.perf_counter() - t0
    rss_network = _maxrss_mib()
    report: dict[str, object] = {
        "n": net.size,
        "links": net.links,
        "build_s": build_s,
        "rss_network_mib": rss_network,
    }
    t0 = time.perf_counter()
    if args.child == "baseline":
        rng = np.random.default_rng(args.seed + 7)
        sample = rng.choice(net.size, size=min(args.sample, net.size), replace=False)
        ref = firm_esri_reference(net, sample)
        seconds = time.perf_counter() - t0
        report.update(
            sample=int(sample.size),
            seconds=seconds,
            extrapolated_s=seconds / sample.size * net.size,
            mean_rounds=float(ref.rounds.mean()),
        )
    else:
        firms = None
        if args.firm_sample:
            rng = np.random.default_rng(args.seed + 11)
            firms = rng.choice(net.size, size=min(args.firm_sample, net.size), replace=False)
        res = firm_esri(
            net,
            firms,
            exact=args.child == "exact",
            delta=args.delta,
            max_error=args.max_error,
            threads=args.threads,
        )
        seconds = time.perf_counter() - t0
        if firms is not None:
            report.update(sample=int(firms.size), extrapolated_s=seconds / firms.size * net.size)
        np.save(
            Path(args.save) / f"{args.child}.npy", np.vstack([res.esri, res.esri_down, res.esri_up])
        )
        report.update(
            seconds=seconds,
            bound=res.largest_error_bound,
            exactly=int((res.delta_used == 0).sum()),
            mean_rounds=float(res.rounds.mean()),
            max_rounds=int(res.rounds.max()),
            top_esri=float(res.esri.max()),
            share_below_1pct=float((res.esri < 0.01).mean()),
        )
    report["peak_rss_mib"] = _maxrss_mib()
    print(json.dumps(report))


def _run_child(
    args: argparse.Namespace, phase: str, n: int, save: str, timeout: float | None
) -> dict[str, Any] | None:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        phase,
        "--n",
        str(n),
        "--save",
        save,
        "--seed",
        str(args.seed),
        "--sample",
        str(args.sample),
        "--delta",
        str(args.delta),
        "--max-error",
        str(args.max_error),
        "--firm-sample",
        str(args.firm_sample),
    ]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.markets:
        cmd.append("--markets")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"  {phase}: did not finish within {timeout:.0f} s (stopped)")
        return None
    if done.returncode != 0:
        print(f"  {phase}: failed\n{done.stderr[-2000:]}")
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "sizes", nargs="*", type=int, default=[10_000], help="numbers of firms (default: 10000)"
    )
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument(
        "--sample", type=int, default=20, help="firms timed in the per-firm baseline (default 20)"
    )
    parser.add_argument("--delta", type=float, default=None, help="fast mode δ")
    parser.add_argument(
        "--max-error",
        type=float,
        default=None,
        help="fast mode: firms whose bound exceeds this are recomputed exactly",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--replaceability",
        choices=["both", "on", "off"],
        default="both",
        help="market sectors (4 per sector) on, off, or both runs (default)",
    )
    parser.add_argument("--markets", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-exact", action="store_true")
    parser.add_argument(
        "--firm-sample",
        type=int,
        default=0,
        help="fast and exact mode on this many random firms only, extrapolated to all firms",
    )
    parser.add_argument(
        "--exact-timeout",
        type=float,
        default=3600.0,
        help="stop the exact mode after this many seconds (default 3600)",
    )
    parser.add_argument("--child", choices=["fast", "exact", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from chainwatch.risk.fast import DEFAULT_DELTA, DEFAULT_MAX_ERROR

    args.delta = DEFAULT_DELTA if args.delta is None else args.delta
    args.max_error = DEFAULT_MAX_ERROR if args.max_error is None else args.max_error
    if args.child:
        _child(args)
        return

    print(
        f"ESRI benchmark: CPU cores {os.cpu_count()}, fast mode δ={args.delta:g}, "
        f"max_error={args.max_error:g}, ε=0.01, weights s_out; load average "
        f"{os.getloadavg()[0]:.1f} (other work on the machine slows every figure)"
    )
    settings = {"both": [True, False], "on": [True], "off": [False]}[args.replaceability]
    for n in args.sizes:
        for markets in settings:
            args.markets = markets
            _report(args, n)


def _header(n: int, markets: bool, run: dict[str, Any]) -> None:
    print(
        f"\n{n:,} firms, {run['links']:,} links, replaceability "
        f"{'on (market sectors)' if markets else 'off'} "
        f"(network built in {run['build_s']:.1f} s, "
        f"{run['rss_network_mib']:.0f} MiB resident after building)",
        flush=True,
    )


def _mode_line(name: str, run: dict[str, Any]) -> None:
    line = f"  {name:<6} : {run['seconds']:9.1f} s   peak {run['peak_rss_mib']:7.0f} MiB"
    if "sample" in run:
        line += (
            f"   (sample of {run['sample']:,} firms; extrapolated to all firms: "
            f"{run['extrapolated_s']:,.0f} s — an extrapolation, not a run)"
        )
    if name == "fast":
        line += (
            f"   certified error bound {run['bound']:.2e} ({run['exactly']} firms computed exactly)"
        )
    line += f"   rounds mean {run['mean_rounds']:.1f}, max {run['max_rounds']}"
    line += (
        f"; firms with ESRI < 1 %: {run['share_below_1pct']:.2%},"
        f" largest ESRI {run['top_esri']:.3f}"
    )
    print(line, flush=True)


def _report(args: argparse.Namespace, n: int) -> None:
    """Runs fast, exact and baseline one after the other, printing each as it finishes."""
    shown = False
    with tempfile.TemporaryDirectory() as save:
        runs: dict[str, dict[str, Any] | None] = {}
        for name in ("fast", "exact", "baseline"):
            if name == "exact" and args.skip_exact:
                runs[name] = None
                continue
            timeout = args.exact_timeout if name == "exact" else None
            run = runs[name] = _run_child(args, name, n, save, timeout)
            if run is None:
                continue
            if not shown:
                _header(n, args.markets, run)
                shown = True
            if name != "baseline":
                _mode_line(name, run)
        fast, exact, base = runs["fast"], runs["exact"], runs["baseline"]
        if fast and exact:
            a = np.load(Path(save) / "fast.npy")
            b = np.load(Path(save) / "exact.npy")
            err = float(np.abs(a - b).max())
            print(
                f"  largest |fast − exact| over {'the sampled' if 'sample' in fast else 'all'}"
                f" firms (ESRI, down, up): {err:.2e}"
                f"  ({'within' if err <= float(fast['bound']) + 1e-12 else 'ABOVE'} the bound)"
            )
        if base:
            print(
                f"  baseline (per-firm loop, scipy.sparse): {base['sample']} firms in "
                f"{base['seconds']:.1f} s → extrapolated to all {n:,} firms: "
                f"{base['extrapolated_s']:,.0f} s (an extrapolation, not a run);"
                f" peak {base['peak_rss_mib']:.0f} MiB"
            )
        if fast and base:
            fast_s = float(fast.get("extrapolated_s", fast["seconds"]))
            print(
                f"  speed-up of fast mode over the extrapolated baseline: "
                f"{float(base['extrapolated_s']) / fast_s:,.0f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
