"""The Spark engine (`--engine spark`): the same stages as DuckDB, for provinces too large for
one machine. Inputs and results are the same Parquet files in the lake, so the CLI, API and
pages read Spark's results exactly as they read DuckDB's.

Spark runs in local mode by default (``local[2]``: the driver is the executor, the web UI off,
bound to 127.0.0.1, spill under CHAINWATCH_HOME/tmp/spark). CHAINWATCH_SPARK_MASTER names a
cluster instead; the lake must then sit on storage every node sees under the same path
(docs/spark.md). Properties set in Spark's own ``spark-defaults.conf`` (SPARK_CONF_DIR) win
over chainwatch's local defaults, so a deployment tunes memory the way Spark users expect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from chainwatch.engines.base import AtlasJob, AtlasOutcome
from chainwatch.engines.duckdb_engine import quote
from chainwatch.engines.spark_session import check_available, spark_defaults, spark_session
from chainwatch.errors import ConfigError
from chainwatch.store import lake

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def uri(path: Path) -> str:
    """A lake path as Spark must see it: an explicit local file, never the cluster's default
    file system (which may be HDFS)."""
    return "file://" + str(path.resolve())


def read_parquet(spark: SparkSession, files: list[Path] | tuple[Path, ...]) -> DataFrame:
    """The files as one frame; batches loaded at different times may differ in columns, so
    several files are read with their schemas merged (DuckDB's ``union_by_name``)."""
    reader = spark.read.option("mergeSchema", "true") if len(files) > 1 else spark.read
    return reader.parquet(*(uri(p) for p in files))


def write_parquet(frame: DataFrame, out: Path) -> Path:
    """Write ``frame`` as the single Parquet file ``out`` (results are one file each, as the
    lake's readers expect): written aside by Spark, then renamed into place."""
    folder = lake.staging_path() / f"{out.name}.spark"
    lake.remove(folder)
    frame.repartition(1).write.mode("overwrite").parquet(uri(folder))
    parts = sorted(folder.glob("part-*.parquet"))
    if len(parts) != 1:
        raise ConfigError(
            f"Spark wrote {len(parts)} files for {out.name} into {folder}; expected one. Is "
            "the lake on storage the Spark driver and executors share (docs/spark.md)?"
        )
    lake.publish(parts[0], out)
    lake.remove(folder)
    return out


def from_arrow(spark: SparkSession, table: pa.Table) -> DataFrame:
    if int(spark.version.split(".")[0]) >= 4:
        return spark.createDataFrame(table)
    return spark.createDataFrame(table.to_pandas())


class Workspace:
    """The intermediate tables of one Spark job, each written as Parquet into a folder of the
    lake's staging area and read back under its name.

    Later queries then start from the files rather than from the whole plan that produced
    them: Spark plans and runs each query against small, known inputs (a chain of cached
    views makes every plan carry all the plans before it, which costs more than the work on
    a small province), and the driver's DuckDB reads the same files for the final metrics.
    Like the results, the folder must be on storage the driver and executors share.
    """

    def __init__(self, spark: SparkSession, folder: Path) -> None:
        self.spark = spark
        self.folder = folder
        self.names: list[str] = []
        lake.remove(folder)

    def path(self, name: str) -> Path:
        return self.folder / name

    def register(self, name: str, frame: DataFrame) -> None:
        """Make ``frame`` the view ``name``."""
        frame.createOrReplaceTempView(name)
        self.names.append(name)

    def view(self, name: str, query: str) -> None:
        """Make ``query`` the view ``name``, computed anew by each query that reads it."""
        self.register(name, self.spark.sql(query))

    def materialise(self, name: str, query: str) -> None:
        """Run ``query``, write its rows under ``name`` and make ``name`` a view of them."""
        frame = self.spark.sql(query)
        out = self.path(name)
        frame.write.mode("overwrite").parquet(uri(out))
        if not any(out.glob("*.parquet")):
            raise ConfigError(
                f"Spark wrote no Parquet file for {name} into {out}. Is the lake on storage "
                "the Spark driver and executors share (docs/spark.md)?"
            )
        # The schema is known: reading it back needs no look at the files' footers.
        self.register(name, self.spark.read.schema(frame.schema).parquet(uri(out)))

    def duckdb_sql(self, name: str) -> str:
        """DuckDB's reader of the table ``name`` (for the driver's part of the job)."""
        return f"read_parquet({quote(self.path(name) / '*.parquet')})"

    def close(self) -> None:
        for name in self.names:
            self.spark.catalog.dropTempView(name)
        lake.remove(self.folder)


SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"


@contextmanager
def local_partitions(spark: SparkSession) -> Iterator[SparkSession]:
    """In local mode, one shuffle partition per core while a stage runs (unless
    spark-defaults.conf sets the number): each Spark query of the atlas shuffles several
    times, and on a few cores every extra partition is a task to schedule; on a small province
    that halves the run. A cluster keeps its own setting."""
    tune = (spark.sparkContext.master or "").startswith("local") and (
        SHUFFLE_PARTITIONS not in spark_defaults()
    )
    before = spark.conf.get(SHUFFLE_PARTITIONS)
    if tune:
        spark.conf.set(SHUFFLE_PARTITIONS, str(max(1, spark.sparkContext.defaultParallelism)))
    try:
        yield spark
    finally:
        if tune:
            spark.conf.set(SHUFFLE_PARTITIONS, str(before))


class SparkEngine:
    name = "spark"

    def __init__(self) -> None:
        check_available()

    def aggregate_links(self, invoice_files: list[Path], out: Path) -> int:
        with local_partitions(spark_session()) as spark:
            return self._aggregate_links(spark, invoice_files, out)

    def _aggregate_links(self, spark: SparkSession, invoice_files: list[Path], out: Path) -> int:
        from pyspark.sql import functions as F

        invoices = read_parquet(spark, invoice_files)
        links = invoices.groupBy(
            F.col("seller").alias("supplier"),
            F.col("buyer").alias("customer"),
            F.date_format("date", "yyyy-MM").alias("period"),
        ).agg(
            F.sum("amount").alias("amount"),
            F.sum("tax").alias("tax"),
            F.count(F.lit(1)).alias("invoice_count"),
        )
        write_parquet(links, out)
        return int(pq.ParquetFile(out).metadata.num_rows)

    def build_atlas(self, job: AtlasJob) -> AtlasOutcome:
        from chainwatch.engines.spark_atlas import compute_atlas

        with local_partitions(spark_session()) as spark:
            return compute_atlas(spark, job)
