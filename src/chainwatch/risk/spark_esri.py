"""All-firm ESRI distributed over Spark: batches of single-firm shocks as tasks.

All-firm ESRI is one cascade per firm, and the cascades are independent of each other. So the
driver broadcasts the network once — W as CSR arrays, the sector and market codes, the
essentiality matrix and the ESRI weights — and splits the shocked firms into batches, one Spark
task each. A task rebuilds the :class:`~chainwatch.risk.network.SupplyNetwork` from the broadcast
(once per Python worker process; later tasks in the same worker reuse it) and runs the local
engine, :func:`chainwatch.risk.fast.firm_esri`, on its batch. The driver collects
(esri, esri_downstream, esri_upstream, rounds, error bound, δ used) per batch and puts them back
in the order of ``firms``.

Every cascade is computed by the same compiled code on the same network as locally, and its
result does not depend on which other firms share its batch, so the distributed result equals
the local one: exact mode to rounding (in practice bit for bit), fast mode with the same values
and the same certified error bounds. docs/spark-esri.md explains batch sizes, executor memory and
running on a cluster.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from chainwatch.errors import ConfigError, ValidationError
from chainwatch.risk.esri import DEFAULT_TOL
from chainwatch.risk.fast import DEFAULT_DELTA, DEFAULT_MAX_ERROR, ScenarioESRI, firm_esri
from chainwatch.risk.network import FloatArray, SupplyNetwork, build_network, check_weights

if TYPE_CHECKING:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

Progress = Callable[[int], None]

# Batches per task slot by default: many small batches even out the few very large cascades of
# a power-law network (one slow task does not hold up the end of the job); each batch costs a
# task launch (a few milliseconds) and nothing else, because the network is broadcast once.
BATCHES_PER_SLOT = 8
MAX_DEFAULT_BATCH = 20_000
POLL_SECONDS = 0.25
RESULT_ROWS = 6  # esri, down, up, rounds, error bound, δ used

# One rebuilt network per Python worker process: (payload token, network, weights).
_worker_cache: dict[str, tuple[SupplyNetwork, FloatArray]] = {}


@dataclass(frozen=True)
class TaskOptions:
    """What every task needs besides the network and its batch of firms."""

    token: str
    exact: bool
    tol: float
    delta: float
    max_error: float
    threads: int
    frontier_budget: float | None


def network_payload(network: SupplyNetwork, weights: FloatArray) -> dict[str, Any]:
    """The arrays a task rebuilds the network from: W (CSR), sectors, E, markets, weights."""
    w = network.matrix
    return {
        "size": network.size,
        "indptr": w.indptr,
        "indices": w.indices,
        "data": w.data,
        "sectors": network.sectors,
        "essentiality": network.essentiality,
        "markets": network.markets,
        "weights": weights,
    }


def network_from_payload(payload: dict[str, Any]) -> tuple[SupplyNetwork, FloatArray]:
    import scipy.sparse as sp

    size = int(payload["size"])
    matrix = sp.csr_matrix(
        (payload["data"], payload["indices"], payload["indptr"]), shape=(size, size)
    )
    network = build_network(matrix, payload["sectors"], payload["essentiality"], payload["markets"])
    return network, np.asarray(payload["weights"], dtype=np.float64)


def _worker_network(token: str, payload: Any) -> tuple[SupplyNetwork, FloatArray]:
    cached = _worker_cache.get(token)
    if cached is None:
        _worker_cache.clear()  # keep one network per worker process, not one per job
        cached = network_from_payload(payload.value)
        _worker_cache[token] = cached
    return cached


def run_batch(
    options: TaskOptions, payload: Any, item: tuple[int, npt.NDArray[np.int64]]
) -> tuple[int, FloatArray]:
    """One task: ESRI of the firms of one batch with the local engine."""
    number, firms = item
    network, weights = _worker_network(options.token, payload)
    result = firm_esri(
        network,
        firms,
        exact=options.exact,
        tol=options.tol,
        delta=options.delta,
        max_error=options.max_error,
        weights=weights,
        threads=options.threads,
        frontier_budget=options.frontier_budget,
    )
    rows = np.vstack(
        [
            result.esri,
            result.esri_down,
            result.esri_up,
            result.rounds.astype(np.float64),
            result.error_bound,
            result.delta_used,
        ]
    )
    return number, rows


def _check_options(tol: float, delta: float, max_error: float) -> None:
    for name, value in (("tol (ε)", tol), ("delta (δ)", delta), ("max_error", max_error)):
        if not (np.isfinite(value) and value >= 0):
            raise ValidationError(f"{name} must be a number ≥ 0, got {value!r}.")


def _firm_indices(network: SupplyNetwork, firms: Sequence[int] | npt.ArrayLike | None) -> Any:
    if firms is None:
        return np.arange(network.size, dtype=np.int64)
    idx = np.asarray(firms, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= network.size):
        raise ValidationError(f"shocked firm indices must lie in 0..{network.size - 1}.")
    return idx


def default_batch_size(count: int, slots: int) -> int:
    """About BATCHES_PER_SLOT batches per task slot, at most MAX_DEFAULT_BATCH firms each."""
    batches = max(1, slots) * BATCHES_PER_SLOT
    return max(1, min(MAX_DEFAULT_BATCH, math.ceil(count / batches)))


def split_batches(count: int, batch_size: int) -> list[npt.NDArray[np.int64]]:
    """Positions 0..count-1 dealt round-robin into batches of at most ``batch_size``.

    Dealing, not cutting into runs, spreads firms that sit next to each other in the input (a
    file sorted by size or by region puts the expensive cascades together) over all batches.
    """
    if batch_size < 1:
        raise ValidationError(f"batch size must be ≥ 1, got {batch_size}.")
    batches = math.ceil(count / batch_size)
    return [np.arange(b, count, batches, dtype=np.int64) for b in range(batches)]


def esri_session() -> SparkSession:
    """The Spark session of :mod:`chainwatch.engines.spark_session`, with Python workers that run
    this interpreter in local mode (they must import chainwatch, numpy and numba)."""
    from chainwatch.config import get_settings
    from chainwatch.engines.spark_session import spark_session

    if get_settings().spark_master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return spark_session()


def _task_failed(exc: BaseException) -> ConfigError:
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    # PySpark repeats the worker's traceback; its last line names the Python error.
    last = next(
        (line.strip() for line in reversed(lines) if "Error" in line or "Exception" in line),
        lines[-1].strip() if lines else type(exc).__name__,
    )
    return ConfigError(
        f"Spark ESRI tasks failed: {last}. The executors' Python must have the same chainwatch, "
        "numpy and numba as the driver (docs/spark-esri.md, 'Running on a cluster'); check "
        "executor memory against the network size."
    )


def _collect(
    sc: SparkContext,
    batches: list[tuple[int, npt.NDArray[np.int64]]],
    options: TaskOptions,
    payload: Any,
    progress: Progress | None,
) -> list[tuple[int, FloatArray]]:
    done = sc.accumulator(0)

    def task(item: tuple[int, npt.NDArray[np.int64]]) -> tuple[int, FloatArray]:
        out = run_batch(options, payload, item)
        done.add(int(item[1].size))
        return out

    rdd = sc.parallelize(batches, len(batches)).map(task)
    if progress is None:
        return rdd.collect()
    # collect() blocks; the driver learns of finished tasks through the accumulator.
    box: dict[str, Any] = {}
    group = f"chainwatch-esri-{options.token}"

    def run() -> None:
        try:
            sc.setJobGroup(group, "chainwatch all-firm ESRI", interruptOnCancel=True)
            box["rows"] = rdd.collect()
        except BaseException as exc:  # re-raised in the calling thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="chainwatch-spark-esri", daemon=True)
    worker.start()
    reported = 0
    try:
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            now = int(done.value)
            if now > reported:
                progress(now - reported)
                reported = now
    except BaseException:  # Ctrl-C: stop the tasks, not only the wait
        sc.cancelJobGroup(group)
        raise
    if "error" in box:
        raise box["error"]
    total = sum(int(b[1].size) for b in batches)
    if total > reported:
        progress(total - reported)
    return list(box["rows"])


def spark_firm_esri(
    network: SupplyNetwork,
    firms: Sequence[int] | npt.ArrayLike | None = None,
    *,
    exact: bool = False,
    tol: float = DEFAULT_TOL,
    delta: float = DEFAULT_DELTA,
    max_error: float = DEFAULT_MAX_ERROR,
    weights: npt.ArrayLike | None = None,
    threads: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
    frontier_budget: float | None = None,
    spark: SparkSession | None = None,
) -> ScenarioESRI:
    """:func:`chainwatch.risk.fast.firm_esri` on Spark: the same arguments and the same result.

    ``batch_size``: firms per Spark task (default: about 8 tasks per task slot of the cluster,
    at most 20,000 firms each). ``threads``: compiled threads inside each task (default 1, as
    Spark runs one task per core; raise it together with ``spark.task.cpus``). ``spark``: the
    session to use (default: the session of chainwatch's Spark engine, CHAINWATCH_SPARK_MASTER).
    """
    _check_options(tol, delta, max_error)
    if threads is not None and threads < 1:
        raise ValidationError(f"threads must be ≥ 1, got {threads}.")
    if batch_size is not None and batch_size < 1:
        raise ValidationError(f"batch size must be ≥ 1, got {batch_size}.")
    w = check_weights(network, weights)
    idx = _firm_indices(network, firms)
    delta_run = 0.0 if exact else float(delta)
    rows = np.zeros((RESULT_ROWS, idx.size))
    if idx.size:
        session = spark if spark is not None else esri_session()
        sc = session.sparkContext
        size = batch_size or default_batch_size(idx.size, sc.defaultParallelism)
        positions = split_batches(idx.size, size)
        options = TaskOptions(
            token=uuid.uuid4().hex,
            exact=exact,
            tol=float(tol),
            delta=delta_run,
            max_error=float(max_error),
            threads=threads or 1,
            frontier_budget=frontier_budget,
        )
        payload = sc.broadcast(network_payload(network, w))
        try:
            batches = [(b, idx[pos]) for b, pos in enumerate(positions)]
            try:
                collected = _collect(sc, batches, options, payload, progress)
            except ValidationError:
                raise
            except Exception as exc:  # Py4J / PySpark errors from the executors
                raise _task_failed(exc) from exc
        finally:
            payload.destroy()
        for number, part in collected:
            rows[:, positions[number]] = part
    return ScenarioESRI(
        esri=rows[0],
        esri_down=rows[1],
        esri_up=rows[2],
        rounds=rows[3].astype(np.int32),
        error_bound=rows[4],
        delta_used=rows[5],
        mode="exact" if exact else "fast",
        tol=float(tol),
        delta=delta_run,
        max_error=float(max_error),
    )
