"""What the CLI, the API and the pages show of a chain and its segments, read from the stored
results and joined with the chain definitions and the registry (names, regions)."""

from __future__ import annotations

from typing import Any

from chainwatch.atlas import labels
from chainwatch.atlas.chains import Chain, get_chain, load_chains
from chainwatch.atlas.results import (
    computed,
    connection,
    enterprises,
    fingerprint,
    meta,
    require_current,
    result,
    rows,
)
from chainwatch.errors import NotFoundError
from chainwatch.reference import regions

METRIC_COLUMNS = (
    "firms",
    "members",
    "output",
    "purchases",
    "imports",
    "inputs",
    "local_city",
    "local_province",
    "local_city_ratio",
    "local_province_ratio",
    "status",
    "reasons",
)


def _segment_info(chain: Chain, segment_id: str, lang: str) -> dict[str, Any]:
    segment = chain.segment(segment_id)
    return {
        "id": segment.id,
        "name": labels.segment_name(segment, lang),
        "name_zh": segment.name,
        "stage": segment.stage,
        "description": segment.description,
        "bottleneck": segment.bottleneck,
    }


def _chain_info(chain: Chain, lang: str) -> dict[str, Any]:
    return {
        "id": chain.id,
        "name": labels.chain_name(chain, lang),
        "name_zh": chain.name,
        "description": chain.description,
        "origin": chain.origin,
    }


def _segment_rows(chain_id: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    where = "WHERE chain_id = ?" if chain_id else ""
    with connection() as con:
        found = rows(
            con,
            f"SELECT chain_id, segment_id, {', '.join(METRIC_COLUMNS)} "
            f"FROM {result('atlas_segments')} {where}",
            [chain_id] if chain_id else [],
        )
    return {(r.pop("chain_id"), r.pop("segment_id")): r for r in found}


def _empty_metrics() -> dict[str, Any]:
    empty: dict[str, Any] = {c: 0 for c in METRIC_COLUMNS}
    empty.update(local_city_ratio=None, local_province_ratio=None, status=None, reasons=[])
    return empty


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _totals(segments: list[dict[str, Any]]) -> dict[str, Any]:
    inputs = sum(s["inputs"] for s in segments)
    return {
        "segments": len(segments),
        "firms": sum(s["firms"] for s in segments),
        "output": sum(s["output"] for s in segments),
        "inputs": inputs,
        "local_city_ratio": _ratio(sum(s["local_city"] for s in segments), inputs),
        "local_province_ratio": _ratio(sum(s["local_province"] for s in segments), inputs),
        "missing": sum(1 for s in segments if s["status"] == "missing"),
        "weak": sum(1 for s in segments if s["status"] == "weak"),
    }


def chain_summary(chain_id: str, lang: str = "zh-CN") -> dict[str, Any]:
    return _chain_info(get_chain(chain_id), lang)


def chain_list(lang: str = "zh-CN") -> dict[str, Any]:
    """Every chain with its segments; with the atlas computed, firms and status per segment
    (left empty for a chain added or changed since, until the atlas is computed again)."""
    chains = load_chains()
    info = meta() if computed() else None
    metrics = _segment_rows() if info else {}
    stored = info.get("fingerprints", {}) if info else {}
    out = []
    for chain in chains.values():
        current = stored.get(chain.id) == fingerprint(chain)
        segments = [
            {
                **_segment_info(chain, segment.id, lang),
                **_empty_metrics(),
                **(metrics.get((chain.id, segment.id), {}) if current else {}),
                **({} if current else {"firms": None, "status": None}),
            }
            for segment in chain.segments
        ]
        entry = {**_chain_info(chain, lang), "segments": segments, "current": current}
        if current:
            entry["totals"] = _totals(segments)
        out.append(entry)
    return {
        "computed": info is not None,
        "window": info["window"] if info else None,
        "computed_at": info["computed_at"] if info else None,
        "chains": out,
    }


def _tiles(province: str, by_code: dict[str, dict[str, Any]], level: str) -> list[dict[str, Any]]:
    places = regions.cities_of(province) if level == "city" else regions.counties_of(province)
    tiles = []
    for region in places:
        found = by_code.get(region.code, {})
        tiles.append(
            {
                "code": region.code,
                "name": region.name,
                "parent_code": region.parent_code,
                "longitude": region.longitude,
                "latitude": region.latitude,
                "count": int(found.get("firms", 0)),
                "output": float(found.get("output", 0.0)),
            }
        )
    return tiles


def _regions(chain_id: str, segment_id: str | None, province: str) -> dict[str, Any]:
    condition = "segment_id = ?" if segment_id else "segment_id IS NULL"
    with connection() as con:
        found = rows(
            con,
            f"SELECT level, region_code, firms, output, inputs, local_city_ratio, "
            f"local_province_ratio FROM {result('atlas_regions')} "
            f"WHERE chain_id = ? AND {condition} ORDER BY level, region_code",
            [chain_id, segment_id] if segment_id else [chain_id],
        )
    by_level: dict[str, dict[str, dict[str, Any]]] = {"city": {}, "county": {}}
    for row in found:
        row["name"] = labels.region_name(row["region_code"])
        by_level[row["level"]][row["region_code"]] = row
    table = sorted(by_level["city"].values(), key=lambda r: -r["firms"])
    try:
        cities = _tiles(province, by_level["city"], "city")
        counties = _tiles(province, by_level["county"], "county")
    except NotFoundError:
        cities, counties = [], []
    return {"cities": cities, "counties": counties, "table": table}


def _key_products(chain: Chain, segment_id: str | None, lang: str) -> list[dict[str, Any]]:
    condition = "AND segment_id = ?" if segment_id else ""
    with connection() as con:
        found = rows(
            con,
            f"SELECT * FROM {result('atlas_key_products')} WHERE chain_id = ? {condition} "
            "ORDER BY import_only DESC, imports DESC, product",
            [chain.id, segment_id] if segment_id else [chain.id],
        )
    for row in found:
        row.pop("chain_id")
        row["segment_name"] = labels.segment_name(chain.segment(row["segment_id"]), lang)
        row["top_country_name"] = labels.country_name(row["top_country"], lang)
        row["hs_codes"] = list(row["hs_codes"] or [])
    return found


def _firm_rows(
    chain: Chain, condition: str, params: list[Any], order: str, limit: int | None, offset: int = 0
) -> list[dict[str, Any]]:
    page = f"LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    with connection() as con:
        found = rows(
            con,
            f"""
            SELECT f.uscc, e.name, f.segment_id, f.region_code, e.industry_code, e.scale,
                   f.output, f.purchases, f.imports, f.local_city, f.local_province,
                   f.considered + f.imports AS inputs, f.weighted_degree, f.pagerank,
                   f.output_rank, f.network_rank, f.key_firm
            FROM {result("atlas_firms")} f LEFT JOIN {enterprises()} e USING (uscc)
            WHERE f.chain_id = ? {condition}
            ORDER BY {order} {page}
            """,
            [chain.id, *params],
        )
    for row in found:
        row["segment_name"] = chain.segment(row["segment_id"]).name
        row["region_name"] = labels.region_name(row["region_code"])
        row["local_city_ratio"] = _ratio(row["local_city"], row["inputs"])
        row["local_province_ratio"] = _ratio(row["local_province"], row["inputs"])
    return found


def _flows(chain: Chain, lang: str) -> list[dict[str, Any]]:
    with connection() as con:
        found = rows(
            con,
            f"SELECT source, target, amount, links, defined FROM {result('atlas_flows')} "
            "WHERE chain_id = ? ORDER BY amount DESC, source, target",
            [chain.id],
        )
    for row in found:
        row["source_name"] = labels.segment_name(chain.segment(row["source"]), lang)
        row["target_name"] = labels.segment_name(chain.segment(row["target"]), lang)
    return found


def chain_detail(chain_id: str, lang: str = "zh-CN", key_firms: int = 20) -> dict[str, Any]:
    chain = get_chain(chain_id)
    info = meta()
    require_current(chain, info)
    metrics = _segment_rows(chain.id)
    segments = [
        {
            **_segment_info(chain, s.id, lang),
            **metrics.get((chain.id, s.id), _empty_metrics()),
        }
        for s in chain.segments
    ]
    keys = _firm_rows(
        chain, "AND f.key_firm", [], "f.output_rank + f.network_rank, f.output DESC", key_firms
    )
    return {
        "chain": {**_chain_info(chain, lang), "sources": list(chain.sources)},
        "window": info["window"],
        "province": {"code": info["province"], "name": labels.region_name(info["province"])},
        "computed_at": info["computed_at"],
        "totals": _totals(segments),
        "segments": segments,
        "flows": _flows(chain, lang),
        "key_firms": keys,
        "regions": _regions(chain.id, None, info["province"]),
        "key_products": _key_products(chain, None, lang),
    }


def _partner_label(row: dict[str, Any], chain: Chain, lang: str) -> str:
    kind, code = row["kind"], row["code"]
    chains = load_chains()
    if kind in ("chain", "segment"):
        other = chains.get(row["partner_chain"])
        if other is None:
            return f"{row['partner_chain']} · {row['partner_segment']}"
        name = labels.segment_name(other.segment(row["partner_segment"]), lang)
        return name if kind == "chain" else f"{labels.chain_name(other, lang)} · {name}"
    if kind == "industry":
        return f"{code} {labels.industry_name(code, lang) or ''}".strip()
    if kind == "outside":
        return labels.region_name(code) or str(code)
    return labels.country_name(code, lang) or str(code)


def _partners(chain: Chain, segment_id: str, lang: str) -> dict[str, list[dict[str, Any]]]:
    with connection() as con:
        found = rows(
            con,
            f"SELECT direction, kind, partner_chain, partner_segment, code, amount, partners "
            f"FROM {result('atlas_partners')} WHERE chain_id = ? AND segment_id = ? "
            "ORDER BY amount DESC",
            [chain.id, segment_id],
        )
    out: dict[str, list[dict[str, Any]]] = {"suppliers": [], "customers": []}
    for row in found:
        out["suppliers" if row.pop("direction") == "in" else "customers"].append(row)
    for picked in out.values():
        total = sum(r["amount"] for r in picked)
        for row in picked:
            row["label"] = _partner_label(row, chain, lang)
            row["share"] = _ratio(row["amount"], total)
    return out


def segment_detail(chain_id: str, segment_id: str, lang: str = "zh-CN") -> dict[str, Any]:
    chain = get_chain(chain_id)
    segment = chain.segment(segment_id)
    info = meta()
    require_current(chain, info)
    metrics = _segment_rows(chain.id).get((chain.id, segment.id), _empty_metrics())
    firms = _firm_rows(chain, "AND f.segment_id = ?", [segment.id], "f.output DESC, f.uscc", None)
    with connection() as con:
        secondary = rows(
            con,
            f"""
            SELECT s.uscc, e.name, s.score, s.source, m.segment_id AS main_segment_id
            FROM {result("firm_segments")} s
            JOIN {result("firm_segments")} m
              ON m.uscc = s.uscc AND m.chain_id = s.chain_id AND m.chain_main
            LEFT JOIN {enterprises()} e ON e.uscc = s.uscc
            WHERE s.chain_id = ? AND s.segment_id = ? AND NOT s.chain_main
            ORDER BY s.score DESC, s.uscc
            """,
            [chain.id, segment.id],
        )
    for row in secondary:
        row["main_segment_name"] = chain.segment(row["main_segment_id"]).name
    return {
        "chain": _chain_info(chain, lang),
        "segment": {
            **_segment_info(chain, segment.id, lang),
            "industry_codes": list(segment.industry_codes),
            "keywords": list(segment.keywords),
            "hs_codes": list(segment.hs_codes),
            "suppliers_of": chain.suppliers_of(segment.id),
            "customers_of": chain.customers_of(segment.id),
        },
        "window": info["window"],
        "province": {"code": info["province"], "name": labels.region_name(info["province"])},
        "metrics": metrics,
        "firms": firms,
        "secondary_firms": secondary,
        **_partners(chain, segment.id, lang),
        "regions": _regions(chain.id, segment.id, info["province"]),
        "key_products": _key_products(chain, segment.id, lang),
    }


def chain_firms(
    chain_id: str,
    segment_id: str | None = None,
    region: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """The firms of a chain (each in its main segment of the chain), largest output first."""
    chain = get_chain(chain_id)
    require_current(chain, meta())
    conditions, params = [], []
    if segment_id:
        conditions.append("AND f.segment_id = ?")
        params.append(chain.segment(segment_id).id)
    if region:
        code = regions.get_region(region).code
        conditions.append("AND (f.region_code = ? OR f.city_code = ?)")
        params.extend([code, code])
    condition = " ".join(conditions)
    with connection() as con:
        total = con.execute(
            f"SELECT count(*) FROM {result('atlas_firms')} f WHERE f.chain_id = ? {condition}",
            [chain.id, *params],
        ).fetchall()[0][0]
    items = _firm_rows(
        chain, condition, params, "f.output DESC, f.uscc", per_page, (page - 1) * per_page
    )
    return {"total": int(total), "page": page, "per_page": per_page, "items": items}
