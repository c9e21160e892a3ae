"""Where firms are: county, city and province of every registered firm and of every supplier
that appears only in the links (firms outside the province are not in the registry).

A firm missing from the registry is placed by its 统一社会信用代码: characters 3–8 are the
GB/T 2260 code of the registering authority (GB 32100-2015), which is where it is registered.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from chainwatch.errors import DataMissingError
from chainwatch.reference import regions

MUNICIPALITY_PREFIXES = ("11", "12", "31", "50")


def region_table() -> pa.Table:
    """code → city_code, province_code for every shipped region. The four municipalities have
    no city level: the municipality itself stands in for the city (市内 = within Chongqing)."""
    codes, cities, provinces = [], [], []
    for region in regions.load_regions().values():
        province = region.province_code
        if region.level == "province":
            city = region.code if region.code[:2] in MUNICIPALITY_PREFIXES else None
        elif region.level == "city":
            city = region.code
        else:
            parent = regions.load_regions().get(region.parent_code or "")
            city = parent.code if parent is not None and parent.level == "city" else province
        codes.append(region.code)
        cities.append(city)
        provinces.append(province)
    return pa.table({"code": codes, "city_code": cities, "province_code": provinces})


def _fallback_city(column: str) -> str:
    prefixes = ", ".join(f"'{p}'" for p in MUNICIPALITY_PREFIXES)
    return (
        f"CASE WHEN substr({column}, 1, 2) IN ({prefixes}) THEN substr({column}, 1, 2) || '0000' "
        f"ELSE substr({column}, 1, 4) || '00' END"
    )


def register_places(
    con: duckdb.DuckDBPyConnection, enterprises_sql: str, parties_sql: str | None = None
) -> None:
    """Create the temporary table ``places(uscc, region_code, city_code, province_code,
    registered)``: every registered firm, plus the firms ``parties_sql`` (a query with one
    column ``uscc``) names, registered or not. With ``parties_sql`` given, only those."""
    con.register("region_lookup", region_table())
    if parties_sql is None:
        chosen = f"SELECT uscc, region_code, TRUE AS registered FROM {enterprises_sql}"
    else:
        chosen = f"""
            SELECT p.uscc, coalesce(e.region_code, substr(p.uscc, 3, 6)) AS region_code,
                   e.uscc IS NOT NULL AS registered
            FROM (SELECT DISTINCT uscc FROM ({parties_sql})) p
            LEFT JOIN {enterprises_sql} e ON e.uscc = p.uscc
        """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE places AS
        SELECT c.uscc, c.region_code,
               coalesce(r.city_code, {_fallback_city("c.region_code")}) AS city_code,
               coalesce(r.province_code, substr(c.region_code, 1, 2) || '0000') AS province_code,
               c.registered
        FROM ({chosen}) c LEFT JOIN region_lookup r ON r.code = c.region_code
        """
    )


def links_parties_sql(enterprises_sql: str, links_sql: str) -> str:
    """Every registered firm and every party of a link."""
    return f"""
        SELECT uscc FROM {enterprises_sql}
        UNION SELECT supplier FROM {links_sql}
        UNION SELECT customer FROM {links_sql}
    """


def home_province(con: duckdb.DuckDBPyConnection) -> str:
    """The province holding most registered firms (as on the overview page)."""
    rows = con.execute(
        """
        SELECT province_code FROM places WHERE registered
        GROUP BY province_code ORDER BY count(*) DESC, province_code LIMIT 1
        """
    ).fetchall()
    if not rows:
        raise DataMissingError(
            "no enterprises loaded yet; load them with `chainwatch ingest enterprises FILE` "
            "or run `chainwatch demo`."
        )
    return str(rows[0][0])
