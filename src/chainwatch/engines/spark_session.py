"""One Spark session per process, for every use of Spark in chainwatch (the cascades of
``chainwatch risk esri --engine spark`` and the Spark engine's stages).

Spark runs in local mode by default (``local[2]``: the driver is the executor, the web UI off,
bound to 127.0.0.1, spill under CHAINWATCH_HOME/tmp/spark). CHAINWATCH_SPARK_MASTER names a
cluster instead (docs/spark-esri.md). Properties set in Spark's own ``spark-defaults.conf``
(SPARK_CONF_DIR) win over chainwatch's local defaults, so a deployment tunes memory the way
Spark users expect.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainwatch.config import get_settings
from chainwatch.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Every run, local or cluster: no web UI or console progress (the CLI draws its own), UTC so
# that dates format the same on every node.
COMMON_CONF = {
    "spark.app.name": "chainwatch",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
# Local mode only, and only where spark-defaults.conf does not say otherwise: modest memory,
# few shuffle partitions (200 by default, far too many for two cores), no network but loopback.
LOCAL_DEFAULTS = {
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
LOG_CONFIG = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


def java_command() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def check_available() -> None:
    """Stop with a ConfigError, saying what to install, where PySpark or Java is missing."""
    if importlib.util.find_spec("pyspark") is None:
        raise ConfigError(
            "--engine spark needs PySpark, which is not installed; install it with "
            "`pip install 'chainwatch[spark]'` (or `pip install 'pyspark>=3.5'`), or leave out "
            "--engine to use DuckDB."
        )
    if java_command() is None:
        raise ConfigError(
            "--engine spark needs Java 17 or later (Spark runs on the JVM), but neither "
            "JAVA_HOME nor PATH has a `java`; install a JDK (e.g. `apt-get install "
            "openjdk-17-jre-headless`) and set JAVA_HOME, or leave out --engine to use DuckDB."
        )


def spark_defaults() -> set[str]:
    """Property names set in Spark's spark-defaults.conf, which spark-submit reads itself."""
    folder = os.environ.get("SPARK_CONF_DIR")
    if not folder and os.environ.get("SPARK_HOME"):
        folder = str(Path(os.environ["SPARK_HOME"]) / "conf")
    path = Path(folder) / "spark-defaults.conf" if folder else None
    if path is None or not path.is_file():
        return set()
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.add(line.replace("=", " ").split()[0])
    return names


def session_conf() -> dict[str, str]:
    settings = get_settings()
    master = settings.spark_master
    conf = {**COMMON_CONF, "spark.master": master}
    if master.startswith("local"):
        configured = spark_defaults()
        conf.update({k: v for k, v in LOCAL_DEFAULTS.items() if k not in configured})
        work = settings.home_path / "tmp" / "spark"
        work.mkdir(parents=True, exist_ok=True)
        log_config = work / "log4j2.properties"
        log_config.write_text(LOG_CONFIG, encoding="utf-8")
        conf.setdefault("spark.local.dir", str(work))
        if "spark.driver.extraJavaOptions" not in configured:
            conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={log_config}"
    return conf


def spark_session() -> SparkSession:
    """The process's Spark session, started on first use with :func:`session_conf`."""
    check_available()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    conf = session_conf()
    if conf["spark.master"].startswith("local"):
        # Otherwise Spark resolves the host name and may bind to a public interface.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python workers must run this interpreter (the one that can import chainwatch).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder: Any = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        with warnings.catch_warnings():
            # PySpark warns about pandas versions it has not certified; chainwatch moves data
            # through Arrow, not pandas.
            warnings.simplefilter("ignore", FutureWarning)
            session: SparkSession = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: Java too old, bad master, no memory
        raise ConfigError(
            f"Spark did not start (master {conf['spark.master']!r}): {exc}. Check that Java 17 "
            "or later is installed (JAVA_HOME) and that CHAINWATCH_SPARK_MASTER is right."
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session
