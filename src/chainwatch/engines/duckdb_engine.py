"""The default engine: DuckDB over Parquet, out-of-core with a bounded memory limit."""

from __future__ import annotations

from pathlib import Path

from chainwatch.engines.base import AtlasJob, AtlasOutcome
from chainwatch.store import lake

LINKS_SQL = """
SELECT seller AS supplier, buyer AS customer, strftime(date, '%Y-%m') AS period,
       sum(amount) AS amount, sum(tax) AS tax, count(*)::BIGINT AS invoice_count
FROM read_parquet({files}, union_by_name = true)
GROUP BY ALL
"""


def quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckDBEngine:
    name = "duckdb"

    def aggregate_links(self, invoice_files: list[Path], out: Path) -> int:
        files = "[" + ", ".join(quote(p) for p in invoice_files) + "]"
        con = lake.connect()
        try:
            tmp = lake.staging_path() / out.name
            con.execute(
                f"COPY ({LINKS_SQL.format(files=files)}) TO {quote(tmp)} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            lake.publish(tmp, out)
            row = con.execute(f"SELECT count(*) FROM read_parquet({quote(out)})").fetchone()
            return int(row[0]) if row else 0
        finally:
            con.close()

    def build_atlas(self, job: AtlasJob) -> AtlasOutcome:
        # The atlas SQL lives with the atlas (chainwatch.atlas.*), written for DuckDB.
        from chainwatch.atlas.stage import compute_atlas

        return compute_atlas(job)
