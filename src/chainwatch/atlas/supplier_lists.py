"""四清单 of a firm: its suppliers split into 市内 / 省内 / 省外 / 境外.

Domestic suppliers come from the links (invoiced purchases, excluding VAT); foreign suppliers
from the firm's customs imports, one node per country of origin and HS product. Shares are of
all the firm's inputs in the period (purchases + imports), and of the list's own total.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from chainwatch.atlas.places import register_places
from chainwatch.atlas.settings import load_atlas_settings
from chainwatch.atlas.window import Window, latest_period, resolve_window
from chainwatch.errors import ChainwatchError, DataMissingError, NotFoundError
from chainwatch.ingest import batches
from chainwatch.ingest.validation import check_uscc
from chainwatch.reference import countries, regions
from chainwatch.store import datasets, lake

# Order and labels of the four lists (key, Chinese label, English label).
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("city", "市内", "same city"),
    ("province", "省内", "rest of the province"),
    ("country", "省外", "rest of China"),
    ("foreign", "境外", "abroad"),
)


def normalise_uscc(raw: str) -> str:
    code, problem = check_uscc(raw.strip().upper())
    if code is None:
        raise NotFoundError(f"credit code {raw!r} {problem}.")
    return str(code)


def _firm(con: duckdb.DuckDBPyConnection, enterprises: str, uscc: str) -> dict[str, Any]:
    rows = con.execute(
        f"SELECT uscc, name, region_code, industry_code FROM {enterprises} WHERE uscc = ?",
        [uscc],
    ).fetchall()
    if not rows:
        raise NotFoundError(
            f"no enterprise with 统一社会信用代码 {uscc} in the registry; check the code or load "
            "the registry with `chainwatch ingest enterprises FILE`."
        )
    row = rows[0]
    return {"uscc": row[0], "name": row[1], "region_code": row[2], "industry_code": row[3]}


def require_firm(credit_code: str) -> str:
    """The normalised code of a registered firm; NotFoundError otherwise."""
    uscc = normalise_uscc(credit_code)
    con = lake.connect()
    try:
        _firm(con, datasets.enterprises_sql(), uscc)
    finally:
        con.close()
    return uscc


def _region(code: str | None) -> dict[str, str] | None:
    if not code:
        return None
    try:
        return {"code": code, "name": regions.region_name(code)}
    except NotFoundError:
        return {"code": code, "name": code}


def _country(code: str, lang: str) -> str:
    try:
        return countries.country_name(code, "en" if lang == "en" else "zh")
    except ChainwatchError:  # an unknown code is shown as it is
        return code


def _imports(
    con: duckdb.DuckDBPyConnection, uscc: str, window: Window
) -> list[tuple[str, str, float, int]]:
    if not batches.loaded_batch_ids("customs"):
        return []
    return [
        (str(r[0]), str(r[1]), float(r[2]), int(r[3]))
        for r in con.execute(
            f"""
            SELECT country, hs_code, sum(amount), count(*) FROM {datasets.customs_sql()}
            WHERE uscc = ? AND direction = 'import' AND {window.date_condition()}
            GROUP BY country, hs_code HAVING sum(amount) > 0
            ORDER BY sum(amount) DESC, country, hs_code
            """,
            [uscc],
        ).fetchall()
    ]


def supplier_lists(
    credit_code: str,
    start: str | None = None,
    end: str | None = None,
    *,
    lang: str = "zh-CN",
    product_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The 四清单 of one firm over ``start``..``end`` (YYYY-MM; default the latest months of
    the links, as many as the atlas settings say). ``product_names`` maps HS codes (any prefix
    length) to a product name for the foreign nodes; by default the chains' key products."""
    uscc = normalise_uscc(credit_code)
    links = lake.result_sql("links") if lake.has_result("links") else None
    if links is None:
        raise DataMissingError(
            "the supply links have not been computed yet; run `chainwatch run links` (or "
            "`chainwatch run atlas`, or `chainwatch demo`)."
        )
    enterprises = datasets.enterprises_sql()
    con = lake.connect()
    try:
        firm = _firm(con, enterprises, uscc)
        months = load_atlas_settings().metrics.months
        window = resolve_window(latest_period(con, links), months, start, end)
        register_places(
            con,
            enterprises,
            f"SELECT supplier AS uscc FROM {links} WHERE customer = '{uscc}' UNION SELECT '{uscc}'",
        )
        domestic = con.execute(
            f"""
            WITH bought AS (
                SELECT supplier, sum(amount) AS amount, sum(invoice_count) AS invoices,
                       count(DISTINCT period) AS months
                FROM {links} WHERE customer = ? AND {window.period_condition()}
                GROUP BY supplier HAVING sum(amount) > 0
            ), me AS (SELECT * FROM places WHERE uscc = ?)
            SELECT b.supplier, e.name, p.region_code,
                   CASE WHEN p.city_code = me.city_code THEN 'city'
                        WHEN p.province_code = me.province_code THEN 'province'
                        ELSE 'country' END AS category,
                   b.amount, b.invoices, b.months
            FROM bought b
            JOIN places p ON p.uscc = b.supplier
            CROSS JOIN me
            LEFT JOIN {enterprises} e ON e.uscc = b.supplier
            ORDER BY b.amount DESC, b.supplier
            """,
            [uscc, uscc],
        ).fetchall()
        foreign = _imports(con, uscc, window)
    finally:
        con.close()
    if product_names is None:
        product_names = chain_product_names()
    return _assemble(firm, window, domestic, foreign, lang, product_names)


def chain_product_names() -> dict[str, str]:
    """HS code → name of the key product of a chain that carries it (first one wins)."""
    from chainwatch.atlas.chains import load_chains

    names: dict[str, str] = {}
    for chain in load_chains().values():
        for segment in chain.segments:
            for product in segment.key_products:
                for code in product.hs_codes:
                    names.setdefault(code, product.name)
    return names


def _product_name(hs_code: str, names: Mapping[str, str]) -> str | None:
    for length in range(len(hs_code), 1, -1):
        found = names.get(hs_code[:length])
        if found:
            return found
    return None


def _assemble(
    firm: dict[str, Any],
    window: Window,
    domestic: list[tuple[Any, ...]],
    foreign: list[tuple[str, str, float, int]],
    lang: str,
    product_names: Mapping[str, str],
) -> dict[str, Any]:
    items: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in CATEGORIES}
    for supplier, name, region_code, category, amount, invoices, months in domestic:
        items[category].append(
            {
                "uscc": supplier,
                "name": name,
                "region": _region(region_code),
                "amount": float(amount),
                "invoices": int(invoices),
                "months": int(months),
            }
        )
    for country, hs_code, amount, records in foreign:
        items["foreign"].append(
            {
                "country": country,
                "country_name": _country(country, lang),
                "hs_code": hs_code,
                "product": _product_name(hs_code, product_names),
                "amount": amount,
                "records": records,
            }
        )
    total = sum(item["amount"] for rows in items.values() for item in rows)
    lists = []
    for key, label_zh, label_en in CATEGORIES:
        rows = items[key]
        subtotal = sum(item["amount"] for item in rows)
        for item in rows:
            item["share"] = item["amount"] / total if total else 0.0
            item["share_in_list"] = item["amount"] / subtotal if subtotal else 0.0
        lists.append(
            {
                "key": key,
                "label": label_en if lang == "en" else label_zh,
                "amount": subtotal,
                "share": subtotal / total if total else 0.0,
                "count": len(rows),
                "items": rows,
            }
        )
    return {
        "firm": {
            **firm,
            "region": _region(firm["region_code"]),
            "city": _region(_city_code(firm["region_code"])),
            "province": _region(firm["region_code"][:2] + "0000" if firm["region_code"] else None),
        },
        "period": window.as_dict(),
        "total": total,
        "lists": lists,
    }


def _city_code(region_code: str | None) -> str | None:
    if not region_code:
        return None
    try:
        city = regions.city_of(region_code)
    except NotFoundError:
        return region_code[:4] + "00"
    return city.code if city is not None else region_code[:2] + "0000"
