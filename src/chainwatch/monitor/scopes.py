"""Scopes an index is computed for: a firm, a region (county, city, province) or any grouping.

Region scopes come from the registry's region code (GB/T 2260) and roll up county → city →
province. Any other way of grouping firms — chain segments and chains once the atlas exists —
is a :class:`Grouping`: a name for the scope and SQL giving (uscc, code, name) membership rows.
A firm may belong to several groups (a firm in two segments counts in both).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from chainwatch.errors import DataMissingError, NotFoundError, ValidationError
from chainwatch.reference import regions
from chainwatch.store import datasets

FIRM = "firm"
REGION_SCOPES = ("county", "city", "province")
SCOPES = (FIRM, *REGION_SCOPES)
REGION_MAP = "cw_region_map"  # DuckDB relation registered by register_region_map
FIRM_IDS = "cw_firm_ids"  # DuckDB table created by register_firm_ids


@dataclass(frozen=True)
class Grouping:
    """Firms grouped by a membership relation; ``sql`` yields columns uscc, code, name.

    Example, once the atlas writes a firm→segment result::

        Grouping("segment", f"SELECT uscc, segment_id AS code, segment_name AS name "
                            f"FROM {lake.result_sql('firm_segments')}")
    """

    scope: str
    sql: str

    def __post_init__(self) -> None:
        if self.scope in SCOPES or not self.scope.isidentifier():
            raise ValidationError(
                f"grouping scope {self.scope!r} must be a new identifier, "
                f"not one of {', '.join(SCOPES)}."
            )


def enterprises_or_none() -> str | None:
    """The registry relation, or None when no enterprises are loaded (firm scope still works)."""
    try:
        return datasets.enterprises_sql()
    except DataMissingError:
        return None


def require_enterprises(scope: str) -> str:
    relation = enterprises_or_none()
    if relation is None:
        raise DataMissingError(
            f"{scope} indices need the enterprise registry (region of each "
            "firm); load it with `chainwatch ingest enterprises FILE` or run "
            "`chainwatch demo`."
        )
    return relation


def _levels(code: str) -> tuple[str | None, str | None, str | None]:
    """(county, city, province) codes of a registry region code."""
    try:
        region = regions.get_region(code)
    except NotFoundError:
        # Codes newer than the shipped table: GB/T 2260 puts the city in digits 1–4.
        county = None if code.endswith("00") else code
        return county, code[:4] + "00", code[:2] + "0000"
    county = region.code if region.level == "county" else None
    city = regions.city_of(region.code)
    return county, city.code if city else None, region.province_code


def _name(code: str | None) -> str | None:
    if code is None or not regions.is_known_region(code):
        return None
    return regions.region_name(code)


def register_region_map(con: duckdb.DuckDBPyConnection, enterprises: str) -> None:
    """Register relation REGION_MAP: region_code → county/city/province codes and names.

    Built in Python over the distinct region codes (a few thousand at most), not over firms.
    """
    codes = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT region_code FROM {enterprises} WHERE region_code IS NOT NULL"
        ).fetchall()
    ]
    columns: dict[str, list[str | None]] = {"region_code": []}
    for level in REGION_SCOPES:
        columns[f"{level}_code"] = []
        columns[f"{level}_name"] = []
    for code in codes:
        columns["region_code"].append(code)
        for level, level_code in zip(REGION_SCOPES, _levels(code), strict=True):
            columns[f"{level}_code"].append(level_code)
            columns[f"{level}_name"].append(_name(level_code))
    table = pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})
    con.register(REGION_MAP, table)


def register_firm_ids(con: duckdb.DuckDBPyConnection, enterprises: str | None) -> int:
    """Create table FIRM_IDS (fid, uscc, region_code) numbering the registry; return its size.

    Integer ids (from 1) make the index query's large joins cheap; firms with indicators but no
    registry entry are keyed by their code instead. Ids follow the credit codes' order, so two
    connections over the same registry agree on them.
    """
    source = (
        f"SELECT uscc, region_code FROM {enterprises}"
        if enterprises
        else "SELECT NULL::VARCHAR AS uscc, NULL::VARCHAR AS region_code WHERE false"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {FIRM_IDS} AS SELECT "
        "CAST(row_number() OVER (ORDER BY uscc) AS INTEGER) AS fid, uscc, region_code "
        f"FROM ({source})"
    )
    rows = con.execute(f"SELECT count(*) FROM {FIRM_IDS}").fetchall()
    return int(rows[0][0]) if rows else 0


def check_code(scope: str, code: str) -> str:
    """The normalised code for ``scope``; errors say what kind of code was expected."""
    text = code.strip().upper()
    if scope == FIRM:
        if len(text) != 18 or not text.isalnum():
            raise ValidationError(
                f"firm code {code!r} is not a 统一社会信用代码; expected 18 "
                "letters and digits such as 91330106MA2XXXXXX1."
            )
        return text
    if scope not in REGION_SCOPES:
        return code.strip()
    region = regions.get_region(text)
    if region.level != scope:
        raise ValidationError(
            f"region {region.code} ({region.name}) is a {region.level}, not "
            f"a {scope}; use --scope {region.level}."
        )
    return region.code


def firm_filter_sql(scope: str, code: str, enterprises: str | None) -> str:
    """SQL predicate on ``uscc`` keeping the firms of one scope code (pushed into the scan)."""
    quoted = "'" + code.replace("'", "''") + "'"
    if scope == FIRM:
        return f"uscc = {quoted}"
    if enterprises is None:
        raise DataMissingError(
            f"{scope} indices need the enterprise registry; load it with "
            "`chainwatch ingest enterprises FILE` or run `chainwatch demo`."
        )
    if scope == "province":
        where = f"left(region_code, 2) = {quoted[:3]}'"
    else:
        where = (
            f"region_code IN (SELECT region_code FROM {REGION_MAP} WHERE {scope}_code = {quoted})"
        )
    return f"uscc IN (SELECT uscc FROM {enterprises} WHERE {where})"
