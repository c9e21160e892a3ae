"""What the CLI, the API and the pages show of the stored ESRI and of scenarios, with names."""

from __future__ import annotations

from typing import Any

from chainwatch.atlas import labels
from chainwatch.atlas.chains import Chain, get_chain, load_chains
from chainwatch.atlas.supplier_lists import chain_product_names
from chainwatch.errors import ChainwatchError, NotFoundError
from chainwatch.reference import regions
from chainwatch.risk import results
from chainwatch.store import datasets

FIRM_COLUMNS = (
    "node, kind, uscc, country, hs_code, sector, region_code, output, esri, esri_downstream, "
    "esri_upstream, error_bound, rank, hits_computed"
)


def _chain_names(lang: str) -> dict[str, Chain]:
    del lang  # names are picked per language by _segment_label
    return dict(load_chains())


def _segment_label(
    chains: dict[str, Chain], chain_id: str, segment_id: str | None, lang: str
) -> str:
    chain = chains.get(chain_id)
    if chain is None:
        return f"{chain_id}/{segment_id}" if segment_id else chain_id
    if segment_id is None:
        return labels.chain_name(chain, lang)
    try:
        return labels.segment_name(chain.segment(segment_id), lang)
    except ChainwatchError:
        return segment_id


def node_label(row: dict[str, Any], lang: str, product_names: dict[str, str] | None = None) -> str:
    """A readable name: the firm's name, or "日本 · 370790 光刻胶" for a foreign node."""
    if row.get("kind") == "foreign":
        country = labels.country_name(row.get("country"), lang) or row.get("country") or ""
        code = str(row.get("hs_code") or "")
        names = product_names if product_names is not None else chain_product_names()
        product = next((names[code[:n]] for n in range(len(code), 1, -1) if code[:n] in names), "")
        return f"{country} · HS {code}" + (f" {product}" if product else "")
    return str(row.get("name") or row.get("uscc") or row.get("node"))


def _with_names(found: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    names = chain_product_names()
    for row in found:
        row["label"] = node_label(row, lang, names)
        row["region_name"] = labels.region_name(row.get("region_code"))
        row["country_name"] = labels.country_name(row.get("country"), lang)
    return found


def _ranked_count(con: Any) -> int:
    return int(
        con.execute(f"SELECT count(*) FROM {results.result('risk_esri')} WHERE home").fetchall()[0][
            0
        ]
    )


def firm_risk(uscc: str, lang: str = "zh-CN") -> dict[str, Any] | None:
    """ESRI, rank and the chains and segments a firm's failure would hit; None where the risk
    stage has not run or the firm has no link in its window."""
    if not results.computed():
        return None
    info = results.meta()
    with results.connection() as con:
        found = results.rows(
            con,
            f"SELECT {FIRM_COLUMNS} FROM {results.result('risk_esri')} WHERE node = ?",
            [uscc],
        )
        if not found:
            return None
        hits = results.rows(
            con,
            f"SELECT level, chain_id, segment_id, loss, output, share "
            f"FROM {results.result('risk_hits')} WHERE node = ? ORDER BY level, share DESC",
            [uscc],
        )
        ranked = _ranked_count(con)
    chains = _chain_names(lang)
    for hit in hits:
        hit["chain_name"] = _segment_label(chains, hit["chain_id"], None, lang)
        hit["segment_name"] = (
            _segment_label(chains, hit["chain_id"], hit["segment_id"], lang)
            if hit["segment_id"]
            else None
        )
    return {
        **found[0],
        "ranked": ranked,
        "window": info["window"],
        "computed_at": info["computed_at"],
        "hit_share": info["settings"]["hit_share"],
        "chains": [h for h in hits if h["level"] == "chain"],
        "segments": [h for h in hits if h["level"] == "segment"],
    }


def _registry_names(con: Any, table: str) -> str:
    return (
        f"SELECT t.*, e.name FROM {table} t LEFT JOIN {datasets.enterprises_sql()} e "
        "ON e.uscc = t.uscc"
    )


def top_firms(
    chain_id: str | None = None, limit: int = 20, lang: str = "zh-CN", firms_only: bool = False
) -> dict[str, Any]:
    """The most critical nodes: by ESRI overall, or by what their failure would cost a chain
    (``chain_id``), foreign suppliers included unless ``firms_only``."""
    results.require_risk()
    info = results.meta()
    chain = get_chain(chain_id) if chain_id else None
    only = "AND r.kind = 'firm'" if firms_only else ""
    with results.connection() as con:
        if chain is None:
            query = f"""
                SELECT r.*, NULL AS chain_loss, NULL AS chain_share, NULL AS chain_output
                FROM ({_registry_names(con, results.result("risk_esri"))}) r
                WHERE r.esri > 0 {only} ORDER BY r.esri DESC, r.node LIMIT ?"""
            found = results.rows(con, query, [limit])
        else:
            query = f"""
                SELECT r.*, h.loss AS chain_loss, h.share AS chain_share, h.output AS chain_output
                FROM {results.result("risk_hits")} h
                JOIN ({_registry_names(con, results.result("risk_esri"))}) r USING (node)
                WHERE h.level = 'chain' AND h.chain_id = ? {only}
                ORDER BY h.loss DESC, r.node LIMIT ?"""
            found = results.rows(con, query, [chain.id, limit])
        ranked = _ranked_count(con)
    return {
        "chain": {"id": chain.id, "name": labels.chain_name(chain, lang)} if chain else None,
        "window": info["window"],
        "computed_at": info["computed_at"],
        "ranked": ranked,
        "hits_esri_floor": info.get("hits_esri_floor"),
        "firms": _with_names(found, lang),
    }


def chain_panel(chain_id: str, lang: str = "zh-CN", limit: int = 10) -> dict[str, Any] | None:
    """The chain page's panel: the nodes whose failure would cost the chain most."""
    if not results.computed():
        return None
    try:
        return top_firms(chain_id, limit, lang)
    except NotFoundError:
        return None


# -- scenarios -----------------------------------------------------------------------------


def _tiles(province: str, rows: list[dict[str, Any]], level: str) -> list[dict[str, Any]]:
    by_code = {r["code"]: r for r in rows}
    try:
        places = regions.cities_of(province) if level == "city" else regions.counties_of(province)
    except ChainwatchError:
        return []
    return [
        {
            "code": place.code,
            "name": place.name,
            "longitude": place.longitude,
            "latitude": place.latitude,
            # tilemap.js colours by "count": the region's loss in percent of its output
            "count": round(100.0 * by_code.get(place.code, {}).get("share", 0.0), 1),
            "output": by_code.get(place.code, {}).get("loss", 0.0),
        }
        for place in places
    ]


def scenario_view(summary: dict[str, Any], lang: str = "zh-CN") -> dict[str, Any]:
    """A saved scenario with names for chains, segments, regions and nodes, and map tiles."""
    chains = _chain_names(lang)
    view = dict(summary)
    for row in view["chains"]:
        row["name"] = _segment_label(chains, row["chain_id"], None, lang)
    for row in view["segments"]:
        row["chain_name"] = _segment_label(chains, row["chain_id"], None, lang)
        row["name"] = _segment_label(chains, row["chain_id"], row["segment_id"], lang)
    for part in ("counties", "cities"):
        for row in view[part]:
            row["name"] = labels.region_name(row["code"])
    names = chain_product_names()
    for part in ("firms", "first_hits"):
        for row in view[part]:
            row["label"] = node_label(row, lang, names)
            row["region_name"] = labels.region_name(row.get("region_code"))
            row["chain_name"] = (
                _segment_label(chains, row["chain_id"], None, lang) if row.get("chain_id") else None
            )
            row["segment_name"] = (
                _segment_label(chains, row["chain_id"], row["segment_id"], lang)
                if row.get("segment_id")
                else None
            )
    for shock in view["applied"]:
        if shock["kind"] == "country":
            shock["label"] = labels.country_name(shock["target"], lang)
        elif shock["kind"] == "region":
            shock["label"] = labels.region_name(shock["target"])
        elif shock["kind"] == "segment":
            chain_id, _, segment_id = shock["target"].partition("/")
            shock["label"] = _segment_label(chains, chain_id, segment_id or None, lang)
        elif shock["kind"] == "product":
            code = shock["target"]
            shock["label"] = next(
                (names[code[:n]] for n in range(len(code), 1, -1) if code[:n] in names), code
            )
        else:
            shock["label"] = shock["target"]
    view["map"] = {
        "cities": _tiles(summary["province"], summary["cities"], "city"),
        "counties": _tiles(summary["province"], summary["counties"], "county"),
    }
    return view


def comparison_view(data: dict[str, Any], lang: str = "zh-CN") -> dict[str, Any]:
    chains = _chain_names(lang)
    for row in data["chains"]:
        row["name"] = _segment_label(chains, row["chain_id"], None, lang)
    for row in data["segments"]:
        row["chain_name"] = _segment_label(chains, row["chain_id"], None, lang)
        row["name"] = _segment_label(chains, row["chain_id"], row["segment_id"], lang)
    for part in ("counties", "cities"):
        for row in data[part]:
            row["name"] = labels.region_name(row["code"])
    return data


def form_options(lang: str = "zh-CN") -> dict[str, Any]:
    """Choices for the scenario form: counties and cities of the province, countries imported
    from, chains and segments, products (chains' key products and imported HS codes)."""
    results.require_risk()
    info = results.meta()
    province = str(info["province"])
    with results.connection() as con:
        foreign = con.execute(
            f"SELECT DISTINCT country, hs_code FROM {results.result('risk_nodes')} "
            "WHERE kind = 'foreign' ORDER BY 1, 2"
        ).fetchall()
    countries = sorted({str(c) for c, _ in foreign})
    names = chain_product_names()
    products: dict[str, str] = {}
    for chain in load_chains().values():
        for segment in chain.segments:
            for product in segment.key_products:
                for code in product.hs_codes:
                    products.setdefault(code, product.name)
    for _, code in foreign:
        hs = str(code)
        products.setdefault(
            hs, next((names[hs[:n]] for n in range(len(hs), 1, -1) if hs[:n] in names), "")
        )
    try:
        counties = regions.counties_of(province)
        cities = regions.cities_of(province)
    except ChainwatchError:
        counties, cities = [], []
    return {
        "province": {"code": province, "name": labels.region_name(province)},
        "cities": [{"code": r.code, "name": r.name} for r in cities],
        "counties": [{"code": r.code, "name": r.name, "city": r.parent_code} for r in counties],
        "countries": [{"code": c, "name": labels.country_name(c, lang) or c} for c in countries],
        "segments": [
            {
                "chain_id": chain.id,
                "chain_name": labels.chain_name(chain, lang),
                "segments": [
                    {"id": s.id, "name": labels.segment_name(s, lang)} for s in chain.segments
                ],
            }
            for chain in load_chains().values()
        ],
        "products": [{"hs": code, "name": name} for code, name in sorted(products.items())],
    }
