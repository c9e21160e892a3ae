"""Firm-level screens: supplier concentration, systemic criticality (ESRI), import interruption.

concentration  a chain's largest firms (``firm_top_per_chain`` by output) and its key firms
               (链主), with inputs of at least ``firm_min_inputs``: the HHI of their suppliers
               (domestic firms from the links, foreign sources as country × HS code from
               customs) and the largest supplier's share; whether that supplier is abroad and
               whether another firm of the province could stand in for it
systemic       firms of a chain with ESRI at or above the lowest systemic threshold
interruption   (firm, HS code, country) imported in at least ``min_active_months`` of the
               ``lookback_months`` before the latest ``silent_months``, then nothing in those
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from chainwatch.risk.findings import Finding, country_name, money_en, money_zh, pct
from chainwatch.risk.screening_data import ScreenContext, rows
from chainwatch.store import lake


def _month_shift(month: str, delta: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def screen_concentration(ctx: ScreenContext) -> list[Finding]:
    s = ctx.settings
    c = s.concentration
    firms = rows(
        ctx.con,
        f"""
        WITH screened AS (
            SELECT m.chain_id, m.segment_id, m.uscc, m.output, m.key_firm,
                   m.considered + m.imports AS inputs
            FROM screen_members m
            WHERE (m.key_firm OR m.output_rank <= {c.firm_top_per_chain})
              AND m.considered + m.imports >= {c.firm_min_inputs}
        ), sources AS (
            SELECT l.customer AS uscc, l.supplier AS source, NULL::VARCHAR AS country,
                   NULL::VARCHAR AS hs_code, l.amount
            FROM screen_links l WHERE l.customer IN (SELECT uscc FROM screened)
            UNION ALL
            SELECT uscc, 'foreign:' || country || ':' || hs_code, country, hs_code, sum(amount)
            FROM screen_trade WHERE direction = 'import'
              AND uscc IN (SELECT uscc FROM screened)
            GROUP BY ALL
        ), shares AS (
            SELECT *, amount / sum(amount) OVER (PARTITION BY uscc) AS share FROM sources
        ), firm AS (
            SELECT uscc, sum(share * share) AS hhi, count(*) AS suppliers,
                   arg_max(source, share) AS top_source, max(share) AS top_share,
                   arg_max(country, share) AS top_country, arg_max(hs_code, share) AS top_hs,
                   sum(amount) AS total
            FROM shares GROUP BY uscc
        ), main AS (
            SELECT uscc, chain_id, segment_id FROM screen_members
            QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY output DESC, chain_id) = 1
        )
        SELECT s.*, f.hhi, f.suppliers, f.top_source, f.top_share, f.top_country, f.top_hs,
               n.name, n.region_code, sn.name AS top_name,
               sm.chain_id AS top_chain, sm.segment_id AS top_segment,
               coalesce(l.level, '{s.default_country_level}') AS top_level
        FROM screened s JOIN firm f USING (uscc)
        JOIN screen_firms n USING (uscc)
        LEFT JOIN screen_firms sn ON sn.uscc = f.top_source
        LEFT JOIN main sm ON sm.uscc = f.top_source
        LEFT JOIN screen_countries l ON l.country = f.top_country
        WHERE f.top_share >= {c.single_source_share} OR f.hhi >= {c.hhi_medium}
        """,
    )
    alternatives = _stand_ins(ctx, firms)
    found = []
    for r in firms:
        f = _concentration_finding(ctx, r)
        f.affected = [
            {
                "uscc": r["uscc"],
                "name": r["name"],
                "region_code": r["region_code"],
                "firm_segment": r["segment_id"],
                "amount": float(r["inputs"]),
                "role": "customer",
            }
        ]
        f.alternatives = alternatives.get(r["top_source"], [])
        if not f.alternatives:
            f.add(
                "alternatives",
                c.firm_no_alternative_points,
                "省内无同类替代企业",
                "no firm of the province could stand in",
            )
        else:
            f.add(
                "alternatives",
                0,
                f"省内有 {len(f.alternatives)} 家同类企业可替代",
                f"{len(f.alternatives)} firms of the province could stand in",
            )
        if f.finish(s) is not None:
            found.append(f)
    return found


def _concentration_finding(ctx: ScreenContext, r: dict[str, Any]) -> Finding:
    s = ctx.settings
    c = s.concentration
    f = Finding(
        key=f"concentration:{r['chain_id']}:{r['uscc']}",
        kind="concentration",
        chain_id=r["chain_id"],
        segment_id=r["segment_id"],
        product=None,
        uscc=r["uscc"],
        subject_zh=str(r["name"]),
        subject_en=str(r["name"]),
        position=s.position(_stage(ctx, r["chain_id"], r["segment_id"])),
        risk_type=s.risk_type(_segment_name(ctx, r["chain_id"], r["top_segment"]) or ""),
    )
    foreign = r["top_country"] is not None
    if foreign:
        top_zh = f"{country_name(r['top_country'])}（HS {r['top_hs']}）"
        top_en = f"{country_name(r['top_country'], 'en')} (HS {r['top_hs']})"
    else:
        top_zh = top_en = str(r["top_name"] or r["top_source"])
    share, index = float(r["top_share"]), float(r["hhi"])
    if share >= c.single_source_share:
        points, word_zh, word_en = c.firm_single_points, "单一来源", "single source"
    elif index >= c.hhi_high:
        points, word_zh, word_en = c.firm_hhi_high_points, "高度集中", "highly concentrated"
    else:
        points, word_zh, word_en = c.firm_hhi_medium_points, "较集中", "concentrated"
    f.add(
        "concentration",
        points,
        f"投入 {money_zh(float(r['inputs']))}，最大供应方 {top_zh} 占 {pct(share)}"
        f"（HHI {index:.2f}，{word_zh}）",
        f"inputs {money_en(float(r['inputs']))}, largest supplier {top_en} {pct(share)} "
        f"(HHI {index:.2f}, {word_en})",
    )
    if foreign:
        level = r["top_level"]
        points = c.firm_foreign_high_points if level == "高" else c.firm_foreign_points
        f.add(
            "foreign",
            points,
            f"供应方在境外（国别风险{level}）",
            f"supplier abroad (country risk {level})",
        )
    if r["key_firm"]:
        f.add("key_firm", c.firm_key_points, "链主企业", "key firm of the chain")
    f.evidence = {
        "inputs": float(r["inputs"]),
        "output": float(r["output"]),
        "hhi": index,
        "suppliers": int(r["suppliers"]),
        "top_supplier": r["top_source"] if not foreign else None,
        "top_supplier_name": r["top_name"],
        "top_country": r["top_country"],
        "top_hs": r["top_hs"],
        "top_share": share,
        "top_chain": r["top_chain"],
        "top_segment": r["top_segment"],
        "key_firm": bool(r["key_firm"]),
    }
    return f


def _stand_ins(ctx: ScreenContext, firms: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Firms of the province that could replace each largest supplier: other firms of its main
    segment (domestic), or the province's exporters of the HS code (foreign)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not firms:
        return found
    domestic = [
        (r["top_source"], r["top_chain"], r["top_segment"]) for r in firms if r["top_chain"]
    ]
    foreign = [(r["top_source"], r["top_hs"]) for r in firms if r["top_country"] is not None]
    limit = ctx.settings.lists.alternatives
    if domestic:
        ctx.con.execute(
            "CREATE OR REPLACE TEMP TABLE wanted_segments (source VARCHAR, chain_id VARCHAR, "
            "segment_id VARCHAR)"
        )
        ctx.con.executemany("INSERT INTO wanted_segments VALUES (?, ?, ?)", list(set(domestic)))
        for r in rows(
            ctx.con,
            f"""
            SELECT * FROM (
                SELECT w.source, m.uscc, f.name, f.region_code, m.output AS amount,
                       'province' AS scope,
                       row_number() OVER (PARTITION BY w.source ORDER BY m.output DESC, m.uscc) AS n
                FROM wanted_segments w
                JOIN screen_members m ON m.chain_id = w.chain_id AND m.segment_id = w.segment_id
                JOIN screen_firms f ON f.uscc = m.uscc
                WHERE m.uscc <> w.source AND m.output > 0
            ) WHERE n <= {limit}
            """,
        ):
            found[r.pop("source")].append({k: v for k, v in r.items() if k != "n"})
    if foreign:
        ctx.con.execute("CREATE OR REPLACE TEMP TABLE wanted_hs (source VARCHAR, hs_code VARCHAR)")
        ctx.con.executemany("INSERT INTO wanted_hs VALUES (?, ?)", list(set(foreign)))
        for r in rows(
            ctx.con,
            f"""
            SELECT * FROM (
                SELECT w.source, t.uscc, f.name, f.region_code, sum(t.amount) AS amount,
                       'province' AS scope,
                       row_number() OVER (PARTITION BY w.source
                                          ORDER BY sum(t.amount) DESC, t.uscc) AS n
                FROM wanted_hs w
                JOIN screen_trade t ON t.hs_code = w.hs_code AND t.direction = 'export'
                JOIN screen_firms f ON f.uscc = t.uscc
                GROUP BY w.source, t.uscc, f.name, f.region_code
            ) WHERE n <= {limit}
            """,
        ):
            found[r.pop("source")].append({k: v for k, v in r.items() if k != "n"})
    return found


def _stage(ctx: ScreenContext, chain_id: str, segment_id: str | None) -> str | None:
    chain = ctx.chains.get(chain_id)
    if chain is None or segment_id is None:
        return None
    return next((g.stage for g in chain.segments if g.id == segment_id), None)


def _segment_name(ctx: ScreenContext, chain_id: str | None, segment_id: str | None) -> str | None:
    chain = ctx.chains.get(chain_id or "")
    if chain is None or segment_id is None:
        return None
    return next((g.name for g in chain.segments if g.id == segment_id), None)


def screen_systemic(ctx: ScreenContext) -> list[Finding]:
    s = ctx.settings
    firms = rows(
        ctx.con,
        f"""
        SELECT m.chain_id, m.segment_id, m.uscc, m.output, f.name, f.region_code,
               e.esri, e.esri_downstream, e.esri_upstream, e.rank
        FROM {lake.result_sql("risk_esri")} e
        JOIN screen_members m ON m.uscc = e.uscc
        JOIN screen_firms f ON f.uscc = e.uscc
        WHERE e.esri >= {s.systemic.low}
        """,
    )
    customers = _customers(ctx, sorted({r["uscc"] for r in firms}))
    stand_ins = _segment_peers(ctx, firms)
    found = []
    for r in firms:
        esri = float(r["esri"])
        f = Finding(
            key=f"systemic:{r['chain_id']}:{r['uscc']}",
            kind="systemic",
            chain_id=r["chain_id"],
            segment_id=r["segment_id"],
            product=None,
            uscc=r["uscc"],
            subject_zh=str(r["name"]),
            subject_en=str(r["name"]),
            position=s.position(_stage(ctx, r["chain_id"], r["segment_id"])),
            risk_type="产能",
        )
        rank = f"，全省第 {int(r['rank'])} 位" if r["rank"] is not None else ""
        rank_en = f", rank {int(r['rank'])} in the province" if r["rank"] is not None else ""
        f.add(
            "systemic",
            s.systemic.points(esri),
            f"一旦停产，全省产出损失约 {pct(esri)}（ESRI {esri:.3f}{rank}；下游 "
            f"{float(r['esri_downstream']):.3f}、上游 {float(r['esri_upstream']):.3f}）",
            f"its failure would cost about {pct(esri)} of the province's output (ESRI "
            f"{esri:.3f}{rank_en}; downstream {float(r['esri_downstream']):.3f}, upstream "
            f"{float(r['esri_upstream']):.3f})",
        )
        f.evidence = {
            "esri": esri,
            "esri_downstream": float(r["esri_downstream"]),
            "esri_upstream": float(r["esri_upstream"]),
            "rank": int(r["rank"]) if r["rank"] is not None else None,
            "output": float(r["output"]),
        }
        f.affected = customers.get(r["uscc"], [])
        f.alternatives = stand_ins.get((r["chain_id"], r["segment_id"], r["uscc"]), [])
        if f.finish(s) is not None:
            found.append(f)
    return found


def _customers(ctx: ScreenContext, firms: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not firms:
        return found
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE wanted_firms (uscc VARCHAR)")
    ctx.con.executemany("INSERT INTO wanted_firms VALUES (?)", [(u,) for u in firms])
    for r in rows(
        ctx.con,
        f"""
        SELECT * FROM (
            SELECT l.supplier, l.customer AS uscc, f.name, f.region_code, l.amount,
                   'customer' AS role,
                   row_number() OVER (PARTITION BY l.supplier ORDER BY l.amount DESC,
                                      l.customer) AS n
            FROM screen_links l JOIN screen_firms f ON f.uscc = l.customer
            WHERE l.supplier IN (SELECT uscc FROM wanted_firms)
        ) WHERE n <= {ctx.settings.lists.affected}
        """,
    ):
        found[r.pop("supplier")].append({k: v for k, v in r.items() if k != "n"})
    return found


def _segment_peers(
    ctx: ScreenContext, firms: list[dict[str, Any]]
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    if not firms:
        return found
    ctx.con.execute(
        "CREATE OR REPLACE TEMP TABLE wanted_peers (uscc VARCHAR, chain_id VARCHAR, "
        "segment_id VARCHAR)"
    )
    ctx.con.executemany(
        "INSERT INTO wanted_peers VALUES (?, ?, ?)",
        [(r["uscc"], r["chain_id"], r["segment_id"]) for r in firms],
    )
    for r in rows(
        ctx.con,
        f"""
        SELECT * FROM (
            SELECT w.uscc AS source, w.chain_id AS c, w.segment_id AS g, m.uscc, f.name,
                   f.region_code, m.output AS amount, 'province' AS scope,
                   row_number() OVER (PARTITION BY w.uscc, w.chain_id
                                      ORDER BY m.output DESC, m.uscc) AS n
            FROM wanted_peers w
            JOIN screen_members m ON m.chain_id = w.chain_id AND m.segment_id = w.segment_id
            JOIN screen_firms f ON f.uscc = m.uscc
            WHERE m.uscc <> w.uscc AND m.output > 0
        ) WHERE n <= {ctx.settings.lists.alternatives}
        """,
    ):
        key = (r.pop("c"), r.pop("g"), r.pop("source"))
        r.pop("n")
        found[key].append(r)
    return found


def screen_interruptions(ctx: ScreenContext) -> list[Finding]:
    s = ctx.settings
    i = s.interruption
    end = ctx.window.end
    silent_from = _month_shift(end, -(i.silent_months - 1))
    look_from = _month_shift(silent_from, -i.lookback_months)
    look_to = _month_shift(silent_from, -1)
    lines = rows(
        ctx.con,
        f"""
        WITH monthly AS (
            SELECT uscc, hs_code, country, month, sum(amount) AS amount FROM screen_trade_all
            WHERE direction = 'import' AND month BETWEEN '{look_from}' AND '{end}'
            GROUP BY ALL
        ), lines AS (
            SELECT uscc, hs_code, country,
                   count(*) FILTER (WHERE month <= '{look_to}') AS active,
                   sum(amount) FILTER (WHERE month <= '{look_to}') AS before,
                   count(*) FILTER (WHERE month >= '{silent_from}') AS recent,
                   max(month) AS last_month
            FROM monthly GROUP BY ALL
        ), products AS (
            SELECT DISTINCT ON (l.uscc, l.hs_code, l.country)
                   l.uscc, l.hs_code, l.country, p.chain_id, p.segment_id, p.product,
                   p.bottleneck, p.stage, p.segment_name
            FROM lines l JOIN screen_products p ON starts_with(l.hs_code, p.hs)
            ORDER BY l.uscc, l.hs_code, l.country, p.bottleneck DESC, p.chain_order,
                     p.segment_order, p.product
        ), main AS (
            SELECT uscc, chain_id, segment_id FROM screen_members
            QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY output DESC, chain_id) = 1
        )
        SELECT l.*, l.before / l.active AS monthly, f.name, f.region_code,
               coalesce(p.chain_id, m.chain_id) AS chain_id,
               coalesce(p.segment_id, m.segment_id) AS segment_id, p.product,
               coalesce(p.bottleneck, FALSE) AS bottleneck, p.stage, p.segment_name,
               m.segment_id AS firm_segment, c.level
        FROM lines l JOIN screen_firms f USING (uscc)
        LEFT JOIN products p USING (uscc, hs_code, country)
        LEFT JOIN main m USING (uscc)
        LEFT JOIN screen_countries c USING (country)
        WHERE l.recent = 0 AND l.active >= {i.min_active_months}
          AND l.before / l.active >= {i.min_monthly}
          AND coalesce(p.chain_id, m.chain_id) IS NOT NULL
        """,
    )
    alternatives = _other_sources(ctx, lines)
    found = []
    for r in lines:
        stopped = _month_shift(str(r["last_month"]), 1)
        what = f"{r['product']} (HS {r['hs_code']})" if r["product"] else f"HS {r['hs_code']}"
        stage = r["stage"] or _stage(ctx, r["chain_id"], r["segment_id"])
        f = Finding(
            key=f"interruption:{r['chain_id']}:{r['uscc']}:{r['hs_code']}:{r['country']}",
            kind="interruption",
            chain_id=r["chain_id"],
            segment_id=r["segment_id"],
            product=r["product"] or f"HS {r['hs_code']}",
            uscc=r["uscc"],
            subject_zh=f"{r['name']} 自{country_name(r['country'])}进口 {what}",
            subject_en=f"{r['name']} importing {what} from {country_name(r['country'], 'en')}",
            position=s.position(stage),
            risk_type=s.risk_type(r["product"], r["segment_name"]),
        )
        monthly = float(r["monthly"])
        f.add(
            "interruption",
            i.points,
            f"此前 {int(r['active'])} 个月有进口（月均 {money_zh(monthly)}），自 {stopped} 起"
            f"已中断",
            f"imported in {int(r['active'])} months before (on average {money_en(monthly)} a "
            f"month), nothing since {stopped}",
        )
        if r["product"]:
            f.add(
                "key_product",
                i.key_product_points,
                "属产业链关键产品",
                "a key product of the chain",
            )
        if r["bottleneck"]:
            f.add(
                "bottleneck",
                i.bottleneck_points,
                "列为卡脖子技术",
                "flagged as a key core technology",
            )
        f.evidence = {
            "hs_code": r["hs_code"],
            "country": r["country"],
            "country_level": r["level"] or s.default_country_level,
            "active_months": int(r["active"]),
            "monthly": monthly,
            "amount": float(r["before"]),
            "last_month": r["last_month"],
            "stopped_from": stopped,
            "lookback": f"{look_from}..{look_to}",
            "bottleneck": bool(r["bottleneck"]),
        }
        f.affected = [
            {
                "uscc": r["uscc"],
                "name": r["name"],
                "region_code": r["region_code"],
                "firm_segment": r["firm_segment"],
                "amount": float(r["before"]),
                "monthly": monthly,
                "countries": [r["country"]],
                "role": "importer",
            }
        ]
        f.alternatives = alternatives.get((r["hs_code"], r["country"]), [])
        if f.finish(s) is not None:
            found.append(f)
    return found


def _other_sources(
    ctx: ScreenContext, lines: list[dict[str, Any]]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Makers of the same HS code in the province (exporters), and the other countries the
    province imports it from."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    if not lines:
        return found
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE wanted_lines (hs_code VARCHAR, country VARCHAR)")
    ctx.con.executemany(
        "INSERT INTO wanted_lines VALUES (?, ?)",
        list({(r["hs_code"], r["country"]) for r in lines}),
    )
    limit = ctx.settings.lists.alternatives
    for r in rows(
        ctx.con,
        f"""
        SELECT * FROM (
            SELECT w.hs_code AS hs, w.country AS lost, t.uscc, f.name, f.region_code,
                   NULL::VARCHAR AS country, sum(t.amount) AS amount, 'province' AS scope,
                   row_number() OVER (PARTITION BY w.hs_code, w.country
                                      ORDER BY sum(t.amount) DESC, t.uscc) AS n
            FROM wanted_lines w
            JOIN screen_trade t ON t.hs_code = w.hs_code AND t.direction = 'export'
            JOIN screen_firms f ON f.uscc = t.uscc
            GROUP BY w.hs_code, w.country, t.uscc, f.name, f.region_code
        ) WHERE n <= {limit}
        UNION ALL
        SELECT w.hs_code, w.country, NULL, NULL, NULL, t.country, sum(t.amount), 'abroad', 0
        FROM wanted_lines w
        JOIN screen_trade t ON t.hs_code = w.hs_code AND t.direction = 'import'
             AND t.country <> w.country
        GROUP BY w.hs_code, w.country, t.country
        """,
    ):
        key = (r.pop("hs"), r.pop("lost"))
        r.pop("n")
        if r["scope"] == "abroad":
            r["name"] = country_name(r["country"])
        found[key].append(r)
    return found
