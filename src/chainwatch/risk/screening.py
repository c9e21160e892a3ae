"""Risk screening (断链断供风险排查): the screens that produce the chain risk lists (一链一清单).

Screens (docs/risk-list.md has the rules, points and grades):

  product        each key product of a chain: foreign dependence in the departments' bands,
                 weighted by country risk; concentration of the source countries (HHI, single
                 source); no domestic alternative; the chain's 卡脖子 flag
  segment        each segment: foreign dependence of its inputs; 缺链 / 弱链; 卡脖子 flag
  concentration  a chain's largest and key firms relying on one or few suppliers
  systemic       firms whose failure would cost the province most (ESRI, when computed)
  interruption   a firm's regular imports of a product from a country that stopped

The data gathering is set-based DuckDB SQL over the lake (screening_data); the points and the
explanations are worked out per item in Python. ``screen_risks`` runs the screens and stores
the items (riskitems.store_findings) so that a re-run updates the evidence of open items.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any

from chainwatch.atlas import results as atlas_results
from chainwatch.atlas.chains import load_chains
from chainwatch.risk.findings import (
    GRADE_RANK,
    Finding,
    country_name,
    hhi,
    money_en,
    money_zh,
    pct,
)
from chainwatch.risk.screening_data import ScreenContext, prepare, rows
from chainwatch.risk.screening_firms import (
    screen_concentration,
    screen_interruptions,
    screen_systemic,
)
from chainwatch.risk.screening_settings import ScreeningSettings, load_screening_settings
from chainwatch.store import lake


def _countries(ctx: ScreenContext) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows(
        ctx.con,
        """
        SELECT i.chain_id, i.segment_id, i.product, i.country, sum(i.amount) AS amount,
               count(DISTINCT i.uscc) AS importers, any_value(c.level) AS level,
               any_value(c.weight) AS weight
        FROM product_imports i LEFT JOIN screen_countries c USING (country)
        GROUP BY ALL ORDER BY amount DESC, country
        """,
    ):
        found[(r["chain_id"], r["segment_id"], r["product"])].append(r)
    return found


def _lists(ctx: ScreenContext) -> tuple[dict[Any, list[dict[str, Any]]], dict[Any, list[Any]]]:
    """Importers (affected firms) and makers (alternative suppliers) of each key product."""
    n_affected, n_alt = ctx.settings.lists.affected, ctx.settings.lists.alternatives
    importers: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows(
        ctx.con,
        f"""
        SELECT * FROM (
            SELECT i.chain_id, i.segment_id, i.product, i.uscc, f.name, f.region_code,
                   m.segment_id AS firm_segment, sum(i.amount) AS amount,
                   max(i.months) AS months,
                   list(DISTINCT i.country ORDER BY i.country) AS countries,
                   row_number() OVER (PARTITION BY i.chain_id, i.segment_id, i.product
                                      ORDER BY sum(i.amount) DESC, i.uscc) AS n
            FROM product_imports i JOIN screen_firms f USING (uscc)
            LEFT JOIN screen_members m ON m.uscc = i.uscc AND m.chain_id = i.chain_id
            GROUP BY i.chain_id, i.segment_id, i.product, i.uscc, f.name, f.region_code,
                     m.segment_id
        ) WHERE n <= {n_affected}
        """,
    ):
        r["monthly"] = r["amount"] / ctx.window.months
        r["role"] = "importer"
        importers[(r["chain_id"], r["segment_id"], r["product"])].append(_strip(r))
    makers: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows(
        ctx.con,
        f"""
        WITH home AS (
            SELECT chain_id, segment_id, product, seller AS uscc, sum(amount) AS sold,
                   0.0 AS exported
            FROM product_sales WHERE seller_home GROUP BY ALL
            UNION ALL
            SELECT chain_id, segment_id, product, uscc, 0.0, amount FROM product_exports
        ), outside AS (
            SELECT chain_id, segment_id, product, seller AS uscc, sum(amount) AS sold
            FROM product_sales WHERE buyer_home AND NOT seller_home GROUP BY ALL
        ), joined AS (
            SELECT h.chain_id, h.segment_id, h.product, h.uscc, 'province' AS scope,
                   sum(h.sold) AS sold, sum(h.exported) AS exported
            FROM home h GROUP BY ALL
            UNION ALL
            SELECT chain_id, segment_id, product, uscc, 'country', sold, 0.0 FROM outside
        )
        SELECT * FROM (
            SELECT j.*, f.name, coalesce(f.region_code, substr(j.uscc, 3, 6)) AS region_code,
                   row_number() OVER (PARTITION BY j.chain_id, j.segment_id, j.product, j.scope
                                      ORDER BY j.sold + j.exported DESC, j.uscc) AS n
            FROM joined j LEFT JOIN screen_firms f USING (uscc)
        ) WHERE n <= {n_alt}
        ORDER BY scope DESC, sold + exported DESC
        """,
    ):
        makers[(r["chain_id"], r["segment_id"], r["product"])].append(_strip(r))
    return importers, makers


def _strip(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k not in ("chain_id", "segment_id", "product", "n")}


def screen_products(ctx: ScreenContext) -> list[Finding]:
    s = ctx.settings
    products = rows(
        ctx.con,
        """
        WITH p AS (
            SELECT chain_id, segment_id, product, bool_or(bottleneck) AS bottleneck,
                   list(hs ORDER BY hs) FILTER (WHERE hs IS NOT NULL) AS hs_codes,
                   any_value(stage) AS stage, any_value(segment_name) AS segment_name
            FROM screen_products GROUP BY ALL
        ), imports AS (
            SELECT chain_id, segment_id, product, sum(amount) AS imports,
                   count(DISTINCT uscc) AS importers
            FROM product_imports GROUP BY ALL
        ), sales AS (
            SELECT chain_id, segment_id, product,
                   coalesce(sum(amount) FILTER (WHERE buyer_home), 0) AS purchases,
                   count(DISTINCT buyer) FILTER (WHERE buyer_home) AS buyers,
                   count(DISTINCT seller) FILTER (WHERE buyer_home AND NOT seller_home)
                       AS country_suppliers
            FROM product_sales GROUP BY ALL
        ), makers AS (
            SELECT chain_id, segment_id, product, count(DISTINCT uscc) AS makers FROM (
                SELECT chain_id, segment_id, product, seller AS uscc FROM product_sales
                WHERE seller_home
                UNION SELECT chain_id, segment_id, product, uscc FROM product_exports
            ) GROUP BY ALL
        )
        SELECT p.*, coalesce(i.imports, 0) AS imports, coalesce(i.importers, 0) AS importers,
               coalesce(d.purchases, 0) AS purchases, coalesce(d.buyers, 0) AS buyers,
               coalesce(d.country_suppliers, 0) AS country_suppliers,
               coalesce(m.makers, 0) AS makers
        FROM p LEFT JOIN imports i USING (chain_id, segment_id, product)
        LEFT JOIN sales d USING (chain_id, segment_id, product)
        LEFT JOIN makers m USING (chain_id, segment_id, product)
        """,
    )
    by_country = _countries(ctx)
    importers, makers = _lists(ctx)
    found = []
    for p in products:
        key = (p["chain_id"], p["segment_id"], p["product"])
        finding = _product_finding(p, by_country.get(key, []), s)
        if finding is None:
            continue
        finding.affected = importers.get(key, [])
        finding.alternatives = makers.get(key, [])
        if finding.finish(s) is not None:
            found.append(finding)
    return found


def _product_finding(
    p: dict[str, Any], by_country: list[dict[str, Any]], s: ScreeningSettings
) -> Finding | None:
    imports, purchases = float(p["imports"]), float(p["purchases"])
    used = imports >= s.dependence.min_imports or purchases > 0
    if not used and not p["bottleneck"]:
        return None
    hs_codes = list(p["hs_codes"] or [])
    hs = f" (HS {', '.join(hs_codes)})" if hs_codes else ""
    f = Finding(
        key=f"product:{p['chain_id']}:{p['segment_id']}:{p['product']}",
        kind="product",
        chain_id=p["chain_id"],
        segment_id=p["segment_id"],
        product=p["product"],
        uscc=None,
        subject_zh=f"{p['product']}{hs}",
        subject_en=f"{p['product']}{hs}",
        position=s.position(p["stage"]),
        risk_type=s.risk_type(p["product"], p["segment_name"]),
    )
    share = imports / (imports + purchases) if imports + purchases > 0 else None
    countries = [
        {
            "country": c["country"],
            "name": country_name(c["country"]),
            "amount": float(c["amount"]),
            "share": float(c["amount"]) / imports if imports else 0.0,
            "importers": int(c["importers"]),
            "level": c["level"] or s.default_country_level,
            "weight": float(c["weight"] if c["weight"] is not None else s.country_weight(None)),
        }
        for c in by_country
    ]
    weighted = (share or 0.0) * sum(c["share"] * c["weight"] for c in countries)
    concentration = hhi([c["amount"] for c in countries]) if countries else None
    single = bool(countries) and countries[0]["share"] >= s.concentration.single_source_share
    f.evidence = {
        "hs_codes": hs_codes,
        "imports": imports,
        "domestic_purchases": purchases,
        "import_share": share,
        "band": s.dependence.label(s.dependence.band(share)) if share is not None else None,
        "weighted_share": weighted if share is not None else None,
        "countries": countries,
        "hhi": concentration,
        "single_source": single,
        "importers": int(p["importers"]),
        "domestic_buyers": int(p["buyers"]),
        "makers": int(p["makers"]),
        "country_suppliers": int(p["country_suppliers"]),
        "bottleneck": bool(p["bottleneck"]),
    }
    if imports >= s.dependence.min_imports and share is not None:
        _dependence(f, share, weighted, countries, s)
        _sources(f, countries, concentration, single, s)
    _alternatives(f, int(p["makers"]), int(p["country_suppliers"]), s)
    if p["bottleneck"]:
        f.add(
            "bottleneck", s.bottleneck.points, "列为卡脖子技术", "flagged as a key core technology"
        )
    if not used:
        f.add("usage", 0, "省内未见进口或采购", "no imports or purchases seen in the province")
    return f


def _dependence(
    f: Finding, share: float, weighted: float, countries: list[dict[str, Any]], s: ScreeningSettings
) -> None:
    band = s.dependence.label(s.dependence.band(share))
    points = s.dependence.points[s.dependence.band(weighted)]
    zh = f"进口占比 {pct(share)}（{band} 档，{money_zh(f.evidence['imports'])}）"
    en = f"imports {pct(share)} of supply (band {band}, {money_en(f.evidence['imports'])})"
    if abs(weighted - share) >= 0.005:
        zh += f"，国别风险加权后 {pct(weighted)}"
        en += f", {pct(weighted)} weighted by country risk"
    f.add("dependence", points, zh, en)


def _sources(
    f: Finding,
    countries: list[dict[str, Any]],
    concentration: float | None,
    single: bool,
    s: ScreeningSettings,
) -> None:
    top = countries[0]
    if len(countries) == 1:
        zh = f"全部来自{top['name']}（单一来源，国别风险{top['level']}）"
        en = (
            f"all from {country_name(top['country'], 'en')} (single source, country risk "
            f"{top['level']})"
        )
        f.add("concentration", s.concentration.product_single_points, zh, en)
        return
    listing_zh = "、".join(f"{c['name']} {pct(c['share'])}" for c in countries[:4])
    listing_en = ", ".join(
        f"{country_name(c['country'], 'en')} {pct(c['share'])}" for c in countries[:4]
    )
    zh = f"来源 {len(countries)} 国：{listing_zh}（HHI {concentration:.2f}"
    en = f"from {len(countries)} countries: {listing_en} (HHI {concentration:.2f}"
    points = 0
    if single:
        zh, en, points = (
            zh + "，单一来源为主",
            en + ", mostly one source",
            s.concentration.product_single_points,
        )
    elif concentration is not None and concentration >= s.concentration.hhi_high:
        zh, en, points = (
            zh + "，高度集中",
            en + ", highly concentrated",
            s.concentration.product_hhi_high_points,
        )
    f.add("concentration", points, zh + "）", en + ")")


def _alternatives(f: Finding, makers: int, country_suppliers: int, s: ScreeningSettings) -> None:
    if makers > 0:
        f.add("alternatives", 0, f"省内有 {makers} 家生产企业", f"{makers} makers in the province")
        return
    f.add(
        "alternatives",
        s.alternatives.no_province_points,
        "省内无替代企业",
        "no maker in the province",
    )
    if country_suppliers > 0:
        f.add(
            "alternatives",
            0,
            f"省外有 {country_suppliers} 家国内供应商",
            f"{country_suppliers} suppliers elsewhere in China",
        )
    else:
        f.add(
            "alternatives",
            s.alternatives.no_country_points,
            "国内亦未见供应",
            "no supplier in China seen either",
        )


def screen_segments(ctx: ScreenContext) -> list[Finding]:
    s = ctx.settings
    segments = rows(
        ctx.con,
        f"""
        WITH trade AS (
            SELECT m.chain_id, m.segment_id, t.country, sum(t.amount) AS amount
            FROM screen_trade t JOIN screen_members m USING (uscc)
            WHERE t.direction = 'import' GROUP BY ALL
        ), weighted AS (
            SELECT t.chain_id, t.segment_id,
                   sum(t.amount * coalesce(c.weight, {s.country_weight(None)})) AS weighted,
                   list({{'country': t.country, 'amount': t.amount, 'level': c.level}}
                        ORDER BY t.amount DESC) AS countries
            FROM trade t LEFT JOIN screen_countries c USING (country) GROUP BY ALL
        ), customers AS (
            SELECT f.chain_id, f.source AS segment_id, list(DISTINCT f.target) AS targets,
                   sum(g.firms) AS customer_firms
            FROM screen_flows f
            LEFT JOIN {atlas_results.result("atlas_segments")} g
                   ON g.chain_id = f.chain_id AND g.segment_id = f.target
            GROUP BY ALL
        )
        SELECT s.chain_id, s.segment_id, s.segment_name, s.stage, s.bottleneck,
               a.firms, a.inputs, a.imports, a.local_province_ratio, a.status, a.reasons,
               coalesce(w.weighted, 0) AS weighted, w.countries, c.targets,
               coalesce(c.customer_firms, 0) AS customer_firms
        FROM screen_segments s
        JOIN {atlas_results.result("atlas_segments")} a USING (chain_id, segment_id)
        LEFT JOIN weighted w USING (chain_id, segment_id)
        LEFT JOIN customers c USING (chain_id, segment_id)
        """,
    )
    affected = _segment_firms(ctx)
    found = []
    for g in segments:
        f = _segment_finding(g, s)
        key = (g["chain_id"], g["segment_id"])
        f.affected = affected.get(key, [])
        if g["status"] == "missing":
            f.affected = [
                a
                for target in (g["targets"] or [])
                for a in affected.get((g["chain_id"], target), [])[:10]
            ]
        if f.finish(s) is not None:
            found.append(f)
    return found


def _segment_firms(ctx: ScreenContext) -> dict[tuple[str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows(
        ctx.con,
        f"""
        SELECT * FROM (
            SELECT m.chain_id, m.segment_id AS firm_segment, m.uscc, f.name, f.region_code,
                   m.output, m.imports AS amount,
                   row_number() OVER (PARTITION BY m.chain_id, m.segment_id
                                      ORDER BY m.imports DESC, m.output DESC, m.uscc) AS n
            FROM screen_members m JOIN screen_firms f USING (uscc)
        ) WHERE n <= {ctx.settings.lists.affected}
        """,
    ):
        key = (r.pop("chain_id"), r["firm_segment"])
        r.pop("n")
        r["role"] = "member"
        found[key].append(r)
    return found


def _segment_finding(g: dict[str, Any], s: ScreeningSettings) -> Finding:
    f = Finding(
        key=f"segment:{g['chain_id']}:{g['segment_id']}",
        kind="segment",
        chain_id=g["chain_id"],
        segment_id=g["segment_id"],
        product=None,
        uscc=None,
        subject_zh=f"{g['segment_name']}环节",
        subject_en=f"segment {g['segment_name']}",
        position=s.position(g["stage"]),
        risk_type=s.risk_type(g["segment_name"]),
    )
    inputs, imports = float(g["inputs"] or 0), float(g["imports"] or 0)
    share = imports / inputs if inputs > 0 else None
    weighted = float(g["weighted"]) / inputs if inputs > 0 else None
    countries = [
        {
            "country": c["country"],
            "name": country_name(c["country"]),
            "amount": float(c["amount"]),
            "share": float(c["amount"]) / imports if imports else 0.0,
            "level": c["level"] or s.default_country_level,
        }
        for c in (g["countries"] or [])
    ]
    f.evidence = {
        "firms": int(g["firms"] or 0),
        "inputs": inputs,
        "imports": imports,
        "import_share": share,
        "band": s.dependence.label(s.dependence.band(share)) if share is not None else None,
        "weighted_share": weighted,
        "countries": countries,
        "local_province_ratio": g["local_province_ratio"],
        "status": g["status"],
        "reasons": list(g["reasons"] or []),
        "customer_segments": list(g["targets"] or []),
        "customer_firms": int(g["customer_firms"] or 0),
        "bottleneck": bool(g["bottleneck"]),
    }
    if share is not None and weighted is not None and imports >= s.dependence.min_imports:
        band = s.dependence.label(s.dependence.band(share))
        top = "、".join(f"{c['name']} {pct(c['share'])}" for c in countries[:3])
        top_en = ", ".join(
            f"{country_name(c['country'], 'en')} {pct(c['share'])}" for c in countries[:3]
        )
        f.add(
            "dependence",
            s.dependence.points[s.dependence.band(weighted)],
            f"投入进口占比 {pct(share)}（{band} 档；{top}）",
            f"imports {pct(share)} of its inputs (band {band}; {top_en})",
        )
    if g["status"] == "missing":
        supplies = bool(g["targets"]) and int(g["customer_firms"] or 0) > 0
        points = s.segments.missing_supplier_points if supplies else s.segments.missing_points
        zh = "省内无企业（缺链）"
        en = "no firm in the province (missing segment)"
        if supplies:
            zh += f"，下游 {int(g['customer_firms'])} 家企业需从省外或境外采购"
            en += f"; {int(g['customer_firms'])} firms downstream buy from elsewhere"
        f.add("alternatives", points, zh, en)
    elif g["status"] == "weak":
        ratio = g["local_province_ratio"]
        zh = f"仅 {int(g['firms'])} 家企业（弱链）"
        en = f"only {int(g['firms'])} firms (weak segment)"
        if ratio is not None:
            zh += f"，省内配套率 {pct(float(ratio))}"
            en += f", local supply {pct(float(ratio))}"
        f.add("alternatives", s.segments.weak_points, zh, en)
    if g["bottleneck"] and f.parts:
        f.add(
            "bottleneck", s.bottleneck.points, "列为卡脖子环节", "flagged as a key core technology"
        )
    return f


def run_screens(settings: ScreeningSettings | None = None) -> tuple[list[Finding], dict[str, Any]]:
    """Every screen over the stored atlas (and ESRI when present); findings sorted as the list
    shows them (grade, points, amount)."""
    settings = settings or load_screening_settings()
    atlas_results.require_atlas()
    chains = load_chains()
    con = lake.connect()
    notes: list[str] = []
    try:
        ctx = prepare(con, settings, chains)
        found = screen_products(ctx) + screen_segments(ctx) + screen_concentration(ctx)
        if lake.has_result("risk_esri"):
            found += screen_systemic(ctx)
        else:
            notes.append(
                "systemic criticality skipped: ESRI has not been computed (`chainwatch run risk`)."
            )
        if ctx.has_customs:
            found += screen_interruptions(ctx)
        else:
            notes.append("foreign dependence and interruptions skipped: no customs loaded.")
    finally:
        con.close()
    found = [f for f in found if f.chain_id in chains]
    found.sort(key=sort_key)
    info = {"window": ctx.window.as_dict(), "province": ctx.province, "notes": notes}
    return found, info


def sort_key(f: Finding) -> tuple[Any, ...]:
    kinds = ("product", "interruption", "segment", "concentration", "systemic")
    amount = float(f.evidence.get("imports") or f.evidence.get("amount") or 0)
    return (-GRADE_RANK.get(f.grade or "", 0), -f.points, kinds.index(f.kind), -amount, f.key)


def screen_risks(engine: str = "duckdb") -> dict[str, Any]:
    """The pipeline stage: run the screens and store the items (re-runs update open items).
    Returns a summary for `chainwatch run`; the screens run on DuckDB whatever ``engine``."""
    from chainwatch.risk.riskitems import store_findings

    started = time.perf_counter()
    found, info = run_screens()
    stored = store_findings(found, dt.datetime.now(dt.UTC))
    grades = {g: sum(1 for f in found if f.grade == g) for g in ("高", "中", "低")}
    return {
        "items": len(found),
        "high": grades["高"],
        "medium": grades["中"],
        "low": grades["低"],
        **stored,
        "window": f"{info['window']['from']}..{info['window']['to']}",
        "notes": "; ".join(info["notes"]) or None,
        "engine": engine,
        "screen_seconds": round(time.perf_counter() - started, 2),
    }
