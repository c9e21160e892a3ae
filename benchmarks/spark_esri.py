"""Benchmark: all-firm ESRI on Spark against the local engine, same network, same run.

    python benchmarks/spark_esri.py                 # 5,000 firms, Spark local[2]
    python benchmarks/spark_esri.py 5000 20000 --batch-size 500

For every size it prints the local engine (chainwatch.risk.fast.firm_esri, all threads of this
machine) and Spark (chainwatch.risk.spark_esri.spark_firm_esri on CHAINWATCH_SPARK_MASTER,
default local[2], one compiled thread per task) in exact and fast mode, the largest difference
between them over all firms and the three indices, and the size of the broadcast network. The
Spark session is started (and its Python workers warmed up) before timing; its start-up time is
printed on its own. Networks are those of benchmarks/esri.py (power law, mean degree 10).
"""

from __future__ import annotations

import argparse
import pickle
import time

import numpy as np
from esri import synthetic_network

from chainwatch.risk.fast import ScenarioESRI, firm_esri
from chainwatch.risk.spark_esri import esri_session, network_payload, spark_firm_esri


def largest_difference(a: ScenarioESRI, b: ScenarioESRI) -> float:
    return max(
        float(np.abs(a.esri - b.esri).max()),
        float(np.abs(a.esri_down - b.esri_down).max()),
        float(np.abs(a.esri_up - b.esri_up).max()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[5000])
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--markets", action="store_true", help="replaceability on")
    args = parser.parse_args()

    started = time.perf_counter()
    spark = esri_session()
    warm = synthetic_network(200, seed=1, markets=args.markets)
    spark_firm_esri(warm, spark=spark)  # start the Python workers, load compiled code
    spark_firm_esri(warm, exact=True, spark=spark)
    firm_esri(warm)
    firm_esri(warm, exact=True)
    print(
        f"Spark {spark.sparkContext.master}, {spark.sparkContext.defaultParallelism} task slots; "
        f"session start and warm-up {time.perf_counter() - started:.1f} s"
    )
    for n in args.sizes:
        net = synthetic_network(n, seed=0, markets=args.markets)
        payload = len(pickle.dumps(network_payload(net, net.out_strength), protocol=5))
        mib = payload / 2**20
        print(f"\n{net.size:,} firms, {net.links:,} links; broadcast network {mib:.1f} MiB")
        for exact in (True, False):
            mode = "exact" if exact else "fast"
            t0 = time.perf_counter()
            local = firm_esri(net, exact=exact)
            t_local = time.perf_counter() - t0
            t0 = time.perf_counter()
            distributed = spark_firm_esri(net, exact=exact, batch_size=args.batch_size, spark=spark)
            t_spark = time.perf_counter() - t0
            print(
                f"  {mode:5}  local {t_local:7.2f} s   spark {t_spark:7.2f} s   "
                f"largest |spark - local| {largest_difference(distributed, local):.1e}   "
                f"error bound {distributed.largest_error_bound:.1e}"
            )
    spark.stop()


if __name__ == "__main__":
    main()
